// FileLog: a Log on an append-only local file, for a standalone worker's offsets
// (offset.storage.file.filename). A single process owns the file (an exclusive flock), so its own
// writes are the only ones: each record is delivered to the callback as soon as Send() has appended
// it, which makes ReadToEnd() trivially satisfied.
//
// File format (Ferry's own; a Kafka Connect standalone offsets file is Java-serialized and is
// rejected with a clear error rather than misread):
//   header  := "FERRYLG1"                                   8 bytes
//   record  := body_len:u32le crc32(body):u32le body
//   body    := key_len:i32le key value_len:i32le value      length -1: null (a tombstone value)
// A record cut short by a crash (the file ends inside it, or its checksum fails and nothing follows)
// is dropped with a WARNING and cut off the file at Start(); damage followed by more data is an Error.
// Start() also compacts the file (latest record per key; keys whose latest record is a tombstone go)
// when most of it is superseded, through a temporary file and an atomic rename.
//
// Thread-safety: all methods may be called from any thread. The record callback runs one at a time on
// the calling thread (inside Start() and Send()); it must not call back into the log.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "worker/common/result.h"
#include "worker/kafka/log.h"

namespace ferry::worker {

class FileLog : public kafka::Log {
 public:
  explicit FileLog(std::string path);
  ~FileLog() override;  // Stop()s
  FileLog(const FileLog&) = delete;
  FileLog& operator=(const FileLog&) = delete;

  // Opens (or creates) the file, locks it, replays it through `on_record`. `timeout` is not used: a
  // local file is read to its end without waiting on anyone.
  Result<> Start(RecordCallback on_record, std::chrono::milliseconds timeout) override;
  // Appends the record (one write(2)) and delivers it; a failed or short write is cut off again.
  Result<> Send(const std::optional<std::string>& key, const std::optional<std::string>& value) override;
  // fsyncs the file.
  Result<> Flush(std::chrono::milliseconds timeout) override;
  Result<> ReadToEnd(std::chrono::milliseconds timeout) override;
  // Closes the file and releases its lock.
  void Stop() override;

  const std::string& path() const { return path_; }

  static constexpr char kMagic[] = "FERRYLG1";  // 8 bytes without the terminator
  static constexpr size_t kMagicSize = sizeof(kMagic) - 1;

 private:
  Result<> Compact(const std::vector<kafka::LogRecord>& live, size_t total_records);

  const std::string path_;
  std::mutex mu_;  // serializes every method, and with it the callback
  int fd_ = -1;                // mu_
  bool started_ = false;       // mu_
  bool stopped_ = false;       // mu_
  int64_t size_ = 0;           // mu_; bytes of whole records (and header) in the file
  int64_t next_offset_ = 0;    // mu_
  RecordCallback on_record_;   // mu_
};

}  // namespace ferry::worker
