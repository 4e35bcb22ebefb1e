// GroupMember's state machine against a scripted fake Transport and a fake clock: every reaction of
// kafka-group-protocol.md section 8 that the member implements, with the broker's answers encoded by
// the real message codecs at whatever version the member negotiated. The real wire path runs in
// group_member_mock_test.cc against the librdkafka mock cluster.
#include "worker/group/group_member.h"

#include <deque>
#include <map>
#include <set>

#include <gtest/gtest.h>

namespace ferry::group {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ApiVersion = ApiVersionsResponse::ApiVersion;

class FakeClock : public Clock {
 public:
  TimePoint Now() override { return now_; }
  void SleepUntil(TimePoint t) override { now_ = std::max(now_, t); }
  void Advance(Clock::TimePoint::duration d) { now_ += d; }

 private:
  TimePoint now_ = TimePoint() + std::chrono::hours(1);
};

// Answers one request: the response body for the request's version, or a transport failure.
using Responder = std::function<Result<std::string>(int16_t version, const std::string& request)>;

struct Call {
  std::string broker;
  int16_t api_key;
  int16_t version;
  std::string body;
  Deadline deadline;  // until when the member waits for the answer
};

// The broker side of a test: scripted answers in order, then per-API fallbacks. Requests that are
// neither expected nor covered fail the test and get a non-retriable error, so the member stops.
//
// A step may be held: the broker answers `hold` after the request arrives (as a coordinator holds
// JoinGroup until the rebalance completes), moving the fake clock on. If the member stops waiting
// first, it gets a timeout, and for a JoinGroup the broker keeps holding it: a JoinGroup for the same
// member before the hold ends is a second one pending at the coordinator, which fails the test (Kafka
// would replace the first; librdkafka 2.0.2's mock aborts the process, rd_kafka_mock_cgrp_member_add).
class Script {
 public:
  explicit Script(FakeClock& clock) : clock_(clock) {}

  void Expect(int16_t api_key, Responder respond, Clock::TimePoint::duration hold = {}) {
    steps_.push_back({api_key, std::move(respond), hold});
  }
  void Always(int16_t api_key, Responder respond) { fallback_[api_key] = std::move(respond); }
  bool done() const { return steps_.empty(); }

  Result<std::string> Answer(const BrokerAddress& broker, int16_t api_key, int16_t version, const std::string& body,
                             Deadline deadline) {
    calls.push_back({broker.ToString(), api_key, version, body, deadline});
    if (api_key == JoinGroupRequest::kApiKey) {
      Result<JoinGroupRequest> join = JoinGroupRequest::Decode(body, version);
      const std::string member = join.ok() ? join->member_id : "";
      if (auto held = held_joins_.find(member); !member.empty() && held != held_joins_.end() &&
                                                 clock_.Now() < held->second) {
        ADD_FAILURE() << "a second JoinGroup for member " << member
                      << " while the coordinator still holds its first one";
      }
    }
    if (!steps_.empty()) {
      Step step = std::move(steps_.front());
      steps_.pop_front();
      if (step.api_key != api_key) {
        ADD_FAILURE() << "expected " << ApiName(step.api_key) << ", got " << ApiName(api_key);
        return Error::Internal("unexpected request");
      }
      if (step.hold > Clock::TimePoint::duration::zero()) {
        const Deadline answered = clock_.Now() + step.hold;
        if (answered > deadline) {
          clock_.SleepUntil(deadline);
          if (api_key == JoinGroupRequest::kApiKey) {
            Result<JoinGroupRequest> join = JoinGroupRequest::Decode(body, version);
            if (join.ok()) held_joins_[join->member_id] = answered;
          }
          return Error::Timeout("receive from " + broker.ToString() + ": deadline passed");
        }
        clock_.SleepUntil(answered);
      }
      return step.respond(version, body);
    }
    if (auto it = fallback_.find(api_key); it != fallback_.end()) return it->second(version, body);
    ADD_FAILURE() << "unscripted " << ApiName(api_key) << " v" << version;
    return Error::Internal("unscripted request");
  }

  TransportFactory Factory();

  std::set<std::string> down;  // brokers that refuse connections
  std::vector<std::string> connects;
  std::vector<Call> calls;

 private:
  struct Step {
    int16_t api_key;
    Responder respond;
    Clock::TimePoint::duration hold;
  };
  FakeClock& clock_;
  std::deque<Step> steps_;
  std::map<int16_t, Responder> fallback_;
  std::map<std::string, Deadline> held_joins_;  // member id -> when the coordinator answers its JoinGroup
};

class FakeTransport : public Transport {
 public:
  FakeTransport(Script& script, BrokerAddress broker) : script_(script), broker_(std::move(broker)) {}
  Result<std::string> RoundTrip(int16_t api_key, int16_t version, const std::string& body,
                                Deadline deadline) override {
    if (broken_) return Error(ErrorCode::kKafka, "transport is broken", true, RD_KAFKA_RESP_ERR__TRANSPORT);
    Result<std::string> answer = script_.Answer(broker_, api_key, version, body, deadline);
    if (!answer.ok()) broken_ = true;
    return answer;
  }

 private:
  Script& script_;
  BrokerAddress broker_;
  bool broken_ = false;
};

TransportFactory Script::Factory() {
  return [this](const BrokerAddress& broker, Deadline) -> Result<TransportPtr> {
    connects.push_back(broker.ToString());
    if (down.count(broker.ToString()) > 0) {
      return Error(ErrorCode::kKafka, "connection refused", true, RD_KAFKA_RESP_ERR__TRANSPORT);
    }
    return TransportPtr(std::make_unique<FakeTransport>(*this, broker));
  };
}

// ---- broker answers ----

const std::vector<ApiVersion> kMockVersions = {{10, 0, 2}, {11, 0, 5}, {12, 0, 3},
                                               {13, 0, 1}, {14, 0, 3}, {18, 0, 2}};
const std::vector<ApiVersion> kModernVersions = {{10, 0, 6}, {11, 0, 9}, {12, 0, 4},
                                                 {13, 0, 5}, {14, 0, 5}, {18, 0, 4}};

Responder ApiVersionsAnswer(std::vector<ApiVersion> keys) {
  return [keys](int16_t v, const std::string&) -> Result<std::string> {
    ApiVersionsResponse r;
    r.api_keys = keys;
    return r.Encode(v);
  };
}

Responder CoordinatorAnswer(std::string host, int32_t port, KafkaError error = KafkaError::kNone) {
  return [=](int16_t v, const std::string& body) -> Result<std::string> {
    FindCoordinatorRequest request = *FindCoordinatorRequest::Decode(body, v);
    FindCoordinatorResponse r;
    if (v >= 4) {
      r.coordinators.push_back({request.coordinator_keys.at(0), 1, host, port, error, std::nullopt});
    } else {
      r.error_code = error;
      r.node_id = 1;
      r.host = host;
      r.port = port;
    }
    return r.Encode(v);
  };
}

Responder JoinAnswer(int32_t generation, std::string member, std::string leader, std::string protocol = "sessioned",
                     std::vector<JoinGroupResponse::Member> members = {}) {
  return [=](int16_t v, const std::string&) -> Result<std::string> {
    JoinGroupResponse r;
    r.generation_id = generation;
    r.member_id = member;
    r.leader = leader;
    r.protocol_name = protocol;
    if (v >= 7) r.protocol_type = "connect";
    r.members = members;
    return r.Encode(v);
  };
}

Responder JoinError(KafkaError error, std::string member = "") {
  return [=](int16_t v, const std::string&) -> Result<std::string> {
    JoinGroupResponse r;
    r.error_code = error;
    r.member_id = member;
    r.protocol_name = v >= 7 ? std::nullopt : std::optional<std::string>("");
    return r.Encode(v);
  };
}

Responder SyncAnswer(std::string assignment, KafkaError error = KafkaError::kNone) {
  return [=](int16_t v, const std::string& body) -> Result<std::string> {
    SyncGroupRequest request = *SyncGroupRequest::Decode(body, v);
    SyncGroupResponse r;
    r.error_code = error;
    r.assignment = assignment;
    if (v >= 5) {
      r.protocol_type = request.protocol_type;
      r.protocol_name = request.protocol_name;
    }
    return r.Encode(v);
  };
}

Responder SyncError(KafkaError error) { return SyncAnswer("", error); }

Responder HeartbeatAnswer(KafkaError error = KafkaError::kNone) {
  return [=](int16_t v, const std::string&) -> Result<std::string> {
    HeartbeatResponse r;
    r.error_code = error;
    return r.Encode(v);
  };
}

Responder LeaveAnswer(KafkaError error = KafkaError::kNone) {
  return [=](int16_t v, const std::string& body) -> Result<std::string> {
    LeaveGroupResponse r;
    r.error_code = error;
    if (v >= 3) {
      const LeaveGroupRequest request = *LeaveGroupRequest::Decode(body, v);
      for (const auto& m : request.members) r.members.push_back({m.member_id, {}, {}});
    }
    return r.Encode(v);
  };
}

Responder NetworkFailure() {
  return [](int16_t, const std::string&) -> Result<std::string> {
    return Error(ErrorCode::kKafka, "connection reset by peer", true, RD_KAFKA_RESP_ERR__TRANSPORT);
  };
}

template <typename Request>
Request Sent(const Call& call) {
  EXPECT_EQ(call.api_key, Request::kApiKey) << "call was " << ApiName(call.api_key);
  Result<Request> r = Request::Decode(call.body, call.version);
  EXPECT_TRUE(r.ok()) << r.error().ToString();
  return r.ok() ? *r : Request{};
}

// Indices of the calls of one API, in order.
std::vector<Call> CallsOf(const Script& script, int16_t api_key) {
  std::vector<Call> out;
  for (const Call& c : script.calls) {
    if (c.api_key == api_key) out.push_back(c);
  }
  return out;
}

class GroupMemberTest : public ::testing::Test {
 protected:
  GroupMemberConfig Config() {
    GroupMemberConfig c;
    c.bootstrap_servers = {"b1:9092", "b2:9092"};
    c.group_id = "connect-cluster";
    c.protocols = {{"sessioned", [] { return std::string("meta-v2"); }},
                   {"default", [] { return std::string("meta-v0"); }}};
    c.assignor = [this](const std::vector<Member>& members, const std::string& protocol) {
      ++assignor_calls_;
      assignor_members_ = members;
      std::map<std::string, std::string> out;
      for (const Member& m : members) out[m.member_id] = "assign:" + m.member_id + ":" + protocol;
      return out;
    };
    return c;
  }

  std::unique_ptr<GroupMember> Make(GroupMemberConfig config) {
    return std::make_unique<GroupMember>(std::move(config), script_.Factory(), clock_);
  }
  std::unique_ptr<GroupMember> Make() { return Make(Config()); }

  // Bootstrap ApiVersions, FindCoordinator, coordinator ApiVersions.
  void ExpectDiscovery(const std::vector<ApiVersion>& versions, const std::string& host = "127.0.0.1",
                       int32_t port = 9092) {
    script_.Expect(18, ApiVersionsAnswer(versions));
    script_.Expect(10, CoordinatorAnswer(host, port));
    script_.Expect(18, ApiVersionsAnswer(versions));
  }

  // Joins as the sole member and leader "m-1" in generation 1.
  void JoinAsLeader(GroupMember& member, const std::vector<ApiVersion>& versions = kMockVersions) {
    ExpectDiscovery(versions);
    script_.Expect(11, JoinAnswer(1, "m-1", "m-1", "sessioned", {{"m-1", std::nullopt, "meta-v2"}}));
    script_.Expect(14, SyncAnswer("assign:m-1:sessioned"));
    Result<JoinResult> joined = member.Join(Later(seconds(30)));
    ASSERT_TRUE(joined.ok()) << joined.error().ToString();
    ASSERT_TRUE(script_.done());
    script_.calls.clear();
    script_.connects.clear();
  }

  Deadline Later(Clock::TimePoint::duration d) { return clock_.Now() + d; }

  FakeClock clock_;
  Script script_{clock_};
  int assignor_calls_ = 0;
  std::vector<Member> assignor_members_;
};

// ---- Join ----

TEST_F(GroupMemberTest, LeaderRunsTheAssignorAndSyncsEveryMemberWithMockVersions) {
  auto member = Make();
  ExpectDiscovery(kMockVersions);
  script_.Expect(11, JoinAnswer(1, "m-1", "m-1", "sessioned",
                                {{"m-1", std::nullopt, "meta-v2"}, {"m-2", std::nullopt, "other-v2"}}));
  script_.Expect(14, SyncAnswer("assign:m-1:sessioned"));

  Result<JoinResult> joined = member->Join(Later(seconds(30)));
  ASSERT_TRUE(joined.ok()) << joined.error().ToString();
  EXPECT_EQ(joined->generation, 1);
  EXPECT_EQ(joined->member_id, "m-1");
  EXPECT_EQ(joined->leader_id, "m-1");
  EXPECT_TRUE(joined->is_leader);
  EXPECT_EQ(joined->protocol, "sessioned");
  EXPECT_EQ(joined->assignment, "assign:m-1:sessioned");
  EXPECT_TRUE(member->is_stable());

  // The assignor saw both members' metadata verbatim.
  ASSERT_EQ(assignor_calls_, 1);
  ASSERT_EQ(assignor_members_.size(), 2u);
  EXPECT_EQ(assignor_members_[1].member_id, "m-2");
  EXPECT_EQ(assignor_members_[1].metadata, "other-v2");

  // Versions chosen against what the 2.0.2 mock advertises.
  EXPECT_EQ(member->negotiated_version(11), 5);
  EXPECT_EQ(member->negotiated_version(14), 3);
  EXPECT_EQ(member->negotiated_version(12), 3);
  EXPECT_EQ(member->negotiated_version(13), 1);
  ASSERT_EQ(script_.calls.size(), 5u);
  EXPECT_EQ(script_.calls[0].version, 2);  // ApiVersions
  EXPECT_EQ(script_.calls[0].broker, "b1:9092");
  EXPECT_EQ(script_.calls[1].version, 2);  // FindCoordinator
  EXPECT_EQ(Sent<FindCoordinatorRequest>(script_.calls[1]).key, "connect-cluster");
  EXPECT_EQ(script_.calls[2].broker, "127.0.0.1:9092");  // a connection of its own to the coordinator

  const JoinGroupRequest join = Sent<JoinGroupRequest>(script_.calls[3]);
  EXPECT_EQ(script_.calls[3].version, 5);
  EXPECT_EQ(join.group_id, "connect-cluster");
  EXPECT_EQ(join.member_id, "");
  EXPECT_EQ(join.protocol_type, "connect");
  EXPECT_EQ(join.session_timeout_ms, 10000);
  EXPECT_EQ(join.rebalance_timeout_ms, 60000);
  EXPECT_EQ(join.group_instance_id, std::nullopt);
  ASSERT_EQ(join.protocols.size(), 2u);
  EXPECT_EQ(join.protocols[0].name, "sessioned");
  EXPECT_EQ(join.protocols[0].metadata, "meta-v2");

  const SyncGroupRequest sync = Sent<SyncGroupRequest>(script_.calls[4]);
  EXPECT_EQ(script_.calls[4].version, 3);
  EXPECT_EQ(sync.generation_id, 1);
  EXPECT_EQ(sync.member_id, "m-1");
  ASSERT_EQ(sync.assignments.size(), 2u);
  EXPECT_EQ(sync.assignments[0].member_id, "m-1");
  EXPECT_EQ(sync.assignments[1].member_id, "m-2");
  EXPECT_EQ(sync.assignments[1].assignment, "assign:m-2:sessioned");
}

TEST_F(GroupMemberTest, FollowerSendsNoAssignments) {
  auto member = Make();
  ExpectDiscovery(kMockVersions);
  script_.Expect(11, JoinAnswer(4, "m-2", "m-1"));
  script_.Expect(14, SyncAnswer("mine"));
  Result<JoinResult> joined = member->Join(Later(seconds(30)));
  ASSERT_TRUE(joined.ok()) << joined.error().ToString();
  EXPECT_FALSE(joined->is_leader);
  EXPECT_EQ(joined->leader_id, "m-1");
  EXPECT_EQ(joined->assignment, "mine");
  EXPECT_EQ(assignor_calls_, 0);
  EXPECT_TRUE(Sent<SyncGroupRequest>(CallsOf(script_, 14).at(0)).assignments.empty());
}

TEST_F(GroupMemberTest, MemberIdRequiredRejoinsAtOnceWithTheGivenIdOnFlexibleVersions) {
  auto member = Make();
  ExpectDiscovery(kModernVersions);
  script_.Expect(11, JoinError(KafkaError::kMemberIdRequired, "connect-1-abc"));
  script_.Expect(11, JoinAnswer(1, "connect-1-abc", "other"));
  script_.Expect(14, SyncAnswer("mine"));
  const Deadline start = clock_.Now();

  Result<JoinResult> joined = member->Join(Later(seconds(30)));
  ASSERT_TRUE(joined.ok()) << joined.error().ToString();
  EXPECT_EQ(joined->member_id, "connect-1-abc");
  EXPECT_EQ(clock_.Now(), start);  // no backoff
  EXPECT_EQ(member->negotiated_version(11), 9);
  EXPECT_EQ(member->negotiated_version(14), 5);

  const Call find = CallsOf(script_, 10).at(0);
  EXPECT_EQ(find.version, 4);
  EXPECT_EQ(Sent<FindCoordinatorRequest>(find).coordinator_keys, std::vector<std::string>{"connect-cluster"});
  const std::vector<Call> joins = CallsOf(script_, 11);
  ASSERT_EQ(joins.size(), 2u);
  EXPECT_EQ(joins[0].version, 9);
  EXPECT_EQ(Sent<JoinGroupRequest>(joins[0]).member_id, "");
  EXPECT_EQ(Sent<JoinGroupRequest>(joins[0]).reason, "initial join");
  EXPECT_EQ(Sent<JoinGroupRequest>(joins[1]).member_id, "connect-1-abc");
  const SyncGroupRequest sync = Sent<SyncGroupRequest>(CallsOf(script_, 14).at(0));
  EXPECT_EQ(sync.protocol_type, "connect");
  EXPECT_EQ(sync.protocol_name, "sessioned");
}

// The librdkafka mock answers a follower's SyncGroup that arrives after the leader's with
// INVALID_REQUEST (42); the member must rejoin, not fail.
TEST_F(GroupMemberTest, SyncInvalidRequestFromTheMockRejoins) {
  auto member = Make();
  ExpectDiscovery(kMockVersions);
  script_.Expect(11, JoinAnswer(1, "m-2", "m-1"));
  script_.Expect(14, SyncError(KafkaError::kInvalidRequest));
  script_.Expect(11, JoinAnswer(2, "m-2", "m-1"));
  script_.Expect(14, SyncAnswer("mine"));
  Result<JoinResult> joined = member->Join(Later(seconds(30)));
  ASSERT_TRUE(joined.ok()) << joined.error().ToString();
  EXPECT_EQ(joined->generation, 2);
  EXPECT_EQ(Sent<JoinGroupRequest>(CallsOf(script_, 11).at(1)).member_id, "m-2");  // kept
  EXPECT_TRUE(script_.done());
}

TEST_F(GroupMemberTest, SyncRebalanceInProgressRejoinsKeepingTheMemberId) {
  auto member = Make();
  ExpectDiscovery(kMockVersions);
  script_.Expect(11, JoinAnswer(1, "m-2", "m-1"));
  script_.Expect(14, SyncError(KafkaError::kRebalanceInProgress));
  script_.Expect(11, JoinAnswer(2, "m-2", "m-1"));
  script_.Expect(14, SyncAnswer("mine"));
  Result<JoinResult> joined = member->Join(Later(seconds(30)));
  ASSERT_TRUE(joined.ok()) << joined.error().ToString();
  EXPECT_EQ(joined->generation, 2);
  EXPECT_EQ(Sent<JoinGroupRequest>(CallsOf(script_, 11).at(1)).member_id, "m-2");
}

TEST_F(GroupMemberTest, SyncIllegalGenerationRejoinsKeepingTheMemberId) {
  auto member = Make();
  ExpectDiscovery(kMockVersions);
  script_.Expect(11, JoinAnswer(1, "m-2", "m-1"));
  script_.Expect(14, SyncError(KafkaError::kIllegalGeneration));
  script_.Expect(11, JoinAnswer(3, "m-2", "m-1"));
  script_.Expect(14, SyncAnswer("mine"));
  Result<JoinResult> joined = member->Join(Later(seconds(30)));
  ASSERT_TRUE(joined.ok()) << joined.error().ToString();
  EXPECT_EQ(joined->generation, 3);
  EXPECT_EQ(Sent<JoinGroupRequest>(CallsOf(script_, 11).at(1)).member_id, "m-2");
}

TEST_F(GroupMemberTest, SyncUnknownMemberResetsTheMemberIdAndRejoins) {
  auto member = Make();
  ExpectDiscovery(kMockVersions);
  script_.Expect(11, JoinAnswer(1, "m-2", "m-1"));
  script_.Expect(14, SyncError(KafkaError::kUnknownMemberId));
  script_.Expect(11, JoinAnswer(2, "m-9", "m-1"));
  script_.Expect(14, SyncAnswer("mine"));
  Result<JoinResult> joined = member->Join(Later(seconds(30)));
  ASSERT_TRUE(joined.ok()) << joined.error().ToString();
  EXPECT_EQ(joined->member_id, "m-9");
  EXPECT_EQ(Sent<JoinGroupRequest>(CallsOf(script_, 11).at(1)).member_id, "");
}

TEST_F(GroupMemberTest, JoinUnknownMemberResetsTheMemberId) {
  auto member = Make();
  JoinAsLeader(*member);
  member->RequestRejoin("test");
  script_.Expect(11, JoinError(KafkaError::kUnknownMemberId));
  script_.Expect(11, JoinAnswer(2, "m-5", "m-5", "sessioned", {{"m-5", std::nullopt, "meta-v2"}}));
  script_.Expect(14, SyncAnswer("x"));
  Result<JoinResult> joined = member->Join(Later(seconds(30)));
  ASSERT_TRUE(joined.ok()) << joined.error().ToString();
  const std::vector<Call> joins = CallsOf(script_, 11);
  EXPECT_EQ(Sent<JoinGroupRequest>(joins[0]).member_id, "m-1");
  EXPECT_EQ(Sent<JoinGroupRequest>(joins[1]).member_id, "");
}

TEST_F(GroupMemberTest, CoordinatorMovedDuringJoinIsRediscoveredAfterABackoff) {
  auto member = Make();
  ExpectDiscovery(kMockVersions);
  script_.Expect(11, JoinError(KafkaError::kNotCoordinator));
  ExpectDiscovery(kMockVersions, "127.0.0.2", 9093);
  script_.Expect(11, JoinAnswer(1, "m-2", "m-1"));
  script_.Expect(14, SyncAnswer("mine"));
  const Deadline start = clock_.Now();

  Result<JoinResult> joined = member->Join(Later(seconds(30)));
  ASSERT_TRUE(joined.ok()) << joined.error().ToString();
  EXPECT_GE(clock_.Now() - start, milliseconds(100));  // retry.backoff.ms
  EXPECT_EQ(script_.connects,
            (std::vector<std::string>{"b1:9092", "127.0.0.1:9092", "b1:9092", "127.0.0.2:9093"}));
  EXPECT_EQ(CallsOf(script_, 11).at(1).broker, "127.0.0.2:9093");
}

TEST_F(GroupMemberTest, CoordinatorNotAvailableTriesTheNextBootstrapServer) {
  auto member = Make();
  script_.Expect(18, ApiVersionsAnswer(kMockVersions));
  script_.Expect(10, CoordinatorAnswer("", -1, KafkaError::kCoordinatorNotAvailable));
  ExpectDiscovery(kMockVersions);
  script_.Expect(11, JoinAnswer(1, "m-2", "m-1"));
  script_.Expect(14, SyncAnswer("mine"));
  Result<JoinResult> joined = member->Join(Later(seconds(30)));
  ASSERT_TRUE(joined.ok()) << joined.error().ToString();
  const std::vector<Call> finds = CallsOf(script_, 10);
  ASSERT_EQ(finds.size(), 2u);
  EXPECT_EQ(finds[0].broker, "b1:9092");
  EXPECT_EQ(finds[1].broker, "b2:9092");
}

TEST_F(GroupMemberTest, BootstrapServerDownTriesTheNext) {
  auto member = Make();
  script_.down = {"b1:9092"};
  ExpectDiscovery(kMockVersions);
  script_.Expect(11, JoinAnswer(1, "m-2", "m-1"));
  script_.Expect(14, SyncAnswer("mine"));
  ASSERT_TRUE(member->Join(Later(seconds(30))).ok());
  EXPECT_EQ(script_.calls.at(0).broker, "b2:9092");
}

TEST_F(GroupMemberTest, TransportFailureDuringJoinReconnects) {
  auto member = Make();
  ExpectDiscovery(kMockVersions);
  script_.Expect(11, NetworkFailure());
  ExpectDiscovery(kMockVersions);
  script_.Expect(11, JoinAnswer(1, "m-2", "m-1"));
  script_.Expect(14, SyncAnswer("mine"));
  Result<JoinResult> joined = member->Join(Later(seconds(30)));
  ASSERT_TRUE(joined.ok()) << joined.error().ToString();
  EXPECT_TRUE(script_.done());
}

TEST_F(GroupMemberTest, OlderBrokerGetsAnOlderApiVersionsRequest) {
  auto member = Make();
  // KIP-511: an unknown ApiVersions version is answered with error 35 and the supported range.
  script_.Expect(18, [](int16_t v, const std::string&) -> Result<std::string> {
    EXPECT_EQ(v, 2);
    ApiVersionsResponse r;
    r.error_code = KafkaError::kUnsupportedVersion;
    r.api_keys = {{18, 0, 1}};
    return r.Encode(0);
  });
  script_.Expect(18, ApiVersionsAnswer(kMockVersions));
  script_.Expect(10, CoordinatorAnswer("127.0.0.1", 9092));
  script_.Expect(18, ApiVersionsAnswer(kMockVersions));
  script_.Expect(11, JoinAnswer(1, "m-2", "m-1"));
  script_.Expect(14, SyncAnswer("mine"));
  ASSERT_TRUE(member->Join(Later(seconds(30))).ok());
  EXPECT_EQ(script_.calls.at(1).version, 1);
}

TEST_F(GroupMemberTest, FatalJoinErrorsAreReturnedWithoutRetry) {
  const std::pair<KafkaError, ErrorCode> cases[] = {
      {KafkaError::kGroupAuthorizationFailed, ErrorCode::kForbidden},
      {KafkaError::kInvalidSessionTimeout, ErrorCode::kInvalidConfig},
      {KafkaError::kInvalidGroupId, ErrorCode::kInvalidConfig},
      {KafkaError::kInconsistentGroupProtocol, ErrorCode::kKafka},
      {KafkaError::kGroupMaxSizeReached, ErrorCode::kKafka},
      {KafkaError::kInvalidRequest, ErrorCode::kKafka},  // from JoinGroup: an encoder bug, not the mock trap
  };
  for (const auto& [kafka_error, code] : cases) {
    SCOPED_TRACE(KafkaErrorName(kafka_error));
    Script script(clock_);
    GroupMember member(Config(), script.Factory(), clock_);
    script.Expect(18, ApiVersionsAnswer(kMockVersions));
    script.Expect(10, CoordinatorAnswer("127.0.0.1", 9092));
    script.Expect(18, ApiVersionsAnswer(kMockVersions));
    script.Expect(11, JoinError(kafka_error));
    Result<JoinResult> joined = member.Join(Later(seconds(30)));
    ASSERT_FALSE(joined.ok());
    EXPECT_EQ(joined.error().code(), code);
    EXPECT_EQ(joined.error().kafka_err(), static_cast<rd_kafka_resp_err_t>(kafka_error));
    EXPECT_FALSE(joined.error().retriable());
    EXPECT_EQ(script.calls.size(), 4u);  // nothing after the JoinGroup
  }
}

TEST_F(GroupMemberTest, FatalFindCoordinatorErrorIsReturned) {
  auto member = Make();
  script_.Expect(18, ApiVersionsAnswer(kMockVersions));
  script_.Expect(10, CoordinatorAnswer("", -1, KafkaError::kGroupAuthorizationFailed));
  Result<JoinResult> joined = member->Join(Later(seconds(30)));
  ASSERT_FALSE(joined.ok());
  EXPECT_EQ(joined.error().code(), ErrorCode::kForbidden);
}

TEST_F(GroupMemberTest, ProtocolNotOfferedIsAnError) {
  auto member = Make();
  ExpectDiscovery(kMockVersions);
  script_.Expect(11, JoinAnswer(1, "m-2", "m-1", "range"));
  Result<JoinResult> joined = member->Join(Later(seconds(30)));
  ASSERT_FALSE(joined.ok());
  EXPECT_EQ(joined.error().kafka_err(), RD_KAFKA_RESP_ERR_INCONSISTENT_GROUP_PROTOCOL);
}

TEST_F(GroupMemberTest, ProtocolTypeMismatchOnV7IsAnError) {
  auto member = Make();
  ExpectDiscovery(kModernVersions);
  script_.Expect(11, [](int16_t v, const std::string&) -> Result<std::string> {
    JoinGroupResponse r;
    r.generation_id = 1;
    r.member_id = r.leader = "m-1";
    r.protocol_type = "consumer";
    r.protocol_name = "sessioned";
    return r.Encode(v);
  });
  Result<JoinResult> joined = member->Join(Later(seconds(30)));
  ASSERT_FALSE(joined.ok());
  EXPECT_EQ(joined.error().kafka_err(), RD_KAFKA_RESP_ERR_INCONSISTENT_GROUP_PROTOCOL);
}

TEST_F(GroupMemberTest, BrokerWithoutGroupApisIsUnsupported) {
  auto member = Make();
  script_.Expect(18, ApiVersionsAnswer(kMockVersions));
  script_.Expect(10, CoordinatorAnswer("127.0.0.1", 9092));
  script_.Expect(18, ApiVersionsAnswer({{10, 0, 2}, {18, 0, 2}}));
  Result<JoinResult> joined = member->Join(Later(seconds(30)));
  ASSERT_FALSE(joined.ok());
  EXPECT_EQ(joined.error().code(), ErrorCode::kUnsupported);
}

TEST_F(GroupMemberTest, JoinGivesUpAtTheDeadlineWhenNoCoordinatorAppears) {
  auto member = Make();
  script_.Always(18, ApiVersionsAnswer(kMockVersions));
  script_.Always(10, CoordinatorAnswer("", -1, KafkaError::kCoordinatorNotAvailable));
  const Deadline deadline = Later(seconds(5));
  Result<JoinResult> joined = member->Join(deadline);
  ASSERT_FALSE(joined.ok());
  EXPECT_EQ(joined.error().code(), ErrorCode::kTimeout);
  EXPECT_TRUE(joined.error().retriable());
  EXPECT_NE(joined.error().message().find("COORDINATOR_NOT_AVAILABLE"), std::string::npos)
      << joined.error().message();
  EXPECT_GE(clock_.Now(), deadline);
  EXPECT_LT(CallsOf(script_, 10).size(), 40u);  // backed off exponentially, up to 1 s
}

TEST_F(GroupMemberTest, JoinGivesUpBetweenAttemptsOnceItsOwnerIsStopping) {
  GroupMemberConfig config = Config();
  int asked = 0;
  config.stopping = [&asked] { return ++asked > 3; };  // stopping from the fourth question on
  auto member = Make(config);
  script_.Always(18, ApiVersionsAnswer(kMockVersions));
  script_.Always(10, CoordinatorAnswer("", -1, KafkaError::kCoordinatorNotAvailable));
  const Deadline deadline = Later(seconds(60));
  Result<JoinResult> joined = member->Join(deadline);
  ASSERT_FALSE(joined.ok());
  EXPECT_EQ(joined.error().code(), ErrorCode::kTimeout);
  EXPECT_NE(joined.error().message().find("given up: stopping"), std::string::npos) << joined.error().message();
  EXPECT_LT(clock_.Now(), Later(seconds(5))) << "well before the 60 s deadline";
  EXPECT_EQ(CallsOf(script_, 10).size(), 6u) << "three attempts (each asks both bootstrap servers), then none";
}

TEST_F(GroupMemberTest, EndlessRebalancesBackOffAndEndAtTheDeadline) {
  auto member = Make();
  ExpectDiscovery(kMockVersions);
  script_.Always(11, JoinError(KafkaError::kRebalanceInProgress));
  const Deadline deadline = Later(seconds(5));
  Result<JoinResult> joined = member->Join(deadline);
  ASSERT_FALSE(joined.ok());
  EXPECT_EQ(joined.error().code(), ErrorCode::kTimeout);
  EXPECT_GE(clock_.Now(), deadline);
  EXPECT_LT(CallsOf(script_, 11).size(), 40u);
}

TEST_F(GroupMemberTest, AJoinGroupTheCoordinatorHoldsIsWaitedForPastTheCallersDeadlineAndNeverSentTwice) {
  auto member = Make();
  JoinAsLeader(*member);
  member->RequestRejoin("new connectors");
  // The coordinator holds the rejoin for 3 s (the other members are slow); the caller allows 1 s.
  script_.Expect(11, JoinAnswer(2, "m-1", "m-1", "sessioned", {{"m-1", std::nullopt, "meta-v2"}}), seconds(3));
  script_.Expect(14, SyncAnswer("assign:m-1:sessioned"));
  const Deadline sent = clock_.Now();
  Result<JoinResult> joined = member->Join(Later(seconds(1)));
  ASSERT_TRUE(joined.ok()) << joined.error().ToString()
                           << ": a JoinGroup given up at the caller's deadline stays pending at the coordinator";
  EXPECT_EQ(joined->generation, 2);
  EXPECT_EQ(clock_.Now(), sent + seconds(3)) << "answered when the coordinator answered";
  const std::vector<Call> joins = CallsOf(script_, JoinGroupRequest::kApiKey);
  ASSERT_EQ(joins.size(), 1u);
  EXPECT_EQ(joins[0].deadline, sent + seconds(60 + 5)) << "the rebalance timeout + 5 s, as Java allows";
  const std::vector<Call> syncs = CallsOf(script_, SyncGroupRequest::kApiKey);
  ASSERT_EQ(syncs.size(), 1u);
  EXPECT_EQ(syncs[0].deadline, sent + seconds(3) + seconds(60 + 5));
}

TEST_F(GroupMemberTest, AJoinGroupTheCoordinatorNeverAnswersEndsAfterTheRebalanceTimeout) {
  GroupMemberConfig config = Config();
  config.rebalance_timeout = seconds(10);
  auto member = Make(config);
  JoinAsLeader(*member);
  member->RequestRejoin("new connectors");
  script_.Expect(11, JoinAnswer(2, "m-1", "m-1"), std::chrono::hours(1));
  const Deadline sent = clock_.Now();
  Result<JoinResult> joined = member->Join(Later(seconds(1)));
  ASSERT_FALSE(joined.ok());
  EXPECT_EQ(joined.error().code(), ErrorCode::kTimeout);
  EXPECT_TRUE(joined.error().retriable());
  EXPECT_LT(clock_.Now(), sent + seconds(16)) << "bounded by the rebalance timeout + 5 s and a backoff";
  EXPECT_EQ(CallsOf(script_, JoinGroupRequest::kApiKey).size(), 1u) << "no second JoinGroup past the deadline";
}

TEST_F(GroupMemberTest, InvalidConfigIsRejectedBeforeAnyRequest) {
  GroupMemberConfig slow_heartbeat = Config();
  slow_heartbeat.heartbeat_interval = slow_heartbeat.session_timeout;
  GroupMemberConfig bad_server = Config();
  bad_server.bootstrap_servers = {"no-port"};
  GroupMemberConfig no_protocols = Config();
  no_protocols.protocols.clear();
  GroupMemberConfig no_group = Config();
  no_group.group_id.clear();
  for (GroupMemberConfig* config : {&slow_heartbeat, &bad_server, &no_protocols, &no_group}) {
    Result<JoinResult> joined = Make(*config)->Join(Later(seconds(30)));
    ASSERT_FALSE(joined.ok());
    EXPECT_EQ(joined.error().code(), ErrorCode::kInvalidConfig) << joined.error().ToString();
  }
  EXPECT_TRUE(script_.calls.empty());
  EXPECT_TRUE(script_.connects.empty());
}

// ---- Poll / Heartbeat ----

TEST_F(GroupMemberTest, PollBeforeJoinAsksForAJoin) {
  auto member = Make();
  Result<PollResult> poll = member->Poll(Later(seconds(5)));
  ASSERT_TRUE(poll.ok());
  EXPECT_TRUE(poll->rejoin_needed);
  EXPECT_TRUE(script_.calls.empty());
}

TEST_F(GroupMemberTest, HeartbeatsOnlyWhenDue) {
  auto member = Make();
  JoinAsLeader(*member);
  const Deadline joined_at = clock_.Now();

  Result<PollResult> early = member->Poll(Later(seconds(5)));
  ASSERT_TRUE(early.ok());
  EXPECT_FALSE(early->rejoin_needed);
  EXPECT_EQ(early->next_poll, joined_at + seconds(3));
  EXPECT_TRUE(script_.calls.empty());

  clock_.Advance(seconds(3));
  script_.Expect(12, HeartbeatAnswer());
  Result<PollResult> due = member->Poll(Later(seconds(5)));
  ASSERT_TRUE(due.ok());
  EXPECT_FALSE(due->rejoin_needed);
  EXPECT_EQ(due->next_poll, clock_.Now() + seconds(3));
  ASSERT_EQ(script_.calls.size(), 1u);
  EXPECT_EQ(script_.calls[0].version, 3);
  const HeartbeatRequest heartbeat = Sent<HeartbeatRequest>(script_.calls[0]);
  EXPECT_EQ(heartbeat.group_id, "connect-cluster");
  EXPECT_EQ(heartbeat.generation_id, 1);
  EXPECT_EQ(heartbeat.member_id, "m-1");
}

TEST_F(GroupMemberTest, HeartbeatRebalanceInProgressAsksForRejoinKeepingIdAndGeneration) {
  auto member = Make();
  JoinAsLeader(*member);
  clock_.Advance(seconds(3));
  script_.Expect(12, HeartbeatAnswer(KafkaError::kRebalanceInProgress));
  Result<PollResult> poll = member->Poll(Later(seconds(5)));
  ASSERT_TRUE(poll.ok());
  EXPECT_TRUE(poll->rejoin_needed);
  EXPECT_NE(poll->reason.find("rebalancing"), std::string::npos) << poll->reason;
  EXPECT_EQ(member->member_id(), "m-1");
  EXPECT_EQ(member->generation(), 1);
  EXPECT_FALSE(member->is_stable());

  // Still needed on the next poll, without I/O; the rejoin carries the member id.
  EXPECT_TRUE(member->Poll(Later(seconds(5)))->rejoin_needed);
  script_.Expect(11, JoinAnswer(2, "m-1", "m-1", "sessioned", {{"m-1", std::nullopt, "meta-v2"}}));
  script_.Expect(14, SyncAnswer("x"));
  Result<JoinResult> rejoined = member->Join(Later(seconds(30)));
  ASSERT_TRUE(rejoined.ok()) << rejoined.error().ToString();
  EXPECT_EQ(rejoined->generation, 2);
  EXPECT_EQ(Sent<JoinGroupRequest>(CallsOf(script_, 11).at(0)).member_id, "m-1");
  EXPECT_FALSE(member->Poll(Later(seconds(5)))->rejoin_needed);
}

TEST_F(GroupMemberTest, HeartbeatUnknownMemberResetsTheMember) {
  auto member = Make();
  JoinAsLeader(*member);
  clock_.Advance(seconds(3));
  script_.Expect(12, HeartbeatAnswer(KafkaError::kUnknownMemberId));
  Result<PollResult> poll = member->Poll(Later(seconds(5)));
  ASSERT_TRUE(poll.ok());
  EXPECT_TRUE(poll->rejoin_needed);
  EXPECT_EQ(member->member_id(), "");
  EXPECT_EQ(member->generation(), -1);
}

TEST_F(GroupMemberTest, HeartbeatIllegalGenerationResetsTheGenerationOnly) {
  auto member = Make();
  JoinAsLeader(*member);
  clock_.Advance(seconds(3));
  script_.Expect(12, HeartbeatAnswer(KafkaError::kIllegalGeneration));
  Result<PollResult> poll = member->Poll(Later(seconds(5)));
  ASSERT_TRUE(poll.ok());
  EXPECT_TRUE(poll->rejoin_needed);
  EXPECT_EQ(member->member_id(), "m-1");
  EXPECT_EQ(member->generation(), -1);
}

TEST_F(GroupMemberTest, HeartbeatNotCoordinatorRediscoversWithoutRejoining) {
  auto member = Make();
  JoinAsLeader(*member);
  clock_.Advance(seconds(3));
  script_.Expect(12, HeartbeatAnswer(KafkaError::kNotCoordinator));
  Result<PollResult> poll = member->Poll(Later(seconds(5)));
  ASSERT_TRUE(poll.ok());
  EXPECT_FALSE(poll->rejoin_needed);
  EXPECT_EQ(poll->next_poll, clock_.Now() + milliseconds(100));  // retry after the backoff

  clock_.Advance(milliseconds(100));
  ExpectDiscovery(kMockVersions, "127.0.0.3", 9094);
  script_.Expect(12, HeartbeatAnswer());
  poll = member->Poll(Later(seconds(5)));
  ASSERT_TRUE(poll.ok());
  EXPECT_FALSE(poll->rejoin_needed);
  EXPECT_EQ(CallsOf(script_, 12).back().broker, "127.0.0.3:9094");
  EXPECT_EQ(member->generation(), 1);
  EXPECT_TRUE(member->is_stable());
}

TEST_F(GroupMemberTest, HeartbeatFailuresForAWholeSessionForceARejoin) {
  auto member = Make();
  JoinAsLeader(*member);
  const Deadline joined_at = clock_.Now();
  clock_.Advance(seconds(3));
  script_.Expect(12, NetworkFailure());
  script_.down = {"b1:9092", "b2:9092"};  // and the coordinator cannot be rediscovered
  bool rejoin = false;
  for (int i = 0; i < 200 && !rejoin; ++i) {
    Result<PollResult> poll = member->Poll(Later(seconds(5)));
    ASSERT_TRUE(poll.ok()) << poll.error().ToString();
    rejoin = poll->rejoin_needed;
    if (rejoin) {
      EXPECT_NE(poll->reason.find("session timeout"), std::string::npos) << poll->reason;
    } else {
      clock_.SleepUntil(poll->next_poll);
    }
  }
  EXPECT_TRUE(rejoin);
  EXPECT_GE(clock_.Now() - joined_at, seconds(10));
  EXPECT_LT(clock_.Now() - joined_at, seconds(12));
}

TEST_F(GroupMemberTest, FatalHeartbeatErrorIsReturned) {
  auto member = Make();
  JoinAsLeader(*member);
  clock_.Advance(seconds(3));
  script_.Expect(12, HeartbeatAnswer(KafkaError::kGroupAuthorizationFailed));
  Result<PollResult> poll = member->Poll(Later(seconds(5)));
  ASSERT_FALSE(poll.ok());
  EXPECT_EQ(poll.error().code(), ErrorCode::kForbidden);
}

TEST_F(GroupMemberTest, RequestRejoinIsReportedAndSentAsTheReason) {
  auto member = Make();
  JoinAsLeader(*member, kModernVersions);
  member->RequestRejoin("connector mirror-source was added");
  Result<PollResult> poll = member->Poll(Later(seconds(5)));
  ASSERT_TRUE(poll.ok());
  EXPECT_TRUE(poll->rejoin_needed);
  EXPECT_EQ(poll->reason, "connector mirror-source was added");
  EXPECT_TRUE(script_.calls.empty());

  script_.Expect(11, JoinAnswer(2, "m-1", "m-1", "sessioned", {{"m-1", std::nullopt, "meta-v2"}}));
  script_.Expect(14, SyncAnswer("x"));
  ASSERT_TRUE(member->Join(Later(seconds(30))).ok());
  EXPECT_EQ(Sent<JoinGroupRequest>(CallsOf(script_, 11).at(0)).reason, "connector mirror-source was added");
}

// ---- Leave ----

TEST_F(GroupMemberTest, LeaveSendsLeaveGroupV1AndForgetsTheMember) {
  auto member = Make();
  JoinAsLeader(*member);
  script_.Expect(13, LeaveAnswer());
  ASSERT_TRUE(member->Leave(Later(seconds(5))).ok());
  ASSERT_EQ(script_.calls.size(), 1u);
  EXPECT_EQ(script_.calls[0].version, 1);
  const LeaveGroupRequest leave = Sent<LeaveGroupRequest>(script_.calls[0]);
  EXPECT_EQ(leave.group_id, "connect-cluster");
  EXPECT_EQ(leave.member_id, "m-1");
  EXPECT_EQ(member->member_id(), "");
  EXPECT_EQ(member->generation(), -1);
  EXPECT_TRUE(member->Poll(Later(seconds(5)))->rejoin_needed);

  ASSERT_TRUE(member->Leave(Later(seconds(5))).ok());  // nothing to leave: no request
  EXPECT_EQ(script_.calls.size(), 1u);
}

TEST_F(GroupMemberTest, LeaveV5SendsTheMemberWithAReason) {
  auto member = Make();
  JoinAsLeader(*member, kModernVersions);
  script_.Expect(13, LeaveAnswer());
  ASSERT_TRUE(member->Leave(Later(seconds(5)), "worker stopping").ok());
  EXPECT_EQ(script_.calls.at(0).version, 5);
  const LeaveGroupRequest leave = Sent<LeaveGroupRequest>(script_.calls[0]);
  ASSERT_EQ(leave.members.size(), 1u);
  EXPECT_EQ(leave.members[0].member_id, "m-1");
  EXPECT_EQ(leave.members[0].reason, "worker stopping");
}

TEST_F(GroupMemberTest, LeaveErrorIsReturnedAndTheMemberIsForgottenAnyway) {
  auto member = Make();
  JoinAsLeader(*member);
  script_.Expect(13, LeaveAnswer(KafkaError::kGroupAuthorizationFailed));
  Result<> left = member->Leave(Later(seconds(5)));
  ASSERT_FALSE(left.ok());
  EXPECT_EQ(left.error().code(), ErrorCode::kForbidden);
  EXPECT_EQ(member->member_id(), "");
}

TEST_F(GroupMemberTest, LeaveOfAnAlreadyEvictedMemberSucceeds) {
  auto member = Make();
  JoinAsLeader(*member);
  script_.Expect(13, LeaveAnswer(KafkaError::kUnknownMemberId));
  EXPECT_TRUE(member->Leave(Later(seconds(5))).ok());
}

TEST_F(GroupMemberTest, LeaveAfterAFailedJoinStillTellsTheBroker) {
  auto member = Make();
  JoinAsLeader(*member);
  member->RequestRejoin("test");
  script_.Expect(11, JoinError(KafkaError::kGroupMaxSizeReached));
  ASSERT_FALSE(member->Join(Later(seconds(30))).ok());
  script_.Expect(13, LeaveAnswer());
  EXPECT_TRUE(member->Leave(Later(seconds(5))).ok());
  EXPECT_EQ(Sent<LeaveGroupRequest>(CallsOf(script_, 13).at(0)).member_id, "m-1");
}

TEST_F(GroupMemberTest, MalformedResponseIsCorruptAndNotRetried) {
  auto member = Make();
  ExpectDiscovery(kMockVersions);
  script_.Expect(11, [](int16_t, const std::string&) -> Result<std::string> { return std::string(3, '\x01'); });
  Result<JoinResult> joined = member->Join(Later(seconds(30)));
  ASSERT_FALSE(joined.ok());
  EXPECT_EQ(joined.error().code(), ErrorCode::kCorrupt);
  EXPECT_TRUE(script_.done());
}

}  // namespace
}  // namespace ferry::group
