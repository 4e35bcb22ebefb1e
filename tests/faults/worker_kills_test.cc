// Fault scenario 1 (issue #19): workers of a Ferry worker cluster killed with kill -9 one after another
// while a producer writes, a replacement started each time. The victims cycle through the group's
// leader, a worker caught in the middle of a rebalance (it has just begun rejoining for a newcomer),
// and a follower. After each kill the test waits until every task runs on live workers and the mirror
// holds every record written before the kill (recovery_s); at the end the source and the mirrored
// topic are compared key by key. Nothing may be lost; records copied again after a crash (those
// copied since the last offset flush) are counted as duplicates.
//
// Three kills in CI, ten under `make faults` (FERRY_FAULTS_FULL=1). Runs on the suite's shared
// clusters: the workers' group and topics, and the mirrored topic, have names of their own.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/fault_run.h"
#include "tests/support/two_clusters.h"

namespace ferry::testing {
namespace {

using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

constexpr int kPartitions = 6;
constexpr int kWorkers = 3;

class WorkerKillsOnRealKafkaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    FERRY_REQUIRE_REAL_KAFKA("source");
    FERRY_REQUIRE_REAL_KAFKA("target");
    auto source = TestCluster::ConnectReal("source");
    auto target = TestCluster::ConnectReal("target");
    ASSERT_TRUE(source.ok() && target.ok());
    source_ = std::move(*source);
    target_ = std::move(*target);
  }

  std::unique_ptr<TestCluster> source_;
  std::unique_ptr<TestCluster> target_;
};

enum class Victim { kLeader, kMidRebalance, kFollower };

const char* Name(Victim v) {
  switch (v) {
    case Victim::kLeader: return "the leader";
    case Victim::kMidRebalance: return "a worker mid-rebalance";
    case Victim::kFollower: return "a follower";
  }
  return "?";
}

TEST_F(WorkerKillsOnRealKafkaTest, WorkersKilledOneAfterAnotherLoseNoRecord) {
  const int kills = FaultLength(3, 10);
  const std::string topic = UniqueName("fault-kills");
  const std::string remote = "A." + topic;
  const std::string connector = "fault-kills";
  ASSERT_TRUE(source_->CreateTopic(topic, kPartitions).ok());

  const Properties props = FaultWorkerProps(target_->bootstrap_servers(), UniqueName("fault-kills-w"));
  WorkerFleet fleet(::testing::TempDir() + "/ferry-faults-" + std::to_string(getpid()) + "-" + topic, props);
  for (int i = 0; i < kWorkers; ++i) ASSERT_GE(fleet.Add(), 0);

  auto producer = LiveProducer::Start(source_->bootstrap_servers(), topic, kPartitions, 200);
  ASSERT_NE(producer, nullptr);
  HttpReply put = Http(fleet.port(0), "PUT", "/connectors/" + connector + "/config",
                       FaultMirrorConfig(source_->bootstrap_servers(), target_->bootstrap_servers(), topic, kPartitions));
  ASSERT_EQ(put.status, 201) << put.body;
  std::string status;
  ASSERT_TRUE(fleet.WaitRunning(connector, kPartitions, seconds(120), &status)) << status;
  ASSERT_TRUE(WaitFor([&] { return target_->PartitionCount(remote).ok(); }, seconds(60)));
  auto tail = TopicTail::Start(target_->bootstrap_servers(), remote, kPartitions);
  ASSERT_NE(tail, nullptr);
  ASSERT_GE(tail->SecondsUntilReached(producer->Sent(), Clock::now(), seconds(120)), 0) << "the mirror never caught up";

  double slowest = 0;
  for (int k = 0; k < kills; ++k) {
    const Victim kind = static_cast<Victim>(k % 3);
    std::vector<int> live = fleet.Live();
    ASSERT_EQ(live.size(), static_cast<size_t>(kWorkers));
    int victim = live.back();  // a follower, unless it leads
    const int leader = fleet.Leader();
    if (kind == Victim::kLeader) {
      ASSERT_GE(leader, 0) << "no worker's log names it the leader";
      victim = leader;
    } else if (victim == leader) {
      victim = live.front();
    }
    if (kind == Victim::kMidRebalance) {
      // A newcomer joins; the victim dies as soon as its log shows it rejoining for the newcomer.
      const int64_t rejoins = fleet.CountInLog(victim, "worker group: rejoining");
      ASSERT_GE(fleet.Add(), 0);
      ASSERT_TRUE(WaitFor([&] { return fleet.CountInLog(victim, "worker group: rejoining") > rejoins; }, seconds(60)))
          << "worker " << victim << " never rejoined for the newcomer";
    }
    const auto killed_at = Clock::now();
    const std::vector<int64_t> marks = producer->Sent();
    fleet.Kill9(victim);
    if (kind != Victim::kMidRebalance) {
      ASSERT_GE(fleet.Add(), 0);  // the replacement
    }
    ASSERT_TRUE(fleet.WaitRunning(connector, kPartitions, seconds(180), &status)) << status;
    const double recovery = tail->SecondsUntilReached(marks, killed_at, seconds(180));
    ASSERT_GE(recovery, 0) << "kill " << k + 1 << ": the mirror never caught up";
    slowest = std::max(slowest, recovery);
    std::cout << "[ report   ] kill " << k + 1 << "/" << kills << " (" << Name(kind) << ", worker " << victim
              << "): every task running and every earlier record mirrored " << recovery << " s after the kill\n";
  }

  ASSERT_TRUE(producer->Stop().ok());
  ASSERT_GE(tail->SecondsUntilReached(producer->Sent(), Clock::now(), seconds(120)), 0);
  const MirrorTally tally = CompareMirror(source_->bootstrap_servers(), topic, target_->bootstrap_servers(), remote,
                                          kPartitions);
  ReportFault("worker_kill9", tally, slowest, "kills=" + std::to_string(kills));
  EXPECT_EQ(Http(fleet.port(fleet.Live().front()), "DELETE", "/connectors/" + connector).status, 204);
}

}  // namespace
}  // namespace ferry::testing
