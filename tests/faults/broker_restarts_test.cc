// Fault scenario 2 (issue #19): a broker of the source and a broker of the target, each of a 3-node
// cluster, stopped (a controlled shutdown: the leadership of their partitions moves to the others)
// and started again, while a producer writes. Topics have three replicas and min.insync.replicas=2,
// so one node down stops neither the producer nor the mirror; the workers' group and Connect topics
// live on the target. After each step (a node stopped, a node back) the test measures how long until
// every record written before the step is mirrored (recovery_s is the slowest), and at the end it
// compares source and target key by key.
//
// Only under `make faults` (all three nodes in turn, 60 s down each): starting two 3-node clusters and
// restarting nodes takes minutes even for one short round (235 s measured), more than CI's budget, so
// ctest does not register this suite (tests/faults/CMakeLists.txt). Both clusters are the test's own.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <functional>
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
constexpr int kWorkers = 2;
constexpr int kTasks = 3;

class BrokerRestartsOnRealKafkaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto source = LaunchedKafka::Start(UniqueName("fault-src3"), 3);
    ASSERT_TRUE(source.ok()) << source.error().ToString();
    source_ = std::move(*source);
    auto target = LaunchedKafka::Start(UniqueName("fault-tgt3"), 3);
    ASSERT_TRUE(target.ok()) << target.error().ToString();
    target_ = std::move(*target);
  }

  std::unique_ptr<LaunchedKafka> source_;
  std::unique_ptr<LaunchedKafka> target_;
};

TEST_F(BrokerRestartsOnRealKafkaTest, ABrokerOfEachClusterStoppedAndRestartedLosesNoRecord) {
  const int rounds = FaultLength(1, 3);  // 1 and 15 s when run by hand without FERRY_FAULTS_FULL
  const seconds down = FaultLength(seconds(15), seconds(60));
  TestCluster& source = source_->cluster();
  TestCluster& target = target_->cluster();
  const std::string topic = UniqueName("fault-restarts");
  const std::string remote = "A." + topic;
  const std::string connector = "fault-restarts";
  // Three replicas and min.insync.replicas=2: the clusters' defaults at three nodes (kafka_cluster.py).
  ASSERT_TRUE(source.CreateTopic(topic, kPartitions).ok());
  ASSERT_TRUE(target.CreateTopic(remote, kPartitions).ok());

  WorkerFleet fleet(::testing::TempDir() + "/ferry-faults-" + std::to_string(getpid()) + "-" + topic,
                    FaultWorkerProps(target.bootstrap_servers(), UniqueName("fault-restarts-w")));
  for (int i = 0; i < kWorkers; ++i) ASSERT_GE(fleet.Add(), 0);
  auto producer = LiveProducer::Start(source.bootstrap_servers(), topic, kPartitions, 200);
  ASSERT_NE(producer, nullptr);
  HttpReply put = Http(fleet.port(0), "PUT", "/connectors/" + connector + "/config",
                       FaultMirrorConfig(source.bootstrap_servers(), target.bootstrap_servers(), topic, kTasks, 3));
  ASSERT_EQ(put.status, 201) << put.body;
  std::string status;
  ASSERT_TRUE(fleet.WaitRunning(connector, kTasks, seconds(120), &status)) << status;
  auto tail = TopicTail::Start(target.bootstrap_servers(), remote, kPartitions);
  ASSERT_NE(tail, nullptr);
  ASSERT_GE(tail->SecondsUntilReached(producer->Sent(), Clock::now(), seconds(120)), 0) << "the mirror never caught up";

  double slowest = 0;
  // Runs `step`, then waits until every record written before it began (a stop: the fault starts
  // with it) or before it ended (a start: the fault ends when the node serves again) is mirrored.
  auto measured = [&](const std::string& what, const std::function<Result<>()>& step, bool from_end) {
    std::vector<int64_t> marks = producer->Sent();
    auto at = Clock::now();
    const Result<> done = step();
    EXPECT_TRUE(done.ok()) << what << ": " << done.error().ToString();
    if (!done.ok()) return false;
    if (from_end) {
      marks = producer->Sent();
      at = Clock::now();
    }
    const double recovery = tail->SecondsUntilReached(marks, at, seconds(180));
    EXPECT_GE(recovery, 0) << what << ": the mirror never caught up";
    slowest = std::max(slowest, recovery);
    std::cout << "[ report   ] " << what << ": every earlier record mirrored " << recovery << " s after\n";
    return recovery >= 0;
  };
  auto nothing = [] { return Ok(); };
  for (int r = 0; r < rounds; ++r) {
    const int node = r % 3 + 1;
    const std::string n = std::to_string(node);
    ASSERT_TRUE(measured("source node " + n + " stopped", [&] { return source_->StopNode(node); }, false));
    ASSERT_TRUE(measured("target node " + n + " stopped", [&] { return target_->StopNode(node); }, false));
    std::this_thread::sleep_for(down);
    ASSERT_TRUE(measured("both nodes " + n + " still down", nothing, true));
    ASSERT_TRUE(measured("source node " + n + " back", [&] { return source_->StartNode(node); }, true));
    ASSERT_TRUE(measured("target node " + n + " back", [&] { return target_->StartNode(node); }, true));
    ASSERT_TRUE(fleet.WaitRunning(connector, kTasks, seconds(180), &status)) << status;
  }

  ASSERT_TRUE(producer->Stop().ok());
  ASSERT_GE(tail->SecondsUntilReached(producer->Sent(), Clock::now(), seconds(180)), 0);
  const MirrorTally tally = CompareMirror(source.bootstrap_servers(), topic, target.bootstrap_servers(), remote,
                                          kPartitions);
  ReportFault("broker_restarts", tally, slowest,
              "rounds=" + std::to_string(rounds) + " down_s=" + std::to_string(down.count()));
  EXPECT_EQ(Http(fleet.port(fleet.Live().front()), "DELETE", "/connectors/" + connector).status, 204);
}

}  // namespace
}  // namespace ferry::testing
