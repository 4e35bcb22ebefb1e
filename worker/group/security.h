// How Ferry's own Kafka client (the worker group, topic-ID lookups) connects: security.protocol
// PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL, configured by the same client properties as the
// librdkafka clients of the same cluster (Java keys are first translated by
// kafka::FromJavaClientConfig, so one worker config sets up both).
//
//   auto security = ClientSecurity::FromProperties(worker_config.AdminProps());  // checks everything
//   GroupMember member(config, SecureConnectionFactory(*security, "ferry-worker", clock), clock);
//
// Honoured: ssl.ca.location, ssl.ca.pem, ssl.certificate.location/.pem, ssl.key.location/.pem,
// ssl.key.password, ssl.endpoint.identification.algorithm (https|none), enable.ssl.certificate.verification,
// ssl.cipher.suites, ssl.curves.list, ssl.sigalgs.list; sasl.mechanism(s) PLAIN, SCRAM-SHA-256,
// SCRAM-SHA-512, OAUTHBEARER with enable.sasl.oauthbearer.unsecure.jwt=true and
// sasl.oauthbearer.config; sasl.username, sasl.password. Anything else under ssl. or sasl. that
// matters for the protocol in use (GSSAPI, OIDC, PKCS#12 key stores, CRLs, engines) is a
// kInvalidConfig saying what to set instead: never dropped, never a fallback to plain TCP.
// Errors and Describe() name keys and users, never passwords, key passwords or tokens.
// Thread-safety: immutable once made; share it between threads.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "worker/common/result.h"
#include "worker/common/types.h"
#include "worker/group/connection.h"
#include "worker/group/sasl.h"
#include "worker/group/tls_transport.h"

namespace ferry::group {

enum class SecurityProtocol { kPlaintext, kSsl, kSaslPlaintext, kSaslSsl };
const char* SecurityProtocolName(SecurityProtocol protocol);  // "SASL_SSL"

class ClientSecurity {
 public:
  // Plain TCP, nothing else.
  static std::shared_ptr<const ClientSecurity> Plaintext();
  // Reads and checks the settings, loads the TLS material (so an unreadable key file fails here).
  static Result<std::shared_ptr<const ClientSecurity>> FromProperties(const Properties& props);

  SecurityProtocol protocol() const { return protocol_; }
  // "SASL_SSL, SCRAM-SHA-512 as user 'ferry'" (no secrets), for logs.
  std::string Describe() const;

  // Connects to `broker`: TCP, then the TLS handshake, then the SASL login, all within `deadline`.
  Result<TransportPtr> Open(const BrokerAddress& broker, const std::string& client_id, Clock& clock,
                            Deadline deadline) const;

 private:
  ClientSecurity() = default;

  SecurityProtocol protocol_ = SecurityProtocol::kPlaintext;
  std::shared_ptr<const TlsContext> tls_;  // SSL, SASL_SSL
  std::optional<SaslConfig> sasl_;         // SASL_*
};

// A TransportFactory that opens connections as `security` says. `clock` must outlive it.
TransportFactory SecureConnectionFactory(std::shared_ptr<const ClientSecurity> security, std::string client_id,
                                         Clock& clock);

}  // namespace ferry::group
