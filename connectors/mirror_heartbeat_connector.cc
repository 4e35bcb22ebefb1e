#include "connectors/mirror_heartbeat_connector.h"

#include "connectors/mirror_config.h"
#include "connectors/mirror_client_config.h"
#include "connectors/mirror_source_connector.h"
#include "connectors/mirror_task_keys.h"
#include "connectors/replication_policy.h"

namespace ferry::connectors {

const ConfigDef& MirrorHeartbeatConnector::Definition() const { return MirrorHeartbeatConfigDef(); }

Result<> MirrorHeartbeatConnector::Start(const Properties& config, ConnectorContext&) {
  auto parsed = MirrorHeartbeatConfigDef().Parse(config);
  if (!parsed.ok()) return parsed.error();
  config_ = config;
  emit_ = parsed->GetBool("emit.heartbeats.enabled");
  const Properties target = ClientProps(config, Cluster::kTarget, ClientRole::kAdmin);
  if (emit_ && target.count("bootstrap.servers")) {
    // MM2 creates `heartbeats` on the target: one partition, compacted. Without target.cluster.*
    // settings the task writes to the worker's cluster, where the topic must exist already.
    auto policy = MakeReplicationPolicy(config);
    if (!policy.ok()) return policy.error();
    Result<> made = EnsureInternalTopic(target, (*policy)->HeartbeatsTopic(),
                                        static_cast<int>(parsed->GetLong("heartbeats.topic.replication.factor")),
                                        "heartbeats.topic.replication.factor",
                                        std::chrono::milliseconds(parsed->GetLong("admin.timeout.ms")));
    if (!made.ok()) return NameFailedCluster(made.error(), config);
  }
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
