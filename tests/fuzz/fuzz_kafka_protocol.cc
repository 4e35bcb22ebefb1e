// Fuzz target: what a Kafka broker (or anything answering on its address) sends Ferry's own group
// client (worker/group): every response body of worker/group/messages.h in every version Ferry
// speaks, Connect's member metadata and assignments (worker/group/connect_protocol.h) as the group
// leader hands them out, and the SASL server tokens (SCRAM's server-first and server-final messages)
// with the base64 they carry. A decoded message must encode again; nothing may crash or hang.
//
// Input: byte 0 picks the version (modulo each API's supported range), the rest is the body.
#include <cstddef>
#include <cstdint>
#include <string>

#include <glog/logging.h>

#include "tests/fuzz/fuzz_input.h"
#include "worker/common/base64.h"
#include "worker/group/connect_protocol.h"
#include "worker/group/messages.h"
#include "worker/group/sasl.h"

namespace {

using namespace ferry::group;

template <typename Msg>
void Decode(uint8_t selector, std::string_view body) {
  const VersionRange range = SupportedVersions(Msg::kApiKey);
  const int16_t version = static_cast<int16_t>(range.min + selector % (range.max - range.min + 1));
  auto decoded = Msg::Decode(body, version);
  if (!decoded.ok()) {
    CHECK(decoded.error().code() == ferry::ErrorCode::kCorrupt) << decoded.error().ToString();
    return;
  }
  (void)decoded->Encode(version);
}

void Scram(ScramHash hash, std::string_view first, std::string_view final) {
  auto client = NewScramClient(hash, "ferry", "secret", "fyko+d2lbbFgONRv9qkxdawL");
  CHECK(client->Initial().ok());
  auto next = client->Next(first);
  if (next.ok() && next->has_value()) (void)client->Next(final);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool quiet = [] { return FLAGS_minloglevel = google::GLOG_FATAL, true; }();
  (void)quiet;
  if (size == 0) return 0;
  const uint8_t selector = data[0];
  const std::string_view body = ferry::fuzz::AsText(data + 1, size - 1);
  Decode<ApiVersionsResponse>(selector, body);
  Decode<FindCoordinatorResponse>(selector, body);
  Decode<JoinGroupResponse>(selector, body);
  Decode<SyncGroupResponse>(selector, body);
  Decode<HeartbeatResponse>(selector, body);
  Decode<LeaveGroupResponse>(selector, body);
  Decode<SaslHandshakeResponse>(selector, body);
  Decode<SaslAuthenticateResponse>(selector, body);
  Decode<MetadataResponse>(selector, body);
  // Requests too: a worker decodes its peers' requests in tests only, but the decoders are shared.
  Decode<JoinGroupRequest>(selector, body);
  Decode<SyncGroupRequest>(selector, body);
  (void)DecodeMetadata(body);
  (void)DecodeAssignment(body);
  (void)ParseConnectProtocol(body);
  (void)ferry::Base64Decode(body);
  const size_t cut = body.find('\n');
  const std::string_view first = body.substr(0, cut);
  const std::string_view final = cut == std::string_view::npos ? std::string_view() : body.substr(cut + 1);
  Scram(selector % 2 == 0 ? ScramHash::kSha256 : ScramHash::kSha512, first, final);
  (void)ParseUnsecuredJwtConfig(body);
  return 0;
}
