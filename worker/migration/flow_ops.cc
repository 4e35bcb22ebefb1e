#include "worker/migration/flow_ops.h"

#include "worker/kafka/kafka_log.h"
#include "worker/kafka/topics.h"

namespace ferry::migration {

std::string PlanTopic(const std::string& source_alias) { return "ferry-migrations." + source_alias + ".internal"; }

Result<FlowNames> CutoverFlowOps::Names(const std::optional<std::string>& connector) {
  FlowNames names;
  FERRY_RETURN_IF_ERROR(cutover_.WithFlow(connector, [&](const cutover::CutoverService::FlowAccess& flow) -> Result<> {
    names = FlowNames{flow.connector, flow.source_alias, flow.target_alias};
    return {};
  }));
  return names;
}

Result<std::unique_ptr<kafka::Log>> CutoverFlowOps::OpenPlanLog(const FlowNames& names) {
  std::unique_ptr<kafka::Log> log;
  FERRY_RETURN_IF_ERROR(
      cutover_.WithFlow(names.connector, [&](const cutover::CutoverService::FlowAccess& flow) -> Result<> {
        kafka::TopicSpec spec;
        spec.name = PlanTopic(flow.source_alias);
        spec.partitions = 1;
        spec.configs = {{"cleanup.policy", "compact"}};
        spec.exact_partitions = true;
        spec.property = "the migration plans of mirror '" + flow.connector + "'";
        FERRY_RETURN_IF_ERROR(kafka::EnsureTopic(flow.target_admin, spec, timeout_));
        kafka::KafkaLogOptions options;
        options.topic = spec.name;
        options.consumer = flow.target_consumer;
        options.producer = flow.target_producer;
        log = std::make_unique<kafka::KafkaLog>(std::move(options));
        return {};
      }));
  return log;
}

Result<std::map<std::string, std::set<std::string>>> CutoverFlowOps::GroupsConsuming(
    const std::string& connector, const std::vector<std::string>& topics, const std::vector<std::string>& only) {
  std::map<std::string, std::set<std::string>> consuming;
  FERRY_RETURN_IF_ERROR(cutover_.WithFlow(connector, [&](const cutover::CutoverService::FlowAccess& flow) -> Result<> {
    auto counts = flow.source_admin.ListTopics();
    if (!counts.ok()) return counts.error();
    std::vector<TopicPartition> partitions;
    for (const std::string& topic : topics) {
      auto it = counts->find(topic);
      if (it == counts->end()) return Error::NotFound("topic '" + topic + "' does not exist on cluster " + flow.source_alias);
      for (int p = 0; p < it->second; ++p) partitions.push_back({topic, p});
    }
    std::vector<std::string> groups = only;
    if (groups.empty()) {  // every group: ListGroups, then each one's offsets (OffsetFetch)
      auto listed = flow.source_admin.ListConsumerGroups();
      if (!listed.ok()) return listed.error();
      for (const kafka::GroupListing& g : *listed) groups.push_back(g.group_id);
    }
    for (const std::string& group : groups) {
      auto offsets = flow.source_admin.ListConsumerGroupOffsets(group, partitions);
      if (!offsets.ok()) return offsets.error();
      for (const auto& [tp, committed] : *offsets) {
        if (committed.offset >= 0) consuming[group].insert(tp.topic);
      }
    }
    return {};
  }));
  return consuming;
}

Result<cutover::GroupPlan> CutoverFlowOps::PlanGroup(const std::string& connector, const std::string& group,
                                                     const cutover::MoveOptions& options) {
  return cutover_.Plan(connector, group, cutover::Direction::kCutover, options);
}

Result<cutover::MoveReport> CutoverFlowOps::MoveGroup(const std::string& connector, const std::string& group,
                                                      const cutover::MoveOptions& options) {
  return cutover_.Move(connector, group, cutover::Direction::kCutover, options);
}

Result<cutover::GroupStatus> CutoverFlowOps::GroupStatus(const std::string& connector, const std::string& group) {
  return cutover_.Status(connector, group);
}

Result<std::map<int32_t, int64_t>> CutoverFlowOps::SourceEnds(const std::string& connector, const std::string& topic) {
  std::map<int32_t, int64_t> ends;
  FERRY_RETURN_IF_ERROR(cutover_.WithFlow(connector, [&](const cutover::CutoverService::FlowAccess& flow) -> Result<> {
    auto counts = flow.source_admin.ListTopics();
    if (!counts.ok()) return counts.error();
    auto it = counts->find(topic);
    if (it == counts->end()) return Error::NotFound("topic '" + topic + "' does not exist on cluster " + flow.source_alias);
    for (int p = 0; p < it->second; ++p) {
      auto marks = flow.source.Watermarks({topic, p});
      if (!marks.ok()) return marks.error();
      ends[p] = marks->high;
    }
    return {};
  }));
  return ends;
}

Result<cutover::VerifyReport> CutoverFlowOps::Verify(const std::string& connector, const std::string& topic) {
  return cutover_.Verify(connector, topic, std::nullopt);
}

}  // namespace ferry::migration
