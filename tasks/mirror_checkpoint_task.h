// MirrorCheckpointTask: Connect's task for MirrorCheckpointConnector. It tails MM2's offset-syncs topic
// (OffsetSyncStore: the exact map), and every `emit.checkpoints.interval.seconds` writes, for each
// assigned group, MM2 Checkpoint records of the group's translated offsets to
// `<source>.checkpoints.internal` on the target; with `sync.group.offsets.enabled` it also commits
// them to the group on the target while the group is inactive there (GroupCheckpointer).
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "connectors/replication_policy.h"
#include "tasks/group_checkpointer.h"
#include "tasks/offset_sync_store.h"
#include "tasks/task.h"
#include "worker/common/sampled_stat.h"
#include "worker/kafka/handles.h"

namespace ferry::tasks {

// MM2's checkpoint-latency-ms per (group, remote topic-partition): from a checkpoint's making to the
// target's acknowledgement of it.
using CheckpointLatencies = std::map<std::pair<std::string, TopicPartition>, metrics::SampledStat>;

// The checkpoint task's metrics as GET /metrics shows them: MM2's MirrorCheckpointMetrics under the
// names Strimzi's exporter rules give them,
// kafka_connect_mirror_mirrorcheckpointconnector_checkpoint_latency_ms[_min|_max|_avg]{source,target,group,topic,partition}.
void AddCheckpointMetrics(const CheckpointLatencies& latencies, const std::string& source_alias,
                          const std::string& target_alias, int64_t now_ms, metrics::Exposition& out);

// The coverage of the offset map `map` per source partition, as GET /metrics shows it
// (ferry_offset_map_*{source,target,topic,partition}, `topic` the remote topic), and the syncs read
// (ferry_offset_map_syncs_read_total{source,target}).
void AddOffsetMapMetrics(const OffsetMap& map, int64_t syncs_read, const std::string& source_alias,
                         const std::string& target_alias, const connectors::ReplicationPolicy& policy,
                         metrics::Exposition& out);

class MirrorCheckpointTask : public Task {
 public:
  ~MirrorCheckpointTask() override;

  Result<> Start(const Properties& config, TaskContext& context) override;
  void Stop() override;
  std::vector<SourceOffsetRecord> Offsets() const override;
  std::vector<std::string> ActiveTopics() const override { return {checkpoints_topic_}; }
  // Errors of a round (a broker away, a timeout) are logged and retried the next round, as MM2 does;
  // offset syncs that cannot be read at all (their topic never appeared in 30 s) fail the task.
  std::optional<Error> failure() const override {
    std::lock_guard lock(mu_);
    return failure_;
  }

  int64_t checkpoints_written() const { return written_.load(); }
  void CollectMetrics(metrics::Exposition& out, int64_t now_ms, const metrics::Labels& task) const override;

 private:
  // Start, its client configuration failures not yet naming their cluster (NameFailedCluster).
  Result<> StartUnnamed(const Properties& config, TaskContext& context);
  static void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* rkmessage, void* opaque);
  void Run();
  void EmitOnce(bool sync_groups);
  bool Stopping() const;  // Stop() was called

  std::string source_alias_;
  std::string target_alias_;
  std::vector<std::string> groups_;
  std::set<std::string> denied_groups_;  // said once each: an ACL refused reading them (checkpoint thread)
  std::string checkpoints_topic_;
  std::shared_ptr<const connectors::ReplicationPolicy> policy_;
  std::chrono::milliseconds emit_interval_{60000};
  bool sync_group_offsets_ = false;
  std::chrono::milliseconds sync_interval_{60000};

  std::unique_ptr<kafka::Admin> source_admin_;
  std::unique_ptr<kafka::Admin> target_admin_;
  std::unique_ptr<OffsetSyncStore> syncs_;
  std::unique_ptr<GroupCheckpointer> checkpointer_;
  kafka::HandlePtr producer_;
  std::thread thread_;
  std::atomic<int64_t> written_{0};

  mutable std::mutex mu_;
  std::optional<Error> failure_;  // the offset syncs could not be read: the task has stopped
  std::condition_variable wake_;
  bool stop_ = false;                                     // mu_
  std::set<std::pair<std::string, TopicPartition>> emitted_;  // (group, remote tp); mu_
  CheckpointLatencies latencies_;                             // mu_
};

}  // namespace ferry::tasks
