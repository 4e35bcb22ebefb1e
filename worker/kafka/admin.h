// Admin: the cluster operations MM2's connectors need (topics, partitions, topic configs, topic ACLs,
// consumer-group offsets), as one small interface whose every answer is a Result. RdKafkaAdmin speaks
// to a real cluster through librdkafka 2.0.2's Admin API; tests use FakeAdmin (tests/fakes/fake_admin.h),
// an in-memory cluster, because the 2.0.2 mock broker has no admin APIs (see below).
//
// Batch calls answer per item: the outer Result fails only when the whole request did (timeout,
// transport, authorization of the request); each topic or ACL then has its own Result.
//
// What librdkafka 2.0.2's mock cluster answers (docs/testing.md, "The mock's limits"):
//   ListTopics, ListConsumerGroupOffsets (named partitions), AlterConsumerGroupOffsets: work.
//   DeleteConsumerGroupOffsets: the mock closes the connection (no OffsetDelete): an error.
//   CreateTopics, CreatePartitions, DescribeTopicConfigs, AlterTopicConfigs, DescribeAcls, CreateAcls:
//     time out ("waiting for controller"); RdKafkaAdmin returns a kTimeout Error after its timeout.
//   ListConsumerGroups: kUnsupported (and librdkafka 2.0.2 leaks one 176-byte allocation per process
//     on that path, which LeakSanitizer reports: keep it out of sanitized tests).
//   ListConsumerGroupOffsets with no partitions: nothing (the mock has no "all topics" OffsetFetch).
//   DescribeConsumerGroupState: ABORTS THE PROCESS (librdkafka 2.0.2: the mock has no DescribeGroups, and
//     a coordinator request that fails to be sent frees its eonce twice, rdkafka_admin.c:495-501 and
//     rdkafka_queue.h:1038). Never call it there.
//
// Thread-safety: RdKafkaAdmin's methods may be called from any thread (each call has its own queue on
// a shared rd_kafka_t). Implementations must be, too.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <librdkafka/rdkafka.h>

#include "worker/common/result.h"
#include "worker/common/types.h"
#include "worker/kafka/handles.h"

namespace ferry::kafka {

// Per-item answers of a batch call, by topic name.
template <typename T = void>
using TopicResults = std::map<std::string, Result<T>>;

// A topic to create. -1 means the broker's default (KIP-464, brokers >= 2.4).
struct NewTopic {
  std::string name;
  int partitions = -1;
  int replication_factor = -1;
  Properties configs;  // topic-level overrides, e.g. cleanup.policy=compact
};

enum class TopicCreation {
  kCreated,
  kAlreadyExisted,  // TOPIC_ALREADY_EXISTS: someone else created it; counts as success
};

// Where a config value comes from; Kafka's ConfigSource, numbered as librdkafka numbers it.
enum class ConfigSource {
  kUnknown = RD_KAFKA_CONFIG_SOURCE_UNKNOWN_CONFIG,
  kDynamicTopic = RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG,  // a topic override
  kDynamicBroker = RD_KAFKA_CONFIG_SOURCE_DYNAMIC_BROKER_CONFIG,
  kDynamicDefaultBroker = RD_KAFKA_CONFIG_SOURCE_DYNAMIC_DEFAULT_BROKER_CONFIG,
  kStaticBroker = RD_KAFKA_CONFIG_SOURCE_STATIC_BROKER_CONFIG,  // server.properties
  kDefault = RD_KAFKA_CONFIG_SOURCE_DEFAULT_CONFIG,             // Kafka's built-in default
};
const char* ConfigSourceName(ConfigSource source);  // "DYNAMIC_TOPIC_CONFIG", ...

// One entry of a DescribeConfigs answer.
struct ConfigEntry {
  std::optional<std::string> value;  // nullopt when sensitive or unset
  bool is_default = false;           // source == kDefault, as Java's ConfigEntry.isDefault()
  bool is_sensitive = false;
  bool is_read_only = false;
  ConfigSource source = ConfigSource::kUnknown;

  bool operator==(const ConfigEntry&) const = default;
};
// A topic's whole configuration: config name -> entry (defaults included).
using TopicConfigs = std::map<std::string, ConfigEntry>;

// ACLs, with Kafka's enums numbered as librdkafka numbers them. 2.0.2 knows topic, group and broker
// (cluster) resources only.
enum class AclResourceType {
  kAny = RD_KAFKA_RESOURCE_ANY,  // filters only
  kTopic = RD_KAFKA_RESOURCE_TOPIC,
  kGroup = RD_KAFKA_RESOURCE_GROUP,
  kBroker = RD_KAFKA_RESOURCE_BROKER,
};
enum class AclPatternType {
  kAny = RD_KAFKA_RESOURCE_PATTERN_ANY,      // filters only: any pattern type
  kMatch = RD_KAFKA_RESOURCE_PATTERN_MATCH,  // filters only: every pattern that matches the name
  kLiteral = RD_KAFKA_RESOURCE_PATTERN_LITERAL,
  kPrefixed = RD_KAFKA_RESOURCE_PATTERN_PREFIXED,
};
enum class AclOperation {
  kAny = RD_KAFKA_ACL_OPERATION_ANY,  // filters only
  kAll = RD_KAFKA_ACL_OPERATION_ALL,
  kRead = RD_KAFKA_ACL_OPERATION_READ,
  kWrite = RD_KAFKA_ACL_OPERATION_WRITE,
  kCreate = RD_KAFKA_ACL_OPERATION_CREATE,
  kDelete = RD_KAFKA_ACL_OPERATION_DELETE,
  kAlter = RD_KAFKA_ACL_OPERATION_ALTER,
  kDescribe = RD_KAFKA_ACL_OPERATION_DESCRIBE,
  kClusterAction = RD_KAFKA_ACL_OPERATION_CLUSTER_ACTION,
  kDescribeConfigs = RD_KAFKA_ACL_OPERATION_DESCRIBE_CONFIGS,
  kAlterConfigs = RD_KAFKA_ACL_OPERATION_ALTER_CONFIGS,
  kIdempotentWrite = RD_KAFKA_ACL_OPERATION_IDEMPOTENT_WRITE,
};
enum class AclPermission {
  kAny = RD_KAFKA_ACL_PERMISSION_TYPE_ANY,  // filters only
  kDeny = RD_KAFKA_ACL_PERMISSION_TYPE_DENY,
  kAllow = RD_KAFKA_ACL_PERMISSION_TYPE_ALLOW,
};

struct AclBinding {
  AclResourceType resource_type = AclResourceType::kTopic;
  std::string resource_name;
  AclPatternType pattern_type = AclPatternType::kLiteral;
  std::string principal;  // "User:alice"
  std::string host = "*";
  AclOperation operation = AclOperation::kRead;
  AclPermission permission = AclPermission::kAllow;

  auto operator<=>(const AclBinding&) const = default;
  // "(pattern=TOPIC:LITERAL:orders, principal=User:alice, host=*, operation=READ, permission=ALLOW)"
  std::string ToString() const;
};
inline std::ostream& operator<<(std::ostream& os, const AclBinding& acl) { return os << acl.ToString(); }

// Which ACLs DescribeAcls returns. The default asks for every topic ACL, as MM2 does.
struct AclBindingFilter {
  AclResourceType resource_type = AclResourceType::kTopic;
  std::optional<std::string> resource_name;  // nullopt: any name
  AclPatternType pattern_type = AclPatternType::kAny;
};

struct OffsetAndMetadata {
  int64_t offset = -1;
  std::string metadata;

  bool operator==(const OffsetAndMetadata&) const = default;
};
using GroupOffsets = std::map<TopicPartition, OffsetAndMetadata>;

enum class GroupState {
  kUnknown = RD_KAFKA_CONSUMER_GROUP_STATE_UNKNOWN,
  kPreparingRebalance = RD_KAFKA_CONSUMER_GROUP_STATE_PREPARING_REBALANCE,
  kCompletingRebalance = RD_KAFKA_CONSUMER_GROUP_STATE_COMPLETING_REBALANCE,
  kStable = RD_KAFKA_CONSUMER_GROUP_STATE_STABLE,
  kDead = RD_KAFKA_CONSUMER_GROUP_STATE_DEAD,
  kEmpty = RD_KAFKA_CONSUMER_GROUP_STATE_EMPTY,
};
const char* GroupStateName(GroupState state);  // "Stable", "Empty", ... as Kafka prints them

struct GroupListing {
  std::string group_id;
  bool is_simple = false;  // a group that only commits offsets (no members, no protocol)
  GroupState state = GroupState::kUnknown;
};

struct GroupDescription {
  std::string group_id;
  GroupState state = GroupState::kUnknown;
  int members = 0;
  bool is_simple = false;
  // Kafka's classic DescribeGroups cannot see a group of the `consumer` protocol (KIP-848, Kafka 4.0+):
  // it answers Dead with no members while such a group has live consumers. Its state then comes from
  // ListGroups, which lists every group type, and its member count is unknown (`members` is 0).
  bool members_unknown = false;

  // Whether consumers hold the group: it has members, or its members cannot be counted and it is
  // neither Empty nor Dead (Stable, or a state librdkafka 2.0.2 has no name for: Assigning, Reconciling).
  bool active() const {
    return members > 0 || (members_unknown && state != GroupState::kEmpty && state != GroupState::kDead);
  }
};

class Admin {
 public:
  Admin() = default;
  virtual ~Admin() = default;
  Admin(const Admin&) = delete;
  Admin& operator=(const Admin&) = delete;

  // Every topic of the cluster (internal ones included) with its partition count, from a metadata
  // request for all topics, which never auto-creates anything. Topics whose metadata carries an
  // error (e.g. one being deleted) are left out.
  virtual Result<std::map<std::string, int>> ListTopics() = 0;

  // Creates `topics` (names must be distinct: a repeated name is a bug). Per topic: kCreated, or
  // kAlreadyExisted (TOPIC_ALREADY_EXISTS counts as success), or the broker's reason.
  virtual Result<TopicResults<TopicCreation>> CreateTopics(const std::vector<NewTopic>& topics) = 0;

  // Grows each topic to the given total partition count. REQUIRES: counts >= 1. A count that is
  // not larger than the current one is the topic's error (INVALID_PARTITIONS): partitions never shrink.
  virtual Result<TopicResults<>> CreatePartitions(const std::map<std::string, int>& total_counts) = 0;

  // The whole configuration of each topic, defaults included (sensitive values are nullopt).
  virtual Result<TopicResults<TopicConfigs>> DescribeTopicConfigs(const std::vector<std::string>& topics) = 0;

  // Kafka's legacy, NON-incremental AlterConfigs (librdkafka 2.0.2 has no IncrementalAlterConfigs):
  // for each topic, `configs` becomes its whole set of overrides. Every override not listed reverts
  // to its default. To change one value, describe first and send the full resulting set.
  virtual Result<TopicResults<>> AlterTopicConfigs(const std::map<std::string, Properties>& configs) = 0;

  // ACLs matching `filter`. A cluster without an authorizer answers kUnsupported (SECURITY_DISABLED).
  virtual Result<std::vector<AclBinding>> DescribeAcls(const AclBindingFilter& filter) = 0;

  // Creates `acls` (creating an existing one succeeds). One Result per binding, in input order.
  virtual Result<std::vector<Result<>>> CreateAcls(const std::vector<AclBinding>& acls) = 0;

  // Every consumer group the brokers know. An error from any broker fails the call, so a listing is
  // never silently partial. The 2.0.2 mock answers kUnsupported.
  virtual Result<std::vector<GroupListing>> ListConsumerGroups() = 0;

  // The committed offsets (with metadata) of `group`. With `partitions` given, only those are asked
  // for (this works against the mock); empty asks for every partition the group committed (needs
  // OffsetFetch v2+; the 2.0.2 mock answers none). Partitions without a committed offset, and
  // unknown groups, give no entries. Implemented with the Admin API's ListConsumerGroupOffsets on the
  // admin client, so no client with that group.id (or per group) is needed.
  virtual Result<GroupOffsets> ListConsumerGroupOffsets(const std::string& group,
                                                        const std::vector<TopicPartition>& partitions) = 0;

  // Commits `offsets` for `group` with the Admin API's AlterConsumerGroupOffsets (an OffsetCommit
  // without membership, which the mock accepts). Kafka refuses it for a group with active members
  // (UNKNOWN_MEMBER_ID), which keeps a mirror from moving a live consumer's position. An error for
  // any partition fails the call, naming the partition; others may have been committed.
  virtual Result<> AlterConsumerGroupOffsets(const std::string& group, const GroupOffsets& offsets) = 0;

  // Removes the committed offsets of `partitions` from `group` (OffsetDelete, Kafka 2.4+), as if the
  // group had never committed there. Kafka refuses it for a partition of a topic a live member is
  // subscribed to (GROUP_SUBSCRIBED_TO_TOPIC). An error for any partition fails the call, naming it.
  // The 2.0.2 mock has no OffsetDelete (it closes the connection): a timeout or transport error.
  virtual Result<> DeleteConsumerGroupOffsets(const std::string& group,
                                              const std::vector<TopicPartition>& partitions) = 0;

  // State and member count of `group` (DescribeConsumerGroups; for a group DescribeGroups answers
  // Dead, also ListGroups, which sees KIP-848 groups: see GroupDescription::members_unknown).
  // WARNING: librdkafka 2.0.2 ABORTS THE PROCESS when the broker cannot describe groups, which is
  // the case of its mock cluster. Never call this against the mock; tests use FakeAdmin.
  virtual Result<GroupDescription> DescribeConsumerGroupState(const std::string& group) = 0;

  // For an owner that is stopping (a connector, a task): every call in flight returns now with
  // kUnavailable, and every later call fails so at once, without reaching the cluster. Idempotent;
  // any thread. The default does nothing (an Admin whose calls never wait, such as a fake).
  virtual void Cancel() {}
};

using AdminPtr = std::unique_ptr<Admin>;

// An Admin that passes every call to another; a base for decorators that change one or two calls.
class ForwardingAdmin : public Admin {
 public:
  explicit ForwardingAdmin(AdminPtr admin) : admin_(std::move(admin)) {}
  Result<std::map<std::string, int>> ListTopics() override { return admin_->ListTopics(); }
  Result<TopicResults<TopicCreation>> CreateTopics(const std::vector<NewTopic>& topics) override {
    return admin_->CreateTopics(topics);
  }
  Result<TopicResults<>> CreatePartitions(const std::map<std::string, int>& counts) override {
    return admin_->CreatePartitions(counts);
  }
  Result<TopicResults<TopicConfigs>> DescribeTopicConfigs(const std::vector<std::string>& topics) override {
    return admin_->DescribeTopicConfigs(topics);
  }
  Result<TopicResults<>> AlterTopicConfigs(const std::map<std::string, Properties>& configs) override {
    return admin_->AlterTopicConfigs(configs);
  }
  Result<std::vector<AclBinding>> DescribeAcls(const AclBindingFilter& filter) override {
    return admin_->DescribeAcls(filter);
  }
  Result<std::vector<Result<>>> CreateAcls(const std::vector<AclBinding>& acls) override { return admin_->CreateAcls(acls); }
  Result<std::vector<GroupListing>> ListConsumerGroups() override { return admin_->ListConsumerGroups(); }
  Result<GroupOffsets> ListConsumerGroupOffsets(const std::string& group,
                                                const std::vector<TopicPartition>& partitions) override {
    return admin_->ListConsumerGroupOffsets(group, partitions);
  }
  Result<> AlterConsumerGroupOffsets(const std::string& group, const GroupOffsets& offsets) override {
    return admin_->AlterConsumerGroupOffsets(group, offsets);
  }
  Result<> DeleteConsumerGroupOffsets(const std::string& group, const std::vector<TopicPartition>& partitions) override {
    return admin_->DeleteConsumerGroupOffsets(group, partitions);
  }
  Result<GroupDescription> DescribeConsumerGroupState(const std::string& group) override {
    return admin_->DescribeConsumerGroupState(group);
  }
  void Cancel() override { admin_->Cancel(); }

 private:
  AdminPtr admin_;
};

// Admin over librdkafka. Every call waits at most `timeout` (request timeout, and for topic creation
// and growth also the broker's operation timeout), plus one second for the answer to arrive.
//
// The calls that go to a group coordinator (ListConsumerGroupOffsets, AlterConsumerGroupOffsets,
// DeleteConsumerGroupOffsets, DescribeConsumerGroupState) are timed by Ferry, not by librdkafka:
// librdkafka 2.0.2 aborts the process when such a request times out before it was sent to the
// coordinator and the coordinator is found afterwards (see admin.cc). So librdkafka gets its longest
// request timeout (one hour), Ferry stops waiting after `timeout` (at most 20 minutes), and a call
// left unanswered retires the client handle: later calls get a new one, and the old one is destroyed
// when its last call returns, which librdkafka 2.0.2 handles safely.
//
// Cancel() makes a stop prompt, whatever `timeout` is: every wait is cut in slices of at most
// kCancelCheck (a wait on the call's own reply queue, or ListTopics' wait for a broker it can reach),
// and a call that sees the admin cancelled stops waiting and retires its handle as an unanswered
// coordinator call does. So the op left behind in librdkafka is ended by the handle's destruction
// when its last call returns, never by its own timer (see admin.cc).
class RdKafkaAdmin : public Admin {
 public:
  // `client_props`: bootstrap.servers, security, client.id... (a consumer handle is made from them, see admin.cc).
  static Result<std::unique_ptr<RdKafkaAdmin>> Create(const Properties& client_props,
                                                      std::chrono::milliseconds timeout);
  Result<std::map<std::string, int>> ListTopics() override;
  Result<TopicResults<TopicCreation>> CreateTopics(const std::vector<NewTopic>& topics) override;
  Result<TopicResults<>> CreatePartitions(const std::map<std::string, int>& total_counts) override;
  Result<TopicResults<TopicConfigs>> DescribeTopicConfigs(const std::vector<std::string>& topics) override;
  Result<TopicResults<>> AlterTopicConfigs(const std::map<std::string, Properties>& configs) override;
  Result<std::vector<AclBinding>> DescribeAcls(const AclBindingFilter& filter) override;
  Result<std::vector<Result<>>> CreateAcls(const std::vector<AclBinding>& acls) override;
  Result<std::vector<GroupListing>> ListConsumerGroups() override;
  Result<GroupOffsets> ListConsumerGroupOffsets(const std::string& group,
                                                const std::vector<TopicPartition>& partitions) override;
  Result<> AlterConsumerGroupOffsets(const std::string& group, const GroupOffsets& offsets) override;
  Result<> DeleteConsumerGroupOffsets(const std::string& group, const std::vector<TopicPartition>& partitions) override;
  Result<GroupDescription> DescribeConsumerGroupState(const std::string& group) override;
  void Cancel() override;

  // How often a waiting call looks whether the admin was cancelled.
  static constexpr std::chrono::milliseconds kCancelCheck{200};

  // How many client handles this admin has retired after an unanswered coordinator call.
  int RetiredHandlesForTest() const;

 private:
  // A client handle shared by the calls using it; destroyed (rd_kafka_destroy) with its last user.
  using SharedHandle = std::shared_ptr<rd_kafka_t>;

  RdKafkaAdmin(Properties client_props, HandlePtr rk, std::chrono::milliseconds timeout);

  // The current handle (a new one after a retirement).
  Result<SharedHandle> Handle();
  // Stops handing out `rk` (if still current) after a call on it went unanswered.
  void Retire(const SharedHandle& rk);

  // Options for `op` with this admin's timeouts; `coordinator`: librdkafka's longest request timeout.
  Result<AdminOptionsPtr> Options(rd_kafka_t* rk, rd_kafka_admin_op_t op, bool coordinator = false) const;
  // Waits for the answer of `what` on `queue` (a call on `rk`); the event's own error becomes the Error.
  Result<EventPtr> Await(const SharedHandle& rk, rd_kafka_queue_t* queue, const std::string& what);
  // Await for a coordinator call on `rk`: Ferry's own deadline, and the handle retired if it passes.
  Result<EventPtr> AwaitCoordinator(const SharedHandle& rk, rd_kafka_queue_t* queue, const std::string& what);
  // Polls `queue` for at most `wait`, in slices, until an event comes or the admin is cancelled
  // (then `rk` is retired and the Error says so). nullptr: `wait` passed.
  Result<EventPtr> Poll(const SharedHandle& rk, rd_kafka_queue_t* queue, std::chrono::milliseconds wait,
                        const std::string& what);
  Error Cancelled(const std::string& what) const;

  const Properties client_props_;
  const std::chrono::milliseconds timeout_;
  mutable std::mutex mu_;
  SharedHandle rk_;  // guarded by mu_; null after a retirement until the next call
  int retired_ = 0;  // guarded by mu_
  std::atomic<bool> cancelled_{false};
};

// The Error for a librdkafka error code, with Ferry's code for it (kTimeout for timeouts, kNotFound
// for unknown topics or groups, kForbidden for authorization failures, kUnsupported for
// SECURITY_DISABLED and unsupported features, else kKafka). `context` says what Ferry was doing;
// `reason` (the broker's message) is added when present.
Error AdminError(const std::string& context, rd_kafka_resp_err_t err, const char* reason = nullptr);

}  // namespace ferry::kafka
