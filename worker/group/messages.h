// Typed bodies of the Kafka APIs a group member needs: ApiVersions, FindCoordinator, JoinGroup,
// SyncGroup, Heartbeat and LeaveGroup, in every version Ferry supports (see SupportedVersions());
// Metadata in its topic-ID versions only (v10+, KIP-516), to learn the ID of a topic; and
// SaslHandshake v1 + SaslAuthenticate, to log in on a SASL listener (KIP-152).
// Each type has Encode(version) and Decode(bytes, version); the header is not part of the body.
// Field layouts follow kafka-group-protocol.md sections 3-6; a field that a version lacks is
// ignored by Encode and left at its default by Decode.
//
// Decoding of response strings is lenient about null: the librdkafka mock writes a null STRING in
// error responses (e.g. JoinGroup's ProtocolName and Leader), which Decode reads as "".
// Encoding or decoding a version outside SupportedVersions() is a bug (CHECK).
// Thread-safety: values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "worker/common/result.h"

namespace ferry::group {

// Kafka's error codes for the group and Metadata APIs (Errors.java); the enum may hold any other code too.
enum class KafkaError : int16_t {
  kNone = 0,
  kCorruptMessage = 2,
  kUnknownTopicOrPartition = 3,
  kLeaderNotAvailable = 5,
  kNetworkException = 13,
  kCoordinatorLoadInProgress = 14,
  kCoordinatorNotAvailable = 15,
  kNotCoordinator = 16,
  kInvalidTopic = 17,
  kIllegalGeneration = 22,
  kInconsistentGroupProtocol = 23,
  kInvalidGroupId = 24,
  kUnknownMemberId = 25,
  kInvalidSessionTimeout = 26,
  kRebalanceInProgress = 27,
  kTopicAuthorizationFailed = 29,
  kGroupAuthorizationFailed = 30,
  kUnsupportedSaslMechanism = 33,
  kIllegalSaslState = 34,
  kUnsupportedVersion = 35,
  kInvalidRequest = 42,
  kSaslAuthenticationFailed = 58,
  kGroupIdNotFound = 69,
  kMemberIdRequired = 79,
  kGroupMaxSizeReached = 81,
  kFencedInstanceId = 82,
};

// "REBALANCE_IN_PROGRESS (27)".
std::string KafkaErrorName(KafkaError error);

struct VersionRange {
  int16_t min = 0;
  int16_t max = 0;
};

// The versions Ferry can encode and decode for `api_key`; {0, -1} for an API Ferry does not speak.
VersionRange SupportedVersions(int16_t api_key);
const char* ApiName(int16_t api_key);
bool IsFlexible(int16_t api_key, int16_t version);
// Request header v1 or v2 (flexible); response header v0, or v1 for flexible versions except ApiVersions.
int RequestHeaderVersion(int16_t api_key, int16_t version);
int ResponseHeaderVersion(int16_t api_key, int16_t version);

// A Kafka UUID (the protocol's `uuid` type, KIP-516): 16 bytes, the most significant 8 first.
// Topic IDs are UUIDs; the zero UUID means "none".
struct Uuid {
  uint64_t high = 0;
  uint64_t low = 0;

  bool IsZero() const { return high == 0 && low == 0; }
  // Kafka's text form, as `kafka-topics.sh --describe` prints a TopicId: the 16 bytes in URL-safe
  // base64 without padding (22 characters).
  std::string ToString() const;
  // The inverse of ToString(); kCorrupt for any other text.
  static Result<Uuid> Parse(std::string_view text);
  bool operator==(const Uuid&) const = default;
};

// ---- ApiVersions (18) ----

struct ApiVersionsRequest {
  static constexpr int16_t kApiKey = 18;
  std::string client_software_name;     // v3+
  std::string client_software_version;  // v3+

  std::string Encode(int16_t version) const;
  static Result<ApiVersionsRequest> Decode(std::string_view body, int16_t version);
  bool operator==(const ApiVersionsRequest&) const = default;
};

struct ApiVersionsResponse {
  static constexpr int16_t kApiKey = 18;
  struct ApiVersion {
    int16_t api_key = 0;
    int16_t min_version = 0;
    int16_t max_version = 0;
    bool operator==(const ApiVersion&) const = default;
  };
  KafkaError error_code = KafkaError::kNone;
  std::vector<ApiVersion> api_keys;
  int32_t throttle_time_ms = 0;  // v1+

  std::string Encode(int16_t version) const;
  // An UNSUPPORTED_VERSION answer is read in v0 layout whatever `version` was (KIP-511).
  static Result<ApiVersionsResponse> Decode(std::string_view body, int16_t version);
  bool operator==(const ApiVersionsResponse&) const = default;
};

// The highest version of `api_key` that both Ferry and the broker support; kUnsupported if none.
Result<int16_t> ChooseVersion(int16_t api_key, const ApiVersionsResponse& broker);

// ---- FindCoordinator (10) ----

struct FindCoordinatorRequest {
  static constexpr int16_t kApiKey = 10;
  static constexpr int8_t kGroupKeyType = 0;
  std::string key;                            // v0-v3
  int8_t key_type = kGroupKeyType;            // v1+
  std::vector<std::string> coordinator_keys;  // v4+ (KIP-699 batching)

  std::string Encode(int16_t version) const;
  static Result<FindCoordinatorRequest> Decode(std::string_view body, int16_t version);
  bool operator==(const FindCoordinatorRequest&) const = default;
};

struct FindCoordinatorResponse {
  static constexpr int16_t kApiKey = 10;
  struct Coordinator {  // v4+
    std::string key;
    int32_t node_id = -1;
    std::string host;
    int32_t port = -1;
    KafkaError error_code = KafkaError::kNone;
    std::optional<std::string> error_message;
    bool operator==(const Coordinator&) const = default;
  };
  int32_t throttle_time_ms = 0;  // v1+
  // v0-v3: one coordinator at the top level.
  KafkaError error_code = KafkaError::kNone;
  std::optional<std::string> error_message;  // v1-v3
  int32_t node_id = -1;
  std::string host;
  int32_t port = -1;
  std::vector<Coordinator> coordinators;  // v4+

  std::string Encode(int16_t version) const;
  static Result<FindCoordinatorResponse> Decode(std::string_view body, int16_t version);
  // The answer for `key` in either layout: the top-level fields (v0-v3) or the matching entry (v4+).
  // kCorrupt if a v4+ response has no entry for `key`.
  Result<Coordinator> For(const std::string& key) const;
  bool operator==(const FindCoordinatorResponse&) const = default;
};

// ---- JoinGroup (11) ----

struct JoinGroupRequest {
  static constexpr int16_t kApiKey = 11;
  struct Protocol {
    std::string name;
    std::string metadata;
    bool operator==(const Protocol&) const = default;
  };
  std::string group_id;
  int32_t session_timeout_ms = 0;
  int32_t rebalance_timeout_ms = -1;  // v1+
  std::string member_id;
  std::optional<std::string> group_instance_id;  // v5+
  std::string protocol_type;
  std::vector<Protocol> protocols;
  std::optional<std::string> reason;  // v8+

  std::string Encode(int16_t version) const;
  static Result<JoinGroupRequest> Decode(std::string_view body, int16_t version);
  bool operator==(const JoinGroupRequest&) const = default;
};

struct JoinGroupResponse {
  static constexpr int16_t kApiKey = 11;
  struct Member {
    std::string member_id;
    std::optional<std::string> group_instance_id;  // v5+
    std::string metadata;
    bool operator==(const Member&) const = default;
  };
  int32_t throttle_time_ms = 0;  // v2+
  KafkaError error_code = KafkaError::kNone;
  int32_t generation_id = -1;
  std::optional<std::string> protocol_type;  // v7+
  std::optional<std::string> protocol_name;  // non-null "" before v7
  std::string leader;
  bool skip_assignment = false;  // v9+
  std::string member_id;
  std::vector<Member> members;  // only the leader gets them

  std::string Encode(int16_t version) const;
  static Result<JoinGroupResponse> Decode(std::string_view body, int16_t version);
  bool operator==(const JoinGroupResponse&) const = default;
};

// ---- SyncGroup (14) ----

struct SyncGroupRequest {
  static constexpr int16_t kApiKey = 14;
  struct Assignment {
    std::string member_id;
    std::string assignment;
    bool operator==(const Assignment&) const = default;
  };
  std::string group_id;
  int32_t generation_id = -1;
  std::string member_id;
  std::optional<std::string> group_instance_id;  // v3+
  std::optional<std::string> protocol_type;      // v5+
  std::optional<std::string> protocol_name;      // v5+
  std::vector<Assignment> assignments;           // the leader's; empty from followers

  std::string Encode(int16_t version) const;
  static Result<SyncGroupRequest> Decode(std::string_view body, int16_t version);
  bool operator==(const SyncGroupRequest&) const = default;
};

struct SyncGroupResponse {
  static constexpr int16_t kApiKey = 14;
  int32_t throttle_time_ms = 0;  // v1+
  KafkaError error_code = KafkaError::kNone;
  std::optional<std::string> protocol_type;  // v5+
  std::optional<std::string> protocol_name;  // v5+
  std::string assignment;

  std::string Encode(int16_t version) const;
  static Result<SyncGroupResponse> Decode(std::string_view body, int16_t version);
  bool operator==(const SyncGroupResponse&) const = default;
};

// ---- Heartbeat (12) ----

struct HeartbeatRequest {
  static constexpr int16_t kApiKey = 12;
  std::string group_id;
  int32_t generation_id = -1;
  std::string member_id;
  std::optional<std::string> group_instance_id;  // v3+

  std::string Encode(int16_t version) const;
  static Result<HeartbeatRequest> Decode(std::string_view body, int16_t version);
  bool operator==(const HeartbeatRequest&) const = default;
};

struct HeartbeatResponse {
  static constexpr int16_t kApiKey = 12;
  int32_t throttle_time_ms = 0;  // v1+
  KafkaError error_code = KafkaError::kNone;

  std::string Encode(int16_t version) const;
  static Result<HeartbeatResponse> Decode(std::string_view body, int16_t version);
  bool operator==(const HeartbeatResponse&) const = default;
};

// ---- LeaveGroup (13) ----

struct LeaveGroupRequest {
  static constexpr int16_t kApiKey = 13;
  struct Member {  // v3+
    std::string member_id;
    std::optional<std::string> group_instance_id;
    std::optional<std::string> reason;  // v5+
    bool operator==(const Member&) const = default;
  };
  std::string group_id;
  std::string member_id;        // v0-v2
  std::vector<Member> members;  // v3+ (KIP-345 batch)

  std::string Encode(int16_t version) const;
  static Result<LeaveGroupRequest> Decode(std::string_view body, int16_t version);
  bool operator==(const LeaveGroupRequest&) const = default;
};

struct LeaveGroupResponse {
  static constexpr int16_t kApiKey = 13;
  struct Member {  // v3+
    std::string member_id;
    std::optional<std::string> group_instance_id;
    KafkaError error_code = KafkaError::kNone;
    bool operator==(const Member&) const = default;
  };
  int32_t throttle_time_ms = 0;  // v1+
  KafkaError error_code = KafkaError::kNone;
  std::vector<Member> members;  // v3+

  std::string Encode(int16_t version) const;
  static Result<LeaveGroupResponse> Decode(std::string_view body, int16_t version);
  bool operator==(const LeaveGroupResponse&) const = default;
};

// ---- SaslHandshake (17), v1 only, and SaslAuthenticate (36) ----
// v1 of the handshake only names the mechanism; its tokens then go in SaslAuthenticate requests, with
// ordinary Kafka headers (KIP-152). v0's raw tokens after the handshake are not spoken.

struct SaslHandshakeRequest {
  static constexpr int16_t kApiKey = 17;
  std::string mechanism;

  std::string Encode(int16_t version) const;
  static Result<SaslHandshakeRequest> Decode(std::string_view body, int16_t version);
  bool operator==(const SaslHandshakeRequest&) const = default;
};

struct SaslHandshakeResponse {
  static constexpr int16_t kApiKey = 17;
  KafkaError error_code = KafkaError::kNone;
  std::vector<std::string> mechanisms;  // what the listener enables

  std::string Encode(int16_t version) const;
  static Result<SaslHandshakeResponse> Decode(std::string_view body, int16_t version);
  bool operator==(const SaslHandshakeResponse&) const = default;
};

struct SaslAuthenticateRequest {
  static constexpr int16_t kApiKey = 36;
  std::string auth_bytes;  // the mechanism's next client token

  std::string Encode(int16_t version) const;
  static Result<SaslAuthenticateRequest> Decode(std::string_view body, int16_t version);
  bool operator==(const SaslAuthenticateRequest&) const = default;
};

struct SaslAuthenticateResponse {
  static constexpr int16_t kApiKey = 36;
  KafkaError error_code = KafkaError::kNone;
  std::optional<std::string> error_message;
  std::string auth_bytes;           // the server's next token
  int64_t session_lifetime_ms = 0;  // v1+; 0: the broker does not re-authenticate (KIP-368)

  std::string Encode(int16_t version) const;
  static Result<SaslAuthenticateResponse> Decode(std::string_view body, int16_t version);
  bool operator==(const SaslAuthenticateResponse&) const = default;
};

// ---- Metadata (3), v10-v12 only ----
// Ferry asks for metadata only to learn topic IDs, which start at v10 (Kafka 2.8). A broker that
// offers no v10 has no topic IDs to give, so ChooseVersion() fails for it (kUnsupported).

struct MetadataRequest {
  static constexpr int16_t kApiKey = 3;
  struct Topic {
    Uuid topic_id;  // v10+; brokers look topics up by ID only from v12: Ferry sends zero and a name
    std::optional<std::string> name;
    bool operator==(const Topic&) const = default;
  };
  // The topics asked about; Ferry always names them (the null array, "all topics", is not offered).
  std::vector<Topic> topics;
  bool allow_auto_topic_creation = false;  // Kafka's default is true; Ferry never wants a topic made
  bool include_cluster_authorized_operations = false;  // v10 only
  bool include_topic_authorized_operations = false;

  std::string Encode(int16_t version) const;
  static Result<MetadataRequest> Decode(std::string_view body, int16_t version);
  bool operator==(const MetadataRequest&) const = default;
};

struct MetadataResponse {
  static constexpr int16_t kApiKey = 3;
  static constexpr int32_t kNoAuthorizedOperations = INT32_MIN;
  struct Broker {
    int32_t node_id = -1;
    std::string host;
    int32_t port = -1;
    std::optional<std::string> rack;
    bool operator==(const Broker&) const = default;
  };
  struct Partition {
    KafkaError error_code = KafkaError::kNone;
    int32_t partition_index = 0;
    int32_t leader_id = -1;
    int32_t leader_epoch = -1;
    std::vector<int32_t> replica_nodes;
    std::vector<int32_t> isr_nodes;
    std::vector<int32_t> offline_replicas;
    bool operator==(const Partition&) const = default;
  };
  struct Topic {
    KafkaError error_code = KafkaError::kNone;
    std::string name;  // null from v12 for a topic asked about by ID; read as ""
    Uuid topic_id;     // zero for a topic that does not exist
    bool is_internal = false;
    std::vector<Partition> partitions;
    int32_t topic_authorized_operations = kNoAuthorizedOperations;
    bool operator==(const Topic&) const = default;
  };
  int32_t throttle_time_ms = 0;
  std::vector<Broker> brokers;
  std::optional<std::string> cluster_id;
  int32_t controller_id = -1;
  std::vector<Topic> topics;
  int32_t cluster_authorized_operations = kNoAuthorizedOperations;  // v10 only

  std::string Encode(int16_t version) const;
  static Result<MetadataResponse> Decode(std::string_view body, int16_t version);
  bool operator==(const MetadataResponse&) const = default;
};

}  // namespace ferry::group
