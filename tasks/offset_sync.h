// OffsetSync: where one source record landed on the target. The exact offset map is built from these.
#pragma once

#include "worker/common/types.h"

namespace ferry::tasks {

struct OffsetSync {
  TopicPartition source;  // the source topic-partition (the target partition has the same number)
  SourceOffset source_offset;
  TargetOffset target_offset;
  bool operator==(const OffsetSync&) const = default;
};

// Receives what a mirror task learns about its partitions, on the task's thread, in order per partition.
class OffsetSyncSink {
 public:
  virtual ~OffsetSyncSink() = default;
  // A run of records starts here: from `source_offset` on, source and target advance together until
  // the next sync of the same partition.
  virtual void OnOffsetSync(const OffsetSync& sync) = 0;
  // Every source record before `next_source` has been copied; the next one will land at `next_target`.
  virtual void OnCopied(const TopicPartition& source, SourceOffset next_source, TargetOffset next_target) = 0;
};

}  // namespace ferry::tasks
