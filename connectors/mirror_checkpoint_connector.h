// MirrorCheckpointConnector (MM2's name and config). Its config is defined and validated here so that
// an MM2 deployment's connectors are accepted; its tasks (consumer-group checkpoints) are not part of
// Ferry yet, and Start() says so with a kUnsupported error, which marks the connector FAILED with that
// reason instead of pretending to run. See docs/mm2-compatibility.md.
#pragma once

#include "connectors/connector.h"

namespace ferry::connectors {

inline constexpr const char* kMirrorCheckpointConnectorClass =
    "org.apache.kafka.connect.mirror.MirrorCheckpointConnector";

class MirrorCheckpointConnector : public Connector {
 public:
  const ConfigDef& Definition() const override;
  std::map<std::string, std::vector<std::string>> ValidateAcrossKeys(const Properties& config) const override;
  Result<> Start(const Properties& config, ConnectorContext& context) override;
  Result<std::vector<Properties>> TaskConfigs(int) override { return std::vector<Properties>{}; }
  void Stop() override {}
};

}  // namespace ferry::connectors
