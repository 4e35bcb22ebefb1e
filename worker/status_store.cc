#include "worker/status_store.h"

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

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

constexpr std::string_view kConnectorPrefix = "status-connector-";
constexpr std::string_view kTaskPrefix = "status-task-";
constexpr std::string_view kTopicPrefix = "status-topic-";
constexpr std::string_view kTopicSeparator = ":connector-";

bool StartsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

std::string ConnectorKey(const std::string& connector) { return std::string(kConnectorPrefix) + connector; }
std::string TaskKey(const ConnectorTaskId& id) {
  return std::string(kTaskPrefix) + id.connector + "-" + std::to_string(id.task);
}
std::string TopicKey(const std::string& connector, const std::string& topic) {
  return std::string(kTopicPrefix) + topic + std::string(kTopicSeparator) + connector;
}

constexpr char kSyncWriterField[] = "ferry.sync.writer";

// `{"state":"RUNNING","trace":null,"worker_id":"w:8083","generation":7}`, Connect's field order
// (and Ferry's kSyncWriterField last, where a task has one).
std::string StatusValue(const Status& status) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  w.Key("state");
  w.String(status.state.data(), static_cast<rapidjson::SizeType>(status.state.size()));
  w.Key("trace");
  if (status.trace) {
    w.String(status.trace->data(), static_cast<rapidjson::SizeType>(status.trace->size()));
  } else {
    w.Null();
  }
  w.Key("worker_id");
  w.String(status.worker_id.data(), static_cast<rapidjson::SizeType>(status.worker_id.size()));
  w.Key("generation");
  w.Int(status.generation);
  if (!status.sync_writer.empty()) {
    w.Key(kSyncWriterField);
    w.String(status.sync_writer.data(), static_cast<rapidjson::SizeType>(status.sync_writer.size()));
  }
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

// `{"topic":{"name":"orders","connector":"NAME","task":0,"discoverTimestamp":1700000000000}}`.
std::string TopicValue(const std::string& connector, const std::string& topic, int32_t task, int64_t discover_ms) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  w.Key("topic");
  w.StartObject();
  w.Key("name");
  w.String(topic.data(), static_cast<rapidjson::SizeType>(topic.size()));
  w.Key("connector");
  w.String(connector.data(), static_cast<rapidjson::SizeType>(connector.size()));
  w.Key("task");
  w.Int(task);
  w.Key("discoverTimestamp");
  w.Int64(discover_ms);
  w.EndObject();
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

bool IsState(std::string_view s) {
  // DESTROYED is normally a tombstone, but Connect's reader accepts it spelled out too.
  for (std::string_view known : {"UNASSIGNED", "RUNNING", "PAUSED", "FAILED", "RESTARTING", "STOPPED", "DESTROYED"}) {
    if (s == known) return true;
  }
  return false;
}

std::optional<int32_t> Int32Member(const rapidjson::Value& object, const char* name) {
  auto it = object.FindMember(name);
  if (it == object.MemberEnd() || !it->value.IsInt64()) return std::nullopt;
  const int64_t v = it->value.GetInt64();
  if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max()) return std::nullopt;
  return static_cast<int32_t>(v);
}

// A connector or task status value; nullopt (logged) if it is not one. `key` and `where` name the
// record in the message.
std::optional<Status> ParseStatus(const std::string& key, std::string_view where, const std::string& value) {
  Result<rapidjson::Document> parsed = json::Parse(value, "its value");
  if (!parsed.ok() || !parsed->IsObject()) {
    LOG(ERROR) << "Ignoring status record '" << key << "' at " << where << ": "
               << (parsed.ok() ? "its value is not a JSON object" : parsed.error().message());
    return std::nullopt;
  }
  const rapidjson::Document& doc = *parsed;
  Status status;
  auto state = doc.FindMember("state");
  if (state == doc.MemberEnd() || !state->value.IsString() ||
      !IsState(std::string_view(state->value.GetString(), state->value.GetStringLength()))) {
    LOG(ERROR) << "Ignoring status record '" << key << "' at " << where << ": no valid 'state'";
    return std::nullopt;
  }
  status.state.assign(state->value.GetString(), state->value.GetStringLength());
  if (auto trace = doc.FindMember("trace"); trace != doc.MemberEnd() && !trace->value.IsNull()) {
    if (!trace->value.IsString()) {
      LOG(ERROR) << "Ignoring status record '" << key << "' at " << where << ": 'trace' should be a string or null";
      return std::nullopt;
    }
    status.trace.emplace(trace->value.GetString(), trace->value.GetStringLength());
  }
  if (auto worker = doc.FindMember("worker_id"); worker != doc.MemberEnd() && !worker->value.IsNull()) {
    if (!worker->value.IsString()) {
      LOG(ERROR) << "Ignoring status record '" << key << "' at " << where << ": 'worker_id' should be a string";
      return std::nullopt;
    }
    status.worker_id.assign(worker->value.GetString(), worker->value.GetStringLength());
  }
  auto generation = Int32Member(doc, "generation");
  if (!generation) {
    LOG(ERROR) << "Ignoring status record '" << key << "' at " << where << ": 'generation' should be a 32-bit integer";
    return std::nullopt;
  }
  status.generation = *generation;
  if (auto writer = doc.FindMember(kSyncWriterField); writer != doc.MemberEnd() && writer->value.IsString()) {
    status.sync_writer.assign(writer->value.GetString(), writer->value.GetStringLength());
  }
  return status;
}

bool IsTopicValue(const std::string& key, std::string_view where, const std::string& value) {
  Result<rapidjson::Document> parsed = json::Parse(value, "its value");
  if (!parsed.ok() || !parsed->IsObject()) {
    LOG(ERROR) << "Ignoring topic status record '" << key << "' at " << where << ": "
               << (parsed.ok() ? "its value is not a JSON object" : parsed.error().message());
    return false;
  }
  const rapidjson::Document& doc = *parsed;
  auto topic = doc.FindMember("topic");
  if (topic == doc.MemberEnd() || !topic->value.IsObject() || !Int32Member(topic->value, "task") ||
      !topic->value.HasMember("discoverTimestamp") || !topic->value["discoverTimestamp"].IsInt64()) {
    LOG(ERROR) << "Ignoring topic status record '" << key << "' at " << where << ": not {\"topic\":{...,\"task\":N,\"discoverTimestamp\":T}}";
    return false;
  }
  return true;
}

// What a status key names.
struct StatusKey {
  enum class Kind { kConnector, kTask, kTopic } kind;
  std::string connector;
  int32_t task = -1;  // kTask
  std::string topic;  // kTopic
};

std::optional<StatusKey> ParseKey(const std::string& key) {
  if (StartsWith(key, kConnectorPrefix)) {
    std::string connector = key.substr(kConnectorPrefix.size());
    if (connector.empty()) return std::nullopt;
    return StatusKey{StatusKey::Kind::kConnector, std::move(connector), -1, ""};
  }
  if (StartsWith(key, kTaskPrefix)) {
    // `status-task-NAME-N`: the last `-` separates the task number; the name may contain `-`.
    std::string_view rest = std::string_view(key).substr(kTaskPrefix.size());
    const size_t dash = rest.rfind('-');
    if (dash == std::string_view::npos) return std::nullopt;
    std::string_view number = rest.substr(dash + 1);
    int32_t task = -1;
    auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), task);
    if (number.empty() || ec != std::errc() || end != number.data() + number.size() || task < 0) {
      return std::nullopt;
    }
    return StatusKey{StatusKey::Kind::kTask, std::string(rest.substr(0, dash)), task, ""};
  }
  if (StartsWith(key, kTopicPrefix)) {
    // `status-topic-TOPIC:connector-NAME`; topic names cannot contain ':'.
    std::string_view rest = std::string_view(key).substr(kTopicPrefix.size());
    const size_t colon = rest.find(':');
    if (colon == std::string_view::npos || colon == 0) return std::nullopt;
    std::string_view after = rest.substr(colon);
    if (!StartsWith(after, kTopicSeparator) || after.size() == kTopicSeparator.size()) return std::nullopt;
    return StatusKey{StatusKey::Kind::kTopic, std::string(after.substr(kTopicSeparator.size())), -1,
                     std::string(rest.substr(0, colon))};
  }
  return std::nullopt;
}

}  // namespace

StatusStore::StatusStore(kafka::Log& log) : log_(log) {}

Result<> StatusStore::Start(std::chrono::milliseconds timeout) {
  return log_.Start([this](const kafka::LogRecord& record) { OnRecord(record); }, timeout);
}

void StatusStore::Stop() { log_.Stop(); }

Result<> StatusStore::PutConnector(const std::string& connector, const Status& status) {
  if (connector.empty()) return Error::BadRequest("a connector name must not be empty");
  return Write(ConnectorKey(connector), StatusValue(status), status.generation);
}

Result<> StatusStore::PutTask(const ConnectorTaskId& id, const Status& status) {
  if (id.connector.empty() || id.task < 0) return Error::BadRequest("invalid task id '" + id.ToString() + "'");
  return Write(TaskKey(id), StatusValue(status), status.generation);
}

namespace {
// Connect's CacheEntry.canWriteSafely.
bool CanWriteSafely(const std::optional<Status>& cached, const Status& status) {
  return !cached || cached->worker_id == status.worker_id || cached->generation <= status.generation;
}
}  // namespace

Result<> StatusStore::PutConnectorSafe(const std::string& connector, const Status& status) {
  if (!CanWriteSafely(GetConnector(connector), status)) {
    VLOG(1) << "Not writing status " << status.state << " of connector '" << connector
            << "': another worker wrote a newer one";
    return Ok();
  }
  return PutConnector(connector, status);
}

Result<> StatusStore::PutTaskSafe(const ConnectorTaskId& id, const Status& status) {
  if (!CanWriteSafely(GetTask(id), status)) {
    VLOG(1) << "Not writing status " << status.state << " of task " << id.ToString()
            << ": another worker wrote a newer one";
    return Ok();
  }
  return PutTask(id, status);
}

Result<> StatusStore::DeleteConnector(const std::string& connector) {
  std::vector<int32_t> task_ids;
  {
    std::lock_guard lock(mu_);
    if (auto t = tasks_.find(connector); t != tasks_.end()) {
      for (const auto& [task, status] : t->second) task_ids.push_back(task);
    }
  }
  for (int32_t task : task_ids) FERRY_RETURN_IF_ERROR(Write(TaskKey({connector, task}), std::nullopt, -1));
  return Write(ConnectorKey(connector), std::nullopt, -1);
}

Result<> StatusStore::DeleteTask(const ConnectorTaskId& id) { return Write(TaskKey(id), std::nullopt, -1); }

Result<> StatusStore::PutTopic(const std::string& connector, const std::string& topic, int32_t task,
                               int64_t discover_ms) {
  if (connector.empty() || topic.empty() || topic.find(':') != std::string::npos) {
    return Error::BadRequest("invalid active topic '" + topic + "' of connector '" + connector + "'");
  }
  return Write(TopicKey(connector, topic), TopicValue(connector, topic, task, discover_ms), -1);
}

Result<> StatusStore::DeleteTopic(const std::string& connector, const std::string& topic) {
  return Write(TopicKey(connector, topic), std::nullopt, -1);
}

Result<> StatusStore::Flush(std::chrono::milliseconds timeout) {
  Result<> flushed = log_.Flush(timeout);
  if (!flushed.ok()) {
    // Some writes may never reach the topic: stop waiting for them to come back.
    std::lock_guard lock(mu_);
    pending_.clear();
  }
  return flushed;
}

Result<> StatusStore::Refresh(std::chrono::milliseconds timeout) { return log_.ReadToEnd(timeout); }

Result<> StatusStore::Write(const std::string& key, const std::optional<std::string>& value, int32_t generation) {
  auto parsed = ParseKey(key);
  if (!parsed) return Error::BadRequest("cannot write a status under the key '" + key + "' (empty name or invalid topic)");
  // What the write changes locally, to undo it if it cannot be sent.
  std::optional<Status> prior_status;
  std::map<int32_t, Status> prior_tasks;
  bool prior_topic = false;
  {
    std::lock_guard lock(mu_);
    switch (parsed->kind) {
      case StatusKey::Kind::kConnector:
        if (auto c = connectors_.find(parsed->connector); c != connectors_.end()) prior_status = c->second;
        if (auto t = tasks_.find(parsed->connector); t != tasks_.end()) prior_tasks = t->second;
        break;
      case StatusKey::Kind::kTask:
        if (auto t = tasks_.find(parsed->connector); t != tasks_.end()) {
          if (auto s = t->second.find(parsed->task); s != t->second.end()) prior_status = s->second;
        }
        break;
      case StatusKey::Kind::kTopic:
        if (auto t = topics_.find(parsed->connector); t != topics_.end()) prior_topic = t->second.count(parsed->topic) > 0;
        break;
    }
    pending_[key].push_back({value, generation});
    ApplyLocked(key, value, /*where=*/std::nullopt);
  }
  Result<> sent = log_.Send(key, value);
  if (sent.ok()) return sent;

  std::lock_guard lock(mu_);
  if (auto p = pending_.find(key); p != pending_.end()) {
    auto& writes = p->second;
    for (auto it = writes.rbegin(); it != writes.rend(); ++it) {
      if (it->value == value) {
        writes.erase(std::next(it).base());
        break;
      }
    }
    if (writes.empty()) pending_.erase(p);
  }
  switch (parsed->kind) {
    case StatusKey::Kind::kConnector:
      if (prior_status) {
        connectors_[parsed->connector] = *prior_status;
      } else {
        connectors_.erase(parsed->connector);
      }
      if (!value && !prior_tasks.empty()) tasks_[parsed->connector] = std::move(prior_tasks);
      break;
    case StatusKey::Kind::kTask:
      if (prior_status) {
        tasks_[parsed->connector][parsed->task] = *prior_status;
      } else if (auto t = tasks_.find(parsed->connector); t != tasks_.end()) {
        t->second.erase(parsed->task);
        if (t->second.empty()) tasks_.erase(t);
      }
      break;
    case StatusKey::Kind::kTopic:
      if (prior_topic) {
        topics_[parsed->connector].insert(parsed->topic);
      } else if (auto t = topics_.find(parsed->connector); t != topics_.end()) {
        t->second.erase(parsed->topic);
        if (t->second.empty()) topics_.erase(t);
      }
      break;
  }
  return sent;
}

void StatusStore::OnRecord(const kafka::LogRecord& record) {
  if (!record.key) {
    LOG(WARNING) << "Ignoring a status record without a key at " << record.Where();
    return;
  }
  const std::string& key = *record.key;
  std::lock_guard lock(mu_);
  if (auto p = pending_.find(key); p != pending_.end()) {
    auto& writes = p->second;
    auto own = std::find_if(writes.begin(), writes.end(), [&](const PendingWrite& w) { return w.value == record.value; });
    if (own != writes.end()) {
      // One of our writes came back; those before it never will (they failed).
      writes.erase(writes.begin(), std::next(own));
      if (!writes.empty()) return;  // a newer write of ours is still on its way and already applied
      pending_.erase(p);
    } else {
      // Someone else's record, written before ours unless another worker has since taken over.
      std::optional<Status> status;
      if (record.value && !StartsWith(key, kTopicPrefix)) status = ParseStatus(key, record.Where(), *record.value);
      if (!status || status->generation <= writes.back().generation) {
        VLOG(1) << "Status record '" << key << "' at offset " << record.offset
                << " predates this worker's own write; not applied";
        return;
      }
      pending_.erase(p);
    }
  }
  ApplyLocked(key, record.value, record.Where());
}

void StatusStore::ApplyLocked(const std::string& key, const std::optional<std::string>& value,
                              const std::optional<std::string>& where) {
  const bool from_log = where.has_value();
  const std::string_view place = from_log ? std::string_view(*where) : std::string_view("this worker's write");
  auto parsed = ParseKey(key);
  if (!parsed) {
    LOG(WARNING) << "Ignoring status record with invalid key '" << key << "' at " << place;
    return;
  }
  switch (parsed->kind) {
    case StatusKey::Kind::kConnector: {
      if (!value) {
        // A deleted connector takes its tasks' statuses with it.
        connectors_.erase(parsed->connector);
        tasks_.erase(parsed->connector);
        return;
      }
      auto status = ParseStatus(key, place, *value);
      if (status) connectors_[parsed->connector] = std::move(*status);
      return;
    }
    case StatusKey::Kind::kTask: {
      if (!value) {
        if (auto t = tasks_.find(parsed->connector); t != tasks_.end()) {
          t->second.erase(parsed->task);
          if (t->second.empty()) tasks_.erase(t);
        }
        return;
      }
      auto status = ParseStatus(key, place, *value);
      if (!status) return;
      auto& tasks = tasks_[parsed->connector];
      if (auto cached = tasks.find(parsed->task); from_log && cached != tasks.end() && status->state == "UNASSIGNED" &&
                                                   cached->second.state == "RUNNING" &&
                                                   cached->second.generation >= status->generation) {
        // A late UNASSIGNED from the previous owner must not hide the task running again.
        VLOG(1) << "Ignoring stale UNASSIGNED status of task " << parsed->connector << "-" << parsed->task;
        return;
      }
      tasks[parsed->task] = std::move(*status);
      return;
    }
    case StatusKey::Kind::kTopic: {
      if (!value) {
        if (auto t = topics_.find(parsed->connector); t != topics_.end()) {
          t->second.erase(parsed->topic);
          if (t->second.empty()) topics_.erase(t);
        }
        return;
      }
      if (IsTopicValue(key, place, *value)) topics_[parsed->connector].insert(parsed->topic);
      return;
    }
  }
}

std::optional<Status> StatusStore::GetConnector(const std::string& connector) const {
  std::lock_guard lock(mu_);
  auto c = connectors_.find(connector);
  if (c == connectors_.end()) return std::nullopt;
  return c->second;
}

std::optional<Status> StatusStore::GetTask(const ConnectorTaskId& id) const {
  std::lock_guard lock(mu_);
  auto t = tasks_.find(id.connector);
  if (t == tasks_.end()) return std::nullopt;
  auto s = t->second.find(id.task);
  if (s == t->second.end()) return std::nullopt;
  return s->second;
}

std::map<int32_t, Status> StatusStore::GetTasks(const std::string& connector) const {
  std::lock_guard lock(mu_);
  auto t = tasks_.find(connector);
  return t == tasks_.end() ? std::map<int32_t, Status>() : t->second;
}

std::set<std::string> StatusStore::Topics(const std::string& connector) const {
  std::lock_guard lock(mu_);
  auto t = topics_.find(connector);
  return t == topics_.end() ? std::set<std::string>() : t->second;
}

}  // namespace ferry::worker
