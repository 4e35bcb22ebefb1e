// The Connect runtime end to end: a Ferry worker (in this process, or a `ferry` child process) with
// its config, offset and status topics on the target cluster, driven over real HTTP, mirroring real
// records from the source cluster, on real Kafka; the tests about health while the stores are read,
// or about listeners alone, run on the mock.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <thread>

#include <gtest/gtest.h>

#include "tests/support/two_clusters.h"
#include "tests/support/worker_harness.h"
#include "tasks/mirror_records.h"
#include "tasks/offset_sync_store.h"
#include "worker/kafka/admin.h"
#include "worker/common/json.h"

namespace ferry::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class ConnectWorkerFixture : public TwoClustersTest {
 protected:
  explicit ConnectWorkerFixture(Peer peer = Peer::kMock) : TwoClustersTest(peer) {}

  void SetUp() override {
    TwoClustersTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    // The worker's cluster is the target. The mock has no CreateTopics: make the internal topics
    // (on real Kafka the worker would create them; made here too, with the same partitions).
    ASSERT_TRUE(target().CreateTopic(prefix_ + "-configs", 1).ok());
    ASSERT_TRUE(target().CreateTopic(prefix_ + "-offsets", 5).ok());
    ASSERT_TRUE(target().CreateTopic(prefix_ + "-status", 3).ok());
    ASSERT_TRUE(source().CreateTopic(orders_, 4).ok());
    ASSERT_TRUE(target().CreateTopic(remote_, 4).ok());
    // MM2's offset-syncs topic lives on the source by default, named after the target alias. Real
    // Kafka's MirrorSourceConnector creates it (compacted, as MM2 does).
    if (!real_kafka()) {
      ASSERT_TRUE(source().CreateTopic(syncs_topic_, 1).ok());
    }
    worker_props_ = DistributedWorkerProps(target().bootstrap_servers(), prefix_, peer());
  }

  // A plain name on the mock, a UniqueName() on the shared real clusters.
  std::string Name(const std::string& base) const { return real_kafka() ? UniqueName(base) : base; }

  std::string ConnectorConfig(int tasks_max) {
    return "{\"connector.class\":\"org.apache.kafka.connect.mirror.MirrorSourceConnector\","
           "\"source.cluster.alias\":" + json::Quote(source_alias_) + ",\"target.cluster.alias\":" + json::Quote(target_alias_) + ","
           "\"source.cluster.bootstrap.servers\":" + json::Quote(source().bootstrap_servers()) + ","
           "\"target.cluster.bootstrap.servers\":" + json::Quote(target().bootstrap_servers()) + ","
           "\"topics\":" + json::Quote(orders_) + ",\"tasks.max\":\"" + std::to_string(tasks_max) + "\","
           "\"source.consumer.fetch.wait.max.ms\":\"50\",\"refresh.topics.enabled\":\"false\","
           // Topic config and ACL syncs have suites of their own on real Kafka (mirror_connectors_real_test.cc).
           "\"sync.topic.configs.enabled\":\"false\",\"sync.topic.acls.enabled\":\"false\"" +
           ReplicationFactors() + "}";
  }

  std::string ReplicationFactors() const { return Mm2ReplicationFactors(peer()); }

  // Waits until the connector has `state` and every one of `tasks` tasks has `task_state`.
  bool WaitForStatus(int port, const std::string& name, const std::string& state, size_t tasks,
                     const std::string& task_state, seconds timeout = seconds(60)) {
    return WaitForConnectorStatus(port, name, state, tasks, task_state, timeout);
  }

  // A connector's committed offsets as partition -> offset, from GET /connectors/{name}/offsets.
  // Of orders_ only: MM2 mirrors every heartbeats topic too, and on the shared real clusters other
  // tests' flows leave heartbeats topics on the source.
  std::map<int, int64_t> Offsets(int port, const std::string& name) {
    std::map<int, int64_t> out;
    HttpReply r = Http(port, "GET", "/connectors/" + name + "/offsets");
    EXPECT_EQ(r.status, 200) << r.body;
    if (r.status != 200) return out;
    auto doc = r.Json();
    for (const auto& o : doc["offsets"].GetArray()) {
      if (o["partition"]["topic"].GetString() != orders_) continue;
      EXPECT_EQ(std::string(o["partition"]["cluster"].GetString()), source_alias_);
      out[o["partition"]["partition"].GetInt()] = o["offset"]["offset"].GetInt64();
    }
    return out;
  }

  // Waits until the target copy of orders-p holds `count` records.
  bool WaitForTarget(int partition, size_t count, seconds timeout = seconds(60)) {
    return WaitFor([&] { return Read(target(), {remote_, partition}).size() >= count; }, timeout);
  }

  // The aliases name remote topics, the offset-syncs and checkpoints topics and the heartbeats: unique
  // on real Kafka, so tests sharing the clusters read and copy only their own.
  const std::string source_alias_ = Name("A");
  const std::string target_alias_ = Name("B");
  const std::string syncs_topic_ = "mm2-offset-syncs." + target_alias_ + ".internal";
  const std::string prefix_ = Name("w");
  const std::string orders_ = Name("orders");
  const std::string remote_ = source_alias_ + "." + orders_;
  const std::string group_ = Name("app");
  Properties worker_props_;

  // The heartbeats in `topic` whose source alias is `source_alias` (the topic may be shared), decoded.
  std::vector<std::pair<tasks::Heartbeat, Record>> Heartbeats(TestCluster& cluster, const std::string& topic,
                                                              const std::string& source_alias) {
    std::vector<std::pair<tasks::Heartbeat, Record>> out;
    for (Record& record : Read(cluster, {topic, 0})) {
      EXPECT_TRUE(record.key && record.value);
      if (!record.key || !record.value) continue;
      auto beat = tasks::Heartbeat::Decode(*record.key, *record.value);
      EXPECT_TRUE(beat.ok()) << beat.error().ToString();
      if (beat.ok() && beat->source_alias == source_alias) out.emplace_back(*beat, std::move(record));
    }
    return out;
  }
};

using ConnectWorkerTest = OnPeers<ConnectWorkerFixture>;
FERRY_INSTANTIATE_ON_REAL_KAFKA(ConnectWorkerTest);
using ConnectWorkerOnMockTest = ConnectWorkerFixture;

TEST_P(ConnectWorkerTest, LifecycleOverRestMirrorsRecordsExactly) {
  auto worker = InProcessWorker::Start(worker_props_);
  ASSERT_NE(worker, nullptr);
  const int port = worker->port();
  for (int p = 0; p < 4; ++p) Produce(source(), orders_, p, MakeRecords(p * 1000, 300));

  // A rejected create writes nothing to the config topic.
  HttpReply rejected = Http(port, "POST", "/connectors",
                            "{\"name\":\"bad\",\"config\":{\"connector.class\":\"MirrorSourceConnector\",\"tasks.max\":\"0\"}}");
  EXPECT_EQ(rejected.status, 400) << rejected.body;
  EXPECT_NE(rejected.body.find("Missing required configuration \\\"source.cluster.alias\\\""), std::string::npos) << rejected.body;
  EXPECT_NE(rejected.body.find("Invalid value 0 for configuration tasks.max"), std::string::npos) << rejected.body;
  // (The leader's session key may be there already: Kafka's coordinator forms the group at once.)
  for (const Record& r : Read(target(), {prefix_ + "-configs", 0})) {
    EXPECT_EQ(r.key.value_or("").find("bad"), std::string::npos) << "a rejected create wrote " << *r.key;
  }

  HttpReply created = Http(port, "POST", "/connectors", "{\"name\":\"mirror-a\",\"config\":" + ConnectorConfig(2) + "}");
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(std::string(created.Json()["name"].GetString()), "mirror-a");
  ASSERT_TRUE(WaitForStatus(port, "mirror-a", "RUNNING", 2, "RUNNING"));
  for (int p = 0; p < 4; ++p) ASSERT_TRUE(WaitForTarget(p, 300)) << "partition " << p;

  // Pause: nothing is copied; resume: everything written meanwhile arrives.
  ASSERT_EQ(Http(port, "PUT", "/connectors/mirror-a/pause").status, 202);
  ASSERT_TRUE(WaitForStatus(port, "mirror-a", "PAUSED", 2, "PAUSED"));
  for (int p = 0; p < 4; ++p) Produce(source(), orders_, p, MakeRecords(p * 1000 + 300, 100));
  std::this_thread::sleep_for(milliseconds(500));
  EXPECT_EQ(Read(target(), {remote_, 0}).size(), 300u) << "a paused connector copies nothing";
  ASSERT_EQ(Http(port, "PUT", "/connectors/mirror-a/resume").status, 202);
  ASSERT_TRUE(WaitForStatus(port, "mirror-a", "RUNNING", 2, "RUNNING"));
  for (int p = 0; p < 4; ++p) ASSERT_TRUE(WaitForTarget(p, 400)) << "partition " << p;

  // Stop: no tasks; offsets are MM2's (last copied offset per partition).
  ASSERT_EQ(Http(port, "PUT", "/connectors/mirror-a/stop").status, 204);
  ASSERT_TRUE(WaitForStatus(port, "mirror-a", "STOPPED", 0, ""));
  const std::map<int, int64_t> stopped_at = Offsets(port, "mirror-a");
  ASSERT_EQ(stopped_at.size(), 4u);
  for (const auto& [partition, offset] : stopped_at) EXPECT_EQ(offset, 399) << "partition " << partition;

  // Rewind partition 0 by 50 records while stopped; on resume they are copied again.
  HttpReply altered = Http(port, "PATCH", "/connectors/mirror-a/offsets",
                           "{\"offsets\":[{\"partition\":{\"topic\":" + json::Quote(orders_) + ",\"partition\":0,\"cluster\":" + json::Quote(source_alias_) + "},"
                           "\"offset\":{\"offset\":349}}]}");
  ASSERT_EQ(altered.status, 200) << altered.body;
  ASSERT_EQ(Http(port, "PUT", "/connectors/mirror-a/resume").status, 202);
  ASSERT_TRUE(WaitForStatus(port, "mirror-a", "RUNNING", 2, "RUNNING"));
  ASSERT_TRUE(WaitForTarget(0, 450));
  const auto target0 = Read(target(), {remote_, 0});
  const auto source0 = Read(source(), {orders_, 0});
  ASSERT_EQ(target0.size(), 450u);
  for (size_t i = 0; i < 400; ++i) ASSERT_TRUE(target0[i].SameContent(source0[i])) << i;
  for (size_t i = 400; i < 450; ++i) ASSERT_TRUE(target0[i].SameContent(source0[i - 50])) << i;

  ASSERT_EQ(Http(port, "DELETE", "/connectors/mirror-a").status, 204);
  EXPECT_EQ(Http(port, "GET", "/connectors/mirror-a").status, 404);
  EXPECT_EQ(Http(port, "GET", "/connectors").body, "[]");
}

TEST_P(ConnectWorkerTest, KilledWorkerComesBackWithEveryConnectorAndLosesNoRecord) {
  const std::string dir = ::testing::TempDir() + "/ferry-kill9-" + std::to_string(getpid());
  std::filesystem::create_directories(dir);
  const std::string worker_file = WritePropertiesFile(dir + "/worker.properties", worker_props_);
  auto first = WorkerProcess::Start({"distributed", worker_file}, dir + "/worker1.log");
  ASSERT_GT(first->port(), 0);
  for (int p = 0; p < 4; ++p) Produce(source(), orders_, p, MakeRecords(p * 10000, 2000));
  ASSERT_EQ(Http(first->port(), "POST", "/connectors", "{\"name\":\"mirror-a\",\"config\":" + ConnectorConfig(2) + "}").status, 201);
  ASSERT_EQ(Http(first->port(), "POST", "/connectors",
                 "{\"name\":\"paused-one\",\"config\":" + ConnectorConfig(1) + ",\"initial_state\":\"PAUSED\"}").status,
            201);
  ASSERT_TRUE(WaitForStatus(first->port(), "mirror-a", "RUNNING", 2, "RUNNING"));
  ASSERT_TRUE(WaitForTarget(0, 1000));
  // Producers keep writing, and the worker copies, when it dies.
  std::thread writer([&] {
    for (int round = 0; round < 4; ++round) {
      for (int p = 0; p < 4; ++p) Produce(source(), orders_, p, MakeRecords(p * 10000 + 2000 + round * 500, 500));
    }
  });
  ASSERT_TRUE(WaitForTarget(0, 2300));
  // Every partition has a committed offset (flushed every 500 ms) before the kill.
  ASSERT_TRUE(WaitFor([&] { return Offsets(first->port(), "mirror-a").size() == 4; }, seconds(30)));
  const std::map<int, int64_t> before = Offsets(first->port(), "mirror-a");
  first->Kill9();
  writer.join();

  auto second = WorkerProcess::Start({"distributed", worker_file}, dir + "/worker2.log");
  ASSERT_GT(second->port(), 0);
  // The committed offsets survived the kill: the restarted worker shows each, at or beyond it.
  const std::map<int, int64_t> after = Offsets(second->port(), "mirror-a");
  ASSERT_EQ(after.size(), before.size());
  for (const auto& [partition, offset] : before) {
    ASSERT_TRUE(after.count(partition)) << "partition " << partition << " lost its offset";
    EXPECT_GE(after.at(partition), offset) << "partition " << partition;
  }
  EXPECT_TRUE(Offsets(second->port(), "paused-one").empty()) << "a connector that never ran has no offsets";
  ASSERT_TRUE(WaitForStatus(second->port(), "mirror-a", "RUNNING", 2, "RUNNING"));
  // Created PAUSED and never resumed: as in Connect, it was never asked for task configs.
  ASSERT_TRUE(WaitForStatus(second->port(), "paused-one", "PAUSED", 0, "PAUSED"));
  int64_t duplicates = 0;
  for (int p = 0; p < 4; ++p) {
    ASSERT_TRUE(WaitForTarget(p, 4000)) << "partition " << p;
    std::this_thread::sleep_for(milliseconds(200));
    const auto src = Read(source(), {orders_, p});
    const auto tgt = Read(target(), {remote_, p});
    // Every source record arrived, in order; records copied after the last stored offset and before
    // the kill were copied again (at most one flush interval's worth), and are counted.
    size_t s = 0;
    for (size_t t = 0; t < tgt.size(); ++t) {
      if (s < src.size() && tgt[t].SameContent(src[s])) {
        ++s;
      } else {
        ++duplicates;
      }
    }
    EXPECT_EQ(s, src.size()) << "partition " << p << ": a record is missing";
  }
  std::cout << "[ report   ] records copied twice after kill -9: " << duplicates << "\n";
  EXPECT_EQ(second->Terminate(), 0);
}

// GET /health on a real worker: 503 until the herder has read the stores, then a probe through the
// herder thread: 200 while it answers, 500 with what it is stuck on when it does not within 10 s.
TEST_F(ConnectWorkerOnMockTest, HealthIsStartingUntilTheStoresAreReadThenProbesTheHerderThread) {
  auto config = worker::WorkerConfig::Parse(worker_props_, worker::WorkerMode::kDistributed);
  ASSERT_TRUE(config.ok()) << config.error().ToString();
  auto runtime = worker::WorkerRuntime::Create(*config);
  ASSERT_TRUE(runtime.ok()) << runtime.error().ToString();
  // As `ferry distributed` does: REST first (the worker id needs its port), then the herder.
  rest::Server server((*runtime)->herder(), rest::RestConfig::ForWorker(*config));
  auto port = server.Start();
  ASSERT_TRUE(port.ok()) << port.error().ToString();
  HttpReply health = Http(*port, "GET", "/health");
  EXPECT_EQ(health.status, 503);
  EXPECT_EQ(health.body, R"({"status":"starting","message":"Worker is still starting up."})");

  config->SetBoundPort(*port);
  ASSERT_TRUE((*runtime)->Start(*config).ok());
  health = Http(*port, "GET", "/health");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body,
            R"({"status":"healthy","message":"Worker has completed startup and is ready to handle requests."})");

  // With the worker's cluster down, writing a connector config holds the herder thread (up to its
  // 30 s write timeout), and the probe queued behind it times out. (Once the worker has joined its
  // group: before that a write waits for the leader, not on the herder thread.)
  ASSERT_TRUE(WaitFor([&] { return (*runtime)->herder().LeaderUrl().has_value(); }, seconds(30)));
  for (int b = 1; b <= 3; ++b) ASSERT_TRUE(target().mock().SetBrokerDown(b).ok());
  std::thread put([&] { Http(*port, "PUT", "/connectors/stuck/config", ConnectorConfig(1)); });
  std::string last;
  const auto asked = std::chrono::steady_clock::now();
  EXPECT_TRUE(WaitFor(
      [&] {
        health = Http(*port, "GET", "/health");
        last = health.body;
        return health.status == 500;
      },
      seconds(40)))
      << last;
  EXPECT_GE(std::chrono::steady_clock::now() - asked, seconds(10)) << "answered before Connect's 10 s timeout";
  EXPECT_NE(last.find(R"({"status":"unhealthy","message":"Worker was unable to handle this request and may be )"
                      R"(unable to handle other requests. The worker is currently writing the config of connector )"
                      R"(stuck, which began at )"),
            std::string::npos)
      << last;
  for (int b = 1; b <= 3; ++b) ASSERT_TRUE(target().mock().SetBrokerUp(b).ok());
  put.join();
  EXPECT_TRUE(WaitFor([&] { return Http(*port, "GET", "/health").status == 200; }, seconds(60)));
  server.Stop();
  (*runtime)->Stop();
}

// Connect's listeners and admin.listeners in a `ferry distributed` process: every listener serves the
// API; an empty admin.listeners turns /admin/ off, a separate one serves /admin/ alone.
TEST_F(ConnectWorkerOnMockTest, ListenersAndAdminListenersDecideWhatIsServedWhere) {
  auto free_port = [] {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      ADD_FAILURE() << "no free port";
    }
    close(fd);
    return static_cast<int>(ntohs(addr.sin_port));
  };
  const std::string kNotFound = R"({"error_code":404,"message":"HTTP 404 Not Found"})";
  const std::string dir = ::testing::TempDir() + "/ferry-listeners-" + std::to_string(getpid());
  std::filesystem::create_directories(dir);

  Properties props = worker_props_;
  const int second_port = free_port();
  props["listeners"] = "http://127.0.0.1:0, http://127.0.0.1:" + std::to_string(second_port);
  props["admin.listeners"] = "";
  auto worker = WorkerProcess::Start({"distributed", WritePropertiesFile(dir + "/off.properties", props)},
                                     dir + "/off.log");
  ASSERT_GT(worker->port(), 0);
  for (int port : {worker->port(), second_port}) {
    EXPECT_EQ(Http(port, "GET", "/connectors").status, 200) << port;
    HttpReply loggers = Http(port, "GET", "/admin/loggers");
    EXPECT_EQ(loggers.status, 404) << port;
    EXPECT_EQ(loggers.body, kNotFound);
  }
  EXPECT_EQ(worker->Terminate(), 0);

  const int admin_port = free_port();
  props["listeners"] = "http://127.0.0.1:0";
  props["admin.listeners"] = "http://127.0.0.1:" + std::to_string(admin_port);
  worker = WorkerProcess::Start({"distributed", WritePropertiesFile(dir + "/admin.properties", props)},
                                dir + "/admin.log");
  ASSERT_GT(worker->port(), 0);
  EXPECT_EQ(Http(worker->port(), "GET", "/connectors").status, 200);
  EXPECT_EQ(Http(worker->port(), "GET", "/admin/loggers").body, kNotFound);
  HttpReply loggers = Http(admin_port, "GET", "/admin/loggers");
  EXPECT_EQ(loggers.status, 200);
  EXPECT_NE(loggers.body.find(R"("root":{"level":)"), std::string::npos) << loggers.body;
  EXPECT_EQ(Http(admin_port, "GET", "/connectors").body, kNotFound);
  EXPECT_EQ(worker->Terminate(), 0);
}

TEST_P(ConnectWorkerTest, StandaloneWorkerRunsConnectorFilesAndResumesFromItsOffsetFile) {
  const std::string dir = ::testing::TempDir() + "/ferry-standalone-" + std::to_string(getpid());
  std::filesystem::create_directories(dir);
  const std::string worker_file = WritePropertiesFile(
      dir + "/worker.properties", {{"bootstrap.servers", target().bootstrap_servers()},
                                   {"offset.storage.file.filename", dir + "/offsets.dat"},
                                   {"offset.flush.interval.ms", "500"},
                                   {"listeners", "http://127.0.0.1:0"},
                                   {"key.converter", "org.apache.kafka.connect.converters.ByteArrayConverter"},
                                   {"plugin.path", "/usr/share/java"}});
  const std::string connector_file = WritePropertiesFile(
      dir + "/mirror.properties", {{"name", "mirror-a"},
                                   {"connector.class", "MirrorSourceConnector"},
                                   {"source.cluster.alias", source_alias_},
                                   {"source.cluster.bootstrap.servers", source().bootstrap_servers()},
                                   {"target.cluster.bootstrap.servers", target().bootstrap_servers()},
                                   {"topics", orders_},
                                   {"tasks.max", "4"},
                                   {"source.consumer.fetch.wait.max.ms", "50"},
                                   {"sync.topic.configs.enabled", "false"},
                                   {"sync.topic.acls.enabled", "false"},
                                   {"target.cluster.alias", target_alias_},
                                   {"replication.factor", "1"},
                                   {"offset-syncs.topic.replication.factor", "1"}});
  for (int p = 0; p < 4; ++p) Produce(source(), orders_, p, MakeRecords(p * 10000, 500));
  auto first = WorkerProcess::Start({"standalone", worker_file, connector_file}, dir + "/standalone1.log");
  ASSERT_GT(first->port(), 0);
  ASSERT_TRUE(WaitForStatus(first->port(), "mirror-a", "RUNNING", 4, "RUNNING"));
  for (int p = 0; p < 4; ++p) ASSERT_TRUE(WaitForTarget(p, 500)) << "partition " << p;
  EXPECT_EQ(first->Terminate(), 0);  // stops cleanly, storing the final offsets in the file

  for (int p = 0; p < 4; ++p) Produce(source(), orders_, p, MakeRecords(p * 10000 + 500, 500));
  auto second = WorkerProcess::Start({"standalone", worker_file, connector_file}, dir + "/standalone2.log");
  ASSERT_GT(second->port(), 0);
  for (int p = 0; p < 4; ++p) ASSERT_TRUE(WaitForTarget(p, 1000)) << "partition " << p;
  std::this_thread::sleep_for(milliseconds(300));
  for (int p = 0; p < 4; ++p) {
    auto verified = kafka::VerifyMirrored({orders_, p}, Read(source(), {orders_, p}), Read(target(), {remote_, p}));
    EXPECT_TRUE(verified.ok()) << verified.error().ToString();  // nothing lost, nothing copied twice
  }
  EXPECT_EQ(second->Terminate(), 0);
}

TEST_P(ConnectWorkerTest, HeartbeatConnectorWritesMM2HeartbeatsToTheTarget) {
  ASSERT_TRUE(target().CreateTopic("heartbeats", 1).ok());
  auto worker = InProcessWorker::Start(worker_props_);
  ASSERT_NE(worker, nullptr);
  const std::string config =
      "{\"connector.class\":\"MirrorHeartbeatConnector\",\"source.cluster.alias\":" + json::Quote(source_alias_) + ","
      "\"target.cluster.alias\":" + json::Quote(target_alias_) + ",\"emit.heartbeats.interval.seconds\":\"1\","
      "\"target.cluster.bootstrap.servers\":" + json::Quote(target().bootstrap_servers()) + ReplicationFactors() + "}";
  ASSERT_EQ(Http(worker->port(), "PUT", "/connectors/heartbeats-a/config", config).status, 201);
  ASSERT_TRUE(WaitForStatus(worker->port(), "heartbeats-a", "RUNNING", 1, "RUNNING"));
  ASSERT_TRUE(WaitFor([&] { return Heartbeats(target(), "heartbeats", source_alias_).size() >= 2; }, seconds(20)));
  int64_t previous = 0;
  for (const auto& [beat, record] : Heartbeats(target(), "heartbeats", source_alias_)) {
    EXPECT_EQ(beat.target_alias, target_alias_);
    EXPECT_EQ(beat.timestamp_ms, record.timestamp) << "MM2 sets the record time to the heartbeat's";
    EXPECT_GT(beat.timestamp_ms, previous);
    previous = beat.timestamp_ms;
  }
}

TEST_P(ConnectWorkerTest, AllThreeMM2ConnectorsMirrorDataHeartbeatsAndExactCheckpoints) {
  const std::string checkpoints = source_alias_ + ".checkpoints.internal";
  const std::string upstream_alias = Name("C");
  ASSERT_TRUE(target().CreateTopic(checkpoints, 1).ok());
  ASSERT_TRUE(target().CreateTopic("heartbeats", 1).ok());
  ASSERT_TRUE(source().CreateTopic("heartbeats", 1).ok());   // written by an upstream flow C->A
  ASSERT_TRUE(target().CreateTopic(source_alias_ + ".heartbeats", 1).ok()); // its mirror: lag visible end to end
  Produce(target(), remote_, 0, MakeRecords(900000, 50));  // a non-zero offset delta on partition 0
  for (int p = 0; p < 4; ++p) Produce(source(), orders_, p, MakeRecords(p * 1000, 300));
  // Group app consumed part of the data on the source and committed.
  auto admin = kafka::RdKafkaAdmin::Create({{"bootstrap.servers", source().bootstrap_servers()}}, seconds(10));
  ASSERT_TRUE(admin.ok());
  const std::map<int, int64_t> committed = {{0, 120}, {1, 1}, {2, 300}};
  kafka::GroupOffsets offsets;
  for (const auto& [p, o] : committed) offsets[{orders_, p}] = {o, "app-meta"};
  ASSERT_TRUE((*admin)->AlterConsumerGroupOffsets(group_, offsets).ok());

  auto worker = InProcessWorker::Start(worker_props_);
  ASSERT_NE(worker, nullptr);
  ASSERT_EQ(Http(worker->port(), "PUT", "/connectors/mirror-a/config", ConnectorConfig(2)).status, 201);
  const std::string config =
      "{\"connector.class\":\"MirrorCheckpointConnector\",\"source.cluster.alias\":" + json::Quote(source_alias_) + ","
      "\"target.cluster.alias\":" + json::Quote(target_alias_) + ",\"groups\":" + json::Quote(group_) + ","
      "\"emit.checkpoints.interval.seconds\":\"1\","
      "\"source.cluster.bootstrap.servers\":" + json::Quote(source().bootstrap_servers()) + ","
      "\"target.cluster.bootstrap.servers\":" + json::Quote(target().bootstrap_servers()) + ReplicationFactors() + "}";
  ASSERT_EQ(Http(worker->port(), "PUT", "/connectors/checkpoints-a/config", config).status, 201);
  ASSERT_TRUE(WaitForStatus(worker->port(), "checkpoints-a", "RUNNING", 1, "RUNNING"));
  auto heartbeat = [&](const std::string& from, const std::string& to, const std::string& bootstrap) {
    return "{\"connector.class\":\"MirrorHeartbeatConnector\",\"source.cluster.alias\":\"" + from +
           "\",\"target.cluster.alias\":\"" + to + "\",\"target.cluster.bootstrap.servers\":" + json::Quote(bootstrap) + ReplicationFactors() + "}";
  };
  ASSERT_EQ(Http(worker->port(), "PUT", "/connectors/heartbeats-ab/config", heartbeat(source_alias_, target_alias_, target().bootstrap_servers())).status, 201);
  ASSERT_EQ(Http(worker->port(), "PUT", "/connectors/heartbeats-ca/config", heartbeat(upstream_alias, source_alias_, source().bootstrap_servers())).status, 201);
  ASSERT_TRUE(WaitForTarget(0, 350));

  // Heartbeats of this flow on the target, and the upstream flow's heartbeats mirrored as A.heartbeats.
  ASSERT_TRUE(WaitFor([&] { return Heartbeats(target(), "heartbeats", source_alias_).size() >= 2; }, seconds(30)));
  const std::string mirrored_beats = source_alias_ + ".heartbeats";
  ASSERT_TRUE(WaitFor([&] { return Heartbeats(target(), mirrored_beats, upstream_alias).size() >= 2; }, seconds(30)));
  for (const auto& [beat, record] : Heartbeats(target(), mirrored_beats, upstream_alias)) {
    EXPECT_EQ(beat.target_alias, source_alias_);
  }

  // The latest checkpoint per partition, as MM2's RemoteClusterUtils.translateOffsets reads them.
  std::map<int, tasks::Checkpoint> latest;
  ASSERT_TRUE(WaitFor(
      [&] {
        for (const auto& record : Read(target(), {checkpoints, 0})) {
          auto c = tasks::Checkpoint::Decode(*record.key, *record.value);
          if (c.ok()) latest[c->partition] = *c;
        }
        return latest.size() == committed.size() && latest[0].upstream_offset == 120 && latest[2].upstream_offset == 300;
      },
      seconds(30)));
  for (const auto& [p, c] : latest) {
    EXPECT_EQ(c.group, group_);
    EXPECT_EQ(c.topic, remote_);
    EXPECT_EQ(c.metadata, "app-meta");
    EXPECT_EQ(c.upstream_offset, committed.at(p));
    // Exact: the target offset of the source record the group would read next.
    const auto src = Read(source(), {orders_, p});
    const auto tgt = Read(target(), {remote_, p});
    const size_t base = p == 0 ? 50 : 0;
    const int64_t expected = c.upstream_offset < static_cast<int64_t>(src.size())
                                 ? tgt[base + static_cast<size_t>(c.upstream_offset)].offset
                                 : tgt.back().offset + 1;
    EXPECT_EQ(c.downstream_offset, expected) << "partition " << p;
  }
}

TEST_P(ConnectWorkerTest, OffsetSyncsTopicRebuildsTheExactOffsetMapAfterRestarts) {
  // A target partition that already held records: the offsets differ by 100 on partition 0.
  Produce(target(), remote_, 0, MakeRecords(900000, 100));
  for (int p = 0; p < 4; ++p) Produce(source(), orders_, p, MakeRecords(p * 1000, 400));
  {
    auto worker = InProcessWorker::Start(worker_props_);
    ASSERT_NE(worker, nullptr);
    ASSERT_EQ(Http(worker->port(), "PUT", "/connectors/mirror-a/config", ConnectorConfig(2)).status, 201);
    ASSERT_TRUE(WaitForStatus(worker->port(), "mirror-a", "RUNNING", 2, "RUNNING"));
    ASSERT_TRUE(WaitForTarget(0, 500));
    for (int p = 1; p < 4; ++p) ASSERT_TRUE(WaitForTarget(p, 400));
  }  // the worker stops: its tasks write a sync for their last copied record
  {
    // A second worker (a restart) copies what arrived meanwhile.
    for (int p = 0; p < 4; ++p) Produce(source(), orders_, p, MakeRecords(p * 1000 + 400, 100));
    auto worker = InProcessWorker::Start(worker_props_);
    ASSERT_NE(worker, nullptr);
    ASSERT_TRUE(WaitForTarget(0, 600));
    for (int p = 1; p < 4; ++p) ASSERT_TRUE(WaitForTarget(p, 500));
  }
  // The records are MM2's OffsetSync format, keyed by the source topic.
  // (Syncs of heartbeats topics, which MM2 always mirrors, may come first.)
  int syncs_of_orders = 0;
  for (const Record& r : Read(source(), {syncs_topic_, 0})) {
    auto sync = tasks::OffsetSyncRecord::Decode(*r.key, *r.value);
    ASSERT_TRUE(sync.ok()) << sync.error().ToString();
    if (sync->topic == orders_) ++syncs_of_orders;
  }
  EXPECT_GT(syncs_of_orders, 0);

  // A reader that starts from scratch rebuilds the map, exact for every offset.
  kafka::KafkaLogOptions options;
  options.topic = syncs_topic_;
  options.producer = {{"bootstrap.servers", source().bootstrap_servers()}};
  options.consumer = {{"bootstrap.servers", source().bootstrap_servers()}};
  tasks::OffsetSyncStore store(options);
  ASSERT_TRUE(store.Start(seconds(30)).ok());
  for (int p = 0; p < 4; ++p) {
    const auto src = Read(source(), {orders_, p});
    const auto tgt = Read(target(), {remote_, p});
    const size_t base = p == 0 ? 100 : 0;
    ASSERT_EQ(tgt.size(), src.size() + base);
    for (size_t i = 0; i < src.size(); ++i) {
      ASSERT_EQ(store.Translate({orders_, p}, SourceOffset(src[i].offset)), TargetOffset(tgt[base + i].offset))
          << orders_ << "-" << p << " source offset " << src[i].offset;
    }
    EXPECT_EQ(store.Translate({orders_, p}, SourceOffset(src.back().offset + 1)), TargetOffset(tgt.back().offset + 1));
    EXPECT_EQ(store.Translate({orders_, p}, SourceOffset(src.back().offset + 2)), std::nullopt);
  }
  std::cout << "[ report   ] offset syncs for 2,000 records copied in two runs: " << store.syncs_read() << "\n";
  store.Stop();
}

}  // namespace
}  // namespace ferry::testing
