#include "tasks/mirror_task.h"

#include <algorithm>
#include <cstdlib>
#include <unordered_map>
#include <vector>

#include <glog/logging.h>

#include "tasks/offset_sync_emitter.h"
#include "worker/kafka/client.h"
#include "worker/kafka/handles.h"

namespace ferry::tasks {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr int kBatchSize = 1000;
// The consumer's queue limit in records (queued.min.messages), and the length at which the fetcher
// is taken to have stopped.
constexpr int kQueueMaxMessages = 100000;
constexpr size_t kQueueFullMessages = kQueueMaxMessages * 9 / 10;
constexpr int kIdleWaitMs = 10;
// Without the queue having been full, a fetcher is woken only after this long without records while
// the source is known to be ahead, and only once until records arrive again. A wake (a seek) throws
// away the answer of a fetch in flight, so it must wait longer than a fetch takes on a loaded machine
// or from another region: woken every 5 ms, a source answering in more than 5 ms was hardly read.
constexpr milliseconds kStallAfter{500};
constexpr milliseconds kPublishEvery{10};
// How often an idle or throttled task asks whether its clients' configuration failed (a refused
// login or certificate, kafka::ConfigFailure), which librdkafka would retry forever.
constexpr milliseconds kConfigCheckEvery{250};
constexpr milliseconds kMetadataTimeout{10000};
// Memory a queued record costs beyond its key and value (librdkafka's message and op structs).
constexpr int64_t kPerRecordOverhead = 256;

class NullSink : public OffsetSyncSink {
 public:
  void OnOffsetSync(const OffsetSync&) override {}
  void OnCopied(const TopicPartition&, SourceOffset, TargetOffset) override {}
};

int64_t WallMs() {
  return std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

int64_t BufferedSize(const rd_kafka_message_t* msg) {
  return static_cast<int64_t>(msg->len + msg->key_len) + kPerRecordOverhead;
}

bool IsAuthorizationError(rd_kafka_resp_err_t err) {
  return err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED || err == RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED ||
         err == RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED;
}

// A librdkafka error of the task's clients; an ACL's refusal says so with Kafka's name of it, the
// cluster and what to grant, and is no retry's to fix.
Error ClientFailure(const std::string& context, rd_kafka_resp_err_t err, const std::string& cluster,
                    const std::string& topic, const char* operation) {
  Error e = Error::Kafka(context, err);
  if (!IsAuthorizationError(err)) return e;
  return Error(ErrorCode::kForbidden,
               e.message() + " (" + rd_kafka_err2name(err) + "): " + cluster + " does not allow this client " +
                   operation + " topic '" + topic + "'; grant it in the cluster's ACLs",
               false, err);
}

}  // namespace

int64_t MirrorTaskStats::Lag() const {
  int64_t lag = 0;
  for (const auto& [tp, p] : partitions) {
    if (p.source_high >= 0 && p.committed >= 0) lag += std::max<int64_t>(0, p.source_high - p.committed);
  }
  return lag;
}

// Everything the task thread owns. Public members are touched only by that thread, except those
// guarded by mu_.
class MirrorTask::Loop {
 public:
  explicit Loop(MirrorTaskConfig config, OffsetSyncSink* sink)
      : config_(std::move(config)), emitter_(sink != nullptr ? *sink : null_sink_) {}

  Result<> Open();
  void Run();
  // `error` naming the cluster (by its alias) whose settings to fix, when a client's configuration failed.
  Error Named(const Error& error) const;
  void RequestStop() { stop_requested_.store(true); }

  State state() const {
    std::lock_guard lock(mu_);
    return state_;
  }
  std::optional<Error> failure() const {
    std::lock_guard lock(mu_);
    return failure_;
  }
  MirrorTaskStats Stats() const {
    std::lock_guard lock(mu_);
    return published_;
  }
  std::map<TopicPartition, int64_t> CommittedOffsets() const;

 private:
  struct PartitionState {
    TopicPartition tp;
    int64_t next_consume = -1;  // next source offset expected from the consumer (-1: not known yet)
    int64_t committed = -1;     // next source offset whose predecessors are all acknowledged
    int64_t next_target = -1;
    bool delivery_failed = false;
    PartitionMetrics metrics;
  };
  struct TopicState {
    kafka::TopicPtr target;  // producer topic handle of the remote topic
    std::unordered_map<int32_t, PartitionState> partitions;
  };

  static void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* rkmessage, void* opaque);
  void HandleDelivery(const rd_kafka_message_t* rkmessage);
  TopicState& StateOf(rd_kafka_topic_t* source_rkt);
  // Produces one consumed record. On success the record is owned by its delivery report.
  void Forward(kafka::MessagePtr msg);
  void HandleConsumerError(kafka::MessagePtr msg);
  Result<> Reassign();  // restarts fetching every partition at its next_consume
  // Whether the consumer's queue is near one of its limits (records, or bytes estimated from the
  // values last consumed), at which librdkafka 2.0.2 stops fetching.
  bool QueueNearFull() const;
  void MaybeWakeFetcher(Clock::time_point now, bool queue_was_full);
  // Serves delivery reports (HandleDelivery) on this thread, waiting up to `timeout_ms` for one.
  void PollProducer(int timeout_ms);
  void Publish(bool force);
  // Fails the task if a client's configuration failed; at most every kConfigCheckEvery.
  void CheckClients(Clock::time_point now);
  void Fail(Error error);
  void Shutdown();

  MirrorTaskConfig config_;
  NullSink null_sink_;
  OffsetSyncEmitter emitter_;

  // Declared before the consumer so that it is destroyed after it (see Shutdown for the real order).
  kafka::HandlePtr producer_;
  kafka::HandlePtr consumer_;
  kafka::QueuePtr consumer_queue_;
  std::unordered_map<std::string, TopicState> topics_;             // by source topic name
  std::unordered_map<const rd_kafka_topic_t*, TopicState*> by_rkt_;  // cache of the above

  std::atomic<bool> stop_requested_{false};
  bool failed_ = false;
  int64_t buffered_bytes_ = 0;
  int64_t records_ = 0;
  int64_t bytes_ = 0;
  int64_t lost_records_ = 0;
  int64_t fetcher_wakeups_ = 0;
  bool queue_was_full_ = false;
  int64_t queue_max_bytes_ = 0;       // queued.max.messages.kbytes, in bytes
  int64_t recent_value_bytes_ = 0;    // mean value size of the last batch consumed
  Clock::time_point last_record_at_ = Clock::now();
  Clock::time_point last_wake_at_{};  // none yet
  Clock::time_point last_publish_at_ = Clock::now();
  Clock::time_point last_client_check_at_{};
  bool progress_since_publish_ = false;
  // Wall-clock time for the metrics: read once per consumed batch, and once per producer poll that
  // serves a delivery report (-1: not read yet in this poll).
  int64_t consume_now_ms_ = 0;
  int64_t ack_now_ms_ = -1;
  int64_t polled_ = 0;
  metrics::SampledStat batch_size_;

  mutable std::mutex mu_;
  State state_ = State::kRunning;     // guarded by mu_
  std::optional<Error> failure_;      // guarded by mu_
  MirrorTaskStats published_;         // guarded by mu_
  std::map<TopicPartition, int64_t> committed_;  // guarded by mu_
};

Result<> MirrorTask::Loop::Open() {
  if (config_.policy == nullptr) return Error::InvalidConfig("replication.policy.class", "no policy given");
  if (config_.start_offsets.empty()) return Error::InvalidConfig("task.assigned.partitions", "no partitions");
  if (!config_.source_consumer.count("bootstrap.servers")) {
    return Error::InvalidConfig("source bootstrap.servers", "missing");
  }
  if (!config_.target_producer.count("bootstrap.servers")) {
    return Error::InvalidConfig("target bootstrap.servers", "missing");
  }

  queue_max_bytes_ = std::max<int64_t>(1024, config_.max_buffered_bytes / 2048) * 1024;
  Properties consumer_props = {
      {"group.id", "ferry-" + config_.name},  // needed to assign(); Ferry never commits to it
      {"client.id", config_.name + "|replication-consumer"},
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      {"enable.partition.eof", "false"},
      {"auto.offset.reset", "error"},  // a fetch below the log start is reported, never skipped
      {"queued.min.messages", std::to_string(kQueueMaxMessages)},
      {"queued.max.messages.kbytes", std::to_string(queue_max_bytes_ / 1024)},
  };
  for (const auto& [k, v] : config_.source_consumer) consumer_props[k] = v;
  if (auto it = consumer_props.find("queued.max.messages.kbytes"); it != consumer_props.end()) {
    queue_max_bytes_ = std::max<int64_t>(1, std::atoll(it->second.c_str())) * 1024;
  }
  auto consumer = kafka::NewClient(RD_KAFKA_CONSUMER, consumer_props);
  if (!consumer.ok()) return consumer.error();
  consumer_ = std::move(*consumer);

  Properties producer_props = {
      {"client.id", config_.name + "|replication-producer"},
      {"enable.idempotence", "true"},
      {"acks", "all"},
      // No time limit on a delivery (librdkafka's default gives up after 300 s and fails the task):
      // a target away for longer resumes by itself, and the in-flight budget bounds what waits.
      // A user's target.producer.delivery.timeout.ms replaces it.
      {"delivery.timeout.ms", "0"},
      {"queue.buffering.max.messages", "1000000"},
      {"queue.buffering.max.kbytes", "1048576"},
  };
  for (const auto& [k, v] : config_.target_producer) producer_props[k] = v;
  auto producer = kafka::NewClient(RD_KAFKA_PRODUCER, producer_props, [this](rd_kafka_conf_t* conf) {
    rd_kafka_conf_set_dr_msg_cb(conf, &OnDelivery);
    rd_kafka_conf_set_opaque(conf, this);
  });
  if (!producer.ok()) return producer.error();
  producer_ = std::move(*producer);

  // Each source partition needs its partition number on the target topic.
  std::map<std::string, int32_t> max_partition;
  for (const auto& [tp, offset] : config_.start_offsets) {
    if (tp.partition < 0) return Error::InvalidConfig("task.assigned.partitions", "negative partition in " + tp.ToString());
    if (offset < 0 && offset != kFromLogStart) {
      return Error::InvalidConfig("start offset", "invalid offset " + std::to_string(offset) + " for " + tp.ToString());
    }
    max_partition[tp.topic] = std::max(max_partition[tp.topic], tp.partition);
  }
  for (const auto& [topic, max_p] : max_partition) {
    const std::string remote = config_.policy->FormatRemoteTopic(config_.source_alias, topic);
    auto source_count = kafka::PartitionCount(consumer_.get(), topic, kMetadataTimeout);
    if (!source_count.ok()) return source_count.error();
    if (*source_count <= max_p) {
      return Error::NotFound("source topic '" + topic + "' has " + std::to_string(*source_count) +
                             " partitions; partition " + std::to_string(max_p) + " does not exist");
    }
    auto target_count = kafka::PartitionCount(producer_.get(), remote, kMetadataTimeout);
    if (!target_count.ok()) return target_count.error();
    if (*target_count <= max_p) {
      return Error(ErrorCode::kConflict, "target topic '" + remote + "' has " + std::to_string(*target_count) +
                                             " partitions; source partition " + topic + "-" +
                                             std::to_string(max_p) + " needs at least " +
                                             std::to_string(max_p + 1));
    }
    TopicState& ts = topics_[topic];
    ts.target.reset(rd_kafka_topic_new(producer_.get(), remote.c_str(), nullptr));
  }
  for (const auto& [tp, offset] : config_.start_offsets) {
    PartitionState& ps = topics_[tp.topic].partitions[tp.partition];
    ps.tp = tp;
    if (offset >= 0) {
      ps.next_consume = offset;
      ps.committed = offset;
    }
  }
  for (const auto& [tp, runs] : config_.proven_copies) {
    CHECK(config_.start_offsets.count(tp)) << "proven copies of unassigned partition " << tp;
    PartitionState& ps = topics_[tp.topic].partitions[tp.partition];
    for (const CopyRun& run : runs) {  // the first and last copy of a run say all of it
      emitter_.OnAcked(tp, SourceOffset(run.source), TargetOffset(run.target));
      if (run.count > 1) {
        emitter_.OnAcked(tp, SourceOffset(run.source + run.count - 1), TargetOffset(run.target + run.count - 1));
      }
    }
    if (!runs.empty()) ps.next_target = runs.back().target + runs.back().count;
  }
  consumer_queue_.reset(rd_kafka_queue_get_consumer(consumer_.get()));
  FERRY_RETURN_IF_ERROR(Reassign());
  Publish(true);
  return Ok();
}

Result<> MirrorTask::Loop::Reassign() {
  kafka::PartitionsPtr parts(rd_kafka_topic_partition_list_new(static_cast<int>(config_.start_offsets.size())));
  for (auto& [topic, ts] : topics_) {
    for (auto& [p, ps] : ts.partitions) {
      rd_kafka_topic_partition_list_add(parts.get(), topic.c_str(), p)->offset =
          ps.next_consume >= 0 ? ps.next_consume : RD_KAFKA_OFFSET_BEGINNING;
    }
  }
  if (rd_kafka_resp_err_t err = rd_kafka_assign(consumer_.get(), parts.get())) {
    return Error::Kafka("assign source partitions", err);
  }
  return Ok();
}

MirrorTask::Loop::TopicState& MirrorTask::Loop::StateOf(rd_kafka_topic_t* source_rkt) {
  auto it = by_rkt_.find(source_rkt);
  if (it != by_rkt_.end()) return *it->second;
  auto ts = topics_.find(rd_kafka_topic_name(source_rkt));
  CHECK(ts != topics_.end()) << "record from unassigned topic " << rd_kafka_topic_name(source_rkt);
  by_rkt_.emplace(source_rkt, &ts->second);
  return ts->second;
}

void MirrorTask::Loop::Run() {
  std::vector<rd_kafka_message_t*> batch(kBatchSize);
  while (!stop_requested_.load(std::memory_order_relaxed) && !failed_) {
    if (buffered_bytes_ >= config_.max_buffered_bytes) {
      // Flow control: the target is behind; wait for acknowledgements instead of consuming more.
      PollProducer(kIdleWaitMs);
      Publish(false);
      CheckClients(Clock::now());
      continue;
    }
    // A queue near its limit means the fetcher has probably stopped (see MaybeWakeFetcher).
    if (QueueNearFull()) queue_was_full_ = true;
    ssize_t n = rd_kafka_consume_batch_queue(consumer_queue_.get(), 0, batch.data(), batch.size());
    if (n == 0 && queue_was_full_) {
      MaybeWakeFetcher(Clock::now(), true);
      queue_was_full_ = false;
    }
    if (n == 0) {
      PollProducer(0);
      n = rd_kafka_consume_batch_queue(consumer_queue_.get(), kIdleWaitMs, batch.data(), batch.size());
    }
    const auto now = Clock::now();
    if (n < 0) {
      Fail(Error::Kafka("consume", rd_kafka_last_error()));
      break;
    }
    if (n > 0) {
      last_record_at_ = now;
      consume_now_ms_ = WallMs();
      polled_ += n;
      batch_size_.Record(static_cast<double>(n), consume_now_ms_);
    }
    int64_t value_bytes = 0;
    for (ssize_t i = 0; i < n; ++i) value_bytes += static_cast<int64_t>(batch[i]->len);
    if (n > 0) recent_value_bytes_ = value_bytes / n;
    for (ssize_t i = 0; i < n; ++i) {
      kafka::MessagePtr msg(batch[i]);
      if (failed_) continue;  // never produced: copied after a restart
      if (msg->err) {
        HandleConsumerError(std::move(msg));
      } else {
        Forward(std::move(msg));
      }
    }
    PollProducer(0);  // delivery reports, served on this thread
    if (n == 0) {
      MaybeWakeFetcher(now, false);
      CheckClients(now);
    }
    Publish(false);
  }
  Shutdown();
}

void MirrorTask::Loop::Forward(kafka::MessagePtr msg) {
  TopicState& ts = StateOf(msg->rkt);
  PartitionState& ps = ts.partitions[msg->partition];
  ps.next_consume = msg->offset + 1;
  rd_kafka_headers_t* hdrs = nullptr;
  if (rd_kafka_message_detach_headers(msg.get(), &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR) hdrs = nullptr;
  kafka::HeadersPtr owned_hdrs(hdrs);
  rd_kafka_timestamp_type_t ts_type;
  int64_t timestamp = rd_kafka_message_timestamp(msg.get(), &ts_type);
  if (ts_type == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE) timestamp = 0;
  const int64_t size = BufferedSize(msg.get());
  buffered_bytes_ += size;
  PartitionMetrics& m = ps.metrics;
  m.value_bytes += static_cast<int64_t>(msg->len);
  m.byte_rate.Record(static_cast<double>(msg->len), consume_now_ms_);
  if (timestamp > 0) m.record_age_ms.Record(static_cast<double>(consume_now_ms_ - timestamp), consume_now_ms_);
  for (;;) {
    // The value is not copied: librdkafka points at the consumed message, which lives until its
    // delivery report (it is the opaque). The key is always copied by librdkafka.
    rd_kafka_resp_err_t err = rd_kafka_producev(
        producer_.get(), RD_KAFKA_V_RKT(ts.target.get()), RD_KAFKA_V_PARTITION(msg->partition),
        RD_KAFKA_V_MSGFLAGS(0), RD_KAFKA_V_VALUE(msg->payload, msg->len),
        RD_KAFKA_V_KEY(msg->key, msg->key_len), RD_KAFKA_V_TIMESTAMP(timestamp),
        RD_KAFKA_V_HEADERS(owned_hdrs.get()), RD_KAFKA_V_OPAQUE(msg.get()), RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      owned_hdrs.release();  // producev owns the headers once it has succeeded
      msg.release();         // HandleDelivery destroys it
      return;
    }
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {  // acknowledgements will make room
      PollProducer(kIdleWaitMs);
      continue;
    }
    buffered_bytes_ -= size;
    Fail(ClientFailure("produce " + ps.tp.ToString() + "@" + std::to_string(msg->offset) + " to " +
                           rd_kafka_topic_name(ts.target.get()),
                       err, "target cluster '" + config_.target_alias + "'", rd_kafka_topic_name(ts.target.get()),
                       "to write to"));
    return;
  }
}

void MirrorTask::Loop::OnDelivery(rd_kafka_t*, const rd_kafka_message_t* rkmessage, void* opaque) {
  static_cast<Loop*>(opaque)->HandleDelivery(rkmessage);
}

void MirrorTask::Loop::HandleDelivery(const rd_kafka_message_t* rkmessage) {
  kafka::MessagePtr source(static_cast<rd_kafka_message_t*>(rkmessage->_private));
  buffered_bytes_ -= BufferedSize(source.get());
  TopicState& ts = StateOf(source->rkt);
  PartitionState& ps = ts.partitions[source->partition];
  if (rkmessage->err) {
    ps.delivery_failed = true;  // later acknowledgements of this partition no longer commit
    const bool purged = rkmessage->err == RD_KAFKA_RESP_ERR__PURGE_QUEUE ||
                        rkmessage->err == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT;
    if (!purged && !failed_) {
      Fail(ClientFailure("deliver " + ps.tp.ToString() + "@" + std::to_string(source->offset) + " to " +
                             rd_kafka_topic_name(rkmessage->rkt),
                         rkmessage->err, "target cluster '" + config_.target_alias + "'",
                         rd_kafka_topic_name(rkmessage->rkt), "to write to"));
    }
    return;
  }
  if (ps.delivery_failed) return;
  ps.committed = source->offset + 1;
  ps.next_target = rkmessage->offset + 1;
  emitter_.OnAcked(ps.tp, SourceOffset(source->offset), TargetOffset(rkmessage->offset));
  ++records_;
  bytes_ += static_cast<int64_t>(source->len + source->key_len);
  progress_since_publish_ = true;
  PartitionMetrics& m = ps.metrics;
  if (ack_now_ms_ < 0) ack_now_ms_ = WallMs();
  ++m.records;
  m.record_rate.Record(1, ack_now_ms_);
  rd_kafka_timestamp_type_t ts_type;
  const int64_t timestamp = rd_kafka_message_timestamp(source.get(), &ts_type);
  if (ts_type != RD_KAFKA_TIMESTAMP_NOT_AVAILABLE && timestamp > 0) {
    m.replication_latency_ms.Record(static_cast<double>(ack_now_ms_ - timestamp), ack_now_ms_);
    m.last_copied_timestamp_ms = timestamp;
  }
}

void MirrorTask::Loop::PollProducer(int timeout_ms) {
  ack_now_ms_ = -1;
  rd_kafka_poll(producer_.get(), timeout_ms);
}

void MirrorTask::Loop::HandleConsumerError(kafka::MessagePtr msg) {
  if (msg->err != RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET || msg->rkt == nullptr) {
    if (rd_kafka_resp_err_t fatal = rd_kafka_fatal_error(consumer_.get(), nullptr, 0)) {
      Fail(Error::Kafka("source consumer", fatal));
    } else if (IsAuthorizationError(msg->err)) {  // an ACL: no retry of librdkafka's will pass it
      const std::string topic = msg->rkt != nullptr ? rd_kafka_topic_name(msg->rkt) : "?";
      Fail(ClientFailure("read " + topic + "-" + std::to_string(msg->partition), msg->err,
                         "source cluster '" + config_.source_alias + "'", topic, "to read"));
    } else {
      // Transient (a broker down, a leader moving): librdkafka retries by itself.
      LOG(WARNING) << config_.name << ": source consumer: " << rd_kafka_message_errstr(msg.get());
    }
    return;
  }
  // The position is below the log start: records were deleted before they were copied.
  TopicState& ts = StateOf(msg->rkt);
  PartitionState& ps = ts.partitions[msg->partition];
  auto marks = kafka::QueryWatermarks(consumer_.get(), ps.tp, kMetadataTimeout);
  if (!marks.ok()) {
    Fail(marks.error());
    return;
  }
  const int64_t from = ps.next_consume >= 0 ? ps.next_consume : msg->offset;
  const int64_t to = marks->low;
  if (from >= to) {
    // Not below the log start after all (e.g. the log was truncated past the end): nothing to skip.
    Fail(Error(ErrorCode::kDataLoss, "source partition " + ps.tp.ToString() + ": offset " +
                                         std::to_string(from) + " is out of range (log " +
                                         std::to_string(marks->low) + ".." + std::to_string(marks->high) + ")"));
    return;
  }
  const std::string what = "source partition " + ps.tp.ToString() + ": offsets " + std::to_string(from) +
                           ".." + std::to_string(to - 1) + " (" + std::to_string(to - from) +
                           " records) were deleted before they were copied";
  if (!config_.skip_lost_records) {
    Fail(Error(ErrorCode::kDataLoss, what));
    return;
  }
  LOG(WARNING) << config_.name << ": " << what << "; skipping them as configured";
  lost_records_ += to - from;
  ps.metrics.lost_records += to - from;
  ps.next_consume = to;
  emitter_.OnLost(ps.tp, SourceOffset(from), SourceOffset(to));
  if (auto r = Reassign(); !r.ok()) Fail(r.error());
}

bool MirrorTask::Loop::QueueNearFull() const {
  const auto queued = static_cast<int64_t>(rd_kafka_queue_length(consumer_queue_.get()));
  if (queued >= static_cast<int64_t>(kQueueFullMessages)) return true;
  // librdkafka counts the queue's bytes as the values' sizes.
  return recent_value_bytes_ > 0 && queued * recent_value_bytes_ >= queue_max_bytes_ / 10 * 9;
}

void MirrorTask::Loop::MaybeWakeFetcher(Clock::time_point now, bool queue_was_full) {
  // librdkafka 2.0.2 stops fetching a broker's partitions once its queue limit is reached and looks
  // again only when its broker thread wakes, up to a second later. Pause/resume does not wake that
  // thread; a seek does. With the queue empty, seeking each lagging partition to the offset after
  // the last record consumed drops nothing and resumes fetching at once. Right after a full queue
  // drained this runs at once. Otherwise (a fetcher that stalled for another reason) only after
  // kStallAfter without records, and not again before records arrive: a seek also discards the
  // answer of a fetch in flight, which a slow source always has.
  if (!queue_was_full && (now - last_record_at_ < kStallAfter || now - last_wake_at_ < kStallAfter ||
                          last_wake_at_ > last_record_at_)) {
    return;
  }
  kafka::PartitionsPtr lagging(rd_kafka_topic_partition_list_new(8));
  for (auto& [topic, ts] : topics_) {
    for (auto& [p, ps] : ts.partitions) {
      int64_t lo = -1, hi = -1;
      if (ps.next_consume >= 0 &&
          rd_kafka_get_watermark_offsets(consumer_.get(), topic.c_str(), p, &lo, &hi) == 0 &&
          hi > ps.next_consume) {
        rd_kafka_topic_partition_list_add(lagging.get(), topic.c_str(), p)->offset = ps.next_consume;
      }
    }
  }
  if (lagging->cnt == 0) return;
  last_wake_at_ = now;
  kafka::ErrorPtr error(rd_kafka_seek_partitions(consumer_.get(), lagging.get(), 0 /* async */));
  if (error != nullptr) {
    Fail(Error::Kafka("wake the source fetcher", error.get()));
    return;
  }
  ++fetcher_wakeups_;
}

void MirrorTask::Loop::Publish(bool force) {
  const auto now = Clock::now();
  if (!force && (!progress_since_publish_ || now - last_publish_at_ < kPublishEvery)) return;
  last_publish_at_ = now;
  progress_since_publish_ = false;
  emitter_.Flush();
  MirrorTaskStats stats;
  stats.records = records_;
  stats.bytes = bytes_;
  stats.lost_records = lost_records_;
  stats.offset_syncs = emitter_.syncs_emitted();
  stats.fetcher_wakeups = fetcher_wakeups_;
  stats.polled = polled_;
  stats.batch_size = batch_size_;
  std::map<TopicPartition, int64_t> committed;
  for (auto& [topic, ts] : topics_) {
    for (auto& [p, ps] : ts.partitions) {
      PartitionProgress& pp = stats.partitions[ps.tp];
      pp.committed = ps.committed;
      pp.next_target = ps.next_target;
      pp.metrics = ps.metrics;
      int64_t lo = -1, hi = -1;
      if (rd_kafka_get_watermark_offsets(consumer_.get(), topic.c_str(), p, &lo, &hi) == 0 && hi >= 0) {
        pp.source_high = hi;
      }
      if (ps.committed >= 0) committed[ps.tp] = ps.committed;
    }
  }
  std::lock_guard lock(mu_);
  published_ = std::move(stats);
  committed_ = std::move(committed);
}

std::map<TopicPartition, int64_t> MirrorTask::Loop::CommittedOffsets() const {
  std::lock_guard lock(mu_);
  return committed_;
}

Error MirrorTask::Loop::Named(const Error& error) const {
  if (!kafka::IsConfigFailure(error)) return error;
  auto bootstrap_of = [](const Properties& props) {
    auto it = props.find("bootstrap.servers");
    return it == props.end() ? std::string() : it->second;
  };
  const std::string source = bootstrap_of(config_.source_consumer);
  const bool on_source = !source.empty() && error.message().find("at " + source) != std::string::npos;
  return kafka::ForCluster(error, on_source ? "source cluster '" + config_.source_alias + "'"
                                            : "target cluster '" + config_.target_alias + "'");
}

void MirrorTask::Loop::CheckClients(Clock::time_point now) {
  if (now - last_client_check_at_ < kConfigCheckEvery || failed_) return;
  last_client_check_at_ = now;
  if (std::optional<Error> failure = kafka::ConfigFailure(consumer_.get())) {
    Fail(kafka::ForCluster(*failure, "source cluster '" + config_.source_alias + "'"));
  } else if (std::optional<Error> failure = kafka::ConfigFailure(producer_.get())) {
    Fail(kafka::ForCluster(*failure, "target cluster '" + config_.target_alias + "'"));
  }
}

void MirrorTask::Loop::Fail(Error error) {
  LOG(ERROR) << config_.name << " failed: " << error.ToString();
  failed_ = true;
  std::lock_guard lock(mu_);
  state_ = State::kFailed;
  failure_ = std::move(error);
}

void MirrorTask::Loop::Shutdown() {
  // In-flight records reference consumed messages: deliver (or abandon) them all before the
  // consumer goes. Then: consumer queue, consumer close, consumer destroy; topic handles, producer.
  if (!failed_) {
    const auto deadline = Clock::now() + config_.stop_timeout;
    while (rd_kafka_outq_len(producer_.get()) > 0 && Clock::now() < deadline && !failed_) {
      PollProducer(50);
    }
  }
  if (rd_kafka_outq_len(producer_.get()) > 0) {
    LOG(WARNING) << config_.name << ": abandoning " << rd_kafka_outq_len(producer_.get())
                 << " records in flight; they will be copied again after a restart";
    rd_kafka_purge(producer_.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    for (int i = 0; i < 100 && rd_kafka_outq_len(producer_.get()) > 0; ++i) rd_kafka_poll(producer_.get(), 100);
  }
  Publish(true);
  LOG(INFO) << config_.name << " stopped: " << records_ << " records copied, " << emitter_.syncs_emitted()
            << " offset syncs, " << fetcher_wakeups_ << " fetcher wakeups";
  CHECK_EQ(buffered_bytes_, 0) << "records still held after the producer drained";
  by_rkt_.clear();
  for (auto& [topic, ts] : topics_) ts.target.reset();
  consumer_queue_.reset();
  if (rd_kafka_resp_err_t err = rd_kafka_consumer_close(consumer_.get())) {
    LOG(WARNING) << config_.name << ": closing the source consumer: " << rd_kafka_err2str(err);
  }
  consumer_.reset();
  producer_.reset();
  std::lock_guard lock(mu_);
  if (state_ == State::kRunning) state_ = State::kStopped;
}

Result<std::unique_ptr<MirrorTask>> MirrorTask::Start(MirrorTaskConfig config, OffsetSyncSink* sink) {
  auto loop = std::make_unique<Loop>(std::move(config), sink);
  if (Result<> opened = loop->Open(); !opened.ok()) return loop->Named(opened.error());
  return std::unique_ptr<MirrorTask>(new MirrorTask(std::move(loop)));
}

MirrorTask::MirrorTask(std::unique_ptr<Loop> loop) : loop_(std::move(loop)) {
  thread_ = std::thread([this] { loop_->Run(); });
}

MirrorTask::~MirrorTask() { Stop(); }

void MirrorTask::Stop() {
  std::call_once(stop_once_, [this] {
    loop_->RequestStop();
    if (thread_.joinable()) thread_.join();
  });
}

MirrorTask::State MirrorTask::state() const { return loop_->state(); }
std::optional<Error> MirrorTask::failure() const { return loop_->failure(); }
std::map<TopicPartition, int64_t> MirrorTask::CommittedOffsets() const { return loop_->CommittedOffsets(); }
MirrorTaskStats MirrorTask::Stats() const { return loop_->Stats(); }

}  // namespace ferry::tasks
