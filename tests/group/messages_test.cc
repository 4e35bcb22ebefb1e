// Golden bytes for the group APIs, built by hand from the JSON schemas (kafka-group-protocol.md
// sections 3-6): representative classic and flexible versions of every message, the librdkafka
// mock's odd error responses, and version negotiation.
#include "worker/group/messages.h"

#include <functional>

#include <gtest/gtest.h>

#include "tests/group/expect_golden.h"
#include "tests/support/hex.h"

namespace ferry::group {
namespace {

using ferry::testing::Bytes;
using ferry::testing::Hex;

// ---- headers and negotiation ----

TEST(GroupMessagesTest, HeaderVersionsFollowFlexibleVersions) {
  EXPECT_EQ(RequestHeaderVersion(JoinGroupRequest::kApiKey, 5), 1);
  EXPECT_EQ(RequestHeaderVersion(JoinGroupRequest::kApiKey, 6), 2);
  EXPECT_EQ(ResponseHeaderVersion(JoinGroupRequest::kApiKey, 5), 0);
  EXPECT_EQ(ResponseHeaderVersion(JoinGroupRequest::kApiKey, 6), 1);
  EXPECT_EQ(RequestHeaderVersion(FindCoordinatorRequest::kApiKey, 3), 2);
  EXPECT_EQ(RequestHeaderVersion(SyncGroupRequest::kApiKey, 3), 1);
  EXPECT_EQ(RequestHeaderVersion(SyncGroupRequest::kApiKey, 4), 2);
  EXPECT_EQ(RequestHeaderVersion(HeartbeatRequest::kApiKey, 4), 2);
  EXPECT_EQ(RequestHeaderVersion(LeaveGroupRequest::kApiKey, 3), 1);
  EXPECT_EQ(RequestHeaderVersion(LeaveGroupRequest::kApiKey, 4), 2);
  // KIP-511: ApiVersions requests at v3 use header v2, but the response header is always v0.
  EXPECT_EQ(RequestHeaderVersion(ApiVersionsRequest::kApiKey, 3), 2);
  EXPECT_EQ(ResponseHeaderVersion(ApiVersionsRequest::kApiKey, 3), 0);
}

ApiVersionsResponse Broker(std::vector<ApiVersionsResponse::ApiVersion> keys) {
  ApiVersionsResponse r;
  r.api_keys = std::move(keys);
  return r;
}

TEST(GroupMessagesTest, ChooseVersionTakesTheHighestCommonVersion) {
  // What the librdkafka 2.0.2 mock advertises.
  const ApiVersionsResponse mock = Broker({{10, 0, 2}, {11, 0, 5}, {12, 0, 3}, {13, 0, 1}, {14, 0, 3}, {18, 0, 2}});
  EXPECT_EQ(*ChooseVersion(10, mock), 2);
  EXPECT_EQ(*ChooseVersion(11, mock), 5);
  EXPECT_EQ(*ChooseVersion(12, mock), 3);
  EXPECT_EQ(*ChooseVersion(13, mock), 1);
  EXPECT_EQ(*ChooseVersion(14, mock), 3);
  // A 3.9 broker: Ferry's own maxima win.
  const ApiVersionsResponse modern = Broker({{10, 0, 6}, {11, 0, 9}, {12, 0, 4}, {13, 0, 5}, {14, 0, 5}, {18, 0, 4}});
  EXPECT_EQ(*ChooseVersion(10, modern), 4);
  EXPECT_EQ(*ChooseVersion(11, modern), 9);
  EXPECT_EQ(*ChooseVersion(12, modern), 4);
  EXPECT_EQ(*ChooseVersion(13, modern), 5);
  EXPECT_EQ(*ChooseVersion(14, modern), 5);
  EXPECT_EQ(*ChooseVersion(18, modern), 3);
  // Kafka 4.0.0 dropped JoinGroup v0-v1: still fine.
  EXPECT_EQ(*ChooseVersion(11, Broker({{11, 2, 9}})), 9);
}

TEST(GroupMessagesTest, ChooseVersionFailsWithoutOverlap) {
  Result<int16_t> missing = ChooseVersion(11, Broker({{12, 0, 4}}));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), ErrorCode::kUnsupported);
  Result<int16_t> too_new = ChooseVersion(11, Broker({{11, 10, 12}}));
  ASSERT_FALSE(too_new.ok());
  EXPECT_EQ(too_new.error().code(), ErrorCode::kUnsupported);
}

// ---- ApiVersions ----

TEST(GroupMessagesTest, ApiVersionsRequest) {
  ExpectGolden(ApiVersionsRequest{}, 2, "");
  ExpectGolden(ApiVersionsRequest{"ferry", "0.1.0"}, 3, Bytes("06 'ferry' 06 '0.1.0' 00"));
}

TEST(GroupMessagesTest, ApiVersionsResponseV0V2V3) {
  ApiVersionsResponse r;
  r.api_keys = {{11, 0, 5}, {14, 0, 3}};
  ExpectGolden(r, 0, Bytes("0000 00000002 000b 0000 0005 000e 0000 0003"));
  r.throttle_time_ms = 1;
  ExpectGolden(r, 2, Bytes("0000 00000002 000b 0000 0005 000e 0000 0003 00000001"));
  ExpectGolden(r, 3, Bytes("0000 03 000b 0000 0005 00 000e 0000 0003 00 00000001 00"));
}

TEST(GroupMessagesTest, ApiVersionsV3SkipsFeatureTags) {
  // Tag 0 (SupportedFeatures) with 2 opaque bytes, tag 3 with 1 byte.
  Result<ApiVersionsResponse> r =
      ApiVersionsResponse::Decode(Bytes("0000 02 0012 0000 0004 00 00000000 02 00 02 aabb 03 01 01"), 3);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  ASSERT_EQ(r->api_keys.size(), 1u);
  EXPECT_EQ(r->api_keys[0].max_version, 4);
}

TEST(GroupMessagesTest, ApiVersionsUnsupportedVersionIsReadInV0Layout) {
  // KIP-511: a broker answers an ApiVersions version it does not know with error 35 in v0 layout
  // (here followed by a throttle time, which is ignored).
  Result<ApiVersionsResponse> r = ApiVersionsResponse::Decode(Bytes("0023 00000001 0012 0000 0002 00000000"), 3);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->error_code, KafkaError::kUnsupportedVersion);
  ASSERT_EQ(r->api_keys.size(), 1u);
  EXPECT_EQ(r->api_keys[0].api_key, 18);
  EXPECT_EQ(r->api_keys[0].max_version, 2);
}

// ---- FindCoordinator ----

TEST(GroupMessagesTest, FindCoordinatorRequestPerVersion) {
  FindCoordinatorRequest classic;
  classic.key = "g1";
  ExpectGolden(classic, 0, Bytes("0002 'g1'"));
  ExpectGolden(classic, 2, Bytes("0002 'g1' 00"));
  ExpectGolden(classic, 3, Bytes("03 'g1' 00 00"));
  FindCoordinatorRequest batched;
  batched.coordinator_keys = {"g1"};
  ExpectGolden(batched, 4, Bytes("00 02 03 'g1' 00"));  // KeyType, CoordinatorKeys, tags
}

TEST(GroupMessagesTest, FindCoordinatorResponseV0V2) {
  FindCoordinatorResponse r;
  r.node_id = 2;
  r.host = "127.0.0.1";
  r.port = 9092;
  ExpectGolden(r, 0, Bytes("0000 00000002 0009 '127.0.0.1' 00002384"));
  ExpectGolden(r, 2, Bytes("00000000 0000 ffff 00000002 0009 '127.0.0.1' 00002384"));
  Result<FindCoordinatorResponse::Coordinator> c = r.For("g1");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->node_id, 2);
  EXPECT_EQ(c->host, "127.0.0.1");
}

TEST(GroupMessagesTest, FindCoordinatorResponseV4HasOneEntryPerKey) {
  FindCoordinatorResponse r;
  r.coordinators = {{"g1", 3, "::1", 9093, KafkaError::kNone, std::nullopt}};
  ExpectGolden(r, 4, Bytes("00000000 02 03 'g1' 00000003 04 '::1' 00002385 0000 00 00 00"));
  Result<FindCoordinatorResponse::Coordinator> c = r.For("g1");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->port, 9093);
  EXPECT_EQ(r.For("other").error().code(), ErrorCode::kCorrupt);
}

TEST(GroupMessagesTest, FindCoordinatorMockErrorResponseWithNullHost) {
  // The mock writes a null Host in its error answer.
  Result<FindCoordinatorResponse> r = FindCoordinatorResponse::Decode(
      Bytes("00000000 000f 0005 'oops!' ffffffff ffff ffffffff"), 2);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->error_code, KafkaError::kCoordinatorNotAvailable);
  EXPECT_EQ(r->host, "");
  EXPECT_EQ(r->error_message, "oops!");
}

// ---- JoinGroup ----

JoinGroupRequest SampleJoin() {
  JoinGroupRequest j;
  j.group_id = "g1";
  j.session_timeout_ms = 10000;
  j.rebalance_timeout_ms = 60000;
  j.protocol_type = "connect";
  j.protocols = {{"sessioned", Bytes("0002")}, {"default", Bytes("0000")}};
  return j;
}

TEST(GroupMessagesTest, JoinGroupRequestV0) {
  JoinGroupRequest j = SampleJoin();
  j.rebalance_timeout_ms = -1;  // not in v0
  ExpectGolden(j, 0,
               Bytes("0002 'g1' 00002710 0000 0007 'connect' 00000002 "
                     "0009 'sessioned' 00000002 0002 0007 'default' 00000002 0000"));
}

TEST(GroupMessagesTest, JoinGroupRequestV5) {
  ExpectGolden(SampleJoin(), 5,
               Bytes("0002 'g1' 00002710 0000ea60 0000 ffff 0007 'connect' 00000002 "
                     "0009 'sessioned' 00000002 0002 0007 'default' 00000002 0000"));
}

TEST(GroupMessagesTest, JoinGroupRequestV9IsFlexibleWithReason) {
  JoinGroupRequest j = SampleJoin();
  j.member_id = "m-1";
  j.reason = "rejoin";
  ExpectGolden(j, 9,
               Bytes("03 'g1' 00002710 0000ea60 04 'm-1' 00 08 'connect' 03 "
                     "0a 'sessioned' 03 0002 00 08 'default' 03 0000 00 07 'rejoin' 00"));
  // v6 and v7 carry no Reason.
  j.reason.reset();
  ExpectGolden(j, 6,
               Bytes("03 'g1' 00002710 0000ea60 04 'm-1' 00 08 'connect' 03 "
                     "0a 'sessioned' 03 0002 00 08 'default' 03 0000 00 00"));
}

JoinGroupResponse SampleJoinResponse() {
  JoinGroupResponse r;
  r.generation_id = 3;
  r.protocol_name = "sessioned";
  r.leader = "m-1";
  r.member_id = "m-1";
  r.members = {{"m-1", std::nullopt, Bytes("0002")}, {"m-2", std::nullopt, Bytes("0002 ff")}};
  return r;
}

TEST(GroupMessagesTest, JoinGroupResponseV1V5) {
  JoinGroupResponse r = SampleJoinResponse();
  ExpectGolden(r, 1,
               Bytes("0000 00000003 0009 'sessioned' 0003 'm-1' 0003 'm-1' 00000002 "
                     "0003 'm-1' 00000002 0002 0003 'm-2' 00000003 0002ff"));
  ExpectGolden(r, 5,
               Bytes("00000000 0000 00000003 0009 'sessioned' 0003 'm-1' 0003 'm-1' 00000002 "
                     "0003 'm-1' ffff 00000002 0002 0003 'm-2' ffff 00000003 0002ff"));
}

TEST(GroupMessagesTest, JoinGroupResponseV7AndV9) {
  JoinGroupResponse r = SampleJoinResponse();
  r.protocol_type = "connect";
  r.members.resize(1);
  ExpectGolden(r, 7,
               Bytes("00000000 0000 00000003 08 'connect' 0a 'sessioned' 04 'm-1' 04 'm-1' 02 "
                     "04 'm-1' 00 03 0002 00 00"));
  r.skip_assignment = true;
  ExpectGolden(r, 9,
               Bytes("00000000 0000 00000003 08 'connect' 0a 'sessioned' 04 'm-1' 01 04 'm-1' 02 "
                     "04 'm-1' 00 03 0002 00 00"));
}

TEST(GroupMessagesTest, JoinGroupMemberIdRequiredV4) {
  JoinGroupResponse r;
  r.error_code = KafkaError::kMemberIdRequired;
  r.protocol_name = "";
  r.member_id = "connect-1-abc";
  ExpectGolden(r, 4, Bytes("00000000 004f ffffffff 0000 0000 000d 'connect-1-abc' 00000000"));
}

TEST(GroupMessagesTest, JoinGroupMockErrorResponseWithNullStrings) {
  // rdkafka_mock_handlers.c writes null ProtocolName and Leader in its JoinGroup error answer.
  Result<JoinGroupResponse> r =
      JoinGroupResponse::Decode(Bytes("00000000 0010 ffffffff ffff ffff ffff 00000000"), 5);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->error_code, KafkaError::kNotCoordinator);
  EXPECT_EQ(r->protocol_name, "");
  EXPECT_EQ(r->leader, "");
  EXPECT_TRUE(r->members.empty());
}

// ---- SyncGroup ----

SyncGroupRequest SampleSync() {
  SyncGroupRequest s;
  s.group_id = "g1";
  s.generation_id = 3;
  s.member_id = "m-1";
  s.assignments = {{"m-1", Bytes("01")}, {"m-2", Bytes("0203")}};
  return s;
}

TEST(GroupMessagesTest, SyncGroupRequestV0V3) {
  ExpectGolden(SampleSync(), 0,
               Bytes("0002 'g1' 00000003 0003 'm-1' 00000002 0003 'm-1' 00000001 01 0003 'm-2' 00000002 0203"));
  ExpectGolden(SampleSync(), 3,
               Bytes("0002 'g1' 00000003 0003 'm-1' ffff 00000002 0003 'm-1' 00000001 01 0003 'm-2' 00000002 0203"));
  SyncGroupRequest follower = SampleSync();
  follower.assignments.clear();
  ExpectGolden(follower, 3, Bytes("0002 'g1' 00000003 0003 'm-1' ffff 00000000"));
}

TEST(GroupMessagesTest, SyncGroupRequestV4V5) {
  ExpectGolden(SampleSync(), 4, Bytes("03 'g1' 00000003 04 'm-1' 00 03 04 'm-1' 02 01 00 04 'm-2' 03 0203 00 00"));
  SyncGroupRequest s = SampleSync();
  s.protocol_type = "connect";
  s.protocol_name = "sessioned";
  ExpectGolden(s, 5,
               Bytes("03 'g1' 00000003 04 'm-1' 00 08 'connect' 0a 'sessioned' 03 04 'm-1' 02 01 00 04 'm-2' 03 0203 00 00"));
}

TEST(GroupMessagesTest, SyncGroupResponses) {
  SyncGroupResponse r;
  r.assignment = Bytes("0002 ab");
  ExpectGolden(r, 0, Bytes("0000 00000003 0002ab"));
  ExpectGolden(r, 3, Bytes("00000000 0000 00000003 0002ab"));
  ExpectGolden(r, 4, Bytes("00000000 0000 04 0002ab 00"));
  r.protocol_type = "connect";
  r.protocol_name = "sessioned";
  ExpectGolden(r, 5, Bytes("00000000 0000 08 'connect' 0a 'sessioned' 04 0002ab 00"));
}

TEST(GroupMessagesTest, SyncGroupMockErrorResponseWithNullAssignment) {
  Result<SyncGroupResponse> r = SyncGroupResponse::Decode(Bytes("00000000 002a ffffffff"), 3);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->error_code, KafkaError::kInvalidRequest);
  EXPECT_EQ(r->assignment, "");
}

// ---- Heartbeat ----

TEST(GroupMessagesTest, HeartbeatRequestAndResponse) {
  HeartbeatRequest h;
  h.group_id = "g1";
  h.generation_id = 3;
  h.member_id = "m-1";
  ExpectGolden(h, 0, Bytes("0002 'g1' 00000003 0003 'm-1'"));
  ExpectGolden(h, 3, Bytes("0002 'g1' 00000003 0003 'm-1' ffff"));
  ExpectGolden(h, 4, Bytes("03 'g1' 00000003 04 'm-1' 00 00"));

  HeartbeatResponse r;
  r.error_code = KafkaError::kRebalanceInProgress;
  ExpectGolden(r, 0, Bytes("001b"));
  ExpectGolden(r, 3, Bytes("00000000 001b"));
  ExpectGolden(r, 4, Bytes("00000000 001b 00"));
}

// ---- LeaveGroup ----

TEST(GroupMessagesTest, LeaveGroupRequestSingleAndBatched) {
  LeaveGroupRequest l;
  l.group_id = "g1";
  l.member_id = "m-1";
  ExpectGolden(l, 1, Bytes("0002 'g1' 0003 'm-1'"));
  LeaveGroupRequest batch;
  batch.group_id = "g1";
  batch.members = {{"m-1", std::nullopt, std::nullopt}};
  ExpectGolden(batch, 3, Bytes("0002 'g1' 00000001 0003 'm-1' ffff"));
  ExpectGolden(batch, 4, Bytes("03 'g1' 02 04 'm-1' 00 00 00"));
  batch.members[0].reason = "bye";
  ExpectGolden(batch, 5, Bytes("03 'g1' 02 04 'm-1' 00 04 'bye' 00 00"));
}

TEST(GroupMessagesTest, LeaveGroupResponses) {
  LeaveGroupResponse r;
  ExpectGolden(r, 0, Bytes("0000"));
  ExpectGolden(r, 1, Bytes("00000000 0000"));
  r.members = {{"m-1", std::nullopt, KafkaError::kUnknownMemberId}};
  ExpectGolden(r, 3, Bytes("00000000 0000 00000001 0003 'm-1' ffff 0019"));
  ExpectGolden(r, 5, Bytes("00000000 0000 02 04 'm-1' 00 0019 00 00"));
}

// ---- every version ----

// Encode -> Decode is the identity for every message at every supported version, for values that
// use only the fields of that version.
TEST(GroupMessagesTest, EveryVersionRoundTrips) {
  for (int16_t v = 0; v <= 9; ++v) {
    JoinGroupRequest j = SampleJoin();
    if (v < 1) j.rebalance_timeout_ms = -1;
    if (v >= 5) j.group_instance_id = "static-1";
    if (v >= 8) j.reason = "why";
    EXPECT_TRUE(*JoinGroupRequest::Decode(j.Encode(v), v) == j) << "JoinGroupRequest v" << v;
    JoinGroupResponse r = SampleJoinResponse();
    if (v < 2) r.throttle_time_ms = 0; else r.throttle_time_ms = 5;
    if (v >= 5) r.members[0].group_instance_id = "static-1";
    if (v >= 7) r.protocol_type = "connect";
    if (v >= 9) r.skip_assignment = true;
    EXPECT_TRUE(*JoinGroupResponse::Decode(r.Encode(v), v) == r) << "JoinGroupResponse v" << v;
  }
  for (int16_t v = 0; v <= 5; ++v) {
    SyncGroupRequest s = SampleSync();
    if (v >= 3) s.group_instance_id = "static-1";
    if (v >= 5) s.protocol_type = "connect", s.protocol_name = "default";
    EXPECT_TRUE(*SyncGroupRequest::Decode(s.Encode(v), v) == s) << "SyncGroupRequest v" << v;
    LeaveGroupRequest l;
    l.group_id = "g1";
    if (v <= 2) l.member_id = "m-1"; else l.members = {{"m-1", "static-1", v >= 5 ? std::optional<std::string>("r") : std::nullopt}};
    EXPECT_TRUE(*LeaveGroupRequest::Decode(l.Encode(v), v) == l) << "LeaveGroupRequest v" << v;
  }
  for (int16_t v = 0; v <= 4; ++v) {
    FindCoordinatorRequest f;
    if (v <= 3) f.key = "g1"; else f.coordinator_keys = {"g1", "g2"};
    if (v == 0) f.key_type = 0;
    EXPECT_TRUE(*FindCoordinatorRequest::Decode(f.Encode(v), v) == f) << "FindCoordinatorRequest v" << v;
    HeartbeatRequest h{"g1", 7, "m-1", v >= 3 ? std::optional<std::string>("s") : std::nullopt};
    EXPECT_TRUE(*HeartbeatRequest::Decode(h.Encode(v), v) == h) << "HeartbeatRequest v" << v;
  }
}

TEST(GroupMessagesTest, TrailingBytesAreCorrupt) {
  HeartbeatResponse r;
  Result<HeartbeatResponse> decoded = HeartbeatResponse::Decode(r.Encode(3) + "x", 3);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().code(), ErrorCode::kCorrupt);
}

TEST(GroupMessagesTest, KafkaErrorNamesComeFromLibrdkafka) {
  EXPECT_EQ(KafkaErrorName(KafkaError::kRebalanceInProgress), "REBALANCE_IN_PROGRESS (27)");
  EXPECT_EQ(KafkaErrorName(KafkaError::kMemberIdRequired), "MEMBER_ID_REQUIRED (79)");
}

}  // namespace
}  // namespace ferry::group
