#include "tasks/offset_sync_schedule.h"

namespace ferry::tasks {

uint32_t RunSlot(const OffsetSync& sync, int64_t slots) {
  const int64_t run_target = sync.run_start < 0 ? sync.target_offset.value
                                                : sync.run_start + (sync.target_offset.value - sync.source_offset.value);
  return static_cast<uint32_t>(((run_target % slots) + slots) % slots);
}

void OffsetSyncSchedule::WriteRecord(Partition& p, int64_t source, int64_t target) {
  OffsetSync sync = p.run;
  sync.source_offset = SourceOffset(source);
  sync.target_offset = TargetOffset(target);
  if (write_(sync)) p.synced_target = target;
}

void OffsetSyncSchedule::OnOffsetSync(const OffsetSync& sync) {
  Partition& p = partitions_[sync.source];
  // The previous run's last record first, so a reader knows where that run ends.
  if (p.last_target >= 0 && p.last_target != p.synced_target) WriteRecord(p, p.last_source, p.last_target);
  const int64_t previous_run = p.has_run ? p.run.run_start : -1;
  const int64_t previous_run_end = p.has_run ? p.last_source + 1 : -1;
  p.run = sync;
  p.run.run_ends_reported = true;
  p.run.writer = writer_id_;
  p.run.run_start = sync.source_offset.value;
  p.run.previous_run = previous_run;
  p.run.previous_run_end = previous_run_end;
  auto resumed = resumed_at_.find(sync.source);
  p.run.resumed_at = !p.has_run && resumed != resumed_at_.end() && resumed->second >= 0 ? resumed->second : -1;
  auto topic_id = topic_ids_.find(sync.source.topic);
  p.run.topic_id = topic_id != topic_ids_.end() ? topic_id->second : "";
  p.has_run = true;
  p.last_source = sync.source_offset.value;
  p.last_target = sync.target_offset.value;
  WriteRecord(p, p.last_source, p.last_target);
}

void OffsetSyncSchedule::OnCopied(const TopicPartition& source, SourceOffset next_source, TargetOffset next_target) {
  Partition& p = partitions_[source];
  p.last_source = next_source.value - 1;
  p.last_target = next_target.value - 1;
  if (!p.has_run) return;  // a sink is told of a run before its progress; nothing to name it by yet
  if (p.synced_target < 0 || p.last_target - p.synced_target >= offset_lag_max_) {
    WriteRecord(p, p.last_source, p.last_target);
  }
}

void OffsetSyncSchedule::Commit() {
  for (auto& [tp, p] : partitions_) {
    if (p.has_run && p.last_target >= 0 && p.last_target != p.synced_target) WriteRecord(p, p.last_source, p.last_target);
  }
}

}  // namespace ferry::tasks
