// MirrorTask copies source topic-partitions to the target cluster, partition for partition, in order,
// with key, value, headers and CreateTime intact. It owns one thread that batch-consumes with an
// assigned consumer (no group membership, no commits on the source) and produces each record, without
// copying its value, to the same partition number of the topic the replication policy names.
//
// A source position counts as committed only after the target acknowledged every record before it,
// so a task restarted from CommittedOffsets() loses nothing (it may copy again what was in flight).
// If source records are deleted before they were copied, the task fails naming the partition and the
// lost range, unless `skip_lost_records` is set; then it logs, counts and skips them.
//
// Thread-safety: all public methods may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "connectors/replication_policy.h"
#include "tasks/offset_sync.h"
#include "tasks/resume_point.h"
#include "worker/common/result.h"
#include "worker/common/sampled_stat.h"
#include "worker/common/types.h"

namespace ferry::tasks {

// Start a partition at its log start (for `start_offsets`).
inline constexpr int64_t kFromLogStart = -2;

struct MirrorTaskConfig {
  std::string name = "mirror";  // for logs and client ids
  std::string source_alias;     // the source cluster's alias, for the replication policy
  std::string target_alias = "target";  // for errors that name the cluster whose settings to fix
  Properties source_consumer;   // librdkafka settings for the source, at least bootstrap.servers
  Properties target_producer;   // librdkafka settings for the target, at least bootstrap.servers
  std::shared_ptr<const connectors::ReplicationPolicy> policy;
  // The next source offset to copy per partition, or kFromLogStart.
  std::map<TopicPartition, int64_t> start_offsets;
  bool skip_lost_records = false;
  // Copies an earlier run of the task left past its last offset sync, proven by comparison
  // (ferry.resume.mode=exact, resume_point.h): the sink is told of them as this run's own before
  // the first record, so the new syncs map them. Their partitions start past them (start_offsets).
  std::map<TopicPartition, std::vector<CopyRun>> proven_copies;
  // Flow control: the most source bytes held by the task (consumed, not yet acknowledged by the target).
  int64_t max_buffered_bytes = 32 << 20;
  // How long Stop() waits for in-flight records before abandoning them.
  std::chrono::milliseconds stop_timeout{30000};
};

// MM2's MirrorSourceMetrics of one partition, recorded where MirrorSourceTask records them: value
// bytes and record age (wall clock - CreateTime) when a record is consumed, the record and its
// replication latency (wall clock - CreateTime) when the target acknowledged it. Kept by the task
// thread in plain members (one clock read per batch and per producer poll, no lock, no allocation)
// and published with the progress.
struct PartitionMetrics {
  int64_t records = 0;        // acknowledged by the target
  int64_t value_bytes = 0;    // value bytes consumed (MM2's byte-count)
  int64_t lost_records = 0;   // skipped because the source deleted them first (skip_lost_records)
  int64_t last_copied_timestamp_ms = -1;  // CreateTime of the last record acknowledged (-1: none)
  metrics::SampledStat record_rate;              // 1 per acknowledged record
  metrics::SampledStat byte_rate;                // value bytes consumed
  metrics::SampledStat record_age_ms;            // records without a timestamp are left out
  metrics::SampledStat replication_latency_ms;   // likewise
};

struct PartitionProgress {
  int64_t committed = -1;    // next source offset whose predecessors are all acknowledged (-1: none yet)
  int64_t next_target = -1;  // where the next record will land on the target (-1: unknown yet)
  int64_t source_high = -1;  // the source high watermark last seen (-1: unknown)
  PartitionMetrics metrics;
};

struct MirrorTaskStats {
  int64_t records = 0;       // acknowledged by the target
  int64_t bytes = 0;         // key + value bytes acknowledged
  int64_t lost_records = 0;  // skipped because the source deleted them first (skip_lost_records)
  int64_t offset_syncs = 0;
  int64_t fetcher_wakeups = 0;  // times a stalled source fetcher was woken (see performance.md)
  int64_t polled = 0;           // records consumed from the source (Connect's source-record-poll-total)
  metrics::SampledStat batch_size;  // records per consumed batch (Connect's batch-size-avg/max)
  std::map<TopicPartition, PartitionProgress> partitions;
  int64_t Lag() const;       // sum over partitions of source_high - committed, where both are known
};

class MirrorTask {
 public:
  enum class State { kRunning, kFailed, kStopped };

  // Validates the config, creates the clients and starts the task thread. `sink` (may be null) gets
  // offset syncs and progress on the task thread and must outlive the task.
  static Result<std::unique_ptr<MirrorTask>> Start(MirrorTaskConfig config, OffsetSyncSink* sink);
  ~MirrorTask();  // Stop()s
  MirrorTask(const MirrorTask&) = delete;
  MirrorTask& operator=(const MirrorTask&) = delete;

  // Stops consuming, waits up to stop_timeout for in-flight records, stops the thread. Idempotent.
  void Stop();

  State state() const;
  std::optional<Error> failure() const;  // why the task failed, once it has
  // Next source offset to copy per partition: what a restart starts from. Only partitions with at
  // least one acknowledged record, or a start offset given as a number, appear.
  std::map<TopicPartition, int64_t> CommittedOffsets() const;
  MirrorTaskStats Stats() const;

 private:
  class Loop;  // everything the task thread owns
  explicit MirrorTask(std::unique_ptr<Loop> loop);

  std::unique_ptr<Loop> loop_;
  std::thread thread_;
  std::once_flag stop_once_;
};

}  // namespace ferry::tasks
