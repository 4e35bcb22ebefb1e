// OffsetMap translates a source offset to the target offset of the first source record at or after
// it. It is exact because the mirror emits a sync whenever the offset delta changes, and reports the
// last record of each run before the next run starts (OffsetSync::run_ends_reported): a source offset
// after a run's last record and before the next run's first is a gap (markers, compaction, or the
// position a restarted task resumed from), whose first record after it is the next run's first, at
// its newest copy. The last run ends at the copied-up-to point. Past that point there is no answer
// yet ("not yet replicated"), never a guess.
// Thread-safety: all methods may be called from any thread.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "tasks/offset_sync.h"

namespace ferry::tasks {

class OffsetMap : public OffsetSyncSink {
 public:
  // The newest runs kept per partition. A run costs ~160 bytes; a transactional source makes one
  // per transaction, so the bound is what holds memory: older runs are forgotten, and a partition
  // that forgot some has an incomplete history (Coverage::complete_history), whose older groups
  // are refused, never answered wrongly.
  static constexpr size_t kDefaultMaxRunsPerPartition = 100000;
  explicit OffsetMap(size_t max_runs_per_partition = kDefaultMaxRunsPerPartition)
      : max_runs_(max_runs_per_partition) {}

  // A sync at or below an existing one replaces every entry from its source offset on: the records
  // there were copied again (a restart from an older committed position) and now live at new offsets.
  void OnOffsetSync(const OffsetSync& sync) override;
  void OnCopied(const TopicPartition& source, SourceOffset next_source, TargetOffset next_target) override;
  // A sync as read back from the offset-syncs topic (OffsetSyncStore). One of Ferry's names its run
  // (OffsetSync::run_start), which it extends or starts; for any other (MM2's), one whose delta
  // differs from the last sync of its partition, or that goes back, starts a run, and any other
  // marks how far the run has been copied.
  //
  // `syncs_skipped`: the reader skipped offsets of the syncs topic since this partition's last sync
  // (or before its first): compaction, or retention moved the topic's start. Syncs of the partition
  // may then be missing: before its first sync read (a translation below it is refused,
  // Coverage::complete_history); and, for syncs that do not name their run, any run between. Ferry's
  // syncs keep each run's last sync under compaction and chain each run to the writer's previous
  // one, whose end they say: a run whose predecessor was not read, or a takeover past where the
  // replaced writer's syncs reached, means runs are gone (a run slot reused, OffsetSyncSchedule):
  // the older history is dropped and refused.
  //
  // Writers (OffsetSync::writer, one per run of a mirror task): a sync from a new writer takes the
  // partition over, and a backward one is a re-copy. A sync from a writer that another one had
  // already replaced, or a run of another writer whose first copy lies below copies already read,
  // means two wrote the partition at once (a task moved without coordination, a worker cut off from
  // its group still running): their copies interleave on the target, so from the first offset either
  // copied since the takeover until a later writer's restart point, every translation is refused
  // (Inexact::kTwoWriters); the stale sync itself erases nothing. MM2's syncs name no writer: one
  // after Ferry's is a takeover (MM2 swapped back in), never a stale sync.
  //
  // Topic IDs (OffsetSync::topic_id): a sync naming another source topic ID than the partition's
  // earlier syncs is of a new incarnation of the topic (deleted and created again, reusing offsets):
  // the history before it is dropped, so no copy of the old topic's records ever answers for the new
  // one. Syncs that name no ID (MM2's, a writer that could not learn it) keep the ID read before.
  void OnSyncRead(const OffsetSync& sync, bool syncs_skipped = false);

  // Why a translation is not exact. kRunEndUnsaid: past the last sync of a run whose writer does not
  // report run ends (MM2), the answer is MM2's own, one past the last synced copy: never past the
  // true position, though a consumer may read again the records between. kReadAgain (back from the
  // target): the group read target records the map does not claim as copies (older copies of a
  // re-copied stretch, or records someone else wrote), and reads their sources again.
  // kTwoWriters: not an answer at all; two writers copied this stretch (OnSyncRead).
  enum class Inexact { kNo, kRunEndUnsaid, kReadAgain, kTwoWriters };
  template <typename Offset>
  struct Translated {
    Offset offset;
    Inexact inexact = Inexact::kNo;
    // Forward only: source records [lost_from, lost_to) that a consumer at the committed offset would
    // have read were deleted before the mirror copied them (ferry.skip.lost.records); -1 if none.
    int64_t lost_from = -1;
    int64_t lost_to = -1;
    bool exact() const { return inexact == Inexact::kNo; }
    bool operator==(const Translated&) const = default;
  };

  // The target offset at which a consumer that committed `committed` on the source resumes.
  // nullopt before the first sync or beyond what has been copied.
  std::optional<Translated<TargetOffset>> Forward(const TopicPartition& source, SourceOffset committed) const;
  std::optional<TargetOffset> Translate(const TopicPartition& source, SourceOffset committed) const {
    auto t = Forward(source, committed);
    return t ? std::optional<TargetOffset>(t->offset) : std::nullopt;
  }

  // The other direction, for a group moving back from the target to the source: `committed` is the
  // next target record the group would read; the answer is the source offset of the first mirrored
  // record at or after it, so the group neither skips a record nor (when `committed` points at a copy)
  // reads one twice. Exactly at the copied-up-to target point it is the copied-up-to source point.
  // nullopt before the first run (records that were on the target before the mirror started), beyond
  // the copied-up-to point, and for an unknown partition. A target record the map does not claim as
  // a copy (a stretch copied twice after a restart, or a record another producer wrote) maps to the
  // source offset of the next copy. For every copy t: Translate(*TranslateBack(t)) == t.
  std::optional<Translated<SourceOffset>> Backward(const TopicPartition& source, TargetOffset committed) const;
  std::optional<SourceOffset> TranslateBack(const TopicPartition& source, TargetOffset committed) const {
    auto s = Backward(source, committed);
    return s ? std::optional<SourceOffset>(s->offset) : std::nullopt;
  }

  // What has been copied of `source`: the first run's start and the copied-up-to point (exclusive)
  // on both sides. nullopt while nothing of `source` has been copied.
  struct Coverage {
    SourceOffset first_source;  // the first copied record (source offset) ...
    TargetOffset first_target;  // ... and where it landed
    SourceOffset next_source;   // every source record before this one has been copied ...
    TargetOffset next_target;   // ... and the next copy lands here
    // False when older syncs of this partition may be gone (compacted or expired from the syncs
    // topic, or older runs forgotten past the bound): the first run known is then not the first copy.
    bool complete_history = true;
    // The writer of the newest sync read (OffsetSync::writer; "" for MM2's); nullopt before any.
    std::optional<std::string> writer;
    // Source offsets [contested_from, contested_until) two writers copied; from == -1: none.
    int64_t contested_from = -1;
    int64_t contested_until = -1;
    // The source topic's ID the newest syncs naming one say (OffsetSync::topic_id); "": none did.
    std::string topic_id;
  };
  std::optional<Coverage> Covered(const TopicPartition& source) const;

  size_t sync_count(const TopicPartition& source) const;  // the runs kept
  // The source partitions the map has heard of (Covered says which have copies).
  std::vector<TopicPartition> Partitions() const;

 private:
  // Source records [start, end) copied one for one to target records from `target` on.
  struct Run {
    int64_t target = -1;
    int64_t end = -1;             // exclusive; the copied-up-to point while it is the last run
    bool end_reported = false;    // else it may reach the next run (syncs of a writer that does not report ends)
    int64_t lost_from = -1;       // records [lost_from, lost_to) before it were lost (OffsetSync::lost_from)
    int64_t lost_to = -1;
  };
  struct PartitionMap {
    std::map<int64_t, Run> runs;  // by the source offset of a run's first record
    // The same runs keyed by target offset (target -> source), for TranslateBack. Runs are added in
    // the order their first records were acknowledged, so targets rise with sources.
    std::map<int64_t, int64_t> runs_by_target;
    int64_t next_source = -1;         // copied up to (exclusive)
    int64_t next_target = -1;
    int64_t last_read_source = -1;    // the last sync OnSyncRead saw
    int64_t last_read_target = -1;
    bool complete_history = true;     // no syncs topic offsets skipped before its first sync read
    std::optional<std::string> writer;  // of the newest run read ("": one that does not say, MM2)
    std::set<std::string> replaced;   // writers a newer one took over from
    int64_t writer_start = -1;        // the source offset `writer` started at
    int64_t taken_over_at = -1;       // ... or, if lower, what the map had copied up to then; -1: the first writer
    bool writer_names_runs = false;   // `writer`'s syncs name their runs (OffsetSync::run_start) ...
    int64_t writer_run_start = -1;    // ... and its newest run starts here
    int64_t contested_from = -1;      // [contested_from, contested_until): two writers' copies
    int64_t contested_until = -1;
    std::string topic_id;             // of the newest sync that named one
    bool Contested(int64_t source) const { return contested_from >= 0 && source >= contested_from && source < contested_until; }
  };

  // Starts `p` afresh (no runs, no writer) keeping the writers it replaced (and its writer, when
  // `replace_writer`: a stale sync of it is then a second writer's) and its topic ID.
  static void ForgetHistory(PartitionMap& p, bool replace_writer);
  // The last run reaches `end` (exclusive), as the next run of its writer says (OffsetSync::
  // previous_run_end): its last syncs may be gone from a compacted topic.
  static void ExtendLastRun(PartitionMap& p, int64_t end);
  // Whether syncs of `p` before `sync` are missing, beyond what Coverage::complete_history says.
  static bool MissesEarlierSyncs(const PartitionMap& p, const OffsetSync& sync, bool other_writer, bool syncs_skipped);
  // Backward within the runs, for a target offset past the first run's start and below next_target.
  static Translated<SourceOffset> BackwardInRuns(const PartitionMap& p, const TopicPartition& source, int64_t t);

  const size_t max_runs_;
  mutable std::mutex mu_;
  std::unordered_map<TopicPartition, PartitionMap> partitions_;  // guarded by mu_
};

}  // namespace ferry::tasks
