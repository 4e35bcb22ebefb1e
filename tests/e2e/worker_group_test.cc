// WorkerGroup members (the worker cluster's membership, without herders) against Kafka's own group
// coordinator, where it behaves unlike the mock's: Kafka answers a follower's rejoin whose metadata did
// not change with the current generation and no rebalance, and it ends a round as soon as every member
// has rejoined. Each member's `apply` only records what it was given.
#include "worker/worker_group.h"

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/two_clusters.h"

namespace ferry::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using worker::ClusterWork;
using worker::ConnectorsAndTasks;
using worker::WorkerAssignment;
using worker::WorkerGroup;

constexpr int64_t kConfigOffset = 5;
constexpr int kScheduledDelayMs = 2000;

class WorkerGroupFixture : public TwoClustersTest {
 protected:
  explicit WorkerGroupFixture(Peer peer) : TwoClustersTest(peer) {
    work_.config_offset = kConfigOffset;
    work_.task_counts = {{"connector-a", 6}, {"connector-b", 6}};
  }

  ~WorkerGroupFixture() override {
    for (auto& member : members_) member->Stop();
  }

  // Starts one more member of the group; returns its index. The leader's `apply` takes
  // `leader_apply` longer than the followers'.
  int Add(milliseconds leader_apply = milliseconds(0)) {
    const int index = static_cast<int>(members_.size());
    worker::WorkerGroupConfig config;
    std::stringstream servers(target().bootstrap_servers());
    for (std::string server; std::getline(servers, server, ',');) config.bootstrap_servers.push_back(server);
    config.group_id = group_;
    config.url = "http://127.0.0.1:" + std::to_string(18083 + index) + "/";  // advertised only
    config.session_timeout = milliseconds(3500);
    config.heartbeat_interval = milliseconds(500);
    config.rebalance_timeout = milliseconds(10000);
    config.scheduled_rebalance_max_delay_ms = kScheduledDelayMs;
    WorkerGroup::Callbacks callbacks;
    callbacks.cluster_work = [this] { return work_; };
    callbacks.read_config_to = [](int64_t) -> Result<> { return Ok(); };
    callbacks.apply = [this, index, leader_apply](const WorkerAssignment& a) {
      if (a.is_leader) std::this_thread::sleep_for(leader_apply);
      std::lock_guard lock(mu_);
      applied_.push_back({index, a.generation, a.is_leader});
      owned_[index] = a.owned;
    };
    members_.push_back(std::make_unique<WorkerGroup>(std::move(config), std::move(callbacks)));
    EXPECT_TRUE(members_.back()->Start().ok());
    live_.insert(index);
    return index;
  }

  // A crash: no revocation, no LeaveGroup; its work stops with it.
  void Crash(int index) {
    members_.at(index)->StopWithoutLeavingForTest();
    std::lock_guard lock(mu_);
    owned_.erase(index);
    live_.erase(index);
  }

  // True once every connector and task has exactly one live owner and the live members' task counts
  // differ by at most one.
  bool Balanced() {
    std::lock_guard lock(mu_);
    std::map<ConnectorTaskId, int> owners;
    std::map<int, int> tasks;
    for (int m : live_) {
      auto it = owned_.find(m);
      if (it == owned_.end()) return false;
      for (const std::string& c : it->second.connectors) ++owners[{c, -1}];
      for (const ConnectorTaskId& t : it->second.tasks) ++owners[t];
      tasks[m] = static_cast<int>(it->second.tasks.size());
    }
    if (owners.size() != 14) return false;  // 2 connectors + 12 tasks
    for (const auto& [work, n] : owners) {
      if (n != 1) return false;
    }
    int fewest = 12, most = 0;
    for (const auto& [m, n] : tasks) {
      fewest = std::min(fewest, n);
      most = std::max(most, n);
    }
    return most - fewest <= 1;
  }

  int32_t LatestGeneration() {
    std::lock_guard lock(mu_);
    int32_t latest = -1;
    for (const Applied& a : applied_) latest = std::max(latest, a.generation);
    return latest;
  }

  // The live member that led the latest generation it applied.
  std::optional<int> Leader() {
    std::lock_guard lock(mu_);
    std::map<int, bool> led;
    for (const Applied& a : applied_) led[a.member] = a.is_leader;
    for (const auto& [m, leads] : led) {
      if (leads && live_.count(m) > 0) return m;
    }
    return std::nullopt;
  }

  struct Applied {
    int member;
    int32_t generation;
    bool is_leader;
  };

  const std::string group_ = UniqueName("worker-group");
  ClusterWork work_;
  std::mutex mu_;
  std::vector<Applied> applied_;                // guarded by mu_
  std::map<int, ConnectorsAndTasks> owned_;     // guarded by mu_
  std::set<int> live_;                          // guarded by mu_
  std::vector<std::unique_ptr<WorkerGroup>> members_;  // last: they stop before what they write to goes
};

class WorkerGroupOnKafkaTest : public WorkerGroupFixture, public ::testing::WithParamInterface<Peer> {
 protected:
  WorkerGroupOnKafkaTest() : WorkerGroupFixture(GetParam()) {}
};
// Kafka's coordinator only: the mock rebalances on every JoinGroup, so it cannot show these.
INSTANTIATE_TEST_SUITE_P(RealKafka, WorkerGroupOnKafkaTest, ::testing::Values(Peer::kRealKafka), PeerName);

// A follower crashes: the leader keeps its work unassigned for scheduled.rebalance.max.delay.ms and
// every member schedules a rejoin for then. The follower's rejoin comes first (the leader is slower
// to apply here): Kafka answers it with the current generation, and the leader's rejoin makes the
// round that places the lost work. After that the group stays at rest; it used to rebalance once more,
// because the follower scheduled the same delay again when the unchanged generation came back.
TEST_P(WorkerGroupOnKafkaTest, AScheduledRebalanceHappensOnceAndTheGroupThenStaysAtRest) {
  for (int i = 0; i < 3; ++i) Add(milliseconds(300));
  ASSERT_TRUE(WaitFor([&] { return Balanced(); }, seconds(30))) << "3 members share the work";
  const std::optional<int> leader = Leader();
  ASSERT_TRUE(leader.has_value());
  Crash(*leader == 2 ? 1 : 2);
  ASSERT_TRUE(WaitFor([&] { return Balanced(); }, seconds(30))) << "2 members share the work after the crash";
  const int32_t balanced = LatestGeneration();
  // Longer than the scheduled delay and a heartbeat, twice over.
  std::this_thread::sleep_for(milliseconds(2 * (kScheduledDelayMs + 500)));
  EXPECT_EQ(LatestGeneration(), balanced) << "a round after the work was balanced again";
  EXPECT_TRUE(Balanced());
}

}  // namespace
}  // namespace ferry::testing
