#include "worker/worker.h"

#include <algorithm>

#include <glog/logging.h>

#include "connectors/registry.h"
#include "tasks/task_factory.h"
#include "worker/group/topic_ids.h"

namespace ferry::worker {

class Worker::Context : public tasks::TaskContext {
 public:
  Context(Worker& worker, std::string connector) : worker_(worker), connector_(std::move(connector)) {}
  std::optional<std::string> ReadOffset(const std::string& partition_json) override {
    return worker_.offsets_.Get(connector_, partition_json);
  }
  const Properties& WorkerProducerProps() override { return worker_.worker_producer_props_; }
  Result<std::map<std::string, std::string>> TopicIds(const Properties& client_props,
                                                      const std::vector<std::string>& topics,
                                                      std::chrono::milliseconds timeout) override {
    return group::LookupTopicIds(client_props, topics, timeout);
  }

 private:
  Worker& worker_;
  std::string connector_;
};

namespace {

// `error` with the values config providers gave put back as their references.
Error WithoutProvided(const Error& error, const std::vector<ConfigProviders::Provided>& provided) {
  if (provided.empty()) return error;
  return Error(error.code(), HideProvidedValues(error.message(), provided), error.retriable(), error.kafka_err());
}

}  // namespace

Worker::Worker(OffsetStore& offsets, Properties worker_producer_props, std::chrono::milliseconds offset_flush_interval,
               std::chrono::milliseconds offset_flush_timeout, std::shared_ptr<const ConfigProviders> providers)
    : offsets_(offsets),
      worker_producer_props_(std::move(worker_producer_props)),
      flush_interval_(offset_flush_interval),
      flush_timeout_(offset_flush_timeout),
      providers_(providers ? std::move(providers) : std::make_shared<const ConfigProviders>()) {
  committer_ = std::thread([this] { CommitLoop(); });
}

Worker::~Worker() {
  StopAll();
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (committer_.joinable()) committer_.join();
}

Result<> Worker::StartConnector(const std::string& name, const Properties& config,
                                connectors::ConnectorContext& context) {
  JoinStops(name, /*ended_only=*/false);
  auto cls = config.find("connector.class");
  if (cls == config.end()) return Error::BadRequest("connector " + name + " has no connector.class");
  const connectors::PluginDesc* plugin = connectors::Registry::Builtin().Find(cls->second);
  if (plugin == nullptr) return Error::NotFound("no connector class '" + cls->second + "' in Ferry");
  ConnectorConfig configs{config, {}, {}};
  Result<Properties> resolved = providers_->Resolve(config, &configs.provided);
  if (!resolved.ok()) return resolved.error();
  configs.resolved = std::move(*resolved);
  std::unique_ptr<connectors::Connector> connector = plugin->create();
  const Properties resolved_config = configs.resolved;
  const std::vector<ConfigProviders::Provided> provided = configs.provided;
  {
    std::lock_guard lock(mu_);  // before Start: the connector may raise an error while it starts
    connector_configs_[name] = std::move(configs);
  }
  if (Result<> started = connector->Start(resolved_config, context); !started.ok()) {
    std::lock_guard lock(mu_);
    connector_configs_.erase(name);
    return WithoutProvided(started.error(), provided);
  }
  std::lock_guard lock(mu_);
  CHECK(!connectors_.count(name)) << "connector " << name << " started twice";
  connectors_[name] = std::move(connector);
  return Ok();
}

void Worker::StopConnector(const std::string& name, std::shared_ptr<void> keep_alive) {
  std::unique_ptr<connectors::Connector> connector;
  {
    std::lock_guard lock(mu_);
    auto it = connectors_.find(name);
    if (it == connectors_.end()) return;
    connector = std::move(it->second);
    connectors_.erase(it);
    connector_configs_.erase(name);
  }
  JoinStops(std::nullopt, /*ended_only=*/true);  // threads of stops that ended are joined here
  auto done = std::make_shared<std::atomic<bool>>(false);
  std::thread thread([name, connector = std::move(connector), keep_alive = std::move(keep_alive), done]() mutable {
    connector->Stop();
    connector.reset();
    keep_alive.reset();
    VLOG(1) << "connector " << name << " stopped";
    done->store(true);
  });
  std::lock_guard lock(stops_mu_);
  stops_.push_back({name, std::move(thread), std::move(done)});
}

void Worker::JoinConnectorStops() { JoinStops(std::nullopt, /*ended_only=*/false); }

void Worker::JoinStops(const std::optional<std::string>& name, bool ended_only) {
  std::list<ConnectorStop> joining;
  {
    std::lock_guard lock(stops_mu_);
    for (auto it = stops_.begin(); it != stops_.end();) {
      const bool match = (!name || it->name == *name) && (!ended_only || it->done->load());
      auto next = std::next(it);
      if (match) joining.splice(joining.end(), stops_, it);
      it = next;
    }
  }
  for (ConnectorStop& stop : joining) stop.thread.join();
}

std::set<std::string> Worker::Connectors() const {
  std::lock_guard lock(mu_);
  std::set<std::string> names;
  for (const auto& [name, c] : connectors_) names.insert(name);
  return names;
}

Error Worker::ConnectorError(const std::string& name, const Error& error) const {
  std::lock_guard lock(mu_);
  auto it = connector_configs_.find(name);
  return it == connector_configs_.end() ? error : WithoutProvided(error, it->second.provided);
}

Result<std::vector<Properties>> Worker::TaskConfigs(const std::string& name, int max_tasks) {
  connectors::Connector* connector = nullptr;
  ConnectorConfig configs;
  {
    std::lock_guard lock(mu_);
    auto it = connectors_.find(name);
    if (it == connectors_.end()) return Error::NotFound("connector " + name + " is not running here");
    connector = it->second.get();  // only the herder thread stops connectors, so this stays valid
    configs = connector_configs_.at(name);
  }
  Result<std::vector<Properties>> generated = connector->TaskConfigs(max_tasks);
  if (!generated.ok()) return WithoutProvided(generated.error(), configs.provided);
  if (configs.provided.empty()) return generated;
  return UnresolveTaskConfigs(configs.raw, configs.resolved, configs.provided, std::move(*generated));
}

Result<> Worker::StartTask(const ConnectorTaskId& id, const Properties& config) {
  auto cls = config.find(connectors::kTaskClass);
  if (cls == config.end()) return Error::BadRequest("task " + id.ToString() + " has no task.class");
  auto task = tasks::CreateTask(cls->second);
  if (!task.ok()) return task.error();
  // Read the offsets topic to its end first, so the task sees every offset stored so far.
  FERRY_RETURN_IF_ERROR(offsets_.Refresh(flush_timeout_));
  auto running = std::make_unique<RunningTask>();
  Result<Properties> resolved = providers_->Resolve(config, &running->provided);
  if (!resolved.ok()) return resolved.error();
  running->context = std::make_unique<Context>(*this, id.connector);
  running->task = std::move(*task);
  if (Result<> started = running->task->Start(*resolved, *running->context); !started.ok()) {
    return WithoutProvided(started.error(), running->provided);
  }
  std::lock_guard lock(mu_);
  CHECK(!tasks_.count(id)) << "task " << id.ToString() << " started twice";
  tasks_[id] = std::move(running);
  return Ok();
}

void Worker::StopTask(const ConnectorTaskId& id) {
  std::unique_ptr<RunningTask> running;
  {
    std::lock_guard lock(mu_);
    auto it = tasks_.find(id);
    if (it == tasks_.end()) return;
    running = std::move(it->second);
    tasks_.erase(it);
  }
  running->task->Stop();
  Commit(id, *running);
}

std::set<ConnectorTaskId> Worker::Tasks() const {
  std::lock_guard lock(mu_);
  std::set<ConnectorTaskId> ids;
  for (const auto& [id, t] : tasks_) ids.insert(id);
  return ids;
}

std::optional<Error> Worker::TaskFailure(const ConnectorTaskId& id) const {
  std::lock_guard lock(mu_);
  auto it = tasks_.find(id);
  if (it == tasks_.end()) return std::nullopt;
  std::optional<Error> failure = it->second->task->failure();
  if (!failure) return std::nullopt;
  return WithoutProvided(*failure, it->second->provided);
}

std::string Worker::SyncWriterId(const ConnectorTaskId& id) const {
  std::lock_guard lock(mu_);
  auto it = tasks_.find(id);
  return it == tasks_.end() ? "" : it->second->task->SyncWriterId();
}

std::vector<std::string> Worker::ActiveTopics(const ConnectorTaskId& id) const {
  std::lock_guard lock(mu_);
  auto it = tasks_.find(id);
  return it == tasks_.end() ? std::vector<std::string>{} : it->second->task->ActiveTopics();
}

namespace {

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

void Worker::Commit(const ConnectorTaskId& id, RunningTask& running) {
  const auto started = std::chrono::steady_clock::now();
  auto record = [&](bool success) {
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    const int64_t now_ms = WallMs();
    (success ? running.commit_successes : running.commit_failures)++;
    running.commit_outcome.Record(success ? 1 : 0, now_ms);
    running.commit_time_ms.Record(ms, now_ms);
  };
  running.task->Commit();
  std::vector<tasks::SourceOffsetRecord> now = running.task->Offsets();
  std::vector<std::pair<std::string, std::optional<std::string>>> changed;
  for (const auto& record : now) {
    const bool same = std::find(running.committed.begin(), running.committed.end(), record) != running.committed.end();
    if (!same) changed.emplace_back(record.partition_json, record.offset_json);
  }
  if (changed.empty()) {
    record(true);  // as Connect: a commit with nothing new to store succeeded
    return;
  }
  if (auto r = offsets_.Put(id.connector, changed, flush_timeout_); !r.ok()) {
    // The positions stay in the task; the next commit tries again.
    LOG(WARNING) << "storing offsets of task " << id.ToString() << " failed, will retry: " << r.error().message();
    record(false);
    return;
  }
  running.committed = std::move(now);
  record(true);
}

void Worker::CollectMetrics(metrics::Exposition& out, int64_t now_ms) const {
  using metrics::MBean;
  using metrics::Type;
  std::lock_guard lock(mu_);
  for (const auto& [id, running] : tasks_) {
    const metrics::Labels labels = {{"connector", id.connector}, {"task", std::to_string(id.task)}};
    running->task->CollectMetrics(out, now_ms, labels);
    const metrics::SampledStat::Measure outcome = running->commit_outcome.At(now_ms);
    const metrics::SampledStat::Measure time = running->commit_time_ms.At(now_ms);
    const double success = outcome.count > 0 ? outcome.avg : 0;
    const double failure = outcome.count > 0 ? 1 - outcome.avg : 0;
    // Connect's help texts (ConnectMetricsRegistry); its "percentages" are fractions from 0 to 1.
    out.Add(metrics::JmxName(MBean::kConnectorTask, "offset-commit-success-percentage"),
            "The average percentage of this task's offset commit attempts that succeeded.", Type::kGauge, labels,
            success);
    out.Add(metrics::JmxName(MBean::kConnectorTask, "offset-commit-failure-percentage"),
            "The average percentage of this task's offset commit attempts that failed.", Type::kGauge, labels,
            failure);
    out.Add(metrics::JmxName(MBean::kConnectorTask, "offset-commit-avg-time-ms"),
            "The average time in milliseconds taken by this task to commit offsets.", Type::kGauge, labels, time.avg);
    out.Add(metrics::JmxName(MBean::kConnectorTask, "offset-commit-max-time-ms"),
            "The maximum time in milliseconds taken by this task to commit offsets.", Type::kGauge, labels, time.max);
    for (const auto& [result, count] : {std::pair{"success", running->commit_successes},
                                        std::pair{"failure", running->commit_failures}}) {
      metrics::Labels with_result = labels;
      with_result.emplace_back("result", result);
      out.Add("ferry_task_offset_commits_total",
              "Offset commits of this task since it started on this worker, by result.", Type::kCounter,
              std::move(with_result), static_cast<double>(count));
    }
  }
}

void Worker::CommitLoop() {
  std::unique_lock lock(mu_);
  while (!wake_.wait_for(lock, flush_interval_, [this] { return stopping_; })) {
    for (auto& [id, running] : tasks_) Commit(id, *running);
  }
}

void Worker::StopAll() {
  for (const ConnectorTaskId& id : Tasks()) StopTask(id);
  for (const std::string& name : Connectors()) StopConnector(name);
  JoinConnectorStops();
}

}  // namespace ferry::worker
