// CutoverService: what the REST API (/ferry/...) and `ferry cutover` call. A mirror flow is named by
// its MirrorSourceConnector; from the connector's config (MM2's keys) the service builds, once per
// config, the flow's clients: an Admin and a PartitionProbe per cluster, an OffsetSyncStore tailing
// the offset-syncs topic (the exact map), and the cutover journal on the target cluster
// (`ferry-cutovers.<source alias>.internal`). Operations run one at a time per service.
// Thread-safety: all methods may be called from any thread.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "worker/common/metrics.h"
#include "worker/common/result.h"
#include "worker/common/types.h"
#include "worker/cutover/group_cutover.h"
#include "worker/cutover/journal.h"
#include "worker/cutover/verify.h"

namespace ferry::worker {
class Herder;
struct WorkerConfig;
}

namespace ferry::cutover {

// How the service reaches a cluster; tests replace these (the 2.0.2 mock cannot describe groups).
struct ClusterClients {
  std::function<Result<std::unique_ptr<kafka::Admin>>(const Properties& admin_props)> make_admin;
  std::function<Result<std::unique_ptr<PartitionProbe>>(const Properties& consumer_props)> make_probe;
};
// RdKafkaAdmin (behind GroupStateGuard) and KafkaProbe with `timeout`.
ClusterClients KafkaClusterClients(std::chrono::milliseconds timeout);

// The config of the mirror named `connector` (nullopt: the only MirrorSourceConnector there is), as
// (name, config). kNotFound for an unknown name; kInvalidConfig when the name is needed but missing.
using FlowLookup = std::function<Result<std::pair<std::string, Properties>>(const std::optional<std::string>& connector)>;
// The MirrorSourceConnectors a herder runs.
FlowLookup HerderFlows(worker::Herder& herder);
// The task copying each source partition of the mirror `connector`.
using MirrorTaskStates = std::function<Result<MirrorTaskStateMap>(const std::string& connector)>;
// What a worker cluster knows of a mirror's tasks: each task's config (by task number), its status
// (nullopt: none), and the positions stored for the connector's partitions (partition JSON -> offset JSON).
struct MirrorTaskFacts {
  std::vector<Properties> task_configs;
  std::function<std::optional<MirrorTaskState>(int32_t task)> status;
  std::map<std::string, std::string> stored;
};
// The task of each partition (task.assigned.partitions), with its state and stored position.
Result<MirrorTaskStateMap> MirrorTaskStatesOf(const MirrorTaskFacts& facts);
// As a herder knows them (its task configs, the task statuses with their offset-sync writers, and
// the positions stored for the partitions).
MirrorTaskStates HerderTaskStates(worker::Herder& herder);
// As a distributed worker cluster's config, status and offsets topics hold them, read to their ends
// at each call without writing (for `ferry cutover` run beside the workers).
MirrorTaskStates ConnectTopicsTaskStates(const worker::WorkerConfig& config, std::chrono::milliseconds timeout);

// The name of the journal topic of a flow from `source_alias`.
std::string JournalTopic(const std::string& source_alias);

struct VerifyReport {
  std::string connector;
  std::vector<PartitionVerification> partitions;
  bool ok() const;
};

std::string ToJson(const VerifyReport& report);

// A group's latest cutover journal entry, as the metrics show it.
struct CutoverGroupState {
  std::string connector;
  std::string group;
  Direction direction = Direction::kCutover;
  JournalEntry::State state = JournalEntry::State::kCommitting;
  int64_t time_ms = 0;
};
// ferry_cutover_group_state{connector,group,direction,state} (1) and
// ferry_cutover_group_last_move_timestamp_seconds{connector,group} of each of `groups`.
void AddCutoverMetrics(const std::vector<CutoverGroupState>& groups, metrics::Exposition& out);

class CutoverService {
 public:
  // `worker_defaults`: client settings for a cluster the connector config does not name (the worker's
  // own cluster, as Connect does for a mirror's target). `timeout` bounds each Kafka call.
  // `task_states`: where the mirror's tasks are known (a worker); unset, a move does not check them.
  CutoverService(FlowLookup flows, Properties worker_defaults, ClusterClients clients,
                 std::chrono::milliseconds timeout = std::chrono::seconds(30), MirrorTaskStates task_states = {});
  ~CutoverService();
  CutoverService(const CutoverService&) = delete;
  CutoverService& operator=(const CutoverService&) = delete;

  Result<GroupPlan> Plan(const std::optional<std::string>& connector, const std::string& group, Direction direction,
                         const MoveOptions& options);
  Result<MoveReport> Move(const std::optional<std::string>& connector, const std::string& group, Direction direction,
                          const MoveOptions& options);
  Result<GroupStatus> Status(const std::optional<std::string>& connector, const std::string& group);
  // Positions kept outside consumer groups, translated through the map (GroupCutover::TranslatePositions).
  Result<PositionsReport> Translate(const std::optional<std::string>& connector,
                                    const std::vector<std::pair<TopicPartition, int64_t>>& positions,
                                    Direction direction);
  // Compares every copied record of `topic` (one partition, or all) with its copy on the target:
  // from the later of the source log start and the first copy, up to what the map says was copied.
  Result<VerifyReport> Verify(const std::optional<std::string>& connector, const std::string& topic,
                              std::optional<int32_t> partition);

  // The clients of the mirror `connector`'s flow (nullopt: the only mirror), for code built on the
  // cutover (worker/migration/): `use` runs under the service's lock, between its operations, and must
  // not call the service.
  struct FlowAccess {
    const std::string& connector;
    const std::string& source_alias;
    const std::string& target_alias;
    kafka::Admin& source_admin;
    PartitionProbe& source;
    const Properties& target_admin;  // client settings of the target cluster's clients
    const Properties& target_consumer;
    const Properties& target_producer;
  };
  Result<> WithFlow(const std::optional<std::string>& connector, const std::function<Result<>(const FlowAccess&)>& use);

  // The latest journal entry of every group in the journals of the mirrors this service has been
  // asked about (a mirror's journal is opened at its first call, then tailed): ferry_cutover_group_state
  // {connector,group,direction,state} and ferry_cutover_group_last_move_timestamp_seconds{connector,group}.
  // Reads what the journals have read: waits neither for Kafka nor for an operation under way.
  void CollectMetrics(metrics::Exposition& out) const;

 private:
  struct Session;
  // The session of a flow, built (or rebuilt, if its config changed) on demand. REQUIRES: mu_ held.
  Result<Session*> SessionFor(const std::optional<std::string>& connector);
  Result<std::unique_ptr<Session>> Open(const std::string& name, const Properties& config);

  const FlowLookup flows_;
  const Properties worker_defaults_;
  const ClusterClients clients_;
  const std::chrono::milliseconds timeout_;
  const MirrorTaskStates task_states_;
  std::mutex mu_;  // one operation at a time
  std::map<std::string, std::unique_ptr<Session>> sessions_;  // by connector name; guarded by mu_
  // The journals of sessions_, for CollectMetrics, which must not wait for mu_ (held through an
  // operation's Kafka calls). Changed under mu_ and journals_mu_ both.
  mutable std::mutex journals_mu_;
  std::map<std::string, const CutoverJournal*> journals_;  // by connector name; guarded by journals_mu_
};

}  // namespace ferry::cutover
