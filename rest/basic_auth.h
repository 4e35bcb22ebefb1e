// BasicAuth: HTTP Basic authentication of the REST API as Kafka Connect's
// BasicAuthSecurityRestExtension does it (`rest.extension.classes=org.apache.kafka.connect.rest.
// basic.auth.extension.BasicAuthSecurityRestExtension`).
//
// Users come from a JAAS file whose `KafkaConnect` entry names Connect's PropertyFileLoginModule:
//
//   KafkaConnect {
//     org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule required
//     file="/etc/ferry/rest-credentials.properties";
//   };
//
// and the credentials file is a Java properties file of `user=password` lines (an empty file lets
// every request through, as in Connect, with a warning at start). Connect finds the JAAS file through
// the JVM property java.security.auth.login.config, which its users put in KAFKA_OPTS
// (-Djava.security.auth.login.config=/path); Ferry reads it from there too, and from its own worker
// key ferry.rest.auth.login.config, which wins. Other login modules, a missing KafkaConnect entry or
// an unreadable file stop the start with the reason (Connect would answer every request 401).
//
// A request passes with `Authorization: Basic base64(user:password)` of a user in the file (passwords
// compared in constant time; only their SHA-256 is kept). Like Connect's JaasBasicAuthFilter, a
// POST to /connectors/<name>/tasks (task configs a follower sends to the leader, which are signed,
// worker/request_signature.h) needs no credentials. Any other request without valid credentials is
// answered 401 with Connect's body, "User cannot access the resource.", and (unlike Connect, as RFC
// 9110 asks) `WWW-Authenticate: Basic realm="KafkaConnect"`. Neither user names nor passwords are
// logged.
//
// Thread-safety: immutable once loaded; Allows() may run on any thread.
#pragma once

#include <array>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "worker/common/result.h"
#include "worker/common/types.h"

namespace ferry::rest {

inline constexpr std::string_view kUnauthorizedBody = "User cannot access the resource.";
inline constexpr std::string_view kWwwAuthenticate = "Basic realm=\"KafkaConnect\"";

class BasicAuth {
 public:
  // Reads the JAAS file at `jaas_path` and the credentials file its KafkaConnect entry names.
  static Result<std::shared_ptr<const BasicAuth>> FromJaasFile(const std::string& jaas_path);
  // user -> password, as read from a credentials file.
  static std::shared_ptr<const BasicAuth> FromCredentials(const Properties& users);

  // Whether an Authorization header value (nullopt: none) names a known user with its password.
  bool Allows(const std::optional<std::string>& authorization) const;

  // Connect's exception: a POST to /connectors/<name>/tasks (optionally with a trailing '/').
  static bool IsInternalRequest(std::string_view method, std::string_view target);

 private:
  using Digest = std::array<unsigned char, 32>;
  std::map<std::string, Digest> users_;  // user -> SHA-256(password)
  bool allow_all_ = false;               // an empty credentials file
};

// The JAAS file to use: `configured` (ferry.rest.auth.login.config) if set, else the value of
// -Djava.security.auth.login.config in `kafka_opts` (the KAFKA_OPTS environment variable; nullptr
// if unset). kInvalidConfig when neither names one.
Result<std::string> LoginConfigPath(const std::string& configured, const char* kafka_opts);

}  // namespace ferry::rest
