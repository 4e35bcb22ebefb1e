// OffsetSyncSchedule decides which offset syncs a mirror task writes and what each says, without
// Kafka; OffsetSyncWriter writes them. Ferry's rule keeps translation exact: a sync at the first record
// of every run (whenever `target - source` changes), preceded by one for the previous run's last record
// unless it has one; MM2's bound adds one whenever the last record is `offset.lag.max` or more past the
// last sync; and at every offset commit the last copied record of each partition that moved since its
// last sync (as MM2 3.7+ does).
// Every sync names its run and the writer's previous run (OffsetSync::run_start, previous_run and its
// end), and a run's syncs share a key (RunSlot): compaction of the syncs topic then keeps the last sync of every
// run, from which a reader rebuilds the run whole, where MM2's key keeps one sync per partition.
// Thread-safety: not thread-safe (OffsetSyncWriter calls it under its lock).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "tasks/offset_sync.h"

namespace ferry::tasks {

// Runs whose first records landed a multiple of kRunSlots target offsets apart share a key, so a
// compacted syncs topic keeps at most this many runs per partition: the older run of two sharing a
// slot is gone once compacted, which a reader notices (OffsetMap::OnSyncRead) and refuses below.
inline constexpr int64_t kRunSlots = int64_t{1} << 20;
// The key slot of the run `sync` belongs to: its first record's target offset modulo `slots`.
uint32_t RunSlot(const OffsetSync& sync, int64_t slots = kRunSlots);

class OffsetSyncSchedule : public OffsetSyncSink {
 public:
  // Writes one sync; false when it could not even be queued (it is then written again at the next
  // commit, and the writer reports the failure).
  using Write = std::function<bool(const OffsetSync&)>;
  // `resumed_at`: the stored position each partition resumes from, said by its first run's syncs.
  // `topic_ids`: each source topic's ID (OffsetSync::topic_id) by name, said by every sync of its
  // partitions; a topic absent: not said.
  OffsetSyncSchedule(std::string writer_id, int64_t offset_lag_max, Write write,
                     std::map<TopicPartition, int64_t> resumed_at = {},
                     std::map<std::string, std::string> topic_ids = {})
      : writer_id_(std::move(writer_id)),
        offset_lag_max_(offset_lag_max),
        write_(std::move(write)),
        resumed_at_(std::move(resumed_at)),
        topic_ids_(std::move(topic_ids)) {}

  void OnOffsetSync(const OffsetSync& sync) override;
  void OnCopied(const TopicPartition& source, SourceOffset next_source, TargetOffset next_target) override;
  // Writes the last copied record of every partition that moved since its last sync.
  void Commit();

 private:
  struct Partition {
    OffsetSync run;                   // the current run's first sync, which every sync of the run repeats
    bool has_run = false;
    int64_t synced_target = -1;       // the last sync written
    int64_t last_source = -1, last_target = -1;  // the last copied record
  };
  // Writes (source, target) as a sync of the partition's current run.
  void WriteRecord(Partition& p, int64_t source, int64_t target);

  const std::string writer_id_;
  const int64_t offset_lag_max_;
  const Write write_;
  const std::map<TopicPartition, int64_t> resumed_at_;
  const std::map<std::string, std::string> topic_ids_;
  std::map<TopicPartition, Partition> partitions_;
};

}  // namespace ferry::tasks
