#include "worker/memory_log.h"

#include <utility>

namespace ferry::worker {

MemoryLog::MemoryLog(std::string name) : name_(std::move(name)) {}

Result<> MemoryLog::Start(RecordCallback on_record, std::chrono::milliseconds) {
  {
    std::lock_guard lock(mu_);
    on_record_ = std::move(on_record);
    stopped_ = false;
    next_to_deliver_ = 0;  // a new reader reads from the start
  }
  Deliver();
  return Ok();
}

Result<> MemoryLog::Send(const std::optional<std::string>& key, const std::optional<std::string>& value) {
  std::lock_guard lock(mu_);
  if (stopped_) return Error(ErrorCode::kInternal, "the log is stopped");
  const int64_t offset = next_offset_++;
  records_.emplace(offset, kafka::LogRecord{key, value, 0, offset, name_});
  if (!key) return Ok();
  auto [latest, inserted] = latest_.try_emplace(*key, offset);
  if (!inserted) {
    const int64_t superseded = std::exchange(latest->second, offset);
    // Not yet delivered: the reader still sees it (as a consumer ahead of the cleaner would).
    if (superseded < next_to_deliver_) records_.erase(superseded);
  }
  return Ok();
}

Result<> MemoryLog::Flush(std::chrono::milliseconds) {
  Deliver();
  return Ok();
}

Result<> MemoryLog::ReadToEnd(std::chrono::milliseconds) {
  Deliver();
  return Ok();
}

void MemoryLog::Stop() {
  std::lock_guard deliver(deliver_mu_);
  std::lock_guard lock(mu_);
  stopped_ = true;
  on_record_ = nullptr;
}

size_t MemoryLog::retained_records() const {
  std::lock_guard lock(mu_);
  return records_.size();
}

void MemoryLog::PruneDeliveredLocked(int64_t offset) {
  auto it = records_.find(offset);
  if (it == records_.end()) return;
  const kafka::LogRecord& record = it->second;
  if (!record.key) {
    records_.erase(it);
    return;
  }
  auto latest = latest_.find(*record.key);
  if (latest == latest_.end() || latest->second != offset) {
    records_.erase(it);  // superseded while it waited for delivery
  } else if (!record.value) {
    latest_.erase(latest);  // a delivered tombstone: the key is gone for every later reader too
    records_.erase(it);
  }
}

void MemoryLog::Deliver() {
  std::lock_guard deliver(deliver_mu_);
  for (;;) {
    kafka::LogRecord record;
    RecordCallback callback;
    {
      std::lock_guard lock(mu_);
      if (!on_record_) return;
      auto next = records_.lower_bound(next_to_deliver_);
      if (next == records_.end()) return;
      record = next->second;
      callback = on_record_;
      next_to_deliver_ = next->first + 1;
    }
    callback(record);  // without mu_: the callback may Send
    std::lock_guard lock(mu_);
    PruneDeliveredLocked(record.offset);
  }
}

}  // namespace ferry::worker
