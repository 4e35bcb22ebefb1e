// MirrorMaker: the process `ferry mirror-maker mm2.properties` runs, MM2's dedicated mode. For each
// herder of the plan (worker/mirror_maker_config.h) it runs a WorkerRuntime on the flow's target
// cluster: a member of the Connect group MM2 would use there (`A-mm2`), on MM2's internal topics,
// so that Ferry nodes running the same file share each flow's work as MM2 nodes do. Whichever node
// leads a flow's group writes the flow's three connector configs, whenever they differ from the
// plan (on every change of leadership too, as MM2 does since KAFKA-15372); the herders do the rest.
//
// The REST server is the caller's (rest/ sits above worker/): each herder is served under its
// namespace "/<source>/<target>" (MM2's KIP-710 paths, percent-encoded aliases), and the herders'
// worker ids are the server's advertised address.
// Thread-safety: Start/Stop from one owning thread; herders() from any.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "worker/common/result.h"
#include "worker/connect_herder.h"
#include "worker/mirror_maker_config.h"
#include "worker/runtime.h"
#include "worker/worker_config.h"

namespace ferry::worker {

class MirrorMaker {
 public:
  struct Flow {
    MirrorHerderPlan plan;
    std::string rest_namespace;  // "/A/B"
    WorkerConfig config;
    std::unique_ptr<WorkerRuntime> runtime;
    std::atomic<bool> started{false};  // its herder runs (false while its cluster cannot be reached)
    // A try to reach the flow's cluster (its internal topics), on a thread of its own: an unreachable
    // cluster takes the admin timeout to say so, which must not hold the other flows.
    std::thread reaching;
    std::optional<Result<>> reached;  // that try's outcome once it ends; guarded by MirrorMaker::mu_
    std::optional<Error> unreachable;  // why the last ended try failed (Start and keeper only)
    std::chrono::steady_clock::time_point retry_at;  // the next try, after a failed one (keeper only)
    // Not tried again: its cluster refused the settings, or its herder failed past the internal
    // topics (Start and keeper only).
    bool given_up = false;
  };

  // Parses each herder's worker settings (with the plan's REST keys, so that every herder advertises
  // the node's address), validates its connector configs and creates its runtime; nothing runs yet.
  // Errors name the flow.
  static Result<std::unique_ptr<MirrorMaker>> Create(const MirrorMakerPlan& plan);
  ~MirrorMaker();  // Stop()
  MirrorMaker(const MirrorMaker&) = delete;
  MirrorMaker& operator=(const MirrorMaker&) = delete;

  // The settings of the node's REST server: those of the first flow (they share their REST keys).
  const WorkerConfig& rest_config() const { return flows_.front()->config; }
  std::vector<Flow*> flows();

  // Starts every herder with the REST server's bound port, then the thread that keeps the
  // connector configs written on the flows this node leads. A flow whose cluster cannot be reached
  // does not hold the others: Start returns once one flow runs, and the rest are tried again every
  // 10 s in the background (as MM2's herders start independently). Fails, stopping what started, when
  // no flow can start or a herder fails past that point.
  Result<> Start(int bound_port);
  void Stop();

 private:
  MirrorMaker() = default;
  // The keeper thread: connector configs, and the flows still to start.
  void KeepConnectorConfigs();
  // Starts a try to reach `flow`'s cluster; its outcome lands in flow.reached.
  void Reach(Flow& flow);
  // Takes the outcome of `flow`'s ended try (only when flow.reached is set): starts its herder if
  // the cluster was reached (true), or notes why not in flow.unreachable and when to try again, or
  // that no try can help (given_up) (false). An error: the herder failed past the internal topics.
  Result<bool> FinishReach(Flow& flow);
  // On a flow this node leads: writes each connector config that differs from the plan.
  void WriteConnectorConfigs(Flow& flow);

  std::vector<std::unique_ptr<Flow>> flows_;
  std::thread keeper_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mu_
};

// "/A/B" for the flow A->B, each alias percent-encoded as a path segment.
std::string MirrorRestNamespace(const std::string& source, const std::string& target);

}  // namespace ferry::worker
