// Golden bytes for Metadata v10-v12 (api key 3), built by hand from Kafka's MetadataRequest.json and
// MetadataResponse.json: every version Ferry speaks, tagged fields it must pass over, a topic the
// broker does not know, truncated input, and Kafka's text form of a UUID.
#include <gtest/gtest.h>

#include "tests/group/expect_golden.h"
#include "tests/support/hex.h"
#include "worker/group/messages.h"

namespace ferry::group {
namespace {

using ferry::testing::Bytes;
using ferry::testing::Hex;

constexpr char kZeroUuid[] = "00000000000000000000000000000000";
// bc1e5536-933f-41ca-83ab-96053e77d9e8, which Kafka prints as vB5VNpM_QcqDq5YFPnfZ6A.
constexpr Uuid kOrdersId{0xbc1e5536933f41caULL, 0x83ab96053e77d9e8ULL};
constexpr char kOrdersIdBytes[] = "bc1e5536933f41ca 83ab96053e77d9e8";

TEST(MetadataMessagesTest, SpokenOnlyFromV10AndFlexible) {
  EXPECT_EQ(SupportedVersions(MetadataRequest::kApiKey).min, 10);
  EXPECT_EQ(SupportedVersions(MetadataRequest::kApiKey).max, 12);
  EXPECT_STREQ(ApiName(MetadataRequest::kApiKey), "Metadata");
  for (int16_t v = 10; v <= 12; ++v) {
    EXPECT_EQ(RequestHeaderVersion(MetadataRequest::kApiKey, v), 2);
    EXPECT_EQ(ResponseHeaderVersion(MetadataRequest::kApiKey, v), 1);
  }
}

ApiVersionsResponse Broker(int16_t metadata_min, int16_t metadata_max) {
  ApiVersionsResponse r;
  r.api_keys = {{MetadataRequest::kApiKey, metadata_min, metadata_max}, {18, 0, 4}};
  return r;
}

TEST(MetadataMessagesTest, ChooseVersionNeedsTopicIdVersions) {
  EXPECT_EQ(*ChooseVersion(MetadataRequest::kApiKey, Broker(0, 13)), 12);  // Kafka 4.x
  EXPECT_EQ(*ChooseVersion(MetadataRequest::kApiKey, Broker(4, 13)), 12);  // a broker past v0-v3
  EXPECT_EQ(*ChooseVersion(MetadataRequest::kApiKey, Broker(0, 11)), 11);  // Kafka 2.8
  EXPECT_EQ(*ChooseVersion(MetadataRequest::kApiKey, Broker(0, 10)), 10);
  Result<int16_t> old = ChooseVersion(MetadataRequest::kApiKey, Broker(0, 9));  // 2.7 and the 2.0.2 mock
  ASSERT_FALSE(old.ok());
  EXPECT_EQ(old.error().code(), ErrorCode::kUnsupported);
}

TEST(MetadataMessagesTest, RequestByNameV10ToV12) {
  MetadataRequest r;
  r.topics = {{Uuid{}, "orders"}, {Uuid{}, "a"}};
  const std::string topics =
      std::string("03 ") + kZeroUuid + " 07 'orders' 00 " + kZeroUuid + " 02 'a' 00";
  // v10: AllowAutoTopicCreation, IncludeClusterAuthorizedOperations, IncludeTopicAuthorizedOperations.
  ExpectGolden(r, 10, Bytes(topics + " 00 00 00 00"));
  // v11+: no IncludeClusterAuthorizedOperations.
  ExpectGolden(r, 11, Bytes(topics + " 00 00 00"));
  ExpectGolden(r, 12, Bytes(topics + " 00 00 00"));
  r.allow_auto_topic_creation = true;
  r.include_topic_authorized_operations = true;
  ExpectGolden(r, 12, Bytes(topics + " 01 01 00"));
}

TEST(MetadataMessagesTest, RequestByIdWithNullNameV12) {
  MetadataRequest r;
  r.topics = {{kOrdersId, std::nullopt}};
  ExpectGolden(r, 12, Bytes(std::string("02 ") + kOrdersIdBytes + " 00 00 00 00 00"));
}

TEST(MetadataMessagesTest, NoTopics) {
  ExpectGolden(MetadataRequest{}, 12, Bytes("01 00 00 00"));
}

MetadataResponse SampleResponse() {
  MetadataResponse r;
  r.throttle_time_ms = 3;
  r.brokers = {{1, "localhost", 9092, std::nullopt}, {2, "b2", 9093, "rack-a"}};
  r.cluster_id = "abc";
  r.controller_id = 1;
  MetadataResponse::Topic orders;
  orders.name = "orders";
  orders.topic_id = kOrdersId;
  orders.partitions = {{KafkaError::kNone, 0, 1, 5, {1, 2}, {1}, {2}}};
  MetadataResponse::Topic unknown;
  unknown.error_code = KafkaError::kUnknownTopicOrPartition;
  unknown.name = "gone";
  r.topics = {orders, unknown};
  return r;
}

// The response fields up to and including the topics, which every version shares.
std::string SampleResponseBody() {
  return std::string(
             "00000003"                                       // ThrottleTimeMs
             " 03"                                            // 2 brokers
             " 00000001 0a 'localhost' 00002384 00 00"        //  1 localhost:9092, null rack
             " 00000002 03 'b2' 00002385 07 'rack-a' 00"      //  2 b2:9093, rack-a
             " 04 'abc'"                                      // ClusterId
             " 00000001"                                      // ControllerId
             " 03"                                            // 2 topics
             " 0000 07 'orders' ") +                          //  orders, no error
         kOrdersIdBytes +                                     //   TopicId
         " 00"                                                //   IsInternal
         " 02 0000 00000000 00000001 00000005"                //   1 partition: p0, leader 1, epoch 5
         "    03 00000001 00000002  02 00000001  02 00000002 00"  // replicas, isr, offline
         " 80000000 00"                                       //   TopicAuthorizedOperations (none)
         " 0003 05 'gone' " +                                 //  gone: UNKNOWN_TOPIC_OR_PARTITION
         kZeroUuid + " 00 01 80000000 00";                    //   zero id, no partitions
}

TEST(MetadataMessagesTest, ResponseV10ToV12) {
  const MetadataResponse r = SampleResponse();
  // v10 ends with ClusterAuthorizedOperations; v11 dropped it.
  ExpectGolden(r, 10, Bytes(SampleResponseBody() + " 80000000 00"));
  ExpectGolden(r, 11, Bytes(SampleResponseBody() + " 00"));
  ExpectGolden(r, 12, Bytes(SampleResponseBody() + " 00"));
}

TEST(MetadataMessagesTest, ResponsePassesOverTaggedFields) {
  // A tagged field in a broker (tag 5, 2 bytes), in a partition (tag 0, 1 byte), in a topic (tag 7,
  // 3 bytes) and at the top level (two fields): unknown to Ferry, skipped.
  const std::string body = std::string(
                               "00000000 02 00000001 02 'h' 00000001 00  01 05 02 abcd"
                               " 00 ffffffff 02 0000 02 't' ") +
                           kOrdersIdBytes +
                           " 01 02 0000 00000000 00000001 ffffffff 01 01 01  01 00 01 ee"
                           " 00000000 01 07 03 010203"
                           "  02 00 01 ff 01 00";
  Result<MetadataResponse> r = MetadataResponse::Decode(Bytes(body), 12);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  ASSERT_EQ(r->brokers.size(), 1u);
  EXPECT_EQ(r->brokers[0].host, "h");
  EXPECT_EQ(r->cluster_id, std::nullopt);
  EXPECT_EQ(r->controller_id, -1);
  ASSERT_EQ(r->topics.size(), 1u);
  EXPECT_EQ(r->topics[0].name, "t");
  EXPECT_EQ(r->topics[0].topic_id, kOrdersId);
  EXPECT_TRUE(r->topics[0].is_internal);
  ASSERT_EQ(r->topics[0].partitions.size(), 1u);
  EXPECT_EQ(r->topics[0].partitions[0].leader_epoch, -1);
  EXPECT_TRUE(r->topics[0].partitions[0].replica_nodes.empty());
  EXPECT_EQ(r->topics[0].topic_authorized_operations, 0);
}

TEST(MetadataMessagesTest, NullTopicNameV12ReadsAsEmpty) {
  // v12: a topic asked about by ID that does not exist comes back with a null name.
  Result<MetadataResponse> r = MetadataResponse::Decode(
      Bytes(std::string("00000000 01 00 ffffffff 02 0064 00 ") + kOrdersIdBytes + " 00 01 80000000 00 00"), 12);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  ASSERT_EQ(r->topics.size(), 1u);
  EXPECT_EQ(r->topics[0].error_code, static_cast<KafkaError>(100));  // UNKNOWN_TOPIC_ID
  EXPECT_EQ(r->topics[0].name, "");
}

TEST(MetadataMessagesTest, MalformedResponsesAreCorrupt) {
  const std::string good = Bytes(SampleResponseBody() + " 00");
  ASSERT_TRUE(MetadataResponse::Decode(good, 12).ok());
  for (const std::string& bad : {
           good + "x",                                        // trailing byte
           Bytes("00000000 ffffffff0f"),                      // a broker count beyond the bytes
           Bytes("00000000 01 00 00000001 7f"),               // ControllerId, then 126 topics in 0 bytes
           Bytes("00000000 01 00 ffffffff 02 0000 05 'ab'"),  // a name longer than what is left
           Bytes("00000000 01 00 ffffffff 01 05"),            // 5 tagged fields in 0 bytes
           Bytes("00000000 01 00 ffffffff 01 01 00 ff"),      // a tagged field of 127+ bytes, cut
           Bytes("00000000 01 00 ffffffff 01 80808080 80"),   // a varint longer than 5 bytes
           Bytes(""),
       }) {
    Result<MetadataResponse> r = MetadataResponse::Decode(bad, 12);
    ASSERT_FALSE(r.ok()) << Hex(bad);
    EXPECT_EQ(r.error().code(), ErrorCode::kCorrupt) << Hex(bad);
  }
}

TEST(MetadataMessagesTest, EveryVersionRoundTrips) {
  for (int16_t v = 10; v <= 12; ++v) {
    MetadataRequest q;
    q.topics = {{v == 12 ? kOrdersId : Uuid{}, "orders"}};
    q.include_cluster_authorized_operations = v == 10;
    EXPECT_TRUE(*MetadataRequest::Decode(q.Encode(v), v) == q) << "MetadataRequest v" << v;
    MetadataResponse r = SampleResponse();
    r.cluster_authorized_operations = v == 10 ? 8 : MetadataResponse::kNoAuthorizedOperations;
    EXPECT_TRUE(*MetadataResponse::Decode(r.Encode(v), v) == r) << "MetadataResponse v" << v;
  }
}

// ---- Uuid ----

TEST(UuidTest, TextIsUrlSafeBase64WithoutPadding) {
  EXPECT_EQ(kOrdersId.ToString(), "vB5VNpM_QcqDq5YFPnfZ6A");
  EXPECT_EQ((Uuid{0x0001020304050607ULL, 0x08090a0b0c0d0e0fULL}.ToString()), "AAECAwQFBgcICQoLDA0ODw");
  EXPECT_EQ((Uuid{~0ULL, ~0ULL}.ToString()), "_____________________w");
  EXPECT_EQ(Uuid{}.ToString(), "AAAAAAAAAAAAAAAAAAAAAA");  // Kafka's ZERO_UUID
  EXPECT_TRUE(Uuid{}.IsZero());
  EXPECT_FALSE(kOrdersId.IsZero());
}

TEST(UuidTest, ParseIsTheInverse) {
  for (const Uuid& u : {kOrdersId, Uuid{}, Uuid{~0ULL, ~0ULL}, Uuid{1, 2}, Uuid{0x8000000000000000ULL, 1}}) {
    Result<Uuid> parsed = Uuid::Parse(u.ToString());
    ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
    EXPECT_EQ(*parsed, u) << u.ToString();
  }
}

TEST(UuidTest, ParseRejectsOtherText) {
  for (const char* bad : {"", "vB5VNpM_QcqDq5YFPnfZ6", "vB5VNpM_QcqDq5YFPnfZ6AA", "vB5VNpM/QcqDq5YFPnfZ6A",
                          "vB5VNpM+QcqDq5YFPnfZ6A", "vB5VNpM_QcqDq5YFPnfZ6B",  // padding bits set
                          "bc1e5536-933f-41ca-83ab-96053e77d9e8"}) {
    Result<Uuid> parsed = Uuid::Parse(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.error().code(), ErrorCode::kCorrupt) << bad;
  }
}

}  // namespace
}  // namespace ferry::group
