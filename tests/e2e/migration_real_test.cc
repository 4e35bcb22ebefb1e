// A whole migration on real Kafka, driven through its REST API as an operator (docs/migration.md):
// three topics and four consumer groups (two on the first topic) move from the source to the target
// while producers write, stage by stage: each group cut over when its consumers stop (they resume on
// the target), the producers moved by a hook (a command that flips a switch the producers watch), the
// fence on the source's ends, the copy verified. Along the way the worker is destroyed mid-stage (one
// group moved, another still reading) and a new worker resumes the stored plan, and a producer left
// on the source holds the fence, named by partition, until it stops. Each group must read every record
// of its topic exactly once across the two clusters, key by key.
// Real Kafka only: the 2.0.2 mock can neither describe groups nor run group rounds quickly.
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "tests/support/group_member.h"
#include "tests/support/mirror_worker_test.h"
#include "worker/kafka/record_io.h"

namespace ferry::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr int kPartitions = 2;

// The keys one group read, in any order (its members read the source, then the target).
class Keys {
 public:
  void Add(const std::optional<std::string>& key) {
    std::lock_guard lock(mu_);
    ++read_[key.value_or("<null>")];
    ++total_;
  }
  int64_t total() const {
    std::lock_guard lock(mu_);
    return total_;
  }
  std::map<std::string, int> read() const {
    std::lock_guard lock(mu_);
    return read_;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, int> read_;
  int64_t total_ = 0;
};

class MigrationFixture : public MirrorWorkerTest {
 protected:
  explicit MigrationFixture(Peer peer) : MirrorWorkerTest(peer), mirror_(Name("mirror")), name_(Name("migration")) {
    for (const char* t : {"orders", "payments", "refunds"}) topics_.push_back(Name(t));
    groups_ = {{Name("billing"), topics_[0]}, {Name("shipping"), topics_[0]}, {Name("ledger"), topics_[1]},
               {Name("audit"), topics_[2]}};
    switches_ = ::testing::TempDir() + "/" + Name("switches");
  }

  void SetUp() override {
    SetUpMirror(kPartitions);
    if (IsSkipped() || HasFatalFailure()) return;
    for (const std::string& t : topics_) {
      ASSERT_TRUE(source().CreateTopic(t, kPartitions, KeepRecords()).ok());
      ASSERT_TRUE(target().CreateTopic("A." + t, kPartitions, KeepRecords()).ok());
    }
    std::filesystem::create_directories(switches_);
    StartWorker();
    const std::string list = topics_[0] + "," + topics_[1] + "," + topics_[2];
    ASSERT_EQ(Http(worker_->port(), "PUT", "/connectors/" + mirror_ + "/config", MirrorConfig(2, list)).status, 201);
    ASSERT_TRUE(WaitForConnectorStatus(worker_->port(), mirror_, "RUNNING", 2, "RUNNING"));
  }

  void TearDown() override {
    for (auto& [group, members] : members_) members->Stop();
    members_.clear();
    stop_ = true;
    for (std::thread& t : producers_) t.join();
    worker_.reset();
    std::filesystem::remove_all(switches_);
  }

  void StartWorker() {
    worker_ = InProcessWorker::Start(worker_props_, cutover::KafkaClusterClients(seconds(10)));
    ASSERT_NE(worker_, nullptr);
  }

  // A producer of `topic` writing keyed records to the source until the switch file
  // `<switches>/moved-<topic>` appears (the move_producers hook makes it), then to the target's copy
  // of the topic (A.<topic>: its consumers read there), until the test ends. `stray`: a producer the
  // switch does not reach, writing to the source until `stray_stop_`.
  void StartProducer(const std::string& topic, const std::string& prefix, bool stray = false) {
    producers_.emplace_back([this, topic, prefix, stray] {
      auto source_writer = kafka::RecordWriter::Create(source().bootstrap_servers(), {{"linger.ms", "5"}});
      auto target_writer = kafka::RecordWriter::Create(target().bootstrap_servers(), {{"linger.ms", "5"}});
      if (!source_writer.ok() || !target_writer.ok()) return AddError("cannot make a producer");
      for (int64_t n = 0; !stop_ && !(stray && stray_stop_); ++n) {
        const bool moved = !stray && std::filesystem::exists(switches_ + "/moved-" + topic);
        kafka::Record r;
        r.key = prefix + "-" + std::to_string(n);
        r.value = std::string(32, 'v');
        auto& writer = moved ? *target_writer : *source_writer;
        if (auto sent = writer->Send(moved ? "A." + topic : topic, static_cast<int32_t>(n % kPartitions), r); !sent.ok()) {
          return AddError(sent.error().ToString());
        }
        if (n % 10 == 9) {
          if (auto flushed = writer->Flush(seconds(30)); !flushed.ok()) return AddError(flushed.error().ToString());
          std::this_thread::sleep_for(milliseconds(40));
        }
      }
      for (auto* w : {&*source_writer, &*target_writer}) {
        if (auto flushed = (*w)->Flush(seconds(30)); !flushed.ok()) AddError(flushed.error().ToString());
      }
    });
  }
  void AddError(const std::string& error) {
    std::lock_guard lock(errors_mu_);
    errors_.push_back(error);
  }

  void StartMembers(const std::string& group, TestCluster& cluster, const std::string& topic) {
    GroupMember::Options options;
    options.client_id = group + "-member";
    auto member = GroupMember::Start(
        cluster.bootstrap_servers(), group, topic,
        [this, group](int32_t, int64_t, const std::optional<std::string>& key) { keys_[group].Add(key); }, options);
    ASSERT_NE(member, nullptr);
    ASSERT_TRUE(WaitFor([&] { return member->assigned(); }, seconds(30))) << group << " got no partitions";
    members_[group] = std::move(member);
  }
  void StopMembers(const std::string& group) {
    members_.at(group)->Stop();
    for (const std::string& e : members_.at(group)->errors()) ADD_FAILURE() << group << ": " << e;
    members_.erase(group);
  }

  HttpReply Advance(int64_t wait_ms, bool dry_run = false) {
    return Http(worker_->port(), "POST",
                "/ferry/migrations/" + name_ + "/advance?wait_ms=" + std::to_string(wait_ms) +
                    (dry_run ? "&dry_run=true" : ""));
  }
  rapidjson::Document Plan() {
    HttpReply got = Http(worker_->port(), "GET", "/ferry/migrations/" + name_);
    EXPECT_EQ(got.status, 200) << got.body;
    return got.Json();
  }
  static std::string StageOf(const rapidjson::Value& plan, int topic) {
    return plan["topics"][topic]["stage"].GetString();
  }
  static std::string GroupState(const rapidjson::Value& plan, int topic, const std::string& group) {
    for (const auto& g : plan["topics"][topic]["groups"].GetArray()) {
      if (group == g["group"].GetString()) return g["state"].GetString();
    }
    return "absent";
  }

  // Every record of `topic` (on the source, or written to its copy on the target after the producers
  // moved) read exactly once by `group`.
  void ExpectExactlyOnce(const std::string& group, const std::string& topic) {
    std::set<std::string> expected;
    for (int p = 0; p < kPartitions; ++p) {
      for (const Record& r : Read(source(), {topic, p})) expected.insert(r.key.value_or("<null>"));
      for (const Record& r : Read(target(), {"A." + topic, p})) expected.insert(r.key.value_or("<null>"));
    }
    EXPECT_TRUE(WaitFor([&] { return keys_[group].total() >= static_cast<int64_t>(expected.size()); }, seconds(90)))
        << group << " read " << keys_[group].total() << " of " << expected.size();
    const std::map<std::string, int> read = keys_[group].read();
    int64_t twice = 0, missing = 0, foreign = 0;
    for (const auto& [key, n] : read) {
      twice += n - 1;
      foreign += expected.count(key) ? 0 : 1;
    }
    for (const std::string& key : expected) missing += read.count(key) ? 0 : 1;
    EXPECT_EQ(twice, 0) << group << ": records read more than once";
    EXPECT_EQ(missing, 0) << group << ": records never read";
    EXPECT_EQ(foreign, 0) << group << ": records of no producer";
    std::cout << "[ measure  ] " << group << " read exactly once: " << expected.size() << " records" << std::endl;
  }

  const std::string mirror_;
  const std::string name_;
  std::vector<std::string> topics_;
  std::vector<std::pair<std::string, std::string>> groups_;  // group, the topic it consumes
  std::string switches_;
  std::unique_ptr<InProcessWorker> worker_;
  std::map<std::string, std::unique_ptr<GroupMember>> members_;
  std::map<std::string, Keys> keys_;  // made before the members start; read after they stop
  std::vector<std::thread> producers_;
  std::atomic<bool> stop_{false}, stray_stop_{false};
  std::mutex errors_mu_;
  std::vector<std::string> errors_;
};

using MigrationRealTest = OnPeers<MigrationFixture>;
INSTANTIATE_TEST_SUITE_P(RealKafka, MigrationRealTest, ::testing::Values(Peer::kRealKafka), PeerName);

TEST_P(MigrationRealTest, ThreeTopicsAndFourGroupsMoveUnderLiveProducersThroughAWorkerRestartAndAStrayProducer) {
  using Clock = std::chrono::steady_clock;
  const auto started = Clock::now();
  for (const auto& [group, topic] : groups_) keys_[group];
  for (size_t i = 0; i < topics_.size(); ++i) StartProducer(topics_[i], "p" + std::to_string(i));
  for (const auto& [group, topic] : groups_) ASSERT_NO_FATAL_FAILURE(StartMembers(group, source(), topic));
  ASSERT_TRUE(WaitFor([&] { return keys_[groups_[3].first].total() > 100; }, seconds(60)));

  // The plan: every group consuming the topics, discovered; producers moved by a hook.
  const std::string body = "{\"name\":\"" + name_ + "\",\"connector\":\"" + mirror_ + "\",\"topics\":[\"" + topics_[0] +
                           "\",\"" + topics_[1] + "\",\"" + topics_[2] + "\"],\"gates\":{\"max_lag\":5000,"
                           "\"fence_quiet_ms\":3000},\"hooks\":{\"move_producers\":{\"command\":[\"/usr/bin/touch\",\"" +
                           switches_ + "/moved-{topic}\"],\"timeout_ms\":5000},\"group_moved\":{\"command\":["
                           "\"/bin/echo\",\"consumers of {group} now read cluster {target_alias}\"]}}}";
  HttpReply dry = Http(worker_->port(), "POST", "/ferry/migrations?dry_run=true", body);
  ASSERT_EQ(dry.status, 200) << dry.body;
  EXPECT_NE(dry.body.find("group '" + groups_[0].first + "' has 1 active member(s) on cluster A"), std::string::npos)
      << dry.body;
  HttpReply created = Http(worker_->port(), "POST", "/ferry/migrations", body);
  ASSERT_EQ(created.status, 201) << created.body;
  rapidjson::Document plan = Plan();
  ASSERT_EQ(plan["topics"][0]["groups"].Size(), 2u) << created.body;
  EXPECT_EQ(GroupState(plan, 0, groups_[1].first), "pending");
  EXPECT_EQ(GroupState(plan, 1, groups_[2].first), "pending");
  EXPECT_EQ(GroupState(plan, 2, groups_[3].first), "pending");

  // Topic 1: one group stops and moves; the other still reads, holding the stage.
  StopMembers(groups_[0].first);
  HttpReply r = Advance(30'000);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("group " + groups_[0].first + ": cut over"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("group '" + groups_[1].first + "' has 1 active member(s)"), std::string::npos) << r.body;
  ASSERT_NO_FATAL_FAILURE(StartMembers(groups_[0].first, target(), "A." + topics_[0]));

  // The worker dies mid-stage; a new one resumes from the stored plan.
  worker_.reset();
  ASSERT_NO_FATAL_FAILURE(StartWorker());
  ASSERT_TRUE(WaitForConnectorStatus(worker_->port(), mirror_, "RUNNING", 2, "RUNNING"));
  plan = Plan();
  EXPECT_EQ(GroupState(plan, 0, groups_[0].first), "moved");
  EXPECT_EQ(std::string(plan["topics"][0]["groups"][0]["hook"]["output"].GetString()).find("now read cluster B") !=
                std::string::npos ||
                std::string(plan["topics"][0]["groups"][1]["hook"]["output"].GetString()).find("now read cluster B") !=
                    std::string::npos,
            true);
  StopMembers(groups_[1].first);
  r = Advance(60'000);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body.find("group " + groups_[0].first + ": cut over"), std::string::npos) << "moved once: " << r.body;
  ASSERT_NO_FATAL_FAILURE(StartMembers(groups_[1].first, target(), "A." + topics_[0]));
  plan = Plan();
  EXPECT_EQ(StageOf(plan, 0), "done") << r.body;
  EXPECT_TRUE(plan["topics"][0]["hooks"]["move_producers"]["ok"].GetBool());
  EXPECT_EQ(plan["topics"][0]["verified"].Size(), static_cast<size_t>(kPartitions));

  // Topic 2, and on topic 3 a producer the hook does not reach: the fence names its partitions.
  StartProducer(topics_[2], "stray", /*stray=*/true);
  StopMembers(groups_[2].first);
  r = Advance(60'000);
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_NO_FATAL_FAILURE(StartMembers(groups_[2].first, target(), "A." + topics_[1]));
  EXPECT_EQ(StageOf(Plan(), 1), "done") << r.body;
  StopMembers(groups_[3].first);
  r = Advance(8'000);
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_NO_FATAL_FAILURE(StartMembers(groups_[3].first, target(), "A." + topics_[2]));
  EXPECT_EQ(StageOf(Plan(), 2), "fence") << r.body;
  EXPECT_NE(r.body.find("a producer still writes to cluster A"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(topics_[2] + "-0 grew by"), std::string::npos) << r.body;
  stray_stop_ = true;
  r = Advance(60'000);
  ASSERT_EQ(r.status, 200) << r.body;
  plan = Plan();
  EXPECT_TRUE(plan["done"].GetBool()) << r.body;
  EXPECT_NE(r.body.find("still runs: stopping it is the operator's act"), std::string::npos) << r.body;
  std::cout << "[ measure  ] whole migration (ms): "
            << std::chrono::duration_cast<milliseconds>(Clock::now() - started).count() << std::endl;

  stop_ = true;
  for (std::thread& t : producers_) t.join();
  producers_.clear();
  {
    std::lock_guard lock(errors_mu_);
    EXPECT_TRUE(errors_.empty()) << errors_.front();
  }
  for (const auto& [group, topic] : groups_) ExpectExactlyOnce(group, topic);
}


TEST_P(MigrationRealTest, AnOperatorConfirmsTheProducersAndTheRoutesRefuseWhatTheyMust) {
  const std::string& topic = topics_[1];
  const std::string group = groups_[2].first;
  for (int p = 0; p < kPartitions; ++p) {
    Produce(source(), topic, p, MakeRecords(p * 100, 100));
    EXPECT_EQ(ConsumeAndCommit(source().bootstrap_servers(), group, {topic, p}, 30 + p).size(), 30u + p);
  }
  ASSERT_TRUE(WaitFor([&] { return CountRecords(target(), {"A." + topic, 0}) + CountRecords(target(), {"A." + topic, 1}) == 200; },
                      seconds(60)));
  const int port = worker_->port();
  auto plan_body = [&](const std::string& groups) {
    return "{\"name\":\"" + name_ + "\",\"topics\":[\"" + topic + "\"],\"groups\":" + groups +
           ",\"gates\":{\"fence_quiet_ms\":1000}}";
  };
  HttpReply bad = Http(port, "POST", "/ferry/migrations", "{\"name\":\"x y\",\"topics\":[\"" + topic + "\"]}");
  EXPECT_EQ(bad.status, 400) << bad.body;
  HttpReply stranger = Http(port, "POST", "/ferry/migrations", plan_body("[\"" + group + "-none\"]"));
  EXPECT_EQ(stranger.status, 400) << stranger.body;
  EXPECT_NE(stranger.body.find("has no committed offsets on cluster A"), std::string::npos) << stranger.body;
  HttpReply missing = Http(port, "GET", "/ferry/migrations/" + name_ + "-none");
  EXPECT_EQ(missing.status, 404) << missing.body;
  HttpReply created = Http(port, "POST", "/ferry/migrations", plan_body("[\"" + group + "\"]"));
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(Http(port, "POST", "/ferry/migrations", plan_body("[\"" + group + "\"]")).status, 409);
  HttpReply early = Http(port, "POST", "/ferry/migrations/" + name_ + "/topics/" + topic + "/producers-moved");
  EXPECT_EQ(early.status, 409) << early.body;

  // The group moves; the stage then needs the operator: the advance answers at once.
  const auto asked = std::chrono::steady_clock::now();
  HttpReply r = Advance(30'000);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_LT(std::chrono::steady_clock::now() - asked, seconds(20)) << "an advance must not wait for an act";
  EXPECT_NE(r.body.find("waiting for the operator to confirm that its producers write to cluster B"), std::string::npos)
      << r.body;
  HttpReply status = Http(port, "GET", "/ferry/groups/" + group + "/status");
  EXPECT_NE(status.body.find("\"position\":\"target\""), std::string::npos) << status.body;
  for (int i = 0; i < 2; ++i) {  // idempotent
    HttpReply confirmed = Http(port, "POST", "/ferry/migrations/" + name_ + "/topics/" + topic + "/producers-moved");
    ASSERT_EQ(confirmed.status, 200) << confirmed.body;
    EXPECT_EQ(std::string(confirmed.Json()["topics"][0]["producers_moved_by"].GetString()), "operator");
  }
  r = Advance(30'000);
  ASSERT_EQ(r.status, 200) << r.body;
  rapidjson::Document plan = Plan();
  EXPECT_TRUE(plan["done"].GetBool()) << r.body;
  int64_t verified = 0;
  for (const auto& p : plan["topics"][0]["verified"].GetArray()) {
    verified += p["records"].GetInt64();
    EXPECT_EQ(std::string(p["source_digest"].GetString()), p["target_digest"].GetString());
  }
  EXPECT_EQ(verified, 200);
  HttpReply list = Http(port, "GET", "/ferry/migrations");
  EXPECT_NE(list.body.find("\"" + name_ + "\""), std::string::npos) << list.body;
}


// A `ferry distributed` process killed (SIGKILL) while an advance waits out the fence's quiet period:
// the plan it stored says where the fence stands, and an advance on the next worker finishes the
// topic from there (the same quiet period, not a new one).
TEST_P(MigrationRealTest, AWorkerKilledDuringAnAdvanceLeavesAPlanTheNextWorkerFinishes) {
  const std::string& topic = topics_[2];
  const std::string group = groups_[3].first;
  for (int p = 0; p < kPartitions; ++p) {
    Produce(source(), topic, p, MakeRecords(p * 100, 100));
    ASSERT_EQ(ConsumeAndCommit(source().bootstrap_servers(), group, {topic, p}, 40).size(), 40u);
  }
  ASSERT_TRUE(WaitFor([&] { return CountRecords(target(), {"A." + topic, 0}) + CountRecords(target(), {"A." + topic, 1}) == 200; },
                      seconds(60)));
  worker_.reset();  // a process takes the mirror over
  const std::string dir = ::testing::TempDir() + "/" + Name("kill9");
  std::filesystem::create_directories(dir);
  auto process = WorkerProcess::Start({"distributed", WritePropertiesFile(dir + "/worker.properties", worker_props_)},
                                      dir + "/worker.log");
  ASSERT_GT(process->port(), 0);
  const int port = process->port();
  ASSERT_TRUE(WaitForConnectorStatus(port, mirror_, "RUNNING", 2, "RUNNING"));
  const std::string body = "{\"name\":\"" + name_ + "\",\"topics\":[\"" + topic + "\"],\"groups\":[\"" + group +
                           "\"],\"gates\":{\"fence_quiet_ms\":8000}}";
  ASSERT_EQ(Http(port, "POST", "/ferry/migrations", body).status, 201);
  HttpReply r = Http(port, "POST", "/ferry/migrations/" + name_ + "/advance?wait_ms=30000");
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(Http(port, "POST", "/ferry/migrations/" + name_ + "/topics/" + topic + "/producers-moved").status, 200);

  HttpReply in_flight;
  std::thread advancing([&] { in_flight = HttpOnce(port, "POST", "/ferry/migrations/" + name_ + "/advance?wait_ms=60000"); });
  int64_t since = -1;
  EXPECT_TRUE(WaitFor([&] {
    HttpReply got = HttpOnce(port, "GET", "/ferry/migrations/" + name_);
    if (got.status != 200) return false;
    rapidjson::Document plan = got.Json();
    since = plan["topics"][0]["fence"]["since_ms"].GetInt64();
    return StageOf(plan, 0) == "fence" && since > 0;
  }, seconds(20)));
  process->Kill9();
  const auto killed = std::chrono::steady_clock::now();
  advancing.join();
  EXPECT_EQ(in_flight.status, 0) << "the advance was to be cut off: " << in_flight.body;

  ASSERT_NO_FATAL_FAILURE(StartWorker());
  ASSERT_TRUE(WaitForConnectorStatus(worker_->port(), mirror_, "RUNNING", 2, "RUNNING"));
  rapidjson::Document plan = Plan();
  EXPECT_EQ(StageOf(plan, 0), "fence");
  EXPECT_EQ(plan["topics"][0]["fence"]["since_ms"].GetInt64(), since);
  r = Advance(60'000);
  ASSERT_EQ(r.status, 200) << r.body;
  plan = Plan();
  EXPECT_TRUE(plan["done"].GetBool()) << r.body;
  EXPECT_EQ(plan["topics"][0]["fence"]["since_ms"].GetInt64(), since) << "the fence went on from where it stood";
  std::cout << "[ measure  ] from the kill to the topic done (ms): "
            << std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - killed).count() << std::endl;
  HttpReply status = Http(worker_->port(), "GET", "/ferry/groups/" + group + "/status");
  EXPECT_NE(status.body.find("\"position\":\"target\""), std::string::npos) << status.body;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace ferry::testing
