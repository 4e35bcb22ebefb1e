#include "tests/support/java_mirror_maker.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <deque>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

namespace ferry::testing {

namespace {

// MM2's log: INFO for MM2 and the Connect runtime (tasks started, offsets committed, what it read),
// WARN for Kafka's clients, whose INFO is mostly their configs.
constexpr char kLog4j2[] = R"(status = warn
appender.out.type = Console
appender.out.name = OUT
appender.out.target = SYSTEM_OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p [%t] %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = OUT
logger.clients.name = org.apache.kafka.clients
logger.clients.level = WARN
logger.common.name = org.apache.kafka.common
logger.common.level = WARN
)";

}  // namespace

std::string KafkaJarsDir() {
  static const std::string dir = [] {
    const std::string command = "python3 '" FERRY_SOURCE_DIR "/tests/kafka/kafka_cluster.py' fetch 2>/dev/null";
    FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) return std::string();
    std::string out;
    char buf[512];
    while (fgets(buf, sizeof buf, pipe) != nullptr) out += buf;
    if (pclose(pipe) != 0) return std::string();
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    const size_t last = out.rfind('\n');
    return last == std::string::npos ? out : out.substr(last + 1);
  }();
  return dir;
}

std::unique_ptr<JavaMirrorMaker> JavaMirrorMaker::Start(const std::string& properties_file,
                                                        const std::string& log_path,
                                                        const std::vector<std::string>& extra_args) {
  std::vector<std::string> main_args = {properties_file};
  main_args.insert(main_args.end(), extra_args.begin(), extra_args.end());
  return StartMain("org.apache.kafka.connect.mirror.MirrorMaker", std::move(main_args), log_path);
}

std::unique_ptr<JavaMirrorMaker> JavaMirrorMaker::StartConnectWorker(const std::string& worker_file,
                                                                     const std::string& log_path) {
  return StartMain("org.apache.kafka.connect.cli.ConnectDistributed", {worker_file}, log_path);
}

std::unique_ptr<JavaMirrorMaker> JavaMirrorMaker::StartMain(const std::string& main_class,
                                                            std::vector<std::string> main_args,
                                                            const std::string& log_path) {
  const std::string jars = KafkaJarsDir();
  if (jars.empty()) {
    ADD_FAILURE() << "tests/kafka/kafka_cluster.py fetch named no jars directory";
    return nullptr;
  }
  const std::string log4j = log_path + ".log4j2.properties";
  std::ofstream(log4j) << kLog4j2;
  std::vector<std::string> args = {"java",
                                   "-Xms128m",
                                   "-Xmx256m",
                                   "-XX:+UseSerialGC",
                                   "-XX:TieredStopAtLevel=1",
                                   "-Djava.awt.headless=true",
                                   "-Dlog4j2.configurationFile=" + log4j,
                                   "-cp",
                                   jars + "/*",
                                   main_class};
  args.insert(args.end(), main_args.begin(), main_args.end());
  // Everything the child needs is made before fork(): between fork and exec it only calls
  // async-signal-safe functions (this process has other threads, which may hold malloc's lock).
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const int log = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  const int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (log < 0 || null < 0) {
    ADD_FAILURE() << "cannot open " << log_path << " or /dev/null";
    if (log >= 0) close(log);
    if (null >= 0) close(null);
    return nullptr;
  }
  const pid_t pid = fork();
  if (pid == 0) {
    // A test process that dies (a crash, ctest's timeout) takes MM2 with it: no JVM left writing
    // to the shared clusters.
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    dup2(log, STDOUT_FILENO);
    dup2(log, STDERR_FILENO);
    dup2(null, STDIN_FILENO);
    execvp("java", argv.data());
    _exit(127);
  }
  close(log);
  close(null);
  if (pid < 0) {
    ADD_FAILURE() << "fork failed";
    return nullptr;
  }
  return std::unique_ptr<JavaMirrorMaker>(new JavaMirrorMaker(pid, log_path));
}

JavaMirrorMaker::~JavaMirrorMaker() { Stop(); }

bool JavaMirrorMaker::Running() {
  if (pid_ < 0) return false;
  int status = 0;
  const pid_t done = waitpid(pid_, &status, WNOHANG);
  if (done == 0) return true;
  status_ = done == pid_ && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  pid_ = -1;
  return false;
}

int JavaMirrorMaker::Stop(std::chrono::milliseconds timeout) {
  if (pid_ < 0) return status_;
  const auto started = std::chrono::steady_clock::now();
  kill(pid_, SIGTERM);
  int status = 0;
  const auto deadline = started + timeout;
  bool killed = false;
  while (waitpid(pid_, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      killed = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  stop_took_ = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  // The JVM exits with 143 (128 + SIGTERM) after its shutdown hooks have run.
  status_ = !killed && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  pid_ = -1;
  return status_;
}

std::string JavaMirrorMaker::LogTail(size_t lines) const {
  std::ifstream in(log_path_);
  std::deque<std::string> tail;
  for (std::string line; std::getline(in, line);) {
    tail.push_back(line);
    if (tail.size() > lines) tail.pop_front();
  }
  std::ostringstream out;
  out << "---- last lines of " << log_path_ << " ----\n";
  for (const std::string& line : tail) out << line << "\n";
  return out.str();
}

size_t JavaMirrorMaker::CountInLog(const std::string& needle) const {
  std::ifstream in(log_path_);
  size_t count = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.find(needle) != std::string::npos) ++count;
  }
  return count;
}

}  // namespace ferry::testing
