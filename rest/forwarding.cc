#include "rest/forwarding.h"

#include <httplib.h>

#include "rest/errors.h"

namespace ferry::rest {
namespace {

constexpr int kForwardTimeoutSeconds = 90;  // as long as the leader's herder may take

Reply Conflict(const std::string& message) { return Reply::Json(409, ErrorBody(409, message)); }

// The request target without its `forward` parameter, and that parameter's value ("" if absent).
std::pair<std::string, std::string> SplitForward(const std::string& target) {
  const size_t question = target.find('?');
  if (question == std::string::npos) return {target, ""};
  std::string kept = target.substr(0, question);
  std::string forward;
  char sep = '?';
  size_t start = question + 1;
  while (start <= target.size()) {
    size_t amp = target.find('&', start);
    if (amp == std::string::npos) amp = target.size();
    const std::string param = target.substr(start, amp - start);
    if (param.rfind("forward=", 0) == 0) {
      forward = param.substr(8);
    } else if (!param.empty()) {
      kept += sep + param;
      sep = '&';
    }
    start = amp + 1;
  }
  return {kept, forward};
}

}  // namespace

Reply ForwardRequest(const httplib::Request& request, const std::string& body, const std::optional<std::string>& url,
                     const worker::RestTls* tls) {
  const auto [target, forward] = SplitForward(request.target);
  if (forward == "false") {
    return Conflict("Cannot complete request because of a conflicting operation (e.g. worker rebalance)");
  }
  if (!url || url->empty()) {
    return Conflict("Cannot complete request momentarily due to no known leader URL, likely because a rebalance was underway.");
  }
  std::string base = *url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  httplib::Client client(base);
  if (!client.is_valid()) {
    return Reply::Json(500, ErrorBody(500, "IO Error trying to forward REST request: invalid URL " + base));
  }
  if (Result<> configured = worker::ConfigureRestClient(client, base, tls); !configured.ok()) {
    return Reply::Json(500, ErrorBody(500, "IO Error trying to forward REST request: " + configured.error().message()));
  }
  client.set_connection_timeout(10, 0);
  client.set_read_timeout(kForwardTimeoutSeconds, 0);
  client.set_write_timeout(kForwardTimeoutSeconds, 0);
  httplib::Headers headers;
  for (const std::string& name : {std::string("Authorization"), std::string(worker::kSignatureHeader),
                                 std::string(worker::kSignatureAlgorithmHeader)}) {
    if (request.has_header(name)) headers.emplace(name, request.get_header_value(name));
  }
  const std::string path = target + (target.find('?') == std::string::npos ? "?" : "&") +
                           "forward=" + (forward == "true" ? "false" : "true");
  httplib::Request out;
  out.method = request.method;
  out.path = path;
  out.headers = headers;
  if (!body.empty()) {
    out.body = body;
    out.set_header("Content-Type", "application/json");
  }
  httplib::Result answer = client.send(out);
  if (!answer) {
    const std::string tls_failure = worker::LastRestClientTlsFailure();
    const Error error = Error::Internal("IO Error trying to forward REST request: " + httplib::to_string(answer.error()) +
                                        (tls_failure.empty() ? "" : " (" + tls_failure + ")"));
    return Reply::Json(500, ErrorBody(500, error.message()));
  }
  Reply reply = Reply::Json(answer->status, answer->body);
  if (answer->has_header("Location")) reply.headers.emplace_back("Location", answer->get_header_value("Location"));
  return reply;
}

}  // namespace ferry::rest
