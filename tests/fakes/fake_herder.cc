#include "tests/fakes/fake_herder.h"

#include <algorithm>
#include <sstream>

namespace ferry::testing {
namespace {

using connectors::ConfigDef;
using connectors::ConfigKey;
using connectors::ConfigType;
using connectors::Importance;
using connectors::Width;

constexpr char kNotStopped[] =
    "Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the "
    "specified connector by issuing a 'PUT' request to the '/connectors/";

ConfigKey Key(std::string name, ConfigType type, std::optional<std::string> default_value, Importance importance,
              std::string doc, std::string group, int order, Width width, std::string display,
              connectors::Validator validator = {}) {
  ConfigKey key;
  key.name = std::move(name);
  key.type = type;
  key.default_value = std::move(default_value);
  key.importance = importance;
  key.documentation = std::move(doc);
  key.group = std::move(group);
  key.order_in_group = order;
  key.width = width;
  key.display_name = std::move(display);
  key.validator = std::move(validator);
  return key;
}

// The keys every source connector has (Connect's ConnectorConfig, a subset).
ConfigDef FrameworkDef() {
  ConfigDef def;
  def.Define(Key("name", ConfigType::kString, std::nullopt, Importance::kHigh,
                 "Globally unique name to use for this connector.", "Common", 1, Width::kMedium, "Connector name",
                 connectors::NonEmptyString()));
  def.Define(Key("connector.class", ConfigType::kString, std::nullopt, Importance::kHigh,
                 "Name or alias of the class for this connector.", "Common", 2, Width::kLong, "Connector class"));
  def.Define(Key("tasks.max", ConfigType::kInt, "1", Importance::kHigh,
                 "Maximum number of tasks to use for this connector.", "Common", 3, Width::kShort, "Tasks max",
                 connectors::AtLeast(1)));
  return def;
}

// MirrorConnectorConfig / MirrorSourceConfig keys, a subset.
ConfigDef MirrorDef(bool source) {
  ConfigDef def;
  def.Define(Key("source.cluster.alias", ConfigType::kString, std::nullopt, Importance::kHigh,
                 "Alias of source cluster", "", -1, Width::kNone, ""));
  def.Define(Key("target.cluster.alias", ConfigType::kString, "target", Importance::kHigh,
                 "Alias of target cluster. Used in metrics reporting.", "", -1, Width::kNone, ""));
  if (source) {
    def.Define(Key("topics", ConfigType::kList, ".*", Importance::kHigh,
                   "Topics to replicate. Supports comma-separated topic names and regexes.", "", -1, Width::kNone, "",
                   connectors::ValidRegexList()));
    def.Define(Key("sync.topic.configs.enabled", ConfigType::kBoolean, "true", Importance::kLow,
                   "Whether to periodically configure remote topics to match their corresponding upstream topics.", "",
                   -1, Width::kNone, ""));
    def.Define(Key("replication.factor", ConfigType::kInt, "-1", Importance::kLow,
                   "Replication factor for newly created remote topics. Set -1 to use the broker's default.", "", -1,
                   Width::kNone, "", connectors::AtLeast(-1)));
  }
  return def;
}

std::string Join(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i == 0 ? "" : sep) + items[i];
  return out;
}

std::string JavaMap(const Properties& config) {
  std::vector<std::string> parts;
  for (const auto& [k, v] : config) parts.push_back(k + "=" + v);
  return "{" + Join(parts, ", ") + "}";
}

worker::StateInfo State(const char* state) { return worker::StateInfo{state, FakeHerder::kWorkerId, std::nullopt}; }

}  // namespace

FakeHerder::FakeHerder() : framework_(FrameworkDef()) {
  plugins_.push_back(Plugin{kSourceConnector, "source", "org.apache.kafka.connect.mirror.MirrorSourceTask", 0,
                            MirrorDef(/*source=*/true)});
  plugins_.push_back(Plugin{kCheckpointConnector, "source", "org.apache.kafka.connect.mirror.MirrorCheckpointTask", 0,
                            MirrorDef(/*source=*/false)});
  plugins_.push_back(Plugin{kHeartbeatConnector, "source", "org.apache.kafka.connect.mirror.MirrorHeartbeatTask", 1,
                            MirrorDef(/*source=*/false)});
  plugins_.push_back(Plugin{kJsonConverter, "converter", "", 0, ConfigDef()});
}

void FakeHerder::Record(const std::string& call) const { calls_.push_back(call); }

std::vector<std::string> FakeHerder::Calls() const {
  std::lock_guard<std::mutex> lock(mu_);
  return calls_;
}

void FakeHerder::ClearCalls() {
  std::lock_guard<std::mutex> lock(mu_);
  calls_.clear();
}

std::string FakeHerder::StateForTest() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::ostringstream out;
  for (const auto& [name, c] : connectors_) {
    out << name << " target=" << TargetStateName(c.target) << " state=" << c.state.state
        << " config=" << JavaMap(c.config) << "\n";
    for (size_t i = 0; i < c.tasks.size(); ++i) {
      out << "  task " << i << " " << c.tasks[i].state.state << " " << JavaMap(c.tasks[i].config) << "\n";
    }
    for (const worker::ConnectorOffset& o : c.offsets) {
      out << "  offset " << o.partition_json << " -> " << o.offset_json.value_or("null") << "\n";
    }
  }
  return out.str();
}

void FakeHerder::FailTaskForTest(const ConnectorTaskId& id, const std::string& trace) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = connectors_.find(id.connector);
  if (it == connectors_.end() || id.task < 0 || static_cast<size_t>(id.task) >= it->second.tasks.size()) return;
  it->second.tasks[static_cast<size_t>(id.task)].state = worker::StateInfo{"FAILED", kWorkerId, trace};
}

void FakeHerder::SetActiveTopicsForTest(const std::string& name, std::vector<std::string> topics) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = connectors_.find(name);
  if (it != connectors_.end()) it->second.active_topics = std::move(topics);
}

void FakeHerder::FailAllForTest(std::optional<Error> error) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_all_ = std::move(error);
}

void FakeHerder::SetHealthForTest(std::optional<worker::WorkerHealth> health) {
  std::lock_guard<std::mutex> lock(mu_);
  health_ = std::move(health);
}

void FakeHerder::SetTopicTrackingForTest(bool enabled, bool allow_reset) {
  std::lock_guard<std::mutex> lock(mu_);
  topic_tracking_ = enabled;
  topic_tracking_allow_reset_ = allow_reset;
}

const FakeHerder::Plugin* FakeHerder::FindPlugin(const std::string& name) const {
  for (const Plugin& p : plugins_) {
    const std::string simple = p.class_name.substr(p.class_name.rfind('.') + 1);
    const bool alias = simple.ends_with("Connector") && name + "Connector" == simple;
    if (name == p.class_name || name == simple || alias) return &p;
  }
  return nullptr;
}

Result<const FakeHerder::Plugin*> FakeHerder::ConnectorPlugin(const Properties& config) const {
  auto cls = config.find("connector.class");
  if (cls == config.end()) {
    return Error::BadRequest("Connector config " + JavaMap(config) + " contains no connector type");
  }
  const Plugin* plugin = FindPlugin(cls->second);
  if (plugin == nullptr || (plugin->type != "source" && plugin->type != "sink")) {
    std::vector<std::string> available;
    for (const Plugin& p : plugins_) {
      if (p.type == "source" || p.type == "sink") available.push_back(p.class_name);
    }
    return Error(ErrorCode::kUnsupported, "Failed to find any class that implements Connector and which name matches " +
                                              cls->second + ", available connectors are: " + Join(available, ", "));
  }
  return plugin;
}

connectors::ConfigInfos FakeHerder::Validate(const Plugin& plugin, const Properties& config) const {
  // Connect validates the framework's keys first, then the plugin's (ConnectorConfig.enrich, then
  // connector.config()).
  ConfigDef def = framework_;
  def.Merge(plugin.definition);
  return connectors::BuildConfigInfos(plugin.class_name, def, config);
}

std::string FakeHerder::TypeOf(const Properties& config) const {
  auto cls = config.find("connector.class");
  const Plugin* plugin = cls == config.end() ? nullptr : FindPlugin(cls->second);
  return plugin == nullptr ? "unknown" : plugin->type;
}

void FakeHerder::StartTasksLocked(Connector& connector, const Plugin& plugin) {
  connector.tasks.clear();
  if (connector.target == TargetState::kStopped) {
    connector.state = State("STOPPED");
    return;
  }
  ConfigDef def = framework_;
  def.Merge(plugin.definition);
  Result<connectors::ParsedConfig> parsed = def.Parse(connector.config);
  int count = parsed.ok() ? parsed->GetInt("tasks.max") : 1;
  if (plugin.max_tasks > 0) count = std::min(count, plugin.max_tasks);
  const char* state = connector.target == TargetState::kPaused ? "PAUSED" : "RUNNING";
  connector.state = State(state);
  for (int i = 0; i < count; ++i) {
    Task task;
    task.config = connector.config;
    task.config["task.class"] = plugin.task_class;
    task.state = State(state);
    connector.tasks.push_back(std::move(task));
  }
}

worker::ConnectorInfo FakeHerder::InfoLocked(const std::string& name, const Connector& connector) const {
  worker::ConnectorInfo info;
  info.name = name;
  info.config = connector.config;
  for (size_t i = 0; i < connector.tasks.size(); ++i)
    info.tasks.push_back(ConnectorTaskId{name, static_cast<int32_t>(i)});
  info.type = TypeOf(connector.config);
  return info;
}

worker::ConnectorStateInfo FakeHerder::StatusLocked(const std::string& name, const Connector& connector) const {
  worker::ConnectorStateInfo status;
  status.name = name;
  status.connector = connector.state;
  for (size_t i = 0; i < connector.tasks.size(); ++i) {
    status.tasks.push_back(worker::TaskStateInfo{static_cast<int32_t>(i), connector.tasks[i].state});
  }
  status.type = TypeOf(connector.config);
  return status;
}

worker::ServerInfo FakeHerder::Info() {
  std::lock_guard<std::mutex> lock(mu_);
  Record("Info()");
  return worker::ServerInfo{"3.9.0", "fake", kClusterId};
}

worker::WorkerHealth FakeHerder::Health() {
  std::lock_guard<std::mutex> lock(mu_);
  Record("Health()");
  if (health_) return *health_;
  if (fail_all_) return {worker::WorkerHealth::Status::kUnhealthy, fail_all_->message()};
  return {worker::WorkerHealth::Status::kHealthy, ""};
}

Result<std::vector<std::string>> FakeHerder::Connectors() {
  std::lock_guard<std::mutex> lock(mu_);
  Record("Connectors()");
  if (fail_all_) return *fail_all_;
  std::vector<std::string> names;
  for (const auto& entry : connectors_) names.push_back(entry.first);
  return names;
}

Result<worker::CreatedConnector> FakeHerder::PutLocked(const std::string& name, const Properties& config,
                                                       std::optional<TargetState> initial_state, bool allow_replace) {
  Result<const Plugin*> plugin = ConnectorPlugin(config);
  if (!plugin.ok()) return plugin.error();
  connectors::ConfigInfos infos = Validate(**plugin, config);
  if (infos.error_count > 0) {
    // AbstractHerder.maybeAddConfigErrors
    std::string message = "Connector configuration is invalid and contains the following " +
                          std::to_string(infos.error_count) + " error(s):";
    for (const connectors::ConfigInfo& info : infos.configs) {
      for (const std::string& e : info.value->errors) message += "\n" + e;
    }
    message +=
        "\nYou can also find the above list of errors at the endpoint "
        "`/connector-plugins/{connectorType}/config/validate`";
    return Error::BadRequest(message);
  }
  auto it = connectors_.find(name);
  const bool exists = it != connectors_.end();
  if (exists && !allow_replace) return Error::Conflict("Connector " + name + " already exists");
  // Connect answers with the tasks the connector had before this write (none when created).
  std::vector<ConnectorTaskId> previous_tasks;
  if (exists) {
    for (size_t i = 0; i < it->second.tasks.size(); ++i) previous_tasks.push_back({name, static_cast<int32_t>(i)});
  }
  Connector& connector = connectors_[name];
  connector.config = config;
  if (!exists) connector.target = initial_state.value_or(TargetState::kStarted);
  StartTasksLocked(connector, **plugin);
  worker::CreatedConnector created;
  created.info = InfoLocked(name, connector);
  created.info.tasks = previous_tasks;
  created.created = !exists;
  return created;
}

Result<worker::CreatedConnector> FakeHerder::PutConnectorConfig(const std::string& name, const Properties& config,
                                                                std::optional<TargetState> initial_state,
                                                                bool allow_replace) {
  std::lock_guard<std::mutex> lock(mu_);
  Record("PutConnectorConfig(" + name + ")");
  if (fail_all_) return *fail_all_;
  return PutLocked(name, config, initial_state, allow_replace);
}

Result<worker::ConnectorInfo> FakeHerder::PatchConnectorConfig(
    const std::string& name, const std::map<std::string, std::optional<std::string>>& patch) {
  std::lock_guard<std::mutex> lock(mu_);
  Record("PatchConnectorConfig(" + name + ")");
  if (fail_all_) return *fail_all_;
  auto it = connectors_.find(name);
  if (it == connectors_.end()) return Error::NotFound("Connector " + name + " not found");
  Properties config = it->second.config;
  for (const auto& [key, value] : patch) {
    if (value) {
      config[key] = *value;
    } else {
      config.erase(key);
    }
  }
  Result<worker::CreatedConnector> put = PutLocked(name, config, std::nullopt, /*allow_replace=*/true);
  if (!put.ok()) return put.error();
  return put->info;
}

Result<worker::ConnectorInfo> FakeHerder::GetConnector(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  Record("GetConnector(" + name + ")");
  if (fail_all_) return *fail_all_;
  auto it = connectors_.find(name);
  if (it == connectors_.end()) return Error::NotFound("Connector " + name + " not found");
  return InfoLocked(name, it->second);
}

Result<Properties> FakeHerder::GetConnectorConfig(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  Record("GetConnectorConfig(" + name + ")");
  if (fail_all_) return *fail_all_;
  auto it = connectors_.find(name);
  if (it == connectors_.end()) return Error::NotFound("Connector " + name + " not found");
  return it->second.config;
}

Result<worker::ConnectorStateInfo> FakeHerder::GetConnectorStatus(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  Record("GetConnectorStatus(" + name + ")");
  if (fail_all_) return *fail_all_;
  auto it = connectors_.find(name);
  if (it == connectors_.end()) return Error::NotFound("No status found for connector " + name);
  return StatusLocked(name, it->second);
}

Result<std::vector<worker::TaskInfo>> FakeHerder::GetTaskConfigs(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  Record("GetTaskConfigs(" + name + ")");
  if (fail_all_) return *fail_all_;
  auto it = connectors_.find(name);
  if (it == connectors_.end()) return Error::NotFound("Connector " + name + " not found");
  std::vector<worker::TaskInfo> tasks;
  for (size_t i = 0; i < it->second.tasks.size(); ++i) {
    tasks.push_back(worker::TaskInfo{ConnectorTaskId{name, static_cast<int32_t>(i)}, it->second.tasks[i].config});
  }
  return tasks;
}

Result<worker::TaskStateInfo> FakeHerder::GetTaskStatus(const ConnectorTaskId& id) {
  std::lock_guard<std::mutex> lock(mu_);
  Record("GetTaskStatus(" + id.ToString() + ")");
  if (fail_all_) return *fail_all_;
  auto it = connectors_.find(id.connector);
  if (it == connectors_.end() || id.task < 0 || static_cast<size_t>(id.task) >= it->second.tasks.size()) {
    return Error::NotFound("No status found for task " + id.ToString());
  }
  return worker::TaskStateInfo{id.task, it->second.tasks[static_cast<size_t>(id.task)].state};
}

Result<> FakeHerder::RestartTask(const ConnectorTaskId& id) {
  std::lock_guard<std::mutex> lock(mu_);
  Record("RestartTask(" + id.ToString() + ")");
  if (fail_all_) return *fail_all_;
  auto it = connectors_.find(id.connector);
  if (it == connectors_.end()) return Error::NotFound("Unknown connector: " + id.connector);
  if (id.task < 0 || static_cast<size_t>(id.task) >= it->second.tasks.size()) {
    return Error::NotFound("Unknown task: " + id.ToString());
  }
  Task& task = it->second.tasks[static_cast<size_t>(id.task)];
  task.state = State(it->second.target == TargetState::kPaused ? "PAUSED" : "RUNNING");
  return Ok();
}

Result<std::optional<worker::ConnectorStateInfo>> FakeHerder::RestartConnector(const std::string& name,
                                                                               bool include_tasks, bool only_failed) {
  std::lock_guard<std::mutex> lock(mu_);
  Record("RestartConnector(" + name + ")");
  if (fail_all_) return *fail_all_;
  auto it = connectors_.find(name);
  if (it == connectors_.end()) return Error::NotFound("Unknown connector: " + name);
  Connector& connector = it->second;
  const char* running = connector.target == TargetState::kPaused ? "PAUSED" : "RUNNING";
  if (!include_tasks && !only_failed) {
    if (connector.target != TargetState::kStopped) connector.state = State(running);
    return std::optional<worker::ConnectorStateInfo>();
  }
  // RestartPlan: the answer shows RESTARTING where an instance will restart; the fake then restarts
  // them at once.
  worker::ConnectorStateInfo plan = StatusLocked(name, connector);
  const bool restart_connector = !only_failed || connector.state.state == "FAILED";
  if (restart_connector) {
    plan.connector.state = "RESTARTING";
    if (connector.target != TargetState::kStopped) connector.state = State(running);
  }
  for (size_t i = 0; i < connector.tasks.size(); ++i) {
    if (include_tasks && (!only_failed || connector.tasks[i].state.state == "FAILED")) {
      plan.tasks[i].state.state = "RESTARTING";
      connector.tasks[i].state = State(running);
    }
  }
  return std::optional<worker::ConnectorStateInfo>(plan);
}

Result<> FakeHerder::PauseConnector(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  Record("PauseConnector(" + name + ")");
  if (fail_all_) return *fail_all_;
  auto it = connectors_.find(name);
  if (it == connectors_.end()) return Error::NotFound("Unknown connector " + name);
  Connector& connector = it->second;
  const bool was_stopped = connector.target == TargetState::kStopped;
  connector.target = TargetState::kPaused;
  if (was_stopped) {
    Result<const Plugin*> plugin = ConnectorPlugin(connector.config);
    if (plugin.ok()) StartTasksLocked(connector, **plugin);
  } else {
    connector.state = State("PAUSED");
    for (Task& task : connector.tasks) task.state = State("PAUSED");
  }
  return Ok();
}

Result<> FakeHerder::ResumeConnector(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  Record("ResumeConnector(" + name + ")");
  if (fail_all_) return *fail_all_;
  auto it = connectors_.find(name);
  if (it == connectors_.end()) return Error::NotFound("Unknown connector " + name);
  Connector& connector = it->second;
  const bool was_stopped = connector.target == TargetState::kStopped;
  connector.target = TargetState::kStarted;
  if (was_stopped) {
    Result<const Plugin*> plugin = ConnectorPlugin(connector.config);
    if (plugin.ok()) StartTasksLocked(connector, **plugin);
  } else {
    connector.state = State("RUNNING");
    for (Task& task : connector.tasks) {
      if (task.state.state == "PAUSED") task.state = State("RUNNING");
    }
  }
  return Ok();
}

Result<> FakeHerder::StopConnector(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  Record("StopConnector(" + name + ")");
  if (fail_all_) return *fail_all_;
  auto it = connectors_.find(name);
  if (it == connectors_.end()) return Error::NotFound("Unknown connector " + name);
  // Connect writes an empty set of task configs first, then the STOPPED target state.
  it->second.tasks.clear();
  it->second.target = TargetState::kStopped;
  it->second.state = State("STOPPED");
  return Ok();
}

Result<> FakeHerder::DeleteConnector(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  Record("DeleteConnector(" + name + ")");
  if (fail_all_) return *fail_all_;
  if (connectors_.erase(name) == 0) return Error::NotFound("Connector " + name + " not found");
  return Ok();
}

Result<std::vector<std::string>> FakeHerder::GetActiveTopics(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  Record("GetActiveTopics(" + name + ")");
  if (fail_all_) return *fail_all_;
  if (!topic_tracking_) return Error(ErrorCode::kForbidden, "Topic tracking is disabled.");
  auto it = connectors_.find(name);
  if (it == connectors_.end()) return std::vector<std::string>();  // Connect does not check existence
  return it->second.active_topics;
}

Result<> FakeHerder::ResetActiveTopics(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  Record("ResetActiveTopics(" + name + ")");
  if (fail_all_) return *fail_all_;
  if (!topic_tracking_) return Error(ErrorCode::kForbidden, "Topic tracking is disabled.");
  if (!topic_tracking_allow_reset_) return Error(ErrorCode::kForbidden, "Topic tracking reset is disabled.");
  auto it = connectors_.find(name);
  if (it != connectors_.end()) it->second.active_topics.clear();
  return Ok();
}

Result<std::vector<worker::ConnectorOffset>> FakeHerder::GetOffsets(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  Record("GetOffsets(" + name + ")");
  if (fail_all_) return *fail_all_;
  auto it = connectors_.find(name);
  if (it == connectors_.end()) return Error::NotFound("Connector " + name + " not found");
  return it->second.offsets;
}

Result<std::string> FakeHerder::AlterOffsets(const std::string& name,
                                             const std::vector<worker::ConnectorOffset>& offsets) {
  std::lock_guard<std::mutex> lock(mu_);
  Record("AlterOffsets(" + name + ")");
  if (fail_all_) return *fail_all_;
  auto it = connectors_.find(name);
  if (it == connectors_.end()) return Error::NotFound("Connector " + name + " not found");
  Connector& connector = it->second;
  if (connector.target != TargetState::kStopped || !connector.tasks.empty()) {
    return Error::BadRequest(std::string(kNotStopped) + name + "/stop' endpoint");
  }
  for (const worker::ConnectorOffset& offset : offsets) {
    auto existing =
        std::find_if(connector.offsets.begin(), connector.offsets.end(),
                     [&](const worker::ConnectorOffset& o) { return o.partition_json == offset.partition_json; });
    if (!offset.offset_json) {
      if (existing != connector.offsets.end()) connector.offsets.erase(existing);
    } else if (existing != connector.offsets.end()) {
      existing->offset_json = offset.offset_json;
    } else {
      connector.offsets.push_back(offset);
    }
  }
  return std::string("The offsets for this connector have been altered successfully");
}

Result<std::string> FakeHerder::ResetOffsets(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  Record("ResetOffsets(" + name + ")");
  if (fail_all_) return *fail_all_;
  auto it = connectors_.find(name);
  if (it == connectors_.end()) return Error::NotFound("Connector " + name + " not found");
  if (it->second.target != TargetState::kStopped || !it->second.tasks.empty()) {
    return Error::BadRequest(std::string(kNotStopped) + name + "/stop' endpoint");
  }
  it->second.offsets.clear();
  return std::string("The offsets for this connector have been reset successfully");
}

std::vector<worker::PluginInfo> FakeHerder::Plugins() {
  std::lock_guard<std::mutex> lock(mu_);
  Record("Plugins()");
  std::vector<worker::PluginInfo> out;
  for (const Plugin& p : plugins_) out.push_back(worker::PluginInfo{p.class_name, p.type, "3.9.0"});
  return out;
}

Result<std::vector<connectors::ConfigKey>> FakeHerder::PluginConfig(const std::string& plugin) {
  std::lock_guard<std::mutex> lock(mu_);
  Record("PluginConfig(" + plugin + ")");
  if (fail_all_) return *fail_all_;
  const Plugin* p = FindPlugin(plugin);
  if (p == nullptr) return Error::NotFound("Unknown plugin " + plugin + ".");
  // The plugin's keys first, then the framework's it does not override (AbstractHerder.connectorPluginConfig).
  ConfigDef def = p->definition;
  if (p->type == "source" || p->type == "sink") def.Merge(framework_);
  return def.keys();
}

Result<connectors::ConfigInfos> FakeHerder::ValidateConfig(const std::string& plugin, const Properties& config) {
  std::lock_guard<std::mutex> lock(mu_);
  Record("ValidateConfig(" + plugin + ")");
  if (fail_all_) return *fail_all_;
  // As Connect, the class validated is the config's connector.class (REST checked it matches).
  Result<const Plugin*> p = ConnectorPlugin(config);
  if (!p.ok()) return p.error();
  return Validate(**p, config);
}

}  // namespace ferry::testing
