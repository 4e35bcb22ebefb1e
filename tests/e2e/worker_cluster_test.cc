// Ferry workers as one Connect cluster (the group `group.id`, protocol type "connect") on the mock:
// the leader spreads connectors and tasks, a worker that leaves hands its work over, and the mirrored
// data stays complete and exact through it. The mock's group timing (mock-cluster.md): the first join
// waits 3 s and every rebalance session-1 s, so the workers use 3.5 s sessions; and because the mock
// completes a sync on the leader's SyncGroup alone, the leader lets followers sync first
// (ferry.group.leader.sync.delay.ms); DistributedWorkerProps sets both.
#include <map>
#include <set>

#include <gtest/gtest.h>

#include "tests/support/mirror_worker_test.h"

namespace ferry::testing {
namespace {

using std::chrono::seconds;

class WorkerClusterTest : public MirrorWorkerTest {
 protected:
  void SetUp() override { SetUpMirror(6); }  // the workers' props have short, mock-friendly timings

  // Task count per worker id once the connector and its 6 tasks are RUNNING, or nothing.
  std::map<std::string, int> RunningTasksByWorker(int port) {
    HttpReply r = Http(port, "GET", "/connectors/mirror-a/status");
    if (r.status != 200) return {};
    auto doc = r.Json();
    if (std::string(doc["connector"]["state"].GetString()) != "RUNNING" || doc["tasks"].Size() != 6) return {};
    std::map<std::string, int> by_worker;
    for (const auto& t : doc["tasks"].GetArray()) {
      if (std::string(t["state"].GetString()) != "RUNNING") return {};
      ++by_worker[t["worker_id"].GetString()];
    }
    return by_worker;
  }

  // Waits until the 6 tasks run spread evenly over exactly `workers` workers.
  bool WaitBalanced(int port, size_t workers, std::map<std::string, int>* seen) {
    return WaitFor(
        [&] {
          *seen = RunningTasksByWorker(port);
          if (seen->size() != workers) return false;
          for (const auto& [w, n] : *seen) {
            if (n != static_cast<int>(6 / workers)) return false;
          }
          return true;
        },
        seconds(90));
  }

  void ExpectExactCopies() {
    for (int p = 0; p < 6; ++p) {
      const TopicPartition tp{"orders", p};
      ASSERT_TRUE(WaitFor([&] { return Read(target(), {"A.orders", p}).size() >= Read(source(), tp).size(); }, seconds(60)));
      auto verified = kafka::VerifyMirrored(tp, Read(source(), tp), Read(target(), {"A.orders", p}));
      EXPECT_TRUE(verified.ok()) << verified.error().ToString();
    }
  }

};

TEST_F(WorkerClusterTest, ThreeWorkersShareTheTasksAndALeavingWorkersTasksMoveWithNoRecordLost) {
  std::vector<std::unique_ptr<InProcessWorker>> workers;
  for (int i = 0; i < 3; ++i) {
    workers.push_back(InProcessWorker::Start(worker_props_));
    ASSERT_NE(workers.back(), nullptr);
  }
  for (int p = 0; p < 6; ++p) Produce(source(), "orders", p, MakeRecords(p * 10000, 200));
  // Any worker takes the request; the config topic carries it to all.
  ASSERT_EQ(Http(workers[1]->port(), "PUT", "/connectors/mirror-a/config", MirrorConfig(6)).status, 201);
  std::map<std::string, int> seen;
  ASSERT_TRUE(WaitBalanced(workers[0]->port(), 3, &seen)) << "tasks per worker: " << seen.size();
  ExpectExactCopies();
  // Every worker answers for the whole cluster.
  for (auto& w : workers) EXPECT_EQ(RunningTasksByWorker(w->port()), seen);

  // A worker leaves (a clean stop): its tasks move to the two others, and data keeps flowing.
  workers[2]->Stop();
  for (int p = 0; p < 6; ++p) Produce(source(), "orders", p, MakeRecords(p * 10000 + 200, 200));
  ASSERT_TRUE(WaitBalanced(workers[0]->port(), 2, &seen)) << "tasks per worker: " << seen.size();
  ExpectExactCopies();
}

}  // namespace
}  // namespace ferry::testing
