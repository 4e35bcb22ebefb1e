#include "tasks/offset_sync_store.h"

#include <glog/logging.h>

#include "tasks/mirror_records.h"

namespace ferry::tasks {

OffsetSyncStore::OffsetSyncStore(kafka::KafkaLogOptions options) : log_(std::move(options)) {}

Result<> OffsetSyncStore::Start(std::chrono::milliseconds timeout) {
  return log_.Start([this](const kafka::LogRecord& record) { OnRecord(record); }, timeout);
}

Result<> OffsetSyncStore::ReadToEnd(std::chrono::milliseconds timeout) { return log_.ReadToEnd(timeout); }

void OffsetSyncStore::Stop() { log_.Stop(); }

void OffsetSyncStore::OnRecord(const kafka::LogRecord& record) {
  if (!record.key || !record.value) return;  // tombstones carry no sync
  auto sync = OffsetSyncRecord::Decode(*record.key, *record.value);
  std::lock_guard lock(mu_);
  if (!sync.ok()) {
    ++corrupt_;
    LOG(WARNING) << "Skipping offset-syncs record at " << record.Where() << ": " << sync.error().message();
    return;
  }
  ++syncs_read_;
  const TopicPartition tp{sync->topic, sync->partition};
  const int64_t s = sync->upstream_offset;
  const int64_t t = sync->downstream_offset;
  auto last = last_.find(tp);
  const bool same_run = last != last_.end() && s > last->second.first &&
                        t - s == last->second.second - last->second.first;
  if (!same_run) map_.OnOffsetSync({tp, SourceOffset(s), TargetOffset(t)});
  map_.OnCopied(tp, SourceOffset(s + 1), TargetOffset(t + 1));
  last_[tp] = {s, t};
}

int64_t OffsetSyncStore::syncs_read() const {
  std::lock_guard lock(mu_);
  return syncs_read_;
}

int64_t OffsetSyncStore::corrupt_records() const {
  std::lock_guard lock(mu_);
  return corrupt_;
}

}  // namespace ferry::tasks
