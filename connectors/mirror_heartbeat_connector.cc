#include "connectors/mirror_heartbeat_connector.h"

#include "connectors/mirror_config.h"
#include "connectors/mirror_task_keys.h"

namespace ferry::connectors {

const ConfigDef& MirrorHeartbeatConnector::Definition() const { return MirrorHeartbeatConfigDef(); }

Result<> MirrorHeartbeatConnector::Start(const Properties& config, ConnectorContext&) {
  auto parsed = MirrorHeartbeatConfigDef().Parse(config);
  if (!parsed.ok()) return parsed.error();
  config_ = config;
  emit_ = parsed->GetBool("emit.heartbeats.enabled");
  return Ok();
}

Result<std::vector<Properties>> MirrorHeartbeatConnector::TaskConfigs(int max_tasks) {
  std::vector<Properties> configs;
  if (!emit_ || max_tasks < 1) return configs;
  Properties task = config_;
  task[kTaskClass] = kMirrorHeartbeatTaskClass;
  configs.push_back(std::move(task));
  return configs;
}

}  // namespace ferry::connectors
