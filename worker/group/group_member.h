// GroupMember: one member of a Kafka "classic" group (JoinGroup/SyncGroup/Heartbeat/LeaveGroup),
// spoken over the wire by Ferry itself because librdkafka cannot join with protocol type "connect".
// It mirrors Java's AbstractCoordinator (kafka-group-protocol.md section 9) without its heartbeat
// thread: the owner (the distributed herder's thread) calls Join() to (re)join, then Poll()
// regularly, at least every heartbeat interval, and Join() again whenever Poll() says so.
//
//   GroupMember member(config, ConnectionFactory("ferry", clock), clock);
//   Result<JoinResult> joined = member.Join(clock.Now() + 60s);      // blocks for the rebalance
//   while (running) {
//     Result<PollResult> poll = member.Poll(clock.Now() + 5s);      // heartbeats when due
//     if (poll.ok() && poll->rejoin_needed) joined = member.Join(...);
//     ...work until poll->next_poll...
//   }
//   (void)member.Leave(clock.Now() + 5s);
//
// Errors: network failures and the coordinator moving are retried inside Join() (rediscover, back
// off) until its deadline; a rebalance, a stale generation or an unknown member id make Join() rejoin
// at once, and make Poll() report rejoin_needed. Configuration, authorization and protocol errors
// are returned as values, never retried.
// Thread-safety: not thread-safe; one owner thread calls every method.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "worker/common/result.h"
#include "worker/group/connection.h"
#include "worker/group/messages.h"

namespace ferry::group {

// A protocol offered in JoinGroup. `metadata` is called for every JoinGroup, so the bytes reflect
// the member's state at that moment (Connect: config offset and current assignment).
struct GroupProtocol {
  std::string name;
  std::function<std::string()> metadata;
};

// A group member as the leader sees it in the JoinGroup response.
struct Member {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::string metadata;  // the bytes it sent for the chosen protocol, verbatim
};

// Run on the leader only: computes each member's assignment bytes from every member's metadata for
// the chosen `protocol`. Must return an entry for every member (a missing one is a bug: CHECK).
using Assignor =
    std::function<std::map<std::string /*member id*/, std::string /*assignment*/>(
        const std::vector<Member>& members, const std::string& protocol)>;

struct GroupMemberConfig {
  std::vector<std::string> bootstrap_servers;  // "host:port" / "[::1]:port", tried in order
  std::string group_id;
  std::string client_id = "ferry";
  std::string protocol_type = "connect";
  std::vector<GroupProtocol> protocols;  // in preference order; the mock uses the leader's first
  Assignor assignor;
  std::chrono::milliseconds session_timeout{10'000};
  std::chrono::milliseconds rebalance_timeout{60'000};
  std::chrono::milliseconds heartbeat_interval{3'000};
  std::chrono::milliseconds request_timeout{30'000};  // every request but JoinGroup/SyncGroup
  std::chrono::milliseconds retry_backoff{100};       // doubled per failure up to retry_backoff_max
  std::chrono::milliseconds retry_backoff_max{1'000};
  // Asked between join attempts; true makes Join() give up at once (its owner is stopping), so a
  // member whose coordinator cannot be reached does not hold its owner until the join deadline.
  std::function<bool()> stopping;

  // kInvalidConfig for an empty group id, no protocols or bootstrap servers, unparsable servers,
  // non-positive timeouts, or heartbeat_interval >= session_timeout.
  Result<> Validate() const;
};

struct JoinResult {
  int32_t generation = -1;
  std::string member_id;
  std::string leader_id;
  std::string protocol;    // the chosen protocol name
  std::string assignment;  // this member's bytes from SyncGroup
  bool is_leader = false;
};

struct PollResult {
  bool rejoin_needed = false;
  std::string reason;  // why a rejoin is needed, for logs
  Deadline next_poll;  // when a heartbeat is next due
};

class GroupMember {
 public:
  // `clock` must outlive the member. The config is checked by Join().
  GroupMember(GroupMemberConfig config, TransportFactory transports, Clock& clock);
  GroupMember(const GroupMember&) = delete;
  GroupMember& operator=(const GroupMember&) = delete;

  // (Re)joins the group: finds the coordinator, sends JoinGroup (the broker holds it until the
  // rebalance completes), runs the assignor if this member leads, and returns this member's
  // assignment from SyncGroup. Retries within `deadline`; kTimeout (retriable) when it passes.
  // `deadline` is checked between rounds: a JoinGroup/SyncGroup round already sent is waited for
  // (each request up to the rebalance timeout + 5 s), never abandoned, so Join() may return up to
  // twice that after `deadline`, and this member never has two JoinGroups pending at the coordinator.
  Result<JoinResult> Join(Deadline deadline);

  // Sends a heartbeat when one is due and reports whether the caller must Join() again. Does no
  // I/O when nothing is due. An error is one that rejoining cannot fix (e.g. authorization).
  Result<PollResult> Poll(Deadline deadline);

  // Makes the next Poll() report rejoin_needed (e.g. the herder saw new connector configs). The
  // reason is sent as the JoinGroup v8+ Reason.
  void RequestRejoin(std::string reason);

  // Sends one LeaveGroup (no retry) if the member has an id, then forgets the id and generation; an
  // UNKNOWN_MEMBER_ID answer counts as success. The member can Join() again afterwards. The
  // destructor does no I/O: call Leave() before dropping a joined member.
  Result<> Leave(Deadline deadline, const std::string& reason = "the member is leaving");

  bool is_stable() const { return state_ == State::kStable; }
  int32_t generation() const { return generation_; }
  const std::string& member_id() const { return member_id_; }
  // The negotiated version of `api_key` on the current coordinator, or -1 (for tests and logs).
  int16_t negotiated_version(int16_t api_key) const;

 private:
  enum class State { kUnjoined, kPreparingRebalance, kCompletingRebalance, kStable };
  // What one JoinGroup+SyncGroup round decided.
  enum class Next { kDone, kRetryNow, kRetryAfterBackoff };
  struct Versions {
    int16_t join = -1, sync = -1, heartbeat = -1, leave = -1;
  };

  Result<> EnsureCoordinator(Deadline deadline);
  Result<> DiscoverVia(const BrokerAddress& bootstrap, Deadline deadline);
  // Opens a transport and negotiates versions with ApiVersions.
  Result<TransportPtr> OpenAndNegotiate(const BrokerAddress& broker, Deadline deadline,
                                        ApiVersionsResponse* versions);
  void DropCoordinator();

  // One JoinGroup and its SyncGroup, each waited for up to RebalanceRequestDeadline().
  Result<Next> JoinOnce(JoinResult* result);
  Result<Next> SyncOnce(const JoinGroupResponse& joined, JoinResult* result);
  // Sends a request to the coordinator; a transport or decoding failure drops the coordinator.
  template <typename Response, typename Request>
  Result<Response> CallCoordinator(const Request& request, int16_t version, Deadline deadline);

  void ResetGeneration();  // generation -1, keep the member id
  void ResetMember();      // generation -1 and member id ""
  void NeedRejoin(std::string reason);
  Deadline RequestDeadline(Deadline deadline, std::chrono::milliseconds timeout);
  // Where a JoinGroup or SyncGroup sent now stops waiting: the rebalance timeout and a margin from
  // now, independent of Join()'s deadline.
  Deadline RebalanceRequestDeadline();
  void Backoff(Deadline deadline);

  GroupMemberConfig config_;
  TransportFactory transports_;
  Clock& clock_;

  State state_ = State::kUnjoined;
  int32_t generation_ = -1;
  std::string member_id_;
  std::string protocol_;
  bool rejoin_needed_ = true;
  std::string rejoin_reason_ = "initial join";

  TransportPtr coordinator_;
  std::optional<BrokerAddress> coordinator_address_;
  Versions versions_;
  size_t next_bootstrap_ = 0;  // rotates on failure

  Deadline next_heartbeat_{};
  Deadline last_heartbeat_ok_{};
  int backoff_failures_ = 0;
};

}  // namespace ferry::group
