// MirrorSourceTask: Connect's task for MirrorSourceConnector. Runs a MirrorTask over the partitions
// in `task.assigned.partitions`, resuming each at the offset stored in MM2's format (source partition
// {"cluster":A,"partition":P,"topic":T}, offset {"offset":<last copied>}), so it continues where MM2
// (or an earlier Ferry) stopped. Writes offset syncs to MM2's offset-syncs topic (OffsetSyncWriter),
// each naming its source topic's ID, learned once at start (TaskContext::TopicIds; none if it fails).
// A position is offered for storing (Offsets) only once the syncs covering it are written: a restart
// from it then finds, in the syncs topic, where every run before it ends. A sync that cannot be
// written fails the task (the map would miss it); one still in flight holds the position back.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <mutex>
#include <string>
#include <vector>

#include "tasks/mirror_task.h"
#include "tasks/offset_sync_writer.h"
#include "tasks/resume_point.h"
#include "connectors/replication_policy.h"
#include "tasks/task.h"

namespace ferry::tasks {

// MM2's source partition JSON for a topic-partition of cluster `alias`.
std::string MirrorSourcePartitionJson(const std::string& alias, const TopicPartition& tp);
// MM2 stores the offset of the last copied record, {"offset":N}: the next offset to copy, N + 1.
Result<int64_t> NextOffsetFromStored(const std::string& offset_json, const TopicPartition& tp);

class MirrorSourceTask : public Task {
 public:
  Result<> Start(const Properties& config, TaskContext& context) override;
  void Stop() override;
  void Commit() override;
  std::vector<SourceOffsetRecord> Offsets() const override;
  std::vector<std::string> ActiveTopics() const override;
  std::optional<Error> failure() const override;
  std::string SyncWriterId() const override;
  // MM2's per-partition metrics and Ferry's (tasks/mirror_source_metrics.h).
  void CollectMetrics(metrics::Exposition& out, int64_t now_ms, const metrics::Labels& task) const override;

 private:
  // Start, its client configuration failures not yet naming their cluster (NameFailedCluster).
  Result<> StartUnnamed(const Properties& config, TaskContext& context);
  // Where each partition resumes (ferry.resume.mode): the stored positions in `mirror`, moved past
  // the copies proven on the target in exact mode. Fills resumes_.
  Result<> PlanStart(const Properties& config, TaskContext& context, MirrorTaskConfig& mirror);
  // `resumed_at`: the stored position of each partition (kFromLogStart where none).
  Result<> StartOffsetSyncs(const Properties& config, const connectors::ReplicationPolicy& policy,
                            TaskContext& context, const std::map<TopicPartition, int64_t>& resumed_at);

  std::string source_alias_;
  std::string target_alias_;
  std::shared_ptr<const connectors::ReplicationPolicy> policy_;
  std::vector<std::string> active_topics_;
  std::map<TopicPartition, Resume> resumes_;  // how each partition resumed; set before the task runs
  mutable std::mutex mu_;
  std::map<TopicPartition, int64_t> synced_positions_;  // mu_; covered by written syncs
  std::optional<Error> sync_failure_;                   // mu_
  std::unique_ptr<OffsetSyncWriter> offset_syncs_;  // null when emit.offset-syncs.enabled=false
  std::unique_ptr<MirrorTask> task_;                 // declared last: stopped before the writer goes
};

}  // namespace ferry::tasks
