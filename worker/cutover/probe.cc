#include "worker/cutover/probe.h"

#include <algorithm>

namespace ferry::cutover {

Result<std::unique_ptr<KafkaProbe>> KafkaProbe::Create(const Properties& consumer_props,
                                                       std::chrono::milliseconds timeout) {
  Properties props = consumer_props;
  props["group.id"] = "ferry-cutover-probe";  // librdkafka needs one to assign; never joined or committed
  props["enable.auto.commit"] = "false";
  props["enable.auto.offset.store"] = "false";
  props["enable.partition.eof"] = "true";
  props["auto.offset.reset"] = "error";  // below the log start is an answer we compute, never a reset
  props.emplace("fetch.wait.max.ms", "100");
  auto rk = kafka::NewClient(RD_KAFKA_CONSUMER, props);
  if (!rk.ok()) return rk.error();
  rd_kafka_poll_set_consumer(rk->get());
  return std::unique_ptr<KafkaProbe>(new KafkaProbe(std::move(*rk), timeout));
}

Result<kafka::Watermarks> KafkaProbe::Watermarks(const TopicPartition& tp) {
  std::lock_guard lock(mu_);
  return kafka::QueryWatermarks(consumer_.get(), tp, timeout_);
}

Result<std::optional<RecordPosition>> KafkaProbe::FirstRecordAtOrAfter(const TopicPartition& tp, int64_t offset) {
  std::lock_guard lock(mu_);
  auto w = kafka::QueryWatermarks(consumer_.get(), tp, timeout_);
  if (!w.ok()) return w.error();
  if (offset >= w->high) return std::optional<RecordPosition>();
  const std::string what = "read " + tp.ToString() + " at offset " + std::to_string(offset);
  kafka::PartitionsPtr list(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition)->offset = std::max(offset, w->low);
  if (rd_kafka_resp_err_t err = rd_kafka_assign(consumer_.get(), list.get())) return Error::Kafka(what, err);
  Result<std::optional<RecordPosition>> answer = Error::Timeout(what + ": no answer within " +
                                                                std::to_string(timeout_.count()) + " ms");
  const auto deadline = std::chrono::steady_clock::now() + timeout_;
  while (std::chrono::steady_clock::now() < deadline) {
    kafka::MessagePtr msg(rd_kafka_consumer_poll(consumer_.get(), 100));
    if (!msg) continue;
    if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      answer = std::optional<RecordPosition>();  // only gaps up to the end
      break;
    }
    if (msg->err) {
      answer = Error::Kafka(what, msg->err);
      break;
    }
    if (msg->offset >= w->high) {
      answer = std::optional<RecordPosition>();  // written after the question was asked
    } else {
      answer = std::optional<RecordPosition>(RecordPosition{msg->offset, rd_kafka_message_timestamp(msg.get(), nullptr)});
    }
    break;
  }
  if (rd_kafka_resp_err_t err = rd_kafka_assign(consumer_.get(), nullptr)) return Error::Kafka(what + ": unassign", err);
  return answer;
}

Result<std::optional<int64_t>> KafkaProbe::OffsetForTimestamp(const TopicPartition& tp, int64_t timestamp) {
  std::lock_guard lock(mu_);
  const std::string what = "look up " + tp.ToString() + " by timestamp " + std::to_string(timestamp);
  kafka::PartitionsPtr list(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition)->offset = timestamp;
  if (rd_kafka_resp_err_t err = rd_kafka_offsets_for_times(consumer_.get(), list.get(), static_cast<int>(timeout_.count()))) {
    return Error::Kafka(what, err);
  }
  const rd_kafka_topic_partition_t& answer = list->elems[0];
  if (answer.err) return Error::Kafka(what, answer.err);
  if (answer.offset < 0) return std::optional<int64_t>();
  return std::optional<int64_t>(answer.offset);
}

}  // namespace ferry::cutover
