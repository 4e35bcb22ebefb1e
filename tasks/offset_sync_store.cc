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

namespace {

// A non-negative decimal offset, or -1.
int64_t ParseOffset(const std::string& text) {
  if (text.empty() || text.size() > 19 || text.find_first_not_of("0123456789") != std::string::npos) return -1;
  return std::stoll(text);
}

// Kafka's text form of a topic ID: 16 bytes in URL-safe base64 without padding, 22 characters.
bool IsTopicId(const std::string& text) {
  return text.size() == 22 &&
         text.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == std::string::npos;
}

}  // namespace

void OffsetSyncStore::OnRecord(const kafka::LogRecord& record) {
  std::lock_guard lock(mu_);
  // Offsets skipped before this record: compaction or retention took syncs that may have been of
  // any partition.
  int64_t& expected = next_offset_[record.partition];
  if (record.offset != expected && record.offset >= 0) {
    if (skips_ == 0) {
      LOG(INFO) << "offset syncs from " << record.Where() << " on: offsets " << expected << ".."
                << record.offset - 1 << " are gone (compacted or expired); Ferry's syncs keep every run, "
                << "other syncs only the newest per partition";
    }
    ++skips_;
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
  auto unreadable = [&](const std::string& name, const std::string& value) {
    LOG(WARNING) << "offset-syncs record at " << record.Where() << ": unreadable header " << name << " '"
                 << value.substr(0, 64) << "', ignored";
  };
  for (const auto& [name, value] : record.headers) {
    if (name == kRunEndsHeader) {
      read.run_ends_reported = true;
    } else if (name == kWriterHeader) {
      read.writer = value;
    } else if (name == kRunHeader) {
      read.run_start = ParseOffset(value);
      if (read.run_start < 0 || read.run_start > sync->upstream_offset) {
        read.run_start = -1;
        unreadable(name, value);
      }
    } else if (name == kPreviousRunHeader) {
      long long start = -1, end = -1;
      if (std::sscanf(value.c_str(), "%lld-%lld", &start, &end) == 2 && 0 <= start && start < end) {
        read.previous_run = start;
        read.previous_run_end = end;
      } else {
        unreadable(name, value);
      }
    } else if (name == kResumedAtHeader) {
      read.resumed_at = ParseOffset(value);
      if (read.resumed_at < 0) unreadable(name, value);
    } else if (name == kTopicIdHeader) {
      if (IsTopicId(value)) {
        read.topic_id = value;
      } else {
        unreadable(name, value);
      }
    } else if (name == kLostHeader) {
      long long from = -1, to = -1;
      if (std::sscanf(value.c_str(), "%lld-%lld", &from, &to) == 2 && 0 <= from && from < to &&
          to <= sync->upstream_offset) {
        read.lost_from = from;
        read.lost_to = to;
      } else {
        unreadable(name, value);
      }
    }
  }
  if (read.previous_run >= 0 && (read.run_start < 0 || read.previous_run_end > read.run_start)) {
    unreadable(kPreviousRunHeader, std::to_string(read.previous_run) + "-" + std::to_string(read.previous_run_end));
    read.run_start = read.previous_run = read.previous_run_end = -1;  // a run's predecessor ends before it starts
  }
  ++syncs_read_;
  int64_t& skips_seen = skips_at_last_sync_[read.source];
  const bool skipped = skips_ > skips_seen;
  skips_seen = skips_;
  map_.OnSyncRead(read, skipped);
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
