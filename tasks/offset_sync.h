// OffsetSync: where one source record landed on the target. The exact offset map is built from these.
#pragma once

#include <cstdint>
#include <string>

#include "worker/common/types.h"

namespace ferry::tasks {

struct OffsetSync {
  TopicPartition source;  // the source topic-partition (the target partition has the same number)
  SourceOffset source_offset;
  TargetOffset target_offset;
  // Its writer reports the last record of every run before the first record of the next one (Ferry's
  // emitter and writer do): a run then ends exactly where its last reported record does, and a
  // source offset after it is a gap. Without it (MM2's syncs) a run is taken to reach the next.
  bool run_ends_reported = false;
  // Which writer (one mirror task's run, kWriterHeader) wrote it; empty when unknown (MM2's syncs).
  std::string writer = {};
  // This run starts right after records [lost_from, lost_to) that were deleted from the source
  // before they were copied (skipped under ferry.skip.lost.records); -1 when none were.
  int64_t lost_from = -1;
  int64_t lost_to = -1;
  // Where the run this sync belongs to starts (source offset), and the source offsets [start, end) of
  // the same writer's previous run: every sync of a run says them (kRunHeader, kPreviousRunHeader),
  // so a reader rebuilds the run from any one of them (compaction may keep one), and the previous
  // run whole from the next. -1: not said (MM2's syncs, older Ferry's; no previous run: the writer's
  // first).
  int64_t run_start = -1;
  int64_t previous_run = -1;
  int64_t previous_run_end = -1;
  // On a writer's first run: the stored position it resumed from (kResumedAtHeader); -1: none (a
  // start from the log's start or end, or not said).
  int64_t resumed_at = -1;
  // The source topic's Kafka topic ID (KIP-516, Kafka's text form) as its writer learned it when it
  // started (kTopicIdHeader); empty: not said (MM2's syncs, or the writer could not learn it). A topic
  // deleted and created again under the same name gets a new ID, and reuses offsets.
  std::string topic_id = {};
  bool operator==(const OffsetSync&) const = default;
};

// Receives what a mirror task learns about its partitions, on the task's thread, in order per partition.
class OffsetSyncSink {
 public:
  virtual ~OffsetSyncSink() = default;
  // A run of records starts here: from `source_offset` on, source and target advance together, as
  // far as OnCopied reports (or, without run_ends_reported, until the next sync of the partition).
  virtual void OnOffsetSync(const OffsetSync& sync) = 0;
  // Every source record before `next_source` has been copied; the next one will land at `next_target`.
  virtual void OnCopied(const TopicPartition& source, SourceOffset next_source, TargetOffset next_target) = 0;
};

}  // namespace ferry::tasks
