// CutoverJournal: what every cutover and rollback did, in a Log (a compacted Kafka topic on the target
// cluster, `ferry-cutovers.<source alias>.internal`, keyed by group; MemoryLog in tests). A move is
// written twice: "committing" with the offsets about to be committed and the ones they replace, before
// anything changes, then "done" or "failed". So after any crash the latest entry says what may have
// happened, and `status` can tell an operator whether a group was left mid-move.
// Thread-safety: all methods may be called from any thread.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "worker/common/result.h"
#include "worker/common/types.h"
#include "worker/kafka/log.h"

namespace ferry::cutover {

// Which way a group moves: to the target cluster (cutover) or back to the source (rollback).
enum class Direction { kCutover, kRollback };
const char* DirectionName(Direction direction);  // "cutover", "rollback"

// One partition of a move: the group's offset `from_offset` on `from` becomes `offset` on `to`.
struct CommittedPartition {
  TopicPartition from;
  int64_t from_offset = -1;
  TopicPartition to;
  int64_t offset = -1;
  std::optional<int64_t> previous;  // the group's offset on `to` before the move; nullopt: none
  bool operator==(const CommittedPartition&) const = default;
};

struct JournalEntry {
  enum class State { kCommitting, kDone, kFailed };
  std::string group;
  Direction direction = Direction::kCutover;
  State state = State::kCommitting;
  int64_t time_ms = 0;
  std::string connector;  // the mirror whose offset map translated
  std::vector<CommittedPartition> partitions;
  std::string error;      // kFailed: why
  bool restored = false;  // kFailed: the previous offsets were put back
  bool operator==(const JournalEntry&) const = default;

  std::string ToJson() const;
  static Result<JournalEntry> FromJson(const std::string& text);
};
const char* StateName(JournalEntry::State state);  // "committing", "done", "failed"

class CutoverJournal {
 public:
  explicit CutoverJournal(kafka::Log& log) : log_(log) {}
  // Stops the log: its thread calls into the journal with every record it reads, and on a shared
  // journal topic other workers' moves keep arriving until the very end.
  ~CutoverJournal() { log_.Stop(); }
  CutoverJournal(const CutoverJournal&) = delete;
  CutoverJournal& operator=(const CutoverJournal&) = delete;

  Result<> Start(std::chrono::milliseconds timeout);  // reads what is there
  // Writes `entry` and waits until it is durable.
  Result<> Append(const JournalEntry& entry, std::chrono::milliseconds timeout);
  // The latest entry of `group`, after reading everything written before this call.
  Result<std::optional<JournalEntry>> Latest(const std::string& group, std::chrono::milliseconds timeout);
  // Every group's latest entry as read so far, without waiting for Kafka (the metrics). `visit` runs
  // under the journal's lock: it must not call the journal.
  void ForEachLatest(const std::function<void(const JournalEntry&)>& visit) const;

 private:
  void OnRecord(const kafka::LogRecord& record);

  kafka::Log& log_;
  mutable std::mutex mu_;
  std::map<std::string, JournalEntry> latest_;  // guarded by mu_
};

}  // namespace ferry::cutover
