// Consumer-group cutover end to end: a Ferry worker mirrors source -> target (two mock clusters), an
// application's group consumes on the source and commits, the group is cut over (and rolled back)
// through the worker's REST API while producers keep writing, and the same application resumes on the
// other cluster. What it read on both clusters must be the source records exactly once, in order.
//
// The 2.0.2 mock cannot describe groups (librdkafka aborts the client when asked), so whether a group
// has active members comes from GroupStatesFromTest here (tests named ...WithFakeGroupState); every
// other call (offsets, topics, records, the offset-syncs topic, the journal) is the real path. The
// real group-state check meeting the mock is tested through `ferry cutover` at the end.
#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "tests/support/mirror_worker_test.h"
#include "worker/common/json.h"
#include "worker/cutover/service.h"
#include "worker/kafka/admin.h"
#include "worker/kafka/client.h"

namespace ferry::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Group members per (cluster bootstrap, group), as the test says they are.
class GroupStatesFromTest {
 public:
  void Set(const std::string& bootstrap, const std::string& group, int members) {
    std::lock_guard lock(mu_);
    members_[{bootstrap, group}] = members;
  }
  int Get(const std::string& bootstrap, const std::string& group) {
    std::lock_guard lock(mu_);
    auto it = members_.find({bootstrap, group});
    return it == members_.end() ? 0 : it->second;
  }

 private:
  std::mutex mu_;
  std::map<std::pair<std::string, std::string>, int> members_;
};

// The real Admin, but the group's state comes from the test.
class FakeGroupStateAdmin : public kafka::ForwardingAdmin {
 public:
  FakeGroupStateAdmin(kafka::AdminPtr admin, std::string bootstrap, std::shared_ptr<GroupStatesFromTest> states)
      : ForwardingAdmin(std::move(admin)), bootstrap_(std::move(bootstrap)), states_(std::move(states)) {}
  Result<kafka::GroupDescription> DescribeConsumerGroupState(const std::string& group) override {
    const int members = states_->Get(bootstrap_, group);
    return kafka::GroupDescription{group, members > 0 ? kafka::GroupState::kStable : kafka::GroupState::kEmpty, members,
                                   false};
  }

 private:
  std::string bootstrap_;
  std::shared_ptr<GroupStatesFromTest> states_;
};

// What an application with manual commits does: read `max` records (or to the end) from the group's
// committed offset, then commit.
std::vector<Record> ConsumeAndCommit(const std::string& bootstrap, const std::string& group, const TopicPartition& tp,
                                     size_t max) {
  auto reader = kafka::GroupReader::Create(bootstrap, group, tp.topic, {tp.partition});
  EXPECT_TRUE(reader.ok());
  if (!reader.ok()) return {};
  auto read = (*reader)->Poll(max, seconds(30));
  EXPECT_TRUE(read.ok()) << read.error().ToString();
  EXPECT_TRUE((*reader)->Commit().ok());
  std::vector<Record> out;
  for (auto& r : *read) out.push_back(std::move(r.record));
  return out;
}

// Records with unique keys, so "exactly once" is checked key by key.
std::vector<Record> Keyed(int partition, int64_t first, int64_t count, size_t value_bytes = 50) {
  std::vector<Record> out;
  for (int64_t i = first; i < first + count; ++i) {
    Record r;
    r.key = "p" + std::to_string(partition) + "-" + std::to_string(i);
    r.value = std::string(value_bytes, static_cast<char>('a' + i % 26));
    r.timestamp = 1700000000000 + i;
    out.push_back(std::move(r));
  }
  return out;
}

class CutoverTest : public MirrorWorkerTest {
 protected:
  void SetUp() override {
    SetUpMirror(2);
    // The journal's topic too (the mock has no CreateTopics).
    ASSERT_TRUE(target().CreateTopic(cutover::JournalTopic("A"), 1).ok());
    states_ = std::make_shared<GroupStatesFromTest>();
  }

  cutover::ClusterClients Clients() {
    cutover::ClusterClients clients = cutover::KafkaClusterClients(seconds(10));
    clients.make_admin = [states = states_](const Properties& props) -> Result<std::unique_ptr<kafka::Admin>> {
      auto admin = kafka::RdKafkaAdmin::Create(props, seconds(10));
      if (!admin.ok()) return admin.error();
      return std::unique_ptr<kafka::Admin>(
          std::make_unique<FakeGroupStateAdmin>(std::move(*admin), props.at("bootstrap.servers"), states));
    };
    return clients;
  }

  std::unique_ptr<InProcessWorker> StartWorker() { return InProcessWorker::Start(worker_props_, Clients()); }

  // A worker running mirror-a, once it has copied everything on the source; nullptr on failure.
  std::unique_ptr<InProcessWorker> StartMirroring() {
    auto worker = StartWorker();
    if (worker == nullptr) return nullptr;
    EXPECT_EQ(Http(worker->port(), "PUT", "/connectors/mirror-a/config", MirrorConfig(2)).status, 201);
    for (int p = 0; p < 2; ++p) {
      WaitMirrored(p, 0);
      if (::testing::Test::HasFailure()) return nullptr;
    }
    return worker;
  }

  // Waits until A.orders-p holds every record of orders-p (plus `base` that were there before).
  void WaitMirrored(int p, size_t base) {
    ASSERT_TRUE(WaitFor([&] { return Read(target(), {"A.orders", p}).size() == Read(source(), {"orders", p}).size() + base; },
                        seconds(60)))
        << "partition " << p;
  }

  HttpReply Post(InProcessWorker& w, const std::string& path) { return Http(w.port(), "POST", path); }

  std::string Outcome(const HttpReply& reply) {
    auto doc = reply.Json();
    const rapidjson::Value& report = doc.HasMember("report") ? doc["report"] : doc;
    return report.HasMember("outcome") ? report["outcome"].GetString() : "";
  }

  // Keys of what the group read, in order, against the source's keys from `first_offset` on.
  void ExpectExactlyOnce(int p, const std::vector<Record>& read, int64_t first_offset) {
    std::vector<std::optional<std::string>> expected, got;
    for (const Record& r : Read(source(), {"orders", p})) {
      if (r.offset >= first_offset) expected.push_back(r.key);
    }
    for (const Record& r : read) got.push_back(r.key);
    ASSERT_EQ(got.size(), expected.size()) << "partition " << p << ": records read in all vs the source";
    for (size_t i = 0; i < got.size(); ++i) {
      ASSERT_EQ(got[i], expected[i]) << "partition " << p << ", record " << i << " of the group's reading";
    }
  }

  std::shared_ptr<GroupStatesFromTest> states_;
};

TEST_F(CutoverTest, LiveCutoverResumesOnTheTargetAtExactlyTheNextRecordWithFakeGroupState) {
  // Partition 0's copy does not start at offset 0 on the target (a non-zero offset delta); partition
  // 1's source log start has moved (the mock's 5 MiB retention) before anything was mirrored.
  Produce(target(), "A.orders", 0, Keyed(9, 0, 30));
  std::vector<Record> big = Keyed(1, 0, 700, 10000);  // 7 MB
  Produce(source(), "orders", 1, big);
  Produce(source(), "orders", 0, Keyed(0, 0, 300));
  Produce(source(), "orders", 1, Keyed(1, 700, 300));
  const int64_t p1_start = Read(source(), {"orders", 1}).front().offset;
  ASSERT_GT(p1_start, 0) << "the mock should have dropped the oldest batches";

  std::vector<Record> read[2];
  {
    auto worker = StartWorker();
    ASSERT_NE(worker, nullptr);
    ASSERT_EQ(Http(worker->port(), "PUT", "/connectors/mirror-a/config", MirrorConfig(2)).status, 201);
    WaitMirrored(0, 30);
    WaitMirrored(1, 0);
    // The application reads part of each partition on the source and commits.
    read[0] = ConsumeAndCommit(source().bootstrap_servers(), "app", {"orders", 0}, 120);
    read[1] = ConsumeAndCommit(source().bootstrap_servers(), "app", {"orders", 1}, 150);
    ASSERT_EQ(read[0].size(), 120u);
    ASSERT_EQ(read[1].size(), 150u);
  }  // the worker stops: the cutover below runs on a restarted worker, from the offset-syncs topic

  // Producers keep writing to the source throughout.
  std::atomic<bool> stop{false};
  std::thread producer([&] {
    auto writer = kafka::RecordWriter::Create(source().bootstrap_servers());
    ASSERT_TRUE(writer.ok());
    for (int64_t i = 1000; i < 1400 && !stop; ++i) {
      for (int p = 0; p < 2; ++p) ASSERT_TRUE((*writer)->Send("orders", p, Keyed(p, i, 1)[0]).ok());
      if (i % 20 == 0) {
        ASSERT_TRUE((*writer)->Flush(seconds(10)).ok());
        std::this_thread::sleep_for(milliseconds(50));
      }
    }
    ASSERT_TRUE((*writer)->Flush(seconds(10)).ok());
  });
  auto worker = StartWorker();
  ASSERT_NE(worker, nullptr);
  HttpReply plan = Http(worker->port(), "GET", "/ferry/groups/app/plan");
  ASSERT_EQ(plan.status, 200) << plan.body;
  HttpReply moved = Post(*worker, "/ferry/groups/app/cutover?wait_ms=60000");
  ASSERT_EQ(moved.status, 200) << moved.body;
  EXPECT_EQ(Outcome(moved), "moved");
  producer.join();
  WaitMirrored(0, 30);
  WaitMirrored(1, 0);

  // The same application, now on the target's copy, reads the rest.
  for (int p = 0; p < 2; ++p) {
    for (Record& r : ConsumeAndCommit(target().bootstrap_servers(), "app", {"A.orders", p}, 100000)) {
      read[p].push_back(std::move(r));
    }
  }
  ExpectExactlyOnce(0, read[0], 0);
  ExpectExactlyOnce(1, read[1], p1_start);

  HttpReply status = Http(worker->port(), "GET", "/ferry/groups/app/status");
  ASSERT_EQ(status.status, 200) << status.body;
  EXPECT_EQ(std::string(status.Json()["position"].GetString()), "target") << status.body;
  HttpReply verify = Http(worker->port(), "GET", "/ferry/topics/orders/verify");
  ASSERT_EQ(verify.status, 200) << verify.body;
  EXPECT_TRUE(verify.Json()["ok"].GetBool()) << verify.body;
  stop = true;
}

TEST_F(CutoverTest, RollbackThenASecondCutoverKeepEveryRecordExactlyOnceWithFakeGroupState) {
  for (int p = 0; p < 2; ++p) Produce(source(), "orders", p, Keyed(p, 0, 200));
  auto worker = StartMirroring();
  ASSERT_NE(worker, nullptr);
  std::vector<Record> read[2];
  auto consume = [&](TestCluster& cluster, const std::string& topic, size_t n) {
    for (int p = 0; p < 2; ++p) {
      for (Record& r : ConsumeAndCommit(cluster.bootstrap_servers(), "app", {topic, p}, n)) read[p].push_back(std::move(r));
    }
  };
  consume(source(), "orders", 50);
  HttpReply first = Post(*worker, "/ferry/groups/app/cutover?wait_ms=30000");
  ASSERT_EQ(Outcome(first), "moved") << first.body;
  consume(target(), "A.orders", 70);

  HttpReply back_plan = Http(worker->port(), "GET", "/ferry/groups/app/plan?direction=rollback");
  ASSERT_EQ(back_plan.status, 200) << back_plan.body;
  EXPECT_TRUE(back_plan.Json()["ready"].GetBool()) << back_plan.body;
  HttpReply back = Post(*worker, "/ferry/groups/app/rollback?wait_ms=30000");
  ASSERT_EQ(back.status, 200) << back.body;
  auto admin = kafka::RdKafkaAdmin::Create({{"bootstrap.servers", source().bootstrap_servers()}}, seconds(10));
  ASSERT_TRUE(admin.ok());
  auto on_source = (*admin)->ListConsumerGroupOffsets("app", {{"orders", 0}, {"orders", 1}});
  ASSERT_TRUE(on_source.ok());
  EXPECT_EQ(on_source->at({"orders", 0}).offset, 120);
  EXPECT_EQ(on_source->at({"orders", 1}).offset, 120);

  consume(source(), "orders", 30);
  for (int p = 0; p < 2; ++p) Produce(source(), "orders", p, Keyed(p, 200, 50));  // more arrives meanwhile
  HttpReply again = Post(*worker, "/ferry/groups/app/cutover?wait_ms=30000");
  ASSERT_EQ(Outcome(again), "moved") << again.body;
  WaitMirrored(0, 0);
  WaitMirrored(1, 0);
  consume(target(), "A.orders", 100000);
  ExpectExactlyOnce(0, read[0], 0);
  ExpectExactlyOnce(1, read[1], 0);
}

TEST_F(CutoverTest, RefusalsNameTheReasonAndChangeNothingWithFakeGroupState) {
  for (int p = 0; p < 2; ++p) Produce(source(), "orders", p, Keyed(p, 0, 100));
  auto worker = StartMirroring();
  ASSERT_NE(worker, nullptr);
  ConsumeAndCommit(source().bootstrap_servers(), "app", {"orders", 0}, 40);
  auto target_admin = kafka::RdKafkaAdmin::Create({{"bootstrap.servers", target().bootstrap_servers()}}, seconds(10));
  ASSERT_TRUE(target_admin.ok());
  auto target_offsets = [&] { return *(*target_admin)->ListConsumerGroupOffsets("app", {{"A.orders", 0}, {"A.orders", 1}}); };

  EXPECT_EQ(Post(*worker, "/ferry/groups/nobody/cutover").status, 404);
  EXPECT_EQ(Post(*worker, "/ferry/groups/app/cutover?connector=nope").status, 404);
  EXPECT_EQ(Post(*worker, "/ferry/groups/app/cutover?wait_ms=soon").status, 400);

  states_->Set(source().bootstrap_servers(), "app", 3);
  HttpReply active = Post(*worker, "/ferry/groups/app/cutover");
  EXPECT_EQ(active.status, 409) << active.body;
  EXPECT_NE(active.body.find("has 3 active member(s) on cluster A"), std::string::npos) << active.body;
  states_->Set(source().bootstrap_servers(), "app", 0);

  // The mirror is paused and the group committed past what it copied.
  ASSERT_EQ(Http(worker->port(), "PUT", "/connectors/mirror-a/pause").status, 202);
  ASSERT_TRUE(WaitFor([&] { return Http(worker->port(), "GET", "/connectors/mirror-a/status").body.find("PAUSED") != std::string::npos; }, seconds(30)));
  Produce(source(), "orders", 1, Keyed(1, 100, 50));
  ConsumeAndCommit(source().bootstrap_servers(), "app", {"orders", 1}, 130);
  HttpReply behind = Post(*worker, "/ferry/groups/app/cutover");
  EXPECT_EQ(behind.status, 409) << behind.body;
  EXPECT_NE(behind.body.find("orders-1: not replicated yet: the mirror has copied up to offset 100, the group committed 130"),
            std::string::npos) << behind.body;
  EXPECT_TRUE(target_offsets().empty()) << "a refused cutover writes nothing";

  // The group already read further on the target than the translation.
  ASSERT_TRUE((*target_admin)->AlterConsumerGroupOffsets("app", {{{"A.orders", 0}, {90, ""}}}).ok());
  ASSERT_EQ(Http(worker->port(), "PUT", "/connectors/mirror-a/resume").status, 202);
  HttpReply ahead = Post(*worker, "/ferry/groups/app/cutover?wait_ms=30000");
  EXPECT_EQ(ahead.status, 409) << ahead.body;
  EXPECT_NE(ahead.body.find("the group already committed A.orders-0@90, past 40"), std::string::npos) << ahead.body;
  EXPECT_EQ(target_offsets().at({"A.orders", 0}).offset, 90);
  EXPECT_EQ(target_offsets().count({"A.orders", 1}), 0u);
}

TEST_F(CutoverTest, FerryCutoverCommandVerifiesTheCopyAndMeetsTheMockWithoutDescribeGroups) {
  for (int p = 0; p < 2; ++p) Produce(source(), "orders", p, Keyed(p, 0, 100));
  auto worker = StartMirroring();
  ASSERT_NE(worker, nullptr);
  ConsumeAndCommit(source().bootstrap_servers(), "app", {"orders", 0}, 40);
  // Wait until the mirror's last copies are in the offset-syncs topic (synced at each offset flush).
  ASSERT_TRUE(WaitFor([&] { return Http(worker->port(), "GET", "/ferry/groups/app/plan").body.find("\"replicated_to\":100") != std::string::npos; }, seconds(30)));
  const std::string file = ::testing::TempDir() + "ferry-cutover-mirror.properties";
  WritePropertiesFile(file, {{"name", "mirror-a"},
                             {"connector.class", "MirrorSourceConnector"},
                             {"source.cluster.alias", "A"},
                             {"target.cluster.alias", "B"},
                             {"source.cluster.bootstrap.servers", source().bootstrap_servers()},
                             {"target.cluster.bootstrap.servers", target().bootstrap_servers()},
                             {"topics", "orders"}});

  CommandResult verify = RunFerry({"cutover", "verify", file, "orders"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out;
  EXPECT_NE(verify.out.find("\"ok\":true"), std::string::npos) << verify.out;
  EXPECT_NE(verify.out.find("\"records\":100"), std::string::npos) << verify.out;

  // The real group-state check asks the mock for its APIs and finds no DescribeGroups: a blocker,
  // where librdkafka alone would have aborted the process.
  CommandResult plan = RunFerry({"cutover", "plan", file, "app"});
  EXPECT_EQ(plan.exit_code, 0) << plan.out;
  EXPECT_NE(plan.out.find("does not serve DescribeGroups"), std::string::npos) << plan.out;
  EXPECT_NE(plan.out.find("\"translated\":40"), std::string::npos) << plan.out;
  CommandResult move = RunFerry({"cutover", "cutover", file, "app"});
  EXPECT_EQ(move.exit_code, 1) << move.out;
  EXPECT_NE(move.out.find("\"outcome\":\"refused\""), std::string::npos) << move.out;
  CommandResult unknown = RunFerry({"cutover", "status", file, "nobody"});
  EXPECT_EQ(unknown.exit_code, 1) << unknown.out;
}

}  // namespace
}  // namespace ferry::testing
