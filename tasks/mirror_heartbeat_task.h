// MirrorHeartbeatTask: every `emit.heartbeats.interval.seconds` writes an MM2 Heartbeat
// (key: source and target alias; value: version 0 and the time) to partition 0 of the `heartbeats`
// topic on the target, so that mirroring the heartbeats topic downstream makes lag and topology
// visible, exactly as MM2's task does.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "tasks/task.h"
#include "worker/kafka/handles.h"

namespace ferry::tasks {

class MirrorHeartbeatTask : public Task {
 public:
  ~MirrorHeartbeatTask() override;

  Result<> Start(const Properties& config, TaskContext& context) override;
  void Stop() override;
  std::vector<SourceOffsetRecord> Offsets() const override;
  std::vector<std::string> ActiveTopics() const override { return {topic_}; }
  std::optional<Error> failure() const override;

  int64_t sent() const { return sent_.load(); }

 private:
  // Start, its client configuration failures not yet naming their cluster (NameFailedCluster).
  Result<> StartUnnamed(const Properties& config, TaskContext& context);
  void Run();
  static void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* msg, void* opaque);

  std::string source_alias_;
  std::string target_alias_;
  std::string topic_;
  std::chrono::milliseconds interval_{1000};
  kafka::HandlePtr producer_;
  std::thread thread_;
  std::atomic<int64_t> sent_{0};
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;               // guarded by mu_
  std::optional<Error> failure_;    // guarded by mu_
};

}  // namespace ferry::tasks
