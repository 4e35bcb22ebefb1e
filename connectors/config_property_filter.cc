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

    ConfigKey blacklist;
    blacklist.name = kConfigPropertiesBlacklist;
    blacklist.type = ConfigType::kList;
    blacklist.null_default = true;
    blacklist.importance = Importance::kHigh;
    blacklist.documentation = "Deprecated. Use config.properties.exclude instead.";
    blacklist.validator = ValidRegexList();
    d.Define(blacklist);

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
    filter_class.validator = OneOf({kDefaultConfigPropertyFilterClass, "DefaultConfigPropertyFilter"});
    d.Define(filter_class);
    return d;
  }();
  return def;
}

}  // namespace

Result<ConfigPropertyFilter> ConfigPropertyFilter::FromConfig(const Properties& config) {
  auto parsed = FilterConfigDef().Parse(config);
  if (!parsed.ok()) return parsed.error();
  // MM2 translates the deprecated key only when the new one is absent.
  const bool use_blacklist = !config.count(kConfigPropertiesExclude) && parsed->Has(kConfigPropertiesBlacklist);
  const std::vector<std::string>& exclude =
      parsed->GetList(use_blacklist ? kConfigPropertiesBlacklist : kConfigPropertiesExclude);
  const DefaultsFrom from =
      parsed->GetString(kUseDefaultsFrom) == "source" ? DefaultsFrom::kSource : DefaultsFrom::kTarget;
  auto excluded = RegexFilter::Make(exclude, use_blacklist ? kConfigPropertiesBlacklist : kConfigPropertiesExclude,
                                    {}, kConfigPropertiesExclude);
  if (!excluded.ok()) return excluded.error();
  return ConfigPropertyFilter(std::move(*excluded), from);
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
