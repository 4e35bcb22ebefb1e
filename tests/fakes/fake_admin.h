// FakeAdmin: an in-memory Kafka cluster behind kafka::Admin, for unit tests of the logic that needs
// the admin operations the librdkafka 2.0.2 mock cannot serve (topic creation and growth, configs,
// ACLs, group listing and state). It answers as Kafka does where that matters to a mirror:
//  - topics: CreateTopics answers kAlreadyExisted for an existing topic, refuses partition counts < 1
//    (INVALID_PARTITIONS), replication factors above the broker count (INVALID_REPLICATION_FACTOR)
//    and unknown or read-only config names (INVALID_CONFIG, once any config is defined);
//    CreatePartitions refuses counts that do not grow the topic (INVALID_PARTITIONS);
//  - configs: every defined config is described for every topic, with the topic's override
//    (DYNAMIC_TOPIC_CONFIG) or the definition's default and source; sensitive values are hidden;
//    AlterTopicConfigs replaces a topic's whole set of overrides (legacy AlterConfigs);
//  - ACLs: a set; CreateAcls of an existing binding succeeds; without an authorizer DescribeAcls and
//    CreateAcls answer SECURITY_DISABLED (kUnsupported);
//  - groups: offsets per partition with metadata; AlterConsumerGroupOffsets is refused for a group
//    with members (UNKNOWN_MEMBER_ID), as Kafka refuses commits from outside a live group, and so is
//    DeleteConsumerGroupOffsets (GROUP_SUBSCRIBED_TO_TOPIC); an unknown group is described as Dead
//    with no members.
// Unknown topics answer UNKNOWN_TOPIC_OR_PART. Errors are made with kafka::AdminError, so they carry
// the same codes as RdKafkaAdmin's.
//
// Failure injection: FailNextCall(op, error) fails the next call of `op` as a whole (queued per op);
// FailFor(op, name, error) fails `op` for one topic (or the ACL's resource name, or the group) on
// every call until ClearFailures(). Calls(op) counts calls, Writes() the calls that change the cluster.
// Thread-safety: all methods may be called from any thread.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "worker/kafka/admin.h"

namespace ferry::testing {

class FakeAdmin : public kafka::Admin {
 public:
  enum class Op {
    kListTopics,
    kCreateTopics,
    kCreatePartitions,
    kDescribeTopicConfigs,
    kAlterTopicConfigs,
    kDescribeAcls,
    kCreateAcls,
    kListConsumerGroups,
    kListConsumerGroupOffsets,
    kAlterConsumerGroupOffsets,
    kDeleteConsumerGroupOffsets,
    kDescribeConsumerGroupState,
  };

  explicit FakeAdmin(int brokers = 3) : brokers_(brokers) {}

  // --- The cluster ---
  // A topic config the cluster knows, with the default every topic without an override reports.
  // `source` kDefault is Kafka's built-in default; kStaticBroker a server.properties value, etc.
  void DefineConfig(const std::string& name, std::optional<std::string> default_value,
                    kafka::ConfigSource source = kafka::ConfigSource::kDefault, bool read_only = false,
                    bool sensitive = false);
  // Kafka 3.x's topic configs with their built-in defaults (cleanup.policy, retention.ms, ..., and
  // the ones MM2 excludes by default, e.g. min.insync.replicas).
  void DefineKafkaTopicConfigs();
  // Adds `name`, or replaces it (partitions and overrides) if it exists.
  void AddTopic(const std::string& name, int partitions, const Properties& overrides = {},
                int replication_factor = 3);
  void AddAcl(const kafka::AclBinding& acl);
  void SetAuthorizer(bool enabled);  // on by default
  // `members` < 0: a group of Kafka's consumer protocol (KIP-848), whose members cannot be counted.
  void SetGroup(const std::string& group, kafka::GroupState state, int members);
  void SetCommitted(const std::string& group, const TopicPartition& tp, kafka::OffsetAndMetadata offset);

  // --- Inspection ---
  std::optional<int> Partitions(const std::string& topic) const;
  std::optional<int> ReplicationFactor(const std::string& topic) const;
  std::optional<Properties> Overrides(const std::string& topic) const;  // DYNAMIC_TOPIC_CONFIG values
  std::vector<kafka::AclBinding> Acls() const;
  kafka::GroupOffsets Committed(const std::string& group) const;
  int Calls(Op op) const;
  // CreateTopics, CreatePartitions, AlterTopicConfigs, CreateAcls, Alter/DeleteConsumerGroupOffsets
  int Writes() const;

  // --- Failure injection ---
  void FailNextCall(Op op, Error error);
  void FailFor(Op op, const std::string& name, Error error);
  void ClearFailures();
  // Runs `action` just before the next call of `op` does anything (e.g. a consumer commits on the
  // other cluster meanwhile).
  void BeforeNextCall(Op op, std::function<void()> action);

  // --- kafka::Admin ---
  Result<std::map<std::string, int>> ListTopics() override;
  Result<kafka::TopicResults<kafka::TopicCreation>> CreateTopics(const std::vector<kafka::NewTopic>& topics) override;
  Result<kafka::TopicResults<>> CreatePartitions(const std::map<std::string, int>& total_counts) override;
  Result<kafka::TopicResults<kafka::TopicConfigs>> DescribeTopicConfigs(
      const std::vector<std::string>& topics) override;
  Result<kafka::TopicResults<>> AlterTopicConfigs(const std::map<std::string, Properties>& configs) override;
  Result<std::vector<kafka::AclBinding>> DescribeAcls(const kafka::AclBindingFilter& filter) override;
  Result<std::vector<Result<>>> CreateAcls(const std::vector<kafka::AclBinding>& acls) override;
  Result<std::vector<kafka::GroupListing>> ListConsumerGroups() override;
  Result<kafka::GroupOffsets> ListConsumerGroupOffsets(const std::string& group,
                                                       const std::vector<TopicPartition>& partitions) override;
  Result<> AlterConsumerGroupOffsets(const std::string& group, const kafka::GroupOffsets& offsets) override;
  Result<> DeleteConsumerGroupOffsets(const std::string& group, const std::vector<TopicPartition>& partitions) override;
  Result<kafka::GroupDescription> DescribeConsumerGroupState(const std::string& group) override;

 private:
  struct ConfigDefinition {
    std::optional<std::string> default_value;
    kafka::ConfigSource source = kafka::ConfigSource::kDefault;
    bool read_only = false;
    bool sensitive = false;
  };
  struct Topic {
    int partitions = 1;
    int replication_factor = 1;
    Properties overrides;
  };
  struct Group {
    kafka::GroupState state = kafka::GroupState::kEmpty;
    int members = 0;
    kafka::GroupOffsets offsets;
  };

  void RunActionBefore(Op op);  // REQUIRES: mu_ not held
  // Counts the call and pops an injected whole-call failure, if any. REQUIRES: mu_ held.
  std::optional<Error> BeginCall(Op op);
  // The injected failure of `op` for `name`, if any. REQUIRES: mu_ held.
  std::optional<Error> FailureFor(Op op, const std::string& name) const;
  // Why `name=value` cannot be a topic override, or nullopt. REQUIRES: mu_ held.
  std::optional<Error> CheckOverride(const std::string& context, const std::string& name) const;

  const int brokers_;
  mutable std::mutex mu_;
  std::map<std::string, ConfigDefinition> definitions_;  // guarded by mu_
  std::map<std::string, Topic> topics_;                  // guarded by mu_
  std::set<kafka::AclBinding> acls_;                     // guarded by mu_
  bool authorizer_ = true;                               // guarded by mu_
  std::map<std::string, Group> groups_;                  // guarded by mu_
  std::map<Op, int> calls_;                              // guarded by mu_
  std::map<Op, std::deque<Error>> next_call_failures_;   // guarded by mu_
  std::map<Op, std::deque<std::function<void()>>> next_call_actions_;  // guarded by mu_
  std::map<std::pair<Op, std::string>, Error> item_failures_;  // guarded by mu_
};

}  // namespace ferry::testing
