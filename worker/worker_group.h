// WorkerGroup: this worker's membership in the Connect cluster, the group `group.id` with protocol
// type "connect" (connect-internals.md (e)). On its own thread it joins, heartbeats and rejoins
// (group::GroupMember speaks the wire); when this worker leads, it assigns connectors and tasks with
// Connect's assignors (worker/assignor.h) from the config topic as it has read it. Each assignment is
// handed to the herder, which stops what was revoked and starts what was assigned, before the
// membership goes on. Under the eager protocol a member stops everything before it rejoins (as
// Connect); under the incremental cooperative one only what the leader revokes, and what is not
// revoked keeps running through a rebalance. Either way nothing runs in two places.
//
// The mock cluster completes a sync as soon as the leader's SyncGroup arrives and answers a later
// follower with an error (mock-cluster.md); `leader_sync_delay` lets followers sync first there.
// Thread-safety: Start/Stop from the owner; RequestRebalance and the accessors from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "worker/assignor.h"
#include "worker/common/result.h"
#include "worker/group/connect_protocol.h"
#include "worker/group/security.h"

namespace ferry::worker {

struct WorkerGroupConfig {
  std::vector<std::string> bootstrap_servers;  // "host:port"
  std::string group_id;
  // How the group client connects (TLS, SASL): the worker's admin client settings.
  std::shared_ptr<const group::ClientSecurity> security = group::ClientSecurity::Plaintext();
  std::string url;  // this worker's advertised REST URL
  group::ConnectProtocol protocol = group::ConnectProtocol::kSessioned;
  std::chrono::milliseconds session_timeout{10000};
  std::chrono::milliseconds heartbeat_interval{3000};
  std::chrono::milliseconds rebalance_timeout{60000};
  int32_t scheduled_rebalance_max_delay_ms = 300000;
  std::chrono::milliseconds leader_sync_delay{0};
};

// What one round of the group decided for this worker.
struct WorkerAssignment {
  int32_t generation = -1;
  std::string leader_id;
  std::string leader_url;
  bool is_leader = false;
  int64_t config_offset = -1;    // read the config topic at least this far before acting
  ConnectorsAndTasks revoked;    // stop these
  ConnectorsAndTasks assigned;   // start these
  ConnectorsAndTasks owned;      // everything this worker runs once applied
};

class WorkerGroup {
 public:
  struct Callbacks {
    // The config topic as this worker has read it: its offset and the work it describes.
    std::function<ClusterWork()> cluster_work;
    // Reads the config topic at least up to `offset` (kTimeout if it cannot in time).
    std::function<Result<>(int64_t offset)> read_config_to;
    // Applies an assignment (revoke, then assign) and returns once it is done.
    std::function<void(const WorkerAssignment&)> apply;
    // A rebalance begins: this worker (re)joins the group (optional; for the rebalance metrics).
    std::function<void()> rebalance_started = {};
  };

  WorkerGroup(WorkerGroupConfig config, Callbacks callbacks);
  ~WorkerGroup();  // Stop()
  WorkerGroup(const WorkerGroup&) = delete;
  WorkerGroup& operator=(const WorkerGroup&) = delete;

  // Checks the config and starts the membership thread; the first join happens there.
  Result<> Start();
  // Revokes everything this worker runs (through `apply`), leaves the group, joins the thread.
  void Stop();
  // For tests and benchmarks that simulate a crashed worker inside one process: stops and joins the
  // thread without revoking anything and without LeaveGroup, as a killed process would, so the
  // coordinator notices only when the session times out. Stop() afterwards does nothing more.
  void StopWithoutLeavingForTest();
  // Asks for a rebalance now.
  void RequestRebalance(const std::string& reason);
  // The config topic changed: the leader rebalances if the connectors or their task counts differ
  // from what it last assigned (as in Connect, only the leader asks; everyone reads the same topic).
  void NotifyWorkChanged();

  // The latest applied assignment (generation -1 before the first).
  WorkerAssignment current() const;

 private:
  void Run();
  // Waits until `until`, a Stop() or a RequestRebalance(); returns false once stopping.
  bool WaitUntil(std::chrono::steady_clock::time_point until);
  // Under the eager protocol: applies the revocation of everything this worker runs.
  void RevokeAllBeforeEagerJoin();
  // True if this worker leads and the work differs from what it last assigned.
  bool LeaderSeesNewWork() const;
  // This worker's JoinGroup metadata for `protocol`, describing what it runs now.
  std::string Metadata(group::ConnectProtocol protocol) const;

  const WorkerGroupConfig config_;
  const Callbacks callbacks_;
  std::thread thread_;

  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;                 // guarded by mu_
  bool leave_on_stop_ = true;             // false: a simulated crash; guarded by mu_
  std::optional<std::string> rebalance_;  // a requested rebalance's reason; guarded by mu_
  bool work_changed_ = false;             // guarded by mu_
  std::map<std::string, int32_t> assigned_work_;  // task counts of the leader's last round; mu_
  WorkerAssignment current_;              // guarded by mu_
};

}  // namespace ferry::worker
