// The one place where errors become HTTP answers, with Connect's status codes and its error body
// {"error_code":N,"message":"..."} (ConnectExceptionMapper in Kafka Connect). Routes never choose an
// error status themselves: they return an Error (from the Herder or from parsing a request) and the
// router renders ToHttp(error); failures of HTTP itself (no such route, wrong method, body too
// large) come from HttpStatusError / PayloadTooLarge below.
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "worker/common/result.h"
#include "worker/herder.h"

namespace ferry::rest {

struct HttpError {
  int status = 500;
  std::string body;  // {"error_code":status,"message":"..."}
};

// kInvalidConfig 400, kForbidden 403, kNotFound 404, kConflict 409, kNotLeader and kNotAssigned 409
// (what Connect answers when a request cannot be forwarded to the leader or the owner), kUnavailable 503, kTimeout 500 with a message starting
// "Request timed out.", anything else 500.
int HttpStatus(ErrorCode code);
HttpError ToHttp(const Error& error);

// GET /health, whose body is a WorkerStatus rather than an error: 200 healthy, 503 starting, 500
// unhealthy (Connect's RootResource.healthCheck).
int HttpStatus(worker::WorkerHealth::Status status);

// Errors of the HTTP layer, with the message Connect's JAX-RS stack gives them, e.g. 404
// "HTTP 404 Not Found", 405 "HTTP 405 Method Not Allowed", 415 "HTTP 415 Unsupported Media Type".
HttpError HttpStatusError(int status);
// 413, for a request body larger than `limit_bytes`.
HttpError PayloadTooLarge(size_t limit_bytes);

// The error body for `status` and `message`, compact JSON.
std::string ErrorBody(int status, std::string_view message);

}  // namespace ferry::rest
