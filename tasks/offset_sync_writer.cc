#include "tasks/offset_sync_writer.h"

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

}  // namespace

Result<std::unique_ptr<OffsetSyncWriter>> OffsetSyncWriter::Create(OffsetSyncWriterConfig config) {
  std::string id = config.writer_name + "@" + RandomId();
  std::unique_ptr<OffsetSyncWriter> writer(new OffsetSyncWriter(std::move(config), std::move(id)));
  Properties props = writer->config_.producer;
  props.emplace("acks", "all");
  props.emplace("linger.ms", "5");
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
  } else {
    ++self->written_;
  }
}

void OffsetSyncWriter::Write(const TopicPartition& tp, int64_t source, int64_t target, const OffsetSync* lost) {
  const OffsetSyncRecord record{tp.topic, tp.partition, source, target};
  const std::string key = record.EncodeKey();
  const std::string value = record.EncodeValue();
  rd_kafka_headers_t* headers = rd_kafka_headers_new(3);  // owned by the message once produced
  rd_kafka_header_add(headers, kRunEndsHeader, -1, "1", 1);
  rd_kafka_header_add(headers, kWriterHeader, -1, writer_id_.data(), static_cast<ssize_t>(writer_id_.size()));
  if (lost != nullptr && lost->lost_from >= 0) {
    const std::string range = std::to_string(lost->lost_from) + "-" + std::to_string(lost->lost_to);
    rd_kafka_header_add(headers, kLostHeader, -1, range.data(), static_cast<ssize_t>(range.size()));
  }
  rd_kafka_resp_err_t err = rd_kafka_producev(
      producer_.get(), RD_KAFKA_V_TOPIC(config_.topic.c_str()), RD_KAFKA_V_PARTITION(0),
      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(key.data(), key.size()),
      RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()), RD_KAFKA_V_HEADERS(headers),
      RD_KAFKA_V_END);
  if (err) {
    rd_kafka_headers_destroy(headers);  // not taken over on failure
    ++failed_;
    last_failure_ = rd_kafka_err2str(err);
    LOG(WARNING) << "an offset sync of " << tp << " was not queued: " << rd_kafka_err2str(err);
    return;
  }
  Partition& p = partitions_[tp];
  p.synced_source = source;
  p.synced_target = target;
}

void OffsetSyncWriter::OnOffsetSync(const OffsetSync& sync) {
  std::lock_guard lock(mu_);
  Partition& p = partitions_[sync.source];
  // The previous run's last record first, so a reader knows where that run ends.
  if (p.last_target >= 0 && p.last_target != p.synced_target) Write(sync.source, p.last_source, p.last_target);
  p.last_source = sync.source_offset.value;
  p.last_target = sync.target_offset.value;
  Write(sync.source, sync.source_offset.value, sync.target_offset.value, &sync);
}

void OffsetSyncWriter::OnCopied(const TopicPartition& source, SourceOffset next_source, TargetOffset next_target) {
  {
    std::lock_guard lock(mu_);
    Partition& p = partitions_[source];
    p.last_source = next_source.value - 1;
    p.last_target = next_target.value - 1;
    if (p.synced_target < 0 || p.last_target - p.synced_target >= config_.offset_lag_max) {
      Write(source, p.last_source, p.last_target);
    }
  }
  rd_kafka_poll(producer_.get(), 0);  // delivery reports
}

void OffsetSyncWriter::Commit() {
  {
    std::lock_guard lock(mu_);
    for (auto& [tp, p] : partitions_) {
      if (p.last_target >= 0 && p.last_target != p.synced_target) Write(tp, p.last_source, p.last_target);
    }
  }
  rd_kafka_poll(producer_.get(), 0);
}

Result<> OffsetSyncWriter::Flush(std::chrono::milliseconds timeout) {
  const rd_kafka_resp_err_t err = rd_kafka_flush(producer_.get(), static_cast<int>(timeout.count()));
  std::lock_guard lock(mu_);
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

int64_t OffsetSyncWriter::failed() const {
  std::lock_guard lock(mu_);
  return failed_;
}

}  // namespace ferry::tasks
