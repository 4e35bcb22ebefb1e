// rebalance_bench: what a rebalance of Ferry's Connect group costs while workers join and leave. N
// WorkerGroup members run in this process against one group coordinator, by default a librdkafka
// mock cluster in this process (loopback), with --bootstrap a real Kafka cluster's, and share a
// fixed amount of work (by default 4 connectors x 50 tasks). Each member's `apply` only logs, with a
// steady_clock time, what it was told to revoke and to assign; from that log the bench computes, per
// scenario, when the work was balanced again and how long each task went without an owner. It also
// times the leader's assignor alone, which is the part of a round that Ferry computes. See README.md
// in this directory.
//
// Exit code: 0 if every scenario balanced, 1 if one did not (or left a task with no owner or two, or
// under the cooperative protocol ran a task twice at any moment), 2 on a setup error, 3 when the
// whole run exceeded --max_runtime_s.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gflags/gflags.h>
#include <glog/logging.h>

#include "worker/assignor.h"
#include "worker/common/result.h"
#include "worker/common/types.h"
#include "worker/group/connect_protocol.h"
#include "worker/kafka/mock_cluster.h"
#include "worker/worker_group.h"

DEFINE_int32(connectors, 4, "Connectors in the cluster's fixed work");
DEFINE_int32(tasks_per_connector, 50, "Tasks of each connector");
DEFINE_int32(session_timeout_ms, 3500,
             "session.timeout.ms; the mock waits session - 1000 ms in every rebalance after the first");
DEFINE_int32(heartbeat_interval_ms, 500, "heartbeat.interval.ms");
DEFINE_int32(rebalance_timeout_ms, 10000, "rebalance.timeout.ms");
DEFINE_string(bootstrap, "",
              "A real Kafka cluster's bootstrap servers (host:port,...) whose group coordinator the members use; "
              "empty: a mock cluster in this process. Each run uses groups of its own there");
DEFINE_int32(leader_sync_delay_ms, 300,
             "ferry.group.leader.sync.delay.ms: the mock completes a sync on the leader's SyncGroup alone, so "
             "the leader waits for the followers' first; 0 unless given when --bootstrap is set (Kafka's "
             "coordinator hands a late follower its stored assignment)");
DEFINE_int32(scheduled_rebalance_max_delay_ms, 3000, "scheduled.rebalance.max.delay.ms");
DEFINE_int32(settle_ms, 5000,
             "A scenario ends once the work is balanced and no assignment has changed for this long");
DEFINE_int32(scenario_timeout_s, 90, "Limit for one scenario to balance");
DEFINE_int32(assignor_iterations, 1000, "Calls per case when timing the assignor alone");
DEFINE_bool(eager, true, "Also run the start and join scenarios with the eager protocol (connect.protocol=eager)");
DEFINE_int32(max_runtime_s, 900, "Limit for the whole run; the process exits with 3 after it");

namespace ferry::bench {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using worker::ClusterWork;
using worker::ConnectorsAndTasks;
using worker::WorkerAssignment;
using worker::WorkerGroup;

// A unit of work as the group protocol numbers it: a task, or (task -1) a connector instance.
using Work = ConnectorTaskId;
constexpr int64_t kConfigOffset = 42;  // the config topic never changes during the bench

double MsBetween(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

bool IsConnector(const Work& work) { return work.task == group::kConnectorTask; }

ClusterWork FixedWork() {
  ClusterWork work;
  work.config_offset = kConfigOffset;
  for (int c = 0; c < FLAGS_connectors; ++c) work.task_counts["connector-" + std::to_string(c)] = FLAGS_tasks_per_connector;
  return work;
}

std::vector<Work> AllWork(const ClusterWork& cluster) {
  std::vector<Work> all;
  for (const auto& [connector, tasks] : cluster.task_counts) {
    all.push_back({connector, group::kConnectorTask});
    for (int32_t t = 0; t < tasks; ++t) all.push_back({connector, t});
  }
  return all;
}

// ---------------------------------------------------------------------------------------------------
// The event log: every revoke and assign of every member, in the order they happened.

struct Change {
  Clock::time_point at;
  int member = -1;
  Work work;
  bool assigned = false;  // false: revoked (or, for a crashed member, stopped by the crash)
};

// One `apply` call: a member completed group generation `generation`.
struct Round {
  Clock::time_point at;
  int member = -1;
  int32_t generation = -1;
};

using Owners = std::map<Work, std::set<int>>;

void Replay(Owners& owners, const Change& change) {
  if (change.assigned) {
    owners[change.work].insert(change.member);
  } else {
    owners[change.work].erase(change.member);
  }
}

// Thread-safety: all methods may be called from any thread (members apply on their own threads).
class EventLog {
 public:
  // Called from member `member`'s `apply`: revokes first, then assigns, as the herder would.
  void Applied(int member, const WorkerAssignment& assignment) {
    std::lock_guard lock(mu_);
    const Clock::time_point now = Clock::now();
    rounds_.push_back({now, member, assignment.generation});
    Add(now, member, assignment.revoked, false);
    Add(Clock::now(), member, assignment.assigned, true);
  }

  // A crashed worker's work stops with it; nobody calls `apply` for that.
  void Crashed(int member) {
    std::lock_guard lock(mu_);
    Owners owners;
    for (const Change& change : changes_) Replay(owners, change);
    const Clock::time_point now = Clock::now();
    for (const auto& [work, members] : owners) {
      if (members.count(member) > 0) changes_.push_back({now, member, work, false});
    }
  }

  std::vector<Change> changes() const {
    std::lock_guard lock(mu_);
    return changes_;
  }
  std::vector<Round> rounds() const {
    std::lock_guard lock(mu_);
    return rounds_;
  }

 private:
  void Add(Clock::time_point at, int member, const ConnectorsAndTasks& items, bool assigned) {
    for (const std::string& connector : items.connectors) {
      changes_.push_back({at, member, {connector, group::kConnectorTask}, assigned});
    }
    for (const ConnectorTaskId& task : items.tasks) changes_.push_back({at, member, task, assigned});
  }

  mutable std::mutex mu_;
  std::vector<Change> changes_;  // guarded by mu_
  std::vector<Round> rounds_;    // guarded by mu_
};

// Empty if every unit of work has exactly one owner among `live` and the live members' task counts
// (and connector counts) differ by at most one; else what is wrong.
std::string Unbalanced(const Owners& owners, const std::vector<Work>& all, const std::set<int>& live) {
  std::map<int, int> tasks;
  std::map<int, int> connectors;
  for (int m : live) tasks[m] = connectors[m] = 0;
  for (const Work& work : all) {
    auto it = owners.find(work);
    const size_t n = it == owners.end() ? 0 : it->second.size();
    if (n != 1) return work.ToString() + " has " + std::to_string(n) + " owners";
    const int owner = *it->second.begin();
    if (live.count(owner) == 0) return work.ToString() + " is owned by worker " + std::to_string(owner) + ", which is gone";
    ++(IsConnector(work) ? connectors : tasks)[owner];
  }
  for (const auto* counts : {&tasks, &connectors}) {
    const auto [min, max] = std::minmax_element(counts->begin(), counts->end(),
                                                [](const auto& a, const auto& b) { return a.second < b.second; });
    if (max->second - min->second > 1) {
      return std::string(counts == &tasks ? "task" : "connector") + " counts range from " +
             std::to_string(min->second) + " to " + std::to_string(max->second);
    }
  }
  return "";
}

// ---------------------------------------------------------------------------------------------------
// What one scenario measured.

struct Distribution {
  size_t count = 0;
  double median = 0;
  double p99 = 0;
  double max = 0;
};

Distribution Summarize(std::vector<double> values) {
  Distribution d;
  d.count = values.size();
  if (values.empty()) return d;
  std::sort(values.begin(), values.end());
  auto rank = [&](double q) { return values[static_cast<size_t>(std::ceil(q * values.size())) - 1]; };
  d.median = rank(0.5);
  d.p99 = rank(0.99);
  d.max = values.back();
  return d;
}

// For one kind of work (tasks, or connector instances) over one scenario.
struct MoveStats {
  std::vector<double> moved_pause_ms;  // per moved unit: time without an owner
  int unmoved_revoked = 0;             // kept their owner, but were revoked (and given back) meanwhile
  double unmoved_pause_max_ms = 0;
  int doubled = 0;  // had two owners at the same moment
  double doubled_max_ms = 0;
};

struct ScenarioResult {
  std::string name;
  std::string protocol;
  size_t workers_before = 0;
  size_t workers_after = 0;
  bool ok = false;
  std::string failure;
  double balanced_ms = 0;         // from the trigger to the last change before the settle time
  std::vector<double> rounds_ms;  // when each new generation was first applied, from the trigger
  MoveStats tasks;
  MoveStats connectors;
};

// Per unit of work, the time without an owner and with two, from `trigger` to `end`, given the
// owners at the trigger and the changes since.
void Analyse(const Owners& before, const std::vector<Change>& changes, size_t from, Clock::time_point trigger,
             Clock::time_point end, const Owners& after, const std::vector<Work>& all, ScenarioResult& result) {
  std::map<Work, std::vector<const Change*>> by_work;
  for (size_t i = from; i < changes.size(); ++i) by_work[changes[i].work].push_back(&changes[i]);
  for (const Work& work : all) {
    auto owners_of = [&work](const Owners& owners) {
      auto it = owners.find(work);
      return it == owners.end() ? std::set<int>() : it->second;
    };
    std::set<int> owners = owners_of(before);
    double unowned_ms = 0;
    double doubled_ms = 0;
    bool revoked = false;
    Clock::time_point t = trigger;
    auto account = [&](Clock::time_point until) {
      if (owners.empty()) unowned_ms += MsBetween(t, until);
      if (owners.size() > 1) doubled_ms += MsBetween(t, until);
      t = until;
    };
    for (const Change* change : by_work[work]) {
      account(change->at);
      if (change->assigned) {
        owners.insert(change->member);
      } else {
        owners.erase(change->member);
        revoked = true;
      }
    }
    account(end);
    MoveStats& stats = IsConnector(work) ? result.connectors : result.tasks;
    if (owners_of(before) != owners_of(after)) {
      stats.moved_pause_ms.push_back(unowned_ms);
    } else if (revoked) {
      ++stats.unmoved_revoked;
      stats.unmoved_pause_max_ms = std::max(stats.unmoved_pause_max_ms, unowned_ms);
    }
    if (doubled_ms > 0) {
      ++stats.doubled;
      stats.doubled_max_ms = std::max(stats.doubled_max_ms, doubled_ms);
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// A Connect cluster of WorkerGroup members in this process.

class BenchCluster {
 public:
  BenchCluster(const std::string& bootstrap_servers, std::string group_id, group::ConnectProtocol protocol,
               ClusterWork work)
      : group_id_(std::move(group_id)), protocol_(protocol), work_(std::move(work)), all_(AllWork(work_)) {
    std::stringstream servers(bootstrap_servers);
    for (std::string server; std::getline(servers, server, ',');) bootstrap_.push_back(server);
  }
  ~BenchCluster() { StopAll(); }
  BenchCluster(const BenchCluster&) = delete;
  BenchCluster& operator=(const BenchCluster&) = delete;

  const std::vector<Work>& all_work() const { return all_; }
  EventLog& log() { return log_; }
  const std::set<int>& live() const { return live_; }
  const char* protocol_name() const { return group::SubProtocolName(protocol_); }
  bool cooperative() const { return protocol_ != group::ConnectProtocol::kEager; }

  // Starts one more member; returns its index.
  Result<int> Add() {
    const int index = static_cast<int>(members_.size());
    worker::WorkerGroupConfig config;
    config.bootstrap_servers = bootstrap_;
    config.group_id = group_id_;
    config.url = "http://127.0.0.1:" + std::to_string(18083 + index) + "/";  // advertised only, never bound
    config.protocol = protocol_;
    config.session_timeout = milliseconds(FLAGS_session_timeout_ms);
    config.heartbeat_interval = milliseconds(FLAGS_heartbeat_interval_ms);
    config.rebalance_timeout = milliseconds(FLAGS_rebalance_timeout_ms);
    config.scheduled_rebalance_max_delay_ms = FLAGS_scheduled_rebalance_max_delay_ms;
    config.leader_sync_delay = milliseconds(FLAGS_leader_sync_delay_ms);
    WorkerGroup::Callbacks callbacks;
    callbacks.cluster_work = [this] { return work_; };
    callbacks.read_config_to = [](int64_t offset) -> Result<> {
      if (offset > kConfigOffset) return Error::Internal("the leader assigned from an unknown config offset");
      return Ok();
    };
    callbacks.apply = [this, index](const WorkerAssignment& assignment) { log_.Applied(index, assignment); };
    members_.push_back(std::make_unique<WorkerGroup>(std::move(config), std::move(callbacks)));
    FERRY_RETURN_IF_ERROR(members_.back()->Start());
    live_.insert(index);
    return index;
  }

  // A clean stop: the member revokes its work and sends LeaveGroup.
  void Stop(int index) {
    members_.at(index)->Stop();
    live_.erase(index);
  }

  // A crash: no revocation, no LeaveGroup; the coordinator evicts the member after its session.
  void Crash(int index) {
    members_.at(index)->StopWithoutLeavingForTest();
    log_.Crashed(index);
    live_.erase(index);
  }

  // The live member that leads the current generation, if any.
  std::optional<int> Leader() const {
    for (int m : live_) {
      if (members_.at(m)->current().is_leader) return m;
    }
    return std::nullopt;
  }

  // The highest-numbered live member that does not lead.
  std::optional<int> AFollower() const {
    const std::optional<int> leader = Leader();
    for (auto it = live_.rbegin(); it != live_.rend(); ++it) {
      if (*it != leader) return *it;
    }
    return std::nullopt;
  }

  // Stops every member, all at once so that no member waits out a rebalance the others cause.
  void StopAll() {
    std::vector<std::thread> stoppers;
    for (auto& member : members_) stoppers.emplace_back([&member] { member->Stop(); });
    for (std::thread& t : stoppers) t.join();
    members_.clear();
    live_.clear();
  }

 private:
  const std::string group_id_;
  const group::ConnectProtocol protocol_;
  const ClusterWork work_;
  const std::vector<Work> all_;
  std::vector<std::string> bootstrap_;
  EventLog log_;  // before the members: their callbacks write to it until they stop
  std::vector<std::unique_ptr<WorkerGroup>> members_;
  std::set<int> live_;
};

// Runs `trigger` (which starts, stops or crashes members), then waits until the live members share
// the work evenly and nothing has changed for --settle_ms, and measures what happened since.
ScenarioResult RunScenario(BenchCluster& cluster, const std::string& name, const std::function<Result<>()>& trigger) {
  ScenarioResult result;
  result.name = name;
  result.protocol = cluster.protocol_name();
  result.workers_before = cluster.live().size();
  const std::vector<Work>& all = cluster.all_work();

  const std::vector<Change> prior = cluster.log().changes();
  const size_t from = prior.size();
  Owners before;
  for (const Change& change : prior) Replay(before, change);
  int32_t last_generation = -1;
  for (const Round& round : cluster.log().rounds()) last_generation = std::max(last_generation, round.generation);

  const Clock::time_point start = Clock::now();
  if (Result<> r = trigger(); !r.ok()) {
    result.failure = "the trigger failed: " + r.error().ToString();
    return result;
  }
  result.workers_after = cluster.live().size();

  const Clock::time_point deadline = start + std::chrono::seconds(FLAGS_scenario_timeout_s);
  std::string unbalanced = "nothing applied yet";
  for (;;) {
    const std::vector<Change> changes = cluster.log().changes();
    Owners now_owners;
    for (const Change& change : changes) Replay(now_owners, change);
    const Clock::time_point last_change = changes.size() > from ? changes.back().at : start;
    const Clock::time_point now = Clock::now();
    unbalanced = Unbalanced(now_owners, all, cluster.live());
    if (unbalanced.empty() && now - last_change >= milliseconds(FLAGS_settle_ms)) {
      result.balanced_ms = MsBetween(start, last_change);
      Analyse(before, changes, from, start, now, now_owners, all, result);
      break;
    }
    if (now >= deadline) {
      result.failure = "not balanced after " + std::to_string(FLAGS_scenario_timeout_s) + " s: " + unbalanced;
      return result;
    }
    std::this_thread::sleep_for(milliseconds(20));
  }

  std::set<int32_t> seen;
  for (const Round& round : cluster.log().rounds()) {
    if (round.generation > last_generation && round.at >= start && seen.insert(round.generation).second) {
      result.rounds_ms.push_back(MsBetween(start, round.at));
    }
  }
  // The cooperative protocol promises that nothing runs in two places, even for a moment.
  if (cluster.cooperative() && result.tasks.doubled + result.connectors.doubled > 0) {
    result.failure = std::to_string(result.tasks.doubled + result.connectors.doubled) +
                     " units of work had two owners at once";
    return result;
  }
  result.ok = true;
  return result;
}

std::string Ms(double ms) { return std::to_string(static_cast<int64_t>(std::llround(ms))); }
// Two owners at once last well under a millisecond here (`apply` only logs), so these get decimals.
std::string FineMs(double ms) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f", ms);
  return text;
}

void PrintScenario(const ScenarioResult& r) {
  std::printf("%s [%s, %zu -> %zu workers]: ", r.name.c_str(), r.protocol.c_str(), r.workers_before, r.workers_after);
  if (!r.ok) {
    std::printf("FAILED: %s\n", r.failure.c_str());
    std::fflush(stdout);
    return;
  }
  std::string rounds;
  for (double ms : r.rounds_ms) rounds += (rounds.empty() ? "+" : ", +") + Ms(ms);
  const Distribution tasks = Summarize(r.tasks.moved_pause_ms);
  const Distribution connectors = Summarize(r.connectors.moved_pause_ms);
  std::printf(
      "balanced after %s ms; rounds applied at %s ms\n"
      "  tasks: %zu moved, without owner median %s / p99 %s / max %s ms; %d unmoved revoked (max %s ms); "
      "%d had two owners (max %s ms)\n"
      "  connectors: %zu moved, without owner median %s / max %s ms; %d unmoved revoked; %d had two owners\n",
      Ms(r.balanced_ms).c_str(), rounds.empty() ? "(none)" : rounds.c_str(), tasks.count, Ms(tasks.median).c_str(),
      Ms(tasks.p99).c_str(), Ms(tasks.max).c_str(), r.tasks.unmoved_revoked, Ms(r.tasks.unmoved_pause_max_ms).c_str(),
      r.tasks.doubled, FineMs(r.tasks.doubled_max_ms).c_str(), connectors.count, Ms(connectors.median).c_str(),
      Ms(connectors.max).c_str(), r.connectors.unmoved_revoked, r.connectors.doubled);
  std::fflush(stdout);
}

void PrintTable(const std::vector<ScenarioResult>& results) {
  std::printf(
      "\n| scenario | protocol | workers | rounds | balanced after | tasks moved | their time without owner: "
      "median / p99 / max | unmoved tasks revoked | tasks with two owners (max) | connectors moved (max without "
      "owner) |\n|---|---|---|---|---|---|---|---|---|---|\n");
  for (const ScenarioResult& r : results) {
    if (!r.ok) {
      std::printf("| %s | %s | %zu → %zu | FAILED: %s |\n", r.name.c_str(), r.protocol.c_str(), r.workers_before,
                  r.workers_after, r.failure.c_str());
      continue;
    }
    const Distribution tasks = Summarize(r.tasks.moved_pause_ms);
    const Distribution connectors = Summarize(r.connectors.moved_pause_ms);
    std::printf("| %s | %s | %zu → %zu | %zu | %s ms | %zu | %s / %s / %s ms | %d | %d (%s ms) | %zu (%s ms) |\n",
                r.name.c_str(), r.protocol.c_str(), r.workers_before, r.workers_after, r.rounds_ms.size(),
                Ms(r.balanced_ms).c_str(), tasks.count, Ms(tasks.median).c_str(), Ms(tasks.p99).c_str(),
                Ms(tasks.max).c_str(), r.tasks.unmoved_revoked, r.tasks.doubled, FineMs(r.tasks.doubled_max_ms).c_str(),
                connectors.count, Ms(connectors.max).c_str());
  }
  std::fflush(stdout);
}

// ---------------------------------------------------------------------------------------------------
// The scenarios.

// Prints a scenario's result and keeps it; false if it failed (the scenarios after it need its state).
bool Record(std::vector<ScenarioResult>& results, ScenarioResult result) {
  PrintScenario(result);
  results.push_back(std::move(result));
  return results.back().ok;
}

std::function<Result<>()> StartMembers(BenchCluster& cluster, int n) {
  return [&cluster, n]() -> Result<> {
    for (int i = 0; i < n; ++i) FERRY_RETURN_IF_ERROR(cluster.Add());
    return Ok();
  };
}

// Cooperative (sessioned): 3 start, a 4th joins, a follower leaves, a follower crashes, the leader
// leaves. Each scenario starts from the balanced state the previous one left.
bool RunCooperative(const std::string& bootstrap, const std::string& group_prefix, const ClusterWork& work,
                    std::vector<ScenarioResult>& results) {
  BenchCluster cluster(bootstrap, group_prefix + "-sessioned", group::ConnectProtocol::kSessioned, work);
  auto stop_follower = [&cluster]() -> Result<> {
    const std::optional<int> follower = cluster.AFollower();
    if (!follower) return Error::Internal("no follower to stop");
    cluster.Stop(*follower);
    return Ok();
  };
  auto crash_follower = [&cluster]() -> Result<> {
    const std::optional<int> follower = cluster.AFollower();
    if (!follower) return Error::Internal("no follower to crash");
    cluster.Crash(*follower);
    return Ok();
  };
  auto stop_leader = [&cluster]() -> Result<> {
    const std::optional<int> leader = cluster.Leader();
    if (!leader) return Error::Internal("no live member leads");
    cluster.Stop(*leader);
    return Ok();
  };
  return Record(results, RunScenario(cluster, "(1) 3 workers start", StartMembers(cluster, 3))) &&
         Record(results, RunScenario(cluster, "(2) a 4th worker joins", StartMembers(cluster, 1))) &&
         Record(results, RunScenario(cluster, "(3) a follower leaves (Stop)", stop_follower)) &&
         Record(results, RunScenario(cluster, "(4) a follower crashes (no LeaveGroup)", crash_follower)) &&
         Record(results, RunScenario(cluster, "(5) the leader leaves (Stop)", stop_leader));
}

// Eager (`default`): the start and the join again, for contrast.
bool RunEager(const std::string& bootstrap, const std::string& group_prefix, const ClusterWork& work,
              std::vector<ScenarioResult>& results) {
  BenchCluster cluster(bootstrap, group_prefix + "-eager", group::ConnectProtocol::kEager, work);
  return Record(results, RunScenario(cluster, "(1e) 3 workers start", StartMembers(cluster, 3))) &&
         Record(results, RunScenario(cluster, "(2e) a 4th worker joins", StartMembers(cluster, 1)));
}

// ---------------------------------------------------------------------------------------------------
// The leader's assignor alone: the part of a round that is Ferry's computation.

worker::JoinedGroup Group(int members, int32_t generation, int32_t last_completed) {
  worker::JoinedGroup group;
  group.generation_id = generation;
  group.last_completed_generation_id = last_completed;
  for (int m = 0; m < members; ++m) {
    char id[32];
    std::snprintf(id, sizeof id, "member-%02d", m);
    group.members.push_back({id, std::string("http://") + id + ":8083/", kConfigOffset, {}});
  }
  group.leader_id = group.members.front().member_id;
  return group;
}

struct AssignorCase {
  std::string name;
  worker::JoinedGroup group;
  worker::AssignorState state;
  bool eager = false;
};

// The cases for `members` workers: a first assignment, a round where nothing moves, a member joining
// a balanced group (revocations), and the eager deal.
std::vector<AssignorCase> AssignorCases(int members, const ClusterWork& work, int64_t now_ms) {
  const int32_t delay = FLAGS_scheduled_rebalance_max_delay_ms;
  std::vector<AssignorCase> cases;
  worker::JoinedGroup first = Group(members, 1, -1);
  cases.push_back({"first assignment", first, {}, false});

  const worker::CooperativeAssignment r1 = worker::IncrementalCooperativeAssign(first, work, {}, now_ms, delay);
  worker::JoinedGroup steady = Group(members, 2, 1);
  for (worker::MemberInfo& m : steady.members) m.allocation = r1.allocations.at(m.member_id);
  cases.push_back({"nothing to move", steady, r1.state, false});

  // members - 1 balanced workers, then one joins.
  worker::JoinedGroup fewer = Group(members - 1, 1, -1);
  const worker::CooperativeAssignment f1 = worker::IncrementalCooperativeAssign(fewer, work, {}, now_ms, delay);
  worker::JoinedGroup joined = Group(members, 2, 1);
  for (worker::MemberInfo& m : joined.members) {
    if (auto it = f1.allocations.find(m.member_id); it != f1.allocations.end()) m.allocation = it->second;
  }
  cases.push_back({"one member joins", joined, f1.state, false});

  cases.push_back({"eager deal", first, {}, true});
  return cases;
}

void TimeAssignor(const ClusterWork& work) {
  const int64_t now_ms = 1'700'000'000'000;
  const size_t total = AllWork(work).size();
  std::printf("\nThe assignor alone (%zu units of work, %d calls per case):\n\n", total, FLAGS_assignor_iterations);
  std::printf("| members | round | median | p99 | max | revoked + assigned in the round |\n|---|---|---|---|---|---|\n");
  for (int members : {4, 20}) {
    for (const AssignorCase& c : AssignorCases(members, work, now_ms)) {
      std::vector<double> us;
      size_t moved = 0;  // also keeps the calls from being optimised away
      for (int i = 0; i < FLAGS_assignor_iterations; ++i) {
        const Clock::time_point t0 = Clock::now();
        size_t n = 0;
        if (c.eager) {
          for (const auto& [member, a] : worker::EagerAssign(c.group, work)) n += a.tasks.size() + a.connectors.size();
        } else {
          const worker::CooperativeAssignment r =
              worker::IncrementalCooperativeAssign(c.group, work, c.state, now_ms, FLAGS_scheduled_rebalance_max_delay_ms);
          for (const auto& [member, a] : r.assignments) {
            n += a.tasks.size() + a.connectors.size() + a.revoked_tasks.size() + a.revoked_connectors.size();
          }
        }
        us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
        moved = n;
      }
      const Distribution d = Summarize(us);
      std::printf("| %d | %s | %.0f µs | %.0f µs | %.0f µs | %zu |\n", members, c.name.c_str(), d.median, d.p99, d.max,
                  moved);
    }
  }
  std::fflush(stdout);
}

// ---------------------------------------------------------------------------------------------------

// Ends the process if the run takes longer than --max_runtime_s (a wait that is not bounded by a
// scenario's own timeout, e.g. a Stop() blocked in a JoinGroup).
class Watchdog {
 public:
  explicit Watchdog(std::chrono::seconds limit)
      : thread_([this, limit] {
          std::unique_lock lock(mu_);
          if (!done_cv_.wait_for(lock, limit, [this] { return done_; })) {
            std::fprintf(stderr, "rebalance_bench: still running after %lld s (--max_runtime_s); exiting\n",
                         static_cast<long long>(limit.count()));
            std::_Exit(3);
          }
        }) {}
  ~Watchdog() {
    {
      std::lock_guard lock(mu_);
      done_ = true;
    }
    done_cv_.notify_all();
    thread_.join();
  }
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

 private:
  std::mutex mu_;
  std::condition_variable done_cv_;
  bool done_ = false;  // guarded by mu_
  std::thread thread_;  // last: starts once the members above exist
};

int Main() {
  if (FLAGS_connectors < 1 || FLAGS_tasks_per_connector < 0 || FLAGS_assignor_iterations < 1) {
    std::fprintf(stderr, "--connectors >= 1, --tasks_per_connector >= 0 and --assignor_iterations >= 1, please\n");
    return 2;
  }
  Watchdog watchdog{std::chrono::seconds(FLAGS_max_runtime_s)};
  const bool real = !FLAGS_bootstrap.empty();
  if (real && gflags::GetCommandLineFlagInfoOrDie("leader_sync_delay_ms").is_default) FLAGS_leader_sync_delay_ms = 0;
  const ClusterWork work = FixedWork();
  std::printf("%d connectors x %d tasks on %s; session %d ms, heartbeat %d ms, leader sync delay %d ms, "
              "scheduled.rebalance.max.delay.ms %d, settle %d ms\n\n",
              FLAGS_connectors, FLAGS_tasks_per_connector,
              real ? ("the Kafka cluster at " + FLAGS_bootstrap).c_str() : "a mock cluster (3 brokers)",
              FLAGS_session_timeout_ms, FLAGS_heartbeat_interval_ms, FLAGS_leader_sync_delay_ms,
              FLAGS_scheduled_rebalance_max_delay_ms, FLAGS_settle_ms);
  std::fflush(stdout);

  std::unique_ptr<kafka::MockCluster> mock;  // before the members: they stop before it goes
  std::string bootstrap = FLAGS_bootstrap;
  std::string group_prefix = "rebalance-bench";
  if (real) {
    // A real coordinator keeps groups between runs: each run's groups are new.
    group_prefix += "-" + std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                             std::chrono::system_clock::now().time_since_epoch())
                                             .count());
  } else {
    auto started = kafka::MockCluster::Start(3);
    if (!started.ok()) {
      std::fprintf(stderr, "mock cluster: %s\n", started.error().ToString().c_str());
      return 2;
    }
    mock = std::move(*started);
    bootstrap = mock->bootstrap_servers();
  }
  std::vector<ScenarioResult> results;
  // Each BenchCluster stops its members before it returns, before the mock cluster goes.
  bool ok = RunCooperative(bootstrap, group_prefix, work, results);
  if (FLAGS_eager) ok = RunEager(bootstrap, group_prefix, work, results) && ok;
  PrintTable(results);
  TimeAssignor(work);
  if (!ok) std::printf("\nFAILED: a scenario did not balance cleanly (see above)\n");
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace ferry::bench

int main(int argc, char** argv) {
  FLAGS_logtostderr = true;
  FLAGS_minloglevel = 1;  // warnings and errors; --minloglevel=0 shows WorkerGroup's INFO logs
  gflags::SetUsageMessage(
      "The cost of Connect-group rebalances among Ferry WorkerGroup members, on a mock cluster or (--bootstrap) "
      "a real Kafka cluster");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  google::InitGoogleLogging(argv[0]);
  return ferry::bench::Main();
}
