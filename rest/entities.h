// The JSON of Connect's REST entities (connect/runtime/.../rest/entities/*.java), written compactly
// with Connect's field names and field order, and the parsing of request bodies.
//
// Parsing is strict: a body must be one well-formed JSON value in UTF-8 (no comments, no trailing
// commas, nothing after it) of the expected shape, and unknown fields of fixed-shape requests are
// rejected. Settings maps are read the way Connect's Jackson reads a Map<String, String>: JSON
// strings as they are, numbers and booleans as their text exactly as written ("tasks.max": 2 is
// "2"), objects and arrays rejected. Every parse error is Error::BadRequest (HTTP 400) with a
// message that names the problem.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "connectors/config_def.h"
#include "worker/common/result.h"
#include "worker/common/types.h"
#include "worker/herder.h"

namespace ferry::rest {

// A settings map whose values may be JSON null (PATCH /connectors/{name}/config removes those keys;
// elsewhere null is an error the caller reports).
using NullableProperties = std::map<std::string, std::optional<std::string>>;

// POST /connectors: {"name":"...","config":{...},"initial_state":"RUNNING|PAUSED|STOPPED"}.
struct CreateConnectorRequest {
  std::string name;                          // trimmed; "" when absent or null
  std::optional<NullableProperties> config;  // nullopt when absent or null
  std::optional<TargetState> initial_state;  // RUNNING -> kStarted, case-insensitive
};

// One logger's level: {"level":"DEBUG","last_modified":1700000000000}; last_modified is null until
// the level is changed through REST.
struct LoggerLevel {
  std::string level;
  std::optional<int64_t> last_modified;
};

// GET /connectors?expand=...: what to show for one connector, in the order asked for.
struct ConnectorExpansion {
  std::string name;
  std::vector<std::pair<std::string, std::string>> parts;  // ("status" | "info", JSON text)
};

// --- Writing (all return compact JSON text) ---
std::string ToJson(const worker::ServerInfo& info);
std::string ToJson(const worker::ConnectorInfo& info);
std::string ToJson(const worker::ConnectorStateInfo& state);
std::string ToJson(const worker::TaskStateInfo& task);
std::string ToJson(const std::vector<worker::TaskInfo>& tasks);  // [{"id":{...},"config":{...}}]
std::string ToJson(const std::vector<std::string>& strings);     // ["a","b"]
std::string ToJson(const Properties& config);                    // {"k":"v"}
std::string ToJson(const connectors::ConfigInfos& infos);
std::string ToJson(const std::vector<connectors::ConfigKey>& keys);  // ConfigKeyInfo[]
std::string ToJson(const std::vector<worker::PluginInfo>& plugins);
std::string ToJson(const LoggerLevel& level);
std::string ToJson(const std::map<std::string, LoggerLevel>& levels);
// ConnectorOffsets: {"offsets":[{"partition":{...},"offset":{...}}]}. The partition and offset JSON
// texts are embedded as JSON (member order kept); text that is not valid JSON is an Error::Internal.
Result<std::string> OffsetsToJson(const std::vector<worker::ConnectorOffset>& offsets);
// GET /connectors/{name}/tasks-config: {"name-0":{...},"name-1":{...}}.
std::string TasksConfigToJson(const std::vector<worker::TaskInfo>& tasks);
// GET /connectors/{name}/topics: {"name":{"topics":[...]}}.
std::string ActiveTopicsToJson(const std::string& connector, const std::vector<std::string>& topics);
// GET /connectors?expand=...: {"name":{"status":{...},"info":{...}}, ...}.
std::string ExpansionsToJson(const std::vector<ConnectorExpansion>& connectors);
// {"message":"..."}, the answer of PATCH/DELETE /connectors/{name}/offsets.
std::string MessageToJson(std::string_view message);
// GET /health: {"status":"healthy","message":"..."}.
std::string WorkerStatusToJson(std::string_view status, std::string_view message);

// --- Parsing (every error is Error::BadRequest) ---
Result<CreateConnectorRequest> ParseCreateConnectorRequest(std::string_view body);
// A JSON object of settings (PUT config, PATCH config, validate).
Result<NullableProperties> ParseConfigObject(std::string_view body);
// PATCH /connectors/{name}/offsets. Missing, null or empty "offsets" is Connect's 400 "Partitions /
// offsets need to be provided for an alter offsets request". Each partition must be an object; an
// offset is an object or null (reset). Both come back as compact JSON text in the order given.
Result<std::vector<worker::ConnectorOffset>> ParseConnectorOffsets(std::string_view body);
// POST /ferry/connectors/delete: {"name":"..."}, exactly; returns the name as given.
Result<std::string> ParseConnectorNameRequest(std::string_view body);
// PUT /admin/loggers/{logger}: a settings map; returns its "level" (nullopt when absent or null).
Result<std::optional<std::string>> ParseLoggerLevelRequest(std::string_view body);

// Java's Map.toString for a settings map, "{k1=v1, k2=null}", as Connect prints configs in messages;
// unlike Connect, secret-looking values are shown "[hidden]" (connectors::ShownValue).
std::string JavaMapString(const NullableProperties& config);

}  // namespace ferry::rest
