// Test support for fault scenarios (issue #19, tests/faults/): a live producer writing keyed records
// at a steady rate, a Ferry worker cluster of real `ferry distributed` processes (so kill -9 is real),
// a tail of the mirrored topic that tells when the mirror has caught up, and the final comparison of
// source and target, key by key and offset by offset, printed as one line:
//
//   FAULT <scenario> lost=N duplicated=M recovery_s=X
//
// Keys are "p<partition>-<sequence>", unique in the topic; the sequence counts from 0 per partition
// in the order the producer wrote, so a tail knows how far the mirror got from one key.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/worker_harness.h"
#include "worker/common/result.h"
#include "worker/common/types.h"
#include "worker/kafka/handles.h"
#include "worker/kafka/record_io.h"

namespace ferry::testing {

// Whether scenarios run their full length (`make faults` sets FERRY_FAULTS_FULL=1) or CI's short one.
bool FullLengthFaults();
// `full` under FullLengthFaults(), else `ci`.
template <typename T>
T FaultLength(T ci, T full) {
  return FullLengthFaults() ? full : ci;
}

// Writes records round-robin over `partitions` partitions of `topic` at about `per_second` records a
// second (values of `value_bytes`), on a thread of its own, through an idempotent acks=all producer (so a record acknowledged
// once is in the log once, in order, whatever the brokers do).
class LiveProducer {
 public:
  static std::unique_ptr<LiveProducer> Start(const std::string& bootstrap, const std::string& topic, int partitions,
                                             int per_second, size_t value_bytes = 100);
  ~LiveProducer();
  LiveProducer(const LiveProducer&) = delete;
  LiveProducer& operator=(const LiveProducer&) = delete;

  // Records handed to the producer so far, per partition: the first mark a caught-up mirror reaches.
  std::vector<int64_t> Sent() const;
  // Stops writing and waits (bounded) until every record is acknowledged.
  Result<> Stop();

 private:
  LiveProducer(std::unique_ptr<kafka::RecordWriter> writer, std::string topic, int partitions, int per_second,
               size_t value_bytes);
  void Run();

  std::unique_ptr<kafka::RecordWriter> writer_;
  const std::string topic_;
  const int per_second_;
  const size_t value_bytes_;
  mutable std::mutex mu_;
  std::vector<int64_t> sent_;  // under mu_
  std::optional<Error> failure_;  // the first failed Send, under mu_
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Reads `topic` (every partition, from the start) on a thread of its own and keeps the highest
// sequence seen per partition.
class TopicTail {
 public:
  static std::unique_ptr<TopicTail> Start(const std::string& bootstrap, const std::string& topic, int partitions);
  ~TopicTail();
  TopicTail(const TopicTail&) = delete;
  TopicTail& operator=(const TopicTail&) = delete;

  // Whether every record below `marks` (per partition, as LiveProducer::Sent) has been seen.
  bool Reached(const std::vector<int64_t>& marks) const;
  // Seconds from `since` until Reached(marks), waiting at most `timeout`; -1 on timeout.
  double SecondsUntilReached(const std::vector<int64_t>& marks, std::chrono::steady_clock::time_point since,
                             std::chrono::seconds timeout) const;

 private:
  TopicTail(kafka::HandlePtr rk, int partitions);
  void Run();

  kafka::HandlePtr rk_;
  mutable std::mutex mu_;
  std::vector<int64_t> highest_;  // under mu_; -1: nothing seen
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// `ferry distributed` child processes of one worker cluster, all started from one properties file.
// Each has a log file of its own in `dir` (glog goes to stderr, which is that file).
class WorkerFleet {
 public:
  WorkerFleet(std::string dir, const Properties& props);
  // Starts one more worker; its index, or -1 (with a test failure) if it did not report its port.
  int Add();
  void Kill9(int index);
  std::vector<int> Live() const;  // indexes of the workers still running
  int port(int index) const { return workers_[static_cast<size_t>(index)].process->port(); }
  pid_t pid(int index) const { return workers_[static_cast<size_t>(index)].process->pid(); }
  // Connect's worker id of `index`, as GET status names it.
  std::string WorkerId(int index) const;
  // The live worker that led the newest generation its log names, or -1 if none says so yet.
  int Leader() const;
  // The newest generation any live worker's log names (0: none yet).
  int64_t NewestGeneration() const;
  // How many lines of worker `index`'s log contain `text`.
  int64_t CountInLog(int index, const std::string& text) const;
  // Waits until `connector` and its `tasks` tasks are RUNNING on live workers only, and every live
  // worker runs at least one task when there are enough tasks; false (and the last status) on timeout.
  bool WaitRunning(const std::string& connector, size_t tasks, std::chrono::seconds timeout, std::string* last);

 private:
  struct Worker {
    std::unique_ptr<WorkerProcess> process;
    std::string log;
  };
  std::string dir_;
  std::string props_file_;
  std::vector<Worker> workers_;  // killed ones stay, with a null process
};

// Resident memory of process `pid` in KiB (VmRSS), 0 if it cannot be read.
int64_t RssKiB(pid_t pid);

// The outcome of comparing a mirrored topic with its source, partition by partition.
struct MirrorTally {
  int64_t source_records = 0;
  int64_t target_records = 0;
  int64_t lost = 0;          // source records with no copy on the target
  int64_t duplicated = 0;    // copies beyond the first
  int64_t out_of_order = 0;  // first copies that came before the first copy of an earlier source record
  int64_t altered = 0;       // copies whose key, value, headers or timestamp differ from the source's
  int64_t foreign = 0;       // target records whose key no source record has
  std::string first_problem;  // names the partition and offset of the first loss or disorder
};

// Adds the comparison of one partition's source records with their copies (both whole, in offset order).
void TallyPartition(const std::vector<kafka::Record>& source, const std::vector<kafka::Record>& target,
                    const TopicPartition& tp, MirrorTally* tally);

// Reads each partition of both topics whole and compares them key by key: the source offsets in
// order must each have a first copy on the target, in the same order and with the same content.
MirrorTally CompareMirror(const std::string& source_bootstrap, const std::string& source_topic,
                          const std::string& target_bootstrap, const std::string& target_topic, int partitions);

// Prints `FAULT <scenario> lost=N duplicated=M recovery_s=X` (and `extra`, if any) and fails the test
// when anything was lost, altered, reordered or foreign.
void ReportFault(const std::string& scenario, const MirrorTally& tally, double recovery_s,
                 const std::string& extra = "");

// Worker properties for a fault scenario's workers on `bootstrap` (group and topics named after
// `prefix`): DistributedWorkerProps with Connect's default session (10 s) and heartbeat (3 s), not the
// mock's short ones, so the figures are what a deployment sees and a loaded machine's pauses do not
// evict workers; a dead worker's tasks wait 3 s for it (Connect's default: 5 minutes).
Properties FaultWorkerProps(const std::string& bootstrap, const std::string& prefix);

// The MirrorSourceConnector config (JSON) mirroring `topic` from alias A to alias B with `tasks` tasks;
// the topics it makes (the remote topic, offset syncs, checkpoints, heartbeats) get `replication` replicas.
std::string FaultMirrorConfig(const std::string& source_bootstrap, const std::string& target_bootstrap,
                              const std::string& topic, int tasks, int replication = 1);

}  // namespace ferry::testing
