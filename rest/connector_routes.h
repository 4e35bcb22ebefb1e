// The routes of Kafka Connect's RootResource, ConnectorsResource and ConnectorPluginsResource (every
// endpoint of Connect's public REST API, docs/rest.md, and the internal POST /connectors/{name}/tasks;
// not PUT /connectors/{name}/fence), each a thin wrapper that checks the request, calls the Herder and
// renders its answer with Connect's status codes. docs/rest.md lists them with examples.
//
// What is rejected before the Herder is called (so nothing is written):
//  - a connector name in the path or in a create request that is empty after trimming, contains '/'
//    or "..", is not UTF-8, or contains control characters (400; see CheckConnectorName); a name to
//    create or configure longer than kMaxConnectorNameBytes (400);
//  - a task id that is not a 32-bit integer (404, as JAX-RS answers an unparsable path parameter);
//  - malformed JSON, a body of the wrong shape, settings that are objects or arrays (400);
//  - POST/PUT config whose "name" differs from the connector's name, that has no "connector.class",
//    or that has null values (400 with Connect's messages);
//  - PATCH offsets without offsets (400), validate with a connector.class that does not match the
//    plugin in the path (400).
// Thread-safety: the routes may run concurrently (the Herder is thread-safe).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "rest/server.h"
#include "worker/common/result.h"
#include "worker/herder.h"

namespace ferry::rest {

// The routes for `herder`, under `prefix` ("" or e.g. "/A/B" for one flow of `ferry mirror-maker`, as
// MM2's dedicated mode namespaces its herders).
void AddConnectorRoutes(Router& router, worker::Herder& herder, const std::string& prefix = "");

// The longest name a new connector may have (docs/rest.md): with percent-encoding and a mirror-maker
// prefix every URL naming it stays well inside the 8 KiB request line.
inline constexpr size_t kMaxConnectorNameBytes = 255;

// A connector name taken from a request path: Error::BadRequest if it is empty after trimming,
// contains '/' or "..", is not valid UTF-8, or contains an ISO control character (U+0000-U+001F,
// U+007F-U+009F). Length is checked only where a connector is created or configured, so a longer
// one that exists already stays reachable.
Result<> CheckConnectorName(std::string_view name);

}  // namespace ferry::rest
