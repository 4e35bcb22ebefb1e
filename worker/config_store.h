// ConfigStore keeps connector configs, task configs and target states in the Connect config topic,
// in Connect's exact key/value formats (KafkaConfigBackingStore's keys and JSON), so that a
// Kafka Connect cluster's config topic can be read by Ferry and the other way round. A set of task
// configs becomes visible only when its commit record is read.
// Thread-safety: all methods may be called from any thread. Every Put*/Remove* writes, then reads
// the topic to its end, so Snapshot() reflects it when the call returns.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "worker/common/result.h"
#include "worker/common/types.h"
#include "worker/kafka/log.h"
#include "worker/request_signature.h"

namespace ferry::worker {

struct ConnectorConfigState {
  Properties config;
  TargetState target_state = TargetState::kStarted;
  std::vector<Properties> task_configs;  // the last committed set
  bool inconsistent = false;  // a commit arrived without all its task configs: regenerate them
  int64_t task_config_generation = 0;  // bumped by every applied commit
};

struct ClusterConfigState {
  int64_t offset = -1;  // the config topic offset read up to (last record + 1); -1: nothing read
  std::map<std::string, ConnectorConfigState> connectors;
  std::optional<SessionKey> session_key;  // the leader's latest request-signing key (KIP-507)
};

struct RestartRequest {
  std::string connector;
  bool include_tasks = false;
  bool only_failed = false;
};

// What changed, for the herder; delivered on the log's thread after the snapshot was updated.
struct ConfigEvent {
  enum class Kind { kConnectorConfig, kConnectorRemoved, kTaskConfigs, kTargetState, kRestartRequest };
  Kind kind;
  std::string connector;
  RestartRequest restart;  // for kRestartRequest
};

class ConfigStore {
 public:
  // How long a Put*/Remove* may take to write and read back, as Connect's 30 s.
  static constexpr std::chrono::milliseconds kWriteTimeout{30000};

  explicit ConfigStore(kafka::Log& log, std::chrono::milliseconds write_timeout = kWriteTimeout);
  ConfigStore(const ConfigStore&) = delete;
  ConfigStore& operator=(const ConfigStore&) = delete;

  // Events flow only for records read after Start() has caught up (as Connect's `started`), so a
  // restart request already in the topic is never acted on again. kTaskConfigs also comes for a
  // commit that left the connector inconsistent.
  void SetListener(std::function<void(const ConfigEvent&)> listener);  // before Start
  Result<> Start(std::chrono::milliseconds timeout);
  void Stop();

  ClusterConfigState Snapshot() const;
  Result<> Refresh(std::chrono::milliseconds timeout);  // reads to the end

  // Writes [`target-state-NAME` if `initial_state`, `connector-NAME`].
  Result<> PutConnectorConfig(const std::string& name, const Properties& config,
                              std::optional<TargetState> initial_state);
  // Tombstones `connector-NAME` and `target-state-NAME`.
  Result<> RemoveConnectorConfig(const std::string& name);
  // Reads to the end, writes `task-NAME-0..N-1`, reads to the end, then writes `commit-NAME
  // {"tasks":N}` (N may be 0). A failure before the commit leaves only uncommitted task records.
  Result<> PutTaskConfigs(const std::string& name, const std::vector<Properties>& task_configs);
  // `{"state":<legacy>,"state.v2":<state>}`; STOPPED is written as PAUSED in the legacy field.
  Result<> PutTargetState(const std::string& name, TargetState state);
  Result<> PutRestartRequest(const RestartRequest& request);
  // `session-key` {"key":<Base64>,"algorithm":...,"creation-timestamp":<ms>}, as Connect's leader writes it.
  Result<> PutSessionKey(const SessionKey& key);

 private:
  void OnRecord(const kafka::LogRecord& record);
  // Each applies one record kind to the state under mu_, adding what changed to `events`.
  void ApplyTargetState(const std::string& connector, const kafka::LogRecord& record, std::vector<ConfigEvent>& events);
  void ApplyConnectorConfig(const std::string& connector, const kafka::LogRecord& record, std::vector<ConfigEvent>& events);
  void ApplyTaskConfig(const std::string& key, const kafka::LogRecord& record);
  void ApplyCommit(const std::string& connector, const kafka::LogRecord& record, std::vector<ConfigEvent>& events);
  void ApplyRestartRequest(const std::string& connector, const kafka::LogRecord& record, std::vector<ConfigEvent>& events);
  void ApplySessionKey(const kafka::LogRecord& record);
  // Sends `records` in order, flushes, reads to the end, all before `deadline`.
  Result<> Write(const std::vector<std::pair<std::string, std::optional<std::string>>>& records,
                 std::chrono::steady_clock::time_point deadline);

  kafka::Log& log_;
  const std::chrono::milliseconds write_timeout_;
  std::function<void(const ConfigEvent&)> listener_;
  std::atomic<bool> started_{false};  // the first read to the end is done: events may flow
  mutable std::mutex mu_;
  ClusterConfigState state_;                                         // guarded by mu_
  std::map<std::string, std::map<int32_t, Properties>> deferred_;  // task configs awaiting commit; mu_
  // Target states by connector, also for connectors whose config is not (yet) known; mu_.
  std::map<std::string, TargetState> target_states_;
};

}  // namespace ferry::worker
