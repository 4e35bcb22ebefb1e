// OffsetSyncWriter writes a mirror task's offset syncs to MM2's offset-syncs topic, in MM2's
// OffsetSync format, partition 0. Ferry's rule keeps translation exact: a sync at the first record of
// every run (whenever `target - source` changes), preceded by one for the previous run's last record
// unless it has one; MM2's bound adds one whenever the last record is `offset.lag.max` or more past
// the last sync; and at every offset commit the last copied record of each partition that moved gets
// a sync (as MM2 3.7+ does). Each sync carries the header kRunEndsHeader, so a reader knows that a
// run ends at its last synced record and that what lies between two runs is a gap.
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
#include "worker/common/result.h"
#include "worker/kafka/handles.h"

namespace ferry::tasks {

// Headers of the syncs Ferry writes (MM2 ignores headers). On every sync: its writer reports run
// ends; and who wrote it, "<task name>@<random id>", new at every start of a task, so a reader tells
// a restart (a new writer) from a stale sync of a writer that was replaced (OffsetMap::OnSyncRead).
// On a run's first sync when records before it were lost: "<from>-<to>" (OffsetSync::lost_from).
inline constexpr char kRunEndsHeader[] = "ferry.run-ends";
inline constexpr char kWriterHeader[] = "ferry.writer";
inline constexpr char kLostHeader[] = "ferry.lost";

struct OffsetSyncWriterConfig {
  Properties producer;  // the cluster the topic lives on (source or target)
  std::string topic;    // mm2-offset-syncs.<alias>.internal
  int64_t offset_lag_max = 100;
  std::string writer_name = "mirror-task";  // the task's name, the readable part of kWriterHeader
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

 private:
  struct Partition {
    int64_t synced_source = -1, synced_target = -1;  // last sync written
    int64_t last_source = -1, last_target = -1;      // last copied record
  };
  OffsetSyncWriter(OffsetSyncWriterConfig config, std::string writer_id)
      : config_(std::move(config)), writer_id_(std::move(writer_id)) {}
  // REQUIRES: mu_ held. `lost`: the run start's lost records (OffsetSync::lost_from), if any.
  void Write(const TopicPartition& tp, int64_t source, int64_t target, const OffsetSync* lost = nullptr);
  static void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* msg, void* opaque);

  const OffsetSyncWriterConfig config_;
  const std::string writer_id_;
  kafka::HandlePtr producer_;
  mutable std::mutex mu_;
  std::map<TopicPartition, Partition> partitions_;  // guarded by mu_
  int64_t written_ = 0;                             // guarded by mu_
  int64_t failed_ = 0;                              // guarded by mu_
  int64_t failed_at_last_flush_ = 0;                // guarded by mu_
  std::string last_failure_;                        // guarded by mu_
};

}  // namespace ferry::tasks
