// Worker runs what the herder decides: connector instances and tasks of this process. It creates them
// from their class names, starts and stops them, and every offset.flush.interval.ms stores each
// running task's source offsets in the OffsetStore (and once more when a task stops), so a restart
// resumes where the previous one committed.
// Config providers (config_providers.h): a connector or task is started with its config's references
// resolved, and nothing resolved leaves the Worker: task configs come back with the references the
// connector's config holds (UnresolveTaskConfigs), and errors with a provider's values put back as
// the references' text (HideProvidedValues).
// Thread-safety: all methods may be called from any thread; the herder calls them from its own.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "connectors/connector.h"
#include "tasks/task.h"
#include "worker/common/metrics.h"
#include "worker/common/result.h"
#include "worker/common/sampled_stat.h"
#include "worker/common/types.h"
#include "worker/config_providers.h"
#include "worker/offset_store.h"

namespace ferry::worker {

class Worker {
 public:
  // `providers` null: none (a reference in a config is then an error at start).
  Worker(OffsetStore& offsets, Properties worker_producer_props, std::chrono::milliseconds offset_flush_interval,
         std::chrono::milliseconds offset_flush_timeout, std::shared_ptr<const ConfigProviders> providers = nullptr);
  ~Worker();  // stops every task and connector
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Connector instances. `context` must outlive the instance (StopConnector's `keep_alive`). A start
  // first waits for a stop of the same name still under way, so two never run at once.
  Result<> StartConnector(const std::string& name, const Properties& config, connectors::ConnectorContext& context);
  // Takes the instance out at once and stops it on a thread of its own: a connector's Stop may wait on
  // its clusters (one that vanished: seconds), and the herder's thread never waits on a cluster.
  // `keep_alive` (what the instance uses, e.g. its context) is released when the stop has ended.
  void StopConnector(const std::string& name, std::shared_ptr<void> keep_alive = nullptr);
  // Waits until every connector stop begun so far has ended.
  void JoinConnectorStops();
  // The running connector's task configs, as they are to be stored (references unresolved).
  Result<std::vector<Properties>> TaskConfigs(const std::string& name, int max_tasks);
  std::set<std::string> Connectors() const;
  // `error` (a running connector's own, from its context) with the values its config's references
  // gave put back as the references.
  Error ConnectorError(const std::string& name, const Error& error) const;

  // Tasks: created from the config's `task.class`.
  Result<> StartTask(const ConnectorTaskId& id, const Properties& config);
  // Stops the task and stores its final offsets.
  void StopTask(const ConnectorTaskId& id);
  std::set<ConnectorTaskId> Tasks() const;
  // The failure of a running task, once it has failed.
  std::optional<Error> TaskFailure(const ConnectorTaskId& id) const;
  std::vector<std::string> ActiveTopics(const ConnectorTaskId& id) const;
  std::string SyncWriterId(const ConnectorTaskId& id) const;  // tasks::Task::SyncWriterId

  void StopAll();

  // Adds every running task's metrics and its offset commits' (Connect's connector-task-metrics) to
  // a scrape. Waits for an offset commit under way (bounded by offset.flush.timeout.ms).
  void CollectMetrics(metrics::Exposition& out, int64_t now_ms) const;

 private:
  class Context;  // a task's TaskContext
  struct RunningTask {
    std::unique_ptr<Context> context;
    std::unique_ptr<tasks::Task> task;
    std::vector<tasks::SourceOffsetRecord> committed;  // last offsets stored
    std::vector<ConfigProviders::Provided> provided;    // what its config's references gave
    // Offset commits, as Connect's WorkerTask measures them (commit time includes the task's own
    // Commit(), e.g. MM2's offset-sync flush).
    int64_t commit_successes = 0;
    int64_t commit_failures = 0;
    metrics::SampledStat commit_outcome;  // 1 per success, 0 per failure
    metrics::SampledStat commit_time_ms;
  };

  struct ConnectorStop {
    std::string name;
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  // Joins the stops of `name` (all when nullopt), or only those that have ended.
  void JoinStops(const std::optional<std::string>& name, bool ended_only);
  void CommitLoop();
  void Commit(const ConnectorTaskId& id, RunningTask& task);

  OffsetStore& offsets_;
  const Properties worker_producer_props_;
  const std::chrono::milliseconds flush_interval_;
  const std::chrono::milliseconds flush_timeout_;
  const std::shared_ptr<const ConfigProviders> providers_;

  // A running connector's config as stored and as it runs, and what the references gave.
  struct ConnectorConfig {
    Properties raw;
    Properties resolved;
    std::vector<ConfigProviders::Provided> provided;
  };

  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;                                                           // mu_
  std::map<std::string, std::unique_ptr<connectors::Connector>> connectors_;        // mu_
  std::map<std::string, ConnectorConfig> connector_configs_;                        // mu_
  std::map<ConnectorTaskId, std::unique_ptr<RunningTask>> tasks_;                   // mu_
  std::thread committer_;
  std::mutex stops_mu_;
  std::list<ConnectorStop> stops_;  // stops_mu_
};

}  // namespace ferry::worker
