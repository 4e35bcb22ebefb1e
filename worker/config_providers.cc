#include "worker/config_providers.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "worker/properties.h"

namespace ferry::worker {

namespace {

constexpr char kClassSuffix[] = ".class";
constexpr char kParamInfix[] = ".param.";
constexpr char kAllowlistPattern[] = "allowlist.pattern";
constexpr char kAllowedPaths[] = "allowed.paths";
constexpr size_t kMaxSecretFileBytes = 1 << 20;

bool StartsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

std::string Trim(std::string_view s) {
  size_t b = 0;
  size_t e = s.size();
  while (b < e && static_cast<unsigned char>(s[b]) <= ' ') ++b;
  while (e > b && static_cast<unsigned char>(s[e - 1]) <= ' ') --e;
  return std::string(s.substr(b, e - b));
}

std::vector<std::string> SplitList(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    std::string item = Trim(text.substr(start, comma - start));
    if (!item.empty()) out.push_back(std::move(item));
    start = comma + 1;
  }
  return out;
}

std::string Joined(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

// Accepts a class by its full name or its simple name, as the worker's other class keys.
bool SameClass(const std::string& given, const char* full) {
  const std::string_view f(full);
  return given == f || given == f.substr(f.rfind('.') + 1);
}

Error KeyError(const std::string& key, const std::string& why) {
  return Error(ErrorCode::kInvalidConfig, "Cannot resolve the value of configuration " + key + ": " + why);
}

std::string Describe(const ConfigReference& ref) {
  return "${" + ref.provider + ":" + (ref.path.empty() ? "" : ref.path + ":") + ref.key + "}";
}

// True if `path` (absolute, normalized) lies in one of `allowed`.
bool PathAllowed(const std::filesystem::path& path, const std::vector<std::string>& allowed) {
  if (allowed.empty()) return true;
  for (const std::string& a : allowed) {
    const std::filesystem::path base = std::filesystem::path(a).lexically_normal();
    auto mismatch = std::mismatch(base.begin(), base.end(), path.begin(), path.end());
    // A trailing separator of `base` leaves an empty last element.
    if (mismatch.first == base.end() || (std::next(mismatch.first) == base.end() && mismatch.first->empty())) {
      return true;
    }
  }
  return false;
}

Result<std::string> ReadWholeFile(const std::filesystem::path& path, const std::string& key,
                                  const std::string& provider) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return KeyError(key, "config provider '" + provider + "' finds no regular file " + path.string());
  }
  const auto size = std::filesystem::file_size(path, ec);
  if (ec || size > kMaxSecretFileBytes) {
    return KeyError(key, "config provider '" + provider + "' cannot read " + path.string() +
                             (ec ? ": " + ec.message() : std::string(": larger than 1 MiB")));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return KeyError(key, "config provider '" + provider + "' cannot read " + path.string() + ": " +
                             std::strerror(errno));
  }
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

std::vector<ConfigReference> FindConfigReferences(std::string_view value) {
  std::vector<ConfigReference> refs;
  size_t pos = 0;
  while ((pos = value.find("${", pos)) != std::string_view::npos) {
    const size_t close = value.find('}', pos + 2);
    if (close == std::string_view::npos) break;
    const std::string_view body = value.substr(pos + 2, close - pos - 2);
    const size_t colon = body.find(':');
    if (colon == std::string_view::npos) {  // not a reference: `${x}`
      pos += 2;
      continue;
    }
    ConfigReference ref;
    ref.provider = std::string(body.substr(0, colon));
    const std::string_view rest = body.substr(colon + 1);
    const size_t second = rest.find(':');
    if (second == std::string_view::npos) {
      ref.key = std::string(rest);
    } else {
      ref.path = std::string(rest.substr(0, second));
      ref.key = std::string(rest.substr(second + 1));
    }
    ref.begin = pos;
    ref.end = close + 1;
    refs.push_back(std::move(ref));
    pos = close + 1;
  }
  return refs;
}

bool HasConfigReferences(std::string_view value) { return !FindConfigReferences(value).empty(); }

Result<std::shared_ptr<const ConfigProviders>> ConfigProviders::FromProperties(const Properties& props) {
  auto out = std::make_shared<ConfigProviders>();
  auto names = props.find(kConfigProviders);
  if (names == props.end()) return std::shared_ptr<const ConfigProviders>(std::move(out));
  const std::string prefix = std::string(kConfigProviders) + ".";
  for (const std::string& name : SplitList(names->second)) {
    const std::string class_key = prefix + name + kClassSuffix;
    auto cls = props.find(class_key);
    if (cls == props.end() || Trim(cls->second).empty()) {
      return Error::InvalidConfig(class_key, "config.providers names '" + name + "', which needs a class: one of " +
                                                 kFileConfigProviderClass + ", " + kEnvVarConfigProviderClass + ", " +
                                                 kDirectoryConfigProviderClass);
    }
    const std::string class_name = Trim(cls->second);
    Provider provider;
    if (SameClass(class_name, kFileConfigProviderClass)) {
      provider.kind = Kind::kFile;
    } else if (SameClass(class_name, kEnvVarConfigProviderClass)) {
      provider.kind = Kind::kEnv;
    } else if (SameClass(class_name, kDirectoryConfigProviderClass)) {
      provider.kind = Kind::kDirectory;
    } else {
      return Error::InvalidConfig(class_key, "Ferry cannot run the config provider class " + class_name +
                                                 " (Java plugins do not load in Ferry); it has " +
                                                 kFileConfigProviderClass + ", " + kEnvVarConfigProviderClass +
                                                 " and " + kDirectoryConfigProviderClass);
    }
    const std::string param_prefix = prefix + name + kParamInfix;
    for (auto it = props.lower_bound(param_prefix); it != props.end() && StartsWith(it->first, param_prefix); ++it) {
      const std::string param = it->first.substr(param_prefix.size());
      if (param == kAllowlistPattern && provider.kind == Kind::kEnv) {
        try {
          provider.allowlist.emplace(it->second, std::regex::ECMAScript);
        } catch (const std::regex_error& e) {
          return Error::InvalidConfig(it->first, std::string("not a regular expression: ") + e.what());
        }
      } else if (param == kAllowedPaths && provider.kind != Kind::kEnv) {
        for (const std::string& p : SplitList(it->second)) {
          if (!std::filesystem::path(p).is_absolute()) {
            return Error::InvalidConfig(it->first, "'" + p + "' is not an absolute path");
          }
          provider.allowed_paths.push_back(std::filesystem::path(p).lexically_normal().string());
        }
      } else {
        return Error::InvalidConfig(it->first, "the config provider " + class_name + " has no parameter '" + param +
                                                   "'");
      }
    }
    out->providers_[name] = std::move(provider);
  }
  // A class or parameter for a provider config.providers does not name: Kafka ignores it; so does Ferry.
  return std::shared_ptr<const ConfigProviders>(std::move(out));
}

std::vector<std::string> ConfigProviders::names() const {
  std::vector<std::string> out;
  for (const auto& [name, p] : providers_) out.push_back(name);
  return out;
}

Result<std::string> ConfigProviders::Lookup(const std::string& key, const ConfigReference& ref) const {
  auto found = providers_.find(ref.provider);
  if (found == providers_.end()) {
    return KeyError(key, "it refers to the config provider '" + ref.provider + "', which " +
                             (providers_.empty() ? std::string("is not configured (config.providers is empty)")
                                                 : "is not in config.providers (" + Joined(names()) + ")"));
  }
  const Provider& provider = found->second;
  const std::string where = "config provider '" + ref.provider + "'";
  switch (provider.kind) {
    case Kind::kEnv: {
      if (!ref.path.empty()) {
        return KeyError(key, where + " takes no path (" + Describe(ref) + "); write ${" + ref.provider + ":NAME}");
      }
      if (provider.allowlist && !std::regex_search(ref.key, *provider.allowlist)) {
        return KeyError(key, where + ": the environment variable " + ref.key + " does not match allowlist.pattern");
      }
      const char* value = std::getenv(ref.key.c_str());
      if (value == nullptr) return KeyError(key, where + ": no environment variable " + ref.key);
      return std::string(value);
    }
    case Kind::kFile:
    case Kind::kDirectory: {
      if (ref.path.empty()) {
        return KeyError(key, where + " needs a path (" + Describe(ref) + ")");
      }
      const std::filesystem::path path = std::filesystem::path(ref.path).lexically_normal();
      if (!path.is_absolute() && !provider.allowed_paths.empty()) {
        return KeyError(key, where + ": " + ref.path + " is not an absolute path, which allowed.paths requires");
      }
      if (!PathAllowed(path, provider.allowed_paths)) {
        return KeyError(key, where + ": " + ref.path + " is outside allowed.paths");
      }
      if (provider.kind == Kind::kDirectory) {
        if (ref.key.empty() || ref.key.find('/') != std::string::npos || ref.key == "." || ref.key == "..") {
          return KeyError(key, where + ": '" + ref.key + "' is not a file name");
        }
        return ReadWholeFile(path / ref.key, key, ref.provider);
      }
      Result<std::string> text = ReadWholeFile(path, key, ref.provider);
      if (!text.ok()) return text.error();
      // A parse error names a line of the file, never its content.
      Result<Properties> props = ParseProperties(*text);
      if (!props.ok()) return KeyError(key, where + ": " + ref.path + ": " + props.error().message());
      auto value = props->find(ref.key);
      if (value == props->end()) return KeyError(key, where + ": " + ref.path + " has no key " + ref.key);
      return value->second;
    }
  }
  return KeyError(key, "unknown provider kind");
}

Result<std::string> ConfigProviders::ResolveValue(const std::string& key, const std::string& value,
                                                  std::vector<Provided>* provided) const {
  const std::vector<ConfigReference> refs = FindConfigReferences(value);
  if (refs.empty()) return value;
  std::string out;
  size_t at = 0;
  for (const ConfigReference& ref : refs) {
    Result<std::string> got = Lookup(key, ref);
    if (!got.ok()) return got.error();
    out.append(value, at, ref.begin - at);
    out += *got;
    if (provided != nullptr) provided->push_back({*got, value.substr(ref.begin, ref.end - ref.begin)});
    at = ref.end;
  }
  out.append(value, at, std::string::npos);
  return out;
}

Result<Properties> ConfigProviders::Resolve(const Properties& config, std::vector<Provided>* provided) const {
  Properties out;
  for (const auto& [key, value] : config) {
    Result<std::string> resolved = ResolveValue(key, value, provided);
    if (!resolved.ok()) return resolved.error();
    out[key] = std::move(*resolved);
  }
  return out;
}

ConfigProviders::Resolution ConfigProviders::ResolveEach(const Properties& config,
                                                        std::vector<Provided>* provided) const {
  Resolution r;
  for (const auto& [key, value] : config) {
    Result<std::string> resolved = ResolveValue(key, value, provided);
    if (resolved.ok()) {
      r.resolved[key] = std::move(*resolved);
    } else {
      r.resolved[key] = value;
      r.errors[key] = resolved.error().message();
    }
  }
  return r;
}

Result<std::vector<Properties>> UnresolveTaskConfigs(const Properties& raw_connector_config,
                                                     const Properties& resolved_connector_config,
                                                     const std::vector<ConfigProviders::Provided>& provided,
                                                     std::vector<Properties> task_configs) {
  // Whole resolved values of the connector's settings with references -> their raw values.
  std::map<std::string, std::string> raw_of;
  for (const auto& [key, raw] : raw_connector_config) {
    if (!HasConfigReferences(raw)) continue;
    auto resolved = resolved_connector_config.find(key);
    if (resolved != resolved_connector_config.end() && resolved->second.size() >= kMinHiddenLength) {
      raw_of.emplace(resolved->second, raw);
    }
  }
  for (Properties& task : task_configs) {
    for (auto& [key, value] : task) {
      auto same_key = raw_connector_config.find(key);
      if (same_key != raw_connector_config.end() && HasConfigReferences(same_key->second)) {
        value = same_key->second;  // Connect's reverse transform
        continue;
      }
      if (auto same_value = raw_of.find(value); same_value != raw_of.end()) value = same_value->second;
    }
    for (const auto& [key, value] : task) {
      for (const ConfigProviders::Provided& p : provided) {
        if (p.value.size() >= kMinDerivedLength && value.find(p.value) != std::string::npos) {
          return Error::InvalidConfig(key, "the connector made a task setting that holds a value read from " +
                                               p.reference + "; Ferry does not store such values in the config "
                                               "topic");
        }
      }
    }
  }
  return task_configs;
}

std::string HideProvidedValues(std::string text, const std::vector<ConfigProviders::Provided>& provided) {
  std::vector<const ConfigProviders::Provided*> order;
  for (const ConfigProviders::Provided& p : provided) {
    if (p.value.size() >= kMinHiddenLength) order.push_back(&p);
  }
  std::stable_sort(order.begin(), order.end(), [](const auto* a, const auto* b) { return a->value.size() > b->value.size(); });
  for (const ConfigProviders::Provided* p : order) {
    size_t pos = 0;
    while ((pos = text.find(p->value, pos)) != std::string::npos) {
      text.replace(pos, p->value.size(), p->reference);
      pos += p->reference.size();
    }
  }
  return text;
}

}  // namespace ferry::worker
