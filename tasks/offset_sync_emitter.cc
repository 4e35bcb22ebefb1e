#include "tasks/offset_sync_emitter.h"

namespace ferry::tasks {

void OffsetSyncEmitter::OnAcked(const TopicPartition& source, SourceOffset source_offset,
                                TargetOffset target_offset) {
  PartitionState& p = partitions_[source];
  const int64_t delta = target_offset.value - source_offset.value;
  if (!p.has_run || delta != p.delta) {
    // The run so far ends with its last acknowledged record: reported before the next run starts,
    // so that a reader knows where the gap between them begins.
    if (p.dirty) {
      p.dirty = false;
      sink_.OnCopied(source, SourceOffset(p.next_source), TargetOffset(p.next_target));
    }
    p.has_run = true;
    p.delta = delta;
    ++syncs_emitted_;
    sink_.OnOffsetSync({source, source_offset, target_offset, /*run_ends_reported=*/true});
  }
  p.next_source = source_offset.value + 1;
  p.next_target = target_offset.value + 1;
  p.dirty = true;
}

void OffsetSyncEmitter::Flush() {
  for (auto& [tp, p] : partitions_) {
    if (!p.dirty) continue;
    p.dirty = false;
    sink_.OnCopied(tp, SourceOffset(p.next_source), TargetOffset(p.next_target));
  }
}

}  // namespace ferry::tasks
