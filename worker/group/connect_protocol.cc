#include "worker/group/connect_protocol.h"

#include <algorithm>
#include <cctype>

#include "worker/group/wire.h"

namespace ferry::group {

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

void WriteConnectorTasks(Writer& w, const std::vector<ConnectorTasks>& list) {
  w.ArrayLength(static_cast<int32_t>(list.size()));
  for (const ConnectorTasks& c : list) {
    w.String(c.connector);
    w.ArrayLength(static_cast<int32_t>(c.tasks.size()));
    for (int32_t task : c.tasks) w.Int32(task);
  }
}

// A nullable ARRAY of {connector STRING, tasks ARRAY of INT32}; null reads as empty.
std::vector<ConnectorTasks> ReadConnectorTasks(Reader& r) {
  std::vector<ConnectorTasks> list;
  const int32_t n = r.ArrayLength();
  for (int32_t i = 0; i < n && r.ok(); ++i) {
    ConnectorTasks c;
    c.connector = r.String();
    const int32_t tasks = r.ArrayLength();
    if (tasks < 0) r.Fail("null task array");  // ArrayOf(INT32) is not nullable
    for (int32_t t = 0; t < tasks && r.ok(); ++t) c.tasks.push_back(r.Int32());
    list.push_back(std::move(c));
  }
  return list;
}

Result<> CheckVersion(int16_t version, const char* what, const Reader& r) {
  FERRY_RETURN_IF_ERROR(r.status(what));
  if (version < 0) return Error::Corrupt(std::string(what) + ": unsupported version " + std::to_string(version));
  return Ok();
}

}  // namespace

Result<ConnectProtocol> ParseConnectProtocol(std::string_view value) {
  const std::string v = Lower(value);
  if (v == "eager") return ConnectProtocol::kEager;
  if (v == "compatible") return ConnectProtocol::kCompatible;
  if (v == "sessioned") return ConnectProtocol::kSessioned;
  return Error::InvalidConfig("connect.protocol", "'" + std::string(value) +
                                                      "' is not one of eager, compatible, sessioned");
}

const char* SubProtocolName(ConnectProtocol protocol) {
  switch (protocol) {
    case ConnectProtocol::kEager: return "default";
    case ConnectProtocol::kCompatible: return "compatible";
    case ConnectProtocol::kSessioned: return "sessioned";
  }
  LOG(FATAL) << "unknown ConnectProtocol " << static_cast<int>(protocol);
}

Result<ConnectProtocol> ProtocolForSubProtocolName(std::string_view name) {
  for (ConnectProtocol p : {ConnectProtocol::kEager, ConnectProtocol::kCompatible, ConnectProtocol::kSessioned}) {
    if (name == SubProtocolName(p)) return p;
  }
  return Error(ErrorCode::kUnsupported, "unknown Connect sub-protocol '" + std::string(name) + "'");
}

int16_t ProtocolVersion(ConnectProtocol protocol) {
  switch (protocol) {
    case ConnectProtocol::kEager: return 0;
    case ConnectProtocol::kCompatible: return 1;
    case ConnectProtocol::kSessioned: return 2;
  }
  LOG(FATAL) << "unknown ConnectProtocol " << static_cast<int>(protocol);
}

std::vector<ConnectProtocol> OfferedProtocols(ConnectProtocol configured) {
  switch (configured) {
    case ConnectProtocol::kEager: return {ConnectProtocol::kEager};
    case ConnectProtocol::kCompatible: return {ConnectProtocol::kCompatible, ConnectProtocol::kEager};
    case ConnectProtocol::kSessioned:
      return {ConnectProtocol::kSessioned, ConnectProtocol::kCompatible, ConnectProtocol::kEager};
  }
  LOG(FATAL) << "unknown ConnectProtocol " << static_cast<int>(configured);
}

std::string EncodeMetadata(const WorkerMetadata& metadata) {
  CHECK_GE(metadata.version, 0) << "Connect metadata version";
  Writer w;
  w.Int16(metadata.version);
  w.String(metadata.url);
  w.Int64(metadata.config_offset);
  if (metadata.version >= 1) w.NullableBytes(metadata.allocation);
  return w.Take();
}

Result<WorkerMetadata> DecodeMetadata(std::string_view bytes) {
  Reader r(bytes);
  WorkerMetadata m;
  m.version = r.Int16();
  FERRY_RETURN_IF_ERROR(CheckVersion(m.version, "Connect member metadata", r));
  m.url = r.String();
  m.config_offset = r.Int64();
  // ALLOCATION_V1 tolerates a missing field: v0 metadata (or a v1 without it) has no allocation.
  if (r.ok() && r.remaining() > 0) m.allocation = r.NullableBytes();
  FERRY_RETURN_IF_ERROR(r.status("Connect member metadata"));
  return m;
}

std::vector<std::pair<std::string, std::string>> JoinProtocols(ConnectProtocol configured, const std::string& url,
                                                               int64_t config_offset,
                                                               const std::optional<std::string>& allocation) {
  std::vector<std::pair<std::string, std::string>> protocols;
  for (ConnectProtocol p : OfferedProtocols(configured)) {
    const int16_t version = ProtocolVersion(p);
    protocols.emplace_back(SubProtocolName(p),
                           EncodeMetadata({version, url, config_offset, version >= 1 ? allocation : std::nullopt}));
  }
  return protocols;
}

std::string EncodeAssignment(const ConnectAssignment& a) {
  CHECK_GE(a.version, 0) << "Connect assignment version";
  Writer w;
  w.Int16(a.version);
  w.Int16(a.error);
  w.String(a.leader);
  w.String(a.leader_url);
  w.Int64(a.config_offset);
  WriteConnectorTasks(w, a.assigned);
  if (a.version >= 1) {
    WriteConnectorTasks(w, a.revoked);
    w.Int32(a.delay_ms);
  }
  return w.Take();
}

Result<ConnectAssignment> DecodeAssignment(std::string_view bytes) {
  Reader r(bytes);
  ConnectAssignment a;
  a.version = r.Int16();
  FERRY_RETURN_IF_ERROR(CheckVersion(a.version, "Connect assignment", r));
  // ASSIGNMENT_V1 with TOLERATE_MISSING_FIELDS_WITH_DEFAULTS: the first four fields are required,
  // the rest default when the buffer ends before them.
  a.error = r.Int16();
  a.leader = r.String();
  a.leader_url = r.String();
  a.config_offset = r.Int64();
  if (r.ok() && r.remaining() > 0) a.assigned = ReadConnectorTasks(r);
  if (r.ok() && r.remaining() > 0) a.revoked = ReadConnectorTasks(r);
  if (r.ok() && r.remaining() > 0) a.delay_ms = r.Int32();
  FERRY_RETURN_IF_ERROR(r.status("Connect assignment"));
  return a;
}

}  // namespace ferry::group
