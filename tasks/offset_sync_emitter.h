// Decides when a partition needs a new offset sync: at its first acknowledged record, and whenever
// `target offset - source offset` changes (a gap in the source from transaction markers, compaction
// or retention, or a restart that re-copied records). Between two syncs source and target advance
// one for one, and the last record of a run is reported (OnCopied) before the next run's sync, so
// every source offset translates exactly, gaps included.
// Thread-safety: not thread-safe; one per task, used on the task thread.
#pragma once

#include <unordered_map>

#include "tasks/offset_sync.h"

namespace ferry::tasks {

class OffsetSyncEmitter {
 public:
  explicit OffsetSyncEmitter(OffsetSyncSink& sink) : sink_(sink) {}

  // Called for each acknowledged record, in offset order per partition.
  void OnAcked(const TopicPartition& source, SourceOffset source_offset, TargetOffset target_offset);
  // Records [from, to) of `source` were deleted before they were copied and are skipped: the sync
  // of the first record copied after them says so (OffsetSync::lost_from).
  void OnLost(const TopicPartition& source, SourceOffset from, SourceOffset to);
  // Reports progress of every partition that moved since the last call to the sink.
  void Flush();

  int64_t syncs_emitted() const { return syncs_emitted_; }

 private:
  struct PartitionState {
    int64_t delta = 0;  // target - source of the current run
    bool has_run = false;
    int64_t next_source = -1;
    int64_t next_target = -1;
    bool dirty = false;
    int64_t lost_from = -1, lost_to = -1;  // skipped records not yet reported
  };

  OffsetSyncSink& sink_;
  std::unordered_map<TopicPartition, PartitionState> partitions_;
  int64_t syncs_emitted_ = 0;
};

}  // namespace ferry::tasks
