// OffsetSyncWriter writes a mirror task's offset syncs to MM2's offset-syncs topic, in MM2's
// OffsetSync format, partition 0: the syncs OffsetSyncSchedule decides, each keyed by MM2's key plus
// its run's slot (MM2's readers ignore the trailing bytes) and carrying Ferry's headers below.
// The producer is idempotent (no sync duplicated or reordered by retries), and Flush() says whether
// every sync so far was written: a task stores its positions only after that (MirrorSourceTask).
// Thread-safety: all methods may be called from any thread.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "tasks/offset_sync.h"
#include "tasks/offset_sync_schedule.h"
#include "worker/common/result.h"
#include "worker/kafka/handles.h"

namespace ferry::tasks {

// Headers of the syncs Ferry writes (MM2 ignores headers). On every sync: its writer reports run
// ends; who wrote it, "<task name>@<random id>", new at every start of a task, so a reader tells a
// restart (a new writer) from a stale sync of a writer that was replaced (OffsetMap::OnSyncRead);
// where its run starts, and "<start>-<end>" of the writer's previous run (source offsets, end
// exclusive; absent on a writer's first run); on its first run's syncs, the stored position it
// resumed from; on every sync, when the task learned it at its start, the source topic's ID
// (OffsetSync::topic_id); and, on every sync of a run that starts right after records that
// were lost, "<from>-<to>" (OffsetSync::lost_from).
inline constexpr char kRunEndsHeader[] = "ferry.run-ends";
inline constexpr char kWriterHeader[] = "ferry.writer";
inline constexpr char kRunHeader[] = "ferry.run";
inline constexpr char kPreviousRunHeader[] = "ferry.previous-run";
inline constexpr char kResumedAtHeader[] = "ferry.resumed-at";
inline constexpr char kLostHeader[] = "ferry.lost";
inline constexpr char kTopicIdHeader[] = "ferry.topic-id";

struct OffsetSyncWriterConfig {
  Properties producer;  // the cluster the topic lives on (source or target)
  std::string topic;    // mm2-offset-syncs.<alias>.internal
  int64_t offset_lag_max = 100;
  std::string writer_name = "mirror-task";  // the task's name, the readable part of kWriterHeader
  int64_t run_slots = kRunSlots;            // RunSlot's modulus; smaller only in tests
  std::map<TopicPartition, int64_t> resumed_at = {};  // the stored positions the task resumes from
  std::map<std::string, std::string> topic_ids = {};  // the source topics' IDs by name, where known
};

// Where a partition's offset syncs stand, for the metrics (ferry_mirror_offset_sync_*): which copies
// the syncs the target acknowledged cover. Target offsets; wall clock in ms; -1: not yet.
struct OffsetSyncProgress {
  int64_t acked_ms = -1;           // when the cluster holding the syncs topic acknowledged the last sync
  int64_t acked_target = -1;       // the target offset that sync maps (the copies up to it translate)
  int64_t first_target = -1;       // the first copy this writer was told of (its first run's start)
  int64_t copied_target = -1;      // every record below this target offset is copied (OnCopied)
  int64_t pending_since_ms = -1;   // copies past acked_target wait since then; -1: none waits
  // Copies past the last acknowledged sync (all of this writer's before its first).
  int64_t pending() const;
};

class OffsetSyncWriter : public OffsetSyncSink {
 public:
  static Result<std::unique_ptr<OffsetSyncWriter>> Create(OffsetSyncWriterConfig config);
  ~OffsetSyncWriter() override;  // delivers what is queued, bounded

  void OnOffsetSync(const OffsetSync& sync) override;
  void OnCopied(const TopicPartition& source, SourceOffset next_source, TargetOffset next_target) override;
  // Writes the last copied record of every partition that moved since its last sync.
  void Commit();
  // Waits until every sync queued so far is written; an error if any since the last Flush was not.
  Result<> Flush(std::chrono::milliseconds timeout);

  const std::string& writer_id() const { return writer_id_; }  // kWriterHeader's value
  int64_t written() const;  // syncs acknowledged
  int64_t failed() const;   // syncs that could not be written (logged; translation falls back to older syncs)
  // Per partition: which copies acknowledged syncs cover (a copy, taken under the writer's lock).
  std::map<TopicPartition, OffsetSyncProgress> Progress() const;

 private:
  OffsetSyncWriter(OffsetSyncWriterConfig config, std::string writer_id);
  // REQUIRES: mu_ held. False if it could not be queued.
  bool Write(const OffsetSync& sync);
  static void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* msg, void* opaque);

  const OffsetSyncWriterConfig config_;
  const std::string writer_id_;
  kafka::HandlePtr producer_;
  mutable std::mutex mu_;
  OffsetSyncSchedule schedule_;                     // guarded by mu_
  int64_t written_ = 0;                             // guarded by mu_
  int64_t failed_ = 0;                              // guarded by mu_
  int64_t failed_at_last_flush_ = 0;                // guarded by mu_
  std::string last_failure_;                        // guarded by mu_
  // Updated where the writer already holds mu_ (OnCopied, delivery reports): one clock read when
  // copies start to wait and one per acknowledged sync, none per record.
  std::map<TopicPartition, OffsetSyncProgress> progress_;  // guarded by mu_
};

}  // namespace ferry::tasks
