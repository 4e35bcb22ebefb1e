#include "tests/fakes/fake_admin.h"

#include <algorithm>

#include <utility>

namespace ferry::testing {

using kafka::AclBinding;
using kafka::AclPatternType;
using kafka::AclResourceType;
using kafka::AdminError;

namespace {

std::string Quoted(const std::string& name) { return "'" + name + "'"; }

bool Matches(const kafka::AclBindingFilter& filter, const AclBinding& acl) {
  if (filter.resource_type != AclResourceType::kAny && filter.resource_type != acl.resource_type) return false;
  if (filter.pattern_type == AclPatternType::kMatch) {
    if (!filter.resource_name) return true;
    const std::string& name = *filter.resource_name;
    if (acl.pattern_type == AclPatternType::kLiteral) return acl.resource_name == name || acl.resource_name == "*";
    if (acl.pattern_type == AclPatternType::kPrefixed) return name.rfind(acl.resource_name, 0) == 0;
    return false;
  }
  if (filter.pattern_type != AclPatternType::kAny && filter.pattern_type != acl.pattern_type) return false;
  return !filter.resource_name || *filter.resource_name == acl.resource_name;
}

}  // namespace

void FakeAdmin::DefineConfig(const std::string& name, std::optional<std::string> default_value,
                             kafka::ConfigSource source, bool read_only, bool sensitive) {
  std::lock_guard lock(mu_);
  definitions_[name] = {std::move(default_value), source, read_only, sensitive};
}

void FakeAdmin::DefineKafkaTopicConfigs() {
  static const std::pair<const char*, const char*> kDefaults[] = {
      {"cleanup.policy", "delete"},
      {"compression.type", "producer"},
      {"delete.retention.ms", "86400000"},
      {"file.delete.delay.ms", "60000"},
      {"flush.messages", "9223372036854775807"},
      {"flush.ms", "9223372036854775807"},
      {"follower.replication.throttled.replicas", ""},
      {"index.interval.bytes", "4096"},
      {"leader.replication.throttled.replicas", ""},
      {"max.compaction.lag.ms", "9223372036854775807"},
      {"max.message.bytes", "1048588"},
      {"message.downconversion.enable", "true"},
      {"message.timestamp.difference.max.ms", "9223372036854775807"},
      {"message.timestamp.type", "CreateTime"},
      {"min.cleanable.dirty.ratio", "0.5"},
      {"min.compaction.lag.ms", "0"},
      {"min.insync.replicas", "1"},
      {"preallocate", "false"},
      {"retention.bytes", "-1"},
      {"retention.ms", "604800000"},
      {"segment.bytes", "1073741824"},
      {"segment.index.bytes", "10485760"},
      {"segment.jitter.ms", "0"},
      {"segment.ms", "604800000"},
      {"unclean.leader.election.enable", "false"},
  };
  for (const auto& [name, value] : kDefaults) DefineConfig(name, std::string(value));
}

void FakeAdmin::AddTopic(const std::string& name, int partitions, const Properties& overrides,
                         int replication_factor) {
  CHECK_GE(partitions, 1) << "FakeAdmin::AddTopic " << name;
  std::lock_guard lock(mu_);
  topics_[name] = {partitions, replication_factor, overrides};
}

void FakeAdmin::AddAcl(const AclBinding& acl) {
  std::lock_guard lock(mu_);
  acls_.insert(acl);
}

void FakeAdmin::SetAuthorizer(bool enabled) {
  std::lock_guard lock(mu_);
  authorizer_ = enabled;
}

void FakeAdmin::SetGroup(const std::string& group, kafka::GroupState state, int members) {
  std::lock_guard lock(mu_);
  groups_[group].state = state;
  groups_[group].members = members;
}

void FakeAdmin::SetCommitted(const std::string& group, const TopicPartition& tp, kafka::OffsetAndMetadata offset) {
  std::lock_guard lock(mu_);
  groups_[group].offsets[tp] = std::move(offset);
}

std::optional<int> FakeAdmin::Partitions(const std::string& topic) const {
  std::lock_guard lock(mu_);
  auto it = topics_.find(topic);
  return it == topics_.end() ? std::nullopt : std::optional<int>(it->second.partitions);
}

std::optional<int> FakeAdmin::ReplicationFactor(const std::string& topic) const {
  std::lock_guard lock(mu_);
  auto it = topics_.find(topic);
  return it == topics_.end() ? std::nullopt : std::optional<int>(it->second.replication_factor);
}

std::optional<Properties> FakeAdmin::Overrides(const std::string& topic) const {
  std::lock_guard lock(mu_);
  auto it = topics_.find(topic);
  return it == topics_.end() ? std::nullopt : std::optional<Properties>(it->second.overrides);
}

std::vector<AclBinding> FakeAdmin::Acls() const {
  std::lock_guard lock(mu_);
  return {acls_.begin(), acls_.end()};
}

kafka::GroupOffsets FakeAdmin::Committed(const std::string& group) const {
  std::lock_guard lock(mu_);
  auto it = groups_.find(group);
  return it == groups_.end() ? kafka::GroupOffsets{} : it->second.offsets;
}

int FakeAdmin::Calls(Op op) const {
  std::lock_guard lock(mu_);
  auto it = calls_.find(op);
  return it == calls_.end() ? 0 : it->second;
}

int FakeAdmin::Writes() const {
  return Calls(Op::kCreateTopics) + Calls(Op::kCreatePartitions) + Calls(Op::kAlterTopicConfigs) +
         Calls(Op::kCreateAcls) + Calls(Op::kAlterConsumerGroupOffsets) +
         Calls(Op::kDeleteConsumerGroupOffsets);
}

void FakeAdmin::FailNextCall(Op op, Error error) {
  std::lock_guard lock(mu_);
  next_call_failures_[op].push_back(std::move(error));
}

void FakeAdmin::FailFor(Op op, const std::string& name, Error error) {
  std::lock_guard lock(mu_);
  item_failures_.insert_or_assign({op, name}, std::move(error));
}

void FakeAdmin::ClearFailures() {
  std::lock_guard lock(mu_);
  next_call_failures_.clear();
  item_failures_.clear();
}

void FakeAdmin::BeforeNextCall(Op op, std::function<void()> action) {
  std::lock_guard lock(mu_);
  next_call_actions_[op].push_back(std::move(action));
}

void FakeAdmin::RunActionBefore(Op op) {
  std::function<void()> action;
  {
    std::lock_guard lock(mu_);
    auto it = next_call_actions_.find(op);
    if (it == next_call_actions_.end() || it->second.empty()) return;
    action = std::move(it->second.front());
    it->second.pop_front();
  }
  action();  // outside mu_: it may change this admin or another
}

std::optional<Error> FakeAdmin::BeginCall(Op op) {
  ++calls_[op];
  auto it = next_call_failures_.find(op);
  if (it == next_call_failures_.end() || it->second.empty()) return std::nullopt;
  Error error = std::move(it->second.front());
  it->second.pop_front();
  return error;
}

std::optional<Error> FakeAdmin::FailureFor(Op op, const std::string& name) const {
  auto it = item_failures_.find({op, name});
  if (it == item_failures_.end()) return std::nullopt;
  return it->second;
}

std::optional<Error> FakeAdmin::CheckOverride(const std::string& context, const std::string& name) const {
  if (definitions_.empty()) return std::nullopt;  // no configs defined: anything goes
  auto def = definitions_.find(name);
  if (def == definitions_.end()) {
    return AdminError(context, RD_KAFKA_RESP_ERR_INVALID_CONFIG, ("Unknown topic config name: " + name).c_str());
  }
  if (def->second.read_only) {
    return AdminError(context, RD_KAFKA_RESP_ERR_INVALID_CONFIG, ("Config " + name + " is read-only").c_str());
  }
  return std::nullopt;
}

Result<std::map<std::string, int>> FakeAdmin::ListTopics() {
  RunActionBefore(Op::kListTopics);
  std::lock_guard lock(mu_);
  if (auto error = BeginCall(Op::kListTopics)) return *error;
  std::map<std::string, int> topics;
  for (const auto& [name, topic] : topics_) topics[name] = topic.partitions;
  return topics;
}

Result<kafka::TopicResults<kafka::TopicCreation>> FakeAdmin::CreateTopics(const std::vector<kafka::NewTopic>& topics) {
  RunActionBefore(Op::kCreateTopics);
  std::lock_guard lock(mu_);
  if (auto error = BeginCall(Op::kCreateTopics)) return *error;
  kafka::TopicResults<kafka::TopicCreation> results;
  for (const kafka::NewTopic& t : topics) {
    CHECK(!results.count(t.name)) << "CreateTopics: topic '" << t.name << "' named twice";
    const std::string context = "create topic " + Quoted(t.name);
    if (auto error = FailureFor(Op::kCreateTopics, t.name)) {
      results.emplace(t.name, *error);
      continue;
    }
    if (topics_.count(t.name)) {
      results.emplace(t.name, kafka::TopicCreation::kAlreadyExisted);
      continue;
    }
    if (t.partitions == 0 || t.partitions < -1) {
      results.emplace(t.name, AdminError(context, RD_KAFKA_RESP_ERR_INVALID_PARTITIONS,
                                         "Number of partitions must be larger than 0."));
      continue;
    }
    if (t.replication_factor == 0 || t.replication_factor < -1 || t.replication_factor > brokers_) {
      results.emplace(t.name, AdminError(context, RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR,
                                         ("Replication factor: " + std::to_string(t.replication_factor) +
                                          " larger than available brokers: " + std::to_string(brokers_) + ".")
                                             .c_str()));
      continue;
    }
    std::optional<Error> bad_config;
    for (const auto& [key, value] : t.configs) {
      if ((bad_config = CheckOverride(context, key))) break;
    }
    if (bad_config) {
      results.emplace(t.name, *bad_config);
      continue;
    }
    topics_[t.name] = {t.partitions == -1 ? 1 : t.partitions, t.replication_factor == -1 ? 1 : t.replication_factor,
                       t.configs};
    results.emplace(t.name, kafka::TopicCreation::kCreated);
  }
  return results;
}

Result<kafka::TopicResults<>> FakeAdmin::CreatePartitions(const std::map<std::string, int>& total_counts) {
  RunActionBefore(Op::kCreatePartitions);
  std::lock_guard lock(mu_);
  if (auto error = BeginCall(Op::kCreatePartitions)) return *error;
  kafka::TopicResults<> results;
  for (const auto& [name, count] : total_counts) {
    CHECK_GE(count, 1) << "CreatePartitions: topic '" << name << "'";
    const std::string context = "add partitions to " + Quoted(name);
    if (auto error = FailureFor(Op::kCreatePartitions, name)) {
      results.emplace(name, *error);
      continue;
    }
    auto it = topics_.find(name);
    if (it == topics_.end()) {
      results.emplace(name, AdminError(context, RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART));
      continue;
    }
    if (count <= it->second.partitions) {
      results.emplace(name, AdminError(context, RD_KAFKA_RESP_ERR_INVALID_PARTITIONS,
                                       ("Topic currently has " + std::to_string(it->second.partitions) +
                                        " partitions, which is higher than or equal to the requested " +
                                        std::to_string(count) + ".")
                                           .c_str()));
      continue;
    }
    it->second.partitions = count;
    results.emplace(name, Ok());
  }
  return results;
}

Result<kafka::TopicResults<kafka::TopicConfigs>> FakeAdmin::DescribeTopicConfigs(
    const std::vector<std::string>& topics) {
  RunActionBefore(Op::kDescribeTopicConfigs);
  std::lock_guard lock(mu_);
  if (auto error = BeginCall(Op::kDescribeTopicConfigs)) return *error;
  kafka::TopicResults<kafka::TopicConfigs> results;
  for (const std::string& name : topics) {
    if (auto error = FailureFor(Op::kDescribeTopicConfigs, name)) {
      results.emplace(name, *error);
      continue;
    }
    auto it = topics_.find(name);
    if (it == topics_.end()) {
      results.emplace(name, AdminError("describe configs of " + Quoted(name), RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART));
      continue;
    }
    kafka::TopicConfigs configs;
    for (const auto& [key, def] : definitions_) {
      kafka::ConfigEntry entry;
      entry.is_sensitive = def.sensitive;
      entry.is_read_only = def.read_only;
      auto override_value = it->second.overrides.find(key);
      if (override_value != it->second.overrides.end()) {
        entry.value = override_value->second;
        entry.source = kafka::ConfigSource::kDynamicTopic;
      } else {
        entry.value = def.default_value;
        entry.source = def.source;
        entry.is_default = def.source == kafka::ConfigSource::kDefault;
      }
      if (entry.is_sensitive) entry.value.reset();
      configs[key] = std::move(entry);
    }
    for (const auto& [key, value] : it->second.overrides) {  // overrides of configs nobody defined
      if (configs.count(key)) continue;
      kafka::ConfigEntry entry;
      entry.value = value;
      entry.source = kafka::ConfigSource::kDynamicTopic;
      configs[key] = std::move(entry);
    }
    results.emplace(name, std::move(configs));
  }
  return results;
}

Result<kafka::TopicResults<>> FakeAdmin::AlterTopicConfigs(const std::map<std::string, Properties>& configs) {
  RunActionBefore(Op::kAlterTopicConfigs);
  std::lock_guard lock(mu_);
  if (auto error = BeginCall(Op::kAlterTopicConfigs)) return *error;
  kafka::TopicResults<> results;
  for (const auto& [name, props] : configs) {
    const std::string context = "alter configs of " + Quoted(name);
    if (auto error = FailureFor(Op::kAlterTopicConfigs, name)) {
      results.emplace(name, *error);
      continue;
    }
    auto it = topics_.find(name);
    if (it == topics_.end()) {
      results.emplace(name, AdminError(context, RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART));
      continue;
    }
    std::optional<Error> bad_config;
    for (const auto& [key, value] : props) {
      if ((bad_config = CheckOverride(context, key))) break;
    }
    if (bad_config) {
      results.emplace(name, *bad_config);
      continue;
    }
    it->second.overrides = props;  // the legacy AlterConfigs: the whole set is replaced
    results.emplace(name, Ok());
  }
  return results;
}

Result<std::vector<AclBinding>> FakeAdmin::DescribeAcls(const kafka::AclBindingFilter& filter) {
  RunActionBefore(Op::kDescribeAcls);
  std::lock_guard lock(mu_);
  if (auto error = BeginCall(Op::kDescribeAcls)) return *error;
  if (!authorizer_) {
    return AdminError("describe ACLs", RD_KAFKA_RESP_ERR_SECURITY_DISABLED, "No Authorizer is configured.");
  }
  std::vector<AclBinding> found;
  for (const AclBinding& acl : acls_) {
    if (Matches(filter, acl)) found.push_back(acl);
  }
  return found;
}

Result<std::vector<Result<>>> FakeAdmin::CreateAcls(const std::vector<AclBinding>& acls) {
  RunActionBefore(Op::kCreateAcls);
  std::lock_guard lock(mu_);
  if (auto error = BeginCall(Op::kCreateAcls)) return *error;
  if (!authorizer_) {
    return AdminError("create ACLs", RD_KAFKA_RESP_ERR_SECURITY_DISABLED, "No Authorizer is configured.");
  }
  std::vector<Result<>> results;
  for (const AclBinding& acl : acls) {
    const std::string context = "create ACL " + acl.ToString();
    if (auto error = FailureFor(Op::kCreateAcls, acl.resource_name)) {
      results.emplace_back(*error);
      continue;
    }
    const bool valid =
        acl.resource_type != AclResourceType::kAny && !acl.resource_name.empty() &&
        (acl.pattern_type == AclPatternType::kLiteral || acl.pattern_type == AclPatternType::kPrefixed) &&
        !acl.principal.empty() && acl.operation != kafka::AclOperation::kAny &&
        acl.permission != kafka::AclPermission::kAny;
    if (!valid) {
      results.emplace_back(AdminError(context, RD_KAFKA_RESP_ERR_INVALID_REQUEST));
      continue;
    }
    acls_.insert(acl);
    results.emplace_back(Ok());
  }
  return results;
}

Result<std::vector<kafka::GroupListing>> FakeAdmin::ListConsumerGroups() {
  RunActionBefore(Op::kListConsumerGroups);
  std::lock_guard lock(mu_);
  if (auto error = BeginCall(Op::kListConsumerGroups)) return *error;
  std::vector<kafka::GroupListing> groups;
  for (const auto& [name, group] : groups_) groups.push_back({name, group.members == 0, group.state});
  return groups;
}

Result<kafka::GroupOffsets> FakeAdmin::ListConsumerGroupOffsets(const std::string& group,
                                                               const std::vector<TopicPartition>& partitions) {
  RunActionBefore(Op::kListConsumerGroupOffsets);
  std::lock_guard lock(mu_);
  if (auto error = BeginCall(Op::kListConsumerGroupOffsets)) return *error;
  if (auto error = FailureFor(Op::kListConsumerGroupOffsets, group)) return *error;
  auto it = groups_.find(group);
  if (it == groups_.end()) return kafka::GroupOffsets{};
  if (partitions.empty()) return it->second.offsets;
  kafka::GroupOffsets offsets;
  for (const TopicPartition& tp : partitions) {
    auto found = it->second.offsets.find(tp);
    if (found != it->second.offsets.end()) offsets.insert(*found);
  }
  return offsets;
}

Result<> FakeAdmin::AlterConsumerGroupOffsets(const std::string& group, const kafka::GroupOffsets& offsets) {
  RunActionBefore(Op::kAlterConsumerGroupOffsets);
  std::lock_guard lock(mu_);
  if (auto error = BeginCall(Op::kAlterConsumerGroupOffsets)) return *error;
  const std::string context = "alter offsets of group " + Quoted(group);
  if (auto error = FailureFor(Op::kAlterConsumerGroupOffsets, group)) return *error;
  auto it = groups_.find(group);
  if (it != groups_.end() && it->second.members > 0) {
    return AdminError(context, RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID,
                      "The group has active members; offsets can only be altered for an inactive group.");
  }
  Group& g = groups_[group];
  for (const auto& [tp, om] : offsets) {
    CHECK_GE(om.offset, 0) << context << ": offset of " << tp;
    g.offsets[tp] = om;
  }
  return Ok();
}

Result<> FakeAdmin::DeleteConsumerGroupOffsets(const std::string& group, const std::vector<TopicPartition>& partitions) {
  RunActionBefore(Op::kDeleteConsumerGroupOffsets);
  std::lock_guard lock(mu_);
  if (auto error = BeginCall(Op::kDeleteConsumerGroupOffsets)) return *error;
  const std::string context = "delete offsets of group " + Quoted(group);
  if (auto error = FailureFor(Op::kDeleteConsumerGroupOffsets, group)) return *error;
  auto it = groups_.find(group);
  if (it == groups_.end()) return AdminError(context, RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND);
  if (it->second.members > 0) return AdminError(context, RD_KAFKA_RESP_ERR_GROUP_SUBSCRIBED_TO_TOPIC);
  for (const TopicPartition& tp : partitions) it->second.offsets.erase(tp);
  return Ok();
}

Result<kafka::GroupDescription> FakeAdmin::DescribeConsumerGroupState(const std::string& group) {
  RunActionBefore(Op::kDescribeConsumerGroupState);
  std::lock_guard lock(mu_);
  if (auto error = BeginCall(Op::kDescribeConsumerGroupState)) return *error;
  if (auto error = FailureFor(Op::kDescribeConsumerGroupState, group)) return *error;
  auto it = groups_.find(group);
  if (it == groups_.end()) return kafka::GroupDescription{group, kafka::GroupState::kDead, 0, false};
  const int members = it->second.members;
  return kafka::GroupDescription{group, it->second.state, std::max(members, 0), members == 0, members < 0};
}

}  // namespace ferry::testing
