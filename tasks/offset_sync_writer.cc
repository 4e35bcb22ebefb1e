#include "tasks/offset_sync_writer.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>

#include <glog/logging.h>

#include "tasks/mirror_records.h"
#include "worker/kafka/client.h"

namespace ferry::tasks {
namespace {

// 64 random bits in hex: one writer's runs are told from another's by it.
std::string RandomId() {
  std::random_device random;
  const uint64_t bits = (static_cast<uint64_t>(random()) << 32) ^ random();
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(bits));
  return hex;
}

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The downstream (target) offset of a sync as written (OffsetSyncRecord::EncodeValue: two big-endian
// INT64s, upstream then downstream), read without copying the record; -1 if it is not one.
int64_t DownstreamOffset(const rd_kafka_message_t& msg) {
  if (msg.payload == nullptr || msg.len != 16) return -1;
  const auto* bytes = static_cast<const unsigned char*>(msg.payload) + 8;
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value = (value << 8) | bytes[i];
  return static_cast<int64_t>(value);
}

}  // namespace

int64_t OffsetSyncProgress::pending() const {
  const int64_t covered_to = acked_target >= 0 ? acked_target + 1 : first_target;
  return covered_to >= 0 && copied_target > covered_to ? copied_target - covered_to : 0;
}

Result<std::unique_ptr<OffsetSyncWriter>> OffsetSyncWriter::Create(OffsetSyncWriterConfig config) {
  std::string id = config.writer_name + "@" + RandomId();
  std::unique_ptr<OffsetSyncWriter> writer(new OffsetSyncWriter(std::move(config), std::move(id)));
  Properties props = writer->config_.producer;
  props.emplace("acks", "all");
  props.emplace("linger.ms", "5");
  props.emplace("delivery.timeout.ms", "0");  // as the mirror's producer: a sync waits out an outage
  props["enable.idempotence"] = "true";  // a retried sync is never duplicated or reordered
  auto producer = kafka::NewClient(RD_KAFKA_PRODUCER, props, [&](rd_kafka_conf_t* conf) {
    rd_kafka_conf_set_dr_msg_cb(conf, &OnDelivery);
    rd_kafka_conf_set_opaque(conf, writer.get());
  });
  if (!producer.ok()) return producer.error();
  writer->producer_ = std::move(*producer);
  return writer;
}

OffsetSyncWriter::~OffsetSyncWriter() {
  if (!producer_) return;
  if (rd_kafka_flush(producer_.get(), 5000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    LOG(WARNING) << "offset syncs to " << config_.topic << " not all delivered before stopping";
    rd_kafka_purge(producer_.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_poll(producer_.get(), 0);
  }
}

void OffsetSyncWriter::OnDelivery(rd_kafka_t*, const rd_kafka_message_t* msg, void* opaque) {
  auto* self = static_cast<OffsetSyncWriter*>(opaque);
  std::lock_guard lock(self->mu_);
  if (msg->err) {
    ++self->failed_;
    self->last_failure_ = rd_kafka_err2str(msg->err);
    LOG(WARNING) << "an offset sync to " << self->config_.topic << " was not written: " << rd_kafka_err2str(msg->err);
    return;
  }
  ++self->written_;
  // The opaque is the partition's progress (a map node: it stays put); the sync's own value says
  // which copy it maps. Acknowledged in order: the producer is idempotent.
  auto* p = static_cast<OffsetSyncProgress*>(msg->_private);
  const int64_t target = DownstreamOffset(*msg);
  if (p == nullptr || target < 0) return;  // not written by Write(): cannot happen
  p->acked_ms = WallMs();
  p->acked_target = std::max(p->acked_target, target);
  // Copies past it came before this acknowledgement: they wait since it, at the latest.
  p->pending_since_ms = p->pending() > 0 ? p->acked_ms : -1;
}

OffsetSyncWriter::OffsetSyncWriter(OffsetSyncWriterConfig config, std::string writer_id)
    : config_(std::move(config)),
      writer_id_(std::move(writer_id)),
      schedule_(writer_id_, config_.offset_lag_max, [this](const OffsetSync& sync) { return Write(sync); },
                config_.resumed_at, config_.topic_ids) {}

bool OffsetSyncWriter::Write(const OffsetSync& sync) {
  const OffsetSyncRecord record{sync.source.topic, sync.source.partition, sync.source_offset.value,
                                sync.target_offset.value};
  const std::string key = record.EncodeRunKey(RunSlot(sync, config_.run_slots));
  const std::string value = record.EncodeValue();
  rd_kafka_headers_t* headers = rd_kafka_headers_new(8);  // owned by the message once produced
  auto add = [&](const char* name, const std::string& text) {
    rd_kafka_header_add(headers, name, -1, text.data(), static_cast<ssize_t>(text.size()));
  };
  add(kRunEndsHeader, "1");
  add(kWriterHeader, sync.writer);
  add(kRunHeader, std::to_string(sync.run_start));
  if (sync.previous_run >= 0) {
    add(kPreviousRunHeader, std::to_string(sync.previous_run) + "-" + std::to_string(sync.previous_run_end));
  }
  if (sync.resumed_at >= 0) add(kResumedAtHeader, std::to_string(sync.resumed_at));
  if (!sync.topic_id.empty()) add(kTopicIdHeader, sync.topic_id);
  if (sync.lost_from >= 0) add(kLostHeader, std::to_string(sync.lost_from) + "-" + std::to_string(sync.lost_to));
  rd_kafka_resp_err_t err = rd_kafka_producev(
      producer_.get(), RD_KAFKA_V_TOPIC(config_.topic.c_str()), RD_KAFKA_V_PARTITION(0),
      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(key.data(), key.size()),
      RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()), RD_KAFKA_V_HEADERS(headers),
      RD_KAFKA_V_OPAQUE(&progress_[sync.source]), RD_KAFKA_V_END);
  if (err) {
    rd_kafka_headers_destroy(headers);  // not taken over on failure
    ++failed_;
    last_failure_ = rd_kafka_err2str(err);
    LOG(WARNING) << "an offset sync of " << sync.source << " was not queued: " << rd_kafka_err2str(err);
    return false;
  }
  return true;
}

void OffsetSyncWriter::OnOffsetSync(const OffsetSync& sync) {
  std::lock_guard lock(mu_);
  OffsetSyncProgress& p = progress_[sync.source];
  if (p.first_target < 0) p.first_target = sync.target_offset.value;
  schedule_.OnOffsetSync(sync);
}

void OffsetSyncWriter::OnCopied(const TopicPartition& source, SourceOffset next_source, TargetOffset next_target) {
  {
    std::lock_guard lock(mu_);
    OffsetSyncProgress& p = progress_[source];
    p.copied_target = std::max(p.copied_target, next_target.value);
    if (p.pending_since_ms < 0 && p.pending() > 0) p.pending_since_ms = WallMs();
    schedule_.OnCopied(source, next_source, next_target);
  }
  rd_kafka_poll(producer_.get(), 0);  // delivery reports
}

void OffsetSyncWriter::Commit() {
  {
    std::lock_guard lock(mu_);
    schedule_.Commit();
  }
  rd_kafka_poll(producer_.get(), 0);
}

Result<> OffsetSyncWriter::Flush(std::chrono::milliseconds timeout) {
  const rd_kafka_resp_err_t err = rd_kafka_flush(producer_.get(), static_cast<int>(timeout.count()));
  std::lock_guard lock(mu_);
  if (err == RD_KAFKA_RESP_ERR__TIMED_OUT) {
    // Still in flight (a broker slow or restarting, leadership moving), not lost: the caller holds its
    // positions back and flushes again. A sync that fails for good is reported by a later Flush.
    return Error::Timeout("offset syncs to " + config_.topic + " still in flight after " +
                          std::to_string(timeout.count()) + " ms");
  }
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Error::Kafka("write the offset syncs to " + config_.topic + " within " + std::to_string(timeout.count()) + " ms", err);
  }
  const int64_t failed = failed_ - failed_at_last_flush_;
  failed_at_last_flush_ = failed_;
  if (failed > 0) {
    return Error::Internal(std::to_string(failed) + " offset sync(s) to " + config_.topic + " not written: " + last_failure_);
  }
  return Ok();
}

int64_t OffsetSyncWriter::written() const {
  std::lock_guard lock(mu_);
  return written_;
}

std::map<TopicPartition, OffsetSyncProgress> OffsetSyncWriter::Progress() const {
  std::lock_guard lock(mu_);
  return progress_;
}

int64_t OffsetSyncWriter::failed() const {
  std::lock_guard lock(mu_);
  return failed_;
}

}  // namespace ferry::tasks
