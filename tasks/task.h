// Task: a running unit of a connector (Connect's SourceTask). The worker starts it with a task config,
// reads its source offsets periodically to store them, and stops it. It reaches the runtime only
// through TaskContext.
// Thread-safety: Start and Stop are called by the worker, one at a time; the other methods may be
// called from any thread while the task runs.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "worker/common/metrics.h"
#include "worker/common/result.h"
#include "worker/common/types.h"

namespace ferry::tasks {

// A source partition and its offset, both as compact JSON in Connect's format, e.g.
// {"cluster":"A","partition":0,"topic":"orders"} and {"offset":41}.
struct SourceOffsetRecord {
  std::string partition_json;
  std::string offset_json;
  bool operator==(const SourceOffsetRecord&) const = default;
};

class TaskContext {
 public:
  virtual ~TaskContext() = default;
  // The offset stored for a source partition, if any.
  virtual std::optional<std::string> ReadOffset(const std::string& partition_json) = 0;
  // Settings for clients that write to the worker's own Kafka cluster (bootstrap.servers and client
  // overrides), used where a connector config names no target cluster.
  virtual const Properties& WorkerProducerProps() = 0;
  // The Kafka topic IDs (KIP-516, Kafka's text form) of `topics` on the cluster `client_props` point
  // at, keyed by name; a topic that does not exist is absent. kUnsupported where the runtime, the
  // cluster or its security settings cannot tell (the default); retriable errors when no broker
  // answered within `timeout`.
  virtual Result<std::map<std::string, std::string>> TopicIds(const Properties& client_props,
                                                              const std::vector<std::string>& topics,
                                                              std::chrono::milliseconds timeout) {
    (void)client_props, (void)topics, (void)timeout;
    return Error(ErrorCode::kUnsupported, "this runtime cannot look topic IDs up");
  }
};

class Task {
 public:
  virtual ~Task() = default;

  virtual Result<> Start(const Properties& config, TaskContext& context) = 0;
  // Bounded; after it returns, Offsets() reports the final positions.
  virtual void Stop() = 0;
  // Called by the worker at every offset commit, just before Offsets() (MM2's commit()).
  virtual void Commit() {}
  // Positions that are safe to store: everything before them has been written to the target.
  virtual std::vector<SourceOffsetRecord> Offsets() const = 0;
  // The topics this task writes to (KIP-558 active topics).
  virtual std::vector<std::string> ActiveTopics() const = 0;
  // Why the task failed, once it has.
  virtual std::optional<Error> failure() const = 0;
  // The id its offset syncs carry (OffsetSyncWriter::writer_id), new at every start; empty if none.
  virtual std::string SyncWriterId() const { return {}; }
  // Adds what the task measures to a scrape (GET /metrics); `now_ms` is the wall clock and `task`
  // the task's labels for Connect's per-task metrics ({connector, task}). Reads published copies
  // only: never waits on the task's thread or a cluster.
  virtual void CollectMetrics(metrics::Exposition& out, int64_t now_ms, const metrics::Labels& task) const {
    (void)out, (void)now_ms, (void)task;
  }
};

}  // namespace ferry::tasks
