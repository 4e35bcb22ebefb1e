// Config providers: values that name where a setting lives instead of holding it, as Kafka's
// ConfigTransformer reads them. A value may contain references `${provider:[path:]key}`; the worker's
// `config.providers=file,env,directory` names the providers, `config.providers.<name>.class` their
// classes (Kafka's three built-in ones) and `config.providers.<name>.param.<p>` their parameters:
//  - FileConfigProvider      `${file:/etc/ferry/secrets.properties:sasl.password}`: the key of a
//                            properties file (read as java.util.Properties reads it);
//  - EnvVarConfigProvider    `${env:SASL_PASSWORD}` (no path): an environment variable, only if its
//                            name matches the `allowlist.pattern` parameter (a Java-style regex over
//                            the whole name; default: every variable);
//  - DirectoryConfigProvider `${directory:/run/secrets:sasl-password}`: the whole content of the file
//                            of that name in that directory (a Kubernetes secret volume).
// File and directory providers take Kafka's `allowed.paths` parameter (comma-separated directories a
// path must lie in; unset: any path).
//
// References are resolved at use: when a connector or task starts (Worker), when the worker's own
// settings are read (WorkerConfig), when a client is made from a connector's config (cutover). The
// configs themselves (config topic, GET .../config) keep what the user wrote.
//
// Differences from Kafka, on purpose: a reference Kafka cannot resolve (an unknown provider, a
// missing file, key or variable) stays in the value as literal text there, to reach a client as a
// wrong password; here it is an error naming the key (never the value), so the connector or task is
// FAILED with the reason. A provider class other than Kafka's three is refused at startup, naming
// the three. References do not span `}` (Kafka's pattern can, across two references).
// Thread-safety: immutable once built; Resolve reads files and the environment on each call.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "worker/common/result.h"
#include "worker/common/types.h"

namespace ferry::worker {

inline constexpr char kConfigProviders[] = "config.providers";
inline constexpr char kFileConfigProviderClass[] = "org.apache.kafka.common.config.provider.FileConfigProvider";
inline constexpr char kEnvVarConfigProviderClass[] = "org.apache.kafka.common.config.provider.EnvVarConfigProvider";
inline constexpr char kDirectoryConfigProviderClass[] =
    "org.apache.kafka.common.config.provider.DirectoryConfigProvider";

// One `${provider:[path:]key}` in a value: where it is, and its parts (path "" when absent).
struct ConfigReference {
  std::string provider;
  std::string path;
  std::string key;
  size_t begin = 0;  // offset of '$'
  size_t end = 0;    // offset after '}'
};

// The references in `value`, in order.
std::vector<ConfigReference> FindConfigReferences(std::string_view value);
bool HasConfigReferences(std::string_view value);

class ConfigProviders {
 public:
  // The providers `props` declares (a worker's or mm2.properties' keys). No `config.providers`, or an
  // empty one: no providers (every reference is then an error at use). Errors name the key: a name
  // without `config.providers.<name>.class`, a class Ferry does not have (with the three it has), a
  // bad `allowlist.pattern`.
  static Result<std::shared_ptr<const ConfigProviders>> FromProperties(const Properties& props);

  bool empty() const { return providers_.empty(); }
  std::vector<std::string> names() const;

  // What one reference gave, with the reference's text.
  struct Provided {
    std::string value;
    std::string reference;  // "${file:/p:k}"
  };
  // Every reference of every value replaced by what its provider gives. The first failure is a
  // kInvalidConfig Error naming the key and the provider (never the value, nor what was read).
  // `provided` (if set) gets what each reference gave.
  Result<Properties> Resolve(const Properties& config, std::vector<Provided>* provided = nullptr) const;

  // For validation: each key resolved on its own, the keys that failed with why (as Resolve's).
  struct Resolution {
    Properties resolved;                          // failed keys keep their raw value
    std::map<std::string, std::string> errors;    // key -> reason (names the key)
  };
  Resolution ResolveEach(const Properties& config, std::vector<Provided>* provided = nullptr) const;

 private:
  enum class Kind { kFile, kEnv, kDirectory };
  struct Provider {
    Kind kind = Kind::kFile;
    std::optional<std::regex> allowlist;      // env
    std::vector<std::string> allowed_paths;   // file, directory (empty: any)
  };
  Result<std::string> ResolveValue(const std::string& key, const std::string& value,
                                   std::vector<Provided>* provided) const;
  Result<std::string> Lookup(const std::string& key, const ConfigReference& ref) const;

  std::map<std::string, Provider> providers_;
};

// Connect's reverse transform of the task configs a connector made from its resolved config, so that
// what is stored in the config topic holds the references, not what they resolved to: a task setting
// whose connector setting holds references gets the connector's raw value back; a task setting under
// another name whose whole value is the resolved value of such a connector setting (kMinHiddenLength
// characters or more) gets that setting's raw value. A value a provider gave (kMinDerivedLength
// characters or more) still found inside a task setting after that (a connector that derived a
// setting from a resolved one) is an error naming the task key, and nothing is to be written.
inline constexpr size_t kMinHiddenLength = 4;
inline constexpr size_t kMinDerivedLength = 8;
Result<std::vector<Properties>> UnresolveTaskConfigs(const Properties& raw_connector_config,
                                                     const Properties& resolved_connector_config,
                                                     const std::vector<ConfigProviders::Provided>& provided,
                                                     std::vector<Properties> task_configs);

// `text` (an error message, a status trace) with every value a provider gave (kMinHiddenLength
// characters or more; longest first) put back as its reference's text, so a message that echoes a
// setting shows what the user wrote and never what was read.
std::string HideProvidedValues(std::string text, const std::vector<ConfigProviders::Provided>& provided);

}  // namespace ferry::worker
