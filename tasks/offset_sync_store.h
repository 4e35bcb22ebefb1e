// OffsetSyncStore reads MM2's offset-syncs topic from its start, keeps tailing it, and rebuilds the
// exact offset map from it (OffsetMap::OnSyncRead), telling it where syncs topic offsets were skipped
// (compaction or retention). So after a restart (of the mirror or of the reader) every source offset
// up to the last synced record translates exactly, or is refused where the history is incomplete.
// Thread-safety: all methods may be called from any thread.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>

#include "tasks/offset_map.h"
#include "worker/kafka/kafka_log.h"

namespace ferry::tasks {

class OffsetSyncStore {
 public:
  // `options.topic` is the offset-syncs topic; the clients point at the cluster that holds it.
  explicit OffsetSyncStore(kafka::KafkaLogOptions options);
  OffsetSyncStore(const OffsetSyncStore&) = delete;
  OffsetSyncStore& operator=(const OffsetSyncStore&) = delete;

  Result<> Start(std::chrono::milliseconds timeout);  // reads to the end
  Result<> ReadToEnd(std::chrono::milliseconds timeout);
  void Stop();

  std::optional<TargetOffset> Translate(const TopicPartition& source, SourceOffset committed) const {
    return map_.Translate(source, committed);
  }
  // The map as read so far (translation both ways, what has been copied).
  const OffsetMap& map() const { return map_; }
  int64_t syncs_read() const;
  int64_t corrupt_records() const;  // skipped, logged

 private:
  void OnRecord(const kafka::LogRecord& record);

  kafka::KafkaLog log_;
  OffsetMap map_;
  mutable std::mutex mu_;
  int64_t syncs_read_ = 0;                                      // mu_
  int64_t corrupt_ = 0;                                         // mu_
  std::map<int32_t, int64_t> next_offset_;                      // mu_: per syncs-topic partition
  int64_t skips_ = 0;                                           // mu_: offsets skipped, times
  std::map<TopicPartition, int64_t> skips_at_last_sync_;        // mu_: skips_ at each partition's last sync
};

}  // namespace ferry::tasks
