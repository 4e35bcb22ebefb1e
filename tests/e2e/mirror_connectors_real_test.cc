// MM2's connectors against real Kafka, on the paths the mock cannot serve (no admin API there):
// remote topics created with the source's partitions and configs, topic config sync, partition
// growth, new topics found by the refresh, topic ACL sync under the StandardAuthorizer, consumer
// groups discovered through ListGroups, checkpoints and group offset sync. Every check reads the
// real clusters back with the Admin API or a consumer.
#include <map>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "tasks/mirror_records.h"
#include "tests/support/two_clusters.h"
#include "tests/support/worker_harness.h"
#include "worker/common/json.h"
#include "worker/kafka/admin.h"

namespace ferry::testing {
namespace {

using kafka::AclBinding;
using kafka::AclOperation;
using kafka::AclPermission;
using std::chrono::seconds;

// A compacted topic takes no record without a key: give MakeRecords' null keys one.
std::vector<Record> Keyed(std::vector<Record> records) {
  for (Record& r : records) {
    if (!r.key) r.key = "null-key-" + std::to_string(r.timestamp);
  }
  return records;
}

class MirrorConnectorsOnRealKafkaTest : public TwoClustersTest {
 protected:
  MirrorConnectorsOnRealKafkaTest() : TwoClustersTest(Peer::kRealKafka) {}

  void SetUp() override {
    TwoClustersTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    worker_ = InProcessWorker::Start(DistributedWorkerProps(target().bootstrap_servers(), prefix_, peer()));
    ASSERT_NE(worker_, nullptr);
  }

  // A connector config for this test's aliases, with every periodic pass at one second; `extra` is
  // JSON members to add (",\"k\":\"v\"...").
  std::string Config(const std::string& connector_class, const std::string& extra) {
    return "{\"connector.class\":\"" + connector_class + "\",\"source.cluster.alias\":" + json::Quote(alias_) +
           ",\"target.cluster.alias\":" + json::Quote(target_alias_) +
           ",\"source.cluster.bootstrap.servers\":" + json::Quote(source().bootstrap_servers()) +
           ",\"target.cluster.bootstrap.servers\":" + json::Quote(target().bootstrap_servers()) +
           ",\"source.consumer.fetch.wait.max.ms\":\"50\"" + Mm2ReplicationFactors(peer()) +
           ",\"refresh.topics.interval.seconds\":\"1\",\"sync.topic.configs.interval.seconds\":\"1\""
           ",\"sync.topic.acls.interval.seconds\":\"1\"" +
           extra + "}";
  }

  void Put(const std::string& name, const std::string& config, size_t tasks) {
    HttpReply r = Http(worker_->port(), "PUT", "/connectors/" + name + "/config", config);
    ASSERT_EQ(r.status, 201) << r.body;
    ASSERT_TRUE(WaitForConnectorStatus(worker_->port(), name, "RUNNING", tasks, "RUNNING"));
  }

  std::string Remote(const std::string& topic) const { return alias_ + "." + topic; }

  // The value of `config` of `topic` on `cluster`, and whether it is an override of the topic's.
  std::pair<std::string, bool> ConfigOf(TestCluster& cluster, const std::string& topic, const std::string& config) {
    auto described = cluster.admin().DescribeTopicConfigs({topic});
    EXPECT_TRUE(described.ok()) << described.error().ToString();
    if (!described.ok() || !described->at(topic).ok()) return {"<not described>", false};
    const kafka::TopicConfigs& configs = *described->at(topic);
    auto it = configs.find(config);
    if (it == configs.end() || !it->second.value) return {"<absent>", false};
    return {*it->second.value, it->second.source == kafka::ConfigSource::kDynamicTopic};
  }

  bool WaitForConfig(TestCluster& cluster, const std::string& topic, const std::string& config,
                     const std::string& value) {
    std::string last;
    const bool ok = WaitFor([&] { return (last = ConfigOf(cluster, topic, config).first) == value; }, seconds(30));
    EXPECT_TRUE(ok) << topic << " " << config << " is " << last << ", not " << value;
    return ok;
  }

  bool WaitForPartitions(const std::string& topic, int partitions) {
    return WaitFor([&] {
      auto count = target().PartitionCount(topic);
      return count.ok() && *count == partitions;
    }, seconds(30));
  }

  const std::string alias_ = UniqueName("A");
  const std::string target_alias_ = UniqueName("B");
  const std::string prefix_ = UniqueName("w");
  std::unique_ptr<InProcessWorker> worker_;
};

TEST_F(MirrorConnectorsOnRealKafkaTest, RemoteTopicsGetTheSourcesPartitionsAndConfigsAndFollowTheirChanges) {
  const std::string orders = UniqueName("orders");
  ASSERT_TRUE(source()
                  .CreateTopic(orders, 3,
                               {{"retention.ms", "123456789"},
                                {"cleanup.policy", "compact,delete"},
                                {"max.message.bytes", "200000"},
                                // MM2 leaves these to the target (config.properties.exclude): a target
                                // with fewer brokers could not take the source's durability settings.
                                {"min.insync.replicas", "1"},
                                {"message.timestamp.type", "LogAppendTime"}})
                  .ok());
  for (int p = 0; p < 3; ++p) Produce(source(), orders, p, Keyed(MakeRecords(p * 1000, 50)));
  Put("mirror", Config("MirrorSourceConnector", ",\"topics\":" + json::Quote(orders + ".*") + ",\"tasks.max\":\"2\""), 2);

  // Created with the source's partitions and its replicable overrides, the excluded ones left to the target.
  const std::string remote = Remote(orders);
  ASSERT_TRUE(WaitForPartitions(remote, 3));
  EXPECT_TRUE(WaitForConfig(target(), remote, "retention.ms", "123456789"));
  EXPECT_EQ(ConfigOf(target(), remote, "cleanup.policy"), std::make_pair(std::string("compact,delete"), true));
  EXPECT_EQ(ConfigOf(target(), remote, "max.message.bytes"), std::make_pair(std::string("200000"), true));
  EXPECT_FALSE(ConfigOf(target(), remote, "min.insync.replicas").second) << "excluded: the target's own default";
  EXPECT_EQ(ConfigOf(target(), remote, "message.timestamp.type"), std::make_pair(std::string("CreateTime"), false));
  for (int p = 0; p < 3; ++p) {
    ASSERT_TRUE(WaitFor([&] { return CountRecords(target(), {remote, p}) == 50; }, seconds(30))) << p;
  }

  // A changed and a removed override reach the target; the excluded one stays the target's own.
  ASSERT_TRUE(source()
                  .admin()
                  .AlterTopicConfigs({{orders,
                                       {{"retention.ms", "987654321"},
                                        {"cleanup.policy", "compact,delete"},
                                        {"min.insync.replicas", "1"},
                                        {"message.timestamp.type", "LogAppendTime"}}}})
                  ->at(orders)
                  .ok());
  EXPECT_TRUE(WaitForConfig(target(), remote, "retention.ms", "987654321"));
  EXPECT_TRUE(WaitFor([&] { return !ConfigOf(target(), remote, "max.message.bytes").second; }, seconds(30)))
      << "an override removed on the source is removed on the target";
  EXPECT_FALSE(ConfigOf(target(), remote, "min.insync.replicas").second);

  // The source grows from 3 to 5 partitions: so does the target, and the new partitions are copied.
  ASSERT_TRUE(source().admin().CreatePartitions({{orders, 5}})->at(orders).ok());
  ASSERT_TRUE(WaitForPartitions(remote, 5));
  Produce(source(), orders, 4, Keyed(MakeRecords(4000, 40)));
  ASSERT_TRUE(WaitFor([&] { return Read(target(), {remote, 4}).size() == 40; }, seconds(60)));
  auto verified = kafka::VerifyMirrored({orders, 4}, Read(source(), {orders, 4}), Read(target(), {remote, 4}));
  EXPECT_TRUE(verified.ok()) << verified.error().ToString();

  // A new topic matching the pattern is found by the refresh and mirrored with its partitions.
  const std::string later = orders + ".later";
  ASSERT_TRUE(source().CreateTopic(later, 2).ok());
  Produce(source(), later, 1, MakeRecords(0, 10));
  ASSERT_TRUE(WaitForPartitions(Remote(later), 2));
  ASSERT_TRUE(WaitFor([&] { return Read(target(), {Remote(later), 1}).size() == 10; }, seconds(60)));
}

TEST_F(MirrorConnectorsOnRealKafkaTest, TopicAclsAreCopiedAsMM2DoesWithoutWriteAndWithAllAsRead) {
  const std::string orders = UniqueName("orders");
  const std::string other = UniqueName("not-mirrored");
  ASSERT_TRUE(source().CreateTopic(orders, 1).ok());
  ASSERT_TRUE(source().CreateTopic(other, 1).ok());
  auto acl = [](const std::string& topic, const std::string& principal, AclOperation op, AclPermission permission) {
    AclBinding b;
    b.resource_name = topic;
    b.principal = principal;
    b.operation = op;
    b.permission = permission;
    return b;
  };
  const std::vector<AclBinding> on_source = {
      acl(orders, "User:alice", AclOperation::kRead, AclPermission::kAllow),
      acl(orders, "User:alice", AclOperation::kWrite, AclPermission::kAllow),   // dropped: only the mirror writes
      acl(orders, "User:bob", AclOperation::kAll, AclPermission::kAllow),       // becomes READ
      acl(orders, "User:eve", AclOperation::kRead, AclPermission::kDeny),       // kept
      acl(orders, "User:carol", AclOperation::kDescribe, AclPermission::kAllow),  // kept
      acl(other, "User:alice", AclOperation::kRead, AclPermission::kAllow),     // topic not mirrored
  };
  auto created = source().admin().CreateAcls(on_source);
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  for (const auto& r : *created) ASSERT_TRUE(r.ok()) << r.error().ToString();

  Put("mirror", Config("MirrorSourceConnector", ",\"topics\":" + json::Quote(orders) + ",\"tasks.max\":\"1\""), 1);
  const std::string remote = Remote(orders);
  std::set<AclBinding> expected = {
      acl(remote, "User:alice", AclOperation::kRead, AclPermission::kAllow),
      acl(remote, "User:bob", AclOperation::kRead, AclPermission::kAllow),
      acl(remote, "User:eve", AclOperation::kRead, AclPermission::kDeny),
      acl(remote, "User:carol", AclOperation::kDescribe, AclPermission::kAllow),
  };
  std::set<AclBinding> on_target;
  const bool synced = WaitFor(
      [&] {
        kafka::AclBindingFilter filter;
        filter.resource_name = remote;
        auto acls = target().admin().DescribeAcls(filter);
        if (!acls.ok()) return false;
        on_target = std::set<AclBinding>(acls->begin(), acls->end());
        return on_target == expected;
      },
      seconds(30));
  std::string seen;
  for (const auto& b : on_target) seen += b.ToString() + "\n";
  EXPECT_TRUE(synced) << "target ACLs of " << remote << ":\n" << seen;
  kafka::AclBindingFilter not_mirrored;
  not_mirrored.resource_name = Remote(other);
  auto none = target().admin().DescribeAcls(not_mirrored);
  ASSERT_TRUE(none.ok()) << none.error().ToString();
  EXPECT_TRUE(none->empty()) << "ACLs of a topic that is not mirrored stay on the source";
}

// Groups are found with ListGroups (a pattern, not names), checkpoints are exact, and with
// sync.group.offsets.enabled the groups' offsets are committed on the target, for groups with no
// members there; a group active on the target is left alone.
TEST_F(MirrorConnectorsOnRealKafkaTest, GroupsFoundByListGroupsGetExactCheckpointsAndTheirOffsetsSyncedToTheTarget) {
  const std::string orders = UniqueName("orders");
  const std::string remote = Remote(orders);
  ASSERT_TRUE(source().CreateTopic(orders, 2).ok());
  ASSERT_TRUE(target().CreateTopic(remote, 2).ok());
  Produce(target(), remote, 0, MakeRecords(900000, 25));  // a non-zero offset delta on partition 0
  for (int p = 0; p < 2; ++p) Produce(source(), orders, p, MakeRecords(p * 1000, 200));
  const std::string prefix = UniqueName("billing");
  const std::map<std::string, std::map<int, int64_t>> committed = {
      {prefix + "-a", {{0, 120}, {1, 7}}},
      {prefix + "-b", {{0, 200}}},
  };
  for (const auto& [group, offsets] : committed) {
    kafka::GroupOffsets o;
    for (const auto& [p, offset] : offsets) o[{orders, p}] = {offset, "meta-" + group};
    ASSERT_TRUE(source().admin().AlterConsumerGroupOffsets(group, o).ok());
  }
  Put("mirror", Config("MirrorSourceConnector", ",\"topics\":" + json::Quote(orders) + ",\"tasks.max\":\"1\""), 1);
  for (int p = 0; p < 2; ++p) {
    ASSERT_TRUE(WaitFor([&] { return Read(target(), {remote, p}).size() == (p == 0 ? 225u : 200u); }, seconds(60)));
  }
  Put("checkpoints",
      Config("MirrorCheckpointConnector", ",\"groups\":" + json::Quote(prefix + "-.*") +
                                              ",\"emit.checkpoints.interval.seconds\":\"1\""
                                              ",\"refresh.groups.interval.seconds\":\"1\""
                                              ",\"sync.group.offsets.enabled\":\"true\""
                                              ",\"sync.group.offsets.interval.seconds\":\"1\""),
      1);

  // Where each group's next record landed on the target.
  auto expected_target_offset = [&](int p, int64_t source_offset) {
    const auto tgt = Read(target(), {remote, p});
    const size_t base = p == 0 ? 25 : 0;
    return source_offset < 200 ? tgt[base + static_cast<size_t>(source_offset)].offset : tgt.back().offset + 1;
  };
  const std::string checkpoints = alias_ + ".checkpoints.internal";
  std::map<std::pair<std::string, int>, tasks::Checkpoint> latest;
  const bool all = WaitFor(
      [&] {
        auto records = kafka::ReadPartition(target().bootstrap_servers(), {checkpoints, 0}, seconds(10));
        if (!records.ok()) return false;
        for (const auto& record : *records) {
          auto c = tasks::Checkpoint::Decode(*record.key, *record.value);
          if (c.ok()) latest[{c->group, c->partition}] = *c;
        }
        return latest.size() == 3;
      },
      seconds(60));
  ASSERT_TRUE(all) << latest.size() << " checkpoints";
  for (const auto& [group, offsets] : committed) {
    for (const auto& [p, offset] : offsets) {
      const tasks::Checkpoint& c = latest.at({group, p});
      EXPECT_EQ(c.topic, remote);
      EXPECT_EQ(c.upstream_offset, offset);
      EXPECT_EQ(c.metadata, "meta-" + group);
      EXPECT_EQ(c.downstream_offset, expected_target_offset(p, offset)) << group << " partition " << p;
    }
  }

  // The groups' offsets on the target are the checkpoints' downstream offsets.
  for (const auto& [group, offsets] : committed) {
    std::vector<TopicPartition> partitions;
    for (const auto& [p, offset] : offsets) partitions.push_back({remote, p});
    kafka::GroupOffsets on_target;
    const bool synced = WaitFor(
        [&] {
          auto listed = target().admin().ListConsumerGroupOffsets(group, partitions);
          if (!listed.ok()) return false;
          on_target = *listed;
          return on_target.size() == offsets.size();
        },
        seconds(30));
    ASSERT_TRUE(synced) << group;
    for (const auto& [p, offset] : offsets) {
      EXPECT_EQ(on_target.at({remote, p}).offset, expected_target_offset(p, offset)) << group << " partition " << p;
    }
  }
}

// Migrating off an old cluster: a Kafka 3.9 source (which still knows message.format.version, a topic
// config Kafka 4.0 removed) mirrored into the suite's 4.1 target, configs and data.
TEST_F(MirrorConnectorsOnRealKafkaTest, AKafka39SourceIsMirroredIntoKafka41WithItsTopicConfigs) {
  auto old = LaunchedKafka::Start(UniqueName("kafka39"), 1, "3.9.1");
  ASSERT_TRUE(old.ok()) << old.error().ToString();
  TestCluster& source39 = (*old)->cluster();
  const std::string orders = UniqueName("orders");
  ASSERT_TRUE(source39.CreateTopic(orders, 2, {{"retention.ms", "123456789"}, {"message.format.version", "2.8"}}).ok());
  for (int p = 0; p < 2; ++p) Produce(source39, orders, p, MakeRecords(p * 1000, 100));
  std::string config = Config("MirrorSourceConnector", ",\"topics\":" + json::Quote(orders) + ",\"tasks.max\":\"2\"");
  const std::string from = "\"source.cluster.bootstrap.servers\":" + json::Quote(source().bootstrap_servers());
  config.replace(config.find(from), from.size(), "\"source.cluster.bootstrap.servers\":" + json::Quote(source39.bootstrap_servers()));
  Put("mirror", config, 2);
  const std::string remote = Remote(orders);
  ASSERT_TRUE(WaitForPartitions(remote, 2));
  EXPECT_TRUE(WaitForConfig(target(), remote, "retention.ms", "123456789"));
  EXPECT_EQ(ConfigOf(target(), remote, "message.format.version").first, "<absent>") << "Kafka 4 has no such config";
  for (int p = 0; p < 2; ++p) {
    ASSERT_TRUE(WaitFor([&] { return CountRecords(target(), {remote, p}) == 100; }, seconds(60))) << p;
    auto verified = kafka::VerifyMirrored({orders, p}, Read(source39, {orders, p}), Read(target(), {remote, p}));
    EXPECT_TRUE(verified.ok()) << verified.error().ToString();
  }
  HttpReply status = Http(worker_->port(), "GET", "/connectors/mirror/status");
  EXPECT_EQ(status.body.find("FAILED"), std::string::npos) << status.body;
  // The worker goes before its source cluster does: stopping one whose source has vanished waits out
  // admin timeouts (minutes; see the note on deciding-thread work in docs/architecture.md).
  worker_.reset();
}

}  // namespace
}  // namespace ferry::testing
