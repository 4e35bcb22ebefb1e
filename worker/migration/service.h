// MigrationService: what POST/GET /ferry/migrations... call. A migration is driven by `Advance`: it
// runs the stored plan's stages (per topic, in order: groups cut over, producers moved, fence, copy
// verified, done) until a gate or a confirmation stops it, storing the plan after every step that
// changed something, so a worker that dies mid-stage leaves a plan the next Advance (on any worker)
// continues from. Every step is idempotent: a group's move is looked up in the cutover journal
// before it is made again, a fence resumes from the watermarks stored, a verification is kept.
// Who drives and why (an explicit call, not a background driver): docs/migration.md.
//
// The clusters are reached through FlowOps: CutoverFlowOps on a CutoverService (flow_ops.h), a fake
// in unit tests.
// Thread-safety: all methods may be called from any thread (one Advance at a time per service).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "worker/cutover/group_cutover.h"
#include "worker/cutover/service.h"
#include "worker/kafka/log.h"
#include "worker/migration/hooks.h"
#include "worker/migration/plan.h"
#include "worker/migration/store.h"

namespace ferry::migration {

struct FlowNames {
  std::string connector, source_alias, target_alias;
};

// What a migration asks of a mirror's clusters.
class FlowOps {
 public:
  virtual ~FlowOps() = default;
  // The mirror `connector` names (nullopt: the only one).
  virtual Result<FlowNames> Names(const std::optional<std::string>& connector) = 0;
  // The log the flow's migration plans are stored in (the topic made if missing), not started.
  virtual Result<std::unique_ptr<kafka::Log>> OpenPlanLog(const FlowNames& flow) = 0;
  // Each group with committed offsets on the source for partitions of `topics`, with those topics.
  // `only` empty: every group the source lists (ListGroups); else those groups.
  virtual Result<std::map<std::string, std::set<std::string>>> GroupsConsuming(
      const std::string& connector, const std::vector<std::string>& topics, const std::vector<std::string>& only) = 0;
  virtual Result<cutover::GroupPlan> PlanGroup(const std::string& connector, const std::string& group,
                                               const cutover::MoveOptions& options) = 0;
  virtual Result<cutover::MoveReport> MoveGroup(const std::string& connector, const std::string& group,
                                                const cutover::MoveOptions& options) = 0;
  virtual Result<cutover::GroupStatus> GroupStatus(const std::string& connector, const std::string& group) = 0;
  // The source's high watermark of each partition of `topic`.
  virtual Result<std::map<int32_t, int64_t>> SourceEnds(const std::string& connector, const std::string& topic) = 0;
  virtual Result<cutover::VerifyReport> Verify(const std::string& connector, const std::string& topic) = 0;
  // Who still writes `partitions` of `topic` on the source, as well as the broker can tell (one line
  // each); empty when it cannot tell.
  virtual std::vector<std::string> Writers(const std::string& connector, const std::string& topic,
                                           const std::vector<int32_t>& partitions) = 0;
};

struct AdvanceOptions {
  bool dry_run = false;
  // How long gates that clear by themselves (lag, the fence's quiet period, the mirror draining) may
  // be waited for. A blocker that needs someone's act (consumers to stop, producers to be confirmed, a
  // failed hook) ends the call at once.
  std::chrono::milliseconds wait{0};
};

struct AdvanceReport {
  Migration migration;               // as stored now (a dry run: as it would stand)
  std::vector<std::string> actions;  // what was done (a dry run: what would be), in order
  std::vector<std::string> blockers; // what stops it now
  bool dry_run = false;
};
std::string ToJson(const AdvanceReport& report);

class MigrationService {
 public:
  using NowMs = std::function<int64_t()>;
  // `hooks` runs a hook (RunHook; tests may record instead). `timeout` bounds each store call.
  MigrationService(FlowOps& ops, std::chrono::milliseconds timeout = std::chrono::seconds(30), NowMs now = {},
                   std::function<HookOutcome(const HookSpec&, const HookVariables&)> hooks = RunHook);
  ~MigrationService();
  MigrationService(const MigrationService&) = delete;
  MigrationService& operator=(const MigrationService&) = delete;

  // Discovers the groups, stores the plan (kConflict if the name is taken). A dry run stores nothing
  // and reports the first stage's blockers.
  Result<AdvanceReport> Create(const CreateRequest& request, bool dry_run);
  Result<Migration> Get(const std::optional<std::string>& connector, const std::string& name);
  Result<std::vector<std::string>> List(const std::optional<std::string>& connector);
  Result<AdvanceReport> Advance(const std::optional<std::string>& connector, const std::string& name,
                                const AdvanceOptions& options);
  // The operator confirms that `topic`'s producers write to the target now.
  Result<Migration> ConfirmProducers(const std::optional<std::string>& connector, const std::string& name,
                                     const std::string& topic);

 private:
  struct Run;  // one Advance: the plan, the report, the store
  enum class Step { kProgressed, kBlocked };
  Result<MigrationStore*> StoreFor(const FlowNames& flow);  // REQUIRES: stores_mu_ held
  Result<Step> StepTopic(Run& run, TopicStage& topic);
  Result<Step> StepGroups(Run& run, TopicStage& topic);
  Result<Step> StepProducers(Run& run, TopicStage& topic);
  Result<Step> StepFence(Run& run, TopicStage& topic);
  Result<Step> StepVerify(Run& run, TopicStage& topic);
  // Runs the hook of `event` unless it is not configured or already succeeded (`outcome`); false if
  // it failed (a blocker added) or, in a dry run, would run.
  bool Hook(Run& run, const std::string& event, HookVariables variables, std::optional<HookOutcome>& outcome);
  Result<> Save(Run& run);

  FlowOps& ops_;
  const std::chrono::milliseconds timeout_;
  const NowMs now_;
  const std::function<HookOutcome(const HookSpec&, const HookVariables&)> run_hook_;
  const std::string writer_;
  std::mutex mu_;  // one Create or Advance at a time (a waiting Advance does not hold up GET or a confirmation)
  struct Opened {
    std::unique_ptr<kafka::Log> log;
    std::unique_ptr<MigrationStore> store;  // after log: destroyed first, it stops the log
  };
  std::mutex stores_mu_;
  std::map<std::string, Opened> stores_;  // by source alias; guarded by stores_mu_
};

}  // namespace ferry::migration
