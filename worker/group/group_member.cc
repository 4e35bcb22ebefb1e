#include "worker/group/group_member.h"

#include <algorithm>

namespace ferry::group {

namespace {

using std::chrono::milliseconds;

// ApiVersions v2 is understood by every broker from 2.0 to 4.x and by the librdkafka 2.0.2 mock,
// whose answer to v3+ is malformed (kafka-group-protocol.md section 3).
constexpr int16_t kApiVersionsVersion = 2;
// Rounds of JoinGroup/SyncGroup that may follow each other without a pause (rebalances, a new member
// id, the mock's late-SyncGroup error); after that every retry backs off.
constexpr int kMaxImmediateRetries = 5;
// Hard bound on the rounds of one Join() call, whatever the clock does.
constexpr int kMaxJoinAttempts = 1000;
// How much longer than the rebalance timeout a JoinGroup or SyncGroup may take (Java's
// JOIN_GROUP_TIMEOUT_LAPSE).
constexpr milliseconds kRebalanceRequestMargin{5000};
// Java truncates the JoinGroup/LeaveGroup reason to this length.
constexpr size_t kMaxReasonLength = 255;

// An error code a broker returned, as an Error: `retriable` when retrying later may help.
Error GroupError(const std::string& context, KafkaError code, bool retriable = false) {
  ErrorCode ferry_code = ErrorCode::kKafka;
  switch (code) {
    case KafkaError::kGroupAuthorizationFailed: ferry_code = ErrorCode::kForbidden; break;
    case KafkaError::kInvalidSessionTimeout:
    case KafkaError::kInvalidGroupId: ferry_code = ErrorCode::kInvalidConfig; break;
    case KafkaError::kUnsupportedVersion: ferry_code = ErrorCode::kUnsupported; break;
    default: break;
  }
  return Error(ferry_code, context + ": " + KafkaErrorName(code), retriable,
               static_cast<rd_kafka_resp_err_t>(static_cast<int16_t>(code)));
}

std::string Truncated(const std::string& reason) { return reason.substr(0, kMaxReasonLength); }

}  // namespace

Result<> GroupMemberConfig::Validate() const {
  if (group_id.empty()) return Error::InvalidConfig("group.id", "must not be empty");
  if (protocol_type.empty()) return Error::InvalidConfig("protocol.type", "must not be empty");
  if (bootstrap_servers.empty()) return Error::InvalidConfig("bootstrap.servers", "must not be empty");
  for (const std::string& server : bootstrap_servers) {
    Result<BrokerAddress> address = ParseBrokerAddress(server);
    if (!address.ok()) return address.error();
  }
  if (protocols.empty()) return Error::InvalidConfig("protocols", "at least one protocol is required");
  for (const GroupProtocol& p : protocols) {
    if (p.name.empty() || !p.metadata) {
      return Error::InvalidConfig("protocols", "every protocol needs a name and a metadata supplier");
    }
  }
  for (const auto& [key, value] :
       {std::pair{"session.timeout.ms", session_timeout}, std::pair{"rebalance.timeout.ms", rebalance_timeout},
        std::pair{"heartbeat.interval.ms", heartbeat_interval}, std::pair{"request.timeout.ms", request_timeout},
        std::pair{"retry.backoff.ms", retry_backoff}}) {
    if (value <= milliseconds::zero()) return Error::InvalidConfig(key, "must be positive");
  }
  if (retry_backoff_max < retry_backoff) {
    return Error::InvalidConfig("retry.backoff.max.ms", "must not be below retry.backoff.ms");
  }
  if (heartbeat_interval >= session_timeout) {
    return Error::InvalidConfig("heartbeat.interval.ms", "must be below session.timeout.ms");
  }
  return Ok();
}

GroupMember::GroupMember(GroupMemberConfig config, TransportFactory transports, Clock& clock)
    : config_(std::move(config)), transports_(std::move(transports)), clock_(clock) {
  CHECK(transports_) << "GroupMember needs a TransportFactory";
  CHECK(config_.assignor) << "GroupMember needs an assignor: any member may become the leader";
}

int16_t GroupMember::negotiated_version(int16_t api_key) const {
  switch (api_key) {
    case JoinGroupRequest::kApiKey: return versions_.join;
    case SyncGroupRequest::kApiKey: return versions_.sync;
    case HeartbeatRequest::kApiKey: return versions_.heartbeat;
    case LeaveGroupRequest::kApiKey: return versions_.leave;
    default: return -1;
  }
}

Deadline GroupMember::RequestDeadline(Deadline deadline, milliseconds timeout) {
  return std::min(deadline, clock_.Now() + timeout);
}

Deadline GroupMember::RebalanceRequestDeadline() {
  // Java's AbstractCoordinator allows a JoinGroup the rebalance timeout plus 5 s, whatever its
  // caller's poll timeout, and never sends a second one while the first is pending. Cutting a
  // JoinGroup short at the caller's deadline would close the connection while the coordinator still
  // holds the request, and the next Join() would send a second JoinGroup for the same member while
  // the first is pending: Kafka replaces the first, but librdkafka 2.0.2's mock does not see a
  // connection close while it holds a request and aborts the process on the second one
  // (rd_kafka_mock_cgrp_member_add: Assertion '!member->resp'). So a JoinGroup (and the SyncGroup
  // of its round) ends only when the broker answers, the connection fails, or this bound passes.
  return clock_.Now() + config_.rebalance_timeout + kRebalanceRequestMargin;
}

void GroupMember::Backoff(Deadline deadline) {
  const int doublings = std::min(backoff_failures_, 16);
  ++backoff_failures_;
  const milliseconds wait = std::min(config_.retry_backoff * (int64_t{1} << doublings), config_.retry_backoff_max);
  clock_.SleepUntil(std::min(deadline, clock_.Now() + wait));
}

void GroupMember::ResetGeneration() { generation_ = -1; }

void GroupMember::ResetMember() {
  generation_ = -1;
  member_id_.clear();
}

void GroupMember::NeedRejoin(std::string reason) {
  if (!rejoin_needed_) rejoin_reason_ = std::move(reason);
  rejoin_needed_ = true;
}

void GroupMember::RequestRejoin(std::string reason) { NeedRejoin(std::move(reason)); }

void GroupMember::DropCoordinator() {
  coordinator_.reset();
  coordinator_address_.reset();
  versions_ = {};
}

// ---- coordinator discovery ----

Result<TransportPtr> GroupMember::OpenAndNegotiate(const BrokerAddress& broker, Deadline deadline,
                                                   ApiVersionsResponse* versions) {
  Result<TransportPtr> transport = transports_(broker, deadline);
  if (!transport.ok()) return transport.error();
  int16_t version = kApiVersionsVersion;
  for (int attempt = 0; attempt < 2; ++attempt) {
    Result<std::string> body =
        (*transport)->RoundTrip(ApiVersionsRequest::kApiKey, version, ApiVersionsRequest{}.Encode(version), deadline);
    if (!body.ok()) return body.error();
    Result<ApiVersionsResponse> response = ApiVersionsResponse::Decode(*body, version);
    if (!response.ok()) return response.error();
    if (response->error_code == KafkaError::kUnsupportedVersion && attempt == 0) {
      // A broker older than 2.0: it lists the ApiVersions versions it has (KIP-511).
      Result<int16_t> older = ChooseVersion(ApiVersionsRequest::kApiKey, *response);
      if (older.ok() && *older < version) {
        version = *older;
        continue;
      }
    }
    if (response->error_code != KafkaError::kNone) {
      return GroupError("ApiVersions from " + broker.ToString(), response->error_code);
    }
    *versions = std::move(*response);
    return std::move(*transport);
  }
  return GroupError("ApiVersions from " + broker.ToString(), KafkaError::kUnsupportedVersion);
}

Result<> GroupMember::DiscoverVia(const BrokerAddress& bootstrap, Deadline deadline) {
  ApiVersionsResponse bootstrap_versions;
  Result<TransportPtr> transport = OpenAndNegotiate(bootstrap, deadline, &bootstrap_versions);
  if (!transport.ok()) return transport.error();
  Result<int16_t> version = ChooseVersion(FindCoordinatorRequest::kApiKey, bootstrap_versions);
  if (!version.ok()) return version.error();

  FindCoordinatorRequest request;
  request.key = config_.group_id;
  request.key_type = FindCoordinatorRequest::kGroupKeyType;
  request.coordinator_keys = {config_.group_id};
  Result<std::string> body =
      (*transport)->RoundTrip(FindCoordinatorRequest::kApiKey, *version, request.Encode(*version), deadline);
  if (!body.ok()) return body.error();
  Result<FindCoordinatorResponse> response = FindCoordinatorResponse::Decode(*body, *version);
  if (!response.ok()) return response.error();
  Result<FindCoordinatorResponse::Coordinator> found = response->For(config_.group_id);
  if (!found.ok()) return found.error();
  const std::string context = "FindCoordinator for group '" + config_.group_id + "' via " + bootstrap.ToString();
  switch (found->error_code) {
    case KafkaError::kNone: break;
    case KafkaError::kCoordinatorNotAvailable:
    case KafkaError::kNotCoordinator:
    case KafkaError::kCoordinatorLoadInProgress: return GroupError(context, found->error_code, /*retriable=*/true);
    default: return GroupError(context, found->error_code);
  }
  if (found->host.empty() || found->port <= 0 || found->port > 65535) {
    return Error(ErrorCode::kKafka, context + ": no usable coordinator address", /*retriable=*/true);
  }

  // A connection of its own, as Java does, so coordinator traffic never queues behind other requests.
  BrokerAddress address{found->host, found->port};
  ApiVersionsResponse coordinator_versions;
  Result<TransportPtr> coordinator = OpenAndNegotiate(address, deadline, &coordinator_versions);
  if (!coordinator.ok()) return coordinator.error();
  Versions versions;
  for (auto [api_key, slot] : {std::pair{JoinGroupRequest::kApiKey, &versions.join},
                               std::pair{SyncGroupRequest::kApiKey, &versions.sync},
                               std::pair{HeartbeatRequest::kApiKey, &versions.heartbeat},
                               std::pair{LeaveGroupRequest::kApiKey, &versions.leave}}) {
    Result<int16_t> v = ChooseVersion(api_key, coordinator_versions);
    if (!v.ok()) return v.error();
    *slot = *v;
  }
  coordinator_ = std::move(*coordinator);
  coordinator_address_ = address;
  versions_ = versions;
  VLOG(1) << "group '" << config_.group_id << "': coordinator " << address.ToString() << " (JoinGroup v"
          << versions.join << ", SyncGroup v" << versions.sync << ", Heartbeat v" << versions.heartbeat
          << ", LeaveGroup v" << versions.leave << ")";
  return Ok();
}

Result<> GroupMember::EnsureCoordinator(Deadline deadline) {
  if (coordinator_ != nullptr) return Ok();
  FERRY_RETURN_IF_ERROR(config_.Validate());
  const size_t n = config_.bootstrap_servers.size();
  std::optional<Error> last;
  for (size_t i = 0; i < n; ++i) {
    const size_t index = (next_bootstrap_ + i) % n;
    Result<BrokerAddress> bootstrap = ParseBrokerAddress(config_.bootstrap_servers[index]);
    if (!bootstrap.ok()) return bootstrap.error();
    Result<> found = DiscoverVia(*bootstrap, RequestDeadline(deadline, config_.request_timeout));
    if (found.ok()) {
      next_bootstrap_ = index;
      return Ok();
    }
    if (!found.error().retriable()) return found.error();
    last = found.error();
    if (clock_.Now() >= deadline) break;
  }
  next_bootstrap_ = (next_bootstrap_ + 1) % n;  // start elsewhere next time
  return last.value_or(Error::Timeout("no bootstrap server answered for group '" + config_.group_id + "'"));
}

template <typename Response, typename Request>
Result<Response> GroupMember::CallCoordinator(const Request& request, int16_t version, Deadline deadline) {
  CHECK(coordinator_ != nullptr) << "no coordinator for " << ApiName(Request::kApiKey);
  Result<std::string> body = coordinator_->RoundTrip(Request::kApiKey, version, request.Encode(version), deadline);
  if (!body.ok()) {
    DropCoordinator();  // the transport is broken now
    return body.error();
  }
  Result<Response> response = Response::Decode(*body, version);
  if (!response.ok()) {
    DropCoordinator();
    return response.error();
  }
  return response;
}

// ---- join ----

Result<JoinResult> GroupMember::Join(Deadline deadline) {
  FERRY_RETURN_IF_ERROR(config_.Validate());
  int immediate_retries = 0;
  std::string last_problem = "none";
  auto stopping = [this] { return config_.stopping && config_.stopping(); };
  for (int attempt = 0; attempt < kMaxJoinAttempts && clock_.Now() < deadline && !stopping(); ++attempt) {
    Result<> coordinator = EnsureCoordinator(deadline);
    if (!coordinator.ok()) {
      if (!coordinator.error().retriable()) {
        state_ = State::kUnjoined;
        return coordinator.error();
      }
      last_problem = coordinator.error().message();
      Backoff(deadline);
      continue;
    }
    JoinResult result;
    Result<Next> next = JoinOnce(&result);
    if (!next.ok()) {
      if (!next.error().retriable()) {
        state_ = State::kUnjoined;
        return next.error();
      }
      last_problem = next.error().message();
      Backoff(deadline);
      continue;
    }
    switch (*next) {
      case Next::kDone:
        backoff_failures_ = 0;
        return result;
      case Next::kRetryNow:
        last_problem = rejoin_reason_;
        if (++immediate_retries > kMaxImmediateRetries) Backoff(deadline);
        break;
      case Next::kRetryAfterBackoff:
        last_problem = rejoin_reason_;
        Backoff(deadline);
        break;
    }
  }
  state_ = State::kUnjoined;
  if (stopping()) return Error::Timeout("joining group '" + config_.group_id + "' given up: stopping");
  return Error::Timeout("joining group '" + config_.group_id + "' did not complete in time; last problem: " +
                        last_problem);
}

Result<GroupMember::Next> GroupMember::JoinOnce(JoinResult* result) {
  state_ = State::kPreparingRebalance;
  const int16_t version = versions_.join;
  JoinGroupRequest request;
  request.group_id = config_.group_id;
  request.session_timeout_ms = static_cast<int32_t>(config_.session_timeout.count());
  request.rebalance_timeout_ms = static_cast<int32_t>(config_.rebalance_timeout.count());
  request.member_id = member_id_;
  request.protocol_type = config_.protocol_type;
  for (const GroupProtocol& p : config_.protocols) request.protocols.push_back({p.name, p.metadata()});
  if (version >= 8) request.reason = Truncated(rejoin_reason_);

  // The broker holds JoinGroup until every member has rejoined, up to the rebalance timeout; that
  // bound, not the caller's deadline, ends the wait (see RebalanceRequestDeadline).
  Result<JoinGroupResponse> response =
      CallCoordinator<JoinGroupResponse>(request, version, RebalanceRequestDeadline());
  if (!response.ok()) return response.error();

  const KafkaError code = response->error_code;
  switch (code) {
    case KafkaError::kNone: break;
    case KafkaError::kMemberIdRequired:  // KIP-394: the broker assigned an id; join again with it
      member_id_ = response->member_id;
      rejoin_reason_ = "JoinGroup: the broker assigned member id " + member_id_;
      return Next::kRetryNow;
    case KafkaError::kUnknownMemberId:
      ResetMember();
      rejoin_reason_ = "JoinGroup: " + KafkaErrorName(code);
      return Next::kRetryNow;
    case KafkaError::kIllegalGeneration:
    case KafkaError::kRebalanceInProgress:
      rejoin_reason_ = "JoinGroup: " + KafkaErrorName(code);
      return Next::kRetryNow;
    case KafkaError::kCoordinatorNotAvailable:
    case KafkaError::kNotCoordinator:
      DropCoordinator();
      rejoin_reason_ = "JoinGroup: " + KafkaErrorName(code);
      return Next::kRetryAfterBackoff;
    case KafkaError::kCoordinatorLoadInProgress:
      rejoin_reason_ = "JoinGroup: " + KafkaErrorName(code);
      return Next::kRetryAfterBackoff;
    default: return GroupError("JoinGroup for group '" + config_.group_id + "'", code);
  }

  const std::string context = "JoinGroup for group '" + config_.group_id + "'";
  if (response->protocol_type && *response->protocol_type != config_.protocol_type) {
    return Error(ErrorCode::kKafka,
                 context + ": the group has protocol type '" + *response->protocol_type + "', not '" +
                     config_.protocol_type + "'",
                 false, RD_KAFKA_RESP_ERR_INCONSISTENT_GROUP_PROTOCOL);
  }
  if (response->skip_assignment) {
    return Error(ErrorCode::kUnsupported, context + ": SkipAssignment is set, but static membership is not supported");
  }
  const std::string protocol = response->protocol_name.value_or("");
  const bool offered = std::any_of(config_.protocols.begin(), config_.protocols.end(),
                                   [&](const GroupProtocol& p) { return p.name == protocol; });
  if (!offered) {
    return Error(ErrorCode::kKafka, context + ": the coordinator chose protocol '" + protocol + "', which was not offered",
                 false, RD_KAFKA_RESP_ERR_INCONSISTENT_GROUP_PROTOCOL);
  }
  generation_ = response->generation_id;
  member_id_ = response->member_id;
  protocol_ = protocol;
  state_ = State::kCompletingRebalance;
  return SyncOnce(*response, result);
}

Result<GroupMember::Next> GroupMember::SyncOnce(const JoinGroupResponse& joined, JoinResult* result) {
  const int16_t version = versions_.sync;
  const bool is_leader = joined.leader == member_id_;
  SyncGroupRequest request;
  request.group_id = config_.group_id;
  request.generation_id = generation_;
  request.member_id = member_id_;
  request.protocol_type = config_.protocol_type;
  request.protocol_name = protocol_;
  if (is_leader) {
    std::vector<Member> members;
    members.reserve(joined.members.size());
    for (const JoinGroupResponse::Member& m : joined.members) {
      members.push_back({m.member_id, m.group_instance_id, m.metadata});
    }
    std::map<std::string, std::string> assignments = config_.assignor(members, protocol_);
    for (const Member& m : members) {
      auto it = assignments.find(m.member_id);
      CHECK(it != assignments.end()) << "the assignor returned no assignment for member " << m.member_id;
      request.assignments.push_back({m.member_id, std::move(it->second)});
    }
  }

  // A follower's SyncGroup waits at the broker for the leader's, as long as a JoinGroup may.
  Result<SyncGroupResponse> response =
      CallCoordinator<SyncGroupResponse>(request, version, RebalanceRequestDeadline());
  if (!response.ok()) return response.error();

  const KafkaError code = response->error_code;
  switch (code) {
    case KafkaError::kNone: break;
    case KafkaError::kRebalanceInProgress:
    // The librdkafka mock finishes a sync as soon as the leader's SyncGroup arrives, and answers a
    // follower whose SyncGroup comes later with INVALID_REQUEST (mock-cluster.md). A real broker
    // would hand out the stored assignment; rejoining is the way out on the mock.
    case KafkaError::kInvalidRequest:
      state_ = State::kPreparingRebalance;
      rejoin_reason_ = "SyncGroup: " + KafkaErrorName(code);
      return Next::kRetryNow;
    case KafkaError::kIllegalGeneration:
      ResetGeneration();
      rejoin_reason_ = "SyncGroup: " + KafkaErrorName(code);
      return Next::kRetryNow;
    case KafkaError::kUnknownMemberId:
      ResetMember();
      rejoin_reason_ = "SyncGroup: " + KafkaErrorName(code);
      return Next::kRetryNow;
    case KafkaError::kCoordinatorNotAvailable:
    case KafkaError::kNotCoordinator:
      DropCoordinator();
      rejoin_reason_ = "SyncGroup: " + KafkaErrorName(code);
      return Next::kRetryAfterBackoff;
    case KafkaError::kCoordinatorLoadInProgress:
      rejoin_reason_ = "SyncGroup: " + KafkaErrorName(code);
      return Next::kRetryAfterBackoff;
    default: return GroupError("SyncGroup for group '" + config_.group_id + "'", code);
  }
  if ((response->protocol_type && *response->protocol_type != config_.protocol_type) ||
      (response->protocol_name && *response->protocol_name != protocol_)) {
    return Error(ErrorCode::kKafka,
                 "SyncGroup for group '" + config_.group_id + "': the coordinator answered for protocol '" +
                     response->protocol_type.value_or("") + "/" + response->protocol_name.value_or("") + "'",
                 false, RD_KAFKA_RESP_ERR_INCONSISTENT_GROUP_PROTOCOL);
  }

  state_ = State::kStable;
  rejoin_needed_ = false;
  rejoin_reason_.clear();
  const Deadline now = clock_.Now();
  last_heartbeat_ok_ = now;
  next_heartbeat_ = now + config_.heartbeat_interval;
  *result = JoinResult{generation_, member_id_, joined.leader, protocol_, std::move(response->assignment), is_leader};
  return Next::kDone;
}

// ---- heartbeat ----

Result<PollResult> GroupMember::Poll(Deadline deadline) {
  if (state_ != State::kStable) NeedRejoin("not a member of the group yet");
  if (rejoin_needed_) return PollResult{true, rejoin_reason_, clock_.Now()};
  if (clock_.Now() < next_heartbeat_) return PollResult{false, "", next_heartbeat_};

  // A heartbeat that fails for a reason that may pass (network, coordinator moving) is retried
  // after a backoff, until no heartbeat has succeeded for a whole session: by then the broker has
  // dropped the member, so it must rejoin.
  auto retry_later = [&](const std::string& why) {
    const Deadline now = clock_.Now();
    if (now - last_heartbeat_ok_ >= config_.session_timeout) {
      DropCoordinator();
      NeedRejoin("no successful heartbeat within the session timeout; last: " + why);
    } else {
      const int doublings = std::min(backoff_failures_++, 16);
      next_heartbeat_ =
          now + std::min(config_.retry_backoff * (int64_t{1} << doublings), config_.retry_backoff_max);
    }
    return PollResult{rejoin_needed_, rejoin_reason_, rejoin_needed_ ? now : next_heartbeat_};
  };

  Result<> coordinator = EnsureCoordinator(RequestDeadline(deadline, config_.request_timeout));
  if (!coordinator.ok()) {
    if (!coordinator.error().retriable()) return coordinator.error();
    return retry_later(coordinator.error().message());
  }

  HeartbeatRequest request;
  request.group_id = config_.group_id;
  request.generation_id = generation_;
  request.member_id = member_id_;
  const Deadline sent = clock_.Now();
  Result<HeartbeatResponse> response = CallCoordinator<HeartbeatResponse>(
      request, versions_.heartbeat,
      RequestDeadline(deadline, std::min(config_.request_timeout, config_.session_timeout)));
  if (!response.ok()) {
    if (!response.error().retriable()) return response.error();
    return retry_later(response.error().message());
  }

  const KafkaError code = response->error_code;
  switch (code) {
    case KafkaError::kNone:
      backoff_failures_ = 0;
      last_heartbeat_ok_ = sent;
      next_heartbeat_ = sent + config_.heartbeat_interval;
      return PollResult{false, "", next_heartbeat_};
    case KafkaError::kRebalanceInProgress:  // keep member id and generation: the rejoin carries them
      NeedRejoin("Heartbeat: the group is rebalancing");
      break;
    case KafkaError::kIllegalGeneration:
      ResetGeneration();
      NeedRejoin("Heartbeat: " + KafkaErrorName(code));
      break;
    case KafkaError::kUnknownMemberId:
      ResetMember();
      NeedRejoin("Heartbeat: " + KafkaErrorName(code));
      break;
    case KafkaError::kCoordinatorNotAvailable:
    case KafkaError::kNotCoordinator:
      DropCoordinator();
      return retry_later("Heartbeat: " + KafkaErrorName(code));
    case KafkaError::kCoordinatorLoadInProgress: return retry_later("Heartbeat: " + KafkaErrorName(code));
    default: return GroupError("Heartbeat for group '" + config_.group_id + "'", code);
  }
  state_ = State::kPreparingRebalance;
  return PollResult{true, rejoin_reason_, clock_.Now()};
}

// ---- leave ----

Result<> GroupMember::Leave(Deadline deadline, const std::string& reason) {
  Result<> result = Ok();
  // Also after a failed Join: the broker may still count the member in, and a LeaveGroup lets the
  // group rebalance without waiting for the session to expire.
  if (!member_id_.empty()) {
    result = EnsureCoordinator(RequestDeadline(deadline, config_.request_timeout));
    if (result.ok()) {
      const int16_t version = versions_.leave;
      LeaveGroupRequest request;
      request.group_id = config_.group_id;
      request.member_id = member_id_;
      request.members = {{member_id_, std::nullopt, Truncated(reason)}};
      Result<LeaveGroupResponse> response =
          CallCoordinator<LeaveGroupResponse>(request, version, RequestDeadline(deadline, config_.request_timeout));
      // UNKNOWN_MEMBER_ID: the broker has already dropped the member, which is what we want.
      auto acceptable = [](KafkaError e) { return e == KafkaError::kNone || e == KafkaError::kUnknownMemberId; };
      const std::string context = "LeaveGroup for group '" + config_.group_id + "'";
      if (!response.ok()) {
        result = response.error();
      } else if (!acceptable(response->error_code)) {
        result = GroupError(context, response->error_code);
      } else {
        for (const LeaveGroupResponse::Member& m : response->members) {
          if (!acceptable(m.error_code)) result = GroupError(context + " member " + m.member_id, m.error_code);
        }
      }
    }
  }
  ResetMember();
  state_ = State::kUnjoined;
  NeedRejoin("left the group");
  return result;
}

}  // namespace ferry::group
