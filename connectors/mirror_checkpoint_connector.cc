#include "connectors/mirror_checkpoint_connector.h"

#include "connectors/mirror_config.h"

namespace ferry::connectors {

const ConfigDef& MirrorCheckpointConnector::Definition() const { return MirrorCheckpointConfigDef(); }

std::map<std::string, std::vector<std::string>> MirrorCheckpointConnector::ValidateAcrossKeys(
    const Properties& config) const {
  // MM2 3.9: an enabled checkpoint connector needs checkpoints and offset syncs.
  std::map<std::string, std::vector<std::string>> errors;
  auto is_false = [&](const char* key) {
    auto it = config.find(key);
    return it != config.end() && (it->second == "false" || it->second == "FALSE" || it->second == "False");
  };
  if (is_false("enabled")) return errors;
  if (is_false("emit.checkpoints.enabled")) {
    errors["emit.checkpoints.enabled"].push_back(
        "MirrorCheckpointConnector can't run with emit.checkpoints.enabled set to false");
  }
  if (is_false("emit.offset-syncs.enabled")) {
    errors["emit.offset-syncs.enabled"].push_back(
        "MirrorCheckpointConnector can't run without offset syncs");
  }
  return errors;
}

Result<> MirrorCheckpointConnector::Start(const Properties& config, ConnectorContext&) {
  auto parsed = MirrorCheckpointConfigDef().Parse(config);
  if (!parsed.ok()) return parsed.error();
  return Error(ErrorCode::kUnsupported,
               "MirrorCheckpointConnector's config is valid, but Ferry does not emit consumer-group checkpoints "
               "yet (see docs/mm2-compatibility.md)");
}

}  // namespace ferry::connectors
