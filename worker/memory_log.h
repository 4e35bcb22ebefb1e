// MemoryLog: a Log kept in this process's memory, for what Connect's standalone worker does not
// persist (connector configs and statuses). Records become visible at Flush() or ReadToEnd(), whose
// caller then runs the record callback for them, one record at a time, in order.
//
// It keeps only what a compacted topic would: once delivered, a record superseded by a later one
// with its key, a tombstone and a record without a key are dropped, so a worker that creates and
// deletes connectors for months holds one record per live key, not its whole history. A later
// Start() (after Stop) replays what is kept, in offset order.
// Thread-safety: all methods may be called from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>

#include "worker/kafka/log.h"

namespace ferry::worker {

class MemoryLog : public kafka::Log {
 public:
  // `name` names its records in messages ("standalone status log partition 0 offset 7").
  explicit MemoryLog(std::string name = "memory log");

  Result<> Start(RecordCallback on_record, std::chrono::milliseconds timeout) override;
  Result<> Send(const std::optional<std::string>& key, const std::optional<std::string>& value) override;
  Result<> Flush(std::chrono::milliseconds timeout) override;
  Result<> ReadToEnd(std::chrono::milliseconds timeout) override;
  void Stop() override;

  // How many records it holds now (delivered and live, or not yet delivered).
  size_t retained_records() const;

 private:
  void Deliver();
  // Drops the delivered record at `offset` if nothing a replay needs is lost with it. Needs mu_.
  void PruneDeliveredLocked(int64_t offset);

  const std::string name_;
  mutable std::mutex mu_;
  std::map<int64_t, kafka::LogRecord> records_;          // mu_; by offset
  std::unordered_map<std::string, int64_t> latest_;      // mu_; key -> offset of its latest record
  int64_t next_offset_ = 0;                              // mu_
  int64_t next_to_deliver_ = 0;                          // mu_
  RecordCallback on_record_;                             // mu_
  bool stopped_ = false;                                 // mu_
  std::mutex deliver_mu_;                                // one callback at a time
};

}  // namespace ferry::worker
