#include "tasks/offset_sync_emitter.h"

#include <algorithm>

namespace ferry::tasks {

void OffsetSyncEmitter::OnAcked(const TopicPartition& source, SourceOffset source_offset,
                                TargetOffset target_offset) {
  PartitionState& p = partitions_[source];
  const int64_t delta = target_offset.value - source_offset.value;
  // Records still in flight when the loss was found are acknowledged first; the first one after the
  // skipped range starts the run that reports it.
  const bool after_loss = p.lost_from >= 0 && source_offset.value >= p.lost_to;
  if (!p.has_run || delta != p.delta || after_loss) {
    // The run so far ends with its last acknowledged record: reported before the next run starts,
    // so that a reader knows where the gap between them begins.
    if (p.dirty) {
      p.dirty = false;
      sink_.OnCopied(source, SourceOffset(p.next_source), TargetOffset(p.next_target));
    }
    p.has_run = true;
    p.delta = delta;
    ++syncs_emitted_;
    OffsetSync sync{source, source_offset, target_offset, /*run_ends_reported=*/true};
    if (after_loss) {
      sync.lost_from = p.lost_from;
      sync.lost_to = p.lost_to;
      p.lost_from = p.lost_to = -1;
    }
    sink_.OnOffsetSync(sync);
  }
  p.next_source = source_offset.value + 1;
  p.next_target = target_offset.value + 1;
  p.dirty = true;
}

void OffsetSyncEmitter::OnLost(const TopicPartition& source, SourceOffset from, SourceOffset to) {
  PartitionState& p = partitions_[source];
  p.lost_from = p.lost_from >= 0 ? std::min(p.lost_from, from.value) : from.value;
  p.lost_to = std::max(p.lost_to, to.value);
}

void OffsetSyncEmitter::Flush() {
  for (auto& [tp, p] : partitions_) {
    if (!p.dirty) continue;
    p.dirty = false;
    sink_.OnCopied(tp, SourceOffset(p.next_source), TargetOffset(p.next_target));
  }
}

}  // namespace ferry::tasks
