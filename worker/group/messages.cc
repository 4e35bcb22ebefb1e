#include "worker/group/messages.h"

#include <algorithm>

#include <librdkafka/rdkafka.h>

#include "worker/group/wire.h"

namespace ferry::group {

namespace {

struct ApiInfo {
  int16_t key;
  const char* name;
  VersionRange supported;
  int16_t first_flexible;
};

constexpr ApiInfo kApis[] = {
    {MetadataRequest::kApiKey, "Metadata", {10, 12}, 9},
    {FindCoordinatorRequest::kApiKey, "FindCoordinator", {0, 4}, 3},
    {JoinGroupRequest::kApiKey, "JoinGroup", {0, 9}, 6},
    {HeartbeatRequest::kApiKey, "Heartbeat", {0, 4}, 4},
    {LeaveGroupRequest::kApiKey, "LeaveGroup", {0, 5}, 4},
    {SyncGroupRequest::kApiKey, "SyncGroup", {0, 5}, 4},
    {ApiVersionsRequest::kApiKey, "ApiVersions", {0, 3}, 3},
    {SaslHandshakeRequest::kApiKey, "SaslHandshake", {1, 1}, 99},  // never flexible
    {SaslAuthenticateRequest::kApiKey, "SaslAuthenticate", {0, 2}, 2},
};

const ApiInfo* FindApi(int16_t api_key) {
  for (const ApiInfo& api : kApis) {
    if (api.key == api_key) return &api;
  }
  return nullptr;
}

const ApiInfo& CheckedApi(int16_t api_key, int16_t version) {
  const ApiInfo* api = FindApi(api_key);
  CHECK(api != nullptr) << "Ferry does not speak API key " << api_key;
  CHECK(version >= api->supported.min && version <= api->supported.max)
      << api->name << " v" << version << " is outside Ferry's range " << api->supported.min << "-"
      << api->supported.max;
  return *api;
}

// The two directions of one schema. A message's fields are listed once, in a template run with an
// Encoder over a const message or a Decoder over a mutable one, so both directions always agree.
// `flex` selects the compact forms and the tagged-field sections.
class Encoder {
 public:
  explicit Encoder(bool flex) : flex_(flex) {}

  bool flex() const { return flex_; }
  void Int8(int8_t v) { w_.Int8(v); }
  void Int16(int16_t v) { w_.Int16(v); }
  void Int32(int32_t v) { w_.Int32(v); }
  void Int64(int64_t v) { w_.Int64(v); }
  void Bool(bool v) { w_.Bool(v); }
  void Code(KafkaError e) { w_.Int16(static_cast<int16_t>(e)); }
  void String(const std::string& s) { flex_ ? w_.CompactString(s) : w_.String(s); }
  void NullableString(const std::optional<std::string>& s) {
    flex_ ? w_.CompactNullableString(s) : w_.NullableString(s);
  }
  // A field that is a STRING in some versions and a NULLABLE_STRING in others.
  void MaybeNullString(const std::optional<std::string>& s, bool nullable) {
    if (nullable) return NullableString(s);
    String(s.value_or(""));
  }
  void Bytes(const std::string& b) { flex_ ? w_.CompactBytes(b) : w_.Bytes(b); }
  void Uuid(const group::Uuid& u) {
    w_.Int64(static_cast<int64_t>(u.high));
    w_.Int64(static_cast<int64_t>(u.low));
  }
  template <typename T, typename F>
  void Array(const std::vector<T>& items, F&& each) {
    const auto n = static_cast<int32_t>(items.size());
    flex_ ? w_.CompactArrayLength(n) : w_.ArrayLength(n);
    for (const T& item : items) each(item);
  }
  void Tags() {
    if (flex_) w_.EmptyTaggedFields();
  }

  std::string Take() { return w_.Take(); }

 private:
  bool flex_;
  Writer w_;
};

class Decoder {
 public:
  Decoder(std::string_view body, bool flex) : flex_(flex), r_(body) {}

  bool flex() const { return flex_; }
  void Int8(int8_t& v) { v = r_.Int8(); }
  void Int16(int16_t& v) { v = r_.Int16(); }
  void Int32(int32_t& v) { v = r_.Int32(); }
  void Int64(int64_t& v) { v = r_.Int64(); }
  void Bool(bool& v) { v = r_.Bool(); }
  void Code(KafkaError& e) { e = static_cast<KafkaError>(r_.Int16()); }
  // Lenient: a null where a STRING belongs reads as "" (the mock writes those in error responses).
  void String(std::string& s) {
    s = (flex_ ? r_.CompactNullableString() : r_.NullableString()).value_or("");
  }
  void NullableString(std::optional<std::string>& s) {
    s = flex_ ? r_.CompactNullableString() : r_.NullableString();
  }
  void MaybeNullString(std::optional<std::string>& s, bool nullable) {
    if (nullable) return NullableString(s);
    std::string v;
    String(v);
    s = std::move(v);
  }
  // Lenient like String(): the mock answers a failed SyncGroup with null BYTES.
  void Bytes(std::string& b) {
    b = (flex_ ? r_.CompactNullableBytes() : r_.NullableBytes()).value_or("");
  }
  void Uuid(group::Uuid& u) {
    u.high = static_cast<uint64_t>(r_.Int64());
    u.low = static_cast<uint64_t>(r_.Int64());
  }
  template <typename T, typename F>
  void Array(std::vector<T>& items, F&& each) {
    const int32_t n = flex_ ? r_.CompactArrayLength() : r_.ArrayLength();
    items.clear();
    for (int32_t i = 0; i < n && r_.ok(); ++i) {
      items.emplace_back();
      each(items.back());
    }
  }
  void Tags() {
    if (flex_) r_.SkipTaggedFields();
  }

  Reader& reader() { return r_; }

 private:
  bool flex_;
  Reader r_;
};

std::string What(int16_t api_key, int16_t version, const char* direction) {
  return std::string(ApiName(api_key)) + " v" + std::to_string(version) + " " + direction;
}

template <typename Msg, typename FieldsFn>
std::string EncodeWith(const Msg& msg, int16_t version, FieldsFn fields) {
  CheckedApi(Msg::kApiKey, version);
  Encoder e(IsFlexible(Msg::kApiKey, version));
  fields(e, msg, version);
  return e.Take();
}

template <typename Msg, typename FieldsFn>
Result<Msg> DecodeWith(std::string_view body, int16_t version, const char* direction, FieldsFn fields) {
  CheckedApi(Msg::kApiKey, version);
  Decoder d(body, IsFlexible(Msg::kApiKey, version));
  Msg msg;
  fields(d, msg, version);
  FERRY_RETURN_IF_ERROR(d.reader().Finish(What(Msg::kApiKey, version, direction)));
  return msg;
}

// ---- schemas ----

template <typename Io, typename M>
void ApiVersionsRequestFields(Io& io, M& m, int16_t v) {
  if (v < 3) return;  // v0-v2: empty body
  io.String(m.client_software_name);
  io.String(m.client_software_version);
  io.Tags();
}

template <typename Io, typename M>
void ApiVersionsResponseFields(Io& io, M& m, int16_t v) {
  io.Code(m.error_code);
  io.Array(m.api_keys, [&](auto& k) {
    io.Int16(k.api_key);
    io.Int16(k.min_version);
    io.Int16(k.max_version);
    io.Tags();
  });
  if (v >= 1) io.Int32(m.throttle_time_ms);
  io.Tags();
}

template <typename Io, typename M>
void FindCoordinatorRequestFields(Io& io, M& m, int16_t v) {
  if (v <= 3) {
    io.String(m.key);
    if (v >= 1) io.Int8(m.key_type);
  } else {
    io.Int8(m.key_type);
    io.Array(m.coordinator_keys, [&](auto& key) { io.String(key); });
  }
  io.Tags();
}

template <typename Io, typename M>
void FindCoordinatorResponseFields(Io& io, M& m, int16_t v) {
  if (v >= 1) io.Int32(m.throttle_time_ms);
  if (v <= 3) {
    io.Code(m.error_code);
    if (v >= 1) io.NullableString(m.error_message);
    io.Int32(m.node_id);
    io.String(m.host);
    io.Int32(m.port);
  } else {
    io.Array(m.coordinators, [&](auto& c) {
      io.String(c.key);
      io.Int32(c.node_id);
      io.String(c.host);
      io.Int32(c.port);
      io.Code(c.error_code);
      io.NullableString(c.error_message);
      io.Tags();
    });
  }
  io.Tags();
}

template <typename Io, typename M>
void JoinGroupRequestFields(Io& io, M& m, int16_t v) {
  io.String(m.group_id);
  io.Int32(m.session_timeout_ms);
  if (v >= 1) io.Int32(m.rebalance_timeout_ms);
  io.String(m.member_id);
  if (v >= 5) io.NullableString(m.group_instance_id);
  io.String(m.protocol_type);
  io.Array(m.protocols, [&](auto& p) {
    io.String(p.name);
    io.Bytes(p.metadata);
    io.Tags();
  });
  if (v >= 8) io.NullableString(m.reason);
  io.Tags();
}

template <typename Io, typename M>
void JoinGroupResponseFields(Io& io, M& m, int16_t v) {
  if (v >= 2) io.Int32(m.throttle_time_ms);
  io.Code(m.error_code);
  io.Int32(m.generation_id);
  if (v >= 7) io.NullableString(m.protocol_type);
  io.MaybeNullString(m.protocol_name, /*nullable=*/v >= 7);
  io.String(m.leader);
  if (v >= 9) io.Bool(m.skip_assignment);
  io.String(m.member_id);
  io.Array(m.members, [&](auto& member) {
    io.String(member.member_id);
    if (v >= 5) io.NullableString(member.group_instance_id);
    io.Bytes(member.metadata);
    io.Tags();
  });
  io.Tags();
}

template <typename Io, typename M>
void SyncGroupRequestFields(Io& io, M& m, int16_t v) {
  io.String(m.group_id);
  io.Int32(m.generation_id);
  io.String(m.member_id);
  if (v >= 3) io.NullableString(m.group_instance_id);
  if (v >= 5) {
    io.NullableString(m.protocol_type);
    io.NullableString(m.protocol_name);
  }
  io.Array(m.assignments, [&](auto& a) {
    io.String(a.member_id);
    io.Bytes(a.assignment);
    io.Tags();
  });
  io.Tags();
}

template <typename Io, typename M>
void SyncGroupResponseFields(Io& io, M& m, int16_t v) {
  if (v >= 1) io.Int32(m.throttle_time_ms);
  io.Code(m.error_code);
  if (v >= 5) {
    io.NullableString(m.protocol_type);
    io.NullableString(m.protocol_name);
  }
  io.Bytes(m.assignment);
  io.Tags();
}

template <typename Io, typename M>
void HeartbeatRequestFields(Io& io, M& m, int16_t v) {
  io.String(m.group_id);
  io.Int32(m.generation_id);
  io.String(m.member_id);
  if (v >= 3) io.NullableString(m.group_instance_id);
  io.Tags();
}

template <typename Io, typename M>
void HeartbeatResponseFields(Io& io, M& m, int16_t v) {
  if (v >= 1) io.Int32(m.throttle_time_ms);
  io.Code(m.error_code);
  io.Tags();
}

template <typename Io, typename M>
void LeaveGroupRequestFields(Io& io, M& m, int16_t v) {
  io.String(m.group_id);
  if (v <= 2) {
    io.String(m.member_id);
  } else {
    io.Array(m.members, [&](auto& member) {
      io.String(member.member_id);
      io.NullableString(member.group_instance_id);
      if (v >= 5) io.NullableString(member.reason);
      io.Tags();
    });
  }
  io.Tags();
}

template <typename Io, typename M>
void LeaveGroupResponseFields(Io& io, M& m, int16_t v) {
  if (v >= 1) io.Int32(m.throttle_time_ms);
  io.Code(m.error_code);
  if (v >= 3) {
    io.Array(m.members, [&](auto& member) {
      io.String(member.member_id);
      io.NullableString(member.group_instance_id);
      io.Code(member.error_code);
      io.Tags();
    });
  }
  io.Tags();
}

// Metadata v10-v12 (every one flexible). v10 and v11 carry a topic ID in the request that brokers
// ignore; v12 is the first that looks a topic up by it.
template <typename Io, typename M>
void MetadataRequestFields(Io& io, M& m, int16_t v) {
  io.Array(m.topics, [&](auto& t) {
    io.Uuid(t.topic_id);
    io.NullableString(t.name);
    io.Tags();
  });
  io.Bool(m.allow_auto_topic_creation);
  if (v <= 10) io.Bool(m.include_cluster_authorized_operations);
  io.Bool(m.include_topic_authorized_operations);
  io.Tags();
}

template <typename Io, typename M>
void MetadataResponseFields(Io& io, M& m, int16_t v) {
  io.Int32(m.throttle_time_ms);
  io.Array(m.brokers, [&](auto& b) {
    io.Int32(b.node_id);
    io.String(b.host);
    io.Int32(b.port);
    io.NullableString(b.rack);
    io.Tags();
  });
  io.NullableString(m.cluster_id);
  io.Int32(m.controller_id);
  io.Array(m.topics, [&](auto& t) {
    io.Code(t.error_code);
    io.String(t.name);  // nullable from v12; lenient
    io.Uuid(t.topic_id);
    io.Bool(t.is_internal);
    io.Array(t.partitions, [&](auto& p) {
      io.Code(p.error_code);
      io.Int32(p.partition_index);
      io.Int32(p.leader_id);
      io.Int32(p.leader_epoch);
      io.Array(p.replica_nodes, [&](auto& node) { io.Int32(node); });
      io.Array(p.isr_nodes, [&](auto& node) { io.Int32(node); });
      io.Array(p.offline_replicas, [&](auto& node) { io.Int32(node); });
      io.Tags();
    });
    io.Int32(t.topic_authorized_operations);
    io.Tags();
  });
  if (v <= 10) io.Int32(m.cluster_authorized_operations);
  io.Tags();
}

template <typename Io, typename M>
void SaslHandshakeRequestFields(Io& io, M& m, int16_t) {
  io.String(m.mechanism);
}

template <typename Io, typename M>
void SaslHandshakeResponseFields(Io& io, M& m, int16_t) {
  io.Code(m.error_code);
  io.Array(m.mechanisms, [&](auto& name) { io.String(name); });
}

template <typename Io, typename M>
void SaslAuthenticateRequestFields(Io& io, M& m, int16_t) {
  io.Bytes(m.auth_bytes);
  io.Tags();
}

template <typename Io, typename M>
void SaslAuthenticateResponseFields(Io& io, M& m, int16_t v) {
  io.Code(m.error_code);
  io.NullableString(m.error_message);
  io.Bytes(m.auth_bytes);
  if (v >= 1) io.Int64(m.session_lifetime_ms);
  io.Tags();
}

// Wraps a Fields template so EncodeWith/DecodeWith can take it as a value.
#define FERRY_FIELDS(name) [](auto& io, auto& m, int16_t v) { name##Fields(io, m, v); }

}  // namespace

std::string KafkaErrorName(KafkaError error) {
  const auto code = static_cast<int16_t>(error);
  return std::string(rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(code))) + " (" +
         std::to_string(code) + ")";
}

VersionRange SupportedVersions(int16_t api_key) {
  const ApiInfo* api = FindApi(api_key);
  return api != nullptr ? api->supported : VersionRange{0, -1};
}

const char* ApiName(int16_t api_key) {
  const ApiInfo* api = FindApi(api_key);
  return api != nullptr ? api->name : "UnknownApi";
}

bool IsFlexible(int16_t api_key, int16_t version) {
  const ApiInfo* api = FindApi(api_key);
  CHECK(api != nullptr) << "Ferry does not speak API key " << api_key;
  return version >= api->first_flexible;
}

int RequestHeaderVersion(int16_t api_key, int16_t version) { return IsFlexible(api_key, version) ? 2 : 1; }

int ResponseHeaderVersion(int16_t api_key, int16_t version) {
  // KIP-511: ApiVersions always answers with header v0, so a client can read it before it knows
  // which versions the broker speaks.
  if (api_key == ApiVersionsRequest::kApiKey) return 0;
  return IsFlexible(api_key, version) ? 1 : 0;
}

Result<int16_t> ChooseVersion(int16_t api_key, const ApiVersionsResponse& broker) {
  const VersionRange ours = SupportedVersions(api_key);
  for (const auto& theirs : broker.api_keys) {
    if (theirs.api_key != api_key) continue;
    const int16_t version = std::min(ours.max, theirs.max_version);
    if (version < ours.min || version < theirs.min_version) break;
    return version;
  }
  return Error(ErrorCode::kUnsupported,
               std::string("the broker supports no version of ") + ApiName(api_key) + " that Ferry speaks (" +
                   std::to_string(ours.min) + "-" + std::to_string(ours.max) + ")");
}

// ---- Uuid ----

namespace {

constexpr char kBase64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int Base64UrlValue(char c) {
  for (int i = 0; i < 64; ++i) {
    if (kBase64Url[i] == c) return i;
  }
  return -1;
}

}  // namespace

std::string Uuid::ToString() const {
  // 128 bits as 21 groups of 6 bits and a last group of 2 bits padded with four zero bits.
  unsigned char bytes[16];
  for (int i = 0; i < 8; ++i) {
    bytes[i] = static_cast<unsigned char>(high >> (56 - 8 * i));
    bytes[8 + i] = static_cast<unsigned char>(low >> (56 - 8 * i));
  }
  std::string out;
  out.reserve(22);
  for (int i = 0; i < 16; i += 3) {
    const uint32_t n = (uint32_t{bytes[i]} << 16) | (i + 1 < 16 ? uint32_t{bytes[i + 1]} << 8 : 0) |
                       (i + 2 < 16 ? uint32_t{bytes[i + 2]} : 0);
    const int chars = i + 2 < 16 ? 4 : 2;  // the last group holds one byte: two characters
    for (int c = 0; c < chars; ++c) out.push_back(kBase64Url[(n >> (18 - 6 * c)) & 63]);
  }
  return out;
}

Result<Uuid> Uuid::Parse(std::string_view text) {
  if (text.size() != 22) {
    return Error::Corrupt("'" + std::string(text) + "' is not a Kafka uuid (22 base64url characters)");
  }
  unsigned char bytes[16];
  size_t out = 0;
  for (size_t i = 0; i < 22; i += 4) {
    const size_t chars = std::min<size_t>(4, 22 - i);
    uint32_t n = 0;
    for (size_t c = 0; c < 4; ++c) {
      int value = 0;
      if (c < chars) {
        value = Base64UrlValue(text[i + c]);
        if (value < 0) {
          return Error::Corrupt("'" + std::string(text) + "' is not a Kafka uuid (22 base64url characters)");
        }
      }
      n = (n << 6) | static_cast<uint32_t>(value);
    }
    for (size_t b = 0; b < chars - 1; ++b) bytes[out++] = static_cast<unsigned char>(n >> (16 - 8 * b));
    if (chars == 2 && (n & 0xffff) != 0) {  // the four padding bits of the last character must be 0
      return Error::Corrupt("'" + std::string(text) + "' is not a Kafka uuid (its last character has padding bits set)");
    }
  }
  Uuid u;
  for (int i = 0; i < 8; ++i) {
    u.high = (u.high << 8) | bytes[i];
    u.low = (u.low << 8) | bytes[8 + i];
  }
  return u;
}

// ---- ApiVersions ----

std::string ApiVersionsRequest::Encode(int16_t version) const {
  return EncodeWith(*this, version, FERRY_FIELDS(ApiVersionsRequest));
}
Result<ApiVersionsRequest> ApiVersionsRequest::Decode(std::string_view body, int16_t version) {
  return DecodeWith<ApiVersionsRequest>(body, version, "request", FERRY_FIELDS(ApiVersionsRequest));
}
std::string ApiVersionsResponse::Encode(int16_t version) const {
  return EncodeWith(*this, version, FERRY_FIELDS(ApiVersionsResponse));
}
Result<ApiVersionsResponse> ApiVersionsResponse::Decode(std::string_view body, int16_t version) {
  CheckedApi(kApiKey, version);
  Reader peek(body);
  if (static_cast<KafkaError>(peek.Int16()) == KafkaError::kUnsupportedVersion && peek.ok()) {
    // KIP-511: the broker answers a version it does not know in v0 layout. Anything after the v0
    // fields (a throttle time) is ignored.
    Decoder d(body, /*flex=*/false);
    ApiVersionsResponse m;
    ApiVersionsResponseFields(d, m, 0);
    FERRY_RETURN_IF_ERROR(d.reader().status("ApiVersions error response"));
    return m;
  }
  return DecodeWith<ApiVersionsResponse>(body, version, "response", FERRY_FIELDS(ApiVersionsResponse));
}

// ---- FindCoordinator ----

std::string FindCoordinatorRequest::Encode(int16_t version) const {
  return EncodeWith(*this, version, FERRY_FIELDS(FindCoordinatorRequest));
}
Result<FindCoordinatorRequest> FindCoordinatorRequest::Decode(std::string_view body, int16_t version) {
  return DecodeWith<FindCoordinatorRequest>(body, version, "request", FERRY_FIELDS(FindCoordinatorRequest));
}
std::string FindCoordinatorResponse::Encode(int16_t version) const {
  return EncodeWith(*this, version, FERRY_FIELDS(FindCoordinatorResponse));
}
Result<FindCoordinatorResponse> FindCoordinatorResponse::Decode(std::string_view body, int16_t version) {
  return DecodeWith<FindCoordinatorResponse>(body, version, "response", FERRY_FIELDS(FindCoordinatorResponse));
}

Result<FindCoordinatorResponse::Coordinator> FindCoordinatorResponse::For(const std::string& key) const {
  for (const Coordinator& c : coordinators) {
    if (c.key == key) return c;
  }
  if (!coordinators.empty()) {
    return Error::Corrupt("FindCoordinator response has no entry for key '" + key + "'");
  }
  return Coordinator{key, node_id, host, port, error_code, error_message};
}

// ---- JoinGroup ----

std::string JoinGroupRequest::Encode(int16_t version) const {
  return EncodeWith(*this, version, FERRY_FIELDS(JoinGroupRequest));
}
Result<JoinGroupRequest> JoinGroupRequest::Decode(std::string_view body, int16_t version) {
  return DecodeWith<JoinGroupRequest>(body, version, "request", FERRY_FIELDS(JoinGroupRequest));
}
std::string JoinGroupResponse::Encode(int16_t version) const {
  return EncodeWith(*this, version, FERRY_FIELDS(JoinGroupResponse));
}
Result<JoinGroupResponse> JoinGroupResponse::Decode(std::string_view body, int16_t version) {
  return DecodeWith<JoinGroupResponse>(body, version, "response", FERRY_FIELDS(JoinGroupResponse));
}

// ---- SyncGroup ----

std::string SyncGroupRequest::Encode(int16_t version) const {
  return EncodeWith(*this, version, FERRY_FIELDS(SyncGroupRequest));
}
Result<SyncGroupRequest> SyncGroupRequest::Decode(std::string_view body, int16_t version) {
  return DecodeWith<SyncGroupRequest>(body, version, "request", FERRY_FIELDS(SyncGroupRequest));
}
std::string SyncGroupResponse::Encode(int16_t version) const {
  return EncodeWith(*this, version, FERRY_FIELDS(SyncGroupResponse));
}
Result<SyncGroupResponse> SyncGroupResponse::Decode(std::string_view body, int16_t version) {
  return DecodeWith<SyncGroupResponse>(body, version, "response", FERRY_FIELDS(SyncGroupResponse));
}

// ---- Heartbeat ----

std::string HeartbeatRequest::Encode(int16_t version) const {
  return EncodeWith(*this, version, FERRY_FIELDS(HeartbeatRequest));
}
Result<HeartbeatRequest> HeartbeatRequest::Decode(std::string_view body, int16_t version) {
  return DecodeWith<HeartbeatRequest>(body, version, "request", FERRY_FIELDS(HeartbeatRequest));
}
std::string HeartbeatResponse::Encode(int16_t version) const {
  return EncodeWith(*this, version, FERRY_FIELDS(HeartbeatResponse));
}
Result<HeartbeatResponse> HeartbeatResponse::Decode(std::string_view body, int16_t version) {
  return DecodeWith<HeartbeatResponse>(body, version, "response", FERRY_FIELDS(HeartbeatResponse));
}

// ---- LeaveGroup ----

std::string LeaveGroupRequest::Encode(int16_t version) const {
  return EncodeWith(*this, version, FERRY_FIELDS(LeaveGroupRequest));
}
Result<LeaveGroupRequest> LeaveGroupRequest::Decode(std::string_view body, int16_t version) {
  return DecodeWith<LeaveGroupRequest>(body, version, "request", FERRY_FIELDS(LeaveGroupRequest));
}
std::string LeaveGroupResponse::Encode(int16_t version) const {
  return EncodeWith(*this, version, FERRY_FIELDS(LeaveGroupResponse));
}
Result<LeaveGroupResponse> LeaveGroupResponse::Decode(std::string_view body, int16_t version) {
  return DecodeWith<LeaveGroupResponse>(body, version, "response", FERRY_FIELDS(LeaveGroupResponse));
}

// ---- Metadata ----

std::string MetadataRequest::Encode(int16_t version) const {
  return EncodeWith(*this, version, FERRY_FIELDS(MetadataRequest));
}
Result<MetadataRequest> MetadataRequest::Decode(std::string_view body, int16_t version) {
  return DecodeWith<MetadataRequest>(body, version, "request", FERRY_FIELDS(MetadataRequest));
}
std::string MetadataResponse::Encode(int16_t version) const {
  return EncodeWith(*this, version, FERRY_FIELDS(MetadataResponse));
}
Result<MetadataResponse> MetadataResponse::Decode(std::string_view body, int16_t version) {
  return DecodeWith<MetadataResponse>(body, version, "response", FERRY_FIELDS(MetadataResponse));
}

// ---- SaslHandshake, SaslAuthenticate ----

#define FERRY_CODEC(Type, direction)                                                  \
  std::string Type::Encode(int16_t version) const {                                   \
    return EncodeWith(*this, version, FERRY_FIELDS(Type));                            \
  }                                                                                   \
  Result<Type> Type::Decode(std::string_view body, int16_t version) {                 \
    return DecodeWith<Type>(body, version, direction, FERRY_FIELDS(Type));            \
  }

FERRY_CODEC(SaslHandshakeRequest, "request")
FERRY_CODEC(SaslHandshakeResponse, "response")
FERRY_CODEC(SaslAuthenticateRequest, "request")
FERRY_CODEC(SaslAuthenticateResponse, "response")

#undef FERRY_CODEC

#undef FERRY_FIELDS

}  // namespace ferry::group
