#include "worker/memory_log.h"

namespace ferry::worker {

Result<> MemoryLog::Start(RecordCallback on_record, std::chrono::milliseconds) {
  {
    std::lock_guard lock(mu_);
    on_record_ = std::move(on_record);
  }
  Deliver();
  return Ok();
}

Result<> MemoryLog::Send(const std::optional<std::string>& key, const std::optional<std::string>& value) {
  std::lock_guard lock(mu_);
  if (stopped_) return Error(ErrorCode::kInternal, "the log is stopped");
  records_.push_back({key, value, 0, static_cast<int64_t>(records_.size())});
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

void MemoryLog::Deliver() {
  std::lock_guard deliver(deliver_mu_);
  for (;;) {
    kafka::LogRecord record;
    RecordCallback callback;
    {
      std::lock_guard lock(mu_);
      if (!on_record_ || delivered_ >= records_.size()) return;
      record = records_[delivered_];
      callback = on_record_;
    }
    ++delivered_;
    callback(record);  // without mu_: the callback may Send
  }
}

}  // namespace ferry::worker
