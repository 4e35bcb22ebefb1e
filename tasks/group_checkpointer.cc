#include "tasks/group_checkpointer.h"

namespace ferry::tasks {

GroupCheckpointer::GroupCheckpointer(kafka::Admin& source, kafka::Admin& target, Translator translate,
                                     std::shared_ptr<const connectors::ReplicationPolicy> policy,
                                     std::string source_alias, std::string target_alias,
                                     connectors::RegexFilter topic_filter)
    : source_(source),
      target_(target),
      translate_(std::move(translate)),
      policy_(std::move(policy)),
      source_alias_(std::move(source_alias)),
      target_alias_(std::move(target_alias)),
      topic_filter_(std::move(topic_filter)) {}

std::string GroupCheckpointer::RemoteTopic(const std::string& source_topic) const {
  const auto origin = policy_->TopicSource(source_topic);
  if (origin && *origin == target_alias_) return policy_->OriginalTopic(source_topic);
  return policy_->FormatRemoteTopic(source_alias_, source_topic);
}

Result<std::vector<Checkpoint>> GroupCheckpointer::Checkpoints(const std::string& group) {
  // Ask for the partitions of the selected topics: listing "every committed partition" needs
  // OffsetFetch v2+, which not every broker (nor the test mock) serves.
  auto topics = source_.ListTopics();
  if (!topics.ok()) return topics.error();
  std::vector<TopicPartition> partitions;
  for (const auto& [topic, count] : *topics) {
    if (!topic_filter_.Matches(topic) || policy_->IsInternalTopic(topic)) continue;
    for (int p = 0; p < count; ++p) partitions.push_back({topic, p});
  }
  if (partitions.empty()) return std::vector<Checkpoint>{};
  auto committed = source_.ListConsumerGroupOffsets(group, partitions);
  if (!committed.ok()) return committed.error();
  std::vector<Checkpoint> out;
  for (const auto& [tp, om] : *committed) {
    if (om.offset < 0) continue;
    const auto translated = translate_(tp, SourceOffset(om.offset));
    if (!translated) continue;  // not replicated that far yet: no checkpoint rather than a guess
    out.push_back({group, RemoteTopic(tp.topic), tp.partition, om.offset, translated->value, om.metadata});
  }
  return out;
}

Result<std::vector<Checkpoint>> GroupCheckpointer::ChangedCheckpoints(const std::string& group) {
  auto all = Checkpoints(group);
  if (!all.ok()) return all.error();
  std::vector<Checkpoint> changed;
  for (Checkpoint& c : *all) {
    auto& last = emitted_[{group, TopicPartition{c.topic, c.partition}}];
    if (last == std::make_pair(c.upstream_offset, c.downstream_offset)) continue;
    last = {c.upstream_offset, c.downstream_offset};
    changed.push_back(std::move(c));
  }
  return changed;
}

Result<GroupSyncReport> GroupCheckpointer::SyncGroupOffsets(const std::string& group,
                                                            const std::vector<Checkpoint>& checkpoints) {
  GroupSyncReport report;
  if (checkpoints.empty()) return report;
  auto state = target_.DescribeConsumerGroupState(group);
  if (!state.ok()) return state.error();
  if (state->active()) {  // counted members, or a KIP-848 group that DescribeGroups cannot see
    report.skipped_active = true;  // a live consumer owns its position; MM2 waits too
    return report;
  }
  std::vector<TopicPartition> partitions;
  for (const Checkpoint& c : checkpoints) partitions.push_back({c.topic, c.partition});
  auto current = target_.ListConsumerGroupOffsets(group, partitions);
  if (!current.ok()) return current.error();
  kafka::GroupOffsets writes;
  for (const Checkpoint& c : checkpoints) {
    const TopicPartition tp{c.topic, c.partition};
    auto it = current->find(tp);
    if (it != current->end() && it->second.offset >= c.downstream_offset) {
      ++report.partitions_skipped_behind;
      continue;
    }
    writes[tp] = {c.downstream_offset, c.metadata};
  }
  if (!writes.empty()) FERRY_RETURN_IF_ERROR(target_.AlterConsumerGroupOffsets(group, writes));
  report.partitions_written = static_cast<int>(writes.size());
  return report;
}

}  // namespace ferry::tasks
