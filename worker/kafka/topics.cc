#include "worker/kafka/topics.h"

#include <algorithm>
#include <memory>

#include "worker/kafka/client.h"
#include "worker/kafka/handles.h"

namespace ferry::kafka {

namespace {

using Clock = std::chrono::steady_clock;

int RemainingMs(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::clamp<int64_t>(left, 1, 24 * 3600 * 1000));
}

std::string Describe(const TopicSpec& spec) {
  std::string s = "Topic '" + spec.name + "'";
  if (!spec.property.empty()) s += " supplied via the '" + spec.property + "' property";
  return s;
}

std::string PartitionsText(int n) {
  return n == 1 ? "a single partition" : std::to_string(n) + " partitions";
}

std::string CreationHint(const TopicSpec& spec) {
  std::string hint = "create it by hand (";
  hint += spec.partitions < 0 ? "the broker's default partition count" : PartitionsText(spec.partitions);
  hint += ", replication factor ";
  hint += spec.replication_factor < 0 ? "the broker's default" : std::to_string(spec.replication_factor);
  for (const auto& [key, value] : spec.configs) hint += ", " + key + "=" + value;
  hint += ") and restart the worker";
  return hint;
}

}  // namespace

Result<std::optional<int>> FindTopicPartitions(rd_kafka_t* rk, const std::string& topic,
                                               std::chrono::milliseconds timeout, const std::function<bool()>& stop,
                                               std::chrono::milliseconds slice) {
  // A listing, which never auto-creates anything; in one call unless a stop may cut it short.
  AllTopicsMetadata answer = FetchAllTopicsMetadata(rk, timeout, stop ? slice : timeout, stop);
  if (answer.stopped) return Error(ErrorCode::kUnavailable, "list topics to find '" + topic + "': stopped");
  if (answer.failure) return *answer.failure;
  if (answer.err) return Error::Kafka("list topics to find '" + topic + "'", answer.err);
  MetadataPtr md = std::move(answer.metadata);
  for (int i = 0; i < md->topic_cnt; ++i) {
    const rd_kafka_metadata_topic_t& t = md->topics[i];
    if (t.topic == nullptr || topic != t.topic) continue;
    if (t.err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) return std::optional<int>();
    if (t.err) return Error::Kafka("metadata of topic '" + topic + "'", t.err);
    return std::optional<int>(t.partition_cnt);
  }
  return std::optional<int>();
}

Result<> CheckExistingTopic(const TopicSpec& spec, int actual_partitions) {
  if (!spec.exact_partitions || spec.partitions < 0 || actual_partitions == spec.partitions) return Ok();
  std::string message = Describe(spec) + " is required to have " + PartitionsText(spec.partitions);
  if (spec.partitions == 1) message += " in order to guarantee consistency of connector configurations";
  message += ", but found " + std::to_string(actual_partitions) + " partitions.";
  return Error(ErrorCode::kInvalidConfig, message);
}

Result<> CheckCreateOutcome(const TopicSpec& spec, rd_kafka_resp_err_t err, const std::string& reason) {
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR || err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) return Ok();
  std::string why = reason.empty() ? rd_kafka_err2str(err) : reason;
  return Error(ErrorCode::kKafka,
               Describe(spec) + " does not exist and could not be created: " + why + " (" +
                   rd_kafka_err2name(err) + "); " + CreationHint(spec),
               /*retriable=*/false, err);
}

Result<> EnsureTopic(const Properties& admin_props, const TopicSpec& spec, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  auto rk = NewClient(RD_KAFKA_PRODUCER, admin_props);
  if (!rk.ok()) return rk.error();

  auto found = FindTopicPartitions(rk->get(), spec.name, timeout);
  if (!found.ok()) return found.error();
  if (found->has_value()) return CheckExistingTopic(spec, **found);

  char errstr[512];
  NewTopicPtr new_topic(
      rd_kafka_NewTopic_new(spec.name.c_str(), spec.partitions, spec.replication_factor, errstr, sizeof errstr));
  if (new_topic == nullptr) {
    return Error(ErrorCode::kInvalidConfig, Describe(spec) + ": invalid topic settings: " + errstr);
  }
  for (const auto& [key, value] : spec.configs) {
    if (rd_kafka_resp_err_t err = rd_kafka_NewTopic_set_config(new_topic.get(), key.c_str(), value.c_str())) {
      return Error::Kafka(Describe(spec) + ": topic config '" + key + "'", err);
    }
  }

  AdminOptionsPtr options(rd_kafka_AdminOptions_new(rk->get(), RD_KAFKA_ADMIN_OP_CREATETOPICS));
  const int request_ms = RemainingMs(deadline);
  if (rd_kafka_AdminOptions_set_request_timeout(options.get(), request_ms, errstr, sizeof errstr) ||
      rd_kafka_AdminOptions_set_operation_timeout(options.get(), request_ms, errstr, sizeof errstr)) {
    return Error::Internal(std::string("admin options: ") + errstr);
  }
  QueuePtr queue(rd_kafka_queue_new(rk->get()));
  rd_kafka_NewTopic_t* topics[] = {new_topic.get()};
  rd_kafka_CreateTopics(rk->get(), topics, 1, options.get(), queue.get());  // copies the NewTopic

  // The request times out on its own at `request_ms`; the extra second lets that answer arrive.
  EventPtr event(rd_kafka_queue_poll(queue.get(), RemainingMs(deadline) + 1000));
  if (event == nullptr) {
    return CheckCreateOutcome(spec, RD_KAFKA_RESP_ERR__TIMED_OUT, "no answer to CreateTopics in time");
  }
  if (rd_kafka_resp_err_t err = rd_kafka_event_error(event.get())) {
    const char* reason = rd_kafka_event_error_string(event.get());
    return CheckCreateOutcome(spec, err, reason != nullptr ? reason : "");
  }
  const rd_kafka_CreateTopics_result_t* result = rd_kafka_event_CreateTopics_result(event.get());
  size_t count = 0;
  const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(result, &count);
  for (size_t i = 0; i < count; ++i) {
    if (spec.name != rd_kafka_topic_result_name(results[i])) continue;
    const rd_kafka_resp_err_t err = rd_kafka_topic_result_error(results[i]);
    const char* reason = rd_kafka_topic_result_error_string(results[i]);
    FERRY_RETURN_IF_ERROR(CheckCreateOutcome(spec, err, reason != nullptr ? reason : ""));
    LOG(INFO) << (err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS ? "Topic '" + spec.name + "' was created concurrently"
                                                                 : "Created topic '" + spec.name + "'")
              << (spec.property.empty() ? "" : " for " + spec.property);
    return Ok();
  }
  return CheckCreateOutcome(spec, RD_KAFKA_RESP_ERR__FAIL, "the CreateTopics answer does not name the topic");
}

}  // namespace ferry::kafka
