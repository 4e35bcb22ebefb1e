#include "worker/cutover/journal.h"

#include <glog/logging.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "worker/common/json.h"

namespace ferry::cutover {

const char* DirectionName(Direction direction) {
  return direction == Direction::kCutover ? "cutover" : "rollback";
}

const char* StateName(JournalEntry::State state) {
  switch (state) {
    case JournalEntry::State::kCommitting: return "committing";
    case JournalEntry::State::kDone: return "done";
    case JournalEntry::State::kFailed: return "failed";
  }
  return "committing";
}

std::string JournalEntry::ToJson() const {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("group"), w.String(group.c_str());
  w.Key("direction"), w.String(DirectionName(direction));
  w.Key("state"), w.String(StateName(state));
  w.Key("time_ms"), w.Int64(time_ms);
  w.Key("connector"), w.String(connector.c_str());
  w.Key("partitions"), w.StartArray();
  for (const CommittedPartition& p : partitions) {
    w.StartObject();
    w.Key("from_topic"), w.String(p.from.topic.c_str());
    w.Key("from_partition"), w.Int(p.from.partition);
    w.Key("from_offset"), w.Int64(p.from_offset);
    w.Key("topic"), w.String(p.to.topic.c_str());
    w.Key("partition"), w.Int(p.to.partition);
    w.Key("offset"), w.Int64(p.offset);
    w.Key("previous");
    p.previous ? w.Int64(*p.previous) : w.Null();
    w.EndObject();
  }
  w.EndArray();
  if (state == State::kFailed) {
    w.Key("error"), w.String(error.c_str());
    w.Key("restored"), w.Bool(restored);
  }
  w.EndObject();
  return buffer.GetString();
}

Result<JournalEntry> JournalEntry::FromJson(const std::string& text) {
  auto doc = json::Parse(text, "cutover journal entry");
  if (!doc.ok()) return doc.error();
  auto bad = [&](const std::string& why) { return Error::Corrupt("cutover journal entry: " + why + ": " + text); };
  const rapidjson::Value& v = *doc;
  auto str = [&](const rapidjson::Value& o, const char* key) -> const char* {
    return o.IsObject() && o.HasMember(key) && o[key].IsString() ? o[key].GetString() : nullptr;
  };
  auto num = [&](const rapidjson::Value& o, const char* key) -> std::optional<int64_t> {
    if (!o.IsObject() || !o.HasMember(key) || !o[key].IsInt64()) return std::nullopt;
    return o[key].GetInt64();
  };
  JournalEntry e;
  const char* group = str(v, "group");
  const char* direction = str(v, "direction");
  const char* state = str(v, "state");
  const auto time = num(v, "time_ms");
  const char* connector = str(v, "connector");
  if (!group || !direction || !state || !time || !connector || !v.HasMember("partitions") || !v["partitions"].IsArray()) {
    return bad("missing fields");
  }
  e.group = group;
  e.connector = connector;
  e.time_ms = *time;
  if (std::string(direction) == "cutover") e.direction = Direction::kCutover;
  else if (std::string(direction) == "rollback") e.direction = Direction::kRollback;
  else return bad("unknown direction");
  const std::string s = state;
  if (s == "committing") e.state = State::kCommitting;
  else if (s == "done") e.state = State::kDone;
  else if (s == "failed") e.state = State::kFailed;
  else return bad("unknown state");
  for (const auto& p : v["partitions"].GetArray()) {
    const char* from_topic = str(p, "from_topic");
    const char* topic = str(p, "topic");
    const auto from_partition = num(p, "from_partition");
    const auto from_offset = num(p, "from_offset");
    const auto partition = num(p, "partition");
    const auto offset = num(p, "offset");
    if (!from_topic || !topic || !from_partition || !from_offset || !partition || !offset || !p.HasMember("previous")) {
      return bad("a partition lacks fields");
    }
    CommittedPartition c{{from_topic, static_cast<int32_t>(*from_partition)}, *from_offset,
                         {topic, static_cast<int32_t>(*partition)}, *offset, num(p, "previous")};
    e.partitions.push_back(std::move(c));
  }
  if (e.state == State::kFailed) {
    const char* error = str(v, "error");
    if (!error || !v.HasMember("restored") || !v["restored"].IsBool()) return bad("a failure lacks its reason");
    e.error = error;
    e.restored = v["restored"].GetBool();
  }
  return e;
}

Result<> CutoverJournal::Start(std::chrono::milliseconds timeout) {
  return log_.Start([this](const kafka::LogRecord& record) { OnRecord(record); }, timeout);
}

void CutoverJournal::OnRecord(const kafka::LogRecord& record) {
  if (!record.key || !record.value) return;
  auto entry = JournalEntry::FromJson(*record.value);
  if (!entry.ok()) {
    LOG(WARNING) << "Skipping cutover journal record at " << record.Where() << ": " << entry.error().message();
    return;
  }
  std::lock_guard lock(mu_);
  latest_[entry->group] = std::move(*entry);
}

Result<> CutoverJournal::Append(const JournalEntry& entry, std::chrono::milliseconds timeout) {
  FERRY_RETURN_IF_ERROR(log_.Send(entry.group, entry.ToJson()));
  return log_.Flush(timeout);
}

Result<std::optional<JournalEntry>> CutoverJournal::Latest(const std::string& group, std::chrono::milliseconds timeout) {
  FERRY_RETURN_IF_ERROR(log_.ReadToEnd(timeout));
  std::lock_guard lock(mu_);
  auto it = latest_.find(group);
  if (it == latest_.end()) return std::optional<JournalEntry>();
  return std::optional<JournalEntry>(it->second);
}

void CutoverJournal::ForEachLatest(const std::function<void(const JournalEntry&)>& visit) const {
  std::lock_guard lock(mu_);
  for (const auto& [group, entry] : latest_) visit(entry);
}

}  // namespace ferry::cutover
