// Error and Result<T>: how Ferry reports anything the outside world can cause (docs/architecture.md,
// "The error rule"). Success costs nothing; an Error says what failed, whether a retry may help, and
// carries the librdkafka code when Kafka was the cause.
// Thread-safety: values; safe to copy between threads.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

#include <glog/logging.h>
#include <librdkafka/rdkafka.h>

namespace ferry {

enum class ErrorCode {
  kInvalidConfig,  // a user-supplied setting is missing or wrong
  kNotFound,       // a named thing (topic, partition, connector) does not exist
  kConflict,       // the request contradicts current state
  kForbidden,      // the configuration does not allow this operation
  kNotLeader,      // only the group leader may do this
  kNotAssigned,    // another worker runs it (the request goes there)
  kUnavailable,    // not ready yet (still starting); try again
  kTimeout,        // a deadline passed
  kKafka,          // a broker or client error (see kafka_err)
  kCorrupt,        // bytes we read do not parse
  kDataLoss,       // source records vanished before they were copied
  kUnsupported,    // the peer or this build cannot do it
  kInternal,       // an unexpected failure outside our control (OS, library)
};

const char* ErrorCodeName(ErrorCode code);

class [[nodiscard]] Error {
 public:
  Error(ErrorCode code, std::string message, bool retriable = false,
        rd_kafka_resp_err_t kafka_err = RD_KAFKA_RESP_ERR_NO_ERROR)
      : code_(code), message_(std::move(message)), retriable_(retriable), kafka_err_(kafka_err) {}

  static Error InvalidConfig(const std::string& key, const std::string& why) {
    return Error(ErrorCode::kInvalidConfig, "invalid value for '" + key + "': " + why);
  }
  static Error NotFound(std::string message) { return Error(ErrorCode::kNotFound, std::move(message)); }
  static Error Timeout(std::string message) { return Error(ErrorCode::kTimeout, std::move(message), true); }
  static Error Corrupt(std::string message) { return Error(ErrorCode::kCorrupt, std::move(message)); }
  static Error Internal(std::string message) { return Error(ErrorCode::kInternal, std::move(message)); }
  static Error Conflict(std::string message) { return Error(ErrorCode::kConflict, std::move(message)); }
  static Error BadRequest(std::string message) { return Error(ErrorCode::kInvalidConfig, std::move(message)); }
  // A librdkafka error; `context` says what Ferry was doing.
  static Error Kafka(const std::string& context, rd_kafka_resp_err_t err);
  // From an rd_kafka_error_t, keeping its retriable flag. Does not take ownership.
  static Error Kafka(const std::string& context, const rd_kafka_error_t* error);

  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  bool retriable() const { return retriable_; }
  rd_kafka_resp_err_t kafka_err() const { return kafka_err_; }
  std::string ToString() const;  // "<code>: <message>", for people

 private:
  ErrorCode code_;
  std::string message_;
  bool retriable_;
  rd_kafka_resp_err_t kafka_err_;
};

// A value or an Error. Result<> (Result<void>) is success or an Error.
template <typename T = void>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit, so `return value;` works
  Result(Error error) : v_(std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  const Error& error() const {
    CHECK(!ok()) << "Result::error() on a value";
    return std::get<1>(v_);
  }
  T& value() & {
    CHECK(ok()) << "Result::value() on an error: " << std::get<1>(v_).ToString();
    return std::get<0>(v_);
  }
  const T& value() const& {
    CHECK(ok()) << "Result::value() on an error: " << std::get<1>(v_).ToString();
    return std::get<0>(v_);
  }
  T&& value() && {
    CHECK(ok()) << "Result::value() on an error: " << std::get<1>(v_).ToString();
    return std::get<0>(std::move(v_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}  // NOLINT

  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const {
    CHECK(!ok()) << "Result::error() on success";
    return *error_;
  }

 private:
  std::optional<Error> error_;
};

inline Result<> Ok() { return {}; }

}  // namespace ferry

// Returns the error of a Result<...> expression from the enclosing function.
#define FERRY_RETURN_IF_ERROR(expr)                   \
  do {                                                \
    auto ferry_result_ = (expr);                      \
    if (!ferry_result_.ok()) return ferry_result_.error(); \
  } while (false)
