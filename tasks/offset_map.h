// OffsetMap translates a source offset to the target offset of the first source record at or after
// it. It is exact because the mirror emits a sync whenever the offset delta changes: a run of records
// with one delta ends where the next run starts, and the last run ends at the copied-up-to point.
// Past that point there is no answer yet ("not yet replicated"), never a guess.
// Thread-safety: all methods may be called from any thread.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "tasks/offset_sync.h"

namespace ferry::tasks {

class OffsetMap : public OffsetSyncSink {
 public:
  // A sync at or below an existing one replaces every entry from its source offset on: the records
  // there were copied again (a restart from an older committed position) and now live at new offsets.
  void OnOffsetSync(const OffsetSync& sync) override;
  void OnCopied(const TopicPartition& source, SourceOffset next_source, TargetOffset next_target) override;

  // The target offset at which a consumer that committed `committed` on the source resumes.
  // nullopt before the first sync or beyond what has been copied.
  std::optional<TargetOffset> Translate(const TopicPartition& source, SourceOffset committed) const;

  size_t sync_count(const TopicPartition& source) const;

 private:
  struct PartitionMap {
    std::map<int64_t, int64_t> runs;  // source offset of a run's first record -> its target offset
    int64_t next_source = -1;         // copied up to (exclusive)
    int64_t next_target = -1;
  };

  mutable std::mutex mu_;
  std::unordered_map<TopicPartition, PartitionMap> partitions_;  // guarded by mu_
};

}  // namespace ferry::tasks
