// Connect's two assignors for the `connect` group protocol, as pure functions. The group leader
// passes in the members JoinGroup gave it and its config snapshot, and gets back one
// ConnectAssignment per member for SyncGroup. Nothing here does I/O or reads a clock: time is an
// argument, and what the leader remembers between rounds is a value (AssignorState) that the
// caller keeps and passes back.
// Behaviour: Connect's EagerAssignor and IncrementalCooperativeAssignor (KIP-415).
// Thread-safety: plain functions over values; safe from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "worker/common/types.h"

namespace ferry::worker {

// Connector instances and tasks: what one worker runs, or what a cluster has.
struct ConnectorsAndTasks {
  std::set<std::string> connectors;
  std::set<ConnectorTaskId> tasks;

  bool empty() const { return connectors.empty() && tasks.empty(); }
  bool operator==(const ConnectorsAndTasks&) const = default;
};

// The `error` field of an assignment, with Connect's wire values.
enum class AssignmentError : int16_t {
  kNone = 0,
  // The leader's config is older than a member's. Every member reads the config topic to its end
  // and rejoins; nobody starts or stops anything because of this assignment.
  kConfigMismatch = 1,
};

// What SyncGroup carries to one member: the fields of Connect's assignment v0 (eager) and v1/v2
// (incremental cooperative, which adds the revoked lists and the delay). Lists are sorted and
// hold no duplicates. Eager: `connectors`/`tasks` are the member's whole assignment and the rest
// is empty. Incremental cooperative: `connectors`/`tasks` are only what is new for the member;
// it keeps what it runs, minus `revoked_*`.
struct ConnectAssignment {
  AssignmentError error = AssignmentError::kNone;
  std::string leader_id;
  std::string leader_url;
  // The leader's config offset the assignment was computed from (the highest member offset with
  // CONFIG_MISMATCH). A member that has read less reads the config topic up to it before it acts.
  int64_t config_offset = -1;
  std::vector<std::string> connectors;
  std::vector<ConnectorTaskId> tasks;
  std::vector<std::string> revoked_connectors;
  std::vector<ConnectorTaskId> revoked_tasks;
  // Not 0: rejoin the group after this many ms if no rebalance has happened before.
  int32_t delay_ms = 0;

  bool operator==(const ConnectAssignment&) const = default;
};

// One member, as its JoinGroup metadata describes it.
struct MemberInfo {
  std::string member_id;
  std::string url;             // advertised REST URL
  int64_t config_offset = -1;  // how far the member has read the config topic
  // Metadata v1/v2 only: what the member runs now (empty when the allocation is null or for v0).
  ConnectorsAndTasks allocation;
};

// The group as the leader sees it in one round.
struct JoinedGroup {
  std::string leader_id;
  int32_t generation_id = -1;  // the generation being assigned
  // The generation of the leader's last *completed* round (its last successful SyncGroup), or -1.
  // Used by the incremental cooperative assignor to tell whether its memory is current.
  int32_t last_completed_generation_id = -1;
  std::vector<MemberInfo> members;  // REQUIRES: not empty, distinct ids, contains the leader
};

// The leader's config snapshot: the connectors and how many task configs each has.
struct ClusterWork {
  int64_t config_offset = -1;
  std::map<std::string, int32_t> task_counts;  // connector -> task count (REQUIRES: >= 0)
};

// What the incremental cooperative leader remembers from its previous round. Opaque to the caller:
// start from `AssignorState{}`, keep the `state` of each result, pass it to the next round.
struct AssignorState {
  int32_t generation_id = -1;  // the generation this state was computed for
  // Everything the leader placed last round, plus lost work still waiting for its delay.
  ConnectorsAndTasks previous_assignment;
  // What each member was told to revoke last round (to see whether the members applied it).
  std::map<std::string, ConnectorsAndTasks> previous_revocations;
  std::set<std::string> previous_members;
  // Lost work: when its delay (scheduled.rebalance.max.delay.ms) ends, and the workers that were
  // empty while it ran (likely the departed worker, back under a new member id).
  std::optional<int64_t> lost_deadline_ms;
  std::set<std::string> candidate_workers;
  // Backoff for load-balancing revocations in successive rounds (avoids rebalance storms).
  bool revoked_in_previous_round = false;
  int32_t successive_revoking_rounds = 0;
  std::optional<int64_t> revocation_deadline_ms;

  bool operator==(const AssignorState&) const = default;
};

// The result of one incremental cooperative round.
struct CooperativeAssignment {
  std::map<std::string, ConnectAssignment> assignments;  // by member id, one for each member
  // By member id: what each member runs once it has applied its assignment (the leader's view of
  // who runs what, e.g. to find the worker of a task).
  std::map<std::string, ConnectorsAndTasks> allocations;
  AssignorState state;  // keep it and pass it to the next round
};

// Connect's EagerAssignor (`connect.protocol=eager`, sub-protocol `default`). Members have revoked
// everything before joining. If the leader's config is behind the highest member config offset,
// every member gets CONFIG_MISMATCH. Otherwise the members, sorted by id, are dealt the connectors
// (sorted) and then the tasks (by sorted connector, then task id) round robin, one deal that
// continues from connectors into tasks.
std::map<std::string, ConnectAssignment> EagerAssign(const JoinedGroup& group, const ClusterWork& work);

// Connect's IncrementalCooperativeAssignor (`compatible`/`sessioned`, KIP-415), for one round at
// `now_ms` with scheduled.rebalance.max.delay.ms = `max_delay_ms` (>= 0).
//  - CONFIG_MISMATCH for all, as in EagerAssign, when the leader's config is behind.
//  - Running work stays where it is. Work that is no longer configured is revoked; work running on
//    more than one member is revoked from all but the first of them by member id.
//  - New work goes to the least loaded members (connectors and tasks counted separately; among
//    equal task loads, to the member with the fewest tasks of the same connector).
//  - Lost work (the leader placed it, no member runs it): placed at once if no member left the
//    group, or if `max_delay_ms` is 0. Otherwise a delay starts: the work stays unassigned and every
//    member gets delay_ms = the time left. Once `now_ms` reaches the deadline it goes to the members
//    that were empty during the delay (up to the balanced count), the rest to the least loaded.
//  - Load balancing, only while no delay for lost work runs: members above their share (floor or
//    ceil of total / members, the extra ones going to the most loaded) are told to revoke the
//    excess; the fewest items move. Revoked work is not assigned in the same round: members release
//    it, rejoin at once, and the next round places it. If balancing revocations are needed again in
//    the round right after ones that had them, they wait for a backoff of 40^n ms (n = successive
//    such rounds) capped at `max_delay_ms`, which is sent as delay_ms.
// The caller passes back `result.state` next round. If `group.last_completed_generation_id` is not
// the generation the state was computed for (a SyncGroup failed, or another member led since),
// the state is dropped: running work is then kept and everything unassigned counts as new.
CooperativeAssignment IncrementalCooperativeAssign(const JoinedGroup& group, const ClusterWork& work,
                                                   const AssignorState& state, int64_t now_ms,
                                                   int32_t max_delay_ms);

}  // namespace ferry::worker
