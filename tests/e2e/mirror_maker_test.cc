// `ferry mirror-maker mm2.properties`, MM2's dedicated mode, run as child processes on real Kafka:
// every example file of examples/mm2/ end to end (records in each source, their copies in each
// target, compared key by key and offset by offset), two nodes sharing one flow, continuing where MM2
// stopped, a flow whose cluster cannot be reached; and bad files (on the mock: no cluster is reached).
// Every alias of a file is a one-node cluster the test starts (LaunchedKafka, all of a test's at once,
// 5-10 s) and stops, since the examples' names (orders, heartbeats, mm2-configs.<alias>.internal, ...)
// are fixed and the suite's shared clusters serve other tests meanwhile. The test makes only the
// source topics it writes (and, for the test that continues after MM2, what MM2 left): Ferry creates
// remote, internal, offset-syncs, checkpoints and heartbeats topics, syncs topic configs and ACLs and
// lists groups (the examples' own `groups`) as MM2 does; the files get replication factors of 1 and
// short intervals (PeerSettings).
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <tuple>

#include <gtest/gtest.h>

#include "tasks/mirror_records.h"
#include "tests/support/two_clusters.h"
#include "tests/support/worker_harness.h"
#include "worker/kafka/mock_cluster.h"

namespace ferry::testing {
namespace {

using std::chrono::seconds;

struct Flow {
  std::string source;
  std::string target;
};

class MirrorMakerFixture : public TwoClustersTest {
 protected:
  explicit MirrorMakerFixture(Peer peer = Peer::kMock) : TwoClustersTest(peer) {}

  void SetUp() override {
    // The shared clusters go unused; on real Kafka, whether they run says whether a real broker can
    // be started here (the test is skipped, or fails under CI, where none runs).
    TwoClustersTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::replace(test.begin(), test.end(), '/', '.');
    dir_ = ::testing::TempDir() + "/ferry-mm-" + std::to_string(getpid()) + "-" + test;
    std::filesystem::create_directories(dir_);
  }

  // A cluster for each alias: 3 mock brokers, or a one-node real cluster of this test's, started
  // together (each takes 4-7 s on 2 cores) and stopped when the test ends.
  void StartClusters(const std::vector<std::string>& aliases) {
    if (!real_kafka()) {
      for (const std::string& alias : aliases) {
        auto started = TestCluster::StartMock(3);
        ASSERT_TRUE(started.ok()) << started.error().ToString();
        mocks_[alias] = std::move(*started);
        clusters_[alias] = mocks_[alias].get();
      }
      return;
    }
    std::map<std::string, std::future<Result<std::unique_ptr<LaunchedKafka>>>> starting;
    for (const std::string& alias : aliases) {
      starting[alias] = std::async(std::launch::async, [name = UniqueName("mm-" + alias)] { return LaunchedKafka::Start(name, 1); });
    }
    for (auto& [alias, start] : starting) {
      auto launched = start.get();
      ASSERT_TRUE(launched.ok()) << alias << ": " << launched.error().ToString();
      launched_[alias] = std::move(*launched);
      clusters_[alias] = &launched_[alias]->cluster();
    }
  }

  TestCluster& Cluster(const std::string& alias) { return *clusters_.at(alias); }

  // The topics of `flow` the test writes: its source topics (Ferry makes the rest).
  void CreateFlowTopics(const Flow& flow, const std::vector<std::string>& topics, int partitions) {
    for (const std::string& t : topics) {
      auto created = Cluster(flow.source).CreateTopic(t, partitions);
      ASSERT_TRUE(created.ok()) << created.error().ToString();
    }
  }

  // examples/mm2/`name` with each `<alias>.bootstrap.servers` pointing at its cluster, the peer's
  // settings and `extra` appended (a later key wins); returns the new file's path.
  std::string PrepareFile(const std::string& name, const std::vector<std::string>& aliases,
                          const std::vector<std::string>& extra = {}) {
    std::ifstream in(std::string(FERRY_SOURCE_DIR) + "/examples/mm2/" + name);
    EXPECT_TRUE(in.good()) << name;
    const std::regex bootstrap(R"(^\s*([A-Za-z0-9_-]+)\.bootstrap\.servers\s*[=:].*$)");
    std::ostringstream out;
    std::string line;
    while (std::getline(in, line)) {
      std::smatch m;
      if (std::regex_match(line, m, bootstrap) && clusters_.count(m[1])) {
        line = std::string(m[1]) + ".bootstrap.servers = " + Cluster(m[1]).bootstrap_servers();
      }
      out << line << "\n";
    }
    out << PeerSettings(aliases);
    for (const std::string& e : extra) out << e << "\n";
    const std::string path = dir_ + "/" + name;
    std::ofstream(path) << out.str();
    return path;
  }

  // Real Kafka: the files' replication factors (3, as in production) exceed the test clusters' one
  // node, and creating such a topic fails with INVALID_REPLICATION_FACTOR (in MM2 as in Ferry): every
  // replication factor key is set to 1. Kafka's coordinator needs none of the mock's group timings.
  // Only what would make a test wait a minute is shortened: checkpoints and group offsets every
  // second (the examples: 30-60 s), and task offsets committed every second (Connect: 60 s), since a
  // group's checkpoint waits for the offset sync a commit writes at the last record copied.
  static std::string PeerSettings(const std::vector<std::string>& aliases) {
    std::string out = "\n# one-node test clusters, short intervals (tests)\n"
                      "replication.factor = 1\noffset-syncs.topic.replication.factor = 1\n"
                      "checkpoints.topic.replication.factor = 1\nheartbeats.topic.replication.factor = 1\n"
                      "config.storage.replication.factor = 1\noffset.storage.replication.factor = 1\n"
                      "status.storage.replication.factor = 1\n"
                      "emit.checkpoints.interval.seconds = 1\nsync.group.offsets.interval.seconds = 1\n";
    for (const std::string& a : aliases) out += a + ".offset.flush.interval.ms = 1000\n";
    return out;
  }

  std::unique_ptr<WorkerProcess> StartNode(const std::string& file, const std::string& log_name,
                                           const std::vector<std::string>& more = {}) {
    std::vector<std::string> args = {"mirror-maker", file};
    args.insert(args.end(), more.begin(), more.end());
    return WorkerProcess::Start(args, dir_ + "/" + log_name);
  }

  std::vector<Record> ReadAt(const std::string& alias, const TopicPartition& tp) { return Read(Cluster(alias), tp); }
  void ProduceAt(const std::string& alias, const std::string& topic, int partition, const std::vector<Record>& r) {
    Produce(Cluster(alias), topic, partition, r);
  }

  // Waits until `to_topic` on `to` (which Ferry may still have to create) is a copy of `from_topic` on
  // `from`, record by record.
  void ExpectCopied(const std::string& from, const std::string& from_topic, const std::string& to,
                    const std::string& to_topic, int partitions) {
    for (int p = 0; p < partitions; ++p) {
      const auto src = ReadAt(from, {from_topic, p});
      ASSERT_FALSE(src.empty());
      ASSERT_TRUE(WaitFor([&] { return CountRecords(Cluster(to), {to_topic, p}) >= src.size(); }, seconds(120)))
          << from << ":" << from_topic << "-" << p << " not copied to " << to << ":" << to_topic << " (see " << dir_ << ")";
      auto verified = kafka::VerifyMirrored({from_topic, p}, src, ReadAt(to, {to_topic, p}));
      EXPECT_TRUE(verified.ok()) << verified.error().ToString();
    }
  }

  // GET status of a flow's connector on a node; its connector state, or "" if none.
  std::string ConnectorState(int port, const std::string& flow_path, const std::string& connector) {
    HttpReply r = Http(port, "GET", flow_path + "/connectors/" + connector + "/status");
    if (r.status != 200) return "";
    return r.Json()["connector"]["state"].GetString();
  }

  std::string dir_;
  std::map<std::string, std::unique_ptr<TestCluster>> mocks_;
  std::map<std::string, std::unique_ptr<LaunchedKafka>> launched_;
  std::map<std::string, TestCluster*> clusters_;  // by alias
};

using MirrorMakerTest = OnPeers<MirrorMakerFixture>;
FERRY_INSTANTIATE_ON_REAL_KAFKA(MirrorMakerTest);
using MirrorMakerOnMockTest = MirrorMakerFixture;

// Every topic of a partition count, written before the nodes start and again while they run.
constexpr int kPartitions = 3;

TEST_P(MirrorMakerTest, TwoNodesShareOneFlowAndTheSurvivorTakesOverWithNoRecordLost) {
  ASSERT_NO_FATAL_FAILURE(StartClusters({"A", "B"}));
  const Flow flow{"A", "B"};
  CreateFlowTopics(flow, {"orders"}, 6);
  const std::string prepared = dir_ + "/mm2-shared.properties";
  std::ofstream(prepared) << "clusters = A, B\n"
                          << "A.bootstrap.servers = " << Cluster("A").bootstrap_servers() << "\n"
                          << "B.bootstrap.servers = " << Cluster("B").bootstrap_servers() << "\n"
                          << "A->B.enabled = true\nA->B.topics = orders\ntasks.max = 4\n"
                          << "dedicated.mode.enable.internal.rest = true\nlisteners = http://127.0.0.1:0\n"
                         
                          << PeerSettings({"A", "B"});
  for (int p = 0; p < 6; ++p) ProduceAt("A", "orders", p, MakeRecords(p * 10000, 200));

  auto first = StartNode(prepared, "node1.log");
  auto second = StartNode(prepared, "node2.log");
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  // The flow's tasks run on both nodes; either node answers for the flow under /A/B.
  std::set<std::string> workers;
  ASSERT_TRUE(WaitFor(
      [&] {
        HttpReply r = Http(second->port(), "GET", "/A/B/connectors/MirrorSourceConnector/status");
        if (r.status != 200) return false;
        auto doc = r.Json();
        if (doc["tasks"].Size() != 4) return false;
        workers.clear();
        for (const auto& t : doc["tasks"].GetArray()) {
          if (std::string(t["state"].GetString()) != "RUNNING") return false;
          workers.insert(t["worker_id"].GetString());
        }
        return workers.size() == 2;
      },
      seconds(120)))
      << "the 4 tasks of A->B should run on both nodes";
  // The leader writes the three configs one rebalance apart, the source connector's first (MM2's order).
  for (const char* connector : {"MirrorCheckpointConnector", "MirrorHeartbeatConnector"}) {
    EXPECT_TRUE(WaitFor([&] { return ConnectorState(first->port(), "/A/B", connector) == "RUNNING"; }, seconds(60)))
        << connector;
  }
  ExpectCopied("A", "orders", "B", "A.orders", 6);

  // One node stops; the other runs the whole flow and copies what is written meanwhile.
  EXPECT_EQ(first->Terminate(), 0);
  for (int p = 0; p < 6; ++p) ProduceAt("A", "orders", p, MakeRecords(p * 10000 + 200, 200));
  ExpectCopied("A", "orders", "B", "A.orders", 6);
  EXPECT_EQ(second->Terminate(), 0);
}

TEST_F(MirrorMakerOnMockTest, BadFilesAreRefusedNamingTheKeyAndTheLineAndNothingStarts) {
  ASSERT_NO_FATAL_FAILURE(StartClusters({"A", "B"}));
  const std::string base = "clusters = A, B\nA.bootstrap.servers = " + Cluster("A").bootstrap_servers() +
                           "\nB.bootstrap.servers = " + Cluster("B").bootstrap_servers() + "\n";
  const std::pair<std::string, std::string> cases[] = {
      {base + "A->C.enabled = true\n", "line 4: A->C.enabled"},
      {base + "A->A.enabled = true\n", "line 4: A->A.enabled"},
      {"clusters = A, B\nA.bootstrap.servers = " + Cluster("A").bootstrap_servers() + "\nA->B.enabled = true\n",
       "B.bootstrap.servers"},
      {base + "A-> B.enabled = true\n", "line 4"},
      {"A.bootstrap.servers = x\n", "clusters"},
      {base + "A->B.enabled = maybe\n", "line 4: A->B.enabled"},
      // A connector config the herder would refuse stops the start, naming the flow and the key.
      {base + "A->B.enabled = true\nA->B.topics = (unclosed\n", "Connector is invalid:\n  topics: Invalid value [(unclosed]"},
  };
  int i = 0;
  for (const auto& [text, expected] : cases) {
    const std::string file = dir_ + "/bad" + std::to_string(i++) + ".properties";
    std::ofstream(file) << text;
    CommandResult r = RunFerry({"mirror-maker", file}, seconds(30), /*with_stderr=*/true);
    EXPECT_EQ(r.exit_code, 1) << text;
    EXPECT_NE(r.out.find(expected), std::string::npos) << "expected '" << expected << "' in:\n" << r.out;
    EXPECT_EQ(r.out.find("REST API listening"), std::string::npos) << r.out;
  }
  // --clusters naming an alias the file does not have.
  const std::string file = dir_ + "/good.properties";
  std::ofstream(file) << base << "A->B.enabled = true\n";
  CommandResult r = RunFerry({"mirror-maker", file, "--clusters", "Z"}, seconds(30), true);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("Z"), std::string::npos) << r.out;
}


TEST_P(MirrorMakerTest, OneWayMigrationExampleCopiesUnderTheSameNames) {
  ASSERT_NO_FATAL_FAILURE(StartClusters({"old", "new"}));
  CreateFlowTopics({"old", "new"}, {"orders", "payments"}, kPartitions);
  for (const char* t : {"orders", "payments"}) {
    for (int p = 0; p < kPartitions; ++p) ProduceAt("old", t, p, MakeRecords(p * 1000, 100));
  }
  const std::string file = PrepareFile("one-way-migration.properties", {"old", "new"});
  auto node = StartNode(file, "node.log");
  ASSERT_NE(node, nullptr);
  for (const char* t : {"orders", "payments"}) {
    for (int p = 0; p < kPartitions; ++p) ProduceAt("old", t, p, MakeRecords(p * 1000 + 100, 100));
  }
  for (const char* t : {"orders", "payments"}) ExpectCopied("old", t, "new", t, kPartitions);
  EXPECT_EQ(ConnectorState(node->port(), "/old/new", "MirrorSourceConnector"), "RUNNING");
  // The reverse flow only beats (MM2's heartbeat-only herder), under its own path.
  EXPECT_TRUE(WaitFor([&] { return ConnectorState(node->port(), "/new/old", "MirrorHeartbeatConnector") == "RUNNING"; },
                      seconds(60)));
  EXPECT_TRUE(WaitFor([&] { return CountRecords(Cluster("old"), {"heartbeats", 0}) > 0; }, seconds(60)));
  EXPECT_EQ(node->Terminate(), 0);
}

TEST_P(MirrorMakerTest, DrStandbyExampleCopiesUnderPrefixedNamesAndServesRestPerFlow) {
  ASSERT_NO_FATAL_FAILURE(StartClusters({"primary", "standby"}));
  CreateFlowTopics({"primary", "standby"}, {"orders", "payments", "audit-eu"}, kPartitions);
  for (const char* t : {"orders", "payments", "audit-eu"}) {
    for (int p = 0; p < kPartitions; ++p) ProduceAt("primary", t, p, MakeRecords(p * 1000, 100));
  }
  const std::string file = PrepareFile("dr-standby.properties", {"primary", "standby"}, {"listeners = http://127.0.0.1:0"});
  // The example's `groups = .*` lists groups: a group that committed on the primary before the node
  // started.
  const std::string group = "billing";
  const std::map<int, int64_t> committed = {{0, 10}, {1, 55}, {2, 100}};
  kafka::GroupOffsets offsets;
  for (const auto& [p, offset] : committed) offsets[{"orders", p}] = {offset, ""};
  auto altered = Cluster("primary").admin().AlterConsumerGroupOffsets(group, offsets);
  ASSERT_TRUE(altered.ok()) << altered.error().ToString();
  // As the example's DR node runs: only the flows into the standby (MM2's --clusters).
  auto node = StartNode(file, "node.log", {"--clusters", "standby"});
  ASSERT_NE(node, nullptr);
  for (const char* t : {"orders", "payments", "audit-eu"}) ExpectCopied("primary", t, "standby", std::string("primary.") + t, kPartitions);
  // Its checkpoints on the standby, exact (primary.orders started empty: the same offsets), and its
  // offsets committed to the same group there (sync.group.offsets.enabled).
  std::map<int, tasks::Checkpoint> latest;
  EXPECT_TRUE(WaitFor(
      [&] {
        auto records = kafka::ReadPartition(Cluster("standby").bootstrap_servers(), {"primary.checkpoints.internal", 0}, seconds(10));
        if (!records.ok()) return false;
        for (const auto& record : *records) {
          auto c = tasks::Checkpoint::Decode(record.key.value_or(""), record.value.value_or(""));
          if (c.ok() && c->group == group) latest[c->partition] = *c;
        }
        return latest.size() == committed.size();
      },
      seconds(60)))
      << "no checkpoints of " << group << " (see " << dir_ << "/node.log)";
  for (const auto& [p, offset] : committed) {
    EXPECT_EQ(latest[p].topic, "primary.orders");
    EXPECT_EQ(latest[p].upstream_offset, offset);
    EXPECT_EQ(latest[p].downstream_offset, offset) << "partition " << p;
  }
  kafka::GroupOffsets synced;
  EXPECT_TRUE(WaitFor(
      [&] {
        auto listed = Cluster("standby").admin().ListConsumerGroupOffsets(group, {{"primary.orders", 0}, {"primary.orders", 1}, {"primary.orders", 2}});
        if (listed.ok()) synced = *listed;
        return synced.size() == committed.size();
      },
      seconds(60)));
  for (const auto& [tp, offset] : synced) EXPECT_EQ(offset.offset, committed.at(tp.partition)) << tp;
  // Each flow's Connect API is under /<source>/<target>; an unknown flow is not served.
  const std::string all_three = R"(["MirrorCheckpointConnector","MirrorHeartbeatConnector","MirrorSourceConnector"])";
  HttpReply list;
  EXPECT_TRUE(WaitFor([&] { return (list = Http(node->port(), "GET", "/primary/standby/connectors")).body == all_three; },
                      seconds(60)))
      << list.body;
  EXPECT_EQ(Http(node->port(), "GET", "/standby/standby/connectors").status, 404);
  EXPECT_EQ(Http(node->port(), "GET", "/standby/primary/connectors").status, 404) << "--clusters standby: no flow into primary";
  // GET /metrics: every flow's metrics at the node's one address, each sample labelled with its flow.
  HttpReply metrics;
  EXPECT_TRUE(WaitFor(
      [&] {
        metrics = Http(node->port(), "GET", "/metrics");
        return metrics.body.find("kafka_connect_mirror_mirrorsourceconnector_record_count{flow=\"primary->standby\","
                                 "target=\"standby\",topic=\"primary.orders\",partition=\"0\"} ") != std::string::npos;
      },
      seconds(30)))
      << metrics.body;
  EXPECT_NE(metrics.body.find("kafka_connect_worker_connector_count{flow=\"primary->standby\"} "), std::string::npos);
  // A task restart through the flow's path.
  ASSERT_TRUE(WaitFor([&] { return Http(node->port(), "GET", "/primary/standby/connectors/MirrorSourceConnector/tasks/0/status").status == 200; },
                      seconds(60)));
  EXPECT_EQ(Http(node->port(), "POST", "/primary/standby/connectors/MirrorSourceConnector/tasks/0/restart").status, 204);
  for (int p = 0; p < kPartitions; ++p) ProduceAt("primary", "orders", p, MakeRecords(p * 1000 + 100, 100));
  ExpectCopied("primary", "orders", "standby", "primary.orders", kPartitions);
  EXPECT_EQ(node->Terminate(), 0);
}

TEST_P(MirrorMakerTest, ActiveActiveExampleCopiesBothWaysAndNeverLoops) {
  ASSERT_NO_FATAL_FAILURE(StartClusters({"east", "west"}));
  CreateFlowTopics({"east", "west"}, {"orders", "payments"}, kPartitions);
  CreateFlowTopics({"west", "east"}, {"orders", "payments"}, kPartitions);
  for (const char* side : {"east", "west"}) {
    for (const char* t : {"orders", "payments"}) {
      for (int p = 0; p < kPartitions; ++p) ProduceAt(side, t, p, MakeRecords(side[0] == 'e' ? p * 1000 : 50000 + p * 1000, 100));
    }
  }
  // With MM2's default `topics = .*` each cluster's copies of the other's topics are candidates too:
  // the replication policy's cycle detection must keep them home.
  const std::string file =
      PrepareFile("active-active.properties", {"east", "west"}, {"listeners = http://127.0.0.1:0", "topics = .*"});
  auto node = StartNode(file, "node.log");
  ASSERT_NE(node, nullptr);
  for (const char* t : {"orders", "payments"}) {
    ExpectCopied("east", t, "west", std::string("east.") + t, kPartitions);
    ExpectCopied("west", t, "east", std::string("west.") + t, kPartitions);
  }
  for (const auto& [from, to] : {std::pair{"east", "west"}, std::pair{"west", "east"}}) {
    HttpReply tasks = Http(node->port(), "GET", std::string("/") + from + "/" + to + "/connectors/MirrorSourceConnector/tasks");
    ASSERT_EQ(tasks.status, 200) << tasks.body;
    EXPECT_NE(tasks.body.find("orders-0"), std::string::npos) << tasks.body;
    EXPECT_EQ(tasks.body.find(std::string(to) + ".orders"), std::string::npos)
        << "flow " << from << "->" << to << " must not copy " << to << "'s own records back: " << tasks.body;
  }
  EXPECT_EQ(node->Terminate(), 0);
}

TEST_P(MirrorMakerTest, AggregationExampleGathersBothSourcesInTheCentralCluster) {
  ASSERT_NO_FATAL_FAILURE(StartClusters({"us", "eu", "central"}));
  CreateFlowTopics({"us", "central"}, {"orders", "payments"}, kPartitions);
  CreateFlowTopics({"eu", "central"}, {"orders", "payments"}, kPartitions);
  for (const char* region : {"us", "eu"}) {
    for (const char* t : {"orders", "payments"}) {
      for (int p = 0; p < kPartitions; ++p) ProduceAt(region, t, p, MakeRecords(region[0] == 'u' ? p * 1000 : 70000 + p * 1000, 100));
    }
  }
  const std::string file = PrepareFile("aggregation.properties", {"us", "eu", "central"}, {});
  auto node = StartNode(file, "node.log");
  ASSERT_NE(node, nullptr);
  for (const char* region : {"us", "eu"}) {
    for (const char* t : {"orders", "payments"}) ExpectCopied(region, t, "central", std::string(region) + "." + t, kPartitions);
  }
  EXPECT_EQ(ConnectorState(node->port(), "/eu/central", "MirrorSourceConnector"), "RUNNING");
  EXPECT_EQ(node->Terminate(), 0);
}

TEST_P(MirrorMakerTest, ContinuesWhereMm2StoppedWithoutCopyingAgainOrSkippingAndTakesOverItsConfigs) {
  ASSERT_NO_FATAL_FAILURE(StartClusters({"A", "B"}));
  CreateFlowTopics({"A", "B"}, {"orders"}, kPartitions);
  // The topics MM2 made and this test writes into: the copy, and its Connect configs and offsets
  // topics (compacted, with Connect's partition counts).
  const Properties compacted = {{"cleanup.policy", "compact"}};
  for (const auto& [topic, partitions, configs] : {std::tuple{"A.orders", kPartitions, Properties{}},
                                                   std::tuple{"mm2-offsets.A.internal", 25, compacted},
                                                   std::tuple{"mm2-configs.A.internal", 1, compacted}}) {
    auto created = Cluster("B").CreateTopic(topic, partitions, configs);
    ASSERT_TRUE(created.ok()) << created.error().ToString();
  }
  constexpr int kCopiedByMm2 = 120;
  for (int p = 0; p < kPartitions; ++p) ProduceAt("A", "orders", p, MakeRecords(p * 1000, 200));
  // What MM2 left behind when it stopped: the first 120 records of each partition copied, and in its
  // offsets topic, as Connect's JSON, the offset of the last one it copied.
  for (int p = 0; p < kPartitions; ++p) {
    std::vector<Record> copied = ReadAt("A", {"orders", p});
    copied.resize(kCopiedByMm2);
    for (Record& r : copied) r.offset = -1;
    ProduceAt("B", "A.orders", p, copied);
    Record offset;
    offset.key = R"(["MirrorSourceConnector",{"cluster":"A","partition":)" + std::to_string(p) + R"(,"topic":"orders"}])";
    offset.value = R"({"offset":)" + std::to_string(kCopiedByMm2 - 1) + "}";
    offset.timestamp = 1700000000000;
    ProduceAt("B", "mm2-offsets.A.internal", p % 5, {offset});
  }
  // And MM2's connector config in its config topic, from an older file (tasks.max 1).
  Record old_config;
  old_config.key = "connector-MirrorSourceConnector";
  old_config.value = R"({"properties":{"connector.class":"org.apache.kafka.connect.mirror.MirrorSourceConnector",)"
                     R"("name":"MirrorSourceConnector","source.cluster.alias":"A","target.cluster.alias":"B",)"
                     R"("source.cluster.bootstrap.servers":")" + Cluster("A").bootstrap_servers() +
                     R"(","target.cluster.bootstrap.servers":")" + Cluster("B").bootstrap_servers() +
                     R"(","topics":"orders","tasks.max":"1","sync.topic.configs.enabled":"false",)"
                     R"("sync.topic.acls.enabled":"false")" + Mm2ReplicationFactors(peer()) + "}}";
  old_config.timestamp = 1700000000000;
  ProduceAt("B", "mm2-configs.A.internal", 0, {old_config});
  const std::string file = dir_ + "/mm2.properties";
  std::ofstream(file) << "clusters = A, B\n"
                      << "A.bootstrap.servers = " << Cluster("A").bootstrap_servers() << "\n"
                      << "B.bootstrap.servers = " << Cluster("B").bootstrap_servers() << "\n"
                      << "A->B.enabled = true\nA->B.topics = orders\ntasks.max = 2\n"
                      // Java client settings, as MM2 files carry them: translated or dropped, never fatal.
                      << "A.consumer.max.poll.records = 500\nA.consumer.default.api.timeout.ms = 60000\n"
                      << "B.producer.buffer.memory = 33554432\nB.producer.max.block.ms = 60000\n"
                      << "B.producer.key.serializer = org.apache.kafka.common.serialization.ByteArraySerializer\n"
                      << PeerSettings({"A", "B"});
  auto node = StartNode(file, "node.log");
  ASSERT_NE(node, nullptr);
  for (int p = 0; p < kPartitions; ++p) ProduceAt("A", "orders", p, MakeRecords(p * 1000 + 200, 50));
  // Exactly the source: what MM2 copied, then what Ferry copied from the next record on.
  ExpectCopied("A", "orders", "B", "A.orders", kPartitions);
  // The leader replaced MM2's older connector config with the file's.
  EXPECT_TRUE(WaitFor(
      [&] {
        HttpReply config = Http(node->port(), "GET", "/A/B/connectors/MirrorSourceConnector/config");
        HttpReply tasks = Http(node->port(), "GET", "/A/B/connectors/MirrorSourceConnector/tasks");
        return config.status == 200 && config.body.find(R"("tasks.max":"2")") != std::string::npos &&
               tasks.status == 200 && tasks.Json().Size() == 2;
      },
      seconds(60)));
  EXPECT_EQ(node->Terminate(), 0);
}

TEST_P(MirrorMakerTest, AFlowWhoseClusterCannotBeReachedDoesNotHoldTheOthers) {
  ASSERT_NO_FATAL_FAILURE(StartClusters({"A", "B"}));
  CreateFlowTopics({"A", "B"}, {"orders"}, kPartitions);
  for (int p = 0; p < kPartitions; ++p) ProduceAt("A", "orders", p, MakeRecords(p * 1000, 100));
  const std::string file = dir_ + "/mm2.properties";
  std::ofstream(file) << "clusters = A, B, C\n"
                      << "A.bootstrap.servers = " << Cluster("A").bootstrap_servers() << "\n"
                      << "B.bootstrap.servers = " << Cluster("B").bootstrap_servers() << "\n"
                      << "C.bootstrap.servers = 127.0.0.1:1\n"  // nothing listens: C is down
                      << "A->B.enabled = true\nA->C.enabled = true\ntopics = orders\n"
                      << "emit.heartbeats.enabled = false\n"
                      << PeerSettings({"A", "B", "C"});
  auto node = StartNode(file, "node.log");
  ASSERT_NE(node, nullptr) << "the node starts with the flows it can run";
  ExpectCopied("A", "orders", "B", "A.orders", kPartitions);
  HttpReply down = Http(node->port(), "GET", "/A/C/health");
  EXPECT_EQ(down.status, 503) << down.body;
  EXPECT_EQ(Http(node->port(), "GET", "/A/B/health").status, 200);
  EXPECT_EQ(node->Terminate(std::chrono::seconds(60)), 0);
}

}  // namespace
}  // namespace ferry::testing
