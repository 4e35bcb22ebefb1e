// ConfigPropertyFilter: which topic config properties a mirror copies to remote topics, as MM2's
// DefaultConfigPropertyFilter decides:
//  - a property is never copied when one of the `config.properties.exclude` regexes matches its whole
//    name (default: the throttled-replicas lists, message.timestamp.difference.max.ms,
//    message.timestamp.type, unclean.leader.election.enable, min.insync.replicas);
//  - a property whose source value is Kafka's default is copied only with `use.defaults.from=source`;
//    with `target` (the default) the target cluster's own default applies.
// `config.properties.blacklist` is read when `config.properties.exclude` is not given, as MM2 3.x does.
// Thread-safety: immutable; safe from any thread.
#pragma once

#include <string>
#include <vector>

#include "connectors/filters.h"
#include "worker/common/result.h"
#include "worker/common/types.h"

namespace ferry::connectors {

inline constexpr const char* kConfigPropertiesExclude = "config.properties.exclude";
inline constexpr const char* kConfigPropertiesBlacklist = "config.properties.blacklist";
inline constexpr const char* kConfigPropertyFilterClass = "config.property.filter.class";
inline constexpr const char* kUseDefaultsFrom = "use.defaults.from";
inline constexpr const char* kDefaultConfigPropertyFilterClass =
    "org.apache.kafka.connect.mirror.DefaultConfigPropertyFilter";
inline constexpr const char* kDefaultConfigPropertiesExclude =
    "follower\\.replication\\.throttled\\.replicas, leader\\.replication\\.throttled\\.replicas, "
    "message\\.timestamp\\.difference\\.max\\.ms, message\\.timestamp\\.type, "
    "unclean\\.leader\\.election\\.enable, min\\.insync\\.replicas";

class ConfigPropertyFilter {
 public:
  enum class DefaultsFrom { kTarget, kSource };

  // From a MirrorSourceConnector config (`config.properties.blacklist` translated as MM2 does).
  // Errors (InvalidConfig, naming the key): a bad regex, a `use.defaults.from` other than
  // `source`/`target`, a `config.property.filter.class` other than DefaultConfigPropertyFilter (full or
  // simple name).
  static Result<ConfigPropertyFilter> FromConfig(const Properties& config);
  // The same rules from values; the regexes as in `config.properties.exclude`.
  static Result<ConfigPropertyFilter> Make(const std::vector<std::string>& exclude, DefaultsFrom defaults_from);

  // MM2's shouldReplicateConfigProperty: false for excluded properties.
  bool ShouldReplicateConfigProperty(const std::string& name) const;
  // MM2's shouldReplicateSourceDefault: whether a property at its source default is copied as a value.
  bool ShouldReplicateSourceDefault(const std::string& name) const;

  DefaultsFrom defaults_from() const { return defaults_from_; }

 private:
  ConfigPropertyFilter(RegexFilter excluded, DefaultsFrom defaults_from)
      : excluded_(std::move(excluded)), defaults_from_(defaults_from) {}

  RegexFilter excluded_;  // matches the excluded names
  DefaultsFrom defaults_from_;
};

}  // namespace ferry::connectors
