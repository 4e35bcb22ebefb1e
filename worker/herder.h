// Herder: the only way to change or inspect the connectors of a Ferry worker cluster. One method per
// REST action, each returning within its deadline a value or an Error whose code decides the HTTP
// status in one place (rest/errors.h): kNotFound 404, kConflict 409, kInvalidConfig 400,
// kForbidden 403, kNotLeader (the REST server forwards the request to LeaderUrl()), anything else 500.
// Entities mirror Connect's REST entities field by field (Connect's org.apache.kafka.connect.runtime.rest.entities).
// Thread-safety: all methods may be called from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "connectors/config_def.h"
#include "worker/common/metrics.h"
#include "worker/common/result.h"
#include "worker/common/types.h"
#include "worker/request_signature.h"

namespace ferry::worker {

struct ServerInfo {
  std::string version;
  std::string commit;
  std::string kafka_cluster_id;
};

struct ConnectorInfo {
  std::string name;
  Properties config;
  std::vector<ConnectorTaskId> tasks;
  std::string type;  // "source", "sink", "unknown"
};

struct StateInfo {
  std::string state;   // UNASSIGNED, RUNNING, PAUSED, FAILED, RESTARTING, STOPPED
  std::string worker_id;
  std::optional<std::string> trace;
  std::string sync_writer = {};  // a running task's offset-sync writer id (Status::sync_writer); not shown
};

struct TaskStateInfo {
  int32_t id = 0;
  StateInfo state;
};

struct ConnectorStateInfo {
  std::string name;
  StateInfo connector;
  std::vector<TaskStateInfo> tasks;  // sorted by id
  std::string type;
};

struct TaskInfo {
  ConnectorTaskId id;
  Properties config;
};

// A source partition and its offset as JSON text, e.g. {"cluster":"A","partition":0,"topic":"t"} and
// {"offset":1234}; an offset of nullopt resets that partition (PATCH).
struct ConnectorOffset {
  std::string partition_json;
  std::optional<std::string> offset_json;
};

struct PluginInfo {
  std::string class_name;
  std::string type;  // "source", "sink", ...
  std::string version;
};

// GET /health (Connect's RootResource.healthCheck): whether the herder has started and answers.
struct WorkerHealth {
  enum class Status {
    kStarting,   // the stores are not read yet / the herder has not started
    kHealthy,    // the herder thread answered a probe in time
    kUnhealthy,  // it did not (busy, stuck or shutting down)
  };
  Status status = Status::kHealthy;
  // What the worker is (or last was) doing, as Connect's Stage.summarize(), e.g. "The worker is
  // currently reading to the end of the config topic, which began at 2024-11-25T10:00:00.123Z."; may
  // be empty.
  std::string detail;
};

struct CreatedConnector {
  ConnectorInfo info;
  bool created = false;  // false: an existing connector was updated
};

class Herder {
 public:
  virtual ~Herder() = default;

  virtual ServerInfo Info() = 0;
  // The REST URL of the cluster's leader, where leader-only requests go ("http://host:port/");
  // nullopt while none is known or for a cluster of one.
  virtual std::optional<std::string> LeaderUrl() { return std::nullopt; }
  // Never fails: a herder that cannot answer is kUnhealthy. May take Connect's health-check timeout.
  virtual WorkerHealth Health() = 0;

  virtual Result<std::vector<std::string>> Connectors() = 0;
  // POST /connectors (allow_replace false) and PUT /connectors/{name}/config (true). `config` holds
  // `name`; validation errors come back as kInvalidConfig with Connect's message.
  virtual Result<CreatedConnector> PutConnectorConfig(const std::string& name, const Properties& config,
                                                      std::optional<TargetState> initial_state,
                                                      bool allow_replace) = 0;
  // PATCH: keys with nullopt are removed.
  virtual Result<ConnectorInfo> PatchConnectorConfig(
      const std::string& name, const std::map<std::string, std::optional<std::string>>& patch) = 0;
  virtual Result<ConnectorInfo> GetConnector(const std::string& name) = 0;
  // As stored: what the user wrote, `${provider:...}` references unresolved (GET .../config).
  virtual Result<Properties> GetConnectorConfig(const std::string& name) = 0;
  // `config` (a connector's, from GetConnectorConfig) with its config-provider references resolved,
  // for making clients from it (config_providers.h); errors name the key. Never shown or stored.
  virtual Result<Properties> ResolveConfig(const Properties& config) const { return config; }
  virtual Result<ConnectorStateInfo> GetConnectorStatus(const std::string& name) = 0;
  virtual Result<std::vector<TaskInfo>> GetTaskConfigs(const std::string& name) = 0;
  virtual Result<TaskStateInfo> GetTaskStatus(const ConnectorTaskId& id) = 0;

  // kNotAssigned on the leader when another worker runs the task (the REST server forwards the
  // request to TaskOwnerUrl()), kNotLeader on a follower that does not run it.
  virtual Result<> RestartTask(const ConnectorTaskId& id) = 0;
  // The REST URL of the worker running task `id` ("http://host:port/"); nullopt if unknown.
  virtual std::optional<std::string> TaskOwnerUrl(const ConnectorTaskId&) { return std::nullopt; }
  // Internal, between workers (POST /connectors/{name}/tasks): the worker running connector `name`
  // sends its new task configs to the leader, which alone writes them. `body` is the request body
  // (Connect's JSON array of string maps), checked against `signature` under the `sessioned`
  // protocol before it is read.
  virtual Result<> PutTaskConfigs(const std::string& name, const std::string& body, const RequestSignature& signature) {
    (void)name, (void)body, (void)signature;
    return Error(ErrorCode::kUnsupported, "this worker takes no internal requests");
  }
  // Without flags: restarts the connector instance, returns nullopt (204). With either flag:
  // returns the state with RESTARTING where instances will restart (202).
  virtual Result<std::optional<ConnectorStateInfo>> RestartConnector(const std::string& name, bool include_tasks,
                                                                     bool only_failed) = 0;
  virtual Result<> PauseConnector(const std::string& name) = 0;
  virtual Result<> ResumeConnector(const std::string& name) = 0;
  virtual Result<> StopConnector(const std::string& name) = 0;
  virtual Result<> DeleteConnector(const std::string& name) = 0;

  // KIP-558; kForbidden when topic tracking (or its reset) is disabled.
  virtual Result<std::vector<std::string>> GetActiveTopics(const std::string& name) = 0;
  virtual Result<> ResetActiveTopics(const std::string& name) = 0;

  // KIP-875; alter and reset need the connector STOPPED (kInvalidConfig otherwise, as Connect's 400).
  virtual Result<std::vector<ConnectorOffset>> GetOffsets(const std::string& name) = 0;
  virtual Result<std::string> AlterOffsets(const std::string& name, const std::vector<ConnectorOffset>& offsets) = 0;
  virtual Result<std::string> ResetOffsets(const std::string& name) = 0;

  virtual std::vector<PluginInfo> Plugins() = 0;
  // The definition of a plugin by class name, simple name or alias; kNotFound if unknown.
  virtual Result<std::vector<connectors::ConfigKey>> PluginConfig(const std::string& plugin) = 0;
  virtual Result<connectors::ConfigInfos> ValidateConfig(const std::string& plugin, const Properties& config) = 0;

  // GET /metrics: adds this worker's metrics (docs/operations.md) to a scrape. Answers from what is
  // published (stores, tasks' progress), never through the herder thread, so a busy herder does not
  // hold a scrape. Nothing secret: names, states, counts and times only.
  virtual void CollectMetrics(metrics::Exposition& out) { (void)out; }
};

}  // namespace ferry::worker
