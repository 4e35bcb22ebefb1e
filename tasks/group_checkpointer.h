// GroupCheckpointer: the decisions of MM2's checkpoint task, apart from its I/O loop. For a source
// consumer group it reads the committed offsets (of topics the topic filter selects), translates each
// through the exact offset map, and yields MM2 Checkpoints for the remote topics; it can also write
// the translated offsets to the group on the target (`sync.group.offsets.enabled`), only while that
// group has no active members there and never moving an offset backwards.
// Thread-safety: not thread-safe; one per checkpoint task.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "connectors/filters.h"
#include "connectors/replication_policy.h"
#include "tasks/mirror_records.h"
#include "worker/kafka/admin.h"

namespace ferry::tasks {

// Source offset -> target offset of the first record at or after it; nullopt: not yet replicated.
using Translator = std::function<std::optional<TargetOffset>(const TopicPartition&, SourceOffset)>;

struct GroupSyncReport {
  int partitions_written = 0;
  int partitions_skipped_behind = 0;  // the target group's own offset was already further
  bool skipped_active = false;        // the group has members on the target: nothing written
};

class GroupCheckpointer {
 public:
  GroupCheckpointer(kafka::Admin& source, kafka::Admin& target, Translator translate,
                    std::shared_ptr<const connectors::ReplicationPolicy> policy, std::string source_alias,
                    std::string target_alias, connectors::RegexFilter topic_filter);

  // Checkpoints for `group` whose translation exists, in partition order.
  Result<std::vector<Checkpoint>> Checkpoints(const std::string& group);
  // Checkpoints that differ from the last ones this checkpointer returned here (MM2 emits changes).
  Result<std::vector<Checkpoint>> ChangedCheckpoints(const std::string& group);
  // Commits the checkpoints' target offsets to `group` on the target cluster, unless the group is
  // active there; a partition whose target offset is already at or past the translation is left.
  Result<GroupSyncReport> SyncGroupOffsets(const std::string& group, const std::vector<Checkpoint>& checkpoints);

  // The remote topic a checkpoint names (MM2's renameTopicPartition): a topic that came from the
  // target goes back to its original name; any other gets the source alias.
  std::string RemoteTopic(const std::string& source_topic) const;

 private:
  kafka::Admin& source_;
  kafka::Admin& target_;
  Translator translate_;
  std::shared_ptr<const connectors::ReplicationPolicy> policy_;
  std::string source_alias_;
  std::string target_alias_;
  connectors::RegexFilter topic_filter_;
  std::map<std::pair<std::string, TopicPartition>, std::pair<int64_t, int64_t>> emitted_;
};

}  // namespace ferry::tasks
