// PartitionProbe: the few per-partition questions a cutover asks of a cluster beyond the Admin API:
// watermarks, where the next record at or after an offset is (and its timestamp), and which offset a
// timestamp falls on. KafkaProbe answers them with one assigned consumer (never a group member, never
// committing). Behind an interface because the 2.0.2 mock cannot look offsets up by timestamp (it
// answers -1), so the time-based fallback is tested against a fake.
// Thread-safety: KafkaProbe's methods may be called from any thread (one call at a time inside).
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>

#include "worker/common/result.h"
#include "worker/common/types.h"
#include "worker/kafka/client.h"
#include "worker/kafka/handles.h"

namespace ferry::cutover {

struct RecordPosition {
  int64_t offset = -1;
  int64_t timestamp = -1;  // CreateTime (or LogAppendTime), ms since the epoch
};

class PartitionProbe {
 public:
  virtual ~PartitionProbe() = default;
  virtual Result<kafka::Watermarks> Watermarks(const TopicPartition& tp) = 0;
  // The first record of `tp` at or after `offset` (at or after the log start when `offset` is below
  // it) and below the high watermark as of the call; nullopt when there is none: only gaps
  // (transaction markers, compacted or deleted records) lie between `offset` and the end.
  virtual Result<std::optional<RecordPosition>> FirstRecordAtOrAfter(const TopicPartition& tp, int64_t offset) = 0;
  // The first offset whose record's timestamp is at or after `timestamp` (ListOffsets by time);
  // nullopt when no record is that late, or the broker cannot say.
  virtual Result<std::optional<int64_t>> OffsetForTimestamp(const TopicPartition& tp, int64_t timestamp) = 0;
};

class KafkaProbe : public PartitionProbe {
 public:
  // `consumer_props`: bootstrap.servers and security settings of the cluster.
  static Result<std::unique_ptr<KafkaProbe>> Create(const Properties& consumer_props, std::chrono::milliseconds timeout);

  Result<kafka::Watermarks> Watermarks(const TopicPartition& tp) override;
  Result<std::optional<RecordPosition>> FirstRecordAtOrAfter(const TopicPartition& tp, int64_t offset) override;
  Result<std::optional<int64_t>> OffsetForTimestamp(const TopicPartition& tp, int64_t timestamp) override;

 private:
  KafkaProbe(kafka::HandlePtr consumer, std::chrono::milliseconds timeout)
      : consumer_(std::move(consumer)), timeout_(timeout) {}

  std::mutex mu_;  // one question at a time on the consumer
  kafka::HandlePtr consumer_;
  const std::chrono::milliseconds timeout_;
};

}  // namespace ferry::cutover
