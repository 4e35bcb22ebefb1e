// Config definitions: Connect's common connector keys and MM2's keys for its three connectors, with
// MM2 3.9's names, types, defaults and docs (MM2's MirrorConnectorConfig and its subclasses). Declared once here;
// validation, parsing and the REST API's /connector-plugins answers derive from them.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/config_def.h"

namespace ferry::connectors {

// MM2 3.x's deprecated aliases (removed in 4.0) of topics.exclude, groups.exclude and
// config.properties.exclude (the last one's names are in config_property_filter.h).
inline constexpr const char* kTopicsExclude = "topics.exclude";
inline constexpr const char* kTopicsBlacklist = "topics.blacklist";
inline constexpr const char* kGroupsExclude = "groups.exclude";
inline constexpr const char* kGroupsBlacklist = "groups.blacklist";

// Connect's ConnectorConfig + SourceConnectorConfig keys (name, connector.class, tasks.max, ...).
const ConfigDef& ConnectorCommonConfigDef();
// A connector's settings in the order Connect lists them: ConnectorConfig's, SourceConnectorConfig's,
// then `plugin`'s (validate), or with SourceConnectorConfig's last (GET /connector-plugins/{p}/config).
ConfigDef ConnectorConfigDef(const ConfigDef& plugin, bool source_settings_last);
// MM2's keys of each connector (MirrorConnectorConfig's common keys included).
const ConfigDef& MirrorSourceConfigDef();
const ConfigDef& MirrorCheckpointConfigDef();
const ConfigDef& MirrorHeartbeatConfigDef();

// `config` as MM2's connectors and default filters read it: each deprecated alias translated (see
// TranslateDeprecatedConfigs), so parsing, the filters and the task configs see only the new keys.
Properties TranslateMirrorAliases(const Properties& config);

// What a connector's cross-key checks add to /config/validate: key -> errors (Connector::ValidateAcrossKeys).
using KeyErrors = std::map<std::string, std::vector<std::string>>;
// Whether `key` is set to exactly `value`. MM2's cross-key checks compare the raw text
// (`"false".equals(props.get(key))`), so "FALSE" or " false" do not count there, though ConfigDef
// parses them as false.
bool RawValueIs(const Properties& config, const std::string& key, std::string_view value);

}  // namespace ferry::connectors
