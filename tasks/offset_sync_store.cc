#include "tasks/offset_sync_store.h"

#include <glog/logging.h>

#include "tasks/mirror_records.h"
#include "tasks/offset_sync_writer.h"

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
  bool run_ends_reported = false;
  for (const auto& [name, value] : record.headers) run_ends_reported |= name == kRunEndsHeader;
  map_.OnSyncRead({{sync->topic, sync->partition}, SourceOffset(sync->upstream_offset),
                   TargetOffset(sync->downstream_offset), run_ends_reported});
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
