// A live cutover on real Kafka, as an operator runs one (docs/cutover.md, "The operator's workflow"):
// an application's consumer group of two members reads on the source while producers keep writing and
// a Ferry worker mirrors; the members stop; the cutover refuses while members are active on either
// cluster (the broker's DescribeGroups says so) and moves the group once they are gone; the members
// start again on the target, subscribed to the remote topic. Then a rollback to the source and a second
// cutover, each the same way. What the members read, over all four stretches, must be every source
// record exactly once, partition by partition in order, key by key.
//
// The members are an independent client (tests/support/group_member.h: a librdkafka high-level
// consumer that subscribes, joins the group and commits by hand), not Ferry's code. Real Kafka only: the
// 2.0.2 mock can neither describe groups nor run group rounds quickly.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "tests/support/group_member.h"
#include "tests/support/mirror_worker_test.h"
#include "worker/kafka/record_io.h"

namespace ferry::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

constexpr int kPartitions = 4;
constexpr int kMembers = 2;
constexpr int64_t kReadPerStretch = 600;  // records the members read in each stretch before they stop

int64_t Ms(Clock::duration d) { return std::chrono::duration_cast<milliseconds>(d).count(); }

// What the group's members read, per partition number (the same on both clusters), in order.
class ReadLog {
 public:
  void Add(int32_t partition, const std::optional<std::string>& key) {
    std::lock_guard lock(mu_);
    keys_[partition].push_back(key.value_or("<null>"));
    ++total_;
  }
  int64_t total() const {
    std::lock_guard lock(mu_);
    return total_;
  }
  std::vector<std::string> Keys(int32_t partition) const {
    std::lock_guard lock(mu_);
    auto it = keys_.find(partition);
    return it == keys_.end() ? std::vector<std::string>() : it->second;
  }

 private:
  mutable std::mutex mu_;
  std::map<int32_t, std::vector<std::string>> keys_;
  int64_t total_ = 0;
};

class LiveCutoverFixture : public MirrorWorkerTest {
 protected:
  explicit LiveCutoverFixture(Peer peer) : MirrorWorkerTest(peer), group_(Name("billing")), mirror_(Name("mirror")) {}

  void SetUp() override {
    SetUpMirror(kPartitions);
    if (IsSkipped() || HasFatalFailure()) return;
    worker_ = InProcessWorker::Start(worker_props_, cutover::KafkaClusterClients(seconds(10)));
    ASSERT_NE(worker_, nullptr);
    ASSERT_EQ(Http(worker_->port(), "PUT", "/connectors/" + mirror_ + "/config", MirrorConfig(2)).status, 201);
  }

  void TearDown() override {
    StopMembers();
    StopProducing();
    worker_.reset();
  }

  // Producers write keyed records ("p<partition>-<n>", recent timestamps) to every source partition
  // until StopProducing(): about 400 records a second.
  void StartProducing() {
    producer_ = std::thread([this] {
      auto writer = kafka::RecordWriter::Create(source().bootstrap_servers(), {{"linger.ms", "5"}});
      if (!writer.ok()) {
        produce_error_ = writer.error().ToString();
        return;
      }
      for (int64_t n = 0; !stop_producing_; n += 5) {
        const int64_t now =
            std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
        for (int p = 0; p < kPartitions; ++p) {
          for (int64_t i = n; i < n + 5; ++i) {
            kafka::Record r;
            r.key = "p" + std::to_string(p) + "-" + std::to_string(i);
            r.value = std::string(64, static_cast<char>('a' + i % 26));
            r.timestamp = now;
            if (auto sent = (*writer)->Send(orders_, p, r); !sent.ok()) {
              produce_error_ = sent.error().ToString();
              return;
            }
          }
        }
        std::this_thread::sleep_for(milliseconds(50));
      }
      if (auto flushed = (*writer)->Flush(seconds(30)); !flushed.ok()) produce_error_ = flushed.error().ToString();
    });
  }
  void StopProducing() {
    stop_producing_ = true;
    if (producer_.joinable()) producer_.join();
  }

  // kMembers members of the group on `cluster`, reading `topic` into log_; returns once each owns
  // partitions and together they have read `at_least` more records.
  void StartMembers(TestCluster& cluster, const std::string& topic, int64_t at_least, const char* where) {
    const int64_t before = log_.total();
    const auto started = Clock::now();
    for (int i = 0; i < kMembers; ++i) {
      GroupMember::Options options;
      options.client_id = std::string("billing-") + where + "-" + std::to_string(i);
      members_.push_back(GroupMember::Start(
          cluster.bootstrap_servers(), group_, topic,
          [this](int32_t partition, int64_t, const std::optional<std::string>& key) { log_.Add(partition, key); },
          options));
      ASSERT_NE(members_.back(), nullptr);
    }
    ASSERT_TRUE(WaitFor([&] {
      return std::all_of(members_.begin(), members_.end(), [](const auto& m) { return m->assigned(); });
    }, seconds(30))) << "the members did not both get partitions on " << where;
    Measure(std::string("members joined on ") + where + " (ms)", Ms(Clock::now() - started));
    ASSERT_TRUE(WaitFor([&] { return log_.total() >= before + at_least; }, seconds(60)))
        << "the members read " << log_.total() - before << " of " << at_least << " records on " << where;
  }

  void StopMembers() {
    for (auto& member : members_) {
      member->Stop();
      for (const std::string& error : member->errors()) ADD_FAILURE() << "group member: " << error;
    }
    members_.clear();
  }

  HttpReply Move(const std::string& action, const std::string& query = "") {
    const auto started = Clock::now();
    HttpReply reply = Http(worker_->port(), "POST", "/ferry/groups/" + group_ + "/" + action + query);
    if (reply.status == 200) Measure(action + " (ms)", Ms(Clock::now() - started));
    return reply;
  }

  // The members are active: the move is refused, naming the cluster, and writes nothing there.
  void ExpectRefusedWhileActive(const std::string& action, const std::string& cluster, int members) {
    HttpReply refused = Move(action);
    EXPECT_EQ(refused.status, 409) << refused.body;
    EXPECT_NE(refused.body.find("group '" + group_ + "' has " + std::to_string(members) +
                                " active member(s) on cluster " + cluster),
              std::string::npos)
        << refused.body;
  }

  void Measure(const std::string& what, int64_t value) {
    std::cout << "[ measure  ] " << what << ": " << value << std::endl;
    measures_[what].push_back(value);
  }

  // Every record of each source partition read exactly once, in order.
  void ExpectExactlyOnce() {
    for (int p = 0; p < kPartitions; ++p) {
      std::vector<std::string> expected;
      for (const Record& r : Read(source(), {orders_, p})) expected.push_back(r.key.value_or("<null>"));
      const std::vector<std::string> got = log_.Keys(p);
      std::map<std::string, int> seen;
      for (const std::string& k : got) ++seen[k];
      int64_t twice = 0, missing = 0;
      for (const auto& [k, n] : seen) twice += n > 1 ? n - 1 : 0;
      for (const std::string& k : expected) missing += seen.count(k) ? 0 : 1;
      EXPECT_EQ(twice, 0) << "partition " << p << ": records read more than once";
      EXPECT_EQ(missing, 0) << "partition " << p << ": records never read";
      ASSERT_EQ(got.size(), expected.size()) << "partition " << p;
      for (size_t i = 0; i < got.size(); ++i) {
        ASSERT_EQ(got[i], expected[i]) << "partition " << p << ", record " << i << " of the group's reading";
      }
    }
  }

  const std::string group_;
  const std::string mirror_;
  std::unique_ptr<InProcessWorker> worker_;
  std::vector<std::unique_ptr<GroupMember>> members_;
  ReadLog log_;
  std::thread producer_;
  std::atomic<bool> stop_producing_{false};
  std::string produce_error_;  // written by the producer thread, read after join
  std::map<std::string, std::vector<int64_t>> measures_;
};

using LiveCutoverTest = OnPeers<LiveCutoverFixture>;
INSTANTIATE_TEST_SUITE_P(RealKafka, LiveCutoverTest, ::testing::Values(Peer::kRealKafka), PeerName);

TEST_P(LiveCutoverTest, TwoMembersMoveToTheTargetBackAndAgainReadingEveryRecordExactlyOnce) {
  const auto started = Clock::now();
  StartProducing();

  // 1. The group reads on the source. While its members are there, a cutover is refused.
  ASSERT_NO_FATAL_FAILURE(StartMembers(source(), orders_, kReadPerStretch, "source"));
  HttpReply plan = Http(worker_->port(), "GET", "/ferry/groups/" + group_ + "/plan");
  ASSERT_EQ(plan.status, 200) << plan.body;
  EXPECT_EQ(plan.Json()["from_group"]["members"].GetInt(), kMembers) << plan.body;
  ExpectRefusedWhileActive("cutover", "A", kMembers);
  StopMembers();

  // A consumer of the group started too early on the target holds the move too.
  {
    GroupMember::Options never_commits;
    never_commits.commit = false;
    auto early = GroupMember::Start(target().bootstrap_servers(), group_, remote_orders_, nullptr, never_commits);
    ASSERT_NE(early, nullptr);
    ASSERT_TRUE(WaitFor([&] { return early->assigned(); }, seconds(30)));
    ExpectRefusedWhileActive("cutover", "B", 1);
    HttpReply status = Http(worker_->port(), "GET", "/ferry/groups/" + group_ + "/status");
    ASSERT_EQ(status.status, 200) << status.body;
    EXPECT_EQ(std::string(status.Json()["position"].GetString()), "source") << status.body;
  }

  // 2. Cut over; the members resume on the target's copy.
  HttpReply moved = Move("cutover", "?wait_ms=60000");
  ASSERT_EQ(moved.status, 200) << moved.body;
  ASSERT_NO_FATAL_FAILURE(StartMembers(target(), remote_orders_, kReadPerStretch, "target"));
  ExpectRefusedWhileActive("rollback", "B", kMembers);
  StopMembers();

  // 3. Roll back; the members resume on the source.
  HttpReply back = Move("rollback", "?wait_ms=60000");
  ASSERT_EQ(back.status, 200) << back.body;
  ASSERT_NO_FATAL_FAILURE(StartMembers(source(), orders_, kReadPerStretch, "source"));
  StopMembers();

  // 4. Cut over again, and read to the end once the producers stop.
  HttpReply again = Move("cutover", "?wait_ms=60000");
  ASSERT_EQ(again.status, 200) << again.body;
  ASSERT_NO_FATAL_FAILURE(StartMembers(target(), remote_orders_, kReadPerStretch, "target"));
  StopProducing();
  ASSERT_EQ(produce_error_, "");
  int64_t produced = 0;
  for (int p = 0; p < kPartitions; ++p) {
    const kafka::Watermarks marks = source().WatermarksOf({orders_, p});
    ASSERT_EQ(marks.low, 0);
    produced += marks.high;
  }
  EXPECT_TRUE(WaitFor([&] { return log_.total() >= produced; }, seconds(120)))
      << "the members read " << log_.total() << " of " << produced << " records";
  StopMembers();
  HttpReply status = Http(worker_->port(), "GET", "/ferry/groups/" + group_ + "/status");
  ASSERT_EQ(status.status, 200) << status.body;
  EXPECT_EQ(std::string(status.Json()["position"].GetString()), "target") << status.body;

  ExpectExactlyOnce();
  Measure("records produced and read exactly once", produced);
  Measure("whole run (ms)", Ms(Clock::now() - started));
}

TEST_P(LiveCutoverTest, AMemberThatCrashedHoldsTheGroupUntilTheBrokerExpiresItsSession) {
  StartProducing();
  ASSERT_NO_FATAL_FAILURE(StartMembers(source(), orders_, kReadPerStretch, "source"));
  // One member leaves cleanly, the other is killed: no LeaveGroup, the broker still counts it.
  members_.front()->Stop();
  for (const std::string& error : members_.front()->errors()) ADD_FAILURE() << "group member: " << error;
  members_.back()->Crash();
  const auto crashed = Clock::now();
  members_.clear();
  ExpectRefusedWhileActive("cutover", "A", 1);
  // Until its session (6 s) expires; then the move goes through.
  HttpReply moved;
  EXPECT_TRUE(WaitFor([&] {
    moved = Move("cutover", "?wait_ms=30000");
    return moved.status == 200;
  }, seconds(40))) << moved.body;
  Measure("crashed member held the group (ms)", Ms(Clock::now() - crashed));
  EXPECT_GE(Clock::now() - crashed, seconds(4)) << "the broker should hold a crashed member for its session";
  StopProducing();
  ASSERT_EQ(produce_error_, "");
}

}  // namespace
}  // namespace ferry::testing
