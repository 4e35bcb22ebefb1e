// MirrorHeartbeatConnector (MM2's): one MirrorHeartbeatTask, none when `emit.heartbeats.enabled` is
// false. Like MM2's, it runs whatever `enabled` says.
#pragma once

#include "connectors/connector.h"

namespace ferry::connectors {

inline constexpr const char* kMirrorHeartbeatConnectorClass = "org.apache.kafka.connect.mirror.MirrorHeartbeatConnector";

class MirrorHeartbeatConnector : public Connector {
 public:
  const ConfigDef& Definition() const override;
  Result<> Start(const Properties& config, ConnectorContext& context) override;
  Result<std::vector<Properties>> TaskConfigs(int max_tasks) override;
  void Stop() override {}

 private:
  Properties config_;
  bool emit_ = true;
};

}  // namespace ferry::connectors
