#include "connectors/registry.h"

#include "connectors/mirror_checkpoint_connector.h"
#include "connectors/mirror_config.h"
#include "connectors/mirror_heartbeat_connector.h"
#include "connectors/mirror_source_connector.h"

namespace ferry::connectors {
namespace {

std::string SimpleName(const std::string& class_name) {
  const size_t dot = class_name.rfind('.');
  return dot == std::string::npos ? class_name : class_name.substr(dot + 1);
}

template <typename T>
PluginDesc Source(const char* class_name) {
  return {class_name, "source", kFerryVersion, [] { return std::unique_ptr<Connector>(new T()); }};
}

}  // namespace

const Registry& Registry::Builtin() {
  static const Registry registry = [] {
    Registry r;
    r.plugins_.push_back(Source<MirrorCheckpointConnector>(kMirrorCheckpointConnectorClass));
    r.plugins_.push_back(Source<MirrorHeartbeatConnector>(kMirrorHeartbeatConnectorClass));
    r.plugins_.push_back(Source<MirrorSourceConnector>(kMirrorSourceConnectorClass));
    return r;
  }();
  return registry;
}

const PluginDesc* Registry::Find(const std::string& name) const {
  for (const PluginDesc& p : plugins_) {
    const std::string simple = SimpleName(p.class_name);
    const std::string alias = simple.size() > 9 && simple.ends_with("Connector") ? simple.substr(0, simple.size() - 9) : simple;
    if (name == p.class_name || name == simple || name == alias) return &p;
  }
  return nullptr;
}

Properties ConfigForDisplay(const Properties& config) {
  auto cls = config.find("connector.class");
  const PluginDesc* plugin = cls == config.end() ? nullptr : Registry::Builtin().Find(cls->second);
  if (plugin == nullptr) return WithSecretsHidden(config);
  const ConfigDef def = ConnectorConfigDef(plugin->create()->Definition(), false);
  return WithSecretsHidden(config, &def);
}

}  // namespace ferry::connectors
