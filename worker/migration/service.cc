#include "worker/migration/service.h"

#include <algorithm>
#include <random>
#include <thread>

#include <glog/logging.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "worker/common/json.h"

namespace ferry::migration {
namespace {

constexpr std::chrono::milliseconds kPoll{500};  // between looks at a gate while waiting

int64_t SystemNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string RandomWriter() {
  std::random_device random;
  char id[17];
  std::snprintf(id, sizeof(id), "%08x%08x", random(), random());
  return std::string("worker-") + id;
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : "; ") + s;
  return out;
}

}  // namespace

struct MigrationService::Run {
  Migration m;
  MigrationStore* store = nullptr;  // null in a dry run of Create: nothing is stored
  FlowNames flow;
  AdvanceReport report;
  bool dry_run = false;
  int64_t now = 0;
  // A blocker only someone's act clears (consumers to stop, producers to confirm, a hook or a copy
  // that failed): an Advance does not wait for it.
  bool needs_act = false;
};

MigrationService::MigrationService(FlowOps& ops, std::chrono::milliseconds timeout, NowMs now,
                                   std::function<HookOutcome(const HookSpec&, const HookVariables&)> hooks)
    : ops_(ops),
      timeout_(timeout),
      now_(now ? std::move(now) : NowMs(SystemNowMs)),
      run_hook_(std::move(hooks)),
      writer_(RandomWriter()) {}

MigrationService::~MigrationService() = default;

Result<MigrationStore*> MigrationService::StoreFor(const FlowNames& flow) {
  auto it = stores_.find(flow.source_alias);
  if (it != stores_.end()) return it->second.store.get();
  auto log = ops_.OpenPlanLog(flow);
  if (!log.ok()) return log.error();
  Opened opened;
  opened.log = std::move(*log);
  opened.store = std::make_unique<MigrationStore>(*opened.log, writer_);
  FERRY_RETURN_IF_ERROR(opened.store->Start(timeout_));
  return stores_.emplace(flow.source_alias, std::move(opened)).first->second.store.get();
}

Result<> MigrationService::Save(Run& run) {
  if (run.dry_run || run.store == nullptr) return {};
  run.m.updated_ms = run.now;
  return run.store->CompareAndSet(run.m, timeout_);
}

bool MigrationService::Hook(Run& run, const std::string& event, HookVariables variables,
                            std::optional<HookOutcome>& outcome) {
  auto spec = run.m.hooks.find(event);
  if (spec == run.m.hooks.end() || (outcome && outcome->ok)) return true;
  variables["event"] = event;
  variables["migration"] = run.m.name;
  variables["connector"] = run.flow.connector;
  variables["source_alias"] = run.flow.source_alias;
  variables["target_alias"] = run.flow.target_alias;
  const std::string subject = variables.count("group") ? "group " + variables["group"]
                              : variables.count("topic") ? "topic " + variables["topic"]
                                                         : "migration " + run.m.name;
  if (run.dry_run) {
    run.report.actions.push_back("would run hook " + event + " for " + subject);
    return true;
  }
  outcome = run_hook_(spec->second, variables);
  run.report.actions.push_back("ran hook " + event + " for " + subject + ": " + (outcome->ok ? "ok" : outcome->error));
  if (!outcome->ok) {
    run.needs_act = true;
    run.report.blockers.push_back("hook " + event + " for " + subject + " failed: " + outcome->error +
                                  (outcome->output.empty() ? "" : "; output: " + outcome->output.substr(0, 200)) +
                                  " (it runs again at the next advance)");
  }
  return outcome->ok;
}

Result<MigrationService::Step> MigrationService::StepGroups(Run& run, TopicStage& topic) {
  const cutover::MoveOptions options{run.m.gates.allow_approximate, std::chrono::milliseconds(0)};
  bool all_moved = true;
  for (GroupStage& g : topic.groups) {
    if (g.state != "pending") continue;
    g.blockers.clear();
    // A move the journal shows done (a worker that died before storing it) is recorded, not repeated.
    auto status = ops_.GroupStatus(run.flow.connector, g.group);
    if (!status.ok()) return status.error();
    if (status->position == "target") {
      g.state = "moved";
      g.moved_ms = status->last ? status->last->time_ms : run.now;
      run.report.actions.push_back("group " + g.group + ": already on the target (cutover journal); recorded");
      FERRY_RETURN_IF_ERROR(Save(run));
      continue;
    }
    auto plan = ops_.PlanGroup(run.flow.connector, g.group, options);
    if (!plan.ok()) return plan.error();
    g.blockers = plan->blockers;
    for (const cutover::PartitionPlan& p : plan->partitions) {  // the lag gate
      if (!p.replicated_to) continue;
      const int64_t lag = p.source_end - *p.replicated_to;
      if (lag > run.m.gates.max_lag) {
        g.blockers.push_back(p.from.topic + "-" + std::to_string(p.from.partition) + ": the mirror is " +
                             std::to_string(lag) + " records behind the source end " + std::to_string(p.source_end) +
                             " (gate max_lag " + std::to_string(run.m.gates.max_lag) + ")");
      }
    }
    if (!g.blockers.empty()) {
      all_moved = false;
      if (!plan->ready() && !plan->waiting_only()) run.needs_act = true;  // the lag gate alone waits
      for (const std::string& b : g.blockers) run.report.blockers.push_back("group " + g.group + ": " + b);
      continue;
    }
    if (run.dry_run) {
      run.report.actions.push_back("would cut group " + g.group + " over (" + std::to_string(plan->partitions.size()) +
                                   " partitions, every one translated " +
                                   (plan->partitions.empty() ? "" : cutover::TranslationName(plan->partitions[0].translation)) +
                                   ")");
      g.state = "moved";  // as the plan would stand
      continue;
    }
    auto moved = ops_.MoveGroup(run.flow.connector, g.group, options);
    if (!moved.ok()) return moved.error();
    if (moved->outcome == cutover::MoveReport::Outcome::kMoved) {
      g.state = "moved";
      g.moved_ms = moved->entry ? moved->entry->time_ms : run.now;
      run.report.actions.push_back("group " + g.group + ": cut over");
      FERRY_RETURN_IF_ERROR(Save(run));
      continue;
    }
    all_moved = false;
    g.blockers = moved->plan.blockers;
    if (!moved->plan.waiting_only() || moved->outcome == cutover::MoveReport::Outcome::kFailed) run.needs_act = true;
    if (moved->outcome == cutover::MoveReport::Outcome::kFailed && moved->entry) {
      g.blockers.push_back("the move failed and was " + std::string(moved->entry->restored ? "" : "NOT ") +
                           "undone: " + moved->entry->error);
    }
    for (const std::string& b : g.blockers) run.report.blockers.push_back("group " + g.group + ": " + b);
  }
  // Each moved group's hook (e.g. telling its consumers to read the target now).
  for (GroupStage& g : topic.groups) {
    if (g.state != "moved") continue;
    const bool had = g.hook && g.hook->ok;
    if (!Hook(run, "group_moved", {{"topic", topic.topic}, {"group", g.group}}, g.hook)) all_moved = false;
    if (!had && g.hook) FERRY_RETURN_IF_ERROR(Save(run));
  }
  if (!all_moved) return Step::kBlocked;
  topic.stage = Stage::kProducers;
  run.report.actions.push_back("topic " + topic.topic + ": every group moved; next its producers");
  FERRY_RETURN_IF_ERROR(Save(run));
  return Step::kProgressed;
}

Result<MigrationService::Step> MigrationService::StepProducers(Run& run, TopicStage& topic) {
  if (topic.producers_moved_by.empty()) {
    if (run.m.hooks.count("move_producers") == 0) {
      run.report.blockers.push_back("topic " + topic.topic + ": waiting for the operator to confirm that its producers "
                                    "write to cluster " + run.flow.target_alias + " (POST /ferry/migrations/" +
                                    run.m.name + "/topics/" + topic.topic + "/producers-moved)");
      run.needs_act = true;
      return Step::kBlocked;
    }
    std::optional<HookOutcome> outcome;
    if (auto it = topic.hooks.find("move_producers"); it != topic.hooks.end()) outcome = it->second;
    const bool ok = Hook(run, "move_producers", {{"topic", topic.topic}}, outcome);
    if (outcome) topic.hooks["move_producers"] = *outcome;
    if (!ok) {
      FERRY_RETURN_IF_ERROR(Save(run));
      return Step::kBlocked;
    }
    topic.producers_moved_by = "hook";
    topic.producers_moved_ms = run.now;
  }
  topic.stage = Stage::kFence;
  topic.fence_ends.clear();
  topic.fence_since_ms = -1;
  run.report.actions.push_back("topic " + topic.topic + ": producers moved (" + topic.producers_moved_by +
                               "); next the fence");
  FERRY_RETURN_IF_ERROR(Save(run));
  return Step::kProgressed;
}

Result<MigrationService::Step> MigrationService::StepFence(Run& run, TopicStage& topic) {
  auto ends = ops_.SourceEnds(run.flow.connector, topic.topic);
  if (!ends.ok()) return ends.error();
  const int64_t quiet = run.m.gates.fence_quiet_ms;
  if (topic.fence_ends.empty() || *ends != topic.fence_ends) {
    std::vector<std::string> growing;
    std::vector<int32_t> partitions;
    for (const auto& [p, end] : *ends) {
      auto before = topic.fence_ends.find(p);
      if (before == topic.fence_ends.end() || before->second == end) continue;
      growing.push_back(topic.topic + "-" + std::to_string(p) + " grew by " + std::to_string(end - before->second) +
                        " records (to " + std::to_string(end) + ")");
      partitions.push_back(p);
    }
    const int64_t since = topic.fence_since_ms;
    topic.fence_ends = *ends;
    topic.fence_since_ms = run.now;
    if (!growing.empty()) {
      std::string who;
      for (const std::string& w : ops_.Writers(run.flow.connector, topic.topic, partitions)) who += "; " + w;
      run.report.blockers.push_back("topic " + topic.topic + ": a producer still writes to cluster " +
                                    run.flow.source_alias + " (" + std::to_string(run.now - since) + " ms): " +
                                    Join(growing) + (who.empty() ? "; the broker cannot name it" : who));
    } else {
      run.report.blockers.push_back("topic " + topic.topic + ": the fence starts: the source's ends must stand still for " +
                                    std::to_string(quiet) + " ms");
    }
    FERRY_RETURN_IF_ERROR(Save(run));
    if (quiet > 0 || !growing.empty()) return Step::kBlocked;
  }
  if (run.now - topic.fence_since_ms < quiet) {
    run.report.blockers.push_back("topic " + topic.topic + ": the fence: the source's ends have stood still for " +
                                  std::to_string(run.now - topic.fence_since_ms) + " of " + std::to_string(quiet) +
                                  " ms");
    return Step::kBlocked;
  }
  std::optional<HookOutcome> outcome;
  if (auto it = topic.hooks.find("fence_verified"); it != topic.hooks.end()) outcome = it->second;
  const bool ok = Hook(run, "fence_verified", {{"topic", topic.topic}}, outcome);
  if (outcome) topic.hooks["fence_verified"] = *outcome;
  if (ok) {
    topic.stage = Stage::kVerify;
    run.report.actions.push_back("topic " + topic.topic + ": fence verified (no writes to cluster " +
                                 run.flow.source_alias + " for " + std::to_string(run.now - topic.fence_since_ms) +
                                 " ms); next the copy's verification");
  }
  FERRY_RETURN_IF_ERROR(Save(run));
  return ok ? Step::kProgressed : Step::kBlocked;
}

Result<MigrationService::Step> MigrationService::StepVerify(Run& run, TopicStage& topic) {
  if (topic.verified.empty()) {
    auto ends = ops_.SourceEnds(run.flow.connector, topic.topic);
    if (!ends.ok()) return ends.error();
    if (*ends != topic.fence_ends) {  // written to after the fence: fence again
      run.report.blockers.push_back("topic " + topic.topic + ": the source grew after the fence; fencing again");
      topic.stage = Stage::kFence;
      topic.fence_ends = *ends;
      topic.fence_since_ms = run.now;
      FERRY_RETURN_IF_ERROR(Save(run));
      return Step::kBlocked;
    }
    if (run.dry_run) {
      run.report.actions.push_back("would verify the copy of topic " + topic.topic);
      return Step::kBlocked;
    }
    auto report = ops_.Verify(run.flow.connector, topic.topic);
    if (!report.ok()) return report.error();
    std::vector<std::string> blockers;
    for (const cutover::PartitionVerification& p : report->partitions) {
      const int64_t end = topic.fence_ends[p.source.partition];
      if (p.source_end < end) {
        blockers.push_back(p.source.ToString() + ": the mirror has copied up to " + std::to_string(p.source_end) +
                           " of " + std::to_string(end) + " (not drained yet)");
      } else if (!p.ok()) {
        run.needs_act = true;
        blockers.push_back(p.source.ToString() + ": the copy differs" +
                           (p.first_mismatch ? " at source offset " + std::to_string(p.first_mismatch->source_offset) +
                                                   " (" + p.first_mismatch->what + ")"
                                             : std::string(" (digests differ)")));
      }
    }
    if (!blockers.empty()) {
      for (const std::string& b : blockers) run.report.blockers.push_back("topic " + topic.topic + ": " + b);
      return Step::kBlocked;
    }
    for (const cutover::PartitionVerification& p : report->partitions) {
      topic.verified.push_back(
          {p.source.partition, p.source_start, p.source_end, p.records, p.source_digest, p.target_digest});
    }
    run.report.actions.push_back("topic " + topic.topic + ": copy verified (" +
                                 std::to_string(report->partitions.size()) + " partitions, counts and digests equal)");
    FERRY_RETURN_IF_ERROR(Save(run));
  }
  for (const char* event : {"copy_verified", "topic_done"}) {
    std::optional<HookOutcome> outcome;
    if (auto it = topic.hooks.find(event); it != topic.hooks.end()) outcome = it->second;
    const bool ok = Hook(run, event, {{"topic", topic.topic}}, outcome);
    if (outcome) topic.hooks[event] = *outcome;
    if (!ok) {
      FERRY_RETURN_IF_ERROR(Save(run));
      return Step::kBlocked;
    }
  }
  topic.stage = Stage::kDone;
  run.report.actions.push_back("topic " + topic.topic + ": done");
  FERRY_RETURN_IF_ERROR(Save(run));
  return Step::kProgressed;
}

Result<MigrationService::Step> MigrationService::StepTopic(Run& run, TopicStage& topic) {
  switch (topic.stage) {
    case Stage::kGroups: return StepGroups(run, topic);
    case Stage::kProducers: return StepProducers(run, topic);
    case Stage::kFence: return StepFence(run, topic);
    case Stage::kVerify: return StepVerify(run, topic);
    case Stage::kDone: return Step::kProgressed;
  }
  return Step::kBlocked;
}

Result<AdvanceReport> MigrationService::Create(const CreateRequest& request, bool dry_run) {
  std::lock_guard lock(mu_);
  auto flow = ops_.Names(request.connector);
  if (!flow.ok()) return flow.error();
  Result<MigrationStore*> store = Error::Internal("unset");
  {
    std::lock_guard stores(stores_mu_);
    store = StoreFor(*flow);
  }
  if (!store.ok()) return store.error();
  auto existing = (*store)->Get(request.name, timeout_);
  if (!existing.ok()) return existing.error();
  if (*existing) {
    return Error::Conflict("migration '" + request.name + "' exists (version " + std::to_string((*existing)->version) +
                           "); GET it, or give the new one another name");
  }
  for (const std::string& topic : request.topics) {  // each must exist on the source
    auto ends = ops_.SourceEnds(flow->connector, topic);
    if (!ends.ok()) return ends.error();
  }
  auto consuming = ops_.GroupsConsuming(flow->connector, request.topics, request.groups.value_or(std::vector<std::string>()));
  if (!consuming.ok()) return consuming.error();
  for (const std::string& group : request.groups.value_or(std::vector<std::string>())) {
    if (consuming->count(group) == 0) {
      return Error::BadRequest("group '" + group + "' has no committed offsets on cluster " + flow->source_alias +
                               " for any of the topics");
    }
  }
  Run run;
  run.flow = *flow;
  run.dry_run = dry_run;
  run.store = *store;
  run.now = now_();
  run.report.dry_run = dry_run;
  Migration& m = run.m;
  m.name = request.name;
  m.connector = flow->connector;
  m.created_ms = run.now;
  m.discovered = !request.groups;
  m.gates = request.gates;
  m.hooks = request.hooks;
  std::set<std::string> placed;  // a group moves with the first topic it consumes (a move takes all of it)
  for (const std::string& topic : request.topics) {
    TopicStage t;
    t.topic = topic;
    for (const auto& [group, topics] : *consuming) {
      if (topics.count(topic) == 0) continue;
      GroupStage g;
      g.group = group;
      g.state = placed.insert(group).second ? "pending" : "moved_earlier";
      t.groups.push_back(std::move(g));
    }
    m.topics.push_back(std::move(t));
  }
  if (dry_run) {
    auto step = StepGroups(run, run.m.topics.front());
    if (!step.ok()) return step.error();
  } else {
    FERRY_RETURN_IF_ERROR(Save(run));
    run.report.actions.push_back("stored migration '" + m.name + "' (version 1)");
    LOG(INFO) << "migration '" << m.name << "' created on mirror '" << flow->connector << "': " << m.topics.size()
              << " topic(s), " << placed.size() << " group(s)";
  }
  run.report.migration = std::move(run.m);
  return std::move(run.report);
}

Result<Migration> MigrationService::Get(const std::optional<std::string>& connector, const std::string& name) {
  auto flow = ops_.Names(connector);
  if (!flow.ok()) return flow.error();
  Result<MigrationStore*> store = Error::Internal("unset");
  {
    std::lock_guard lock(stores_mu_);
    store = StoreFor(*flow);
  }
  if (!store.ok()) return store.error();
  auto m = (*store)->Get(name, timeout_);
  if (!m.ok()) return m.error();
  if (!*m) return Error::NotFound("no migration named '" + name + "' on mirror '" + flow->connector + "'");
  return std::move(**m);
}

Result<std::vector<std::string>> MigrationService::List(const std::optional<std::string>& connector) {
  auto flow = ops_.Names(connector);
  if (!flow.ok()) return flow.error();
  std::lock_guard lock(stores_mu_);
  auto store = StoreFor(*flow);
  if (!store.ok()) return store.error();
  if (auto read = (*store)->Get("", timeout_); !read.ok()) return read.error();
  return (*store)->Names();
}

Result<AdvanceReport> MigrationService::Advance(const std::optional<std::string>& connector, const std::string& name,
                                                const AdvanceOptions& options) {
  std::lock_guard lock(mu_);
  auto flow = ops_.Names(connector);
  if (!flow.ok()) return flow.error();
  Result<MigrationStore*> store = Error::Internal("unset");
  {
    std::lock_guard stores(stores_mu_);
    store = StoreFor(*flow);
  }
  if (!store.ok()) return store.error();
  Run run;
  run.flow = *flow;
  run.store = *store;
  run.dry_run = options.dry_run;
  run.report.dry_run = options.dry_run;
  const auto deadline = std::chrono::steady_clock::now() + options.wait;
  for (int round = 0;; ++round) {
    if (!options.dry_run || round == 0) {  // another worker, or the operator, may have changed it
      auto m = (*store)->Get(name, timeout_);
      if (!m.ok()) return m.error();
      if (!*m) return Error::NotFound("no migration named '" + name + "' on mirror '" + flow->connector + "'");
      run.m = std::move(**m);
    }
    run.now = now_();
    run.report.blockers.clear();
    run.needs_act = false;
    if (run.m.done()) {
      const bool had = run.m.done_hook.has_value();
      Hook(run, "migration_done", {}, run.m.done_hook);
      if (run.m.done_hook && !had) FERRY_RETURN_IF_ERROR(Save(run));
      run.report.actions.push_back("every topic is done; the mirror '" + flow->connector +
                                   "' still runs: stopping it is the operator's act (or a migration_done hook's)");
      break;
    }
    TopicStage& topic = *std::find_if(run.m.topics.begin(), run.m.topics.end(),
                                      [](const TopicStage& t) { return t.stage != Stage::kDone; });
    auto step = StepTopic(run, topic);
    if (!step.ok()) return step.error();
    if (*step == Step::kProgressed && !options.dry_run) continue;
    if (*step == Step::kProgressed || run.needs_act || std::chrono::steady_clock::now() + kPoll >= deadline) {
      // Where it stops, stored with the plan for GET (unless unchanged).
      if (!options.dry_run && topic.blockers != run.report.blockers) {
        topic.blockers = run.report.blockers;
        FERRY_RETURN_IF_ERROR(Save(run));
      }
      break;
    }
    std::this_thread::sleep_for(kPoll);
  }
  run.report.migration = std::move(run.m);
  return std::move(run.report);
}

Result<Migration> MigrationService::ConfirmProducers(const std::optional<std::string>& connector,
                                                     const std::string& name, const std::string& topic) {
  for (int attempt = 0;; ++attempt) {  // a compare-and-set: another worker's change is read, and tried again
    auto m = Get(connector, name);
    if (!m.ok()) return m.error();
    auto t = std::find_if(m->topics.begin(), m->topics.end(), [&](const TopicStage& s) { return s.topic == topic; });
    if (t == m->topics.end()) return Error::NotFound("migration '" + name + "' has no topic '" + topic + "'");
    if (t->stage == Stage::kGroups) {
      return Error::Conflict("topic '" + topic + "' of migration '" + name +
                             "' still has groups to move: its producers move after its consumers");
    }
    if (!t->producers_moved_by.empty()) return std::move(*m);  // confirmed already: idempotent
    t->producers_moved_by = "operator";
    t->producers_moved_ms = now_();
    Run run;
    run.m = std::move(*m);
    run.now = t->producers_moved_ms;
    {
      std::lock_guard lock(stores_mu_);
      auto flow = ops_.Names(connector);
      if (!flow.ok()) return flow.error();
      auto store = StoreFor(*flow);
      if (!store.ok()) return store.error();
      run.store = *store;
    }
    auto saved = Save(run);
    if (saved.ok()) return std::move(run.m);
    if (saved.error().code() != ErrorCode::kConflict || attempt == 4) return saved.error();
  }
}

std::string ToJson(const AdvanceReport& report) {
  std::string out = "{\"dry_run\":" + std::string(report.dry_run ? "true" : "false") + ",\"actions\":[";
  for (size_t i = 0; i < report.actions.size(); ++i) out += (i ? "," : "") + json::Quote(report.actions[i]);
  out += "],\"blockers\":[";
  for (size_t i = 0; i < report.blockers.size(); ++i) out += (i ? "," : "") + json::Quote(report.blockers[i]);
  return out + "],\"migration\":" + report.migration.ToJson() + "}";
}

}  // namespace ferry::migration
