// Connect's assignors (KIP-415): eager round robin,
// and the incremental cooperative rounds as a simulated group of workers plays them: balanced,
// sticky, revoke-then-assign, delayed reassignment of lost work, CONFIG_MISMATCH.
#include "worker/assignor.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace ferry::worker {
namespace {

constexpr int64_t kOffset = 10;
constexpr int32_t kDelayMs = 10000;

ConnectorTaskId Task(const std::string& connector, int32_t task) { return ConnectorTaskId{connector, task}; }

std::string Url(const std::string& member) { return "http://" + member + ":8083/"; }

ConnectorsAndTasks Configured(const ClusterWork& work) {
  ConnectorsAndTasks all;
  for (const auto& [connector, count] : work.task_counts) {
    all.connectors.insert(connector);
    for (int32_t t = 0; t < count; ++t) all.tasks.insert(Task(connector, t));
  }
  return all;
}

template <typename T>
bool Contains(const std::set<T>& set, const T& item) {
  return set.count(item) > 0;
}

// The fewest items that must move to balance `loads` (floor/ceil of total / members).
size_t MinimalMoves(const std::vector<size_t>& loads, size_t total) {
  const size_t floor = total / loads.size();
  const size_t extras = total % loads.size();
  size_t moves = 0;
  size_t at_ceil = 0;
  for (size_t load : loads) {
    if (extras == 0) {
      moves += load > floor ? load - floor : 0;
    } else {
      moves += load > floor + 1 ? load - floor - 1 : 0;
      at_ceil += load >= floor + 1 ? 1 : 0;
    }
  }
  if (at_ceil > extras) moves += at_ceil - extras;
  return moves;
}

template <typename T>
std::pair<size_t, size_t> MinMax(const std::map<std::string, ConnectorsAndTasks>& running,
                                 std::set<T> ConnectorsAndTasks::*field) {
  size_t min = SIZE_MAX;
  size_t max = 0;
  for (const auto& [member, load] : running) {
    min = std::min(min, (load.*field).size());
    max = std::max(max, (load.*field).size());
  }
  return {min, max};
}

// A simulated Connect group. Members apply their assignments as Connect workers do (stop what is
// revoked, start what is new); the oldest member leads and keeps the assignor state between rounds.
// Every round is checked against the protocol's invariants.
class Group {
 public:
  explicit Group(int32_t max_delay_ms, std::map<std::string, int32_t> task_counts = {})
      : max_delay_ms_(max_delay_ms), work_{kOffset, std::move(task_counts)} {}

  // `runs`: a worker that joins already running something (a zombie that missed being kicked out).
  void Join(const std::string& member, ConnectorsAndTasks runs = {}) {
    ASSERT_EQ(running_.count(member), 0u) << member;
    order_.push_back(member);
    running_[member] = std::move(runs);
  }
  void Leave(const std::string& member) {
    order_.erase(std::find(order_.begin(), order_.end(), member));
    running_.erase(member);
  }
  void SetConnector(const std::string& connector, int32_t tasks) {
    work_.task_counts[connector] = tasks;
    ++work_.config_offset;
  }
  void DeleteConnector(const std::string& connector) {
    work_.task_counts.erase(connector);
    ++work_.config_offset;
  }
  void Advance(int64_t ms) { now_ms_ += ms; }

  // One rebalance: every member joins with what it runs, the leader assigns, members apply, except
  // `misses` (its SyncGroup failed: it keeps running what it ran and did not complete the round).
  CooperativeAssignment Round(const std::string& misses = "") {
    ++generation_;
    auto completed = last_completed_.find(order_.front());
    JoinedGroup group{order_.front(), generation_, completed == last_completed_.end() ? -1 : completed->second, {}};
    for (const std::string& member : order_) {
      group.members.push_back(MemberInfo{member, Url(member), work_.config_offset, running_.at(member)});
    }
    if (group.leader_id != state_leader_) {  // a new leader starts with no memory
      state_ = AssignorState{};
      state_leader_ = group.leader_id;
    }
    CooperativeAssignment result = IncrementalCooperativeAssign(group, work_, state_, now_ms_, max_delay_ms_);
    Check(result);
    Apply(result, misses);
    state_ = result.state;
    for (const std::string& member : order_) {
      if (member != misses) last_completed_[member] = generation_;
    }
    return result;
  }

  // Rounds until nothing changes: follow-up rounds after revocations, and waits for delays.
  // Returns how many rounds it took.
  int Settle() {
    for (int round = 1; round <= 12; ++round) {
      const CooperativeAssignment result = Round();
      bool changed = false;
      for (const auto& [member, a] : result.assignments) {
        changed = changed || !a.connectors.empty() || !a.tasks.empty() || !a.revoked_connectors.empty() ||
                  !a.revoked_tasks.empty();
      }
      const int32_t delay = result.assignments.begin()->second.delay_ms;
      if (!changed && delay == 0) return round;
      Advance(delay);
    }
    ADD_FAILURE() << "the group did not settle in 12 rounds";
    return -1;
  }

  // After settling: every configured item runs exactly once, nothing else runs, loads differ by
  // at most one.
  void ExpectConverged() const {
    const ConnectorsAndTasks configured = Configured(work_);
    ConnectorsAndTasks seen;
    for (const auto& [member, load] : running_) {
      for (const std::string& c : load.connectors) {
        EXPECT_TRUE(seen.connectors.insert(c).second) << c << " runs twice";
      }
      for (const ConnectorTaskId& t : load.tasks) EXPECT_TRUE(seen.tasks.insert(t).second) << t.ToString() << " runs twice";
    }
    EXPECT_EQ(seen, configured);
    auto [cmin, cmax] = MinMax(running_, &ConnectorsAndTasks::connectors);
    auto [tmin, tmax] = MinMax(running_, &ConnectorsAndTasks::tasks);
    EXPECT_LE(cmax - cmin, 1u) << "connectors unbalanced";
    EXPECT_LE(tmax - tmin, 1u) << "tasks unbalanced";
  }

  const std::map<std::string, ConnectorsAndTasks>& running() const { return running_; }
  const ConnectorsAndTasks& running(const std::string& member) const { return running_.at(member); }
  const ClusterWork& work() const { return work_; }
  const AssignorState& state() const { return state_; }
  int64_t now_ms() const { return now_ms_; }

 private:
  // The protocol's invariants for one round, against what the members ran when they joined.
  void Check(const CooperativeAssignment& result) const {
    ASSERT_EQ(result.assignments.size(), running_.size());
    const ConnectorsAndTasks configured = Configured(work_);
    ConnectorsAndTasks active;
    for (const auto& [member, load] : running_) {
      active.connectors.insert(load.connectors.begin(), load.connectors.end());
      active.tasks.insert(load.tasks.begin(), load.tasks.end());
    }
    // What each member may keep: configured work, and each item only on its first member by id.
    std::map<std::string, ConnectorsAndTasks> kept;
    ConnectorsAndTasks owned;
    for (const auto& [member, load] : running_) {
      for (const std::string& c : load.connectors) {
        if (Contains(configured.connectors, c) && owned.connectors.insert(c).second) kept[member].connectors.insert(c);
      }
      for (const ConnectorTaskId& t : load.tasks) {
        if (Contains(configured.tasks, t) && owned.tasks.insert(t).second) kept[member].tasks.insert(t);
      }
    }
    std::vector<size_t> kept_connectors;
    std::vector<size_t> kept_tasks;
    size_t balance_connectors = 0;
    size_t balance_tasks = 0;
    const size_t n = running_.size();
    const int32_t delay = result.assignments.begin()->second.delay_ms;
    for (const auto& [member, a] : result.assignments) {
      const ConnectorsAndTasks& runs = running_.at(member);
      const ConnectorsAndTasks& keeps = kept[member];
      EXPECT_EQ(a.error, AssignmentError::kNone);
      EXPECT_EQ(a.leader_id, order_.front());
      EXPECT_EQ(a.leader_url, Url(order_.front()));
      EXPECT_EQ(a.config_offset, work_.config_offset);
      EXPECT_EQ(a.delay_ms, delay) << "every member gets the same delay";
      // Revoke-then-assign: nothing is given to a member while any member still runs it.
      for (const std::string& c : a.connectors) EXPECT_FALSE(Contains(active.connectors, c)) << c;
      for (const ConnectorTaskId& t : a.tasks) EXPECT_FALSE(Contains(active.tasks, t)) << t.ToString();
      // Only what the member runs is revoked, and all it may not keep is.
      const std::set<std::string> revoked_connectors(a.revoked_connectors.begin(), a.revoked_connectors.end());
      const std::set<ConnectorTaskId> revoked_tasks(a.revoked_tasks.begin(), a.revoked_tasks.end());
      size_t balance_c = 0;
      size_t balance_t = 0;
      for (const std::string& c : revoked_connectors) {
        EXPECT_TRUE(Contains(runs.connectors, c)) << member << " is told to revoke " << c << " it does not run";
        balance_c += Contains(keeps.connectors, c) ? 1 : 0;
      }
      for (const ConnectorTaskId& t : revoked_tasks) {
        EXPECT_TRUE(Contains(runs.tasks, t)) << member << " is told to revoke " << t.ToString() << " it does not run";
        balance_t += Contains(keeps.tasks, t) ? 1 : 0;
      }
      for (const std::string& c : runs.connectors) {
        if (!Contains(keeps.connectors, c)) {
          EXPECT_TRUE(Contains(revoked_connectors, c)) << c << " stays";
        }
      }
      for (const ConnectorTaskId& t : runs.tasks) {
        if (!Contains(keeps.tasks, t)) {
          EXPECT_TRUE(Contains(revoked_tasks, t)) << t.ToString() << " stays";
        }
      }
      // A member gives up load for balance only down to the floor.
      if (balance_c > 0) {
        EXPECT_GE(keeps.connectors.size() - balance_c, configured.connectors.size() / n) << member;
      }
      if (balance_t > 0) {
        EXPECT_GE(keeps.tasks.size() - balance_t, configured.tasks.size() / n) << member;
      }
      balance_connectors += balance_c;
      balance_tasks += balance_t;
      kept_connectors.push_back(keeps.connectors.size());
      kept_tasks.push_back(keeps.tasks.size());
    }
    // Load balancing moves nothing or the fewest items that balance the group.
    if (balance_connectors > 0) {
      EXPECT_EQ(balance_connectors, MinimalMoves(kept_connectors, configured.connectors.size()));
    }
    if (balance_tasks > 0) {
      EXPECT_EQ(balance_tasks, MinimalMoves(kept_tasks, configured.tasks.size()));
    }
  }

  void Apply(const CooperativeAssignment& result, const std::string& misses) {
    for (auto& [member, load] : running_) {
      if (member == misses) continue;
      const ConnectAssignment& a = result.assignments.at(member);
      for (const std::string& c : a.revoked_connectors) load.connectors.erase(c);
      for (const ConnectorTaskId& t : a.revoked_tasks) load.tasks.erase(t);
      for (const std::string& c : a.connectors) EXPECT_TRUE(load.connectors.insert(c).second) << c;
      for (const ConnectorTaskId& t : a.tasks) EXPECT_TRUE(load.tasks.insert(t).second) << t.ToString();
      EXPECT_EQ(load, result.allocations.at(member)) << member;
    }
  }

  int32_t max_delay_ms_;
  ClusterWork work_;
  int64_t now_ms_ = 1000;
  int32_t generation_ = 0;
  std::vector<std::string> order_;  // join order: the first one leads
  std::map<std::string, ConnectorsAndTasks> running_;
  AssignorState state_;
  std::string state_leader_;
  std::map<std::string, int32_t> last_completed_;  // by member: its last completed generation
};

size_t Size(const ConnectAssignment& a) {
  return a.connectors.size() + a.tasks.size() + a.revoked_connectors.size() + a.revoked_tasks.size();
}

// Three workers running 2 connectors x 6 tasks, settled.
Group ThreeWorkers(int32_t max_delay_ms) {
  Group group(max_delay_ms, {{"c1", 6}, {"c2", 6}});
  for (const char* member : {"w1", "w2", "w3"}) group.Join(member);
  group.Settle();
  return group;
}

// ---------------------------------------------------------------------------------------------
// Eager

TEST(EagerAssignTest, RoundRobinOverSortedMembersConnectorsThenTasks) {
  JoinedGroup group{"b", 3, 2, {{"b", Url("b"), 7, {}}, {"c", Url("c"), 7, {}}, {"a", Url("a"), 7, {}}}};
  const auto assignments = EagerAssign(group, ClusterWork{7, {{"x", 2}, {"m", 3}}});
  ASSERT_EQ(assignments.size(), 3u);
  // Deal: m->a, x->b, then m-0->c, m-1->a, m-2->b, x-0->c, x-1->a.
  struct Row {
    std::string member;
    std::vector<std::string> connectors;
    std::vector<ConnectorTaskId> tasks;
  };
  const std::vector<Row> expected = {
      {"a", {"m"}, {Task("m", 1), Task("x", 1)}},
      {"b", {"x"}, {Task("m", 2)}},
      {"c", {}, {Task("m", 0), Task("x", 0)}},
  };
  for (const Row& row : expected) {
    const ConnectAssignment& a = assignments.at(row.member);
    EXPECT_EQ(a.error, AssignmentError::kNone);
    EXPECT_EQ(a.leader_id, "b");
    EXPECT_EQ(a.leader_url, Url("b"));
    EXPECT_EQ(a.config_offset, 7);
    EXPECT_EQ(a.connectors, row.connectors) << row.member;
    EXPECT_EQ(a.tasks, row.tasks) << row.member;
    EXPECT_TRUE(a.revoked_connectors.empty());
    EXPECT_TRUE(a.revoked_tasks.empty());
    EXPECT_EQ(a.delay_ms, 0);
  }
}

TEST(EagerAssignTest, EveryItemOnceAndCountsDifferByAtMostOne) {
  struct Case {
    int members;
    std::map<std::string, int32_t> task_counts;
  };
  const std::vector<Case> cases = {
      {1, {{"a", 4}}}, {2, {}}, {3, {{"a", 0}}}, {4, {{"a", 5}, {"b", 3}, {"c", 1}}}, {5, {{"a", 2}, {"b", 2}}},
  };
  for (const Case& c : cases) {
    JoinedGroup group{"w0", 1, 0, {}};
    for (int i = 0; i < c.members; ++i) group.members.push_back({"w" + std::to_string(i), "", 1, {}});
    const auto assignments = EagerAssign(group, ClusterWork{1, c.task_counts});
    ConnectorsAndTasks seen;
    size_t min_items = SIZE_MAX;
    size_t max_items = 0;
    for (const auto& [member, a] : assignments) {
      for (const auto& connector : a.connectors) EXPECT_TRUE(seen.connectors.insert(connector).second);
      for (const auto& task : a.tasks) EXPECT_TRUE(seen.tasks.insert(task).second);
      min_items = std::min(min_items, a.connectors.size() + a.tasks.size());
      max_items = std::max(max_items, a.connectors.size() + a.tasks.size());
    }
    EXPECT_EQ(seen, Configured(ClusterWork{1, c.task_counts})) << c.members << " members";
    EXPECT_LE(max_items - min_items, 1u) << c.members << " members";
  }
}

// ---------------------------------------------------------------------------------------------
// CONFIG_MISMATCH, both assignors

TEST(AssignorTest, ConfigMismatchWhenTheLeaderIsBehind) {
  struct Case {
    int64_t leader_offset;
    std::vector<int64_t> member_offsets;  // the first member is the leader
    AssignmentError error;
    int64_t sent_offset;
  };
  const std::vector<Case> cases = {
      {5, {5, 7, 6}, AssignmentError::kConfigMismatch, 7},  // a member read further
      {5, {5, 5, 5}, AssignmentError::kNone, 5},
      {9, {7, 7}, AssignmentError::kNone, 9},  // the leader is ahead: members catch up to it
      {-1, {-1}, AssignmentError::kNone, -1},  // empty config topic
  };
  for (const Case& c : cases) {
    JoinedGroup group{"w0", 4, 3, {}};
    for (size_t i = 0; i < c.member_offsets.size(); ++i) {
      const std::string id = "w" + std::to_string(i);
      group.members.push_back({id, Url(id), c.member_offsets[i], {{}, {Task("a", 0)}}});
    }
    // Member w0 runs a-0 (with duplicates elsewhere): a mismatch must not touch any of it.
    const ClusterWork work{c.leader_offset, {{"a", 1}, {"b", 2}}};
    const auto eager = EagerAssign(group, work);
    const CooperativeAssignment cooperative = IncrementalCooperativeAssign(group, work, AssignorState{}, 0, kDelayMs);
    for (const auto* assignments : {&eager, &cooperative.assignments}) {
      ASSERT_EQ(assignments->size(), c.member_offsets.size());
      for (const auto& [member, a] : *assignments) {
        EXPECT_EQ(a.error, c.error) << member;
        EXPECT_EQ(a.config_offset, c.sent_offset) << member;
        EXPECT_EQ(a.leader_id, "w0");
        EXPECT_EQ(a.leader_url, Url("w0"));
        if (c.error == AssignmentError::kConfigMismatch) {
          EXPECT_EQ(Size(a), 0u) << member;
          EXPECT_EQ(a.delay_ms, 0);
        }
      }
    }
    if (c.error == AssignmentError::kConfigMismatch) {
      EXPECT_EQ(cooperative.state.generation_id, 4);
      EXPECT_TRUE(cooperative.state.previous_assignment.empty());
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Incremental cooperative

TEST(IncrementalCooperativeAssignTest, FirstAssignmentIsBalancedAndSpreadsConnectors) {
  Group group(kDelayMs, {{"c1", 6}, {"c2", 6}});
  for (const char* member : {"w1", "w2", "w3"}) group.Join(member);
  const CooperativeAssignment first = group.Round();
  for (const auto& [member, a] : first.assignments) {
    EXPECT_EQ(a.tasks.size(), 4u) << member;
    EXPECT_LE(a.connectors.size(), 1u) << member;
    // Each worker gets two tasks of each connector.
    EXPECT_EQ(std::count_if(a.tasks.begin(), a.tasks.end(), [](const auto& t) { return t.connector == "c1"; }), 2)
        << member;
    EXPECT_TRUE(a.revoked_connectors.empty() && a.revoked_tasks.empty());
    EXPECT_EQ(a.delay_ms, 0);
  }
  EXPECT_EQ(first.assignments.at("w1").connectors, std::vector<std::string>{"c1"});
  EXPECT_EQ(first.assignments.at("w2").connectors, std::vector<std::string>{"c2"});
  group.ExpectConverged();
  EXPECT_EQ(group.Settle(), 1);  // nothing more to do
}

TEST(IncrementalCooperativeAssignTest, FirstAssignmentTable) {
  struct Case {
    int members;
    std::map<std::string, int32_t> task_counts;
  };
  const std::vector<Case> cases = {
      {3, {{"c1", 6}, {"c2", 6}}}, {1, {{"a", 3}}}, {4, {{"a", 5}, {"b", 3}, {"c", 1}}},
      {5, {{"a", 0}, {"b", 2}}},   {2, {}},         {7, {{"a", 1}}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::Message() << c.members << " members");
    Group group(kDelayMs, c.task_counts);
    for (int i = 0; i < c.members; ++i) group.Join("w" + std::to_string(i));
    group.Round();
    group.ExpectConverged();  // one round is enough
  }
}

TEST(IncrementalCooperativeAssignTest, JoiningWorkerGetsTheExcessInTwoRounds) {
  Group group = ThreeWorkers(kDelayMs);
  const auto before = group.running();
  group.Join("w4");

  // Round 1: each of the three gives up one task (12 tasks / 4 = 3 each); nothing is assigned.
  const CooperativeAssignment revoke = group.Round();
  std::set<ConnectorTaskId> moved;
  for (const auto& [member, a] : revoke.assignments) {
    EXPECT_TRUE(a.connectors.empty() && a.tasks.empty()) << member;
    EXPECT_TRUE(a.revoked_connectors.empty()) << "2 connectors over 4 workers are balanced already";
    EXPECT_EQ(a.delay_ms, 0);
    if (member != "w4") {
      EXPECT_EQ(a.revoked_tasks.size(), 1u) << member;
    }
    moved.insert(a.revoked_tasks.begin(), a.revoked_tasks.end());
  }
  EXPECT_EQ(moved.size(), 3u);

  // Round 2 (the members' follow-up rejoin): the new worker gets exactly those; nothing else moves.
  const CooperativeAssignment assign = group.Round();
  for (const auto& [member, a] : assign.assignments) {
    EXPECT_TRUE(a.revoked_connectors.empty() && a.revoked_tasks.empty()) << member;
    if (member == "w4") {
      EXPECT_EQ(std::set<ConnectorTaskId>(a.tasks.begin(), a.tasks.end()), moved);
      EXPECT_TRUE(a.connectors.empty());
    } else {
      EXPECT_EQ(Size(a), 0u) << member;
    }
  }
  // Unmoved tasks stayed put.
  for (const auto& [member, load] : before) {
    for (const ConnectorTaskId& t : load.tasks) {
      if (!Contains(moved, t)) {
        EXPECT_TRUE(Contains(group.running(member).tasks, t)) << t.ToString();
      }
    }
  }
  group.ExpectConverged();
  EXPECT_EQ(group.Settle(), 1);
}

TEST(IncrementalCooperativeAssignTest, LostWorkIsReassignedAtOnceWithoutDelay) {
  Group group = ThreeWorkers(/*max_delay_ms=*/0);
  const ConnectorsAndTasks lost = group.running("w3");
  group.Leave("w3");
  const CooperativeAssignment result = group.Round();
  ConnectorsAndTasks given;
  for (const auto& [member, a] : result.assignments) {
    EXPECT_TRUE(a.revoked_connectors.empty() && a.revoked_tasks.empty());
    EXPECT_EQ(a.delay_ms, 0);
    given.connectors.insert(a.connectors.begin(), a.connectors.end());
    given.tasks.insert(a.tasks.begin(), a.tasks.end());
  }
  EXPECT_EQ(given, lost);
  group.ExpectConverged();  // 6 and 6
  EXPECT_EQ(group.Settle(), 1);
}

TEST(IncrementalCooperativeAssignTest, LostWorkWaitsForTheDelayThenGoesToTheLeastLoaded) {
  Group group = ThreeWorkers(kDelayMs);
  const ConnectorsAndTasks lost = group.running("w3");
  ASSERT_FALSE(lost.tasks.empty());
  group.Leave("w3");
  const int64_t left_at = group.now_ms();

  const CooperativeAssignment first = group.Round();
  for (const auto& [member, a] : first.assignments) {
    EXPECT_EQ(Size(a), 0u) << member;
    EXPECT_EQ(a.delay_ms, kDelayMs);
  }
  EXPECT_EQ(group.state().lost_deadline_ms, left_at + kDelayMs);

  group.Advance(kDelayMs / 2);  // another rebalance meanwhile: still waiting, for the time left
  const CooperativeAssignment second = group.Round();
  for (const auto& [member, a] : second.assignments) {
    EXPECT_EQ(Size(a), 0u) << member;
    EXPECT_EQ(a.delay_ms, kDelayMs / 2);
  }

  group.Advance(kDelayMs / 2);  // the deadline: the members rejoin
  const CooperativeAssignment expired = group.Round();
  ConnectorsAndTasks given;
  for (const auto& [member, a] : expired.assignments) {
    EXPECT_EQ(a.delay_ms, 0);
    EXPECT_EQ(a.tasks.size(), 2u) << member;  // 4 + 2 each
    given.connectors.insert(a.connectors.begin(), a.connectors.end());
    given.tasks.insert(a.tasks.begin(), a.tasks.end());
  }
  EXPECT_EQ(given, lost);
  EXPECT_FALSE(group.state().lost_deadline_ms.has_value());
  group.ExpectConverged();
}

TEST(IncrementalCooperativeAssignTest, WorkerBackWithinTheDelayGetsItsWorkBack) {
  Group group = ThreeWorkers(kDelayMs);
  const ConnectorsAndTasks lost = group.running("w2");
  ASSERT_EQ(lost.connectors.size(), 1u);
  group.Leave("w2");
  EXPECT_EQ(group.Round().assignments.at("w1").delay_ms, kDelayMs);

  group.Advance(3000);
  group.Join("w2-again");  // a restarted worker joins under a new member id
  const CooperativeAssignment back = group.Round();
  for (const auto& [member, a] : back.assignments) {
    EXPECT_EQ(Size(a), 0u) << member << ": nothing moves before the deadline";
    EXPECT_EQ(a.delay_ms, kDelayMs - 3000);
  }
  EXPECT_EQ(group.state().candidate_workers, std::set<std::string>{"w2-again"});

  group.Advance(kDelayMs - 3000);
  const CooperativeAssignment expired = group.Round();
  const ConnectAssignment& returned = expired.assignments.at("w2-again");
  EXPECT_EQ(std::set<std::string>(returned.connectors.begin(), returned.connectors.end()), lost.connectors);
  EXPECT_EQ(std::set<ConnectorTaskId>(returned.tasks.begin(), returned.tasks.end()), lost.tasks);
  EXPECT_EQ(Size(expired.assignments.at("w1")), 0u);
  EXPECT_EQ(Size(expired.assignments.at("w3")), 0u);
  group.ExpectConverged();
  EXPECT_EQ(group.Settle(), 1);
}

TEST(IncrementalCooperativeAssignTest, LostWorkPrefersTheReturningWorkerOverANewcomer) {
  Group group = ThreeWorkers(kDelayMs);
  const ConnectorsAndTasks lost = group.running("w2");
  group.Leave("w2");
  group.Round();
  group.Advance(3000);
  group.Join("w2-again");  // empty during the delay: a candidate
  group.Round();
  group.Advance(kDelayMs - 3000);
  group.Join("w5");  // joins just as the delay ends: not a candidate
  const CooperativeAssignment expired = group.Round();
  // 12 tasks over 4 workers: 3 each. The returning worker takes 3 of its 4 lost tasks; the
  // newcomer gets the fourth now and one each from w1 and w3 in the follow-up round.
  const ConnectAssignment& returned = expired.assignments.at("w2-again");
  EXPECT_EQ(returned.tasks.size(), 3u);
  for (const ConnectorTaskId& t : returned.tasks) EXPECT_TRUE(Contains(lost.tasks, t)) << t.ToString();
  EXPECT_EQ(returned.connectors, std::vector<std::string>(lost.connectors.begin(), lost.connectors.end()));
  EXPECT_EQ(expired.assignments.at("w5").tasks.size(), 1u);
  EXPECT_EQ(expired.assignments.at("w1").revoked_tasks.size(), 1u);
  EXPECT_EQ(expired.assignments.at("w3").revoked_tasks.size(), 1u);
  group.Settle();
  group.ExpectConverged();
}

TEST(IncrementalCooperativeAssignTest, DeletedConnectorIsRevokedAndNothingElse) {
  Group group = ThreeWorkers(kDelayMs);
  const auto before = group.running();
  group.DeleteConnector("c2");
  const CooperativeAssignment result = group.Round();
  for (const auto& [member, a] : result.assignments) {
    const ConnectorsAndTasks& had = before.at(member);
    std::vector<std::string> c2_connector;
    std::vector<ConnectorTaskId> c2_tasks;
    if (Contains(had.connectors, std::string("c2"))) c2_connector.push_back("c2");
    for (const ConnectorTaskId& t : had.tasks) {
      if (t.connector == "c2") c2_tasks.push_back(t);
    }
    EXPECT_EQ(a.revoked_connectors, c2_connector) << member;
    EXPECT_EQ(a.revoked_tasks, c2_tasks) << member;
    EXPECT_TRUE(a.connectors.empty() && a.tasks.empty()) << member;
  }
  group.ExpectConverged();  // c1's six tasks were spread two per worker
  EXPECT_EQ(group.Settle(), 1);
}

TEST(IncrementalCooperativeAssignTest, FewerTasksRevokesOnlyTheRemovedOnes) {
  Group group = ThreeWorkers(kDelayMs);
  group.SetConnector("c1", 3);  // c1-3..c1-5 are gone
  const CooperativeAssignment result = group.Round();
  std::set<ConnectorTaskId> revoked;
  for (const auto& [member, a] : result.assignments) {
    EXPECT_TRUE(a.revoked_connectors.empty());
    revoked.insert(a.revoked_tasks.begin(), a.revoked_tasks.end());
  }
  EXPECT_EQ(revoked, (std::set<ConnectorTaskId>{Task("c1", 3), Task("c1", 4), Task("c1", 5)}));
  group.Settle();
  group.ExpectConverged();
}

TEST(IncrementalCooperativeAssignTest, AddedConnectorIsPlacedWithoutRevokingAnything) {
  Group group = ThreeWorkers(kDelayMs);
  group.SetConnector("c3", 3);
  const CooperativeAssignment result = group.Round();
  ConnectorsAndTasks given;
  for (const auto& [member, a] : result.assignments) {
    EXPECT_TRUE(a.revoked_connectors.empty() && a.revoked_tasks.empty()) << member;
    EXPECT_EQ(a.tasks.size(), 1u) << member;
    given.connectors.insert(a.connectors.begin(), a.connectors.end());
    given.tasks.insert(a.tasks.begin(), a.tasks.end());
  }
  EXPECT_EQ(given, (ConnectorsAndTasks{{"c3"}, {Task("c3", 0), Task("c3", 1), Task("c3", 2)}}));
  EXPECT_EQ(result.assignments.at("w3").connectors, std::vector<std::string>{"c3"});  // it had none
  group.ExpectConverged();
  EXPECT_EQ(group.Settle(), 1);
}

TEST(IncrementalCooperativeAssignTest, DuplicatedWorkIsRevokedFromAllButOne) {
  // Three connectors over three workers are balanced once the copy of `a` is gone, so only the
  // duplicate rule can revoke it.
  const ClusterWork work{kOffset, {{"a", 2}, {"b", 0}, {"c", 0}}};
  JoinedGroup group{"w1", 5, 4, {}};
  group.members.push_back({"w2", Url("w2"), kOffset, {{"a", "b"}, {Task("a", 0), Task("a", 1)}}});
  group.members.push_back({"w1", Url("w1"), kOffset, {{"a"}, {Task("a", 0)}}});
  group.members.push_back({"w3", Url("w3"), kOffset, {{"c"}, {}}});
  const CooperativeAssignment result = IncrementalCooperativeAssign(group, work, AssignorState{}, 0, kDelayMs);
  const ConnectAssignment& w1 = result.assignments.at("w1");
  const ConnectAssignment& w2 = result.assignments.at("w2");
  EXPECT_EQ(Size(w1), 0u);  // the first by id keeps it
  EXPECT_EQ(w2.revoked_connectors, std::vector<std::string>{"a"});
  EXPECT_EQ(w2.revoked_tasks, std::vector<ConnectorTaskId>{Task("a", 0)});
  EXPECT_TRUE(w2.connectors.empty() && w2.tasks.empty());
  EXPECT_EQ(result.allocations.at("w1"), (ConnectorsAndTasks{{"a"}, {Task("a", 0)}}));
  EXPECT_EQ(result.allocations.at("w2"), (ConnectorsAndTasks{{"b"}, {Task("a", 1)}}));
  EXPECT_EQ(Size(result.assignments.at("w3")), 0u);
}

TEST(IncrementalCooperativeAssignTest, UnconfiguredWorkAMemberRunsIsRevokedEvenByAFreshLeader) {
  JoinedGroup group{"w1", 2, 1, {{"w1", Url("w1"), kOffset, {{"gone"}, {Task("gone", 0), Task("a", 0)}}}}};
  const CooperativeAssignment result =
      IncrementalCooperativeAssign(group, ClusterWork{kOffset, {{"a", 1}}}, AssignorState{}, 0, kDelayMs);
  const ConnectAssignment& a = result.assignments.at("w1");
  EXPECT_EQ(a.revoked_connectors, std::vector<std::string>{"gone"});
  EXPECT_EQ(a.revoked_tasks, std::vector<ConnectorTaskId>{Task("gone", 0)});
  EXPECT_EQ(a.connectors, std::vector<std::string>{"a"});
  EXPECT_TRUE(a.tasks.empty());
}

TEST(IncrementalCooperativeAssignTest, SuccessiveBalancingRevocationsBackOff) {
  Group group = ThreeWorkers(kDelayMs);
  group.Join("w4");
  const CooperativeAssignment first = group.Round();  // revokes for w4
  EXPECT_EQ(first.assignments.at("w1").revoked_tasks.size(), 1u);
  group.Join("w5");  // joins before the follow-up round
  const CooperativeAssignment second = group.Round();
  for (const auto& [member, a] : second.assignments) {
    EXPECT_TRUE(a.revoked_connectors.empty() && a.revoked_tasks.empty()) << member << ": backing off";
    EXPECT_EQ(a.delay_ms, 40);
  }
  group.Advance(40);
  const CooperativeAssignment third = group.Round();
  size_t revoked = 0;
  for (const auto& [member, a] : third.assignments) {
    revoked += a.revoked_tasks.size() + a.revoked_connectors.size();
    EXPECT_EQ(a.delay_ms, 0);
  }
  EXPECT_GT(revoked, 0u);
  group.Settle();
  group.ExpectConverged();
  EXPECT_EQ(group.state().successive_revoking_rounds, 0);
}

TEST(IncrementalCooperativeAssignTest, StateOfAnUncompletedRoundIsDropped) {
  Group group = ThreeWorkers(kDelayMs);
  JoinedGroup joined{"w1", 20, 19, {}};  // the state is from another generation
  for (const char* member : {"w1", "w2"}) {
    joined.members.push_back({member, Url(member), kOffset, group.running(member)});
  }
  const CooperativeAssignment result =
      IncrementalCooperativeAssign(joined, group.work(), group.state(), group.now_ms(), kDelayMs);
  // Without memory, w3's work is just unassigned work: placed at once, no delay.
  ConnectorsAndTasks given;
  for (const auto& [member, a] : result.assignments) {
    EXPECT_EQ(a.delay_ms, 0);
    given.connectors.insert(a.connectors.begin(), a.connectors.end());
    given.tasks.insert(a.tasks.begin(), a.tasks.end());
  }
  EXPECT_EQ(given, group.running("w3"));
  EXPECT_EQ(result.state.generation_id, 20);
}

TEST(IncrementalCooperativeAssignTest, LostWorkWithoutADepartureIsPlacedAtOnce) {
  // A member lost an assignment (its SyncGroup failed) but nobody left: no reason to wait.
  Group group = ThreeWorkers(kDelayMs);
  JoinedGroup joined{"w1", 10, group.state().generation_id, {}};
  for (const char* member : {"w1", "w2", "w3"}) {
    joined.members.push_back({member, Url(member), kOffset, member == std::string("w3") ? ConnectorsAndTasks{}
                                                                                        : group.running(member)});
  }
  const CooperativeAssignment result =
      IncrementalCooperativeAssign(joined, group.work(), group.state(), group.now_ms(), kDelayMs);
  const ConnectAssignment& w3 = result.assignments.at("w3");
  EXPECT_EQ(w3.delay_ms, 0);
  EXPECT_EQ(std::set<ConnectorTaskId>(w3.tasks.begin(), w3.tasks.end()), group.running("w3").tasks);
}

TEST(IncrementalCooperativeAssignTest, IgnoredRevocationIsSentAgain) {
  Group group = ThreeWorkers(kDelayMs);
  std::map<std::string, ConnectorsAndTasks> running = group.running();
  running["w4"];
  JoinedGroup joined{"w1", 10, group.state().generation_id, {}};
  for (const auto& [member, load] : running) joined.members.push_back({member, Url(member), kOffset, load});
  const CooperativeAssignment first =
      IncrementalCooperativeAssign(joined, group.work(), group.state(), group.now_ms(), kDelayMs);
  ASSERT_EQ(first.assignments.at("w1").revoked_tasks.size(), 1u);
  // Next round, w1 still runs what it was told to revoke.
  joined.generation_id = 11;
  joined.last_completed_generation_id = 10;
  const CooperativeAssignment second =
      IncrementalCooperativeAssign(joined, group.work(), first.state, group.now_ms(), kDelayMs);
  EXPECT_TRUE(second.assignments.at("w4").tasks.empty()) << "nothing is given while w1 still runs it";
  EXPECT_EQ(second.assignments.at("w1").revoked_tasks, first.assignments.at("w1").revoked_tasks);
}

// Random membership and config changes, each followed by one round and often by settling. Every
// round is checked (revoke-then-assign, only needed revocations, the fewest moves); after settling,
// every configured item runs exactly once and loads differ by at most one.
TEST(IncrementalCooperativeAssignTest, RandomSequencesConverge) {
  for (uint32_t seed = 1; seed <= 12; ++seed) {
    const int32_t max_delay_ms = seed % 2 == 0 ? 0 : kDelayMs;
    SCOPED_TRACE(::testing::Message() << "seed " << seed << ", delay " << max_delay_ms);
    std::mt19937 rng(seed);
    auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint32_t>(n)); };
    Group group(max_delay_ms);
    std::vector<std::string> members;
    std::vector<std::string> connectors;
    int next_member = 0;
    int next_connector = 0;
    std::vector<ConnectorsAndTasks> departed;  // what members ran when they left
    auto join = [&] {
      members.push_back("w" + std::to_string(next_member++));
      group.Join(members.back());
    };
    join();
    for (int step = 0; step < 200 && !::testing::Test::HasFailure(); ++step) {
      std::string misses;
      switch (pick(8)) {
        case 0:
          if (members.size() < 8) join();
          break;
        case 1:
          if (members.size() > 1) {
            const int i = pick(static_cast<int>(members.size()));
            departed.push_back(group.running(members[i]));
            group.Leave(members[i]);
            members.erase(members.begin() + i);
          }
          break;
        case 2:
          if (connectors.size() < 6) {
            connectors.push_back("c" + std::to_string(next_connector++));
            group.SetConnector(connectors.back(), pick(9));
          }
          break;
        case 3:
          if (!connectors.empty()) {
            const int i = pick(static_cast<int>(connectors.size()));
            group.DeleteConnector(connectors[i]);
            connectors.erase(connectors.begin() + i);
          }
          break;
        case 4:
          if (!connectors.empty()) group.SetConnector(connectors[pick(static_cast<int>(connectors.size()))], pick(9));
          break;
        case 5:
          group.Advance(pick(kDelayMs));
          break;
        case 6:  // a departed worker comes back still running its old work: duplicates
          if (!departed.empty() && members.size() < 8) {
            members.push_back("w" + std::to_string(next_member++));
            group.Join(members.back(), departed[pick(static_cast<int>(departed.size()))]);
          }
          break;
        case 7:  // a member (perhaps the leader) misses this round's assignment
          misses = members[pick(static_cast<int>(members.size()))];
          break;
      }
      group.Round(misses);
      if (pick(2) == 0) {
        EXPECT_GT(group.Settle(), 0);
        group.ExpectConverged();
      }
    }
    EXPECT_GT(group.Settle(), 0);
    group.ExpectConverged();
  }
}

}  // namespace
}  // namespace ferry::worker
