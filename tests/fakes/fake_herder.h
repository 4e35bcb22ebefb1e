// FakeHerder: an in-memory Herder that behaves like Connect's for REST tests: connectors with
// configs, target states, tasks and statuses; validation against small ConfigDefs of the three MM2
// connectors with Kafka's messages; the same errors (codes and messages) Connect's herders give, e.g.
// 409 "Connector X already exists", 404 "Connector X not found", 400 "Connector configuration is
// invalid and contains the following N error(s):...", offsets altered only when STOPPED with no
// tasks. Changes happen at once: a created connector is RUNNING with tasks.max tasks immediately.
//
// For tests it records every call (Calls()) and can dump its whole state (StateForTest()), so a test
// can check that a rejected request changed nothing or never reached the herder.
// Thread-safety: all methods may be called from any thread.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "connectors/config_def.h"
#include "worker/herder.h"

namespace ferry::testing {

class FakeHerder : public worker::Herder {
 public:
  static constexpr char kWorkerId[] = "127.0.0.1:8083";
  static constexpr char kClusterId[] = "fake-kafka-cluster-id";
  static constexpr char kSourceConnector[] = "org.apache.kafka.connect.mirror.MirrorSourceConnector";
  static constexpr char kCheckpointConnector[] = "org.apache.kafka.connect.mirror.MirrorCheckpointConnector";
  static constexpr char kHeartbeatConnector[] = "org.apache.kafka.connect.mirror.MirrorHeartbeatConnector";
  static constexpr char kJsonConverter[] = "org.apache.kafka.connect.json.JsonConverter";

  FakeHerder();

  worker::ServerInfo Info() override;
  // Healthy, unless set by SetHealthForTest; unhealthy (the error's message as detail) under
  // FailAllForTest.
  worker::WorkerHealth Health() override;
  Result<std::vector<std::string>> Connectors() override;
  Result<worker::CreatedConnector> PutConnectorConfig(const std::string& name, const Properties& config,
                                                      std::optional<TargetState> initial_state,
                                                      bool allow_replace) override;
  Result<worker::ConnectorInfo> PatchConnectorConfig(
      const std::string& name, const std::map<std::string, std::optional<std::string>>& patch) override;
  Result<worker::ConnectorInfo> GetConnector(const std::string& name) override;
  Result<Properties> GetConnectorConfig(const std::string& name) override;
  Result<worker::ConnectorStateInfo> GetConnectorStatus(const std::string& name) override;
  Result<std::vector<worker::TaskInfo>> GetTaskConfigs(const std::string& name) override;
  Result<worker::TaskStateInfo> GetTaskStatus(const ConnectorTaskId& id) override;
  Result<> RestartTask(const ConnectorTaskId& id) override;
  Result<std::optional<worker::ConnectorStateInfo>> RestartConnector(const std::string& name, bool include_tasks,
                                                                     bool only_failed) override;
  Result<> PauseConnector(const std::string& name) override;
  Result<> ResumeConnector(const std::string& name) override;
  Result<> StopConnector(const std::string& name) override;
  Result<> DeleteConnector(const std::string& name) override;
  Result<std::vector<std::string>> GetActiveTopics(const std::string& name) override;
  Result<> ResetActiveTopics(const std::string& name) override;
  Result<std::vector<worker::ConnectorOffset>> GetOffsets(const std::string& name) override;
  Result<std::string> AlterOffsets(const std::string& name,
                                   const std::vector<worker::ConnectorOffset>& offsets) override;
  Result<std::string> ResetOffsets(const std::string& name) override;
  std::vector<worker::PluginInfo> Plugins() override;
  Result<std::vector<connectors::ConfigKey>> PluginConfig(const std::string& plugin) override;
  Result<connectors::ConfigInfos> ValidateConfig(const std::string& plugin, const Properties& config) override;

  // --- for tests ---
  // Every Herder call so far, as "Method(argument)", e.g. "PutConnectorConfig(mirror-a)".
  std::vector<std::string> Calls() const;
  void ClearCalls();
  // The whole state as text; equal before and after means nothing was written.
  std::string StateForTest() const;
  // Marks a task FAILED with `trace` (to restart it with onlyFailed).
  void FailTaskForTest(const ConnectorTaskId& id, const std::string& trace);
  // Sets the topics a connector is said to use.
  void SetActiveTopicsForTest(const std::string& name, std::vector<std::string> topics);
  // Makes every call but Info() and Plugins() fail with `error` (nullopt: behave again).
  void FailAllForTest(std::optional<Error> error);
  // What Health() answers (nullopt: as described there).
  void SetHealthForTest(std::optional<worker::WorkerHealth> health);
  // Topic tracking as the worker configs topic.tracking.enable / topic.tracking.allow.reset.
  void SetTopicTrackingForTest(bool enabled, bool allow_reset);

 private:
  struct Task {
    Properties config;
    worker::StateInfo state;
  };
  struct Connector {
    Properties config;
    TargetState target = TargetState::kStarted;
    worker::StateInfo state;
    std::vector<Task> tasks;
    std::vector<worker::ConnectorOffset> offsets;  // in the order partitions were first written
    std::vector<std::string> active_topics;
  };
  struct Plugin {
    std::string class_name;
    std::string type;
    std::string task_class;
    int max_tasks = 0;                 // 0: as tasks.max says
    connectors::ConfigDef definition;  // the plugin's own keys
  };

  void Record(const std::string& call) const;  // REQUIRES: mu_ held
  const Plugin* FindPlugin(const std::string& name) const;
  // The connector plugin a config names: kInvalidConfig without connector.class, kUnsupported if unknown.
  Result<const Plugin*> ConnectorPlugin(const Properties& config) const;
  connectors::ConfigInfos Validate(const Plugin& plugin, const Properties& config) const;
  Result<worker::CreatedConnector> PutLocked(const std::string& name, const Properties& config,
                                             std::optional<TargetState> initial_state, bool allow_replace);
  void StartTasksLocked(Connector& connector, const Plugin& plugin);
  worker::ConnectorInfo InfoLocked(const std::string& name, const Connector& connector) const;
  worker::ConnectorStateInfo StatusLocked(const std::string& name, const Connector& connector) const;
  std::string TypeOf(const Properties& config) const;

  mutable std::mutex mu_;
  std::vector<Plugin> plugins_;
  connectors::ConfigDef framework_;              // Connect's SourceConnectorConfig keys (a subset)
  std::map<std::string, Connector> connectors_;  // GUARDED_BY(mu_)
  mutable std::vector<std::string> calls_;       // GUARDED_BY(mu_)
  std::optional<Error> fail_all_;                // GUARDED_BY(mu_)
  std::optional<worker::WorkerHealth> health_;   // GUARDED_BY(mu_)
  bool topic_tracking_ = true;                   // GUARDED_BY(mu_)
  bool topic_tracking_allow_reset_ = true;       // GUARDED_BY(mu_)
};

}  // namespace ferry::testing
