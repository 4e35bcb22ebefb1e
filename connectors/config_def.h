// ConfigDef: a connector's (or the worker's) settings declared once as data (name, type, default,
// importance, documentation, group, validator), from which validation, typed parsing and the REST
// API's config descriptions are all derived, with Kafka's ConfigDef semantics and error messages.
// Thread-safety: immutable once built; safe from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <variant>
#include <string>
#include <utility>
#include <vector>

#include "worker/common/result.h"
#include "worker/common/types.h"

namespace ferry::connectors {

enum class ConfigType { kBoolean, kString, kInt, kShort, kLong, kDouble, kList, kClass, kPassword };
enum class Importance { kHigh, kMedium, kLow };
enum class Width { kNone, kShort, kMedium, kLong };

const char* ConfigTypeName(ConfigType type);  // "BOOLEAN", "STRING", "INT", ... as Kafka prints them
const char* ImportanceName(Importance importance);  // "HIGH", "MEDIUM", "LOW"
const char* WidthName(Width width);  // "NONE", "SHORT", "MEDIUM", "LONG"

// A parsed value. Lists are comma-separated strings split and trimmed, as Kafka does.
using ConfigValue = std::variant<bool, std::string, int64_t, double, std::vector<std::string>>;

// Returns nullopt when `value` is acceptable, else the reason, which ConfigDef reports as
// "Invalid value <value> for configuration <key>: <reason>", <value> printed as Java prints the parsed
// value ("5", "true", "a b" trimmed, "[a, b]" for a list, "[hidden]" for a password). A value that
// does not parse is reported with the raw text: "Invalid value abc for configuration x: Not a number
// of type INT".
using Validator = std::function<std::optional<std::string>(const ConfigValue& value)>;

// A key's default, as Kafka has three kinds of them:
//  - a value: `default_value = "5"` (parsed with the same rules as a submitted value; an invalid
//    default, or one its validator rejects, is a bug and fails Define());
//  - none, so the key is required: `default_value = std::nullopt` (the default);
//  - null, so the key is optional without a value (Kafka's `null` default):
//    `default_value = std::nullopt, null_default = true`. ParsedConfig::Has() is then false.
// An empty string is a real default for STRING/LIST/PASSWORD/CLASS keys (an empty LIST is `""`).
struct ConfigKey {
  std::string name;
  ConfigType type = ConfigType::kString;
  std::optional<std::string> default_value;  // nullopt: required, unless null_default
  bool null_default = false;                 // with default_value == nullopt: optional, null default
  Importance importance = Importance::kMedium;
  std::string documentation;
  std::string group;      // "" when none
  int order_in_group = -1;
  Width width = Width::kNone;
  std::string display_name;  // defaults to name
  std::vector<std::string> dependents;
  Validator validator;  // may be empty; never called with a null value

  bool required() const { return !default_value.has_value() && !null_default; }
};

// One key's validation result, as Connect's ConfigValueInfo.
struct ConfigValueInfo {
  std::string name;
  std::optional<std::string> value;  // the submitted (or default) value as a string; passwords "[hidden]"
  std::vector<std::string> recommended_values;
  std::vector<std::string> errors;
  bool visible = true;
};

// One entry of ConfigInfos: a definition and/or a value.
struct ConfigInfo {
  std::optional<ConfigKey> definition;
  std::optional<ConfigValueInfo> value;
};

// The answer of PUT /connector-plugins/{plugin}/config/validate.
struct ConfigInfos {
  std::string name;  // the connector class
  int error_count = 0;
  std::vector<std::string> groups;  // in first-seen order
  std::vector<ConfigInfo> configs;
};

class ParsedConfig;

class ConfigDef {
 public:
  // Adds a key; defining a name twice is a bug (CHECK).
  ConfigDef& Define(ConfigKey key);
  // Adds every key of `other` not defined here yet, after the existing ones.
  ConfigDef& Merge(const ConfigDef& other);

  const std::vector<ConfigKey>& keys() const { return keys_; }
  const ConfigKey* Find(const std::string& name) const;

  // Validates every defined key against `props` with Kafka's messages: a missing required key gives
  // `Missing required configuration "<key>" which has no default value.`; a bad value gives
  // `Invalid value <v> for configuration <key>: <reason>`. Keys in `props` that are not defined are
  // not reported. One entry per defined key, in definition order. Values are trimmed and parsed as
  // Kafka does (ConfigValueInfo.value is the parsed value as Kafka prints it: "true", "5", "a,b",
  // "[hidden]" for passwords; nullopt when absent or unparsable). Differences from Kafka: validators
  // are not run on a null value (Kafka runs them and may add a second error to a missing required
  // key); there are no recommenders, so recommended_values stay empty and `visible` true.
  std::vector<ConfigValueInfo> Validate(const Properties& props) const;

  // Parses `props` with defaults applied; the first problem (in definition order) as a kInvalidConfig
  // Error whose message is Kafka's (see Validate), which names the key.
  Result<ParsedConfig> Parse(const Properties& props) const;

 private:
  std::vector<ConfigKey> keys_;
  std::map<std::string, size_t> index_;
};

// Typed access to a parsed configuration. Asking for an undefined key, with the wrong type, or for the
// value of a key that has none (see Has()), is a bug (CHECK).
class ParsedConfig {
 public:
  const std::string& GetString(const std::string& key) const;  // STRING, CLASS, PASSWORD
  int64_t GetLong(const std::string& key) const;               // INT, SHORT, LONG
  int32_t GetInt(const std::string& key) const;                // INT, SHORT (and LONG within int32)
  bool GetBool(const std::string& key) const;
  double GetDouble(const std::string& key) const;
  const std::vector<std::string>& GetList(const std::string& key) const;
  // True if the key has a value (given or default); optional keys with a null default have none.
  bool Has(const std::string& key) const;
  const Properties& originals() const { return originals_; }

 private:
  friend class ConfigDef;
  std::map<std::string, ConfigValue> values_;  // keys without a value (null) are absent
  std::map<std::string, ConfigType> types_;    // every defined key
  Properties originals_;
};

// A parsed value as Kafka prints it (ConfigDef.convertToString): booleans "true"/"false", numbers in
// decimal (doubles as Java does: "1.0", "1.0E10"), lists joined with ",", PASSWORD "[hidden]".
std::string ConfigValueToString(const ConfigValue& value, ConfigType type);

// Validators, with Kafka's wording for their reasons. Numeric validators apply to INT/SHORT/LONG/DOUBLE
// keys, string validators to STRING/CLASS/PASSWORD keys, and OneOf also to each item of a LIST;
// using one on another type is a bug (CHECK).
Validator AtLeast(int64_t min);  // "Value must be at least <min>"
// "Value must be at least <min>" / "Value must be no more than <max>"
Validator Between(int64_t min, int64_t max);
// "String must be one of: A, B"; case-insensitive: "String must be one of (case insensitive): B, A"
// (upper-cased, in the order of Kafka's HashSet of them, as Kafka prints them).
Validator OneOf(std::vector<std::string> allowed, bool case_insensitive = false);
Validator NonEmptyString();                        // "String must be non-empty"
// Every list item compiles as a regular expression (std::regex ECMAScript, Ferry's engine):
// "Syntax error in regular expression: <item>: <why>".
Validator ValidRegexList();
// For a CLASS key where Ferry implements only `classes` (full Java names; each also accepted by its
// simple name): any other class is one Ferry cannot load, reported in Kafka's words for a class not
// on the classpath: "Class <value> could not be found."
Validator KnownClass(std::vector<std::string> classes);

// Kafka's ConfigUtils.translateDeprecatedConfigs for (key, deprecated alias) pairs: an alias given
// without its key becomes that key; given with it, the alias is dropped and the key wins. Either way
// the alias is gone from the result, and a warning says what was used.
Properties TranslateDeprecatedConfigs(const Properties& props,
                                      const std::vector<std::pair<std::string, std::string>>& aliases);

// ConfigInfos for `class_name` from a definition and the submitted props: one entry per defined key
// (definition + value), then one per submitted key without a definition (value only: the raw value,
// or "[hidden]" for a key that looks secret, see kafka::IsSecret), and the error count over all.
// `groups` are the non-empty groups of the definition in first-seen order. `extra_errors` adds errors
// to keys (e.g. cross-field checks of a connector); errors for a key that is neither defined nor
// submitted get a value-only entry.
ConfigInfos BuildConfigInfos(const std::string& class_name, const ConfigDef& def, const Properties& props,
                             const std::map<std::string, std::vector<std::string>>& extra_errors = {});

// How a secret is shown anywhere but in GET /connectors/{name}/config: as Connect prints a PASSWORD.
inline constexpr char kHiddenValue[] = "[hidden]";
// `value` of `key` as a message or a log line may show it: kHiddenValue for a key that looks secret
// (kafka::IsSecret: passwords, keys, JAAS configs, tokens, ... under any prefix).
std::string ShownValue(const std::string& key, const std::string& value);
// `config` with the values of PASSWORD keys of `def` (when given) and of keys that look secret
// replaced by kHiddenValue.
Properties WithSecretsHidden(const Properties& config, const ConfigDef* def = nullptr);

}  // namespace ferry::connectors
