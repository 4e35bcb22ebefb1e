// MemoryLog: a Log kept in this process's memory, for what Connect's standalone worker does not
// persist (connector configs and statuses). Records become visible at Flush() or ReadToEnd(), whose
// caller then runs the record callback for them, one record at a time, in order.
// Thread-safety: all methods may be called from any thread.
#pragma once

#include <mutex>
#include <vector>

#include "worker/kafka/log.h"

namespace ferry::worker {

class MemoryLog : public kafka::Log {
 public:
  Result<> Start(RecordCallback on_record, std::chrono::milliseconds timeout) override;
  Result<> Send(const std::optional<std::string>& key, const std::optional<std::string>& value) override;
  Result<> Flush(std::chrono::milliseconds timeout) override;
  Result<> ReadToEnd(std::chrono::milliseconds timeout) override;
  void Stop() override;

 private:
  void Deliver();

  std::mutex mu_;
  std::vector<kafka::LogRecord> records_;  // guarded by mu_
  RecordCallback on_record_;        // guarded by mu_
  bool stopped_ = false;            // guarded by mu_
  std::mutex deliver_mu_;           // one callback at a time
  size_t delivered_ = 0;            // guarded by deliver_mu_
};

}  // namespace ferry::worker
