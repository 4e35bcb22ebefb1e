// WorkerRuntime assembles one worker process from its WorkerConfig: the three stores on their logs
// (Kafka topics in distributed mode; a local file for offsets and memory for the rest in standalone
// mode, as Connect's standalone worker keeps them) and the herder over them. The REST server is
// added by the caller (rest/ depends on worker/, not the other way round).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "worker/config_store.h"
#include "worker/connect_herder.h"
#include "worker/kafka/log.h"
#include "worker/offset_store.h"
#include "worker/status_store.h"
#include "worker/worker_config.h"

namespace ferry::worker {

// The git commit this build of Ferry was made from, "" if unknown.
std::string BuildCommit();

class WorkerRuntime {
 public:
  // Creates the logs, stores and herder; nothing runs yet. `rest_namespace` is the herder's path
  // prefix on the REST server ("" for a worker; "/A/B" for a flow of `ferry mirror-maker`).
  static Result<std::unique_ptr<WorkerRuntime>> Create(const WorkerConfig& config,
                                                       const std::string& rest_namespace = "");
  ~WorkerRuntime();
  WorkerRuntime(const WorkerRuntime&) = delete;
  WorkerRuntime& operator=(const WorkerRuntime&) = delete;

  ConnectHerder& herder() { return *herder_; }

  // Makes sure the internal topics exist (distributed), reads the stores and starts the herder, which
  // starts every connector and task the config asks for. `config.WorkerId()` must be known.
  Result<> Start(const WorkerConfig& config);
  // Start() in two steps. The first only talks to the cluster and may be retried when it fails (an
  // unreachable cluster fails here); the second runs once.
  Result<> EnsureInternalTopics(const WorkerConfig& config);
  Result<> StartHerder(const WorkerConfig& config);
  void Stop();

 private:
  WorkerRuntime() = default;

  // Destroyed in reverse: herder first, then stores, then logs.
  std::unique_ptr<kafka::Log> config_log_;
  std::unique_ptr<kafka::Log> offset_log_;
  std::unique_ptr<kafka::Log> status_log_;
  std::unique_ptr<ConfigStore> configs_;
  std::unique_ptr<OffsetStore> offsets_;
  std::unique_ptr<StatusStore> statuses_;
  std::unique_ptr<ConnectHerder> herder_;
  bool distributed_ = true;
};

}  // namespace ferry::worker
