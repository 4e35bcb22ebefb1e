// The one request a worker sends another worker itself (the REST layer forwards users' requests):
// a connector's new task configs, from the worker running the connector to the leader, which alone
// writes them to the config topic (Connect's internal `POST /connectors/{name}/tasks`). The body is
// Connect's: a JSON array of string maps, signed with the session key when there is one.
// Thread-safety: a free function; each call uses its own HTTP client.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "worker/common/result.h"
#include "worker/common/types.h"
#include "worker/request_signature.h"

namespace ferry::worker {

// Task configs as the internal endpoint's body: [{"k":"v",...},...].
std::string TaskConfigsJson(const std::vector<Properties>& task_configs);
// Parses that body; kInvalidConfig names what is wrong.
Result<std::vector<Properties>> ParseTaskConfigsJson(const std::string& body);

// POSTs `task_configs` to `leader_url` ("http://host:port/") under `rest_namespace` ("" or "/A/B",
// the herder's path prefix on a `ferry mirror-maker` node), signed with `key` (if known) under
// `signature_algorithm`, with ?forward=false, so that a worker
// that is no longer the leader answers 409 instead of passing the request on. The leader's error
// comes back with its status as the code: 400 kInvalidConfig, 403 kForbidden, 404 kNotFound, 409
// kConflict, 503 kUnavailable, anything else (and transport failures) kInternal.
Result<> SendTaskConfigs(const std::string& leader_url, const std::string& rest_namespace, const std::string& connector,
                         const std::vector<Properties>& task_configs, const std::optional<SessionKey>& key,
                         const std::string& signature_algorithm, std::chrono::milliseconds timeout);

}  // namespace ferry::worker
