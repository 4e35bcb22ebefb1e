// Test support: the real MirrorMaker 2 in dedicated mode (`org.apache.kafka.connect.mirror.MirrorMaker
// mm2.properties`, what Kafka's connect-mirror-maker.sh runs), from the Maven jars that
// tests/kafka/kafka_cluster.py fetches for the real test clusters (tests/kafka/pom.xml has
// connect-mirror). A child process with a small heap, which gets SIGTERM when the test process dies;
// its output and its log4j2 log (INFO for MM2 and Connect, WARN for the clients) go to one file, kept
// for a failing test to show. Stop() is SIGTERM (MM2's shutdown hook stops its herders, whose tasks
// commit their last positions), bounded, then SIGKILL. Real Kafka only: MM2's admin calls need
// CreateTopics and more.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace ferry::testing {

// The directory of the Kafka release's jars (`kafka_cluster.py fetch`, cached after the first time);
// empty if it cannot be had.
std::string KafkaJarsDir();

class JavaMirrorMaker {
 public:
  // Starts MM2 on `properties_file` (`extra_args`: e.g. {"--clusters", "B"}), logging to `log_path`;
  // nullptr (and a test failure) if it cannot be started.
  static std::unique_ptr<JavaMirrorMaker> Start(const std::string& properties_file, const std::string& log_path,
                                                const std::vector<std::string>& extra_args = {});
  // MM2's other form: a Kafka Connect distributed worker (`ConnectDistributed worker.properties`, as
  // connect-distributed.sh runs it), which has MM2's three connectors on its class path; a test
  // creates them over its REST API (`listeners` in the file).
  static std::unique_ptr<JavaMirrorMaker> StartConnectWorker(const std::string& worker_file,
                                                             const std::string& log_path);
  ~JavaMirrorMaker();  // Stop()
  JavaMirrorMaker(const JavaMirrorMaker&) = delete;
  JavaMirrorMaker& operator=(const JavaMirrorMaker&) = delete;

  // Whether the process is still running (it has not exited).
  bool Running();
  // SIGTERM, waits up to `timeout` for the exit, then SIGKILL. Returns the exit status, or -1 if it
  // had to be killed (or died by a signal other than SIGTERM). Idempotent.
  int Stop(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // How long the last Stop() took.
  std::chrono::milliseconds stop_took() const { return stop_took_; }
  const std::string& log_path() const { return log_path_; }
  // The last `lines` lines of the log, for a failure message.
  std::string LogTail(size_t lines = 60) const;
  // How many lines of the log contain `needle`.
  size_t CountInLog(const std::string& needle) const;

 private:
  JavaMirrorMaker(pid_t pid, std::string log_path) : pid_(pid), log_path_(std::move(log_path)) {}
  static std::unique_ptr<JavaMirrorMaker> StartMain(const std::string& main_class, std::vector<std::string> main_args,
                                                    const std::string& log_path);

  pid_t pid_;
  int status_ = -1;
  std::string log_path_;
  std::chrono::milliseconds stop_took_{0};
};

}  // namespace ferry::testing
