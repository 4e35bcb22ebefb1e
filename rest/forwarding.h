// Forwarding a request the herder says only the leader may serve (kNotLeader) or only the worker
// running a task may (kNotAssigned), as Connect's HerderRequestHandler does: the same method, path
// and body go to that worker's REST URL with a hidden `forward` query parameter (a user's request
// has none; the first hop sends forward=true, a hop that received forward=true sends forward=false,
// and one that received forward=false answers 409 instead of forwarding again). Only the
// Authorization header and the internal-request signature headers are copied. The answer is passed
// back as it is; a transport failure is a 500 "IO Error trying to forward REST request: ...". An
// https URL is reached with `tls` (worker/rest_tls.h; nullptr: the process default): the other
// worker's certificate is verified, with its host name unless endpoint identification is off.
// Thread-safety: a free function; each call uses its own HTTP client.
#pragma once

#include <optional>
#include <string>

#include "rest/server.h"
#include "worker/rest_tls.h"

namespace httplib {
struct Request;
}  // namespace httplib

namespace ferry::rest {

Reply ForwardRequest(const httplib::Request& request, const std::string& body, const std::optional<std::string>& url,
                     const worker::RestTls* tls = nullptr);

}  // namespace ferry::rest
