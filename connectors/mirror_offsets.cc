#include "connectors/mirror_offsets.h"

#include "connectors/mirror_checkpoint_connector.h"
#include "connectors/mirror_heartbeat_connector.h"
#include "connectors/mirror_source_connector.h"
#include "connectors/registry.h"
#include "worker/common/json.h"

namespace ferry::connectors {
namespace {

Result<std::string> StringField(const rapidjson::Value& obj, const char* field, const std::string& what) {
  if (!obj.HasMember(field) || !obj[field].IsString()) {
    return Error::BadRequest(what + " must have a string field \"" + field + "\"");
  }
  return std::string(obj[field].GetString(), obj[field].GetStringLength());
}

Result<int64_t> IntField(const rapidjson::Value& obj, const char* field, const std::string& what) {
  if (!obj.HasMember(field)) return Error::BadRequest(what + " must have a field \"" + field + "\"");
  const rapidjson::Value& v = obj[field];
  if (v.IsInt64()) return v.GetInt64();
  if (v.IsString()) {  // Connect accepts numbers given as strings
    try {
      size_t used = 0;
      const int64_t n = std::stoll(v.GetString(), &used);
      if (used == v.GetStringLength()) return n;
    } catch (const std::exception&) {  // user input: becomes a value
    }
  }
  return Error::BadRequest(what + " field \"" + field + "\" must be an integer");
}

}  // namespace

Result<NormalizedOffset> NormalizeOffset(const std::string& connector_class, const std::string& partition_json,
                                         const std::optional<std::string>& offset_json) {
  const PluginDesc* plugin = Registry::Builtin().Find(connector_class);
  if (plugin == nullptr) return Error::NotFound("no connector class '" + connector_class + "' in Ferry");
  auto partition = json::Parse(partition_json, "source partition");
  if (!partition.ok()) return Error::BadRequest(partition.error().message());
  if (!partition->IsObject()) return Error::BadRequest("source partition must be a JSON object");

  NormalizedOffset out;
  int64_t offset = 0;
  if (offset_json) {
    auto parsed = json::Parse(*offset_json, "source offset");
    if (!parsed.ok()) return Error::BadRequest(parsed.error().message());
    if (!parsed->IsObject()) return Error::BadRequest("source offset must be a JSON object");
    auto n = IntField(*parsed, "offset", "source offset");
    if (!n.ok()) return n.error();
    offset = *n;
    out.offset_json = "{\"offset\":" + std::to_string(offset) + "}";
  }
  if (plugin->class_name == kMirrorSourceConnectorClass) {
    auto cluster = StringField(*partition, "cluster", "source partition");
    if (!cluster.ok()) return cluster.error();
    auto topic = StringField(*partition, "topic", "source partition");
    if (!topic.ok()) return topic.error();
    auto p = IntField(*partition, "partition", "source partition");
    if (!p.ok()) return p.error();
    if (*p < 0) return Error::BadRequest("source partition field \"partition\" must not be negative");
    if (offset < 0) return Error::BadRequest("source offset must not be negative, got " + std::to_string(offset));
    out.partition_json = "{\"cluster\":" + json::Quote(*cluster) + ",\"partition\":" + std::to_string(*p) +
                         ",\"topic\":" + json::Quote(*topic) + "}";
    return out;
  }
  if (offset_json && offset != 0) {
    return Error::BadRequest("offsets of " + plugin->class_name + " must be 0, got " + std::to_string(offset));
  }
  if (plugin->class_name == kMirrorHeartbeatConnectorClass) {
    auto source = StringField(*partition, "sourceClusterAlias", "source partition");
    if (!source.ok()) return source.error();
    auto target = StringField(*partition, "targetClusterAlias", "source partition");
    if (!target.ok()) return target.error();
    out.partition_json =
        "{\"sourceClusterAlias\":" + json::Quote(*source) + ",\"targetClusterAlias\":" + json::Quote(*target) + "}";
    return out;
  }
  // MirrorCheckpointConnector: {"partition","topic","group"} in MM2's order.
  auto p = IntField(*partition, "partition", "source partition");
  if (!p.ok()) return p.error();
  auto topic = StringField(*partition, "topic", "source partition");
  if (!topic.ok()) return topic.error();
  auto group = StringField(*partition, "group", "source partition");
  if (!group.ok()) return group.error();
  out.partition_json = "{\"partition\":" + std::to_string(*p) + ",\"topic\":" + json::Quote(*topic) +
                       ",\"group\":" + json::Quote(*group) + "}";
  return out;
}

}  // namespace ferry::connectors
