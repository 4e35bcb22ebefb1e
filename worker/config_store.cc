#include "worker/config_store.h"

#include <algorithm>
#include <charconv>
#include <limits>
#include <string_view>

#include <glog/logging.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "worker/common/json.h"

namespace ferry::worker {

namespace {

using Clock = std::chrono::steady_clock;
using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

// Key prefixes of the config topic, in the order Connect's reader tries them.
constexpr std::string_view kTargetStatePrefix = "target-state-";
constexpr std::string_view kConnectorPrefix = "connector-";
constexpr std::string_view kTaskPrefix = "task-";
constexpr std::string_view kCommitPrefix = "commit-";
constexpr std::string_view kRestartPrefix = "restart-connector-";
constexpr std::string_view kTaskCountPrefix = "tasks-fencing-";
constexpr std::string_view kSessionKey = "session-key";
constexpr std::string_view kLoggerPrefix = "logger-cluster-";

bool StartsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

std::chrono::milliseconds Remaining(Clock::time_point deadline) {
  return std::max(std::chrono::milliseconds(0),
                  std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
}

std::string ToString(const rapidjson::StringBuffer& buffer) {
  return std::string(buffer.GetString(), buffer.GetSize());
}

// `{"properties":{...}}`, the value of connector and task records.
std::string PropertiesValue(const Properties& props) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  w.Key("properties");
  w.StartObject();
  for (const auto& [key, value] : props) {
    w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
    w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
  }
  w.EndObject();
  w.EndObject();
  return ToString(buffer);
}

// `{"state":<legacy>,"state.v2":<state>}`: old workers know no STOPPED, so it is PAUSED for them.
std::string TargetStateValue(TargetState state) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  w.Key("state");
  w.String(TargetStateName(state == TargetState::kStopped ? TargetState::kPaused : state));
  w.Key("state.v2");
  w.String(TargetStateName(state));
  w.EndObject();
  return ToString(buffer);
}

std::string CommitValue(size_t tasks) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  w.Key("tasks");
  w.Int64(static_cast<int64_t>(tasks));
  w.EndObject();
  return ToString(buffer);
}

std::string RestartValue(const RestartRequest& request) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  w.Key("include-tasks");
  w.Bool(request.include_tasks);
  w.Key("only-failed");
  w.Bool(request.only_failed);
  w.EndObject();
  return ToString(buffer);
}

// The value of a record (which has one) as a JSON object, or nullopt (logged) if it is not one.
std::optional<rapidjson::Document> ParseObject(const std::string& key, const kafka::LogRecord& record) {
  Result<rapidjson::Document> doc = json::Parse(*record.value, "its value");
  if (!doc.ok() || !doc->IsObject()) {
    LOG(ERROR) << "Ignoring config record '" << key << "' at " << record.Where() << ": "
               << (doc.ok() ? "its value is not a JSON object" : doc.error().message());
    return std::nullopt;
  }
  return std::move(doc).value();
}

// The `properties` map of a connector or task record. Values that are not strings (which Connect
// would not write) are kept as their JSON text; nulls are left out, as an absent setting.
std::optional<Properties> ParseProperties(const std::string& key, const kafka::LogRecord& record) {
  auto doc = ParseObject(key, record);
  if (!doc) return std::nullopt;
  auto it = doc->FindMember("properties");
  if (it == doc->MemberEnd() || !it->value.IsObject()) {
    LOG(ERROR) << "Ignoring config record '" << key << "' at " << record.Where() << ": it has no 'properties' object";
    return std::nullopt;
  }
  Properties props;
  for (const auto& member : it->value.GetObject()) {
    std::string name(member.name.GetString(), member.name.GetStringLength());
    if (member.value.IsString()) {
      props[name] = std::string(member.value.GetString(), member.value.GetStringLength());
    } else if (!member.value.IsNull()) {
      rapidjson::StringBuffer buffer;
      JsonWriter w(buffer);
      member.value.Accept(w);
      props[name] = ToString(buffer);
    }
  }
  return props;
}

std::optional<TargetState> ParseTargetStateName(std::string_view name) {
  if (name == "STARTED") return TargetState::kStarted;
  if (name == "PAUSED") return TargetState::kPaused;
  if (name == "STOPPED") return TargetState::kStopped;
  return std::nullopt;
}

// `task-NAME-N`: the last `-` separates the task number; the connector name may contain `-`.
std::optional<ConnectorTaskId> ParseTaskKey(std::string_view key) {
  std::string_view rest = key.substr(kTaskPrefix.size());
  const size_t dash = rest.rfind('-');
  if (dash == std::string_view::npos) return std::nullopt;
  std::string_view number = rest.substr(dash + 1);
  int32_t task = -1;
  auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), task);
  if (number.empty() || ec != std::errc() || end != number.data() + number.size() || task < 0) return std::nullopt;
  return ConnectorTaskId{std::string(rest.substr(0, dash)), task};
}

}  // namespace

ConfigStore::ConfigStore(kafka::Log& log, std::chrono::milliseconds write_timeout)
    : log_(log), write_timeout_(write_timeout) {}

void ConfigStore::SetListener(std::function<void(const ConfigEvent&)> listener) {
  CHECK(!started_) << "ConfigStore::SetListener after Start";
  listener_ = std::move(listener);
}

Result<> ConfigStore::Start(std::chrono::milliseconds timeout) {
  FERRY_RETURN_IF_ERROR(log_.Start([this](const kafka::LogRecord& record) { OnRecord(record); }, timeout));
  started_ = true;
  return Ok();
}

void ConfigStore::Stop() { log_.Stop(); }

ClusterConfigState ConfigStore::Snapshot() const {
  std::lock_guard lock(mu_);
  return state_;
}

Result<> ConfigStore::Refresh(std::chrono::milliseconds timeout) { return log_.ReadToEnd(timeout); }

Result<> ConfigStore::Write(const std::vector<std::pair<std::string, std::optional<std::string>>>& records,
                            Clock::time_point deadline) {
  for (const auto& [key, value] : records) FERRY_RETURN_IF_ERROR(log_.Send(key, value));
  FERRY_RETURN_IF_ERROR(log_.Flush(Remaining(deadline)));
  return log_.ReadToEnd(Remaining(deadline));
}

Result<> ConfigStore::PutConnectorConfig(const std::string& name, const Properties& config,
                                         std::optional<TargetState> initial_state) {
  if (name.empty()) return Error::BadRequest("a connector name must not be empty");
  std::vector<std::pair<std::string, std::optional<std::string>>> records;
  if (initial_state) records.emplace_back(std::string(kTargetStatePrefix) + name, TargetStateValue(*initial_state));
  records.emplace_back(std::string(kConnectorPrefix) + name, PropertiesValue(config));
  return Write(records, Clock::now() + write_timeout_);
}

Result<> ConfigStore::RemoveConnectorConfig(const std::string& name) {
  return Write({{std::string(kConnectorPrefix) + name, std::nullopt},
                {std::string(kTargetStatePrefix) + name, std::nullopt}},
               Clock::now() + write_timeout_);
}

Result<> ConfigStore::PutTaskConfigs(const std::string& name, const std::vector<Properties>& task_configs) {
  if (name.empty()) return Error::BadRequest("a connector name must not be empty");
  const auto deadline = Clock::now() + write_timeout_;
  // Catch up first: this worker should be the only writer, but it may not have read everything yet.
  FERRY_RETURN_IF_ERROR(log_.ReadToEnd(Remaining(deadline)));
  for (size_t i = 0; i < task_configs.size(); ++i) {
    FERRY_RETURN_IF_ERROR(
        log_.Send(std::string(kTaskPrefix) + name + "-" + std::to_string(i), PropertiesValue(task_configs[i])));
  }
  FERRY_RETURN_IF_ERROR(log_.Flush(Remaining(deadline)));
  if (!task_configs.empty()) FERRY_RETURN_IF_ERROR(log_.ReadToEnd(Remaining(deadline)));
  return Write({{std::string(kCommitPrefix) + name, CommitValue(task_configs.size())}}, deadline);
}

Result<> ConfigStore::PutTargetState(const std::string& name, TargetState state) {
  return Write({{std::string(kTargetStatePrefix) + name, TargetStateValue(state)}}, Clock::now() + write_timeout_);
}

Result<> ConfigStore::PutSessionKey(const SessionKey& key) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  w.Key("key");
  w.String(Base64Encode(key.key).c_str());
  w.Key("algorithm");
  w.String(key.algorithm.c_str());
  w.Key("creation-timestamp");
  w.Int64(key.creation_ms);
  w.EndObject();
  return Write({{std::string(kSessionKey), ToString(buffer)}}, Clock::now() + write_timeout_);
}

Result<> ConfigStore::PutRestartRequest(const RestartRequest& request) {
  return Write({{std::string(kRestartPrefix) + request.connector, RestartValue(request)}},
               Clock::now() + write_timeout_);
}

void ConfigStore::OnRecord(const kafka::LogRecord& record) {
  std::vector<ConfigEvent> events;
  {
    std::lock_guard lock(mu_);
    state_.offset = record.offset + 1;
    if (!record.key) {
      LOG(WARNING) << "Ignoring a config record without a key at " << record.Where();
    } else {
      const std::string& key = *record.key;
      if (StartsWith(key, kTargetStatePrefix)) {
        ApplyTargetState(key.substr(kTargetStatePrefix.size()), record, events);
      } else if (StartsWith(key, kConnectorPrefix)) {
        ApplyConnectorConfig(key.substr(kConnectorPrefix.size()), record, events);
      } else if (StartsWith(key, kTaskPrefix)) {
        ApplyTaskConfig(key, record);
      } else if (StartsWith(key, kCommitPrefix)) {
        ApplyCommit(key.substr(kCommitPrefix.size()), record, events);
      } else if (StartsWith(key, kRestartPrefix)) {
        ApplyRestartRequest(key.substr(kRestartPrefix.size()), record, events);
      } else if (key == kSessionKey) {
        ApplySessionKey(record);
      } else if (StartsWith(key, kTaskCountPrefix) || StartsWith(key, kLoggerPrefix)) {
        // Exactly-once task counts and cluster log levels: not used by Ferry.
        VLOG(1) << "Skipping config record '" << key << "' (a feature Ferry does not use)";
      } else {
        LOG(WARNING) << "Ignoring config record with unknown key '" << key << "' at " << record.Where();
      }
    }
  }
  if (!started_ || !listener_) return;
  for (const ConfigEvent& event : events) listener_(event);
}

void ConfigStore::ApplyTargetState(const std::string& connector, const kafka::LogRecord& record,
                                   std::vector<ConfigEvent>& events) {
  auto config = state_.connectors.find(connector);
  if (!record.value) {
    // Written together with the connector's tombstone; a connector still configured is STARTED.
    target_states_.erase(connector);
    if (config != state_.connectors.end()) config->second.target_state = TargetState::kStarted;
    return;  // no event: the connector's removal carries it
  }
  const std::string key = std::string(kTargetStatePrefix) + connector;
  auto doc = ParseObject(key, record);
  if (!doc) return;
  // Prefer `state.v2`; fall back to the legacy `state` written by older workers.
  std::optional<TargetState> state;
  for (const char* field : {"state.v2", "state"}) {
    auto it = doc->FindMember(field);
    if (it == doc->MemberEnd() || it->value.IsNull()) continue;
    if (!it->value.IsString()) {
      LOG(ERROR) << "Config record '" << key << "' at " << record.Where() << ": '" << field << "' should be a string";
      continue;
    }
    state = ParseTargetStateName(std::string_view(it->value.GetString(), it->value.GetStringLength()));
    if (!state) LOG(ERROR) << "Config record '" << key << "' at " << record.Where() << ": invalid target state in '" << field << "'";
    break;
  }
  if (!state) {
    LOG(ERROR) << "Ignoring config record '" << key << "' at " << record.Where() << ": no valid target state";
    return;
  }
  target_states_[connector] = *state;
  if (config != state_.connectors.end()) config->second.target_state = *state;
  events.push_back({ConfigEvent::Kind::kTargetState, connector, {}});
}

void ConfigStore::ApplyConnectorConfig(const std::string& connector, const kafka::LogRecord& record,
                                       std::vector<ConfigEvent>& events) {
  if (!record.value) {
    state_.connectors.erase(connector);
    target_states_.erase(connector);
    deferred_.erase(connector);
    events.push_back({ConfigEvent::Kind::kConnectorRemoved, connector, {}});
    return;
  }
  auto props = ParseProperties(std::string(kConnectorPrefix) + connector, record);
  if (!props) return;
  auto [it, inserted] = state_.connectors.try_emplace(connector);
  it->second.config = std::move(*props);
  if (inserted) {
    auto target = target_states_.find(connector);
    it->second.target_state = target != target_states_.end() ? target->second : TargetState::kStarted;
  }
  events.push_back({ConfigEvent::Kind::kConnectorConfig, connector, {}});
}

void ConfigStore::ApplyTaskConfig(const std::string& key, const kafka::LogRecord& record) {
  auto id = ParseTaskKey(key);
  if (!id) {
    LOG(ERROR) << "Ignoring config record '" << key << "' at " << record.Where() << ": not a task key (task-<connector>-<number>)";
    return;
  }
  if (!record.value) {
    LOG(ERROR) << "Ignoring task config '" << key << "' at " << record.Where() << ": it has no value";
    return;
  }
  auto props = ParseProperties(key, record);
  if (!props) return;
  deferred_[id->connector][id->task] = std::move(*props);  // applied by the next commit
}

void ConfigStore::ApplyCommit(const std::string& connector, const kafka::LogRecord& record,
                              std::vector<ConfigEvent>& events) {
  const std::string key = std::string(kCommitPrefix) + connector;
  if (!record.value) {
    LOG(ERROR) << "Ignoring task config commit '" << key << "' at " << record.Where() << ": it has no value";
    return;
  }
  auto doc = ParseObject(key, record);
  if (!doc) return;
  auto it = doc->FindMember("tasks");
  if (it == doc->MemberEnd() || !it->value.IsInt64() || it->value.GetInt64() < 0 ||
      it->value.GetInt64() > std::numeric_limits<int32_t>::max()) {
    LOG(ERROR) << "Ignoring task config commit '" << key << "' at " << record.Where() << ": 'tasks' should be a non-negative integer";
    return;
  }
  const int32_t task_count = static_cast<int32_t>(it->value.GetInt64());

  std::map<int32_t, Properties> deferred;
  if (auto d = deferred_.find(connector); d != deferred_.end()) {
    deferred = std::move(d->second);
    deferred_.erase(d);  // always cleared: an inconsistent set must be regenerated from scratch
  }
  auto config = state_.connectors.find(connector);
  if (config == state_.connectors.end()) {
    VLOG(1) << "Ignoring task config commit for connector '" << connector << "', which has no config";
    return;
  }
  ConnectorConfigState& cs = config->second;
  bool complete = true;
  for (int32_t id = 0; id < task_count && complete; ++id) complete = deferred.count(id) > 0;
  if (!complete) {
    // Compaction removed task records this commit needs: no tasks until the connector regenerates them.
    LOG(WARNING) << "Connector '" << connector << "' committed " << task_count
                 << " task configs but not all were read; marking it inconsistent";
    cs.inconsistent = true;
    cs.task_configs.clear();
  } else {
    cs.task_configs.clear();
    for (int32_t id = 0; id < task_count; ++id) cs.task_configs.push_back(std::move(deferred[id]));
    cs.inconsistent = false;
    ++cs.task_config_generation;
  }
  events.push_back({ConfigEvent::Kind::kTaskConfigs, connector, {}});
}

void ConfigStore::ApplyRestartRequest(const std::string& connector, const kafka::LogRecord& record,
                                      std::vector<ConfigEvent>& events) {
  const std::string key = std::string(kRestartPrefix) + connector;
  if (!record.value) {
    LOG(ERROR) << "Ignoring restart request '" << key << "' at " << record.Where() << ": it has no value";
    return;
  }
  auto doc = ParseObject(key, record);
  if (!doc) return;
  RestartRequest request;
  request.connector = connector;
  for (auto [field, out] : {std::pair{"include-tasks", &request.include_tasks}, std::pair{"only-failed", &request.only_failed}}) {
    auto it = doc->FindMember(field);
    if (it == doc->MemberEnd()) continue;  // absent: false
    if (!it->value.IsBool()) {
      LOG(ERROR) << "Ignoring restart request '" << key << "' at " << record.Where() << ": '" << field << "' should be a boolean";
      return;
    }
    *out = it->value.GetBool();
  }
  events.push_back({ConfigEvent::Kind::kRestartRequest, connector, request});
}

void ConfigStore::ApplySessionKey(const kafka::LogRecord& record) {
  // Never logs the key itself.
  if (!record.value) {
    LOG(ERROR) << "Ignoring session key record at " << record.Where() << ": it has no value";
    return;
  }
  auto doc = ParseObject(std::string(kSessionKey), record);
  if (!doc) return;
  auto key = doc->FindMember("key");
  auto algorithm = doc->FindMember("algorithm");
  auto created = doc->FindMember("creation-timestamp");
  if (key == doc->MemberEnd() || !key->value.IsString() || algorithm == doc->MemberEnd() ||
      !algorithm->value.IsString() || created == doc->MemberEnd() || !created->value.IsInt64()) {
    LOG(ERROR) << "Ignoring session key record at " << record.Where()
               << ": it needs a string 'key', a string 'algorithm' and an integer 'creation-timestamp'";
    return;
  }
  auto bytes = Base64Decode(std::string_view(key->value.GetString(), key->value.GetStringLength()));
  if (!bytes.ok() || bytes->empty()) {
    LOG(ERROR) << "Ignoring session key record at " << record.Where() << ": 'key' is not Base64";
    return;
  }
  state_.session_key = SessionKey{std::move(*bytes), algorithm->value.GetString(), created->value.GetInt64()};
}

}  // namespace ferry::worker
