// Kafka Connect's group sub-protocols and their bytes (connect-internals.md (e); Java's
// ConnectProtocol and IncrementalCooperativeConnectProtocol): the member metadata a worker sends in
// JoinGroup and the assignment the leader hands out in SyncGroup. Byte-compatible with Java workers.
//
// Decoding follows Java: one decoder for every version (the v1 layout); versions < 0 are rejected,
// higher ones parsed as the known layout; missing trailing optional fields take their defaults
// (allocation null, assignment/revoked empty, delay 0); trailing bytes are ignored.
// Thread-safety: values and pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "worker/common/result.h"

namespace ferry::group {

// The worker setting `connect.protocol`.
enum class ConnectProtocol { kEager, kCompatible, kSessioned };

inline constexpr char kConnectProtocolType[] = "connect";  // JoinGroup ProtocolType

// "eager" | "compatible" | "sessioned", case-insensitive as in Java.
Result<ConnectProtocol> ParseConnectProtocol(std::string_view value);
// The JoinGroup protocol name: "default" (eager), "compatible", "sessioned".
const char* SubProtocolName(ConnectProtocol protocol);
// The inverse of SubProtocolName, for the protocol the coordinator chose; kUnsupported otherwise.
Result<ConnectProtocol> ProtocolForSubProtocolName(std::string_view name);
// Member metadata / assignment version of a protocol: 0, 1 or 2.
int16_t ProtocolVersion(ConnectProtocol protocol);
// What a worker configured with `configured` offers, in preference order:
// sessioned -> [sessioned, compatible, eager]; compatible -> [compatible, eager]; eager -> [eager].
std::vector<ConnectProtocol> OfferedProtocols(ConnectProtocol configured);

// A worker's JoinGroup metadata ("subscription").
struct WorkerMetadata {
  int16_t version = 0;  // 0 = default, 1 = compatible, 2 = sessioned
  std::string url;      // advertised REST URL, e.g. "http://10.0.0.5:8083/"
  int64_t config_offset = -1;
  // v1+: the worker's current assignment as an encoded ConnectAssignment; null if it has none.
  std::optional<std::string> allocation;

  bool operator==(const WorkerMetadata&) const = default;
};

std::string EncodeMetadata(const WorkerMetadata& metadata);  // v0 writes no allocation
Result<WorkerMetadata> DecodeMetadata(std::string_view bytes);

// The JoinGroup protocols of a worker configured with `configured`, in preference order, each as
// (name, metadata bytes) for the same worker state.
std::vector<std::pair<std::string, std::string>> JoinProtocols(ConnectProtocol configured, const std::string& url,
                                                               int64_t config_offset,
                                                               const std::optional<std::string>& allocation);

// One connector's share of an assignment; task id -1 (kConnectorTask) stands for the connector itself.
inline constexpr int32_t kConnectorTask = -1;
struct ConnectorTasks {
  std::string connector;
  std::vector<int32_t> tasks;

  bool operator==(const ConnectorTasks&) const = default;
};

struct ConnectAssignment {
  static constexpr int16_t kNoError = 0;
  static constexpr int16_t kConfigMismatch = 1;  // leader is behind: read the config topic to the end, rejoin

  int16_t version = 0;  // 0 = eager; 1, 2 add revoked and delay
  int16_t error = kNoError;
  std::string leader;      // leader member id
  std::string leader_url;  // leader's REST URL
  int64_t config_offset = -1;
  std::vector<ConnectorTasks> assigned;  // v0: everything the member runs; v1+: what is new
  std::vector<ConnectorTasks> revoked;   // v1+
  int32_t delay_ms = 0;                  // v1+: scheduled rebalance delay

  bool operator==(const ConnectAssignment&) const = default;
};

std::string EncodeAssignment(const ConnectAssignment& assignment);  // v0 writes no revoked/delay
Result<ConnectAssignment> DecodeAssignment(std::string_view bytes);

}  // namespace ferry::group
