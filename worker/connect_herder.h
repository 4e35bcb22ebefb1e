// ConnectHerder: the Herder of a Ferry worker. It keeps Connect's state in the three stores, decides
// what must run and has the Worker run it. One thread (the herder thread) owns every decision: REST
// calls, config-topic events, connector requests and failure checks are queued to it and run one at
// a time, so no decision races another. In a cluster (HerderConfig::group) it runs only what the
// group's leader assigns it; alone, everything (docs/architecture.md).
// Thread-safety: all public methods may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "worker/common/sampled_stat.h"
#include "worker/config_store.h"
#include "worker/herder.h"
#include "worker/offset_store.h"
#include "worker/status_store.h"
#include "worker/worker.h"
#include "worker/worker_group.h"

namespace ferry::worker {

struct HerderConfig {
  std::string worker_id;  // advertised host:port, written into statuses
  std::string kafka_cluster_id;
  std::string commit = "unknown";
  bool topic_tracking = true;
  bool topic_tracking_allow_reset = true;
  Properties worker_producer_props;  // for tasks that write to the worker's own cluster
  std::chrono::milliseconds offset_flush_interval{60000};
  std::chrono::milliseconds offset_flush_timeout{5000};
  std::chrono::milliseconds request_timeout{90000};
  std::chrono::milliseconds health_check_timeout{10000};  // Connect's (fixed there)
  std::chrono::milliseconds store_timeout{30000};
  // How long a leader-only request waits for this worker's first join before answering 409.
  std::chrono::milliseconds first_join_wait{20000};
  // This herder's path prefix on its REST server: "" for a worker, "/A/B" for a flow of `ferry
  // mirror-maker` (where the leader's URL is its node's, shared by several herders).
  std::string rest_namespace;
  // The scheme of this worker's REST URL, and of the other workers' (WorkerConfig::advertised_scheme).
  std::string rest_scheme = "http";
  // Inter-worker request signing (`sessioned` protocol, KIP-507): the leader's key lifetime and
  // algorithm, the algorithm this worker signs with, and those it accepts.
  std::chrono::milliseconds inter_worker_key_ttl{3600000};
  std::string inter_worker_key_algorithm = "HmacSHA256";
  std::string inter_worker_signature_algorithm = "HmacSHA256";
  std::vector<std::string> inter_worker_verification_algorithms = {"HmacSHA256"};
  // Set: a member of the Connect cluster `group->group_id`, running what the leader assigns (its
  // url comes from worker_id at Start). Unset: a cluster of one, running everything.
  std::optional<WorkerGroupConfig> group;
  // The worker's config.providers (null: none): references in connector and task configs are
  // resolved when they start, and when validated (answers show what was written, never what a
  // reference gave).
  std::shared_ptr<const ConfigProviders> config_providers;
};

class ConnectHerder : public Herder {
 public:
  ConnectHerder(HerderConfig config, ConfigStore& configs, OffsetStore& offsets, StatusStore& statuses);
  ~ConnectHerder() override;
  ConnectHerder(const ConnectHerder&) = delete;
  ConnectHerder& operator=(const ConnectHerder&) = delete;

  // Reads the three stores to their end, starts the herder thread and everything the config asks for.
  // `worker_id` (advertised host:port) is known only once the REST server has bound its port. Until
  // it returns, Health() is kStarting, so a REST server may (and in Connect does) start first.
  Result<> Start(const std::string& worker_id);
  // Stops every task (storing offsets) and connector, marks them UNASSIGNED, stops the thread.
  void Stop();

  ServerInfo Info() override;
  std::optional<std::string> LeaderUrl() override;
  // Whether this worker may write what only the leader writes now: it leads its cluster, or it is a
  // cluster of one. Any thread.
  bool IsLeader() const;
  // kStarting until Start() has read the stores and started the herder thread; then a no-op queued
  // to the herder thread: kHealthy if it runs within health_check_timeout, else kUnhealthy, with
  // what the herder thread is doing as the detail.
  WorkerHealth Health() override;
  Result<std::vector<std::string>> Connectors() override;
  Result<CreatedConnector> PutConnectorConfig(const std::string& name, const Properties& config,
                                              std::optional<TargetState> initial_state, bool allow_replace) override;
  Result<ConnectorInfo> PatchConnectorConfig(const std::string& name,
                                             const std::map<std::string, std::optional<std::string>>& patch) override;
  Result<ConnectorInfo> GetConnector(const std::string& name) override;
  Result<Properties> GetConnectorConfig(const std::string& name) override;
  Result<Properties> ResolveConfig(const Properties& config) const override;
  Result<ConnectorStateInfo> GetConnectorStatus(const std::string& name) override;
  Result<std::vector<TaskInfo>> GetTaskConfigs(const std::string& name) override;
  Result<TaskStateInfo> GetTaskStatus(const ConnectorTaskId& id) override;
  Result<> RestartTask(const ConnectorTaskId& id) override;
  std::optional<std::string> TaskOwnerUrl(const ConnectorTaskId& id) override;
  Result<> PutTaskConfigs(const std::string& name, const std::string& body, const RequestSignature& signature) override;
  Result<std::optional<ConnectorStateInfo>> RestartConnector(const std::string& name, bool include_tasks,
                                                             bool only_failed) override;
  Result<> PauseConnector(const std::string& name) override;
  Result<> ResumeConnector(const std::string& name) override;
  Result<> StopConnector(const std::string& name) override;
  Result<> DeleteConnector(const std::string& name) override;
  Result<std::vector<std::string>> GetActiveTopics(const std::string& name) override;
  Result<> ResetActiveTopics(const std::string& name) override;
  Result<std::vector<ConnectorOffset>> GetOffsets(const std::string& name) override;
  Result<std::string> AlterOffsets(const std::string& name, const std::vector<ConnectorOffset>& offsets) override;
  Result<std::string> ResetOffsets(const std::string& name) override;
  std::vector<PluginInfo> Plugins() override;
  Result<std::vector<connectors::ConfigKey>> PluginConfig(const std::string& plugin) override;
  Result<connectors::ConfigInfos> ValidateConfig(const std::string& plugin, const Properties& config) override;
  // Connect's worker metrics (connector and task counts by state, statuses, rebalances) for what this
  // worker runs, and the Worker's (tasks' own metrics, offset commits).
  void CollectMetrics(metrics::Exposition& out) override;

 private:
  class Context;  // a running connector's ConnectorContext
  struct Running {
    Properties config;                            // the config the instance was started with
    std::shared_ptr<Context> context;             // shared with the instance's stop (Worker::StopConnector)
    bool started = false;                         // the instance runs in the Worker
    std::map<int32_t, Properties> tasks;          // task id -> config it runs with
  };

  // A connector's Start may wait on its clusters (MirrorSourceConnector makes topics, for up to
  // admin.timeout.ms each), and the herder thread never waits on a cluster: each start runs on a
  // thread of its own and reports back through the queue (OnConnectorStarted).
  struct ConnectorStart {
    uint64_t id = 0;  // which start of the connector this is
    std::thread thread;
  };

  // A task's start reads the offsets topic to its end (up to offset.flush.timeout.ms) and may build
  // clients: it runs on a thread of its own too, and reports back through the queue (OnTaskStarted).
  struct TaskStart {
    uint64_t id = 0;       // which start of the task this is
    Properties config;     // the config it starts with
    bool restart = false;  // a restart was asked for meanwhile
    std::thread thread;
  };

  // What the herder is (or was last) doing, for Health(): Connect's Stage.
  struct Stage {
    std::string description;  // "reading the stored connector configs"
    std::chrono::system_clock::time_point started;
    std::optional<std::chrono::system_clock::time_point> completed;
  };
  // A unit of herder-thread work; `what` becomes the stage while it runs (none when empty).
  struct Job {
    std::string what;
    std::function<void()> fn;
  };

  // Runs `fn` on the herder thread and waits for it, at most `timeout` (default request_timeout).
  template <typename T>
  Result<T> Call(std::string what, std::function<Result<T>()> fn,
                 std::optional<std::chrono::milliseconds> timeout = std::nullopt);
  Result<> CallVoid(std::string what, std::function<Result<>()> fn);
  void Enqueue(std::string what, std::function<void()> fn);
  void BeginStage(std::string description);  // on the calling thread, until the next stage
  std::string StageSummary();                // Connect's Stage.summarize(); "" before any stage
  Result<> SetTargetState(const std::string& name, TargetState state);  // pause, resume
  void Run();

  // Herder-thread only.
  // Makes what runs here match the config for `name` (only what this worker owns), then asks for a
  // rebalance if the cluster's work changed.
  void Reconcile(const std::string& name);
  void ReconcileOwned(const std::string& name);
  // Starts connector `name` on a thread of its own; OnConnectorStarted continues on this thread.
  void BeginConnectorStart(const std::string& name, const Properties& config, Context& context);
  void OnConnectorStarted(const std::string& name, uint64_t id, const Result<>& started);
  // Waits for every start in flight (at shutdown).
  void JoinConnectorStarts();
  // Starts task `id` on a thread of its own; OnTaskStarted continues on this thread.
  void BeginTaskStart(const ConnectorTaskId& id, const Properties& config);
  void OnTaskStarted(const ConnectorTaskId& id, uint64_t start_id, const Result<>& started);
  // Waits for the start in flight of a task that is no longer wanted, so that what follows stops it
  // as a running task: nothing runs twice or on after a revocation.
  void FinishUnwantedTaskStarts(const std::string& name);
  void FinishTaskStart(const ConnectorTaskId& id);
  void JoinTaskStarts();
  void ApplyAssignment(const WorkerAssignment& assignment);
  bool Owns(const std::string& connector) const;
  bool Owns(const ConnectorTaskId& task) const;
  void RebalanceIfWorkChanged();
  // As Connect's checkRebalanceNeeded: the connectors or their task counts changed since the last
  // assignment, so the cluster is about to rebalance and writes wait (409) until it has.
  Result<> RequireNoPendingRebalance() const;
  // Internal requests are signed under the `sessioned` protocol.
  bool Sessioned() const;
  // The leader writes a session key when there is none or it is older than its lifetime.
  void MaintainSessionKey();
  // New task configs of `name`: written by the leader (or a cluster of one), sent to it by anyone
  // else. A failed send is retried shortly (the connector stays marked for reconfiguration).
  Result<> WriteTaskConfigs(const std::string& name, const std::vector<Properties>& task_configs);
  void RetryTaskConfigs();
  // Leader-only writes (Connect forwards them): kNotLeader on a follower, kConflict while no leader
  // is known (after waiting, bounded, for a first join under way); Ok for the leader and for a
  // cluster of one. Any thread.
  Result<> RequireLeader() const;
  static ClusterWork WorkOf(const ClusterConfigState& snapshot);
  // Stops the connector instance on a thread of the Worker's, its context kept until that ends.
  void StopInstance(const std::string& name);
  void RestartInstance(const std::string& name);
  // Connect's restart plan for a request: which instances restart, and the answer showing them.
  struct RestartPlanned {
    ConnectorStateInfo state;  // RESTARTING where an instance restarts
    bool connector = false;
    std::vector<int32_t> tasks;
  };
  RestartPlanned RestartPlan(const std::string& name, const ConnectorConfigState& state, bool include_tasks,
                             bool only_failed) const;
  // Restarts the planned instances this worker runs.
  void Restart(const std::string& name, const ConnectorConfigState& state, const RestartPlanned& plan);
  // A restart-connector record from the config topic (cluster mode).
  void RestartOwned(const RestartRequest& request);
  void RestartTaskNow(const ConnectorTaskId& id, const Properties& config);
  void StopTasks(const std::string& name, int32_t from_id);
  void CheckFailures();
  // kSafe: Connect's putSafe, which leaves a status another worker wrote under a newer generation.
  enum class Write { kAlways, kSafe };
  void PutConnectorStatus(const std::string& name, const std::string& state, std::optional<std::string> trace = {},
                          Write write = Write::kAlways);
  void PutTaskStatus(const ConnectorTaskId& id, const std::string& state, std::optional<std::string> trace = {},
                     Write write = Write::kAlways);
  Result<ConnectorConfigState> Existing(const std::string& name) const;
  Result<connectors::ConfigInfos> Validate(const Properties& config) const;
  ConnectorInfo InfoOf(const std::string& name, const ConnectorConfigState& state) const;
  ConnectorStateInfo StateOf(const std::string& name, const ConnectorConfigState& state) const;

  HerderConfig config_;  // worker_id set by Start()
  ConfigStore& configs_;
  OffsetStore& offsets_;
  StatusStore& statuses_;
  Worker worker_;

  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Job> queue_;       // guarded by mu_
  bool stopping_ = false;       // guarded by mu_
  std::optional<Stage> stage_;  // guarded by mu_
  std::atomic<bool> ready_{false};  // Start() has read the stores and started the thread
  std::thread thread_;

  std::unique_ptr<WorkerGroup> group_;  // distributed mode
  // Assignments applied (Connect's completed-rebalances-total), the last one's generation and when
  // it was applied (wall clock, ms), for the metrics.
  std::atomic<int64_t> completed_rebalances_{0};
  std::atomic<int32_t> rebalance_epoch_{-1};
  std::atomic<int64_t> last_rebalance_ms_{-1};
  // From a (re)join to its assignment applied (Connect's rebalancing, rebalance-avg/max-time-ms).
  std::atomic<int64_t> rebalance_started_ms_{-1};  // -1: not rebalancing
  mutable std::mutex rebalance_mu_;
  metrics::SampledStat rebalance_time_ms_;  // guarded by rebalance_mu_

  // Herder-thread state.
  std::optional<ConnectorsAndTasks> owned_;  // what the group assigned here; nullopt: everything
  int32_t generation_ = 0;                    // the group generation, written into statuses
  std::map<std::string, int32_t> assigned_work_;  // connectors' task counts when last assigned
  // Connectors whose task configs could not reach the leader, and when to try again.
  std::map<std::string, std::chrono::steady_clock::time_point> task_config_retry_;
  std::map<std::string, Running> running_;
  // Starts in flight. A connector's Running entry (and the Context its start uses) lives while its
  // start does.
  std::map<std::string, ConnectorStart> connector_starts_;
  uint64_t next_connector_start_ = 0;
  std::map<ConnectorTaskId, TaskStart> task_starts_;
  uint64_t next_task_start_ = 0;
  std::set<std::string> reconfigure_;          // connectors that asked for new task configs
  std::set<ConnectorTaskId> reported_failed_;  // task failures already published
};

}  // namespace ferry::worker
