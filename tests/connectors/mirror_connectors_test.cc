// MM2's connectors as Ferry declares them: registry names, task splitting, cycle detection, client
// settings derivation, offset normalization. The topic listing itself runs against a mock cluster in
// tests/e2e/connect_worker_test.cc.
#include <gtest/gtest.h>

#include "connectors/filters.h"
#include "connectors/mirror_checkpoint_connector.h"
#include "connectors/mirror_client_config.h"
#include "connectors/mirror_config.h"
#include "connectors/mirror_heartbeat_connector.h"
#include "connectors/mirror_offsets.h"
#include "connectors/mirror_source_connector.h"
#include "connectors/mirror_task_keys.h"
#include "connectors/registry.h"

namespace ferry::connectors {
namespace {

TEST(RegistryTest, FindsConnectorsByClassNameSimpleNameAndAlias) {
  const Registry& r = Registry::Builtin();
  for (const char* name : {"org.apache.kafka.connect.mirror.MirrorSourceConnector", "MirrorSourceConnector", "MirrorSource"}) {
    const PluginDesc* p = r.Find(name);
    ASSERT_NE(p, nullptr) << name;
    EXPECT_EQ(p->class_name, kMirrorSourceConnectorClass);
  }
  EXPECT_EQ(r.Find("MirrorHeartbeat")->class_name, kMirrorHeartbeatConnectorClass);
  EXPECT_EQ(r.Find("MirrorCheckpointConnector")->class_name, kMirrorCheckpointConnectorClass);
  EXPECT_EQ(r.Find("FileStreamSource"), nullptr);
  EXPECT_EQ(r.Find("Mirror"), nullptr);
  EXPECT_EQ(r.plugins().size(), 3u);
}

TEST(MirrorConfigTest, DefaultsAreMM2s) {
  auto parsed = MirrorSourceConfigDef().Parse({{"source.cluster.alias", "A"}});
  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  EXPECT_EQ(parsed->GetList("topics"), std::vector<std::string>{".*"});
  EXPECT_EQ(parsed->GetList("topics.exclude"), (std::vector<std::string>{".*[\\-\\.]internal", ".*\\.replica", "__.*"}));
  EXPECT_EQ(parsed->GetString("target.cluster.alias"), "target");
  EXPECT_EQ(parsed->GetLong("refresh.topics.interval.seconds"), 600);
  EXPECT_EQ(parsed->GetLong("offset.lag.max"), 100);
  EXPECT_EQ(parsed->GetString("offset-syncs.topic.location"), "source");
  EXPECT_EQ(parsed->GetString("replication.policy.separator"), ".");
  auto heartbeat = MirrorHeartbeatConfigDef().Parse({{"source.cluster.alias", "A"}});
  ASSERT_TRUE(heartbeat.ok());
  EXPECT_EQ(heartbeat->GetLong("emit.heartbeats.interval.seconds"), 1);
  auto checkpoint = MirrorCheckpointConfigDef().Parse({{"source.cluster.alias", "A"}});
  ASSERT_TRUE(checkpoint.ok());
  EXPECT_EQ(checkpoint->GetList("groups.exclude"), (std::vector<std::string>{"console-consumer-.*", "connect-.*", "__.*"}));
  EXPECT_FALSE(checkpoint->GetBool("sync.group.offsets.enabled"));
}

TEST(MirrorConfigTest, MissingAliasAndBadValuesAreReportedWithKafkasWords) {
  const auto values = MirrorSourceConfigDef().Validate({{"offset-syncs.topic.location", "middle"}});
  std::map<std::string, std::vector<std::string>> errors;
  for (const auto& v : values) errors[v.name] = v.errors;
  EXPECT_EQ(errors["source.cluster.alias"],
            std::vector<std::string>{"Missing required configuration \"source.cluster.alias\" which has no default value."});
  ASSERT_EQ(errors["offset-syncs.topic.location"].size(), 1u);
  EXPECT_NE(errors["offset-syncs.topic.location"][0].find("Invalid value middle for configuration offset-syncs.topic.location"),
            std::string::npos);
}

TEST(MirrorCheckpointConnectorTest, RejectsDisabledCheckpointsAcrossKeysAsMM2Does) {
  MirrorCheckpointConnector c;
  auto errors = c.ValidateAcrossKeys({{"emit.checkpoints.enabled", "false"}, {"emit.offset-syncs.enabled", "false"}});
  EXPECT_EQ(errors.size(), 2u);
  EXPECT_TRUE(c.ValidateAcrossKeys({{"enabled", "false"}, {"emit.checkpoints.enabled", "false"}}).empty());
}

TEST(MirrorSourceConnectorTest, CycleDetectionFollowsEveryHop) {
  DefaultReplicationPolicy policy;
  EXPECT_FALSE(MirrorSourceConnector::IsCycle(policy, "B", "orders"));
  EXPECT_TRUE(MirrorSourceConnector::IsCycle(policy, "B", "B.orders"));
  EXPECT_TRUE(MirrorSourceConnector::IsCycle(policy, "B", "C.B.orders"));
  EXPECT_FALSE(MirrorSourceConnector::IsCycle(policy, "B", "C.D.orders"));
  IdentityReplicationPolicy identity(std::string("A"));
  EXPECT_FALSE(MirrorSourceConnector::IsCycle(identity, "B", "orders")) << "MM2 has no cycle detection with identity";
}

TEST(MirrorSourceConnectorTest, FirstSplitIsRoundRobinLaterSplitsKeepUnchangedTasks) {
  const std::vector<TopicPartition> six = {{"a", 0}, {"a", 1}, {"a", 2}, {"b", 0}, {"b", 1}, {"b", 2}};
  auto first = MirrorSourceConnector::Split({}, six, 3);
  EXPECT_EQ(first, (std::vector<std::vector<TopicPartition>>{{{"a", 0}, {"b", 0}}, {{"a", 1}, {"b", 1}}, {{"a", 2}, {"b", 2}}}));

  // Topic c appears with 3 partitions: every task gets one more, none loses any.
  std::vector<TopicPartition> nine = six;
  for (int p = 0; p < 3; ++p) nine.push_back({"c", p});
  std::sort(nine.begin(), nine.end());
  auto grown = MirrorSourceConnector::Split(first, nine, 3);
  for (size_t t = 0; t < 3; ++t) {
    EXPECT_EQ(grown[t].size(), 3u);
    for (const TopicPartition& tp : first[t]) EXPECT_NE(std::find(grown[t].begin(), grown[t].end(), tp), grown[t].end());
  }

  // Topic a goes away: tasks keep what they had of b and c; sizes stay within one.
  std::vector<TopicPartition> without_a;
  for (const auto& tp : nine) if (tp.topic != "a") without_a.push_back(tp);
  auto shrunk = MirrorSourceConnector::Split(grown, without_a, 3);
  size_t total = 0;
  for (size_t t = 0; t < 3; ++t) {
    total += shrunk[t].size();
    EXPECT_EQ(shrunk[t].size(), 2u);
  }
  EXPECT_EQ(total, 6u);

  // One new partition on an otherwise unchanged set: only one task's assignment changes.
  std::vector<TopicPartition> plus_one = nine;
  plus_one.push_back({"d", 0});
  auto plus = MirrorSourceConnector::Split(grown, plus_one, 3);
  int changed = 0;
  for (size_t t = 0; t < 3; ++t) changed += plus[t] != grown[t];
  EXPECT_EQ(changed, 1);
  // A different task count starts over with round-robin.
  EXPECT_EQ(MirrorSourceConnector::Split(grown, nine, 2).size(), 2u);
}

TEST(MirrorCheckpointConnectorTest, GroupsAreSplitInContiguousChunksAsMM2) {
  const std::vector<std::string> groups = {"a", "b", "c", "d", "e"};
  EXPECT_EQ(MirrorCheckpointConnector::Chunks(groups, 2),
            (std::vector<std::vector<std::string>>{{"a", "b", "c"}, {"d", "e"}}));
  EXPECT_EQ(MirrorCheckpointConnector::Chunks(groups, 5).size(), 5u);
  EXPECT_TRUE(MirrorCheckpointConnector::Chunks(groups, 0).empty());
}

TEST(MirrorTaskKeysTest, PartitionListsRoundTripAndSplitAtTheLastDash) {
  auto parsed = ParseTopicPartitions("my-topic-3,orders-0,a-b-c-12");
  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  EXPECT_EQ(*parsed, (std::vector<TopicPartition>{{"my-topic", 3}, {"orders", 0}, {"a-b-c", 12}}));
  EXPECT_EQ(FormatTopicPartitions(*parsed), "my-topic-3,orders-0,a-b-c-12");
  EXPECT_TRUE(ParseTopicPartitions("").ok());
  for (const char* bad : {"orders", "orders-", "-3", "orders-x", "a-1,", "orders-1x"}) {
    EXPECT_FALSE(ParseTopicPartitions(bad).ok()) << bad;
  }
}

TEST(MirrorClientConfigTest, DerivesClientSettingsWithMM2sPrecedence) {
  const Properties config = {{"source.cluster.bootstrap.servers", "s:9092"},
                             {"source.cluster.security.protocol", "SSL"},
                             {"source.cluster.client.id", "ignored: not a connection key"},
                             {"consumer.fetch.wait.max.ms", "100"},
                             {"consumer.key.deserializer", "java only"},  // kafka::NewClient drops it
                             {"consumer.poll.timeout.ms", "1000"},  // MM2's key, not the consumer's
                             {"admin.timeout.ms", "5000"},
                             {"source.consumer.fetch.wait.max.ms", "50"},
                             {"target.cluster.bootstrap.servers", "t:9092"},
                             {"target.producer.linger.ms", "7"}};
  EXPECT_EQ(ClientProps(config, Cluster::kSource, ClientRole::kConsumer),
            (Properties{{"bootstrap.servers", "s:9092"},
                        {"security.protocol", "SSL"},
                        {"fetch.wait.max.ms", "50"},
                        {"key.deserializer", "java only"}}));
  EXPECT_EQ(ClientProps(config, Cluster::kTarget, ClientRole::kProducer),
            (Properties{{"bootstrap.servers", "t:9092"}, {"linger.ms", "7"}}));
  EXPECT_EQ(ClientProps(config, Cluster::kSource, ClientRole::kAdmin),
            (Properties{{"bootstrap.servers", "s:9092"}, {"security.protocol", "SSL"}}));
  EXPECT_FALSE(HasBootstrap({}, Cluster::kTarget, ClientRole::kProducer));
}

TEST(RegexFilterTest, IncludeThenExcludeWholeNames) {
  auto f = RegexFilter::Make({"orders.*", "payments"}, "topics", {".*\\.internal", "orders-old"}, "topics.exclude");
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(f->Matches("orders"));
  EXPECT_TRUE(f->Matches("orders-eu"));
  EXPECT_FALSE(f->Matches("orders-old"));
  EXPECT_FALSE(f->Matches("orders.internal"));
  EXPECT_FALSE(f->Matches("payments-eu")) << "patterns match whole names";
  auto bad = RegexFilter::Make({"orders("}, "topics", {}, "topics.exclude");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("'topics'"), std::string::npos);
}

TEST(MirrorOffsetsTest, SourcePartitionsAreRewrittenInMM2sMemberOrder) {
  auto n = NormalizeOffset("MirrorSourceConnector", R"({"topic":"orders","partition":"2","cluster":"A"})",
                           std::string(R"({"offset":41})"));
  ASSERT_TRUE(n.ok()) << n.error().ToString();
  EXPECT_EQ(n->partition_json, R"({"cluster":"A","partition":2,"topic":"orders"})");
  EXPECT_EQ(n->offset_json, std::optional<std::string>(R"({"offset":41})"));
  EXPECT_FALSE(NormalizeOffset("MirrorSourceConnector", R"({"topic":"orders","partition":2,"cluster":"A"})",
                               std::string(R"({"offset":-1})")).ok());
  EXPECT_FALSE(NormalizeOffset("MirrorSourceConnector", R"({"topic":"orders"})", std::nullopt).ok());
  EXPECT_FALSE(NormalizeOffset("MirrorHeartbeatConnector", R"({"sourceClusterAlias":"A","targetClusterAlias":"B"})",
                               std::string(R"({"offset":3})")).ok());
  auto reset = NormalizeOffset("MirrorHeartbeatConnector", R"({"targetClusterAlias":"B","sourceClusterAlias":"A"})", std::nullopt);
  ASSERT_TRUE(reset.ok());
  EXPECT_EQ(reset->partition_json, R"({"sourceClusterAlias":"A","targetClusterAlias":"B"})");
  EXPECT_FALSE(reset->offset_json.has_value());
}

}  // namespace
}  // namespace ferry::connectors
