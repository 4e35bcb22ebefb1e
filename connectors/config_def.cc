#include "connectors/config_def.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <regex>
#include <set>

#include <glog/logging.h>

#include "worker/kafka/client.h"

namespace ferry::connectors {
namespace {

constexpr char kHidden[] = "[hidden]";

// String.trim(): drops every character <= ' ' at both ends.
std::string_view JavaTrim(std::string_view s) {
  size_t b = 0;
  size_t e = s.size();
  while (b < e && static_cast<unsigned char>(s[b]) <= ' ') ++b;
  while (e > b && static_cast<unsigned char>(s[e - 1]) <= ' ') --e;
  return s.substr(b, e - b);
}

// The characters of Java's regex `\s`.
bool IsRegexSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\x0B' || c == '\f' || c == '\r';
}

std::string ToUpper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string Join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out.append(sep);
    out.append(items[i]);
  }
  return out;
}

// Integer.parseInt / Short.parseShort / Long.parseLong on ASCII: an optional sign, then one or more
// digits, nothing else, within [min, max].
std::optional<int64_t> ParseJavaInteger(std::string_view s, int64_t min, int64_t max) {
  if (s.empty()) return std::nullopt;
  bool negative = false;
  if (s[0] == '+' || s[0] == '-') {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return std::nullopt;
  // Accumulate negatively, so that the minimum of int64 fits.
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    const int d = c - '0';
    if (v < (std::numeric_limits<int64_t>::min() + d) / 10) return std::nullopt;
    v = v * 10 - d;
  }
  if (!negative) {
    if (v == std::numeric_limits<int64_t>::min()) return std::nullopt;
    v = -v;
  }
  if (v < min || v > max) return std::nullopt;
  return v;
}

// Double.parseDouble on decimal text: an optional sign, then "NaN", "Infinity", or digits with an
// optional point and exponent, and an optional f/F/d/D suffix. (Java's hexadecimal form is not
// accepted.)
std::optional<double> ParseJavaDouble(std::string_view s) {
  if (s.empty()) return std::nullopt;
  bool negative = false;
  if (s[0] == '+' || s[0] == '-') {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "NaN") return std::numeric_limits<double>::quiet_NaN();
  if (s == "Infinity") {
    return negative ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  }
  if (!s.empty() && std::string_view("fFdD").find(s.back()) != std::string_view::npos) s.remove_suffix(1);
  // digits [. digits] [e [sign] digits], with at least one digit in the mantissa
  size_t i = 0;
  size_t mantissa_digits = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++mantissa_digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++mantissa_digits;
  }
  if (mantissa_digits == 0) return std::nullopt;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    size_t exp_digits = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++exp_digits;
    if (exp_digits == 0) return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  std::string text(s);
  if (text.front() == '.') text.insert(text.begin(), '0');  // from_chars wants a leading digit
  double v = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec == std::errc::result_out_of_range) {
    // Java rounds to infinity or zero instead of failing.
    const bool tiny = text.find_first_of("eE") != std::string::npos &&
                      text[text.find_first_of("eE") + 1] == '-';
    v = tiny ? 0.0 : std::numeric_limits<double>::infinity();
  } else if (ec != std::errc() || ptr != text.data() + text.size()) {
    return std::nullopt;
  }
  return negative ? -v : v;
}

// Double.toString: "1.0", "0.001", "1.0E7", "1.5E-4", "NaN", "Infinity".
std::string JavaDoubleToString(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  if (d == 0) return std::signbit(d) ? "-0.0" : "0.0";
  std::string sign = d < 0 ? "-" : "";
  const double a = std::fabs(d);
  char buf[64];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, a, std::chars_format::scientific);
  CHECK(ec == std::errc()) << "to_chars failed";
  const std::string_view sci(buf, static_cast<size_t>(end - buf));  // "1.234e-05"
  const size_t e_pos = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e_pos)) {
    if (c != '.') digits.push_back(c);
  }
  int exp10 = 0;
  std::string_view exp_text = sci.substr(e_pos + 1);
  if (!exp_text.empty() && exp_text[0] == '+') exp_text.remove_prefix(1);
  std::from_chars(exp_text.data(), exp_text.data() + exp_text.size(), exp10);
  if (a >= 1e-3 && a < 1e7) {
    std::string out;
    if (exp10 >= 0) {
      const size_t int_len = static_cast<size_t>(exp10) + 1;
      while (digits.size() < int_len) digits.push_back('0');
      out = digits.substr(0, int_len) + "." + (digits.size() > int_len ? digits.substr(int_len) : "0");
    } else {
      out = "0." + std::string(static_cast<size_t>(-exp10 - 1), '0') + digits;
    }
    return sign + out;
  }
  return sign + digits.substr(0, 1) + "." + (digits.size() > 1 ? digits.substr(1) : "0") + "E" +
         std::to_string(exp10);
}

// The iteration order of a java.util.HashSet built by adding `items` in order (Collectors.toSet()):
// by bucket, (h ^ h >>> 16) & (capacity - 1) of String.hashCode(), then by insertion; duplicates
// dropped. Kafka's CaseInsensitiveValidString prints its values in this order. Strings are taken as
// ASCII, as the values of such validators are.
std::vector<std::string> JavaHashSetOrder(const std::vector<std::string>& items) {
  std::vector<std::string> unique;
  for (const std::string& s : items) {
    if (std::find(unique.begin(), unique.end(), s) == unique.end()) unique.push_back(s);
  }
  uint32_t capacity = 16;
  while (unique.size() > capacity * 3 / 4) capacity *= 2;
  auto bucket = [capacity](const std::string& s) {
    uint32_t h = 0;
    for (char c : s) h = 31 * h + static_cast<unsigned char>(c);
    return (h ^ (h >> 16)) & (capacity - 1);
  };
  std::stable_sort(unique.begin(), unique.end(),
                   [&](const std::string& a, const std::string& b) { return bucket(a) < bucket(b); });
  return unique;
}

// Kafka's ConfigException(name, value, message) text.
std::string InvalidValueMessage(std::string_view value, const std::string& name, const std::string& reason) {
  return "Invalid value " + std::string(value) + " for configuration " + name + ": " + reason;
}

std::string MissingMessage(const std::string& name) {
  return "Missing required configuration \"" + name + "\" which has no default value.";
}

// A parsed value as Java's toString prints it inside a ConfigException message.
std::string FormatForMessage(const ConfigValue& value, ConfigType type) {
  if (type == ConfigType::kPassword) return kHidden;
  if (const auto* list = std::get_if<std::vector<std::string>>(&value)) return "[" + Join(*list, ", ") + "]";
  return ConfigValueToString(value, type);
}

// ConfigDef.parseType for a string value: the value, or Kafka's message.
Result<ConfigValue> ParseType(const std::string& name, const std::string& raw, ConfigType type) {
  const std::string_view trimmed = JavaTrim(raw);
  auto invalid = [&](const std::string& reason) {
    return Error(ErrorCode::kInvalidConfig, InvalidValueMessage(raw, name, reason));
  };
  auto integer = [&](int64_t min, int64_t max) -> Result<ConfigValue> {
    std::optional<int64_t> v = ParseJavaInteger(trimmed, min, max);
    if (!v) return invalid(std::string("Not a number of type ") + ConfigTypeName(type));
    return ConfigValue(*v);
  };
  switch (type) {
    case ConfigType::kBoolean:
      if (EqualsIgnoreCase(trimmed, "true")) return ConfigValue(true);
      if (EqualsIgnoreCase(trimmed, "false")) return ConfigValue(false);
      return invalid("Expected value to be either true or false");
    case ConfigType::kString:
    case ConfigType::kClass:
    case ConfigType::kPassword:
      return ConfigValue(std::string(trimmed));
    case ConfigType::kInt:
      return integer(std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max());
    case ConfigType::kShort:
      return integer(std::numeric_limits<int16_t>::min(), std::numeric_limits<int16_t>::max());
    case ConfigType::kLong:
      return integer(std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max());
    case ConfigType::kDouble: {
      std::optional<double> v = ParseJavaDouble(trimmed);
      if (!v) return invalid("Not a number of type DOUBLE");
      return ConfigValue(*v);
    }
    case ConfigType::kList: {
      std::vector<std::string> items;
      if (trimmed.empty()) return ConfigValue(items);
      size_t start = 0;
      while (true) {
        const size_t comma = trimmed.find(',', start);
        std::string_view item = trimmed.substr(start, comma == std::string_view::npos ? std::string_view::npos
                                                                                      : comma - start);
        while (!item.empty() && IsRegexSpace(item.front())) item.remove_prefix(1);
        while (!item.empty() && IsRegexSpace(item.back())) item.remove_suffix(1);
        items.emplace_back(item);
        if (comma == std::string_view::npos) break;
        start = comma + 1;
      }
      return ConfigValue(std::move(items));
    }
  }
  LOG(FATAL) << "unknown ConfigType " << static_cast<int>(type);
}

// The value a key takes from `props`: parsed, defaulted, null (nullopt), or an error message.
struct Resolved {
  std::optional<ConfigValue> value;
  std::optional<std::string> error;
};

Resolved Resolve(const ConfigKey& key, const Properties& props) {
  Resolved r;
  auto it = props.find(key.name);
  if (it != props.end()) {
    Result<ConfigValue> parsed = ParseType(key.name, it->second, key.type);
    if (!parsed.ok()) {
      r.error = parsed.error().message();
      return r;
    }
    r.value = std::move(parsed).value();
  } else if (key.default_value) {
    Result<ConfigValue> parsed = ParseType(key.name, *key.default_value, key.type);
    CHECK(parsed.ok()) << "default of " << key.name << " does not parse: " << parsed.error().message();
    r.value = std::move(parsed).value();
  } else if (key.null_default) {
    return r;
  } else {
    r.error = MissingMessage(key.name);
    return r;
  }
  if (key.validator) {
    if (std::optional<std::string> reason = key.validator(*r.value)) {
      r.error = InvalidValueMessage(FormatForMessage(*r.value, key.type), key.name, *reason);
    }
  }
  return r;
}

bool IsNumeric(const ConfigValue& v) {
  return std::holds_alternative<int64_t>(v) || std::holds_alternative<double>(v);
}

double AsDouble(const ConfigValue& v) {
  if (const auto* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
  return std::get<double>(v);
}

}  // namespace

const char* ConfigTypeName(ConfigType type) {
  switch (type) {
    case ConfigType::kBoolean: return "BOOLEAN";
    case ConfigType::kString: return "STRING";
    case ConfigType::kInt: return "INT";
    case ConfigType::kShort: return "SHORT";
    case ConfigType::kLong: return "LONG";
    case ConfigType::kDouble: return "DOUBLE";
    case ConfigType::kList: return "LIST";
    case ConfigType::kClass: return "CLASS";
    case ConfigType::kPassword: return "PASSWORD";
  }
  return "UNKNOWN";
}

const char* ImportanceName(Importance importance) {
  switch (importance) {
    case Importance::kHigh: return "HIGH";
    case Importance::kMedium: return "MEDIUM";
    case Importance::kLow: return "LOW";
  }
  return "UNKNOWN";
}

const char* WidthName(Width width) {
  switch (width) {
    case Width::kNone: return "NONE";
    case Width::kShort: return "SHORT";
    case Width::kMedium: return "MEDIUM";
    case Width::kLong: return "LONG";
  }
  return "UNKNOWN";
}

std::string ConfigValueToString(const ConfigValue& value, ConfigType type) {
  if (type == ConfigType::kPassword) return kHidden;
  if (const auto* b = std::get_if<bool>(&value)) return *b ? "true" : "false";
  if (const auto* s = std::get_if<std::string>(&value)) return *s;
  if (const auto* i = std::get_if<int64_t>(&value)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&value)) return JavaDoubleToString(*d);
  return Join(std::get<std::vector<std::string>>(value), ",");
}

ConfigDef& ConfigDef::Define(ConfigKey key) {
  CHECK(!key.name.empty()) << "a config key needs a name";
  CHECK(!index_.contains(key.name)) << "Configuration " << key.name << " is defined twice.";
  CHECK(!(key.null_default && key.default_value))
      << key.name << ": null_default and a default_value exclude each other";
  if (key.display_name.empty()) key.display_name = key.name;
  if (key.default_value) {
    Result<ConfigValue> parsed = ParseType(key.name, *key.default_value, key.type);
    CHECK(parsed.ok()) << "invalid default of " << key.name << ": " << parsed.error().message();
    if (key.validator) {
      std::optional<std::string> reason = key.validator(*parsed);
      CHECK(!reason) << "default of " << key.name << " fails its validator: " << *reason;
    }
  }
  index_[key.name] = keys_.size();
  keys_.push_back(std::move(key));
  return *this;
}

ConfigDef& ConfigDef::Merge(const ConfigDef& other) {
  for (const ConfigKey& key : other.keys_) {
    if (!index_.contains(key.name)) Define(key);
  }
  return *this;
}

const ConfigKey* ConfigDef::Find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &keys_[it->second];
}

std::vector<ConfigValueInfo> ConfigDef::Validate(const Properties& props) const {
  std::vector<ConfigValueInfo> out;
  out.reserve(keys_.size());
  for (const ConfigKey& key : keys_) {
    Resolved r = Resolve(key, props);
    ConfigValueInfo info;
    info.name = key.name;
    // A value that parsed but failed its validator is still shown, as in Kafka.
    if (r.value) info.value = ConfigValueToString(*r.value, key.type);
    if (r.error) info.errors.push_back(std::move(*r.error));
    out.push_back(std::move(info));
  }
  return out;
}

Result<ParsedConfig> ConfigDef::Parse(const Properties& props) const {
  ParsedConfig parsed;
  for (const ConfigKey& key : keys_) {
    Resolved r = Resolve(key, props);
    if (r.error) return Error(ErrorCode::kInvalidConfig, std::move(*r.error));
    parsed.types_[key.name] = key.type;
    if (r.value) parsed.values_.emplace(key.name, std::move(*r.value));
  }
  parsed.originals_ = props;
  return parsed;
}

namespace {

const ConfigValue& Lookup(const std::map<std::string, ConfigValue>& values,
                          const std::map<std::string, ConfigType>& types, const std::string& key,
                          std::initializer_list<ConfigType> allowed, const char* getter) {
  auto t = types.find(key);
  CHECK(t != types.end()) << getter << "(\"" << key << "\"): not a defined key";
  CHECK(std::find(allowed.begin(), allowed.end(), t->second) != allowed.end())
      << getter << "(\"" << key << "\"): the key is of type " << ConfigTypeName(t->second);
  auto v = values.find(key);
  CHECK(v != values.end()) << getter << "(\"" << key << "\"): the key has no value (null); check Has() first";
  return v->second;
}

}  // namespace

const std::string& ParsedConfig::GetString(const std::string& key) const {
  return std::get<std::string>(
      Lookup(values_, types_, key, {ConfigType::kString, ConfigType::kClass, ConfigType::kPassword}, "GetString"));
}

int64_t ParsedConfig::GetLong(const std::string& key) const {
  return std::get<int64_t>(
      Lookup(values_, types_, key, {ConfigType::kInt, ConfigType::kShort, ConfigType::kLong}, "GetLong"));
}

int32_t ParsedConfig::GetInt(const std::string& key) const {
  const int64_t v = std::get<int64_t>(
      Lookup(values_, types_, key, {ConfigType::kInt, ConfigType::kShort, ConfigType::kLong}, "GetInt"));
  CHECK(v >= std::numeric_limits<int32_t>::min() && v <= std::numeric_limits<int32_t>::max())
      << "GetInt(\"" << key << "\"): " << v << " does not fit in 32 bits; use GetLong";
  return static_cast<int32_t>(v);
}

bool ParsedConfig::GetBool(const std::string& key) const {
  return std::get<bool>(Lookup(values_, types_, key, {ConfigType::kBoolean}, "GetBool"));
}

double ParsedConfig::GetDouble(const std::string& key) const {
  return std::get<double>(Lookup(values_, types_, key, {ConfigType::kDouble}, "GetDouble"));
}

const std::vector<std::string>& ParsedConfig::GetList(const std::string& key) const {
  return std::get<std::vector<std::string>>(Lookup(values_, types_, key, {ConfigType::kList}, "GetList"));
}

bool ParsedConfig::Has(const std::string& key) const {
  CHECK(types_.contains(key)) << "Has(\"" << key << "\"): not a defined key";
  return values_.contains(key);
}

Validator AtLeast(int64_t min) {
  return [min](const ConfigValue& v) -> std::optional<std::string> {
    CHECK(IsNumeric(v)) << "AtLeast() on a value that is not a number";
    if (AsDouble(v) < static_cast<double>(min)) return "Value must be at least " + std::to_string(min);
    return std::nullopt;
  };
}

Validator Between(int64_t min, int64_t max) {
  CHECK_LE(min, max) << "Between(min, max) with min > max";
  return [min, max](const ConfigValue& v) -> std::optional<std::string> {
    CHECK(IsNumeric(v)) << "Between() on a value that is not a number";
    const double d = AsDouble(v);
    if (d < static_cast<double>(min)) return "Value must be at least " + std::to_string(min);
    if (d > static_cast<double>(max)) return "Value must be no more than " + std::to_string(max);
    return std::nullopt;
  };
}

Validator OneOf(std::vector<std::string> allowed, bool case_insensitive) {
  std::vector<std::string> shown = allowed;
  if (case_insensitive) {
    for (std::string& s : shown) s = ToUpper(s);
    shown = JavaHashSetOrder(shown);
  }
  const std::string reason = case_insensitive ? "String must be one of (case insensitive): " + Join(shown, ", ")
                                              : "String must be one of: " + Join(shown, ", ");
  return [allowed = std::move(allowed), shown, case_insensitive,
          reason](const ConfigValue& v) -> std::optional<std::string> {
    auto ok = [&](const std::string& s) {
      if (case_insensitive) return std::find(shown.begin(), shown.end(), ToUpper(s)) != shown.end();
      return std::find(allowed.begin(), allowed.end(), s) != allowed.end();
    };
    if (const auto* s = std::get_if<std::string>(&v)) {
      if (!ok(*s)) return reason;
      return std::nullopt;
    }
    const auto* list = std::get_if<std::vector<std::string>>(&v);
    CHECK(list != nullptr) << "OneOf() on a value that is neither a string nor a list";
    for (const std::string& item : *list) {
      if (!ok(item)) return reason;
    }
    return std::nullopt;
  };
}

Validator NonEmptyString() {
  return [](const ConfigValue& v) -> std::optional<std::string> {
    const auto* s = std::get_if<std::string>(&v);
    CHECK(s != nullptr) << "NonEmptyString() on a value that is not a string";
    if (s->empty()) return "String must be non-empty";
    return std::nullopt;
  };
}

Validator ValidRegexList() {
  return [](const ConfigValue& v) -> std::optional<std::string> {
    const auto* list = std::get_if<std::vector<std::string>>(&v);
    CHECK(list != nullptr) << "ValidRegexList() on a value that is not a list";
    for (const std::string& item : *list) {
      try {
        std::regex re(item, std::regex::ECMAScript);
      } catch (const std::regex_error& e) {  // Ferry throws nothing: converted here
        return "Syntax error in regular expression: " + item + ": " + e.what();
      }
    }
    return std::nullopt;
  };
}

Validator KnownClass(std::vector<std::string> classes) {
  std::vector<std::string> names = classes;
  for (const std::string& c : classes) {
    const size_t dot = c.rfind('.');
    if (dot != std::string::npos) names.push_back(c.substr(dot + 1));
  }
  return [names = std::move(names)](const ConfigValue& v) -> std::optional<std::string> {
    const auto* s = std::get_if<std::string>(&v);
    CHECK(s != nullptr) << "KnownClass() on a value that is not a string";
    if (std::find(names.begin(), names.end(), *s) == names.end()) return "Class " + *s + " could not be found.";
    return std::nullopt;
  };
}

Properties TranslateDeprecatedConfigs(const Properties& props,
                                      const std::vector<std::pair<std::string, std::string>>& aliases) {
  Properties out = props;
  for (const auto& [key, alias] : aliases) {
    auto it = out.find(alias);
    if (it == out.end()) continue;
    if (out.contains(key)) {
      LOG(WARNING) << key << " was configured, as well as the deprecated alias " << alias << "; using the value of "
                   << key;
    } else {
      LOG(WARNING) << "Configuration key " << alias << " is deprecated and may be removed in the future; please "
                   << "update your configuration to use " << key << " instead";
      out[key] = it->second;
    }
    out.erase(alias);
  }
  return out;
}

ConfigInfos BuildConfigInfos(const std::string& class_name, const ConfigDef& def, const Properties& props,
                             const std::map<std::string, std::vector<std::string>>& extra_errors) {
  ConfigInfos infos;
  infos.name = class_name;
  std::set<std::string> seen_groups;
  for (const ConfigKey& key : def.keys()) {
    if (!key.group.empty() && seen_groups.insert(key.group).second) infos.groups.push_back(key.group);
  }
  std::vector<ConfigValueInfo> values = def.Validate(props);
  for (size_t i = 0; i < def.keys().size(); ++i) {
    ConfigInfo info;
    info.definition = def.keys()[i];
    info.value = std::move(values[i]);
    infos.configs.push_back(std::move(info));
  }
  auto value_only = [&](const std::string& name, std::optional<std::string> value) {
    ConfigInfo info;
    info.value = ConfigValueInfo{};
    info.value->name = name;
    info.value->value = std::move(value);
    infos.configs.push_back(std::move(info));
  };
  // Settings no definition describes are left out, as Connect leaves them out (measured against a
  // Connect worker: `emit.heartbeats.enabled` given to MirrorSourceConnector, the clusters' bootstrap
  // servers, `producer.override.*`), unless a check across keys gave them an error.
  for (const auto& [name, errors] : extra_errors) {
    if (def.Find(name) != nullptr) continue;
    auto given = props.find(name);
    if (given == props.end()) {
      value_only(name, std::nullopt);
    } else {
      value_only(name, ShownValue(name, given->second));
    }
  }
  for (ConfigInfo& info : infos.configs) {
    auto it = extra_errors.find(info.value->name);
    if (it != extra_errors.end()) {
      info.value->errors.insert(info.value->errors.end(), it->second.begin(), it->second.end());
    }
    infos.error_count += static_cast<int>(info.value->errors.size());
  }
  return infos;
}

std::string ShownValue(const std::string& key, const std::string& value) {
  return kafka::IsSecret(key) ? std::string(kHiddenValue) : value;
}

Properties WithSecretsHidden(const Properties& config, const ConfigDef* def) {
  Properties out;
  for (const auto& [key, value] : config) {
    const ConfigKey* defined = def == nullptr ? nullptr : def->Find(key);
    const bool password = defined != nullptr && defined->type == ConfigType::kPassword;
    out[key] = password ? std::string(kHiddenValue) : ShownValue(key, value);
  }
  return out;
}

}  // namespace ferry::connectors
