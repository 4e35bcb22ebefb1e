#include "worker/connect_herder.h"

#include <time.h>

#include <cctype>
#include <ctime>
#include <limits>

#include <glog/logging.h>

#include "connectors/mirror_config.h"
#include "connectors/mirror_offsets.h"
#include "connectors/registry.h"
#include "worker/internal_requests.h"

namespace ferry::worker {
namespace {

constexpr std::chrono::milliseconds kFailureCheckEvery{500};
constexpr std::chrono::milliseconds kTaskConfigRetry{250};   // Connect's backoff for a failed send
constexpr std::chrono::milliseconds kTaskConfigSendTimeout{15000};

Error ConnectorNotFound(const std::string& name) { return Error::NotFound("Connector " + name + " not found"); }

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// As Java's Instant.toString() (always with milliseconds): 2024-11-25T10:00:00.123Z.
std::string IsoInstant(std::chrono::system_clock::time_point t) {
  const int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  const time_t secs = static_cast<time_t>(ms / 1000);
  tm utc{};
  gmtime_r(&secs, &utc);
  char date[32];
  const size_t n = std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &utc);
  const std::string millis = std::to_string(1000 + ms % 1000);  // "1ddd": zero-padded
  return std::string(date, n) + "." + millis.substr(1) + "Z";
}

int MaxTasks(const Properties& config) {
  auto it = config.find("tasks.max");
  if (it == config.end()) return 1;
  try {
    return std::max(1, std::stoi(it->second));
  } catch (const std::exception&) {  // validated before it was stored; stay safe on foreign records
    return 1;
  }
}

}  // namespace

class ConnectHerder::Context : public connectors::ConnectorContext {
 public:
  Context(ConnectHerder& herder, std::string name) : herder_(herder), name_(std::move(name)) {}
  // What is queued captures the herder and the name, not this context: a connector deleted
  // meanwhile has taken its context with it.
  void RequestTaskReconfiguration() override {
    herder_.Enqueue("reconfiguring the tasks of connector " + name_, [&herder = herder_, name = name_] {
      herder.reconfigure_.insert(name);
      herder.Reconcile(name);
    });
  }
  void RaiseError(const Error& raised) override {
    const Error error = herder_.worker_.ConnectorError(name_, raised);
    herder_.Enqueue("recording the failure of connector " + name_, [&herder = herder_, name = name_, error] {
      herder.PutConnectorStatus(name, "FAILED", error.message());
    });
  }

 private:
  ConnectHerder& herder_;
  std::string name_;
};

ConnectHerder::ConnectHerder(HerderConfig config, ConfigStore& configs, OffsetStore& offsets, StatusStore& statuses)
    : config_(std::move(config)),
      configs_(configs),
      offsets_(offsets),
      statuses_(statuses),
      worker_(offsets, config_.worker_producer_props, config_.offset_flush_interval, config_.offset_flush_timeout,
              config_.config_providers) {}

ConnectHerder::~ConnectHerder() { Stop(); }

Result<> ConnectHerder::Start(const std::string& worker_id) {
  config_.worker_id = worker_id;
  configs_.SetListener([this](const ConfigEvent& event) {
    // On the config log's thread: hand the decision to the herder thread.
    const std::string name = event.connector;
    if (event.kind == ConfigEvent::Kind::kRestartRequest && config_.group) {
      const RestartRequest request = event.restart;
      Enqueue("restarting connector " + name, [this, request] { RestartOwned(request); });
      return;
    }
    Enqueue("applying a config change of connector " + name, [this, name] { Reconcile(name); });
  });
  BeginStage("reading the stored connector configs");
  FERRY_RETURN_IF_ERROR(configs_.Start(config_.store_timeout));
  BeginStage("reading the stored source offsets");
  FERRY_RETURN_IF_ERROR(offsets_.Start(config_.store_timeout));
  BeginStage("reading the stored statuses");
  FERRY_RETURN_IF_ERROR(statuses_.Start(config_.store_timeout));
  if (config_.group) {
    // A member of the Connect cluster: run only what the leader assigns (nothing until then). Set
    // before the herder thread starts, which reads it.
    WorkerGroupConfig group = *config_.group;
    group.url = config_.rest_scheme + "://" + config_.worker_id + "/";
    owned_ = ConnectorsAndTasks{};
    WorkerGroup::Callbacks callbacks;
    callbacks.cluster_work = [this] { return WorkOf(configs_.Snapshot()); };
    callbacks.read_config_to = [this](int64_t offset) -> Result<> {
      if (configs_.Snapshot().offset >= offset) return Ok();
      FERRY_RETURN_IF_ERROR(configs_.Refresh(config_.store_timeout));
      if (configs_.Snapshot().offset >= offset) return Ok();
      return Error::Timeout("the config topic is read up to " + std::to_string(configs_.Snapshot().offset) +
                            ", the leader assigned from " + std::to_string(offset));
    };
    callbacks.apply = [this](const WorkerAssignment& assignment) {
      auto applied = CallVoid("applying the assignment of generation " + std::to_string(assignment.generation),
                              [this, assignment]() -> Result<> {
                                ApplyAssignment(assignment);
                                return Ok();
                              });
      if (!applied.ok()) {
        LOG(ERROR) << "assignment not applied: " << applied.error().message();
        return;
      }
      const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
      rebalance_epoch_ = assignment.generation;
      last_rebalance_ms_ = now_ms;
      if (const int64_t started = rebalance_started_ms_.exchange(-1); started >= 0) {
        std::lock_guard lock(rebalance_mu_);
        rebalance_time_ms_.Record(static_cast<double>(now_ms - started), now_ms);
      }
      ++completed_rebalances_;
    };
    callbacks.rebalance_started = [this] {
      rebalance_started_ms_ = std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count();
    };
    group_ = std::make_unique<WorkerGroup>(std::move(group), std::move(callbacks));
  }
  thread_ = std::thread([this] { Run(); });
  // Everything the config topic asks for, as after a restart (or a kill -9).
  for (const auto& [name, state] : configs_.Snapshot().connectors) {
    const std::string n = name;
    Enqueue("starting connector " + n, [this, n] { Reconcile(n); });
  }
  if (group_) FERRY_RETURN_IF_ERROR(group_->Start());  // applies assignments on the herder thread
  ready_ = true;
  LOG(INFO) << "herder started as worker " << config_.worker_id
            << (group_ ? " of the cluster " + config_.group->group_id : " (a cluster of one)");
  return Ok();
}

ClusterWork ConnectHerder::WorkOf(const ClusterConfigState& snapshot) {
  ClusterWork work;
  work.config_offset = snapshot.offset;
  for (const auto& [name, state] : snapshot.connectors) {
    work.task_counts[name] = static_cast<int32_t>(state.task_configs.size());
  }
  return work;
}

void ConnectHerder::ApplyAssignment(const WorkerAssignment& assignment) {
  owned_ = assignment.owned;
  generation_ = assignment.generation;
  // The config has been read at least as far as the leader's when it assigned (read_config_to).
  assigned_work_ = WorkOf(configs_.Snapshot()).task_counts;
  std::set<std::string> touched;
  for (const auto* part : {&assignment.revoked, &assignment.assigned}) {
    touched.insert(part->connectors.begin(), part->connectors.end());
    for (const ConnectorTaskId& id : part->tasks) touched.insert(id.connector);
  }
  for (const std::string& name : touched) Reconcile(name);
}

bool ConnectHerder::Owns(const std::string& connector) const {
  return !owned_ || owned_->connectors.count(connector) > 0;
}

bool ConnectHerder::Owns(const ConnectorTaskId& task) const { return !owned_ || owned_->tasks.count(task) > 0; }

Result<> ConnectHerder::RequireLeader() const {
  if (!group_) return Ok();
  // A worker that is still forming its first group (seconds after start) lets the request wait for
  // it, bounded, rather than refuse what it will be able to serve a moment later.
  const auto deadline = std::chrono::steady_clock::now() + config_.first_join_wait;
  WorkerAssignment now = group_->current();
  while ((now.generation < 0 || now.leader_url.empty()) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    now = group_->current();
  }
  if (now.generation < 0 || now.leader_url.empty()) {
    return Error::Conflict(
        "Cannot complete request momentarily due to no known leader URL, likely because a rebalance was underway.");
  }
  if (!now.is_leader) return Error(ErrorCode::kNotLeader, "This worker is not the leader (" + now.leader_url + " is)");
  return Ok();
}

bool ConnectHerder::IsLeader() const { return !group_ || group_->current().is_leader; }

std::optional<std::string> ConnectHerder::LeaderUrl() {
  if (!group_) return std::nullopt;
  const WorkerAssignment now = group_->current();
  if (now.leader_url.empty()) return std::nullopt;
  return now.leader_url;
}

void ConnectHerder::RebalanceIfWorkChanged() {
  if (group_) group_->NotifyWorkChanged();
}

Result<> ConnectHerder::RequireNoPendingRebalance() const {
  if (!group_ || generation_ < 0 || WorkOf(configs_.Snapshot()).task_counts == assigned_work_) return Ok();
  return Error::Conflict(
      "Cannot complete request momentarily due to stale configuration (typically caused by a concurrent config "
      "change)");
}

bool ConnectHerder::Sessioned() const { return group_ && config_.group->protocol == group::ConnectProtocol::kSessioned; }

void ConnectHerder::MaintainSessionKey() {
  if (!Sessioned() || !group_->current().is_leader) return;
  const std::optional<SessionKey> key = configs_.Snapshot().session_key;
  const int64_t now = NowMs();
  if (key && now - key->creation_ms < config_.inter_worker_key_ttl.count()) return;
  auto fresh = NewSessionKey(now, config_.inter_worker_key_algorithm);
  if (!fresh.ok()) {
    LOG(ERROR) << "no session key for internal requests: " << fresh.error().message();
    return;
  }
  if (auto r = configs_.PutSessionKey(*fresh); !r.ok()) {
    LOG(WARNING) << "session key not written (retried shortly): " << r.error().message();
    return;
  }
  LOG(INFO) << (key ? "rotated" : "wrote") << " the session key for internal requests";
}

Result<> ConnectHerder::WriteTaskConfigs(const std::string& name, const std::vector<Properties>& task_configs) {
  if (!group_ || group_->current().is_leader) return configs_.PutTaskConfigs(name, task_configs);
  // As Connect: only the leader writes task configs; the worker running the connector sends them.
  const WorkerAssignment now = group_->current();
  if (now.leader_url.empty()) return Error::Conflict("no known leader to send the task configs of " + name + " to");
  FERRY_RETURN_IF_ERROR(SendTaskConfigs(now.leader_url, config_.rest_namespace, name, task_configs, configs_.Snapshot().session_key,
                                        config_.inter_worker_signature_algorithm, kTaskConfigSendTimeout));
  LOG(INFO) << "sent " << task_configs.size() << " task config(s) of " << name << " to the leader at " << now.leader_url;
  return Ok();
}

void ConnectHerder::RetryTaskConfigs() {
  const auto now = std::chrono::steady_clock::now();
  for (auto it = task_config_retry_.begin(); it != task_config_retry_.end();) {
    if (it->second > now) {
      ++it;
      continue;
    }
    const std::string name = it->first;
    it = task_config_retry_.erase(it);
    reconfigure_.insert(name);
    Reconcile(name);
  }
}

void ConnectHerder::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ || !thread_.joinable()) {
      stopping_ = true;
      return;
    }
  }
  // Leave the cluster first: its final assignment releases this worker's work, and the others take
  // it over at once instead of after a session timeout.
  if (group_) group_->Stop();
  // Stop the work on the herder thread, then the thread itself.
  std::promise<void> done;
  Enqueue("stopping every connector and task", [this, &done] {
    JoinConnectorStarts();  // what they started is stopped below with the rest
    JoinTaskStarts();
    // UNASSIGNED written safely, as Connect's onShutdown does: this worker left the group first, so
    // another may already run the work under a newer generation, and its status must stand.
    for (const ConnectorTaskId& id : worker_.Tasks()) {
      worker_.StopTask(id);
      PutTaskStatus(id, "UNASSIGNED", {}, Write::kSafe);
    }
    for (const std::string& name : worker_.Connectors()) {
      StopInstance(name);
      PutConnectorStatus(name, "UNASSIGNED", {}, Write::kSafe);
    }
    worker_.JoinConnectorStops();  // they stop side by side
    if (auto r = statuses_.Flush(config_.store_timeout); !r.ok()) {
      LOG(WARNING) << "statuses not flushed at shutdown: " << r.error().message();
    }
    done.set_value();
  });
  done.get_future().wait();
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
  configs_.Stop();
  offsets_.Stop();
  statuses_.Stop();
}

void ConnectHerder::Enqueue(std::string what, std::function<void()> fn) {
  {
    std::lock_guard lock(mu_);
    queue_.push_back({std::move(what), std::move(fn)});
  }
  wake_.notify_all();
}

template <typename T>
Result<T> ConnectHerder::Call(std::string what, std::function<Result<T>()> fn,
                              std::optional<std::chrono::milliseconds> timeout) {
  auto promise = std::make_shared<std::promise<Result<T>>>();
  auto future = promise->get_future();
  {
    std::lock_guard lock(mu_);
    if (stopping_) return Error(ErrorCode::kConflict, "the worker is shutting down");
  }
  Enqueue(std::move(what), [promise, fn = std::move(fn)] { promise->set_value(fn()); });
  if (future.wait_for(timeout.value_or(config_.request_timeout)) != std::future_status::ready) {
    return Error::Timeout("Request timed out. The worker is busy; the request may still complete.");
  }
  return future.get();
}

Result<> ConnectHerder::CallVoid(std::string what, std::function<Result<>()> fn) {
  auto r = Call<std::monostate>(std::move(what), [fn = std::move(fn)]() -> Result<std::monostate> {
    FERRY_RETURN_IF_ERROR(fn());
    return std::monostate{};
  });
  if (!r.ok()) return r.error();
  return Ok();
}

void ConnectHerder::BeginStage(std::string description) {
  std::lock_guard lock(mu_);
  stage_ = Stage{std::move(description), std::chrono::system_clock::now(), std::nullopt};
}

std::string ConnectHerder::StageSummary() {
  std::lock_guard lock(mu_);
  if (!stage_) return "";
  if (stage_->completed) {
    return "The last operation the worker completed was " + stage_->description + ", which began at " +
           IsoInstant(stage_->started) + " and completed at " + IsoInstant(*stage_->completed) + ".";
  }
  return "The worker is currently " + stage_->description + ", which began at " + IsoInstant(stage_->started) + ".";
}

void ConnectHerder::Run() {
  auto next_check = std::chrono::steady_clock::now() + kFailureCheckEvery;
  std::unique_lock lock(mu_);
  // Runs `fn` with mu_ released, as the current stage unless `what` is empty.
  auto run = [&](std::string what, const std::function<void()>& fn) {
    const bool staged = !what.empty();
    if (staged) stage_ = Stage{std::move(what), std::chrono::system_clock::now(), std::nullopt};
    lock.unlock();
    fn();
    lock.lock();
    if (staged && stage_) stage_->completed = std::chrono::system_clock::now();
  };
  while (!stopping_) {
    wake_.wait_until(lock, next_check, [this] { return stopping_ || !queue_.empty(); });
    while (!queue_.empty()) {
      Job job = std::move(queue_.front());
      queue_.pop_front();
      run(std::move(job.what), job.fn);
    }
    if (std::chrono::steady_clock::now() >= next_check) {
      run("checking for failed tasks", [this] {
        CheckFailures();
        MaintainSessionKey();
        RetryTaskConfigs();
      });
      next_check = std::chrono::steady_clock::now() + kFailureCheckEvery;
    }
  }
}

WorkerHealth ConnectHerder::Health() {
  if (!ready_) return {WorkerHealth::Status::kStarting, StageSummary()};
  // Not a stage of its own: on a timeout the detail names the work the probe waited behind.
  auto probe = Call<std::monostate>("", [] { return Result<std::monostate>(std::monostate{}); },
                                    config_.health_check_timeout);
  if (probe.ok()) return {WorkerHealth::Status::kHealthy, ""};
  return {WorkerHealth::Status::kUnhealthy, StageSummary()};
}

// --- Statuses ---------------------------------------------------------------------------------

void ConnectHerder::PutConnectorStatus(const std::string& name, const std::string& state,
                                       std::optional<std::string> trace, Write write) {
  Status status{state, std::move(trace), config_.worker_id, generation_};
  if (auto r = write == Write::kSafe ? statuses_.PutConnectorSafe(name, status) : statuses_.PutConnector(name, status);
      !r.ok()) {
    LOG(WARNING) << "status of connector " << name << " not written: " << r.error().message();
  }
}

void ConnectHerder::PutTaskStatus(const ConnectorTaskId& id, const std::string& state,
                                  std::optional<std::string> trace, Write write) {
  Status status{state, std::move(trace), config_.worker_id, generation_};
  if (state == "RUNNING") status.sync_writer = worker_.SyncWriterId(id);
  if (auto r = write == Write::kSafe ? statuses_.PutTaskSafe(id, status) : statuses_.PutTask(id, status); !r.ok()) {
    LOG(WARNING) << "status of task " << id.ToString() << " not written: " << r.error().message();
  }
}

// --- Deciding what runs (herder thread) ---------------------------------------------------------

void ConnectHerder::Reconcile(const std::string& name) {
  ReconcileOwned(name);
  RebalanceIfWorkChanged();
}

void ConnectHerder::ReconcileOwned(const std::string& name) {
  FinishUnwantedTaskStarts(name);
  const ClusterConfigState snapshot = configs_.Snapshot();
  auto found = snapshot.connectors.find(name);
  if (found == snapshot.connectors.end()) {  // deleted
    if (running_.count(name)) {
      StopTasks(name, 0);
      StopInstance(name);
      // A start in flight still uses the entry's context; when it ends, it reconciles (stops) again.
      if (!connector_starts_.count(name)) running_.erase(name);
    }
    for (const auto& [id, status] : statuses_.GetTasks(name)) reported_failed_.erase({name, id});
    if (auto r = statuses_.DeleteConnector(name); !r.ok()) LOG(WARNING) << r.error().message();
    reconfigure_.erase(name);
    return;
  }
  ConnectorConfigState state = found->second;
  Running& run = running_[name];

  if (state.target_state == TargetState::kStopped) {
    StopTasks(name, 0);
    if (run.started) StopInstance(name);
    run.started = false;
    if (!Owns(name)) return;
    for (const auto& [id, status] : statuses_.GetTasks(name)) {
      if (auto r = statuses_.DeleteTask({name, id}); !r.ok()) LOG(WARNING) << r.error().message();
    }
    PutConnectorStatus(name, "STOPPED");
    return;
  }

  // Tasks this worker runs but no longer owns (revoked in a rebalance) stop without a status: the
  // worker that takes them over writes theirs.
  for (auto it = run.tasks.begin(); it != run.tasks.end();) {
    if (Owns(ConnectorTaskId{name, it->first})) {
      ++it;
      continue;
    }
    worker_.StopTask({name, it->first});
    reported_failed_.erase({name, it->first});
    it = run.tasks.erase(it);
  }
  if (!Owns(name)) {
    if (run.started) StopInstance(name);
    run.started = false;
    reconfigure_.erase(name);
  }

  // As Connect, a paused connector is not asked for task configs (one created PAUSED has no tasks
  // until it is resumed); a pending reconfiguration waits for the resume.
  bool regenerate = Owns(name) && state.target_state != TargetState::kPaused &&
                    (reconfigure_.erase(name) > 0 || state.inconsistent);
  if (Owns(name) && (!run.started || run.config != state.config)) {
    // Started on its own thread; when that ends, OnConnectorStarted reconciles again with whatever
    // the config says by then, and the tasks follow.
    if (connector_starts_.count(name)) return;
    if (run.started) StopInstance(name);
    run.started = false;
    run.config = state.config;
    if (!run.context) run.context = std::make_shared<Context>(*this, name);
    BeginConnectorStart(name, state.config, *run.context);
    return;
  }
  if (Owns(name)) PutConnectorStatus(name, state.target_state == TargetState::kPaused ? "PAUSED" : "RUNNING");

  // New task configs go to the config topic, written by the leader alone (WriteTaskConfigs).
  if (regenerate) {
    auto generated = worker_.TaskConfigs(name, MaxTasks(state.config));
    if (!generated.ok()) {
      PutConnectorStatus(name, "FAILED", generated.error().ToString());
      return;
    }
    if (*generated != state.task_configs || state.inconsistent) {
      if (auto r = WriteTaskConfigs(name, *generated); !r.ok()) {
        if (group_) {
          // The leader may be moving (a rebalance) or not have a session key yet: try again soon,
          // as Connect does; the tasks keep running with the configs they have.
          LOG(WARNING) << "task configs of " << name << " not written (retrying): " << r.error().message();
          task_config_retry_[name] = std::chrono::steady_clock::now() + kTaskConfigRetry;
        } else {
          LOG(ERROR) << "task configs of " << name << " not written: " << r.error().message();
          PutConnectorStatus(name, "FAILED", r.error().ToString());
          return;
        }
      }
      const ClusterConfigState updated = configs_.Snapshot();
      auto it = updated.connectors.find(name);
      if (it == updated.connectors.end()) return;  // deleted meanwhile
      state = it->second;
    }
  }

  const int32_t task_count = static_cast<int32_t>(state.task_configs.size());
  StopTasks(name, task_count);  // tasks beyond the new count
  for (int32_t i = 0; i < task_count; ++i) {
    const ConnectorTaskId id{name, i};
    if (!Owns(id)) continue;
    const Properties& task_config = state.task_configs[static_cast<size_t>(i)];
    if (state.target_state == TargetState::kPaused) {
      if (run.tasks.count(i)) {
        worker_.StopTask(id);
        run.tasks.erase(i);
      }
      PutTaskStatus(id, "PAUSED");
      continue;
    }
    if (task_starts_.count(id)) continue;  // starting with this config (FinishUnwantedTaskStarts)
    auto it = run.tasks.find(i);
    if (it != run.tasks.end() && it->second == task_config) continue;  // running as it should
    RestartTaskNow(id, task_config);
  }
}

void ConnectHerder::BeginConnectorStart(const std::string& name, const Properties& config, Context& context) {
  const uint64_t id = ++next_connector_start_;
  ConnectorStart& start = connector_starts_[name];
  start.id = id;
  start.thread = std::thread([this, name, config, &context, id] {
    Result<> started = worker_.StartConnector(name, config, context);
    Enqueue("finishing the start of connector " + name,
            [this, name, id, started] { OnConnectorStarted(name, id, started); });
  });
}

void ConnectHerder::OnConnectorStarted(const std::string& name, uint64_t id, const Result<>& started) {
  auto start = connector_starts_.find(name);
  if (start == connector_starts_.end() || start->second.id != id) return;  // joined at shutdown
  start->second.thread.join();  // it has only its last instructions left
  connector_starts_.erase(start);
  if (!started.ok()) {
    LOG(ERROR) << "connector " << name << " failed to start: " << started.error().message();
    if (Owns(name)) PutConnectorStatus(name, "FAILED", started.error().ToString());
    return;
  }
  running_[name].started = true;
  reconfigure_.insert(name);  // new task configs, as after every start
  Reconcile(name);            // stops it again if it was deleted, stopped or moved meanwhile
}

void ConnectHerder::JoinConnectorStarts() {
  for (auto& [name, start] : connector_starts_) {
    if (start.thread.joinable()) start.thread.join();
  }
  connector_starts_.clear();  // their completions, still queued, find nothing and do nothing
}

void ConnectHerder::StopTasks(const std::string& name, int32_t from_id) {
  auto run = running_.find(name);
  if (run == running_.end()) return;
  for (auto it = run->second.tasks.lower_bound(from_id); it != run->second.tasks.end();) {
    const ConnectorTaskId id{name, it->first};
    worker_.StopTask(id);
    reported_failed_.erase(id);
    if (auto r = statuses_.DeleteTask(id); !r.ok()) LOG(WARNING) << r.error().message();
    it = run->second.tasks.erase(it);
  }
}

void ConnectHerder::RestartTaskNow(const ConnectorTaskId& id, const Properties& config) {
  if (auto start = task_starts_.find(id); start != task_starts_.end()) {
    start->second.restart = true;  // OnTaskStarted restarts it once this start has ended
    return;
  }
  Running& run = running_[id.connector];
  if (run.tasks.count(id.task)) worker_.StopTask(id);
  run.tasks.erase(id.task);
  reported_failed_.erase(id);
  BeginTaskStart(id, config);
}

void ConnectHerder::BeginTaskStart(const ConnectorTaskId& id, const Properties& config) {
  TaskStart& start = task_starts_[id];
  start.id = ++next_task_start_;
  start.config = config;
  start.thread = std::thread([this, id, config, start_id = start.id] {
    Result<> started = worker_.StartTask(id, config);
    Enqueue("finishing the start of task " + id.ToString(),
            [this, id, start_id, started] { OnTaskStarted(id, start_id, started); });
  });
}

void ConnectHerder::FinishUnwantedTaskStarts(const std::string& name) {
  const ClusterConfigState snapshot = configs_.Snapshot();
  auto found = snapshot.connectors.find(name);
  std::vector<ConnectorTaskId> unwanted;
  for (const auto& [id, start] : task_starts_) {
    if (id.connector != name) continue;
    const bool wanted = found != snapshot.connectors.end() && found->second.target_state == TargetState::kStarted &&
                        Owns(id) && id.task < static_cast<int32_t>(found->second.task_configs.size()) &&
                        found->second.task_configs[static_cast<size_t>(id.task)] == start.config;
    if (!wanted) unwanted.push_back(id);
  }
  for (const ConnectorTaskId& id : unwanted) FinishTaskStart(id);
}

void ConnectHerder::FinishTaskStart(const ConnectorTaskId& id) {
  auto start = task_starts_.find(id);
  if (start == task_starts_.end()) return;
  start->second.thread.join();  // bounded: the offsets read and the task's own Start
  const Properties config = std::move(start->second.config);
  task_starts_.erase(start);  // its queued completion finds nothing and does nothing
  // Started or not, the caller stops it (or leaves it stopped) without a status of its own.
  if (worker_.Tasks().count(id)) running_[id.connector].tasks[id.task] = config;
}

void ConnectHerder::JoinTaskStarts() {
  for (auto& [id, start] : task_starts_) {
    if (start.thread.joinable()) start.thread.join();
  }
  task_starts_.clear();  // what they started is in the Worker, and is stopped with the rest
}

void ConnectHerder::OnTaskStarted(const ConnectorTaskId& id, uint64_t start_id, const Result<>& started) {
  auto start = task_starts_.find(id);
  if (start == task_starts_.end() || start->second.id != start_id) return;  // finished already
  start->second.thread.join();  // it has only its last instructions left
  const Properties config = std::move(start->second.config);
  const bool restart = start->second.restart;
  task_starts_.erase(start);
  Running& run = running_[id.connector];
  if (!started.ok()) {
    LOG(ERROR) << "task " << id.ToString() << " failed to start: " << started.error().message();
    reported_failed_.insert(id);
    PutTaskStatus(id, "FAILED", started.error().ToString());
    if (restart) RestartTaskNow(id, config);
    return;
  }
  run.tasks[id.task] = config;
  if (restart) {
    RestartTaskNow(id, config);
    return;
  }
  PutTaskStatus(id, "RUNNING");
  if (config_.topic_tracking) {
    const std::set<std::string> known = statuses_.Topics(id.connector);
    for (const std::string& topic : worker_.ActiveTopics(id)) {
      if (known.count(topic)) continue;
      if (auto r = statuses_.PutTopic(id.connector, topic, id.task, NowMs()); !r.ok()) {
        LOG(WARNING) << r.error().message();
      }
    }
  }
}

void ConnectHerder::StopInstance(const std::string& name) {
  auto run = running_.find(name);
  worker_.StopConnector(name, run == running_.end() ? nullptr : run->second.context);
}

void ConnectHerder::RestartInstance(const std::string& name) {
  auto run = running_.find(name);
  if (run != running_.end() && run->second.started) {
    StopInstance(name);
    run->second.started = false;
  }
  Reconcile(name);
}

void ConnectHerder::CheckFailures() {
  for (const ConnectorTaskId& id : worker_.Tasks()) {
    if (reported_failed_.count(id) || task_starts_.count(id)) continue;  // OnTaskStarted reports first
    if (auto failure = worker_.TaskFailure(id)) {
      // As in Connect, a failed task stays failed until it is restarted.
      reported_failed_.insert(id);
      PutTaskStatus(id, "FAILED", failure->ToString());
    }
  }
}

// --- Reading state ----------------------------------------------------------------------------

Result<ConnectorConfigState> ConnectHerder::Existing(const std::string& name) const {
  const ClusterConfigState snapshot = configs_.Snapshot();
  auto it = snapshot.connectors.find(name);
  if (it == snapshot.connectors.end()) return ConnectorNotFound(name);
  return it->second;
}

ConnectorInfo ConnectHerder::InfoOf(const std::string& name, const ConnectorConfigState& state) const {
  ConnectorInfo info{name, state.config, {}, "source"};
  for (int32_t i = 0; i < static_cast<int32_t>(state.task_configs.size()); ++i) info.tasks.push_back({name, i});
  return info;
}

ConnectorStateInfo ConnectHerder::StateOf(const std::string& name, const ConnectorConfigState& state) const {
  ConnectorStateInfo info;
  info.name = name;
  info.type = "source";
  if (auto status = statuses_.GetConnector(name)) {
    info.connector = {status->state, status->worker_id, status->trace};
  } else {
    info.connector = {"UNASSIGNED", config_.worker_id, std::nullopt};
  }
  const auto tasks = statuses_.GetTasks(name);
  for (int32_t i = 0; i < static_cast<int32_t>(state.task_configs.size()); ++i) {
    auto it = tasks.find(i);
    TaskStateInfo t{i, {"UNASSIGNED", config_.worker_id, std::nullopt}};
    if (it != tasks.end()) t.state = {it->second.state, it->second.worker_id, it->second.trace};
    info.tasks.push_back(std::move(t));
  }
  return info;
}

void ConnectHerder::CollectMetrics(metrics::Exposition& out) {
  using metrics::JmxName;
  using metrics::MBean;
  using metrics::Type;
  if (!ready_) return;  // the stores are not read yet
  const int64_t now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  worker_.CollectMetrics(out, now_ms);
  auto lower = [](std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  // What runs on this worker, as the status topic says (the statuses this worker wrote last).
  int64_t connector_count = 0;
  int64_t task_count = 0;
  for (const auto& [name, state] : configs_.Snapshot().connectors) {
    bool here = false;
    if (auto status = statuses_.GetConnector(name); status && status->worker_id == config_.worker_id) {
      here = true;
      ++connector_count;
      out.Add(JmxName(MBean::kConnector, "status"), "The status of the connector (value 1, state in the label).",
              Type::kGauge, {{"connector", name}, {"status", lower(status->state)}}, 1);
    }
    std::map<std::string, int64_t> by_state = {{"running", 0}, {"paused", 0}, {"failed", 0},
                                               {"unassigned", 0}, {"destroyed", 0}, {"restarting", 0}};
    int64_t total = 0;
    for (const auto& [task, status] : statuses_.GetTasks(name)) {
      if (status.worker_id != config_.worker_id) continue;
      here = true;
      ++total;
      ++by_state[lower(status.state)];
      out.Add(JmxName(MBean::kConnectorTask, "status"), "The status of the connector task (value 1, state in the label).",
              Type::kGauge, {{"connector", name}, {"task", std::to_string(task)}, {"status", lower(status.state)}}, 1);
    }
    task_count += total;
    if (!here) continue;
    const metrics::Labels connector = {{"connector", name}};
    out.Add(JmxName(MBean::kConnectWorker, "connector-total-task-count"),
            "The number of tasks of the connector on the worker.", Type::kGauge, connector, static_cast<double>(total));
    for (const auto& [s, count] : by_state) {
      if (s != "running" && s != "paused" && s != "failed" && s != "unassigned" && s != "destroyed" &&
          s != "restarting") {
        continue;  // a state Connect has no count for (STOPPED connectors have no tasks)
      }
      out.Add(JmxName(MBean::kConnectWorker, "connector-" + s + "-task-count"),
              "The number of " + s + " tasks of the connector on the worker.", Type::kGauge, connector,
              static_cast<double>(count));
    }
  }
  out.Add(JmxName(MBean::kConnectWorker, "connector-count"), "The number of connectors run in this worker.",
          Type::kGauge, {}, static_cast<double>(connector_count));
  out.Add(JmxName(MBean::kConnectWorker, "task-count"), "The number of tasks run in this worker.", Type::kGauge, {},
          static_cast<double>(task_count));
  if (group_) {
    out.Add(JmxName(MBean::kConnectWorkerRebalance, "completed-rebalances-total"),
            "The total number of rebalances completed by this worker.", Type::kGauge, {},
            static_cast<double>(completed_rebalances_.load()));
    out.Add(JmxName(MBean::kConnectWorkerRebalance, "epoch"), "The epoch or generation number of this worker.",
            Type::kGauge, {}, static_cast<double>(rebalance_epoch_.load()));
    const int64_t last = last_rebalance_ms_.load();
    out.Add(JmxName(MBean::kConnectWorkerRebalance, "time-since-last-rebalance-ms"),
            "The time in milliseconds since this worker completed the most recent rebalance.", Type::kGauge, {},
            last < 0 ? std::numeric_limits<double>::infinity() : static_cast<double>(now_ms - last));
    out.Add(JmxName(MBean::kConnectWorkerRebalance, "rebalancing"), "Whether this worker is currently rebalancing.",
            Type::kGauge, {}, rebalance_started_ms_.load() >= 0 ? 1.0 : 0.0);
    metrics::SampledStat::Measure time;
    {
      std::lock_guard lock(rebalance_mu_);
      time = rebalance_time_ms_.At(now_ms);
    }
    out.Add(JmxName(MBean::kConnectWorkerRebalance, "rebalance-avg-time-ms"),
            "The average time in milliseconds spent by this worker to rebalance.", Type::kGauge, {}, time.avg);
    out.Add(JmxName(MBean::kConnectWorkerRebalance, "rebalance-max-time-ms"),
            "The maximum time in milliseconds spent by this worker to rebalance.", Type::kGauge, {}, time.max);
  }
}

ServerInfo ConnectHerder::Info() { return {connectors::kFerryVersion, config_.commit, config_.kafka_cluster_id}; }

Result<std::vector<std::string>> ConnectHerder::Connectors() {
  std::vector<std::string> names;
  for (const auto& [name, state] : configs_.Snapshot().connectors) names.push_back(name);
  return names;
}

Result<ConnectorInfo> ConnectHerder::GetConnector(const std::string& name) {
  auto state = Existing(name);
  if (!state.ok()) return state.error();
  return InfoOf(name, *state);
}

Result<Properties> ConnectHerder::GetConnectorConfig(const std::string& name) {
  auto state = Existing(name);
  if (!state.ok()) return state.error();
  return state->config;
}

Result<ConnectorStateInfo> ConnectHerder::GetConnectorStatus(const std::string& name) {
  auto state = Existing(name);
  if (!state.ok()) return Error::NotFound("No status found for connector " + name);
  return StateOf(name, *state);
}

Result<std::vector<TaskInfo>> ConnectHerder::GetTaskConfigs(const std::string& name) {
  auto state = Existing(name);
  if (!state.ok()) return state.error();
  std::vector<TaskInfo> tasks;
  for (int32_t i = 0; i < static_cast<int32_t>(state->task_configs.size()); ++i) {
    tasks.push_back({{name, i}, state->task_configs[static_cast<size_t>(i)]});
  }
  return tasks;
}

Result<TaskStateInfo> ConnectHerder::GetTaskStatus(const ConnectorTaskId& id) {
  auto state = Existing(id.connector);
  const auto status = statuses_.GetTask(id);
  if (!state.ok() || id.task < 0 || id.task >= static_cast<int32_t>(state->task_configs.size()) || !status) {
    return Error::NotFound("No status found for task " + id.ToString());
  }
  return TaskStateInfo{id.task, {status->state, status->worker_id, status->trace, status->sync_writer}};
}

// --- Changing state ---------------------------------------------------------------------------

Result<connectors::ConfigInfos> ConnectHerder::Validate(const Properties& config) const {
  auto cls = config.find("connector.class");
  if (cls == config.end() || cls->second.empty()) {
    std::string shown;
    for (const auto& [k, v] : config) shown += (shown.empty() ? "" : ", ") + k + "=" + connectors::ShownValue(k, v);
    return Error::BadRequest("Connector config {" + shown + "} contains no connector type");
  }
  const connectors::PluginDesc* plugin = connectors::Registry::Builtin().Find(cls->second);
  if (plugin == nullptr) {
    std::string available;
    for (const auto& p : connectors::Registry::Builtin().plugins()) {
      available += (available.empty() ? "" : ", ") + p.class_name;
    }
    // Connect answers this with 500 (a ConnectException), not 400.
    return Error::Internal("Failed to find any class that implements Connector and which name matches " +
                           cls->second + ", available connectors are: " + available);
  }
  auto connector = plugin->create();
  const connectors::ConfigDef def = connectors::ConnectorConfigDef(connector->Definition(), false);
  // Validated as the connector will run (references resolved), answered with what was written.
  static const ConfigProviders kNone;
  const ConfigProviders& providers = config_.config_providers ? *config_.config_providers : kNone;
  std::vector<ConfigProviders::Provided> provided;
  ConfigProviders::Resolution resolution = providers.ResolveEach(config, &provided);
  std::map<std::string, std::vector<std::string>> extra = connector->ValidateAcrossKeys(resolution.resolved);
  for (const auto& [key, why] : resolution.errors) extra[key].push_back(why);
  connectors::ConfigInfos infos =
      connectors::BuildConfigInfos(plugin->class_name, def, resolution.resolved, extra);
  for (connectors::ConfigInfo& info : infos.configs) {
    if (!info.value) continue;
    auto raw = config.find(info.value->name);
    const bool password = info.definition && info.definition->type == connectors::ConfigType::kPassword;
    if (raw != config.end() && !password && HasConfigReferences(raw->second)) info.value->value = raw->second;
    for (std::string& error : info.value->errors) error = HideProvidedValues(error, provided);
  }
  return infos;
}

Result<Properties> ConnectHerder::ResolveConfig(const Properties& config) const {
  if (!config_.config_providers) return ConfigProviders().Resolve(config);
  return config_.config_providers->Resolve(config);
}

Result<CreatedConnector> ConnectHerder::PutConnectorConfig(const std::string& name, const Properties& config,
                                                           std::optional<TargetState> initial_state,
                                                           bool allow_replace) {
  FERRY_RETURN_IF_ERROR(RequireLeader());
  return Call<CreatedConnector>("writing the config of connector " + name, [=, this]() -> Result<CreatedConnector> {
    FERRY_RETURN_IF_ERROR(RequireNoPendingRebalance());
    auto infos = Validate(config);
    if (!infos.ok()) return infos.error();
    if (infos->error_count > 0) {
      std::string message = "Connector configuration is invalid and contains the following " +
                            std::to_string(infos->error_count) + " error(s):";
      for (const auto& c : infos->configs) {
        if (!c.value) continue;
        for (const std::string& e : c.value->errors) message += "\n" + e;
      }
      message += "\nYou can also find the above list of errors at the endpoint "
                 "`/connector-plugins/{connectorType}/config/validate`";
      return Error::BadRequest(message);
    }
    auto before = Existing(name);
    const bool exists = before.ok();
    if (exists && !allow_replace) return Error::Conflict("Connector " + name + " already exists");
    FERRY_RETURN_IF_ERROR(configs_.PutConnectorConfig(name, config, exists ? std::nullopt : initial_state));
    Reconcile(name);  // the config event will find nothing left to do
    // As Connect answers: the new config with the tasks the connector had before the write.
    ConnectorInfo info{name, config, {}, "source"};
    if (exists) info.tasks = InfoOf(name, *before).tasks;
    return CreatedConnector{std::move(info), !exists};
  });
}

Result<ConnectorInfo> ConnectHerder::PatchConnectorConfig(
    const std::string& name, const std::map<std::string, std::optional<std::string>>& patch) {
  FERRY_RETURN_IF_ERROR(RequireLeader());
  auto state = Existing(name);
  if (!state.ok()) return state.error();
  Properties config = state->config;
  for (const auto& [key, value] : patch) {
    if (value) {
      config[key] = *value;
    } else {
      config.erase(key);
    }
  }
  if (config.count("name") && config["name"] != name) {
    return Error::BadRequest("Connector name configuration (" + config["name"] + ") doesn't match connector name in the URL (" + name + ")");
  }
  config["name"] = name;
  auto put = PutConnectorConfig(name, config, std::nullopt, true);
  if (!put.ok()) return put.error();
  return put->info;
}

Result<> ConnectHerder::RestartTask(const ConnectorTaskId& id) {
  return CallVoid("restarting task " + id.ToString(), [=, this]() -> Result<> {
    FERRY_RETURN_IF_ERROR(RequireNoPendingRebalance());
    auto state = Existing(id.connector);
    if (!state.ok()) return Error::NotFound("Unknown connector: " + id.connector);
    if (id.task < 0 || id.task >= static_cast<int32_t>(state->task_configs.size())) {
      return Error::NotFound("Unknown task: " + id.ToString());
    }
    if (!Owns(id)) {
      // As Connect: the leader sends the request on to the task's worker, anyone else to the leader.
      if (group_ && group_->current().is_leader) {
        return Error(ErrorCode::kNotAssigned, "Cannot restart task since it is not assigned to this member");
      }
      return Error(ErrorCode::kNotLeader, "Cannot restart task since it is not assigned to this member");
    }
    if (state->target_state == TargetState::kStarted) {
      RestartTaskNow(id, state->task_configs[static_cast<size_t>(id.task)]);
    }
    return Ok();
  });
}

std::optional<std::string> ConnectHerder::TaskOwnerUrl(const ConnectorTaskId& id) {
  // The status topic names the worker that last started the task (its advertised host:port).
  const auto status = statuses_.GetTask(id);
  if (!status || status->worker_id.empty() || status->worker_id == config_.worker_id) return std::nullopt;
  // The request's own path carries any namespace; the workers of a cluster share a scheme.
  return config_.rest_scheme + "://" + status->worker_id + "/";
}

Result<> ConnectHerder::PutTaskConfigs(const std::string& name, const std::string& body,
                                       const RequestSignature& signature) {
  if (!group_) {
    return Error(ErrorCode::kUnsupported,
                 "A worker that is not a member of a cluster does not support externally setting task configurations.");
  }
  if (Sessioned()) {
    FERRY_RETURN_IF_ERROR(
        VerifyRequest(configs_.Snapshot().session_key, signature, body, config_.inter_worker_verification_algorithms));
  }
  auto task_configs = ParseTaskConfigsJson(body);
  if (!task_configs.ok()) return task_configs.error();
  FERRY_RETURN_IF_ERROR(RequireLeader());
  return CallVoid("writing the task configs of connector " + name, [=, this]() -> Result<> {
    auto state = Existing(name);
    if (!state.ok()) return state.error();
    if (*task_configs == state->task_configs && !state->inconsistent) return Ok();
    return configs_.PutTaskConfigs(name, *task_configs);
  });
}

Result<std::optional<ConnectorStateInfo>> ConnectHerder::RestartConnector(const std::string& name, bool include_tasks,
                                                                          bool only_failed) {
  FERRY_RETURN_IF_ERROR(RequireLeader());  // cluster mode: the leader writes the restart record
  return Call<std::optional<ConnectorStateInfo>>(
      "restarting connector " + name, [=, this]() -> Result<std::optional<ConnectorStateInfo>> {
        FERRY_RETURN_IF_ERROR(RequireNoPendingRebalance());
        auto state = Existing(name);
        if (!state.ok()) return Error::NotFound("Unknown connector: " + name);
        if (group_) {
          // As Connect's leader: a restart-connector record, acted on by each worker for the
          // instances it runs (RestartOwned); the answer shows the plan.
          FERRY_RETURN_IF_ERROR(configs_.PutRestartRequest({name, include_tasks, only_failed}));
          if (!include_tasks && !only_failed) return std::optional<ConnectorStateInfo>();
          return std::optional<ConnectorStateInfo>(RestartPlan(name, *state, include_tasks, only_failed).state);
        }
        if (!include_tasks && !only_failed) {
          RestartInstance(name);
          return std::optional<ConnectorStateInfo>();
        }
        const RestartPlanned plan = RestartPlan(name, *state, include_tasks, only_failed);
        Restart(name, *state, plan);
        return std::optional<ConnectorStateInfo>(plan.state);
      });
}

ConnectHerder::RestartPlanned ConnectHerder::RestartPlan(const std::string& name, const ConnectorConfigState& state,
                                                         bool include_tasks, bool only_failed) const {
  // Connect's restart plan: which instances restart, shown as RESTARTING in the answer.
  RestartPlanned plan;
  plan.state = StateOf(name, state);
  plan.connector = !only_failed || plan.state.connector.state == "FAILED";
  if (include_tasks) {
    for (const TaskStateInfo& t : plan.state.tasks) {
      if (!only_failed || t.state.state == "FAILED") plan.tasks.push_back(t.id);
    }
  }
  if (plan.connector) plan.state.connector.state = "RESTARTING";
  for (TaskStateInfo& t : plan.state.tasks) {
    if (std::find(plan.tasks.begin(), plan.tasks.end(), t.id) != plan.tasks.end()) {
      t.state.state = "RESTARTING";
      t.state.trace.reset();
    }
  }
  return plan;
}

void ConnectHerder::Restart(const std::string& name, const ConnectorConfigState& state, const RestartPlanned& plan) {
  if (plan.connector && Owns(name)) {
    PutConnectorStatus(name, "RESTARTING");
    RestartInstance(name);
  }
  for (int32_t id : plan.tasks) {
    if (!Owns(ConnectorTaskId{name, id})) continue;
    PutTaskStatus({name, id}, "RESTARTING");
    if (state.target_state == TargetState::kStarted) {
      RestartTaskNow({name, id}, state.task_configs[static_cast<size_t>(id)]);
    }
  }
}

void ConnectHerder::RestartOwned(const RestartRequest& request) {
  auto state = Existing(request.connector);
  if (!state.ok()) return;  // deleted since
  const RestartPlanned plan = RestartPlan(request.connector, *state, request.include_tasks, request.only_failed);
  // A plain restart (no flags) restarts the connector instance only.
  Restart(request.connector, *state, plan);
}

Result<> ConnectHerder::PauseConnector(const std::string& name) { return SetTargetState(name, TargetState::kPaused); }

Result<> ConnectHerder::ResumeConnector(const std::string& name) { return SetTargetState(name, TargetState::kStarted); }

Result<> ConnectHerder::SetTargetState(const std::string& name, TargetState state) {
  const char* what = state == TargetState::kPaused ? "pausing connector " : "resuming connector ";
  return CallVoid(what + name, [=, this]() -> Result<> {
    if (auto existing = Existing(name); !existing.ok()) return Error::NotFound("Unknown connector " + name);
    FERRY_RETURN_IF_ERROR(configs_.PutTargetState(name, state));
    Reconcile(name);
    return Ok();
  });
}

Result<> ConnectHerder::StopConnector(const std::string& name) {
  FERRY_RETURN_IF_ERROR(RequireLeader());
  return CallVoid("stopping connector " + name, [=, this]() -> Result<> {
    if (auto state = Existing(name); !state.ok()) return Error::NotFound("Unknown connector " + name);
    // As Connect: an empty task set first, then the STOPPED target state.
    FERRY_RETURN_IF_ERROR(configs_.PutTaskConfigs(name, {}));
    FERRY_RETURN_IF_ERROR(configs_.PutTargetState(name, TargetState::kStopped));
    Reconcile(name);
    return Ok();
  });
}

Result<> ConnectHerder::DeleteConnector(const std::string& name) {
  FERRY_RETURN_IF_ERROR(RequireLeader());
  return CallVoid("deleting connector " + name, [=, this]() -> Result<> {
    FERRY_RETURN_IF_ERROR(RequireNoPendingRebalance());
    if (auto state = Existing(name); !state.ok()) return state.error();
    FERRY_RETURN_IF_ERROR(configs_.RemoveConnectorConfig(name));
    Reconcile(name);
    return Ok();
  });
}

Result<std::vector<std::string>> ConnectHerder::GetActiveTopics(const std::string& name) {
  if (!config_.topic_tracking) return Error(ErrorCode::kForbidden, "Topic tracking is disabled.");
  const std::set<std::string> topics = statuses_.Topics(name);
  return std::vector<std::string>(topics.begin(), topics.end());
}

Result<> ConnectHerder::ResetActiveTopics(const std::string& name) {
  if (!config_.topic_tracking) return Error(ErrorCode::kForbidden, "Topic tracking is disabled.");
  if (!config_.topic_tracking_allow_reset) return Error(ErrorCode::kForbidden, "Topic tracking reset is disabled.");
  if (auto state = Existing(name); !state.ok()) return state.error();
  for (const std::string& topic : statuses_.Topics(name)) FERRY_RETURN_IF_ERROR(statuses_.DeleteTopic(name, topic));
  return statuses_.Flush(config_.store_timeout);
}

Result<std::vector<ConnectorOffset>> ConnectHerder::GetOffsets(const std::string& name) {
  if (auto state = Existing(name); !state.ok()) return state.error();
  // As Connect: the offsets topic read to its end first, so an alteration just answered is seen.
  FERRY_RETURN_IF_ERROR(offsets_.Refresh(config_.store_timeout));
  std::vector<ConnectorOffset> out;
  for (const auto& [partition, offset] : offsets_.Offsets(name)) out.push_back({partition, offset});
  return out;
}

Result<std::string> ConnectHerder::AlterOffsets(const std::string& name, const std::vector<ConnectorOffset>& offsets) {
  FERRY_RETURN_IF_ERROR(RequireLeader());
  return Call<std::string>("altering the offsets of connector " + name, [=, this]() -> Result<std::string> {
    auto state = Existing(name);
    if (!state.ok()) return state.error();
    if (state->target_state != TargetState::kStopped || !state->task_configs.empty()) {
      return Error::BadRequest("Connectors must be in the STOPPED state before their offsets can be modified. "
                               "This can be done for the specified connector by issuing a 'PUT' request to the "
                               "'/connectors/" + name + "/stop' endpoint");
    }
    if (offsets.empty()) return Error::BadRequest("Partitions / offsets need to be provided for an alter offsets request");
    std::vector<std::pair<std::string, std::optional<std::string>>> normalized;
    for (const ConnectorOffset& o : offsets) {
      auto n = connectors::NormalizeOffset(state->config.at("connector.class"), o.partition_json, o.offset_json);
      if (!n.ok()) return n.error();
      normalized.emplace_back(n->partition_json, n->offset_json);
    }
    FERRY_RETURN_IF_ERROR(offsets_.Put(name, normalized, config_.store_timeout));
    return std::string("The offsets for this connector have been altered successfully");
  });
}

Result<std::string> ConnectHerder::ResetOffsets(const std::string& name) {
  FERRY_RETURN_IF_ERROR(RequireLeader());
  return Call<std::string>("resetting the offsets of connector " + name, [=, this]() -> Result<std::string> {
    auto state = Existing(name);
    if (!state.ok()) return state.error();
    if (state->target_state != TargetState::kStopped || !state->task_configs.empty()) {
      return Error::BadRequest("Connectors must be in the STOPPED state before their offsets can be modified. "
                               "This can be done for the specified connector by issuing a 'PUT' request to the "
                               "'/connectors/" + name + "/stop' endpoint");
    }
    std::vector<std::pair<std::string, std::optional<std::string>>> tombstones;
    for (const auto& [partition, offset] : offsets_.Offsets(name)) tombstones.emplace_back(partition, std::nullopt);
    if (!tombstones.empty()) FERRY_RETURN_IF_ERROR(offsets_.Put(name, tombstones, config_.store_timeout));
    return std::string("The offsets for this connector have been reset successfully");
  });
}

std::vector<PluginInfo> ConnectHerder::Plugins() {
  std::vector<PluginInfo> out;
  for (const auto& p : connectors::Registry::Builtin().plugins()) out.push_back({p.class_name, p.type, p.version});
  return out;
}

Result<std::vector<connectors::ConfigKey>> ConnectHerder::PluginConfig(const std::string& plugin) {
  const connectors::PluginDesc* desc = connectors::Registry::Builtin().Find(plugin);
  if (desc == nullptr) return Error::NotFound("Unknown plugin " + plugin + ".");
  return connectors::ConnectorConfigDef(desc->create()->Definition(), true).keys();
}

Result<connectors::ConfigInfos> ConnectHerder::ValidateConfig(const std::string& plugin, const Properties& config) {
  const connectors::PluginDesc* desc = connectors::Registry::Builtin().Find(plugin);
  auto cls = config.find("connector.class");
  if (cls != config.end()) {
    const connectors::PluginDesc* included = connectors::Registry::Builtin().Find(cls->second);
    if (desc == nullptr || included != desc) {
      return Error::BadRequest("Included connector type " + cls->second + " does not match request type " + plugin);
    }
  }
  return Validate(config);
}

}  // namespace ferry::worker
