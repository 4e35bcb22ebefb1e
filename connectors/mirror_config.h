// Config definitions: Connect's common connector keys and MM2's keys for its three connectors, with
// MM2 3.9's names, types, defaults and docs (../shared/reference/mm2.md §2). Declared once here;
// validation, parsing and the REST API's /connector-plugins answers derive from them.
#pragma once

#include "connectors/config_def.h"

namespace ferry::connectors {

// Connect's ConnectorConfig + SourceConnectorConfig keys (name, connector.class, tasks.max, ...).
const ConfigDef& ConnectorCommonConfigDef();
// MM2's keys of each connector (MirrorConnectorConfig's common keys included).
const ConfigDef& MirrorSourceConfigDef();
const ConfigDef& MirrorCheckpointConfigDef();
const ConfigDef& MirrorHeartbeatConfigDef();

}  // namespace ferry::connectors
