#include "rest/errors.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "worker/common/json.h"

namespace ferry::rest {
namespace {

constexpr std::string_view kTimedOut = "Request timed out";

const char* ReasonPhrase(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Request Entity Too Large";
    case 414: return "Request-URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Requested Range Not Satisfiable";
    case 417: return "Expectation Failed";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    default: return status < 500 ? "Bad Request" : "Internal Server Error";
  }
}

}  // namespace

int HttpStatus(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidConfig: return 400;
    case ErrorCode::kForbidden: return 403;
    case ErrorCode::kNotFound: return 404;
    case ErrorCode::kConflict: return 409;
    case ErrorCode::kNotLeader: return 409;
    case ErrorCode::kNotAssigned: return 409;
    case ErrorCode::kUnavailable: return 503;
    case ErrorCode::kTimeout:
    case ErrorCode::kKafka:
    case ErrorCode::kCorrupt:
    case ErrorCode::kDataLoss:
    case ErrorCode::kUnsupported:
    case ErrorCode::kInternal: return 500;
  }
  return 500;
}

int HttpStatus(worker::WorkerHealth::Status status) {
  switch (status) {
    case worker::WorkerHealth::Status::kHealthy: return 200;
    case worker::WorkerHealth::Status::kStarting: return 503;
    case worker::WorkerHealth::Status::kUnhealthy: return 500;
  }
  return 500;
}

HttpError ToHttp(const Error& error) {
  const int status = HttpStatus(error.code());
  if (error.code() == ErrorCode::kTimeout &&
      std::string_view(error.message()).substr(0, kTimedOut.size()) != kTimedOut) {
    // Connect's HerderRequestHandler: "Request timed out. <what the worker was doing>".
    const std::string detail = error.message().empty() ? "" : " " + error.message();
    return {status, ErrorBody(status, std::string(kTimedOut) + "." + detail)};
  }
  return {status, ErrorBody(status, error.message())};
}

HttpError HttpStatusError(int status) {
  return {status, ErrorBody(status, "HTTP " + std::to_string(status) + " " + ReasonPhrase(status))};
}

HttpError PayloadTooLarge(size_t limit_bytes) {
  return {413, ErrorBody(413, "Request body is larger than the limit of " + std::to_string(limit_bytes) + " bytes")};
}

std::string ErrorBody(int status, std::string_view message) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.StartObject();
  writer.Key("error_code");
  writer.Int(status);
  writer.Key("message");
  // Messages quote what the client sent (a path segment may hold any bytes); JSON must be UTF-8.
  const std::string text = json::ValidUtf8(message);
  writer.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace ferry::rest
