// StatusStore publishes connector, task and active-topic statuses to the Connect status topic in
// Connect's format (KafkaStatusBackingStore's keys and JSON) and keeps the latest of each.
// Thread-safety: all methods may be called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "worker/common/result.h"
#include "worker/common/types.h"
#include "worker/kafka/log.h"

namespace ferry::worker {

struct Status {
  std::string state;                 // UNASSIGNED, RUNNING, PAUSED, FAILED, RESTARTING, STOPPED
  std::optional<std::string> trace;  // why it failed
  std::string worker_id;             // advertised host:port of the worker that wrote it
  int32_t generation = 0;
  // A running mirror task's offset-sync writer (ferry.writer), so a cutover on any worker can tell
  // whether the map shows this run of the task yet. Ferry's field: Connect ignores it.
  std::string sync_writer = {};
  bool operator==(const Status&) const = default;
};

class StatusStore {
 public:
  explicit StatusStore(kafka::Log& log);
  StatusStore(const StatusStore&) = delete;
  StatusStore& operator=(const StatusStore&) = delete;

  Result<> Start(std::chrono::milliseconds timeout);
  void Stop();

  // Writes are sent at once and applied locally at once; Flush() waits until they are durable. Until
  // this store reads its own write back, older records of the same key it reads are not applied
  // (unless they carry a higher generation: another worker took over), so the cache never steps back.
  // A write that cannot even be sent is undone locally and returned as an Error.
  Result<> PutConnector(const std::string& connector, const Status& status);
  Result<> PutTask(const ConnectorTaskId& id, const Status& status);
  // Connect's putSafe: skipped (Ok, nothing written) if the cached status was written by another
  // worker with a higher generation, i.e. the connector or task has moved on without us.
  Result<> PutConnectorSafe(const std::string& connector, const Status& status);
  Result<> PutTaskSafe(const ConnectorTaskId& id, const Status& status);
  // Tombstones the connector's status and the status of each of its known tasks.
  Result<> DeleteConnector(const std::string& connector);
  Result<> DeleteTask(const ConnectorTaskId& id);
  // KIP-558 active topics: `status-topic-TOPIC:connector-NAME`.
  Result<> PutTopic(const std::string& connector, const std::string& topic, int32_t task, int64_t discover_ms);
  Result<> DeleteTopic(const std::string& connector, const std::string& topic);
  Result<> Flush(std::chrono::milliseconds timeout);
  // Reads the topic to its end, so that the getters reflect every write made before the call.
  Result<> Refresh(std::chrono::milliseconds timeout);

  std::optional<Status> GetConnector(const std::string& connector) const;
  std::optional<Status> GetTask(const ConnectorTaskId& id) const;
  std::map<int32_t, Status> GetTasks(const std::string& connector) const;
  std::set<std::string> Topics(const std::string& connector) const;

 private:
  // One of this store's writes not read back yet.
  struct PendingWrite {
    std::optional<std::string> value;
    int32_t generation = -1;  // -1 for tombstones and topic records
  };

  void OnRecord(const kafka::LogRecord& record);
  // Applies a record of the status topic to the cache; under mu_. `where` is the record's place in
  // the log (LogRecord::Where), nullopt for this worker's own write. Connect's read-side rules (a late
  // UNASSIGNED does not hide a RUNNING task of the same or a newer generation) apply to records read.
  void ApplyLocked(const std::string& key, const std::optional<std::string>& value,
                   const std::optional<std::string>& where);
  // Applies `value` locally, remembers it as pending and sends it; on a send failure, restores the
  // cache entry from before and forgets the pending write.
  Result<> Write(const std::string& key, const std::optional<std::string>& value, int32_t generation);

  kafka::Log& log_;
  mutable std::mutex mu_;
  std::map<std::string, std::vector<PendingWrite>> pending_;   // by key, oldest first; mu_
  std::map<std::string, Status> connectors_;                   // mu_
  std::map<std::string, std::map<int32_t, Status>> tasks_;     // mu_
  std::map<std::string, std::set<std::string>> topics_;        // connector -> topics; mu_
};

}  // namespace ferry::worker
