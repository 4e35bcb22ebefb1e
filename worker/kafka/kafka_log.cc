#include "worker/kafka/kafka_log.h"

#include <algorithm>
#include <thread>

#include "worker/kafka/client.h"
#include "worker/kafka/topics.h"

namespace ferry::kafka {

namespace {

using Clock = std::chrono::steady_clock;

std::chrono::milliseconds Remaining(Clock::time_point deadline) {
  return std::max(std::chrono::milliseconds(1),
                  std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
}

int ToTimeoutMs(std::chrono::milliseconds timeout) {
  return static_cast<int>(std::clamp<int64_t>(timeout.count(), 0, 24 * 3600 * 1000));
}

// How long the log thread blocks in one poll; Stop() wakes it at once with rd_kafka_queue_yield.
constexpr int kPollMs = 1000;
constexpr std::chrono::milliseconds kSettleBackoff{100};
constexpr std::chrono::milliseconds kTopicWaitBackoff{250};
// The longest a wait on the cluster (for the topic, for end offsets) goes without looking whether
// Stop() was called: a log whose cluster has vanished must still stop within seconds. A look that
// runs out of its slice is retried until the caller's timeout, as a settling topic's is.
constexpr std::chrono::milliseconds kStopCheck{2000};

}  // namespace

KafkaLog::KafkaLog(KafkaLogOptions options) : options_(std::move(options)) {
  CHECK(!options_.topic.empty()) << "KafkaLog needs a topic";
}

KafkaLog::~KafkaLog() { Stop(); }

int KafkaLog::partition_count() const {
  std::lock_guard lock(mu_);
  return static_cast<int>(positions_.size());
}

Result<> KafkaLog::Start(RecordCallback on_record, std::chrono::milliseconds timeout) {
  CHECK(on_record) << "KafkaLog::Start needs a record callback";
  const auto deadline = Clock::now() + timeout;
  {
    std::lock_guard stop_lock(stop_mu_);
    {
      std::lock_guard lock(mu_);
      CHECK(!started_) << "KafkaLog::Start called twice for topic '" << options_.topic << "'";
      started_ = true;
      if (stopped_) return Error::Internal("the log of topic '" + options_.topic + "' was stopped before it started");
    }
    on_record_ = std::move(on_record);

    Properties producer_props = options_.producer;
    producer_props["acks"] = "all";
    if (!options_.partitioner.empty()) producer_props["partitioner"] = options_.partitioner;
    auto producer = NewClient(RD_KAFKA_PRODUCER, producer_props, [this](rd_kafka_conf_t* conf) {
      rd_kafka_conf_set_dr_msg_cb(conf, &KafkaLog::OnDelivery);
      rd_kafka_conf_set_opaque(conf, this);
    });
    if (!producer.ok()) return producer.error();

    Properties consumer_props = {{"group.id", "ferry-log-" + options_.topic}, {"auto.offset.reset", "earliest"}};
    for (const auto& [key, value] : options_.consumer) consumer_props[key] = value;
    consumer_props["enable.partition.eof"] = "true";  // how the thread learns where a partition ends
    consumer_props["enable.auto.commit"] = "false";
    consumer_props["enable.auto.offset.store"] = "false";
    auto consumer = NewClient(RD_KAFKA_CONSUMER, consumer_props);
    if (!consumer.ok()) return consumer.error();

    // As Connect's KafkaBasedLog, wait (to the deadline) for a topic another component creates: MM2's
    // checkpoint task reads the offset-syncs topic its source connector makes, maybe a moment later.
    // Stop() (which marks the log stopped before it takes stop_mu_) ends the wait at its next look.
    const auto stopped = [this] {
      std::lock_guard lock(mu_);
      return stopped_;
    };
    auto find = [&] {
      return FindTopicPartitions(consumer->get(), options_.topic, Remaining(deadline), stopped, kStopCheck);
    };
    auto partitions = find();
    while (partitions.ok() && !partitions->has_value() && Clock::now() + kTopicWaitBackoff < deadline && !stopped()) {
      std::this_thread::sleep_for(kTopicWaitBackoff);
      partitions = find();
    }
    if (stopped()) return Error::Internal("the log of topic '" + options_.topic + "' was stopped while it started");
    if (!partitions.ok()) return partitions.error();
    if (!partitions->has_value() || **partitions <= 0) {
      return Error::NotFound("topic '" + options_.topic + "' does not exist (waited " +
                             std::to_string(std::chrono::duration_cast<std::chrono::seconds>(timeout).count()) +
                             " s); it must be created first");
    }
    const int count = **partitions;

    // Warm the producer's metadata for the topic (it exists: no auto-creation), so that the first
    // Send is not held back until the producer's own first metadata refresh, about a second later.
    {
      TopicPtr rkt(rd_kafka_topic_new(producer->get(), options_.topic.c_str(), nullptr));
      const rd_kafka_metadata_t* raw = nullptr;
      if (rd_kafka_metadata(producer->get(), 0, rkt.get(), &raw, ToTimeoutMs(Remaining(deadline))) ==
          RD_KAFKA_RESP_ERR_NO_ERROR) {
        MetadataPtr metadata(raw);  // only its side effect matters; a failure shows up at Send
      }
    }

    PartitionsPtr assignment(rd_kafka_topic_partition_list_new(count));
    for (int32_t p = 0; p < count; ++p) {
      rd_kafka_topic_partition_list_add(assignment.get(), options_.topic.c_str(), p)->offset =
          RD_KAFKA_OFFSET_BEGINNING;
    }
    if (rd_kafka_resp_err_t err = rd_kafka_assign(consumer->get(), assignment.get())) {
      return Error::Kafka("assign the partitions of '" + options_.topic + "'", err);
    }
    QueuePtr queue(rd_kafka_queue_get_consumer(consumer->get()));
    CHECK(queue != nullptr) << "a consumer with a group.id has a consumer queue";

    {
      std::lock_guard lock(mu_);
      positions_.assign(static_cast<size_t>(count), 0);
    }
    {
      std::unique_lock handles_lock(handles_mu_);
      producer_ = std::move(*producer);
      consumer_ = std::move(*consumer);
      consumer_queue_ = std::move(queue);
    }
    thread_ = std::jthread([this](std::stop_token stop) { Run(std::move(stop)); });
  }

  auto ends = QueryEnds(Remaining(deadline));
  Result<> read = ends.ok() ? WaitForPositions(*ends, deadline) : Result<>(ends.error());
  if (!read.ok()) {
    Stop();
    return Error(read.error().code(), "start the log of topic '" + options_.topic + "': " + read.error().message(),
                 read.error().retriable(), read.error().kafka_err());
  }
  VLOG(1) << "Log of topic '" << options_.topic << "' read to its end";
  return Ok();
}

void KafkaLog::Run(std::stop_token stop) {
  // consumer_queue_ lives until Stop() has joined this thread.
  rd_kafka_queue_t* queue = consumer_queue_.get();
  while (!stop.stop_requested()) {
    MessagePtr rkmessage(rd_kafka_consume_queue(queue, kPollMs));
    if (rkmessage == nullptr) continue;
    const int32_t partition = rkmessage->partition;
    if (rkmessage->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      // Everything before rkmessage->offset has been delivered (same queue, in order); this also
      // steps over offsets that hold no record for us (transaction markers, compacted or deleted).
      std::lock_guard lock(mu_);
      if (partition >= 0 && static_cast<size_t>(partition) < positions_.size()) {
        positions_[static_cast<size_t>(partition)] =
            std::max(positions_[static_cast<size_t>(partition)], rkmessage->offset);
      }
      position_cv_.notify_all();
      continue;
    }
    if (rkmessage->err) {
      // Consumer errors are reported for information; librdkafka keeps retrying on its own.
      LOG(WARNING) << "Reading topic '" << options_.topic << "': " << rd_kafka_message_errstr(rkmessage.get());
      continue;
    }
    LogRecord record;
    if (rkmessage->key != nullptr) {
      record.key.emplace(static_cast<const char*>(rkmessage->key), rkmessage->key_len);
    }
    if (rkmessage->payload != nullptr) {
      record.value.emplace(static_cast<const char*>(rkmessage->payload), rkmessage->len);
    }
    record.partition = partition;
    record.offset = rkmessage->offset;
    record.topic = options_.topic;
    rd_kafka_headers_t* headers = nullptr;
    if (rd_kafka_message_headers(rkmessage.get(), &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      const char* name;
      const void* value;
      size_t size;
      for (size_t i = 0; rd_kafka_header_get_all(headers, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i) {
        record.headers.emplace_back(name, value == nullptr ? std::string() : std::string(static_cast<const char*>(value), size));
      }
    }
    on_record_(record);
    std::lock_guard lock(mu_);
    if (partition >= 0 && static_cast<size_t>(partition) < positions_.size()) {
      positions_[static_cast<size_t>(partition)] =
          std::max(positions_[static_cast<size_t>(partition)], record.offset + 1);
    }
    position_cv_.notify_all();
  }
}

Result<std::vector<int64_t>> KafkaLog::QueryEnds(std::chrono::milliseconds timeout) {
  // A topic created a moment ago is known to the controller before its partitions have leaders on
  // the brokers: Kafka then answers NOT_LEADER_OR_FOLLOWER, LEADER_NOT_AVAILABLE or
  // UNKNOWN_TOPIC_OR_PARTITION for a while. The topic exists (Start found it): wait that out.
  const auto deadline = Clock::now() + timeout;
  while (true) {
    auto ends = QueryEndsOnce(std::min(Remaining(deadline), kStopCheck));
    const bool settling = !ends.ok() && (ends.error().retriable() ||
                                         ends.error().kafka_err() == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART);
    if (!settling || Clock::now() + kSettleBackoff >= deadline) return ends;
    {
      std::lock_guard lock(mu_);
      if (stopped_) return Error::Internal("the log of topic '" + options_.topic + "' was stopped");
    }
    VLOG(1) << "end offsets of '" << options_.topic << "' not known yet (" << ends.error().message() << "); retrying";
    std::this_thread::sleep_for(kSettleBackoff);
  }
}

Result<std::vector<int64_t>> KafkaLog::QueryEndsOnce(std::chrono::milliseconds timeout) {
  std::shared_lock handles_lock(handles_mu_);
  if (consumer_ == nullptr) return Error::Internal("the log of topic '" + options_.topic + "' is not running");
  const int count = partition_count();
  // One ListOffsets per leader for all partitions: a "timestamp" of -1 (RD_KAFKA_OFFSET_END) asks
  // for the end offset, exactly as rd_kafka_query_watermark_offsets does for a single partition.
  PartitionsPtr list(rd_kafka_topic_partition_list_new(count));
  for (int32_t p = 0; p < count; ++p) {
    rd_kafka_topic_partition_list_add(list.get(), options_.topic.c_str(), p)->offset = RD_KAFKA_OFFSET_END;
  }
  if (rd_kafka_resp_err_t err = rd_kafka_offsets_for_times(consumer_.get(), list.get(), ToTimeoutMs(timeout))) {
    return Error::Kafka("query the end offsets of '" + options_.topic + "'", err);
  }
  std::vector<int64_t> ends(static_cast<size_t>(count), 0);
  for (int i = 0; i < list->cnt; ++i) {
    const rd_kafka_topic_partition_t& rktpar = list->elems[i];
    if (rktpar.err) {
      return Error::Kafka("query the end offset of " + TopicPartition{options_.topic, rktpar.partition}.ToString(),
                          rktpar.err);
    }
    if (rktpar.partition < 0 || rktpar.partition >= count) continue;
    int64_t end = rktpar.offset;
    if (end < 0) {
      // No answer for this partition: ask for its watermarks on their own.
      auto marks = QueryWatermarks(consumer_.get(), {options_.topic, rktpar.partition}, timeout);
      if (!marks.ok()) return marks.error();
      end = marks->high;
    }
    ends[static_cast<size_t>(rktpar.partition)] = end;
  }
  return ends;
}

Result<> KafkaLog::WaitForPositions(const std::vector<int64_t>& ends, Clock::time_point deadline) {
  std::unique_lock lock(mu_);
  auto caught_up = [&] {
    for (size_t p = 0; p < ends.size() && p < positions_.size(); ++p) {
      if (positions_[p] < ends[p]) return false;
    }
    return true;
  };
  position_cv_.wait_until(lock, deadline, [&] { return stopped_ || caught_up(); });
  if (caught_up()) return Ok();
  if (stopped_) return Error::Internal("the log of topic '" + options_.topic + "' was stopped");
  std::string behind;
  for (size_t p = 0; p < ends.size() && p < positions_.size(); ++p) {
    if (positions_[p] >= ends[p]) continue;
    if (!behind.empty()) behind += ", ";
    behind += "partition " + std::to_string(p) + " at offset " + std::to_string(positions_[p]) + " of " +
              std::to_string(ends[p]);
  }
  return Error::Timeout("reading topic '" + options_.topic + "' to its end timed out: " + behind);
}

Result<> KafkaLog::ReadToEnd(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  auto ends = QueryEnds(timeout);
  if (!ends.ok()) return ends.error();
  return WaitForPositions(*ends, deadline);
}

Result<> KafkaLog::Send(const std::optional<std::string>& key, const std::optional<std::string>& value) {
  std::shared_lock handles_lock(handles_mu_);
  if (producer_ == nullptr) return Error::Internal("the log of topic '" + options_.topic + "' is not running");
  const auto deadline = Clock::now() + options_.send_queue_timeout;
  // nullptr is a null key or value (a tombstone); an empty string is an empty one.
  const void* key_data = key ? key->data() : nullptr;
  const size_t key_size = key ? key->size() : 0;
  void* value_data = value ? const_cast<char*>(value->data()) : nullptr;  // copied (MSG_F_COPY)
  const size_t value_size = value ? value->size() : 0;
  while (true) {
    rd_kafka_resp_err_t err = rd_kafka_producev(
        producer_.get(), RD_KAFKA_V_TOPIC(options_.topic.c_str()), RD_KAFKA_V_PARTITION(RD_KAFKA_PARTITION_UA),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(key_data, key_size),
        RD_KAFKA_V_VALUE(value_data, value_size), RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      rd_kafka_poll(producer_.get(), 0);  // serve delivery reports that are due
      return Ok();
    }
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) return Error::Kafka("send to topic '" + options_.topic + "'", err);
    if (Clock::now() >= deadline) {
      return Error::Timeout("send to topic '" + options_.topic + "': the producer queue stayed full for " +
                            std::to_string(options_.send_queue_timeout.count()) + " ms");
    }
    rd_kafka_poll(producer_.get(), 100);  // blocks until deliveries free space (or 100 ms)
  }
}

void KafkaLog::OnDelivery(rd_kafka_t*, const rd_kafka_message_t* rkmessage, void* opaque) {
  if (rkmessage->err == RD_KAFKA_RESP_ERR_NO_ERROR) return;
  auto* self = static_cast<KafkaLog*>(opaque);
  std::lock_guard lock(self->delivery_mu_);
  if (!self->first_send_error_) {
    self->first_send_error_ =
        Error::Kafka("write to " + TopicPartition{self->options_.topic, rkmessage->partition}.ToString(),
                     rkmessage->err);
  }
}

Result<> KafkaLog::Flush(std::chrono::milliseconds timeout) {
  std::shared_lock handles_lock(handles_mu_);
  if (producer_ == nullptr) return Error::Internal("the log of topic '" + options_.topic + "' is not running");
  const rd_kafka_resp_err_t err = rd_kafka_flush(producer_.get(), ToTimeoutMs(timeout));
  std::optional<Error> failure;
  {
    std::lock_guard lock(delivery_mu_);
    failure.swap(first_send_error_);
  }
  if (failure) return *failure;
  if (err == RD_KAFKA_RESP_ERR__TIMED_OUT) {
    return Error::Timeout("flush topic '" + options_.topic + "': " + std::to_string(rd_kafka_outq_len(producer_.get())) +
                          " records still undelivered after " + std::to_string(timeout.count()) + " ms");
  }
  if (err) return Error::Kafka("flush topic '" + options_.topic + "'", err);
  return Ok();
}

void KafkaLog::Stop() {
  CHECK(thread_.get_id() != std::this_thread::get_id())
      << "KafkaLog::Stop called from the record callback of topic '" << options_.topic << "'";
  {
    // Before stop_mu_: a Start waiting for its topic holds it, and gives up when it sees this.
    std::lock_guard lock(mu_);
    stopped_ = true;
  }
  position_cv_.notify_all();
  std::lock_guard stop_lock(stop_mu_);
  if (thread_.joinable()) {
    thread_.request_stop();
    rd_kafka_queue_yield(consumer_queue_.get());  // wakes the poll now rather than within kPollMs
    thread_.join();
  }
  ShutDownClients();
}

void KafkaLog::ShutDownClients() {
  std::unique_lock handles_lock(handles_mu_);
  if (producer_ != nullptr) {
    rd_kafka_flush(producer_.get(), ToTimeoutMs(options_.stop_flush_timeout));
    if (const int left = rd_kafka_outq_len(producer_.get()); left > 0) {
      LOG(WARNING) << "Stopping the log of topic '" << options_.topic << "': dropping " << left
                   << " records not delivered within " << options_.stop_flush_timeout.count() << " ms";
      rd_kafka_purge(producer_.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
      rd_kafka_poll(producer_.get(), 0);
    }
    producer_.reset();
  }
  // Consumer: its queue first, then close, then destroy.
  consumer_queue_.reset();
  if (consumer_ != nullptr) {
    if (rd_kafka_resp_err_t err = rd_kafka_consumer_close(consumer_.get())) {
      LOG(WARNING) << "Closing the consumer of topic '" << options_.topic << "': " << rd_kafka_err2str(err);
    }
    consumer_.reset();
  }
}

}  // namespace ferry::kafka
