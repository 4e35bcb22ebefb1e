// Checks and normalizes source offsets given by a user (PATCH /connectors/{name}/offsets) for MM2's
// connectors, as MM2's alterOffsets does: MirrorSourceConnector partitions are
// {"cluster","partition","topic"} with {"offset": >= 0}; heartbeat and checkpoint offsets must be 0.
// Partitions are rewritten in MM2's member order, so they match the stored keys byte for byte.
#pragma once

#include <optional>
#include <string>

#include "worker/common/result.h"

namespace ferry::connectors {

struct NormalizedOffset {
  std::string partition_json;
  std::optional<std::string> offset_json;  // nullopt: reset
};

Result<NormalizedOffset> NormalizeOffset(const std::string& connector_class, const std::string& partition_json,
                                         const std::optional<std::string>& offset_json);

}  // namespace ferry::connectors
