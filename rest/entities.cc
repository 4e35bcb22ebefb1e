#include "rest/entities.h"

#include <cctype>
#include <string>
#include <string_view>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "connectors/registry.h"
#include "worker/common/json.h"

namespace ferry::rest {
namespace {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

// Strict parsing: valid UTF-8, doubles to full precision. Comments, trailing commas, NaN and text
// after the value are rejected by rapidjson's defaults.
constexpr unsigned kStrict = rapidjson::kParseValidateEncodingFlag | rapidjson::kParseFullPrecisionFlag;
// For settings maps: numbers arrive as their text, as Jackson's String deserializer reads them.
constexpr unsigned kNumbersAsText = kStrict | rapidjson::kParseNumbersAsStringsFlag;

constexpr char kAlterOffsetsNeedOffsets[] = "Partitions / offsets need to be provided for an alter offsets request";

void Str(JsonWriter& w, std::string_view s) { w.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); }
void Key(JsonWriter& w, std::string_view s) { w.Key(s.data(), static_cast<rapidjson::SizeType>(s.size())); }

std::string Text(const rapidjson::StringBuffer& buffer) { return std::string(buffer.GetString(), buffer.GetSize()); }

// Builds a JSON text with `body(writer)`.
template <typename F>
std::string Write(F&& body) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  body(w);
  return Text(buffer);
}

void WriteStringArray(JsonWriter& w, const std::vector<std::string>& items) {
  w.StartArray();
  for (const std::string& s : items) Str(w, s);
  w.EndArray();
}

void WriteProperties(JsonWriter& w, const Properties& config) {
  w.StartObject();
  for (const auto& [k, v] : config) {
    Key(w, k);
    Str(w, v);
  }
  w.EndObject();
}

void WriteTaskId(JsonWriter& w, const ConnectorTaskId& id) {
  w.StartObject();
  Key(w, "connector");
  Str(w, id.connector);
  Key(w, "task");
  w.Int(id.task);
  w.EndObject();
}

void WriteConnectorInfo(JsonWriter& w, const worker::ConnectorInfo& info) {
  w.StartObject();
  Key(w, "name");
  Str(w, info.name);
  Key(w, "config");
  WriteProperties(w, connectors::ConfigForDisplay(info.config));  // secrets hidden; GET .../config is raw
  Key(w, "tasks");
  w.StartArray();
  for (const ConnectorTaskId& id : info.tasks) WriteTaskId(w, id);
  w.EndArray();
  Key(w, "type");
  Str(w, info.type);
  w.EndObject();
}

// state, worker_id, then trace only when it is not empty (@JsonInclude(NON_EMPTY)).
void WriteStateFields(JsonWriter& w, const worker::StateInfo& state) {
  Key(w, "state");
  Str(w, state.state);
  Key(w, "worker_id");
  Str(w, state.worker_id);
  if (state.trace && !state.trace->empty()) {
    Key(w, "trace");
    Str(w, *state.trace);
  }
}

void WriteTaskState(JsonWriter& w, const worker::TaskStateInfo& task) {
  w.StartObject();
  Key(w, "id");
  w.Int(task.id);
  WriteStateFields(w, task.state);
  w.EndObject();
}

void WriteConnectorState(JsonWriter& w, const worker::ConnectorStateInfo& state) {
  w.StartObject();
  Key(w, "name");
  Str(w, state.name);
  Key(w, "connector");
  w.StartObject();
  WriteStateFields(w, state.connector);
  w.EndObject();
  Key(w, "tasks");
  w.StartArray();
  for (const worker::TaskStateInfo& task : state.tasks) WriteTaskState(w, task);
  w.EndArray();
  Key(w, "type");
  Str(w, state.type);
  w.EndObject();
}

void WriteOptionalString(JsonWriter& w, const std::optional<std::string>& s) {
  if (s) {
    Str(w, *s);
  } else {
    w.Null();
  }
}

// A LIST default as Connect shows it: the parsed list joined by "," (ConfigDef.convertToString), so
// "a, b" is "a,b" (measured against a Connect worker).
std::string ListDefault(std::string_view declared) {
  auto trim = [](std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
  };
  std::string out;
  std::string_view rest = trim(declared);
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    out += trim(rest.substr(0, comma));
    if (comma == std::string_view::npos) break;
    out += ',';
    rest = rest.substr(comma + 1);
  }
  return out;
}

// ConfigKeyInfo. Jackson writes the creator's properties first, in its order, and then the getter-only
// `order` (the creator's `order_in_group` has no getter), so `order` comes last.
void WriteConfigKey(JsonWriter& w, const connectors::ConfigKey& key) {
  w.StartObject();
  Key(w, "name");
  Str(w, key.name);
  Key(w, "type");
  Str(w, connectors::ConfigTypeName(key.type));
  Key(w, "required");
  w.Bool(key.required());
  Key(w, "default_value");
  if (key.default_value && key.type == connectors::ConfigType::kPassword) {
    Str(w, "[hidden]");
  } else if (key.default_value && key.type == connectors::ConfigType::kList) {
    Str(w, ListDefault(*key.default_value));
  } else {
    WriteOptionalString(w, key.default_value);
  }
  Key(w, "importance");
  Str(w, connectors::ImportanceName(key.importance));
  Key(w, "documentation");
  Str(w, key.documentation);
  Key(w, "group");
  if (key.group.empty()) {
    w.Null();
  } else {
    Str(w, key.group);
  }
  Key(w, "width");
  Str(w, connectors::WidthName(key.width));
  Key(w, "display_name");
  Str(w, key.display_name.empty() ? key.name : key.display_name);
  Key(w, "dependents");
  WriteStringArray(w, key.dependents);
  Key(w, "order");
  w.Int(key.order_in_group);
  w.EndObject();
}

void WriteConfigValue(JsonWriter& w, const connectors::ConfigValueInfo& value) {
  w.StartObject();
  Key(w, "name");
  Str(w, value.name);
  Key(w, "value");
  WriteOptionalString(w, value.value);
  Key(w, "recommended_values");
  WriteStringArray(w, value.recommended_values);
  Key(w, "errors");
  WriteStringArray(w, value.errors);
  Key(w, "visible");
  w.Bool(value.visible);
  w.EndObject();
}

void WriteLoggerLevel(JsonWriter& w, const LoggerLevel& level) {
  w.StartObject();
  Key(w, "level");
  Str(w, level.level);
  Key(w, "last_modified");
  if (level.last_modified) {
    w.Int64(*level.last_modified);
  } else {
    w.Null();
  }
  w.EndObject();
}

// --- parsing ---

const char* Kind(const rapidjson::Value& v) {
  if (v.IsNull()) return "null";
  if (v.IsBool()) return "a boolean";
  if (v.IsObject()) return "an object";
  if (v.IsArray()) return "an array";
  if (v.IsString()) return "a string";
  return "a number";
}

std::string_view View(const rapidjson::Value& s) { return std::string_view(s.GetString(), s.GetStringLength()); }

template <unsigned kFlags>
Result<rapidjson::Document> ParseDocument(std::string_view body) {
  // Checked before parsing: RapidJSON's parser recurses per level and would overflow the stack.
  if (std::optional<size_t> offset = json::FindExcessNesting(body)) {
    return Error::BadRequest("Malformed JSON in request body: " + json::TooDeepMessage(*offset) + ".");
  }
  if (std::optional<size_t> offset = json::FindNumberOutOfRange(body)) {
    return Error::BadRequest("Malformed JSON in request body: " + json::OutOfRangeMessage(*offset) + ".");
  }
  rapidjson::Document doc;
  doc.Parse<kFlags>(body.data(), body.size());
  if (doc.HasParseError()) {
    return Error::BadRequest("Malformed JSON in request body at offset " + std::to_string(doc.GetErrorOffset()) + ": " +
                             rapidjson::GetParseError_En(doc.GetParseError()));
  }
  return doc;
}

// A settings value read as Jackson reads a String: strings as they are, numbers (already text, see
// kNumbersAsText) and booleans as their text, null as nullopt.
Result<std::optional<std::string>> SettingValue(std::string_view key, const rapidjson::Value& v) {
  if (v.IsNull()) return std::optional<std::string>();
  if (v.IsString()) return std::optional<std::string>(std::string(View(v)));
  if (v.IsBool()) return std::optional<std::string>(v.GetBool() ? "true" : "false");
  return Error::BadRequest("Invalid value for '" + std::string(key) +
                           "': expected a string, number or boolean but got " + Kind(v));
}

Result<NullableProperties> SettingsObject(const rapidjson::Value& v, std::string_view what) {
  if (!v.IsObject()) {
    return Error::BadRequest(std::string(what) + " must be a JSON object of settings, not " + Kind(v));
  }
  NullableProperties out;
  for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
    const std::string key(View(it->name));
    Result<std::optional<std::string>> value = SettingValue(key, it->value);
    if (!value.ok()) return value.error();
    out[key] = std::move(value).value();  // a repeated key: the last one wins, as in Jackson
  }
  return out;
}

std::string JavaTrim(std::string_view s) {
  size_t b = 0;
  size_t e = s.size();
  while (b < e && static_cast<unsigned char>(s[b]) <= ' ') ++b;
  while (e > b && static_cast<unsigned char>(s[e - 1]) <= ' ') --e;
  return std::string(s.substr(b, e - b));
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string Compact(const rapidjson::Value& v) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  v.Accept(w);
  return Text(buffer);
}

// Embeds JSON text as a value; false if it is not one valid JSON value.
bool EmbedJson(JsonWriter& w, const std::string& json) {
  if (json::FindExcessNesting(json) || json::FindNumberOutOfRange(json)) return false;
  rapidjson::Document doc;
  doc.Parse<kStrict>(json.data(), json.size());
  if (doc.HasParseError()) return false;
  return doc.Accept(w);
}

}  // namespace

std::string ToJson(const worker::ServerInfo& info) {
  return Write([&](JsonWriter& w) {
    w.StartObject();
    Key(w, "version");
    Str(w, info.version);
    Key(w, "commit");
    Str(w, info.commit);
    Key(w, "kafka_cluster_id");
    Str(w, info.kafka_cluster_id);
    w.EndObject();
  });
}

std::string ToJson(const worker::ConnectorInfo& info) {
  return Write([&](JsonWriter& w) { WriteConnectorInfo(w, info); });
}

std::string ToJson(const worker::ConnectorStateInfo& state) {
  return Write([&](JsonWriter& w) { WriteConnectorState(w, state); });
}

std::string ToJson(const worker::TaskStateInfo& task) {
  return Write([&](JsonWriter& w) { WriteTaskState(w, task); });
}

std::string ToJson(const std::vector<worker::TaskInfo>& tasks) {
  return Write([&](JsonWriter& w) {
    w.StartArray();
    for (const worker::TaskInfo& task : tasks) {
      w.StartObject();
      Key(w, "id");
      WriteTaskId(w, task.id);
      Key(w, "config");
      WriteProperties(w, connectors::ConfigForDisplay(task.config));
      w.EndObject();
    }
    w.EndArray();
  });
}

std::string ToJson(const std::vector<std::string>& strings) {
  return Write([&](JsonWriter& w) { WriteStringArray(w, strings); });
}

std::string ToJson(const Properties& config) {
  return Write([&](JsonWriter& w) { WriteProperties(w, config); });
}

std::string ToJson(const connectors::ConfigInfos& infos) {
  return Write([&](JsonWriter& w) {
    w.StartObject();
    Key(w, "name");
    Str(w, infos.name);
    Key(w, "error_count");
    w.Int(infos.error_count);
    Key(w, "groups");
    WriteStringArray(w, infos.groups);
    Key(w, "configs");
    w.StartArray();
    for (const connectors::ConfigInfo& info : infos.configs) {
      w.StartObject();
      Key(w, "definition");
      if (info.definition) {
        WriteConfigKey(w, *info.definition);
      } else {
        w.Null();
      }
      Key(w, "value");
      if (info.value) {
        WriteConfigValue(w, *info.value);
      } else {
        w.Null();
      }
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  });
}

std::string ToJson(const std::vector<connectors::ConfigKey>& keys) {
  return Write([&](JsonWriter& w) {
    w.StartArray();
    for (const connectors::ConfigKey& key : keys) WriteConfigKey(w, key);
    w.EndArray();
  });
}

std::string ToJson(const std::vector<worker::PluginInfo>& plugins) {
  return Write([&](JsonWriter& w) {
    w.StartArray();
    for (const worker::PluginInfo& plugin : plugins) {
      w.StartObject();
      Key(w, "class");
      Str(w, plugin.class_name);
      Key(w, "type");
      Str(w, plugin.type);
      // Connect leaves out a version of "undefined" (PluginInfo.NoVersionFilter).
      if (!plugin.version.empty() && plugin.version != "undefined") {
        Key(w, "version");
        Str(w, plugin.version);
      }
      w.EndObject();
    }
    w.EndArray();
  });
}

std::string ToJson(const LoggerLevel& level) {
  return Write([&](JsonWriter& w) { WriteLoggerLevel(w, level); });
}

std::string ToJson(const std::map<std::string, LoggerLevel>& levels) {
  return Write([&](JsonWriter& w) {
    w.StartObject();
    for (const auto& [name, level] : levels) {
      Key(w, name);
      WriteLoggerLevel(w, level);
    }
    w.EndObject();
  });
}

Result<std::string> OffsetsToJson(const std::vector<worker::ConnectorOffset>& offsets) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  Key(w, "offsets");
  w.StartArray();
  for (const worker::ConnectorOffset& offset : offsets) {
    w.StartObject();
    Key(w, "partition");
    if (!EmbedJson(w, offset.partition_json)) {
      return Error::Internal("the herder returned a source partition that is not valid JSON: " + offset.partition_json);
    }
    Key(w, "offset");
    if (!offset.offset_json) {
      w.Null();
    } else if (!EmbedJson(w, *offset.offset_json)) {
      return Error::Internal("the herder returned an offset that is not valid JSON: " + *offset.offset_json);
    }
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return Text(buffer);
}

std::string TasksConfigToJson(const std::vector<worker::TaskInfo>& tasks) {
  return Write([&](JsonWriter& w) {
    w.StartObject();
    for (const worker::TaskInfo& task : tasks) {
      Key(w, task.id.ToString());
      WriteProperties(w, connectors::ConfigForDisplay(task.config));
    }
    w.EndObject();
  });
}

std::string ActiveTopicsToJson(const std::string& connector, const std::vector<std::string>& topics) {
  return Write([&](JsonWriter& w) {
    w.StartObject();
    Key(w, connector);
    w.StartObject();
    Key(w, "topics");
    WriteStringArray(w, topics);
    w.EndObject();
    w.EndObject();
  });
}

std::string ExpansionsToJson(const std::vector<ConnectorExpansion>& connectors) {
  return Write([&](JsonWriter& w) {
    w.StartObject();
    for (const ConnectorExpansion& connector : connectors) {
      Key(w, connector.name);
      w.StartObject();
      for (const auto& [part, json] : connector.parts) {
        Key(w, part);
        w.RawValue(json.data(), json.size(), rapidjson::kObjectType);
      }
      w.EndObject();
    }
    w.EndObject();
  });
}

std::string MessageToJson(std::string_view message) {
  return Write([&](JsonWriter& w) {
    w.StartObject();
    Key(w, "message");
    Str(w, message);
    w.EndObject();
  });
}

std::string WorkerStatusToJson(std::string_view status, std::string_view message) {
  return Write([&](JsonWriter& w) {
    w.StartObject();
    Key(w, "status");
    Str(w, status);
    Key(w, "message");
    Str(w, message);
    w.EndObject();
  });
}

Result<CreateConnectorRequest> ParseCreateConnectorRequest(std::string_view body) {
  Result<rapidjson::Document> doc = ParseDocument<kNumbersAsText>(body);
  if (!doc.ok()) return doc.error();
  if (!doc->IsObject()) {
    return Error::BadRequest(std::string("A create connector request must be a JSON object, not ") + Kind(*doc));
  }
  CreateConnectorRequest request;
  for (auto it = doc->MemberBegin(); it != doc->MemberEnd(); ++it) {
    const std::string_view field = View(it->name);
    const rapidjson::Value& v = it->value;
    if (field == "name") {
      if (v.IsNull()) {
        request.name.clear();
      } else if (v.IsString()) {
        request.name = JavaTrim(View(v));
      } else if (v.IsBool()) {
        request.name = v.GetBool() ? "true" : "false";
      } else {
        return Error::BadRequest(std::string("Invalid 'name' in create connector request: expected a string but got ") +
                                 Kind(v));
      }
    } else if (field == "config") {
      if (v.IsNull()) {
        request.config.reset();
        continue;
      }
      Result<NullableProperties> config = SettingsObject(v, "'config' in a create connector request");
      if (!config.ok()) return config.error();
      request.config = std::move(config).value();
    } else if (field == "initial_state") {
      if (v.IsNull()) {
        request.initial_state.reset();
        continue;
      }
      const std::string state = v.IsString() ? Upper(View(v)) : "";
      if (state == "RUNNING") {
        request.initial_state = TargetState::kStarted;
      } else if (state == "PAUSED") {
        request.initial_state = TargetState::kPaused;
      } else if (state == "STOPPED") {
        request.initial_state = TargetState::kStopped;
      } else {
        const std::string shown = v.IsString() ? "'" + std::string(View(v)) + "'" : Kind(v);
        return Error::BadRequest("Invalid 'initial_state' " + shown +
                                 " in create connector request: must be one of RUNNING, PAUSED, STOPPED");
      }
    } else {
      return Error::BadRequest("Unrecognized field \"" + std::string(field) +
                               "\" in create connector request (known fields: name, config, initial_state)");
    }
  }
  return request;
}

Result<NullableProperties> ParseConfigObject(std::string_view body) {
  Result<rapidjson::Document> doc = ParseDocument<kNumbersAsText>(body);
  if (!doc.ok()) return doc.error();
  return SettingsObject(*doc, "The request body");
}

Result<std::vector<worker::ConnectorOffset>> ParseConnectorOffsets(std::string_view body) {
  Result<rapidjson::Document> doc = ParseDocument<kStrict>(body);
  if (!doc.ok()) return doc.error();
  if (!doc->IsObject()) {
    return Error::BadRequest(std::string("An alter offsets request must be a JSON object, not ") + Kind(*doc));
  }
  const rapidjson::Value* offsets = nullptr;
  for (auto it = doc->MemberBegin(); it != doc->MemberEnd(); ++it) {
    if (View(it->name) != "offsets") {
      return Error::BadRequest("Unrecognized field \"" + std::string(View(it->name)) +
                               "\" in alter offsets request (known fields: offsets)");
    }
    offsets = &it->value;
  }
  if (offsets == nullptr || offsets->IsNull()) return Error::BadRequest(kAlterOffsetsNeedOffsets);
  if (!offsets->IsArray()) {
    return Error::BadRequest(std::string("'offsets' must be an array of {\"partition\":...,\"offset\":...}, not ") +
                             Kind(*offsets));
  }
  if (offsets->Empty()) return Error::BadRequest(kAlterOffsetsNeedOffsets);
  std::vector<worker::ConnectorOffset> out;
  for (const rapidjson::Value& entry : offsets->GetArray()) {
    if (!entry.IsObject()) {
      return Error::BadRequest(std::string("Each element of 'offsets' must be an object, not ") + Kind(entry));
    }
    const rapidjson::Value* partition = nullptr;
    const rapidjson::Value* offset = nullptr;
    for (auto it = entry.MemberBegin(); it != entry.MemberEnd(); ++it) {
      const std::string_view field = View(it->name);
      if (field == "partition") {
        partition = &it->value;
      } else if (field == "offset") {
        offset = &it->value;
      } else {
        return Error::BadRequest("Unrecognized field \"" + std::string(field) +
                                 "\" in an element of 'offsets' (known fields: partition, offset)");
      }
    }
    if (partition == nullptr || partition->IsNull()) {
      return Error::BadRequest("The partition for a connector offset cannot be null or missing");
    }
    if (!partition->IsObject()) {
      return Error::BadRequest(std::string("The partition for a connector offset must be an object, not ") +
                               Kind(*partition));
    }
    worker::ConnectorOffset parsed;
    parsed.partition_json = Compact(*partition);
    if (offset != nullptr && !offset->IsNull()) {
      if (!offset->IsObject()) {
        return Error::BadRequest(std::string("The offset for a connector offset must be an object or null, not ") +
                                 Kind(*offset));
      }
      parsed.offset_json = Compact(*offset);
    }
    out.push_back(std::move(parsed));
  }
  return out;
}

Result<std::string> ParseConnectorNameRequest(std::string_view body) {
  Result<rapidjson::Document> doc = ParseDocument<kStrict>(body);
  if (!doc.ok()) return doc.error();
  auto name = doc->IsObject() ? doc->FindMember("name") : rapidjson::Value::ConstMemberIterator();
  if (!doc->IsObject() || doc->MemberCount() != 1 || name == doc->MemberEnd() || !name->value.IsString()) {
    return Error::BadRequest(R"(The request body must be {"name":"<connector>"})");
  }
  return std::string(View(name->value));
}

Result<std::optional<std::string>> ParseLoggerLevelRequest(std::string_view body) {
  Result<rapidjson::Document> doc = ParseDocument<kNumbersAsText>(body);
  if (!doc.ok()) return doc.error();
  Result<NullableProperties> settings = SettingsObject(*doc, "The request body");
  if (!settings.ok()) return settings.error();
  auto it = settings->find("level");
  if (it == settings->end()) return std::optional<std::string>();
  return it->second;
}

std::string JavaMapString(const NullableProperties& config) {
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : config) {
    if (!first) out += ", ";
    first = false;
    out += k + "=" + (v ? connectors::ShownValue(k, *v) : std::string("null"));
  }
  return out + "}";
}

}  // namespace ferry::rest
