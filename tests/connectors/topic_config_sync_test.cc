// Remote topic creation, partition growth and topic config sync, run against FakeAdmin: the
// librdkafka 2.0.2 mock has no CreateTopics, CreatePartitions, DescribeConfigs or AlterConfigs, so
// none of these tests claims a real broker did the work (tests/worker/admin_test.cc covers what
// RdKafkaAdmin does against the mock).
#include "connectors/topic_config_sync.h"

#include <memory>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "connectors/config_property_filter.h"
#include "connectors/replication_policy.h"
#include "tests/fakes/fake_admin.h"

namespace ferry::connectors {
namespace {

using kafka::ConfigEntry;
using kafka::ConfigSource;
using testing::FakeAdmin;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using DefaultsFrom = ConfigPropertyFilter::DefaultsFrom;

ConfigPropertyFilter Filter(const Properties& config = {}) {
  auto filter = ConfigPropertyFilter::FromConfig(config);
  CHECK(filter.ok()) << filter.error().ToString();
  return std::move(*filter);
}

// MM2's shouldReplicateTopic for a flow A -> B with the default topic filter: not internal, not
// excluded by `topics.exclude` (simplified here to `*.replica`), not a topic that came from B.
MirrorTopics FlowAToB(std::shared_ptr<const ReplicationPolicy> policy =
                          std::make_shared<DefaultReplicationPolicy>()) {
  MirrorTopics topics;
  topics.source_alias = "A";
  topics.policy = policy;
  topics.should_replicate = [policy](const std::string& topic) {
    if (policy->IsInternalTopic(topic)) return false;
    if (topic.size() >= 8 && topic.compare(topic.size() - 8, 8, ".replica") == 0) return false;
    return policy->TopicSource(topic) != std::optional<std::string>("B");
  };
  return topics;
}

class TopicConfigSyncWithFakeAdminTest : public ::testing::Test {
 protected:
  void SetUp() override {
    source_.DefineKafkaTopicConfigs();
    target_.DefineKafkaTopicConfigs();
  }

  TopicSyncOptions Options(const Properties& filter_config = {}, int replication_factor = 2) {
    return TopicSyncOptions{FlowAToB(), replication_factor, Filter(filter_config)};
  }

  SyncReport Create(const TopicSyncOptions& options) {
    auto report = SyncRemoteTopics(source_, target_, options);
    CHECK(report.ok()) << report.error().ToString();
    return std::move(*report);
  }
  SyncReport SyncConfigs(const TopicSyncOptions& options) {
    auto report = SyncTopicConfigs(source_, target_, options);
    CHECK(report.ok()) << report.error().ToString();
    return std::move(*report);
  }

  FakeAdmin source_;
  FakeAdmin target_;
};

TEST_F(TopicConfigSyncWithFakeAdminTest, CreatesRemoteTopicWithSourcePartitionsAndFilteredConfigs) {
  source_.AddTopic("orders", 3,
                   {{"cleanup.policy", "compact"},
                    {"retention.ms", "1000"},
                    {"min.insync.replicas", "2"},                 // excluded by default
                    {"message.timestamp.type", "LogAppendTime"},  // excluded by default
                    {"unclean.leader.election.enable", "true"}});  // excluded by default

  SyncReport report = Create(Options());

  const Properties expected{{"cleanup.policy", "compact"}, {"retention.ms", "1000"}};
  EXPECT_EQ(target_.Partitions("A.orders"), 3);
  EXPECT_EQ(target_.ReplicationFactor("A.orders"), 2);
  EXPECT_EQ(target_.Overrides("A.orders"), expected);
  ASSERT_EQ(report.created.size(), 1u);
  EXPECT_EQ(report.created[0].topic, "A.orders");
  EXPECT_EQ(report.created[0].partitions, 3);
  EXPECT_EQ(report.created[0].replication_factor, 2);
  EXPECT_EQ(report.created[0].configs, expected);
  EXPECT_THAT(report.errors, IsEmpty());
  EXPECT_TRUE(report.changed());
  EXPECT_THAT(report.ToString(), HasSubstr("created 1 topic(s) [A.orders(3)]"));
}

TEST_F(TopicConfigSyncWithFakeAdminTest, SourceDefaultsAreNotCopiedByDefault) {
  source_.AddTopic("orders", 2);  // no overrides: everything at Kafka's default
  SyncReport report = Create(Options());
  ASSERT_EQ(report.created.size(), 1u);
  EXPECT_THAT(report.created[0].configs, IsEmpty());
  EXPECT_EQ(target_.Overrides("A.orders"), Properties{});
}

TEST_F(TopicConfigSyncWithFakeAdminTest, UseDefaultsFromSourceCopiesDefaultsButNotExcludedOnes) {
  source_.AddTopic("orders", 2);
  SyncReport report = Create(Options({{"use.defaults.from", "source"}}));
  ASSERT_EQ(report.created.size(), 1u);
  const Properties& configs = report.created[0].configs;
  EXPECT_EQ(configs.at("retention.ms"), "604800000");
  EXPECT_EQ(configs.at("cleanup.policy"), "delete");
  EXPECT_FALSE(configs.count("min.insync.replicas"));
  EXPECT_FALSE(configs.count("message.timestamp.type"));
  EXPECT_FALSE(configs.count("follower.replication.throttled.replicas"));
  EXPECT_EQ(target_.Overrides("A.orders"), configs);
}

TEST_F(TopicConfigSyncWithFakeAdminTest, StaticBrokerReadOnlyAndSensitiveEntriesAreNeverCopied) {
  source_.DefineConfig("segment.bytes", "536870912", ConfigSource::kStaticBroker);       // server.properties
  source_.DefineConfig("retention.bytes", "1000000", ConfigSource::kDynamicDefaultBroker);  // not a default
  source_.DefineConfig("some.read.only", "x", ConfigSource::kDynamicBroker, /*read_only=*/true);
  source_.DefineConfig("some.secret", std::nullopt, ConfigSource::kDefault, false, /*sensitive=*/true);
  source_.AddTopic("orders", 1, {{"some.secret", "hunter2"}, {"retention.ms", "5"}});

  SyncReport report = Create(Options());

  // MM2 copies what is not Kafka's built-in default, so a dynamic cluster-wide default is copied too.
  const Properties expected{{"retention.bytes", "1000000"}, {"retention.ms", "5"}};
  ASSERT_EQ(report.created.size(), 1u);
  EXPECT_EQ(report.created[0].configs, expected);
  EXPECT_EQ(target_.Overrides("A.orders"), expected);
}

TEST_F(TopicConfigSyncWithFakeAdminTest, CustomExcludeRegexesReplaceTheDefaults) {
  source_.AddTopic("orders", 1, {{"retention.ms", "5"}, {"retention.bytes", "6"}, {"min.insync.replicas", "2"},
                                 {"segment.ms", "7"}});
  Create(Options({{"config.properties.exclude", "retention\\..*"}}));
  // The list replaces MM2's default list, so min.insync.replicas is copied now.
  EXPECT_EQ(target_.Overrides("A.orders"), (Properties{{"min.insync.replicas", "2"}, {"segment.ms", "7"}}));
}

TEST_F(TopicConfigSyncWithFakeAdminTest, OnlySelectedTopicsAreMirrored) {
  source_.AddTopic("orders", 1);
  source_.AddTopic("__consumer_offsets", 50);
  source_.AddTopic("mm2-offset-syncs.B.internal", 1);
  source_.AddTopic("orders.replica", 1);
  source_.AddTopic("B.orders", 1);  // came from B: a cycle
  SyncReport report = Create(Options());
  ASSERT_EQ(report.created.size(), 1u);
  EXPECT_EQ(report.created[0].topic, "A.orders");
  EXPECT_EQ(target_.ListTopics().value(), (std::map<std::string, int>{{"A.orders", 1}}));
}

TEST_F(TopicConfigSyncWithFakeAdminTest, IdentityPolicyKeepsTheName) {
  source_.AddTopic("orders", 2);
  TopicSyncOptions options = Options();
  options.topics = FlowAToB(std::make_shared<IdentityReplicationPolicy>("A"));
  Create(options);
  EXPECT_EQ(target_.Partitions("orders"), 2);
}

TEST_F(TopicConfigSyncWithFakeAdminTest, GrowsARemoteTopicWithFewerPartitions) {
  source_.AddTopic("orders", 5);
  target_.AddTopic("A.orders", 2);
  SyncReport report = Create(Options());
  EXPECT_EQ(target_.Partitions("A.orders"), 5);
  ASSERT_EQ(report.grown.size(), 1u);
  EXPECT_EQ(report.grown[0].topic, "A.orders");
  EXPECT_EQ(report.grown[0].from, 2);
  EXPECT_EQ(report.grown[0].to, 5);
  EXPECT_THAT(report.created, IsEmpty());
  EXPECT_THAT(report.ToString(), HasSubstr("grew 1 topic(s) [A.orders 2->5]"));
}

TEST_F(TopicConfigSyncWithFakeAdminTest, NeverShrinksARemoteTopic) {
  source_.AddTopic("orders", 3);
  target_.AddTopic("A.orders", 8);
  SyncReport report = Create(Options());
  EXPECT_EQ(target_.Partitions("A.orders"), 8);
  EXPECT_FALSE(report.changed());
  EXPECT_EQ(target_.Writes(), 0);
  EXPECT_EQ(report.ToString(), "nothing changed");
}

TEST_F(TopicConfigSyncWithFakeAdminTest, SecondPassChangesNothing) {
  source_.AddTopic("orders", 3, {{"cleanup.policy", "compact"}});
  source_.AddTopic("users", 1, {{"retention.ms", "1000"}, {"min.insync.replicas", "2"}});
  target_.AddTopic("A.users", 1, {{"min.insync.replicas", "3"}});  // the target's own setting
  ASSERT_TRUE(Create(Options()).changed());
  ASSERT_TRUE(SyncConfigs(Options()).changed());  // A.users gets retention.ms
  const int writes = target_.Writes();

  SyncReport again = Create(Options());
  SyncReport configs_again = SyncConfigs(Options());

  EXPECT_FALSE(again.changed());
  EXPECT_FALSE(configs_again.changed());
  EXPECT_THAT(again.errors, IsEmpty());
  EXPECT_THAT(configs_again.errors, IsEmpty());
  EXPECT_EQ(target_.Writes(), writes);
}

TEST_F(TopicConfigSyncWithFakeAdminTest, SecondPassChangesNothingWithDefaultsFromSource) {
  source_.AddTopic("orders", 3, {{"cleanup.policy", "compact"}});
  const Properties config{{"use.defaults.from", "source"}};
  ASSERT_TRUE(Create(Options(config)).changed());
  const int writes = target_.Writes();
  EXPECT_FALSE(Create(Options(config)).changed());
  EXPECT_FALSE(SyncConfigs(Options(config)).changed());
  EXPECT_EQ(target_.Writes(), writes);
}

TEST_F(TopicConfigSyncWithFakeAdminTest, ConcurrentCreationIsReportedAsAlreadyExisting) {
  // A target whose listing is stale: the topic exists by the time CreateTopics runs.
  class StaleListing : public FakeAdmin {
   public:
    Result<std::map<std::string, int>> ListTopics() override {
      auto topics = FakeAdmin::ListTopics();
      if (topics.ok()) topics->erase("A.orders");
      return topics;
    }
  } target;
  target.AddTopic("A.orders", 3);
  source_.AddTopic("orders", 3);

  auto report = SyncRemoteTopics(source_, target, Options());

  ASSERT_TRUE(report.ok()) << report.error().ToString();
  EXPECT_THAT(report->already_existed, ElementsAre("A.orders"));
  EXPECT_THAT(report->created, IsEmpty());
  EXPECT_THAT(report->errors, IsEmpty());
  EXPECT_FALSE(report->changed());
}

TEST_F(TopicConfigSyncWithFakeAdminTest, CreationErrorNamesTheTopicAndOthersProceed) {
  source_.AddTopic("orders", 3);
  source_.AddTopic("users", 1);
  target_.FailFor(FakeAdmin::Op::kCreateTopics, "A.orders",
                  kafka::AdminError("create topic 'A.orders'", RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED));

  SyncReport report = Create(Options());

  ASSERT_EQ(report.errors.size(), 1u);
  EXPECT_EQ(report.errors[0].code(), ErrorCode::kForbidden);
  EXPECT_THAT(report.errors[0].message(), HasSubstr("remote topic 'A.orders' (source topic 'orders')"));
  EXPECT_THAT(report.ToString(), HasSubstr("1 error(s)"));
  EXPECT_EQ(target_.Partitions("A.orders"), std::nullopt);
  EXPECT_EQ(target_.Partitions("A.users"), 1);
}

TEST_F(TopicConfigSyncWithFakeAdminTest, ReplicationFactorAboveBrokerCountIsTheTopicsError) {
  source_.AddTopic("orders", 3);
  SyncReport report = Create(Options({}, /*replication_factor=*/5));
  ASSERT_EQ(report.errors.size(), 1u);
  EXPECT_EQ(report.errors[0].kafka_err(), RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR);
  EXPECT_THAT(report.errors[0].message(), HasSubstr("'A.orders'"));
  EXPECT_THAT(report.errors[0].message(), HasSubstr("larger than available brokers"));
}

TEST_F(TopicConfigSyncWithFakeAdminTest, TopicWhoseSourceConfigsCannotBeReadIsNotCreated) {
  source_.AddTopic("orders", 3, {{"cleanup.policy", "compact"}});
  source_.AddTopic("users", 1);
  source_.FailFor(FakeAdmin::Op::kDescribeTopicConfigs, "orders",
                  kafka::AdminError("describe configs of 'orders'", RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED));

  SyncReport report = Create(Options());

  // Created without its configs, a compacted topic would delete data: better not at all.
  EXPECT_EQ(target_.Partitions("A.orders"), std::nullopt);
  EXPECT_EQ(target_.Partitions("A.users"), 1);
  ASSERT_EQ(report.errors.size(), 1u);
  EXPECT_THAT(report.errors[0].message(), HasSubstr("'A.orders'"));
  EXPECT_THAT(report.errors[0].message(), HasSubstr("reading source configs"));
}

TEST_F(TopicConfigSyncWithFakeAdminTest, WholeCreateCallFailureIsEachTopicsError) {
  source_.AddTopic("orders", 3);
  source_.AddTopic("users", 1);
  target_.FailNextCall(FakeAdmin::Op::kCreateTopics, Error::Timeout("create topics: no answer within 60000 ms"));
  SyncReport report = Create(Options());
  ASSERT_EQ(report.errors.size(), 2u);
  EXPECT_THAT(report.errors[0].message(), HasSubstr("'A.orders'"));
  EXPECT_THAT(report.errors[1].message(), HasSubstr("'A.users'"));
  EXPECT_TRUE(report.errors[0].retriable());
  // The next pass succeeds.
  EXPECT_EQ(Create(Options()).created.size(), 2u);
}

TEST_F(TopicConfigSyncWithFakeAdminTest, GrowthErrorNamesTheTopic) {
  source_.AddTopic("orders", 5);
  target_.AddTopic("A.orders", 2);
  target_.FailFor(FakeAdmin::Op::kCreatePartitions, "A.orders",
                  kafka::AdminError("add partitions to 'A.orders'", RD_KAFKA_RESP_ERR_POLICY_VIOLATION));
  SyncReport report = Create(Options());
  ASSERT_EQ(report.errors.size(), 1u);
  EXPECT_THAT(report.errors[0].message(), HasSubstr("adding partitions to remote topic 'A.orders'"));
  EXPECT_THAT(report.grown, IsEmpty());
  EXPECT_EQ(target_.Partitions("A.orders"), 2);
}

TEST_F(TopicConfigSyncWithFakeAdminTest, ConcurrentGrowthIsIgnored) {
  source_.AddTopic("orders", 5);
  target_.AddTopic("A.orders", 2);
  target_.FailFor(FakeAdmin::Op::kCreatePartitions, "A.orders",
                  kafka::AdminError("add partitions to 'A.orders'", RD_KAFKA_RESP_ERR_INVALID_PARTITIONS));
  SyncReport report = Create(Options());
  EXPECT_THAT(report.errors, IsEmpty());
  EXPECT_FALSE(report.changed());
}

TEST_F(TopicConfigSyncWithFakeAdminTest, ListingFailureFailsThePassAndWritesNothing) {
  source_.AddTopic("orders", 3);
  source_.FailNextCall(FakeAdmin::Op::kListTopics, Error::Timeout("list topics: timed out"));
  auto report = SyncRemoteTopics(source_, target_, Options());
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.error().code(), ErrorCode::kTimeout);
  EXPECT_THAT(report.error().message(), HasSubstr("listing source topics"));
  EXPECT_EQ(target_.Writes(), 0);

  target_.FailNextCall(FakeAdmin::Op::kListTopics, Error::Timeout("list topics: timed out"));
  auto configs = SyncTopicConfigs(source_, target_, Options());
  ASSERT_FALSE(configs.ok());
  EXPECT_THAT(configs.error().message(), HasSubstr("listing target topics"));
}

// --- Config sync ---

TEST_F(TopicConfigSyncWithFakeAdminTest, ConfigSyncSetsChangedSourceValues) {
  source_.AddTopic("orders", 1, {{"retention.ms", "1000"}});
  Create(Options());
  source_.AddTopic("orders", 1, {{"retention.ms", "2000"}, {"cleanup.policy", "compact"}});

  SyncReport report = SyncConfigs(Options());

  EXPECT_EQ(target_.Overrides("A.orders"), (Properties{{"cleanup.policy", "compact"}, {"retention.ms", "2000"}}));
  ASSERT_EQ(report.altered.size(), 1u);
  EXPECT_EQ(report.altered[0].topic, "A.orders");
  EXPECT_EQ(report.altered[0].set, (Properties{{"cleanup.policy", "compact"}, {"retention.ms", "2000"}}));
  EXPECT_THAT(report.altered[0].reset, IsEmpty());
  EXPECT_THAT(report.ToString(), HasSubstr("altered configs of 1 topic(s)"));
}

TEST_F(TopicConfigSyncWithFakeAdminTest, SourceBackAtDefaultResetsTheTargetOverride) {
  source_.AddTopic("orders", 1, {{"retention.ms", "1000"}, {"cleanup.policy", "compact"}});
  Create(Options());
  source_.AddTopic("orders", 1, {{"cleanup.policy", "compact"}});  // retention.ms back to its default

  SyncReport report = SyncConfigs(Options());

  EXPECT_EQ(target_.Overrides("A.orders"), (Properties{{"cleanup.policy", "compact"}}));
  ASSERT_EQ(report.altered.size(), 1u);
  EXPECT_THAT(report.altered[0].reset, ElementsAre("retention.ms"));
  EXPECT_THAT(report.altered[0].set, IsEmpty());
}

TEST_F(TopicConfigSyncWithFakeAdminTest, ExcludedPropertiesAreNeverCopiedAndTheTargetsOwnAreKept) {
  source_.AddTopic("orders", 1, {{"min.insync.replicas", "2"}, {"retention.ms", "5"}});
  target_.AddTopic("A.orders", 1, {{"min.insync.replicas", "3"}, {"message.timestamp.type", "LogAppendTime"}});

  SyncReport report = SyncConfigs(Options());

  // The full-replace AlterConfigs must carry the target's excluded overrides along.
  EXPECT_EQ(target_.Overrides("A.orders"), (Properties{{"message.timestamp.type", "LogAppendTime"},
                                                       {"min.insync.replicas", "3"},
                                                       {"retention.ms", "5"}}));
  ASSERT_EQ(report.altered.size(), 1u);
  EXPECT_EQ(report.altered[0].set, (Properties{{"retention.ms", "5"}}));
}

TEST_F(TopicConfigSyncWithFakeAdminTest, ConfigSyncWithDefaultsFromSourceSetsThem) {
  source_.AddTopic("orders", 1);
  target_.AddTopic("A.orders", 1);
  SyncReport report = SyncConfigs(Options({{"use.defaults.from", "source"}}));
  auto overrides = target_.Overrides("A.orders");
  ASSERT_TRUE(overrides.has_value());
  EXPECT_EQ(overrides->at("retention.ms"), "604800000");
  EXPECT_FALSE(overrides->count("min.insync.replicas"));
  EXPECT_TRUE(report.changed());
}

TEST_F(TopicConfigSyncWithFakeAdminTest, ConfigSyncSkipsTopicsWithoutRemoteTopic) {
  source_.AddTopic("orders", 1, {{"retention.ms", "5"}});
  SyncReport report = SyncConfigs(Options());
  EXPECT_FALSE(report.changed());
  EXPECT_EQ(target_.Partitions("A.orders"), std::nullopt);
  EXPECT_EQ(target_.Writes(), 0);
}

TEST_F(TopicConfigSyncWithFakeAdminTest, AlterErrorNamesTheTopicAndOthersAreSynced) {
  source_.AddTopic("orders", 1, {{"retention.ms", "5"}});
  source_.AddTopic("users", 1, {{"retention.ms", "6"}});
  target_.AddTopic("A.orders", 1);
  target_.AddTopic("A.users", 1);
  target_.FailFor(FakeAdmin::Op::kAlterTopicConfigs, "A.orders",
                  kafka::AdminError("alter configs of 'A.orders'", RD_KAFKA_RESP_ERR_POLICY_VIOLATION, "no"));

  SyncReport report = SyncConfigs(Options());

  ASSERT_EQ(report.errors.size(), 1u);
  EXPECT_THAT(report.errors[0].message(),
              HasSubstr("syncing configs of remote topic 'A.orders' (source topic 'orders')"));
  EXPECT_EQ(report.errors[0].kafka_err(), RD_KAFKA_RESP_ERR_POLICY_VIOLATION);
  EXPECT_EQ(target_.Overrides("A.orders"), Properties{});
  EXPECT_EQ(target_.Overrides("A.users"), (Properties{{"retention.ms", "6"}}));
}

TEST_F(TopicConfigSyncWithFakeAdminTest, TargetConfigsUnreadableForOneTopicIsItsError) {
  source_.AddTopic("orders", 1, {{"retention.ms", "5"}});
  target_.AddTopic("A.orders", 1);
  target_.FailFor(FakeAdmin::Op::kDescribeTopicConfigs, "A.orders",
                  kafka::AdminError("describe configs of 'A.orders'", RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED));
  SyncReport report = SyncConfigs(Options());
  ASSERT_EQ(report.errors.size(), 1u);
  EXPECT_EQ(report.errors[0].code(), ErrorCode::kForbidden);
  EXPECT_THAT(report.errors[0].message(), HasSubstr("reading target configs"));
  EXPECT_EQ(target_.Writes(), 0);
}

TEST_F(TopicConfigSyncWithFakeAdminTest, DescribeCallFailureFailsTheConfigPass) {
  source_.AddTopic("orders", 1);
  target_.AddTopic("A.orders", 1);
  source_.FailNextCall(FakeAdmin::Op::kDescribeTopicConfigs, Error::Timeout("describe configs: timed out"));
  auto report = SyncTopicConfigs(source_, target_, Options());
  ASSERT_FALSE(report.ok());
  EXPECT_THAT(report.error().message(), HasSubstr("describing source topic configs"));
}

TEST_F(TopicConfigSyncWithFakeAdminTest, HiddenTargetOverrideBlocksTheFullReplace) {
  target_.DefineConfig("some.secret", std::nullopt, ConfigSource::kDefault, false, /*sensitive=*/true);
  source_.AddTopic("orders", 1, {{"retention.ms", "5"}});
  target_.AddTopic("A.orders", 1, {{"some.secret", "hunter2"}});

  SyncReport report = SyncConfigs(Options());

  ASSERT_EQ(report.errors.size(), 1u);
  EXPECT_EQ(report.errors[0].code(), ErrorCode::kConflict);
  EXPECT_THAT(report.errors[0].message(), HasSubstr("'A.orders'"));
  EXPECT_THAT(report.errors[0].message(), HasSubstr("some.secret"));
  EXPECT_THAT(report.errors[0].message(), ::testing::Not(HasSubstr("hunter2")));
  EXPECT_EQ(target_.Overrides("A.orders"), (Properties{{"some.secret", "hunter2"}}));
}

// --- The decisions alone ---

ConfigEntry Default(std::string value) { return {std::move(value), true, false, false, ConfigSource::kDefault}; }
ConfigEntry Override(std::string value) { return {std::move(value), false, false, false, ConfigSource::kDynamicTopic}; }

TEST(TopicConfigSyncPlanTest, NothingToDoWhenTargetAgrees) {
  const kafka::TopicConfigs source{{"retention.ms", Override("5")}, {"segment.ms", Default("1")}};
  const kafka::TopicConfigs target{{"retention.ms", Override("5")}, {"segment.ms", Default("1")}};
  auto plan = PlanConfigAlteration(source, target, Filter());
  ASSERT_TRUE(plan.ok());
  EXPECT_FALSE(plan->has_value());
}

TEST(TopicConfigSyncPlanTest, CarriesTheWholeResultingSet) {
  const kafka::TopicConfigs source{{"retention.ms", Override("5")},
                                   {"segment.ms", Default("1")},
                                   {"min.insync.replicas", Override("2")}};
  const kafka::TopicConfigs target{{"retention.ms", Override("4")},
                                   {"segment.ms", Override("9")},
                                   {"min.insync.replicas", Override("3")},
                                   {"max.message.bytes", Default("1048588")}};
  auto plan = PlanConfigAlteration(source, target, Filter());
  ASSERT_TRUE(plan.ok());
  ASSERT_TRUE(plan->has_value());
  EXPECT_EQ((*plan)->overrides, (Properties{{"min.insync.replicas", "3"}, {"retention.ms", "5"}}));
  EXPECT_EQ((*plan)->set, (Properties{{"retention.ms", "5"}}));
  EXPECT_THAT((*plan)->reset, ElementsAre("segment.ms"));
}

// A Kafka 3.x source still reports message.format.version, which Kafka 4 removed: the target does
// not list it, and setting it would fail the whole AlterConfigs.
TEST(TopicConfigSyncPlanTest, ConfigsTheTargetDoesNotKnowAreLeftOut) {
  const kafka::TopicConfigs source{{"retention.ms", Override("5")}, {"message.format.version", Override("2.8")}};
  const kafka::TopicConfigs target{{"retention.ms", Override("4")}};
  auto plan = PlanConfigAlteration(source, target, Filter());
  ASSERT_TRUE(plan.ok());
  ASSERT_TRUE(plan->has_value());
  EXPECT_EQ((*plan)->overrides, (Properties{{"retention.ms", "5"}}));
  EXPECT_EQ((*plan)->set, (Properties{{"retention.ms", "5"}}));
}

TEST(TopicConfigSyncPlanTest, CreationTakesNonDefaultReplicableEntriesOnly) {
  const kafka::TopicConfigs source{
      {"retention.ms", Override("5")},
      {"segment.ms", Default("1")},
      {"min.insync.replicas", Override("2")},
      {"segment.bytes", {"7", false, false, false, ConfigSource::kStaticBroker}},
      {"secret", {std::nullopt, false, true, false, ConfigSource::kDynamicTopic}},
      {"ro", {"1", false, false, true, ConfigSource::kDynamicBroker}},
      {"unset", {std::nullopt, false, false, false, ConfigSource::kDynamicTopic}},
  };
  EXPECT_EQ(ConfigsForCreation(source, Filter()), (Properties{{"retention.ms", "5"}}));
  EXPECT_EQ(ConfigsForCreation(source, Filter({{"use.defaults.from", "source"}})),
            (Properties{{"retention.ms", "5"}, {"segment.ms", "1"}}));
}

// --- ConfigPropertyFilter (MM2's DefaultConfigPropertyFilter) ---

TEST(TopicConfigSyncPropertyFilterTest, DefaultsExcludeMm2sList) {
  ConfigPropertyFilter filter = Filter();
  for (const char* name : {"follower.replication.throttled.replicas", "leader.replication.throttled.replicas",
                           "message.timestamp.difference.max.ms", "message.timestamp.type",
                           "unclean.leader.election.enable", "min.insync.replicas"}) {
    EXPECT_FALSE(filter.ShouldReplicateConfigProperty(name)) << name;
  }
  EXPECT_TRUE(filter.ShouldReplicateConfigProperty("retention.ms"));
  EXPECT_TRUE(filter.ShouldReplicateConfigProperty("min.insync.replicasX"));  // whole-name match only
  EXPECT_FALSE(filter.ShouldReplicateSourceDefault("retention.ms"));
  EXPECT_EQ(filter.defaults_from(), DefaultsFrom::kTarget);
}

TEST(TopicConfigSyncPropertyFilterTest, DeprecatedBlacklistIsUsedOnlyWithoutExclude) {
  EXPECT_FALSE(
      Filter({{"config.properties.blacklist", "retention\\.ms"}}).ShouldReplicateConfigProperty("retention.ms"));
  EXPECT_TRUE(
      Filter({{"config.properties.blacklist", "retention\\.ms"}}).ShouldReplicateConfigProperty("min.insync.replicas"));
  ConfigPropertyFilter both =
      Filter({{"config.properties.blacklist", "retention\\.ms"}, {"config.properties.exclude", "segment\\.ms"}});
  EXPECT_TRUE(both.ShouldReplicateConfigProperty("retention.ms"));
  EXPECT_FALSE(both.ShouldReplicateConfigProperty("segment.ms"));
  EXPECT_TRUE(Filter({{"config.properties.exclude", ""}}).ShouldReplicateConfigProperty("min.insync.replicas"));
}

TEST(TopicConfigSyncPropertyFilterTest, BadValuesAreErrorsNamingTheKey) {
  auto bad_regex = ConfigPropertyFilter::FromConfig({{"config.properties.exclude", "retention(\\.ms"}});
  ASSERT_FALSE(bad_regex.ok());
  EXPECT_EQ(bad_regex.error().code(), ErrorCode::kInvalidConfig);
  EXPECT_THAT(bad_regex.error().message(), HasSubstr("config.properties.exclude"));

  auto bad_defaults = ConfigPropertyFilter::FromConfig({{"use.defaults.from", "elsewhere"}});
  ASSERT_FALSE(bad_defaults.ok());
  EXPECT_THAT(bad_defaults.error().message(), HasSubstr("use.defaults.from"));

  auto other_class = ConfigPropertyFilter::FromConfig({{"config.property.filter.class", "com.example.MyFilter"}});
  ASSERT_FALSE(other_class.ok());
  EXPECT_THAT(other_class.error().message(), HasSubstr("config.property.filter.class"));

  EXPECT_TRUE(ConfigPropertyFilter::FromConfig({{"config.property.filter.class", "DefaultConfigPropertyFilter"}}).ok());
}

}  // namespace
}  // namespace ferry::connectors
