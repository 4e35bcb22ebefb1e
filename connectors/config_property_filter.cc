#include "connectors/config_property_filter.h"

#include "connectors/config_def.h"

namespace ferry::connectors {
namespace {

// The filter's own keys, as MM2's ConfigPropertyFilterConfig defines them (use.defaults.from is not
// in the connector's ConfigDef, which is why it is read here).
const ConfigDef& FilterConfigDef() {
  static const ConfigDef def = [] {
    ConfigDef d;
    ConfigKey exclude;
    exclude.name = kConfigPropertiesExclude;
    exclude.type = ConfigType::kList;
    exclude.default_value = kDefaultConfigPropertiesExclude;
    exclude.importance = Importance::kHigh;
    exclude.documentation = "List of topic configuration properties and/or regexes that should not be replicated.";
    exclude.validator = ValidRegexList();
    d.Define(exclude);

    ConfigKey defaults;
    defaults.name = kUseDefaultsFrom;
    defaults.type = ConfigType::kString;
    defaults.default_value = "target";
    defaults.importance = Importance::kMedium;
    defaults.documentation = "Whether to use the default config values from source or target";
    defaults.validator = OneOf({"source", "target"});
    d.Define(defaults);

    ConfigKey filter_class;
    filter_class.name = kConfigPropertyFilterClass;
    filter_class.type = ConfigType::kClass;
    filter_class.default_value = kDefaultConfigPropertyFilterClass;
    filter_class.importance = Importance::kLow;
    filter_class.documentation = "ConfigPropertyFilter to use. Selects topic config properties to replicate.";
    filter_class.validator = KnownClass({kDefaultConfigPropertyFilterClass});
    d.Define(filter_class);
    return d;
  }();
  return def;
}

}  // namespace

Result<ConfigPropertyFilter> ConfigPropertyFilter::FromConfig(const Properties& config) {
  // As MM2's filter: the deprecated key counts only when the new one is absent.
  auto parsed = FilterConfigDef().Parse(
      TranslateDeprecatedConfigs(config, {{kConfigPropertiesExclude, kConfigPropertiesBlacklist}}));
  if (!parsed.ok()) return parsed.error();
  return Make(parsed->GetList(kConfigPropertiesExclude),
              parsed->GetString(kUseDefaultsFrom) == "source" ? DefaultsFrom::kSource : DefaultsFrom::kTarget);
}

Result<ConfigPropertyFilter> ConfigPropertyFilter::Make(const std::vector<std::string>& exclude,
                                                        DefaultsFrom defaults_from) {
  auto excluded = RegexFilter::Make(exclude, kConfigPropertiesExclude, {}, kConfigPropertiesExclude);
  if (!excluded.ok()) return excluded.error();
  return ConfigPropertyFilter(std::move(*excluded), defaults_from);
}

bool ConfigPropertyFilter::ShouldReplicateConfigProperty(const std::string& name) const {
  return !excluded_.Matches(name);
}

bool ConfigPropertyFilter::ShouldReplicateSourceDefault(const std::string& /*name*/) const {
  return defaults_from_ == DefaultsFrom::kSource;
}

}  // namespace ferry::connectors
