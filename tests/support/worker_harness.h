// Test support for the Connect runtime: a Ferry worker running in this process (the same WorkerRuntime
// and REST server `ferry distributed` uses, on an ephemeral loopback port), a `ferry` child process
// for tests that must kill -9 a worker, and a small JSON-over-HTTP client.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <rapidjson/document.h>

#include "rest/server.h"
#include "tests/support/test_cluster.h"
#include "worker/cutover/service.h"
#include "worker/common/types.h"
#include "worker/runtime.h"
#include "worker/worker_config.h"

namespace ferry::testing {

struct HttpReply {
  int status = 0;  // 0: no answer
  std::string body;
  rapidjson::Document Json() const;  // CHECK-fails on a body that is not JSON
};

// Sends one request to 127.0.0.1:`port`; `body` is JSON text (may be empty).
HttpReply HttpOnce(int port, const std::string& method, const std::string& path, const std::string& body = "");
// The same, sent again (for up to 60 s) while a worker cluster answers 409 "stale configuration":
// writes wait for the rebalance a config change starts, as Connect's clients retry them.
HttpReply Http(int port, const std::string& method, const std::string& path, const std::string& body = "");

// The source position connector `name` stored for `tp` (its "offset" in GET .../offsets: the last
// record copied), if any.
std::optional<int64_t> StoredSourceOffset(int port, const std::string& name, const TopicPartition& tp);

// Waits until connector `name` has `state` and each of exactly `tasks` tasks has `task_state` (as
// GET /connectors/{name}/status says); on timeout, a test failure showing the last status.
bool WaitForConnectorStatus(int port, const std::string& name, const std::string& state, size_t tasks,
                            const std::string& task_state, std::chrono::seconds timeout = std::chrono::seconds(60));

// Worker properties for a distributed worker on `bootstrap` with topics and group of `prefix` (on a
// shared real cluster, give a UniqueName()). The mock has no CreateTopics: tests there make the
// topics first; a real broker's worker creates them, with the broker's default replication factor.
Properties DistributedWorkerProps(const std::string& bootstrap, const std::string& prefix, Peer peer = Peer::kMock);

class InProcessWorker {
 public:
  // The REST server serves the /ferry/ cutover routes too, reaching the clusters through `clients`
  // (default: the real ones, whose group-state check answers "unsupported" on the mock).
  static std::unique_ptr<InProcessWorker> Start(const Properties& props,
                                                std::optional<cutover::ClusterClients> clients = std::nullopt);
  ~InProcessWorker();

  int port() const { return port_; }
  worker::ConnectHerder& herder() { return runtime_->herder(); }
  void Stop();

 private:
  std::unique_ptr<worker::WorkerRuntime> runtime_;
  std::unique_ptr<cutover::CutoverService> cutover_;
  std::unique_ptr<rest::Server> server_;
  int port_ = 0;
};

// `ferry distributed <file>` (or standalone) as a child process; its REST port is read from its output.
class WorkerProcess {
 public:
  static std::unique_ptr<WorkerProcess> Start(const std::vector<std::string>& args, const std::string& log_path);
  ~WorkerProcess();  // SIGKILLs and reaps if still running

  int port() const { return port_; }
  pid_t pid() const { return pid_; }  // -1 once reaped
  void Kill9();
  // SIGTERM, then waits (bounded); returns the exit status (-1 if it had to be killed).
  int Terminate(std::chrono::milliseconds timeout = std::chrono::seconds(30));

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

// Runs `ferry <args>` to its end (killed after `timeout`); its exit code (-1 if killed) and stdout
// (with stderr too when `with_stderr`).
struct CommandResult {
  int exit_code = -1;
  std::string out;
};
CommandResult RunFerry(const std::vector<std::string>& args, std::chrono::seconds timeout = std::chrono::seconds(60),
                       bool with_stderr = false);

// Writes `props` as a .properties file; returns its path.
std::string WritePropertiesFile(const std::string& path, const Properties& props);

}  // namespace ferry::testing
