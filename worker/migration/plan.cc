#include "worker/migration/plan.h"

#include <algorithm>
#include <set>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "worker/common/json.h"

namespace ferry::migration {
namespace {

using Writer = json::Writer;
using Value = rapidjson::Value;


void WriteHook(Writer& w, const HookSpec& h) {
  w.StartObject();
  if (!h.command.empty()) json::StringsMember(w, "command", h.command);
  if (!h.url.empty()) json::StringMember(w, "url", h.url);
  w.Key("timeout_ms"), w.Int64(h.timeout_ms);
  w.EndObject();
}

void WriteOutcome(Writer& w, const HookOutcome& o) {
  w.StartObject();
  json::StringMember(w, "event", o.event);
  json::StringMember(w, "subject", o.subject);
  w.Key("ok"), w.Bool(o.ok);
  w.Key("exit_status"), o.exit_status ? w.Int(*o.exit_status) : w.Null();
  w.Key("http_status"), o.http_status ? w.Int(*o.http_status) : w.Null();
  json::StringMember(w, "output", json::ValidUtf8(o.output));
  json::StringMember(w, "error", o.error);
  w.Key("time_ms"), w.Int64(o.time_ms);
  w.Key("duration_ms"), w.Int64(o.duration_ms);
  w.EndObject();
}

// Readers of the stored form: absent or mistyped fields read as their defaults; what a plan cannot
// do without is checked by FromJson.
std::string GetStr(const Value& o, const char* key) {
  return o.IsObject() && o.HasMember(key) && o[key].IsString() ? o[key].GetString() : "";
}
int64_t GetInt(const Value& o, const char* key, int64_t fallback) {
  return o.IsObject() && o.HasMember(key) && o[key].IsInt64() ? o[key].GetInt64() : fallback;
}
std::optional<int> GetOptInt(const Value& o, const char* key) {
  if (!o.IsObject() || !o.HasMember(key) || !o[key].IsInt()) return std::nullopt;
  return o[key].GetInt();
}
bool GetBool(const Value& o, const char* key, bool fallback) {
  return o.IsObject() && o.HasMember(key) && o[key].IsBool() ? o[key].GetBool() : fallback;
}
std::vector<std::string> GetStrings(const Value& o, const char* key) {
  std::vector<std::string> out;
  if (!o.IsObject() || !o.HasMember(key) || !o[key].IsArray()) return out;
  for (const Value& v : o[key].GetArray()) {
    if (v.IsString()) out.emplace_back(v.GetString());
  }
  return out;
}

HookOutcome ReadOutcome(const Value& o) {
  HookOutcome h;
  h.event = GetStr(o, "event");
  h.subject = GetStr(o, "subject");
  h.ok = GetBool(o, "ok", false);
  h.exit_status = GetOptInt(o, "exit_status");
  h.http_status = GetOptInt(o, "http_status");
  h.output = GetStr(o, "output");
  h.error = GetStr(o, "error");
  h.time_ms = GetInt(o, "time_ms", 0);
  h.duration_ms = GetInt(o, "duration_ms", 0);
  return h;
}

// A hook as given (create request) or stored.
Result<HookSpec> ReadHook(const std::string& event, const Value& v) {
  auto bad = [&](const std::string& why) {
    return Error::BadRequest("hook '" + event + "': " + why +
                             R"( (expected {"command":["program","arg",...]} or {"url":"http://..."}, and "timeout_ms"))");
  };
  if (!v.IsObject()) return bad("not an object");
  HookSpec h;
  h.command = GetStrings(v, "command");
  h.url = GetStr(v, "url");
  h.timeout_ms = GetInt(v, "timeout_ms", h.timeout_ms);
  if (h.command.empty() == h.url.empty()) return bad("give exactly one of a command and a url");
  if (!h.url.empty() && h.url.rfind("http://", 0) != 0 && h.url.rfind("https://", 0) != 0) {
    return bad("the url must start with http:// or https://");
  }
  if (h.timeout_ms < 1 || h.timeout_ms > 600'000) return bad("timeout_ms must be from 1 to 600000");
  return h;
}

Result<std::map<std::string, HookSpec>> ReadHooks(const Value& o) {
  std::map<std::string, HookSpec> hooks;
  if (!o.IsObject() || !o.HasMember("hooks")) return hooks;
  if (!o["hooks"].IsObject()) return Error::BadRequest("\"hooks\" must be an object keyed by event");
  for (const auto& m : o["hooks"].GetObject()) {
    const std::string event = m.name.GetString();
    if (std::find_if(std::begin(kHookEvents), std::end(kHookEvents),
                     [&](const char* e) { return event == e; }) == std::end(kHookEvents)) {
      std::string known;
      for (const char* e : kHookEvents) known += (known.empty() ? "" : ", ") + std::string(e);
      return Error::BadRequest("unknown hook event '" + event + "'; the events are " + known);
    }
    auto hook = ReadHook(event, m.value);
    if (!hook.ok()) return hook.error();
    hooks[event] = std::move(*hook);
  }
  return hooks;
}

Result<Gates> ReadGates(const Value& o) {
  Gates g;
  if (!o.IsObject() || !o.HasMember("gates")) return g;
  const Value& v = o["gates"];
  if (!v.IsObject()) return Error::BadRequest("\"gates\" must be an object");
  g.max_lag = GetInt(v, "max_lag", g.max_lag);
  g.fence_quiet_ms = GetInt(v, "fence_quiet_ms", g.fence_quiet_ms);
  g.allow_approximate = GetBool(v, "allow_approximate", g.allow_approximate);
  if (g.max_lag < 0) return Error::BadRequest("gates.max_lag must be 0 or more records");
  if (g.fence_quiet_ms < 0 || g.fence_quiet_ms > 3'600'000) {
    return Error::BadRequest("gates.fence_quiet_ms must be from 0 to 3600000");
  }
  return g;
}

}  // namespace

const char* StageName(Stage stage) {
  switch (stage) {
    case Stage::kGroups: return "groups";
    case Stage::kProducers: return "producers";
    case Stage::kFence: return "fence";
    case Stage::kVerify: return "verify";
    case Stage::kDone: return "done";
  }
  return "groups";
}

bool Migration::done() const {
  return std::all_of(topics.begin(), topics.end(), [](const TopicStage& t) { return t.stage == Stage::kDone; });
}

std::string Migration::ToJson() const {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  json::StringMember(w, "name", name);
  json::StringMember(w, "connector", connector);
  w.Key("version"), w.Int64(version);
  json::StringMember(w, "writer", writer);
  w.Key("created_ms"), w.Int64(created_ms);
  w.Key("updated_ms"), w.Int64(updated_ms);
  w.Key("done"), w.Bool(done());
  w.Key("discovered_groups"), w.Bool(discovered);
  w.Key("gates"), w.StartObject();
  w.Key("max_lag"), w.Int64(gates.max_lag);
  w.Key("fence_quiet_ms"), w.Int64(gates.fence_quiet_ms);
  w.Key("allow_approximate"), w.Bool(gates.allow_approximate);
  w.EndObject();
  w.Key("hooks"), w.StartObject();
  for (const auto& [event, hook] : hooks) w.Key(event.c_str()), WriteHook(w, hook);
  w.EndObject();
  w.Key("topics"), w.StartArray();
  for (const TopicStage& t : topics) {
    w.StartObject();
    json::StringMember(w, "topic", t.topic);
    json::StringMember(w, "stage", StageName(t.stage));
    w.Key("groups"), w.StartArray();
    for (const GroupStage& g : t.groups) {
      w.StartObject();
      json::StringMember(w, "group", g.group);
      json::StringMember(w, "state", g.state);
      w.Key("moved_ms"), w.Int64(g.moved_ms);
      if (g.hook) w.Key("hook"), WriteOutcome(w, *g.hook);
      json::StringsMember(w, "blockers", g.blockers);
      w.EndObject();
    }
    w.EndArray();
    json::StringMember(w, "producers_moved_by", t.producers_moved_by);
    w.Key("producers_moved_ms"), w.Int64(t.producers_moved_ms);
    w.Key("fence"), w.StartObject();
    w.Key("since_ms"), w.Int64(t.fence_since_ms);
    w.Key("ends"), w.StartArray();
    for (const auto& [p, end] : t.fence_ends) {
      w.StartObject();
      w.Key("partition"), w.Int(p);
      w.Key("end"), w.Int64(end);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
    w.Key("verified"), w.StartArray();
    for (const VerifiedPartition& v : t.verified) {
      w.StartObject();
      w.Key("partition"), w.Int(v.partition);
      w.Key("start"), w.Int64(v.start);
      w.Key("end"), w.Int64(v.end);
      w.Key("records"), w.Int64(v.records);
      json::StringMember(w, "source_digest", v.source_digest);
      json::StringMember(w, "target_digest", v.target_digest);
      w.EndObject();
    }
    w.EndArray();
    w.Key("hooks"), w.StartObject();
    for (const auto& [event, outcome] : t.hooks) w.Key(event.c_str()), WriteOutcome(w, outcome);
    w.EndObject();
    json::StringsMember(w, "blockers", t.blockers);
    w.EndObject();
  }
  w.EndArray();
  if (done_hook) w.Key("done_hook"), WriteOutcome(w, *done_hook);
  w.EndObject();
  return buffer.GetString();
}

Result<Migration> Migration::FromJson(const std::string& text) {
  auto doc = json::Parse(text, "migration plan");
  if (!doc.ok()) return doc.error();
  const Value& v = *doc;
  Migration m;
  m.name = GetStr(v, "name");
  m.connector = GetStr(v, "connector");
  m.version = GetInt(v, "version", 0);
  if (m.name.empty() || m.version < 1 || !v.HasMember("topics") || !v["topics"].IsArray()) {
    return Error::Corrupt("migration plan without a name, version or topics: " + text.substr(0, 200));
  }
  m.writer = GetStr(v, "writer");
  m.created_ms = GetInt(v, "created_ms", 0);
  m.updated_ms = GetInt(v, "updated_ms", 0);
  m.discovered = GetBool(v, "discovered_groups", false);
  auto gates = ReadGates(v);
  if (!gates.ok()) return Error::Corrupt("migration plan '" + m.name + "': " + gates.error().message());
  m.gates = *gates;
  auto hooks = ReadHooks(v);
  if (!hooks.ok()) return Error::Corrupt("migration plan '" + m.name + "': " + hooks.error().message());
  m.hooks = std::move(*hooks);
  for (const Value& t : v["topics"].GetArray()) {
    TopicStage topic;
    topic.topic = GetStr(t, "topic");
    const std::string stage = GetStr(t, "stage");
    for (Stage s : {Stage::kGroups, Stage::kProducers, Stage::kFence, Stage::kVerify, Stage::kDone}) {
      if (stage == StageName(s)) topic.stage = s;
    }
    if (t.HasMember("groups") && t["groups"].IsArray()) {
      for (const Value& g : t["groups"].GetArray()) {
        GroupStage group;
        group.group = GetStr(g, "group");
        group.state = GetStr(g, "state");
        group.moved_ms = GetInt(g, "moved_ms", 0);
        if (g.HasMember("hook")) group.hook = ReadOutcome(g["hook"]);
        group.blockers = GetStrings(g, "blockers");
        topic.groups.push_back(std::move(group));
      }
    }
    topic.producers_moved_by = GetStr(t, "producers_moved_by");
    topic.producers_moved_ms = GetInt(t, "producers_moved_ms", 0);
    if (t.HasMember("fence") && t["fence"].IsObject()) {
      const Value& f = t["fence"];
      topic.fence_since_ms = GetInt(f, "since_ms", -1);
      if (f.HasMember("ends") && f["ends"].IsArray()) {
        for (const Value& e : f["ends"].GetArray()) {
          topic.fence_ends[static_cast<int32_t>(GetInt(e, "partition", 0))] = GetInt(e, "end", 0);
        }
      }
    }
    if (t.HasMember("verified") && t["verified"].IsArray()) {
      for (const Value& p : t["verified"].GetArray()) {
        topic.verified.push_back({static_cast<int32_t>(GetInt(p, "partition", 0)), GetInt(p, "start", 0),
                                  GetInt(p, "end", 0), GetInt(p, "records", 0), GetStr(p, "source_digest"),
                                  GetStr(p, "target_digest")});
      }
    }
    if (t.HasMember("hooks") && t["hooks"].IsObject()) {
      for (const auto& h : t["hooks"].GetObject()) topic.hooks[h.name.GetString()] = ReadOutcome(h.value);
    }
    topic.blockers = GetStrings(t, "blockers");
    m.topics.push_back(std::move(topic));
  }
  if (v.HasMember("done_hook")) m.done_hook = ReadOutcome(v["done_hook"]);
  return m;
}

Result<CreateRequest> ParseCreateRequest(const std::string& body) {
  auto doc = json::Parse(body, "the request body");
  if (!doc.ok()) return Error::BadRequest(doc.error().message());
  const Value& v = *doc;
  if (!v.IsObject()) return Error::BadRequest("the body is not a JSON object");
  CreateRequest r;
  r.name = GetStr(v, "name");
  if (r.name.empty() || r.name.size() > 200 ||
      r.name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != std::string::npos) {
    return Error::BadRequest("\"name\" must be 1 to 200 letters, digits, '.', '_' or '-'");
  }
  if (v.HasMember("connector")) {
    if (!v["connector"].IsString()) return Error::BadRequest("\"connector\" must name the mirror");
    r.connector = v["connector"].GetString();
  }
  r.topics = GetStrings(v, "topics");
  if (r.topics.empty() || !v["topics"].IsArray() || r.topics.size() != v["topics"].Size()) {
    return Error::BadRequest("\"topics\" must be a non-empty array of the source topics to move, in order");
  }
  if (std::set<std::string>(r.topics.begin(), r.topics.end()).size() != r.topics.size()) {
    return Error::BadRequest("\"topics\" names a topic twice");
  }
  if (v.HasMember("groups") && !(v["groups"].IsString() && std::string(v["groups"].GetString()) == "discover")) {
    if (!v["groups"].IsArray()) {
      return Error::BadRequest("\"groups\" must be a list of groups, or \"discover\" (every group consuming the topics)");
    }
    r.groups = GetStrings(v, "groups");
    if (r.groups->size() != v["groups"].Size()) return Error::BadRequest("\"groups\" must hold group names");
  }
  auto gates = ReadGates(v);
  if (!gates.ok()) return gates.error();
  r.gates = *gates;
  auto hooks = ReadHooks(v);
  if (!hooks.ok()) return hooks.error();
  r.hooks = std::move(*hooks);
  return r;
}

}  // namespace ferry::migration
