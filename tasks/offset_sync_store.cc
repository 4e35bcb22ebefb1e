#include "tasks/offset_sync_store.h"

#include <cstdio>

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
  std::lock_guard lock(mu_);
  // Offsets skipped before this record: compaction or retention took syncs that may have been of
  // any partition whose first sync comes later.
  int64_t& expected = next_offset_[record.partition];
  if (record.offset != expected && record.offset >= 0) {
    if (!older_syncs_gone_) {
      LOG(INFO) << "offset syncs from " << record.Where() << " on: offsets " << expected << ".."
                << record.offset - 1 << " are gone (compacted or expired); translations below the first sync "
                << "read of a partition are refused";
    }
    older_syncs_gone_ = true;
  }
  expected = record.offset + 1;
  if (!record.key || !record.value) return;  // tombstones carry no sync
  auto sync = OffsetSyncRecord::Decode(*record.key, *record.value);
  if (!sync.ok()) {
    ++corrupt_;
    LOG(WARNING) << "Skipping offset-syncs record at " << record.Where() << ": " << sync.error().message();
    return;
  }
  OffsetSync read{{sync->topic, sync->partition}, SourceOffset(sync->upstream_offset),
                  TargetOffset(sync->downstream_offset)};
  for (const auto& [name, value] : record.headers) {
    if (name == kRunEndsHeader) {
      read.run_ends_reported = true;
    } else if (name == kWriterHeader) {
      read.writer = value;
    } else if (name == kLostHeader) {
      long long from = -1, to = -1;
      if (std::sscanf(value.c_str(), "%lld-%lld", &from, &to) == 2 && 0 <= from && from < to &&
          to <= sync->upstream_offset) {
        read.lost_from = from;
        read.lost_to = to;
      } else {
        LOG(WARNING) << "offset-syncs record at " << record.Where() << ": unreadable header " << kLostHeader << " '"
                     << value.substr(0, 64) << "', ignored";
      }
    }
  }
  ++syncs_read_;
  map_.OnSyncRead(read, older_syncs_gone_);
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
