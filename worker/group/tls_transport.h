// TLS for Ferry's own Kafka client (OpenSSL 3): a TlsContext made once from the ssl.* settings, and
// a TLS ByteStream over a TcpStream for each connection, which a Connection then frames.
//
// Verification as librdkafka >= 2.0 does it: the broker's chain against ssl.ca.location or ssl.ca.pem
// (the system's trust store when neither is set), and its name or IP address against the host
// Ferry dialled (ssl.endpoint.identification.algorithm=https, the default; `none` turns that
// off; enable.ssl.certificate.verification=false turns both off). A client certificate and key
// (ssl.certificate.location/.pem, ssl.key.location/.pem, ssl.key.password) are sent when the broker
// asks (mTLS). TLS 1.2 or later.
//
// Errors: TlsContext::Create gives kInvalidConfig naming the key whose file or PEM is unreadable,
// or a key that does not match its certificate. A handshake that fails verification (unknown CA,
// expired certificate, name mismatch) or the broker's refusal (no client certificate) is a
// non-retriable kKafka naming the broker, the cause and the key to look at; network errors and
// the deadline are retriable, as for plain TCP.
// Thread-safety: a TlsContext is immutable once made and shared by every connection on any thread;
// a stream is used by one thread at a time.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "worker/common/result.h"
#include "worker/group/connection.h"

struct ssl_ctx_st;  // SSL_CTX

namespace ferry::group {

struct TlsConfig {
  std::optional<std::string> ca_location;           // ssl.ca.location: a PEM file or a hashed directory
  std::optional<std::string> ca_pem;                // ssl.ca.pem
  std::optional<std::string> certificate_location;  // ssl.certificate.location (PEM, chain allowed)
  std::optional<std::string> certificate_pem;       // ssl.certificate.pem
  std::optional<std::string> key_location;          // ssl.key.location (PEM)
  std::optional<std::string> key_pem;               // ssl.key.pem
  std::optional<std::string> key_password;          // ssl.key.password; never logged
  bool verify_certificate = true;                   // enable.ssl.certificate.verification
  bool verify_hostname = true;                      // ssl.endpoint.identification.algorithm=https
  std::optional<std::string> cipher_suites;         // ssl.cipher.suites (OpenSSL cipher list)
  std::optional<std::string> curves;                // ssl.curves.list
  std::optional<std::string> sigalgs;               // ssl.sigalgs.list
};

class TlsContext {
 public:
  static Result<std::shared_ptr<const TlsContext>> Create(const TlsConfig& config);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  // Runs the TLS handshake over `tcp` (to tcp->broker(), whose host is verified) within `deadline`.
  Result<std::unique_ptr<ByteStream>> Handshake(std::unique_ptr<TcpStream> tcp, Deadline deadline) const;

  bool has_client_certificate() const { return has_client_certificate_; }

 private:
  TlsContext(ssl_ctx_st* ctx, const TlsConfig& config);

  ssl_ctx_st* ctx_;
  bool verify_certificate_;
  bool verify_hostname_;
  bool has_client_certificate_;
  std::string ca_key_;  // the key that named the trusted CAs, for messages
};

}  // namespace ferry::group
