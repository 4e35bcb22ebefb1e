#include "worker/assignor.h"

#include <algorithm>
#include <iterator>
#include <limits>
#include <utility>

#include <glog/logging.h>

namespace ferry::worker {
namespace {

// Load-balancing revocations in successive rounds wait 40^n ms (n = how many such rounds in a
// row), capped at scheduled.rebalance.max.delay.ms, as Connect's exponential backoff does.
constexpr int64_t kRevocationBackoffFactor = 40;

// Who runs what while the leader plans a round: member id -> connectors and tasks. Ordered by id.
using Plan = std::map<std::string, ConnectorsAndTasks>;

// One of the two kinds of work, so that the balancing code is written once for both.
template <typename T>
using Field = std::set<T> ConnectorsAndTasks::*;
constexpr Field<std::string> kConnectors = &ConnectorsAndTasks::connectors;
constexpr Field<ConnectorTaskId> kTasks = &ConnectorsAndTasks::tasks;

// Checks the REQUIRES of JoinedGroup and returns the leader.
const MemberInfo& CheckGroup(const JoinedGroup& group) {
  CHECK(!group.members.empty()) << "assignment for a group without members";
  std::set<std::string> ids;
  const MemberInfo* leader = nullptr;
  for (const MemberInfo& member : group.members) {
    CHECK(ids.insert(member.member_id).second) << "member " << member.member_id << " joined twice";
    if (member.member_id == group.leader_id) leader = &member;
  }
  CHECK(leader != nullptr) << "leader " << group.leader_id << " is not a member of the group";
  return *leader;
}

int64_t MaxConfigOffset(const JoinedGroup& group) {
  int64_t max = std::numeric_limits<int64_t>::min();
  for (const MemberInfo& member : group.members) max = std::max(max, member.config_offset);
  return max;
}

ConnectorsAndTasks Configured(const ClusterWork& work) {
  ConnectorsAndTasks configured;
  for (const auto& [connector, count] : work.task_counts) {
    CHECK_GE(count, 0) << "connector " << connector << " has a negative task count";
    configured.connectors.insert(connector);
    for (int32_t task = 0; task < count; ++task) configured.tasks.insert(ConnectorTaskId{connector, task});
  }
  return configured;
}

// The same empty assignment for every member.
std::map<std::string, ConnectAssignment> Uniform(const JoinedGroup& group, const MemberInfo& leader,
                                                 AssignmentError error, int64_t config_offset) {
  std::map<std::string, ConnectAssignment> assignments;
  for (const MemberInfo& member : group.members) {
    ConnectAssignment& assignment = assignments[member.member_id];
    assignment.error = error;
    assignment.leader_id = leader.member_id;
    assignment.leader_url = leader.url;
    assignment.config_offset = config_offset;
  }
  return assignments;
}

template <typename T>
bool Contains(const std::set<T>& set, const T& item) {
  return set.count(item) > 0;
}

void Merge(ConnectorsAndTasks& into, const ConnectorsAndTasks& from) {
  into.connectors.insert(from.connectors.begin(), from.connectors.end());
  into.tasks.insert(from.tasks.begin(), from.tasks.end());
}

// How many of `tasks` belong to `connector` (0 for connectors: they do not group).
size_t SameConnector(const std::set<ConnectorTaskId>& tasks, const ConnectorTaskId& task) {
  size_t count = 0;
  for (auto it = tasks.lower_bound(ConnectorTaskId{task.connector, std::numeric_limits<int32_t>::min()});
       it != tasks.end() && it->connector == task.connector; ++it) {
    ++count;
  }
  return count;
}
size_t SameConnector(const std::set<std::string>&, const std::string&) { return 0; }

// What a member sheds first when it gives up load. For connectors, the last by name. For tasks,
// the highest task of the connector it runs most tasks of, so that each connector's tasks spread.
std::string PickToShed(const std::set<std::string>& connectors) { return *connectors.rbegin(); }
ConnectorTaskId PickToShed(const std::set<ConnectorTaskId>& tasks) {
  const ConnectorTaskId* best = nullptr;
  size_t best_count = 0;
  for (auto it = tasks.begin(); it != tasks.end();) {
    auto last = it;
    size_t count = 0;
    for (auto run = it; run != tasks.end() && run->connector == it->connector; ++run) {
      last = run;
      ++count;
    }
    if (count >= best_count) {  // ties: the later connector
      best = &*last;
      best_count = count;
    }
    it = std::next(last);
  }
  return *best;
}

// Floor and how many members may hold one more, for `total` items over the plan's members.
struct Shares {
  size_t floor = 0;
  size_t extras = 0;
};
Shares SharesOf(size_t total, size_t members) { return Shares{total / members, total % members}; }

// The load-balancing revocations for one kind: every member above its share sheds the excess.
// The `extras` members allowed floor + 1 are the most loaded (ties: lowest id), so the fewest
// items move. Unassigned work is not in the plan; it counts in `total` and fills the gaps later.
template <typename T>
void AddBalancingRevocations(const Plan& plan, Field<T> field, size_t total, Plan& revocations) {
  const Shares shares = SharesOf(total, plan.size());
  std::vector<std::pair<size_t, std::string>> by_load;
  for (const auto& [member, load] : plan) by_load.emplace_back((load.*field).size(), member);
  std::sort(by_load.begin(), by_load.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  size_t extras_given = 0;
  for (const auto& [size, member] : by_load) {
    if (size <= shares.floor) break;
    size_t share = shares.floor;
    if (extras_given < shares.extras) {
      ++extras_given;
      share = shares.floor + 1;
    }
    std::set<T> items = plan.at(member).*field;
    while (items.size() > share) {
      T item = PickToShed(items);
      items.erase(item);
      (revocations[member].*field).insert(std::move(item));
    }
  }
}

Plan BalancingRevocations(const Plan& plan, const ConnectorsAndTasks& configured) {
  Plan revocations;
  AddBalancingRevocations(plan, kConnectors, configured.connectors.size(), revocations);
  AddBalancingRevocations(plan, kTasks, configured.tasks.size(), revocations);
  return revocations;
}

void Revoke(Plan& plan, const Plan& revocations, Plan& revoked) {
  for (const auto& [member, items] : revocations) {
    for (const std::string& connector : items.connectors) plan[member].connectors.erase(connector);
    for (const ConnectorTaskId& task : items.tasks) plan[member].tasks.erase(task);
    Merge(revoked[member], items);
  }
}

// The member to take `item`: fewest items of its kind, then (tasks) fewest tasks of the same
// connector, then lowest id; among `among` if given. nullptr if no member qualifies.
template <typename T>
const std::string* LeastLoaded(const Plan& plan, Field<T> field, const T& item,
                               const std::set<std::string>* among = nullptr) {
  const std::string* best = nullptr;
  std::pair<size_t, size_t> best_key;
  for (const auto& [member, load] : plan) {
    if (among != nullptr && !Contains(*among, member)) continue;
    const std::pair<size_t, size_t> key((load.*field).size(), SameConnector(load.*field, item));
    if (best == nullptr || key < best_key) {
      best = &member;
      best_key = key;
    }
  }
  return best;
}

template <typename T>
void PlaceLeastLoaded(Plan& plan, Field<T> field, const std::set<T>& items) {
  for (const T& item : items) (plan[*LeastLoaded(plan, field, item)].*field).insert(item);
}

// Lost work at the end of its delay goes to `candidates` (members that were empty meanwhile) as
// far as they stay within a balanced share; what they cannot take is returned.
template <typename T>
std::set<T> PlaceOnCandidates(Plan& plan, Field<T> field, size_t total, const std::set<T>& items,
                              const std::set<std::string>& candidates) {
  const Shares shares = SharesOf(total, plan.size());
  size_t above_floor = 0;
  for (const auto& [member, load] : plan) above_floor += (load.*field).size() > shares.floor ? 1 : 0;
  std::set<T> rest;
  for (const T& item : items) {
    std::set<std::string> open;  // candidates that may take one more
    for (const std::string& member : candidates) {
      const size_t size = (plan.at(member).*field).size();
      if (size < shares.floor || (size == shares.floor && above_floor < shares.extras)) open.insert(member);
    }
    const std::string* member = LeastLoaded(plan, field, item, &open);
    if (member == nullptr) {
      rest.insert(item);
      continue;
    }
    std::set<T>& load = plan[*member].*field;
    load.insert(item);
    if (load.size() == shares.floor + 1) ++above_floor;
  }
  return rest;
}

template <typename T>
std::vector<T> Minus(const std::set<T>& set, const std::set<T>& minus) {
  std::vector<T> out;
  std::set_difference(set.begin(), set.end(), minus.begin(), minus.end(), std::back_inserter(out));
  return out;
}

int32_t Backoff(int32_t successive_rounds, int32_t max_delay_ms) {
  int64_t backoff = 1;
  for (int32_t i = 0; i < successive_rounds && backoff < max_delay_ms; ++i) backoff *= kRevocationBackoffFactor;
  return static_cast<int32_t>(std::min<int64_t>(backoff, max_delay_ms));
}

int32_t TimeLeft(int64_t deadline_ms, int64_t now_ms, int32_t max_delay_ms) {
  return static_cast<int32_t>(std::clamp<int64_t>(deadline_ms - now_ms, 1, max_delay_ms));
}

// What becomes of lost work this round.
struct LostWork {
  ConnectorsAndTasks place_now;       // with the new work, on the least loaded members
  ConnectorsAndTasks for_candidates;  // the delay is over: to `candidates` first
  std::set<std::string> candidates;
  ConnectorsAndTasks waiting;  // the delay runs: unassigned for now
  int32_t delay_ms = 0;        // the time left to send, while waiting
};

// Lost work is placed at once if no delay is configured or nobody left the group (a member missed
// an assignment). Else a delay starts, during which members that are empty become candidates;
// once it is over the work goes to them.
LostWork DecideLostWork(const ConnectorsAndTasks& lost, const Plan& plan, bool member_left, int64_t now_ms,
                        int32_t max_delay_ms, AssignorState& state) {
  LostWork decision;
  if (lost.empty() || max_delay_ms == 0 || (!state.lost_deadline_ms && !member_left)) {
    decision.place_now = lost;
  } else if (state.lost_deadline_ms && now_ms >= *state.lost_deadline_ms) {
    decision.for_candidates = lost;
    for (const std::string& member : state.candidate_workers) {
      if (plan.count(member) > 0) decision.candidates.insert(member);
    }
  } else {
    for (const auto& [member, load] : plan) {
      if (load.empty()) state.candidate_workers.insert(member);
    }
    if (!state.lost_deadline_ms) state.lost_deadline_ms = now_ms + max_delay_ms;
    decision.waiting = lost;
    decision.delay_ms = TimeLeft(*state.lost_deadline_ms, now_ms, max_delay_ms);
    return decision;
  }
  state.lost_deadline_ms.reset();
  state.candidate_workers.clear();
  return decision;
}

// Load-balancing revocations, moved from `plan` to `revoked`, unless they back off because the
// previous round had some too. Returns the delay to send (0 if none).
int32_t Balance(Plan& plan, const ConnectorsAndTasks& configured, int64_t now_ms, int32_t max_delay_ms,
                AssignorState& state, Plan& revoked) {
  const Plan balancing = BalancingRevocations(plan, configured);
  if (balancing.empty()) {
    state.revoked_in_previous_round = false;
    state.successive_revoking_rounds = 0;
    state.revocation_deadline_ms.reset();
    return 0;
  }
  if (max_delay_ms > 0 && state.revocation_deadline_ms && now_ms < *state.revocation_deadline_ms) {
    return TimeLeft(*state.revocation_deadline_ms, now_ms, max_delay_ms);  // still backing off
  }
  if (max_delay_ms > 0 && !state.revocation_deadline_ms && state.revoked_in_previous_round) {
    ++state.successive_revoking_rounds;
    const int32_t backoff = Backoff(state.successive_revoking_rounds, max_delay_ms);
    state.revocation_deadline_ms = now_ms + backoff;
    return backoff;
  }
  Revoke(plan, balancing, revoked);
  state.revoked_in_previous_round = true;
  state.revocation_deadline_ms.reset();
  return 0;
}

}  // namespace

std::map<std::string, ConnectAssignment> EagerAssign(const JoinedGroup& group, const ClusterWork& work) {
  const MemberInfo& leader = CheckGroup(group);
  const int64_t max_offset = MaxConfigOffset(group);
  if (work.config_offset < max_offset) {
    return Uniform(group, leader, AssignmentError::kConfigMismatch, max_offset);
  }
  std::map<std::string, ConnectAssignment> assignments =
      Uniform(group, leader, AssignmentError::kNone, work.config_offset);
  const ConnectorsAndTasks configured = Configured(work);
  auto next = assignments.begin();  // one circular deal over the members, sorted by id
  auto deal = [&]() -> ConnectAssignment& {
    if (next == assignments.end()) next = assignments.begin();
    return (next++)->second;
  };
  for (const std::string& connector : configured.connectors) deal().connectors.push_back(connector);
  for (const ConnectorTaskId& task : configured.tasks) deal().tasks.push_back(task);
  return assignments;
}

CooperativeAssignment IncrementalCooperativeAssign(const JoinedGroup& group, const ClusterWork& work,
                                                   const AssignorState& previous, int64_t now_ms,
                                                   int32_t max_delay_ms) {
  CHECK_GE(max_delay_ms, 0) << "scheduled.rebalance.max.delay.ms must not be negative";
  const MemberInfo& leader = CheckGroup(group);
  const int64_t max_offset = MaxConfigOffset(group);

  // The memory is only good if the round it was made for completed.
  AssignorState state = previous.generation_id == group.last_completed_generation_id ? previous : AssignorState{};
  CooperativeAssignment out;
  if (work.config_offset < max_offset) {
    out.assignments = Uniform(group, leader, AssignmentError::kConfigMismatch, max_offset);
    for (const MemberInfo& member : group.members) out.allocations[member.member_id] = member.allocation;
    state.generation_id = group.generation_id;  // nobody changes anything this round
    out.state = std::move(state);
    return out;
  }

  const ConnectorsAndTasks configured = Configured(work);
  std::map<std::string, const MemberInfo*> members;  // by id
  ConnectorsAndTasks active;
  for (const MemberInfo& member : group.members) {
    members[member.member_id] = &member;
    Merge(active, member.allocation);
  }

  // A member still running what it was told to revoke did not apply the last round: trust what
  // the members report over what the leader planned.
  for (const auto& [member_id, revoked] : state.previous_revocations) {
    auto it = members.find(member_id);
    if (it == members.end()) continue;
    const ConnectorsAndTasks& runs = it->second->allocation;
    const bool ignored =
        std::any_of(revoked.connectors.begin(), revoked.connectors.end(),
                    [&](const std::string& c) { return Contains(runs.connectors, c); }) ||
        std::any_of(revoked.tasks.begin(), revoked.tasks.end(),
                    [&](const ConnectorTaskId& t) { return Contains(runs.tasks, t); });
    if (ignored) {
      state.previous_assignment = active;
      state.revoked_in_previous_round = false;  // those revocations never happened: no backoff
      break;
    }
  }
  state.previous_revocations.clear();

  // Configured work that nobody runs: lost if the leader had placed it, else new.
  ConnectorsAndTasks lost;
  ConnectorsAndTasks created;
  for (const std::string& connector : configured.connectors) {
    if (Contains(active.connectors, connector)) continue;
    (Contains(state.previous_assignment.connectors, connector) ? lost : created).connectors.insert(connector);
  }
  for (const ConnectorTaskId& task : configured.tasks) {
    if (Contains(active.tasks, task)) continue;
    (Contains(state.previous_assignment.tasks, task) ? lost : created).tasks.insert(task);
  }

  // Everyone keeps what they run, except work that is not configured any more and copies of work
  // an earlier member (by id) already runs.
  Plan plan;
  Plan revoked;
  ConnectorsAndTasks kept;
  for (const auto& [member_id, member] : members) {
    ConnectorsAndTasks& load = plan[member_id];
    for (const std::string& connector : member->allocation.connectors) {
      const bool keep = Contains(configured.connectors, connector) && kept.connectors.insert(connector).second;
      (keep ? load : revoked[member_id]).connectors.insert(connector);
    }
    for (const ConnectorTaskId& task : member->allocation.tasks) {
      const bool keep = Contains(configured.tasks, task) && kept.tasks.insert(task).second;
      (keep ? load : revoked[member_id]).tasks.insert(task);
    }
  }

  const bool member_left =
      std::any_of(state.previous_members.begin(), state.previous_members.end(),
                  [&](const std::string& member) { return members.count(member) == 0; });
  const LostWork lost_work = DecideLostWork(lost, plan, member_left, now_ms, max_delay_ms, state);
  int32_t delay_ms = lost_work.delay_ms;
  ConnectorsAndTasks to_place = created;
  Merge(to_place, lost_work.place_now);

  // Load balancing, unless lost work is waiting for its delay.
  if (delay_ms == 0) delay_ms = Balance(plan, configured, now_ms, max_delay_ms, state, revoked);

  // Place lost and new work. What was revoked this round is not placed before the next round.
  Merge(to_place, ConnectorsAndTasks{PlaceOnCandidates(plan, kConnectors, configured.connectors.size(),
                                                       lost_work.for_candidates.connectors, lost_work.candidates),
                                     PlaceOnCandidates(plan, kTasks, configured.tasks.size(),
                                                       lost_work.for_candidates.tasks, lost_work.candidates)});
  PlaceLeastLoaded(plan, kConnectors, to_place.connectors);
  PlaceLeastLoaded(plan, kTasks, to_place.tasks);

  out.assignments = Uniform(group, leader, AssignmentError::kNone, work.config_offset);
  ConnectorsAndTasks placed = lost_work.waiting;
  for (const auto& [member_id, member] : members) {
    ConnectAssignment& assignment = out.assignments[member_id];
    const ConnectorsAndTasks& load = plan.at(member_id);
    assignment.connectors = Minus(load.connectors, member->allocation.connectors);
    assignment.tasks = Minus(load.tasks, member->allocation.tasks);
    if (auto it = revoked.find(member_id); it != revoked.end()) {
      assignment.revoked_connectors.assign(it->second.connectors.begin(), it->second.connectors.end());
      assignment.revoked_tasks.assign(it->second.tasks.begin(), it->second.tasks.end());
      if (!it->second.empty()) state.previous_revocations[member_id] = it->second;
    }
    assignment.delay_ms = delay_ms;
    Merge(placed, load);
  }
  state.previous_assignment = std::move(placed);
  state.previous_members.clear();
  for (const auto& [member_id, member] : members) state.previous_members.insert(member_id);
  state.generation_id = group.generation_id;
  out.allocations = std::move(plan);
  out.state = std::move(state);
  return out;
}

}  // namespace ferry::worker
