// End to end: GroupMember over real TCP against the librdkafka 2.0.2 mock cluster (3 brokers), with
// protocol type "connect" and Connect's sessioned metadata and assignments.
//
// Mock timing (mock-cluster.md): the first join of a group waits 3 s; a rebalance from the Up state
// waits session_timeout - 1000 ms; a member is evicted once session_timeout passes without activity,
// and the first join's 3 s count against it, so the session timeout must exceed 3 s. The tests use
// 3.5 s (rebalances then take 2.5 s) and heartbeats every 500 ms.
#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "tests/support/two_clusters.h"
#include "worker/group/connect_protocol.h"
#include "worker/group/group_member.h"
#include "worker/kafka/mock_cluster.h"

namespace ferry::group {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr char kGroup[] = "ferry-connect-cluster";
constexpr int64_t kConfigOffset = 7;

std::vector<std::string> Split(const std::string& list) {
  std::vector<std::string> out;
  std::stringstream in(list);
  for (std::string item; std::getline(in, item, ',');) out.push_back(item);
  return out;
}

// Counts a member's JoinGroup and SyncGroup requests and remembers where its heartbeats went.
struct Traffic {
  std::atomic<int> joins{0};
  std::atomic<int> syncs{0};
  // Set before the member runs: called before each SyncGroup goes out, with the number of this
  // SyncGroup (1 = first) and whether it is a follower's (no assignments).
  std::function<void(int number, bool follower)> before_sync;
  std::mutex mu;
  std::vector<std::string> heartbeat_brokers;
  std::vector<KafkaError> sync_errors;
};

class RecordingTransport : public Transport {
 public:
  RecordingTransport(TransportPtr inner, BrokerAddress broker, Traffic& traffic)
      : inner_(std::move(inner)), broker_(std::move(broker)), traffic_(traffic) {}
  Result<std::string> RoundTrip(int16_t api_key, int16_t version, const std::string& body,
                                Deadline deadline) override {
    if (api_key == JoinGroupRequest::kApiKey) ++traffic_.joins;
    if (api_key == HeartbeatRequest::kApiKey) {
      std::lock_guard<std::mutex> lock(traffic_.mu);
      traffic_.heartbeat_brokers.push_back(broker_.ToString());
    }
    if (api_key != SyncGroupRequest::kApiKey) return inner_->RoundTrip(api_key, version, body, deadline);

    const int number = ++traffic_.syncs;
    if (traffic_.before_sync) {
      Result<SyncGroupRequest> request = SyncGroupRequest::Decode(body, version);
      EXPECT_TRUE(request.ok());
      traffic_.before_sync(number, request.ok() && request->assignments.empty());
    }
    Result<std::string> response = inner_->RoundTrip(api_key, version, body, deadline);
    if (response.ok()) {
      Result<SyncGroupResponse> sync = SyncGroupResponse::Decode(*response, version);
      std::lock_guard<std::mutex> lock(traffic_.mu);
      traffic_.sync_errors.push_back(sync.ok() ? sync->error_code : KafkaError::kCorruptMessage);
    }
    return response;
  }

 private:
  TransportPtr inner_;
  BrokerAddress broker_;
  Traffic& traffic_;
};

// One Connect worker's group membership: its URL, its sessioned metadata, and an assignor that gives
// every member one connector named after the member's URL.
struct Worker {
  explicit Worker(std::string worker_url) : url(std::move(worker_url)) {}

  std::string Metadata() const { return EncodeMetadata({2, url, kConfigOffset, std::nullopt}); }

  std::string url;
  Traffic traffic;
  Worker* peer = nullptr;  // the other worker, whose SyncGroup the leader lets go first
  int pace_from_join = 1;  // ...from this JoinGroup of its own on
  std::vector<Member> seen_members;  // written by this worker's Join thread, read after it is joined
  std::unique_ptr<GroupMember> member;
};

std::string ConnectorFor(const std::string& url) { return "connector-for-" + url; }

class GroupMemberMockClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto cluster = kafka::MockCluster::Start(3);
    ASSERT_TRUE(cluster.ok()) << cluster.error().ToString();
    cluster_ = std::move(*cluster);
  }

  void Configure(Worker& worker) {
    GroupMemberConfig config;
    config.bootstrap_servers = Split(cluster_->bootstrap_servers());
    config.group_id = kGroup;
    config.session_timeout = milliseconds(3500);
    config.heartbeat_interval = milliseconds(500);
    config.rebalance_timeout = milliseconds(10'000);
    config.request_timeout = milliseconds(5'000);
    // Every worker offers the same protocols in the same order: the mock aborts the process if
    // members' first protocols differ.
    for (auto& [name, bytes] : JoinProtocols(ConnectProtocol::kSessioned, worker.url, kConfigOffset, std::nullopt)) {
      config.protocols.push_back({name, [bytes = bytes] { return bytes; }});
    }
    config.assignor = [this, &worker](const std::vector<Member>& members, const std::string& protocol) {
      worker.seen_members = members;
      // The mock completes a sync as soon as the leader's SyncGroup arrives and answers a later
      // follower with INVALID_REQUEST. GroupMember rejoins then, but to keep this test fast and
      // deterministic the leader lets the follower's SyncGroup reach the mock first.
      if (worker.peer != nullptr && worker.traffic.joins.load() >= worker.pace_from_join) {
        Traffic& peer = worker.peer->traffic;
        EXPECT_TRUE(testing::WaitFor([&] { return peer.syncs.load() >= peer.joins.load(); }, seconds(5)));
        clock_.SleepUntil(clock_.Now() + milliseconds(100));
      }
      std::map<std::string, std::string> assignments;
      for (const Member& m : members) {
        Result<WorkerMetadata> metadata = DecodeMetadata(m.metadata);
        EXPECT_TRUE(metadata.ok());
        ConnectAssignment a;
        a.version = ProtocolVersion(*ProtocolForSubProtocolName(protocol));
        a.leader_url = worker.url;
        a.config_offset = kConfigOffset;
        a.assigned = {{ConnectorFor(metadata.ok() ? metadata->url : "?"), {kConnectorTask, 0}}};
        assignments[m.member_id] = EncodeAssignment(a);
      }
      return assignments;
    };
    Traffic& traffic = worker.traffic;
    TransportFactory real = ConnectionFactory("ferry-test", clock_);
    TransportFactory recording = [real, &traffic](const BrokerAddress& broker, Deadline deadline) -> Result<TransportPtr> {
      Result<TransportPtr> inner = real(broker, deadline);
      if (!inner.ok()) return inner.error();
      return TransportPtr(std::make_unique<RecordingTransport>(std::move(*inner), broker, traffic));
    };
    worker.member = std::make_unique<GroupMember>(std::move(config), std::move(recording), clock_);
  }

  // Polls until the member reports that it must rejoin, or `timeout` passes.
  bool PollUntilRejoinNeeded(GroupMember& member, milliseconds timeout, std::string* reason) {
    const Deadline deadline = clock_.Now() + timeout;
    for (int i = 0; i < 1000 && clock_.Now() < deadline; ++i) {
      Result<PollResult> poll = member.Poll(clock_.Now() + seconds(5));
      if (!poll.ok()) {
        ADD_FAILURE() << poll.error().ToString();
        return false;
      }
      if (poll->rejoin_needed) {
        *reason = poll->reason;
        return true;
      }
      clock_.SleepUntil(std::min(poll->next_poll, deadline));
    }
    return false;
  }

  Deadline Later(milliseconds ms) { return clock_.Now() + ms; }

  SteadyClock clock_;
  std::unique_ptr<kafka::MockCluster> cluster_;
};

TEST_F(GroupMemberMockClusterTest, MockAdvertisesTheClassicGroupVersions) {
  const BrokerAddress broker = *ParseBrokerAddress(Split(cluster_->bootstrap_servers()).at(0));
  auto connection = Connection::Open(broker, "ferry-test", clock_, Later(milliseconds(5000)));
  ASSERT_TRUE(connection.ok()) << connection.error().ToString();
  Result<std::string> body =
      (*connection)->RoundTrip(ApiVersionsRequest::kApiKey, 2, ApiVersionsRequest{}.Encode(2), Later(milliseconds(5000)));
  ASSERT_TRUE(body.ok()) << body.error().ToString();
  Result<ApiVersionsResponse> versions = ApiVersionsResponse::Decode(*body, 2);
  ASSERT_TRUE(versions.ok()) << versions.error().ToString();
  std::map<int16_t, std::pair<int16_t, int16_t>> ranges;
  for (const auto& k : versions->api_keys) ranges[k.api_key] = {k.min_version, k.max_version};
  EXPECT_EQ(ranges.at(10), (std::pair<int16_t, int16_t>{0, 2}));  // FindCoordinator
  EXPECT_EQ(ranges.at(11), (std::pair<int16_t, int16_t>{0, 5}));  // JoinGroup
  EXPECT_EQ(ranges.at(12), (std::pair<int16_t, int16_t>{0, 3}));  // Heartbeat
  EXPECT_EQ(ranges.at(13), (std::pair<int16_t, int16_t>{0, 1}));  // LeaveGroup
  EXPECT_EQ(ranges.at(14), (std::pair<int16_t, int16_t>{0, 3}));  // SyncGroup
  EXPECT_EQ(ranges.at(18), (std::pair<int16_t, int16_t>{0, 2}));  // ApiVersions
}

TEST_F(GroupMemberMockClusterTest, TwoWorkersJoinThenOneLeavesAndTheOtherRejoinsAlone) {
  Worker a("http://127.0.0.1:18083/");
  Worker b("http://127.0.0.1:28083/");
  a.peer = &b;
  b.peer = &a;
  Configure(a);
  Configure(b);

  std::optional<Result<JoinResult>> joined_a, joined_b;
  {
    std::thread ta([&] { joined_a.emplace(a.member->Join(Later(milliseconds(20'000)))); });
    std::thread tb([&] { joined_b.emplace(b.member->Join(Later(milliseconds(20'000)))); });
    ta.join();
    tb.join();
  }
  ASSERT_TRUE(joined_a->ok()) << joined_a->error().ToString();
  ASSERT_TRUE(joined_b->ok()) << joined_b->error().ToString();
  const JoinResult& ra = joined_a->value();
  const JoinResult& rb = joined_b->value();

  EXPECT_EQ(ra.generation, rb.generation);
  EXPECT_EQ(ra.leader_id, rb.leader_id);
  EXPECT_NE(ra.member_id, rb.member_id);
  EXPECT_EQ(ra.protocol, "sessioned");
  EXPECT_EQ(rb.protocol, "sessioned");
  ASSERT_NE(ra.is_leader, rb.is_leader) << "exactly one leader";
  Worker& leader = ra.is_leader ? a : b;
  Worker& follower = ra.is_leader ? b : a;
  const JoinResult& leader_result = ra.is_leader ? ra : rb;
  const JoinResult& follower_result = ra.is_leader ? rb : ra;

  // The leader saw both members' metadata byte for byte.
  ASSERT_EQ(leader.seen_members.size(), 2u);
  EXPECT_TRUE(follower.seen_members.empty());
  std::map<std::string, std::string> metadata_by_member;
  for (const Member& m : leader.seen_members) metadata_by_member[m.member_id] = m.metadata;
  EXPECT_EQ(metadata_by_member.at(leader_result.member_id), leader.Metadata());
  EXPECT_EQ(metadata_by_member.at(follower_result.member_id), follower.Metadata());

  // Each got its own, distinct assignment.
  EXPECT_NE(ra.assignment, rb.assignment);
  for (const auto& [worker, result] :
       {std::pair<Worker*, const JoinResult*>{&a, &ra}, std::pair<Worker*, const JoinResult*>{&b, &rb}}) {
    Result<ConnectAssignment> assignment = DecodeAssignment(result->assignment);
    ASSERT_TRUE(assignment.ok()) << assignment.error().ToString();
    EXPECT_EQ(assignment->version, 2);
    EXPECT_EQ(assignment->leader_url, leader.url);
    ASSERT_EQ(assignment->assigned.size(), 1u);
    EXPECT_EQ(assignment->assigned[0].connector, ConnectorFor(worker->url));
  }

  // Versions negotiated with the mock.
  EXPECT_EQ(a.member->negotiated_version(JoinGroupRequest::kApiKey), 5);
  EXPECT_EQ(a.member->negotiated_version(SyncGroupRequest::kApiKey), 3);
  EXPECT_EQ(a.member->negotiated_version(HeartbeatRequest::kApiKey), 3);
  EXPECT_EQ(a.member->negotiated_version(LeaveGroupRequest::kApiKey), 1);

  // Both heartbeat successfully in the stable group.
  for (Worker* w : {&a, &b}) {
    Result<PollResult> first = w->member->Poll(Later(milliseconds(5000)));
    ASSERT_TRUE(first.ok());
    clock_.SleepUntil(first->next_poll);
    Result<PollResult> due = w->member->Poll(Later(milliseconds(5000)));
    ASSERT_TRUE(due.ok()) << due.error().ToString();
    EXPECT_FALSE(due->rejoin_needed) << due->reason;
  }
  EXPECT_FALSE(a.traffic.heartbeat_brokers.empty());

  // The leader leaves; the follower learns of the rebalance from its heartbeat and rejoins alone.
  ASSERT_TRUE(leader.member->Leave(Later(milliseconds(5000))).ok());
  std::string reason;
  ASSERT_TRUE(PollUntilRejoinNeeded(*follower.member, milliseconds(5000), &reason));
  EXPECT_NE(reason.find("rebalancing"), std::string::npos) << reason;

  follower.seen_members.clear();
  Result<JoinResult> rejoined = follower.member->Join(Later(milliseconds(20'000)));
  ASSERT_TRUE(rejoined.ok()) << rejoined.error().ToString();
  EXPECT_EQ(rejoined->generation, follower_result.generation + 1);
  EXPECT_TRUE(rejoined->is_leader);
  EXPECT_EQ(rejoined->member_id, follower_result.member_id);
  ASSERT_EQ(follower.seen_members.size(), 1u);
  EXPECT_EQ(follower.seen_members[0].metadata, follower.Metadata());
  Result<ConnectAssignment> assignment = DecodeAssignment(rejoined->assignment);
  ASSERT_TRUE(assignment.ok());
  EXPECT_EQ(assignment->leader_url, follower.url);
  EXPECT_EQ(assignment->assigned.at(0).connector, ConnectorFor(follower.url));

  EXPECT_TRUE(follower.member->Leave(Later(milliseconds(5000))).ok());
}

// The mock's sync-order trap, for real: the follower's first SyncGroup is held back until after the
// leader's, so the mock answers it INVALID_REQUEST (42). The follower rejoins, which starts a new
// rebalance; the leader learns of it from a heartbeat and rejoins too; both end in the next generation.
TEST_F(GroupMemberMockClusterTest, LateFollowerSyncGetsInvalidRequestAndBothRejoin) {
  Worker a("http://127.0.0.1:18083/");
  Worker b("http://127.0.0.1:28083/");
  a.peer = &b;
  b.peer = &a;
  for (Worker* w : {&a, &b}) {
    w->pace_from_join = 2;  // no pacing in the first round, so the follower can be late
    Traffic& peer = w->peer->traffic;
    w->traffic.before_sync = [this, &peer](int number, bool follower) {
      if (number != 1 || !follower) return;
      EXPECT_TRUE(testing::WaitFor([&] { return peer.syncs.load() >= 1; }, seconds(5)));
      clock_.SleepUntil(clock_.Now() + milliseconds(200));  // let the leader's sync complete first
    };
    Configure(*w);
  }

  std::optional<Result<JoinResult>> joined_a, joined_b;
  int32_t first_generation = -1;
  auto run = [&](Worker& w, std::optional<Result<JoinResult>>& out) {
    Result<JoinResult> joined = w.member->Join(Later(milliseconds(20'000)));
    if (joined.ok() && joined->is_leader && w.traffic.joins.load() == 1) {
      // The first round's leader got through; the late follower's rejoin shows up as a rebalance.
      first_generation = joined->generation;
      std::string reason;
      EXPECT_TRUE(PollUntilRejoinNeeded(*w.member, milliseconds(6000), &reason));
      joined = w.member->Join(Later(milliseconds(20'000)));
    }
    out.emplace(std::move(joined));
  };
  {
    std::thread ta([&] { run(a, joined_a); });
    std::thread tb([&] { run(b, joined_b); });
    ta.join();
    tb.join();
  }
  ASSERT_TRUE(joined_a->ok()) << joined_a->error().ToString();
  ASSERT_TRUE(joined_b->ok()) << joined_b->error().ToString();
  ASSERT_NE(first_generation, -1);
  EXPECT_EQ(joined_a->value().generation, first_generation + 1);
  EXPECT_EQ(joined_b->value().generation, first_generation + 1);
  Worker& follower = joined_a->value().is_leader ? b : a;
  Worker& leader = joined_a->value().is_leader ? a : b;
  {
    std::lock_guard<std::mutex> lock(follower.traffic.mu);
    EXPECT_EQ(follower.traffic.sync_errors, (std::vector<KafkaError>{KafkaError::kInvalidRequest, KafkaError::kNone}));
  }
  EXPECT_EQ(leader.traffic.joins.load(), 2);
  EXPECT_EQ(follower.traffic.joins.load(), 2);
  for (const auto& [worker, result] :
       {std::pair<Worker*, const JoinResult*>{&a, &joined_a->value()}, std::pair<Worker*, const JoinResult*>{&b, &joined_b->value()}}) {
    Result<ConnectAssignment> assignment = DecodeAssignment(result->assignment);
    ASSERT_TRUE(assignment.ok()) << assignment.error().ToString();
    ASSERT_EQ(assignment->assigned.size(), 1u);
    EXPECT_EQ(assignment->assigned[0].connector, ConnectorFor(worker->url));
  }
  EXPECT_TRUE(a.member->Leave(Later(milliseconds(5000))).ok());
  EXPECT_TRUE(b.member->Leave(Later(milliseconds(5000))).ok());
}

TEST_F(GroupMemberMockClusterTest, HeartbeatsFollowTheCoordinatorWhenItMoves) {
  const std::vector<std::string> brokers = Split(cluster_->bootstrap_servers());
  ASSERT_EQ(brokers.size(), 3u);
  ASSERT_EQ(rd_kafka_mock_coordinator_set(cluster_->raw(), "group", kGroup, 1), RD_KAFKA_RESP_ERR_NO_ERROR);
  Worker w("http://127.0.0.1:38083/");
  Configure(w);
  Result<JoinResult> joined = w.member->Join(Later(milliseconds(20'000)));
  ASSERT_TRUE(joined.ok()) << joined.error().ToString();
  EXPECT_TRUE(joined->is_leader);

  // Broker 1 now answers NOT_COORDINATOR; the member rediscovers broker 2 and keeps its membership.
  ASSERT_EQ(rd_kafka_mock_coordinator_set(cluster_->raw(), "group", kGroup, 2), RD_KAFKA_RESP_ERR_NO_ERROR);
  bool moved = false;
  const Deadline deadline = Later(milliseconds(4000));
  for (int i = 0; i < 100 && !moved && clock_.Now() < deadline; ++i) {
    Result<PollResult> poll = w.member->Poll(Later(milliseconds(5000)));
    ASSERT_TRUE(poll.ok()) << poll.error().ToString();
    ASSERT_FALSE(poll->rejoin_needed) << poll->reason;
    {
      std::lock_guard<std::mutex> lock(w.traffic.mu);
      moved = !w.traffic.heartbeat_brokers.empty() && w.traffic.heartbeat_brokers.back() == brokers[1] &&
              w.member->is_stable();
    }
    if (!moved) clock_.SleepUntil(std::min(poll->next_poll, deadline));
  }
  ASSERT_TRUE(moved);
  // One more heartbeat on the new coordinator succeeds in the same generation.
  Result<PollResult> poll = w.member->Poll(Later(milliseconds(5000)));
  ASSERT_TRUE(poll.ok());
  clock_.SleepUntil(poll->next_poll);
  poll = w.member->Poll(Later(milliseconds(5000)));
  ASSERT_TRUE(poll.ok()) << poll.error().ToString();
  EXPECT_FALSE(poll->rejoin_needed) << poll->reason;
  EXPECT_EQ(w.member->generation(), joined->generation);
  {
    std::lock_guard<std::mutex> lock(w.traffic.mu);
    EXPECT_EQ(w.traffic.heartbeat_brokers.front(), brokers[0]);
    EXPECT_EQ(w.traffic.heartbeat_brokers.back(), brokers[1]);
  }
  EXPECT_TRUE(w.member->Leave(Later(milliseconds(5000))).ok());
}

// The abort a user met with four workers on one mock cluster (rd_kafka_mock_cgrp_member_add:
// Assertion '!member->resp'): a rejoin whose JoinGroup the coordinator holds longer than the Join()
// caller allows. Were that JoinGroup given up at the caller's deadline, its connection would close
// while the mock holds the request (the mock stops reading a connection while it holds a request, so
// it never sees the close), and the next Join() would send a second JoinGroup for the same member:
// the mock aborts the whole process there. GroupMember waits for the round it sent instead.
TEST_F(GroupMemberMockClusterTest, ARejoinTheMockHoldsLongerThanTheCallerAllowsIsWaitedForNotSentTwice) {
  Worker a("http://127.0.0.1:18083/");
  Configure(a);
  Result<JoinResult> first = a.member->Join(Later(milliseconds(20'000)));
  ASSERT_TRUE(first.ok()) << first.error().ToString();

  // From the Up state the mock holds a JoinGroup for session.timeout.ms - 1 s = 2.5 s.
  a.member->RequestRejoin("test: rejoin");
  const Deadline sent = clock_.Now();
  Result<JoinResult> rejoined = a.member->Join(Later(milliseconds(500)));
  EXPECT_TRUE(rejoined.ok()) << rejoined.error().ToString();
  // Join again at once, as WorkerGroup does after a failed Join(): where the mock used to abort.
  if (!rejoined.ok()) rejoined = a.member->Join(Later(milliseconds(20'000)));
  ASSERT_TRUE(rejoined.ok()) << rejoined.error().ToString();
  EXPECT_EQ(rejoined->generation, first->generation + 1);
  EXPECT_EQ(rejoined->member_id, first->member_id);
  EXPECT_GE(clock_.Now() - sent, milliseconds(2000)) << "the mock held the JoinGroup";
  EXPECT_EQ(a.traffic.joins.load(), 2) << "one JoinGroup per Join()";

  // And again, at once: one JoinGroup pending at a time, so the mock stays up.
  a.member->RequestRejoin("test: rejoin again");
  Result<JoinResult> again = a.member->Join(Later(milliseconds(20'000)));
  ASSERT_TRUE(again.ok()) << again.error().ToString();
  EXPECT_EQ(again->generation, first->generation + 2);
  EXPECT_TRUE(a.member->Leave(Later(milliseconds(5000))).ok());
}

}  // namespace
}  // namespace ferry::group
