// SASL for Ferry's own Kafka client: the client side of PLAIN (RFC 4616), SCRAM-SHA-256 and
// SCRAM-SHA-512 (RFC 5802, RFC 7677) and OAUTHBEARER with an unsecured JWT (RFC 7628; what
// librdkafka's enable.sasl.oauthbearer.unsecure.jwt sends), and the Kafka exchange that carries them:
// SaslHandshake v1 naming the mechanism, then SaslAuthenticate requests (KIP-152).
//
//   SaslLogin(connection, sasl, broker, deadline)   // on a fresh Connection, before anything else
//
// A refused login is a non-retriable Error that names the broker, the mechanism, the user and the
// keys to fix; it never contains a password or a token.
// Thread-safety: a SaslClient is used by one thread; SaslLogin is reentrant.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "worker/common/result.h"
#include "worker/group/connection.h"

namespace ferry::group {

struct SaslConfig {
  std::string mechanism;  // PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER
  std::string username;   // sasl.username (PLAIN, SCRAM)
  std::string password;   // sasl.password (PLAIN, SCRAM); never logged
  // OAUTHBEARER with an unsecured JWT, from sasl.oauthbearer.config (librdkafka's syntax:
  // principal=... [principalClaimName=sub] [scope=a,b] [scopeClaimName=scope] [lifeSeconds=3600]
  // [extension_NAME=value]...).
  struct UnsecuredJwt {
    std::string principal;
    std::string principal_claim = "sub";
    std::vector<std::string> scope;
    std::string scope_claim = "scope";
    int64_t life_seconds = 3600;
    std::map<std::string, std::string> extensions;
    bool operator==(const UnsecuredJwt&) const = default;
  };
  UnsecuredJwt jwt;

  // "SCRAM-SHA-512 as user 'ferry'" / "OAUTHBEARER as principal 'admin'": for messages and logs.
  std::string Describe() const;
};

// Parses librdkafka's sasl.oauthbearer.config; kInvalidConfig naming that key (values are not
// secrets there, but the message quotes only the offending attribute's name).
Result<SaslConfig::UnsecuredJwt> ParseUnsecuredJwtConfig(std::string_view text);

// One client side of a SASL exchange.
class SaslClient {
 public:
  virtual ~SaslClient() = default;
  // The first token.
  virtual Result<std::string> Initial() = 0;
  // Given the server's answer to the last token: the next token to send, or nullopt when the
  // exchange is complete and the server is verified (as far as the mechanism allows).
  virtual Result<std::optional<std::string>> Next(std::string_view server_token) = 0;
};

// The hash of a SCRAM mechanism. SHA-1 is for the RFC 5802 test vector only: Kafka has no SCRAM-SHA-1.
enum class ScramHash { kSha1, kSha256, kSha512 };

// `client_nonce` empty: 24 random bytes, base64. Tests pass the RFCs' nonces.
std::unique_ptr<SaslClient> NewScramClient(ScramHash hash, std::string username, std::string password,
                                           std::string client_nonce = "");
std::unique_ptr<SaslClient> NewPlainClient(std::string username, std::string password);
// `now_seconds`: the token's iat (its exp is iat + life_seconds).
std::unique_ptr<SaslClient> NewUnsecuredJwtClient(SaslConfig::UnsecuredJwt jwt, int64_t now_seconds);

// The client for config.mechanism (a CHECK for any other: ClientSecurity validates it first).
std::unique_ptr<SaslClient> NewSaslClient(const SaslConfig& config);

// Logs in on a freshly opened `transport` to `broker`: ApiVersions, SaslHandshake v1, then
// SaslAuthenticate (the highest of v0-v2 the broker offers) until the mechanism completes. Errors:
// kInvalidConfig (not retriable) when the listener does not enable the mechanism or refuses the
// credentials; kUnsupported for a broker without SaslHandshake v1 / SaslAuthenticate (Kafka < 1.0);
// kCorrupt for malformed answers; network errors and timeouts as the transport reports them.
Result<> SaslLogin(Transport& transport, const SaslConfig& config, const BrokerAddress& broker, Deadline deadline);


}  // namespace ferry::group
