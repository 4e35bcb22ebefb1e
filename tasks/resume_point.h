// Where a restarted mirror task resumes a partition (ferry.resume.mode, docs/exactly-once.md).
//
// `committed` (the default, as MM2): at the stored position, so whatever the previous run copied
// after its last offset commit is copied again. `exact`: at the source record after the last one
// whose copy is on the target, when that can be proven: the target's records from the last offset
// sync's copy to the partition's end must be, one for one and in order, the source's records from
// that sync's source offset on (key, value, timestamp, headers), with consecutive target offsets.
// Anything else (no sync, another writer's records, a record deleted or compacted away on either
// side, a stretch too long to compare, a read that fails) falls back to the stored position and
// counts what will be copied again. A resume never starts past a record whose copy was not seen:
// the comparison is the proof, and without it the answer is the stored position.
// Thread-safety: DecideResume is a pure function of its arguments (the readers are used by it alone).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "worker/common/result.h"
#include "worker/common/types.h"
#include "worker/kafka/client.h"
#include "worker/kafka/record_io.h"

namespace ferry::tasks {

inline constexpr char kResumeModeConfig[] = "ferry.resume.mode";
inline constexpr char kResumeMaxCompareConfig[] = "ferry.resume.max.compare.records";
inline constexpr int64_t kDefaultResumeMaxCompare = 100000;

enum class ResumeMode { kCommitted, kExact };
Result<ResumeMode> ParseResumeMode(const std::string& value);  // "" is the default, committed

// Reads one partition in offset order; the real one is a Kafka consumer (resume_reader.h).
class PartitionReader {
 public:
  virtual ~PartitionReader() = default;
  virtual Result<kafka::Watermarks> Marks(const TopicPartition& tp) = 0;
  // Up to `max` records of `tp` at or after offset `from` and below `end`, in offset order, each
  // with its offset; fewer (none) only when no more lie below `end`. Offsets may skip (transaction
  // markers, compaction, aborted records); the reader never skips a record it could read.
  virtual Result<std::vector<kafka::Record>> Read(const TopicPartition& tp, int64_t from, int64_t end, size_t max) = 0;
};

// What the offset-syncs topic says of a partition (OffsetMap::Covered / Forward).
struct ResumeFacts {
  int64_t committed = -1;  // the stored position (the next source offset); -1: none stored
  // The newest copy the syncs name: source record `synced_source` landed at `synced_target`.
  // -1: no sync of the partition.
  int64_t synced_source = -1;
  int64_t synced_target = -1;
  bool contested = false;  // two writers copied part of the partition (OffsetMap::Inexact::kTwoWriters)
  // Where the stored position's record lands on the target, when the map says so exactly; -1: unknown.
  int64_t committed_lands_at = -1;
};

// Records whose source offsets and target offsets both advance by one from (source, target).
struct CopyRun {
  int64_t source = 0;
  int64_t target = 0;
  int64_t count = 0;
  bool operator==(const CopyRun&) const = default;
};

struct Resume {
  ResumeMode mode = ResumeMode::kCommitted;  // kExact: proven; else fell back
  int64_t next_source = -1;  // where the task resumes (-1: the log start, as with nothing stored)
  int64_t next_target = -1;  // exact: where its next copy lands (the target's end)
  // Exact: the source offset after the last sync's record, where the proven copies begin. The new
  // syncs say it as the position resumed from when nothing was stored (ferry.resumed-at), so a
  // reader knows no run between is missing.
  int64_t synced_next_source = -1;
  // Committed: target records past the stored position's copy that the task copies again, at most
  // (another writer's records count too); -1: unknown. Exact: 0.
  int64_t duplicates = 0;
  int64_t compared = 0;        // target records compared (the sync's copy included)
  std::vector<CopyRun> copies; // exact: the copies proven past the last sync, for the new syncs
  std::string reason;          // what was proven, or why it fell back: for the log and the status
};

// Decides where partition `source` (copied to `target`) resumes. In kCommitted mode nothing is read
// beyond the target's end (to count duplicates). `max_compare`: the most target records compared.
Resume DecideResume(ResumeMode mode, const TopicPartition& source, const TopicPartition& target,
                    const ResumeFacts& facts, PartitionReader& source_reader, PartitionReader& target_reader,
                    int64_t max_compare);

}  // namespace ferry::tasks
