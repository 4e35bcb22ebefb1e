#include "worker/common/result.h"

namespace ferry {

const char* ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidConfig: return "InvalidConfig";
    case ErrorCode::kNotFound: return "NotFound";
    case ErrorCode::kConflict: return "Conflict";
    case ErrorCode::kForbidden: return "Forbidden";
    case ErrorCode::kNotLeader: return "NotLeader";
    case ErrorCode::kTimeout: return "Timeout";
    case ErrorCode::kKafka: return "Kafka";
    case ErrorCode::kCorrupt: return "Corrupt";
    case ErrorCode::kDataLoss: return "DataLoss";
    case ErrorCode::kNotAssigned: return "NotAssigned";
    case ErrorCode::kUnavailable: return "Unavailable";
    case ErrorCode::kUnsupported: return "Unsupported";
    case ErrorCode::kInternal: return "Internal";
  }
  return "Unknown";
}

Error Error::Kafka(const std::string& context, rd_kafka_resp_err_t err) {
  const bool retriable = err == RD_KAFKA_RESP_ERR__TRANSPORT || err == RD_KAFKA_RESP_ERR__TIMED_OUT ||
                         err == RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT ||
                         err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN ||
                         err == RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION ||
                         err == RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE;
  return Error(ErrorCode::kKafka, context + ": " + rd_kafka_err2str(err), retriable, err);
}

Error Error::Kafka(const std::string& context, const rd_kafka_error_t* error) {
  return Error(ErrorCode::kKafka, context + ": " + rd_kafka_error_string(error),
               rd_kafka_error_is_retriable(error), rd_kafka_error_code(error));
}

std::string Error::ToString() const { return std::string(ErrorCodeName(code_)) + ": " + message_; }

}  // namespace ferry
