// TLS of the REST API, both ends: the https listeners (`listeners=https://...`, `admin.listeners`)
// and the REST calls between workers (forwarding to the leader, task configs sent to it).
//
// Settings are Connect's (RestServer, SSLUtils): for the listeners of `listeners` every key under
// `listeners.https.` if any such key is set, else the worker's own `ssl.*` keys (all or nothing, not
// key by key); the same with `admin.listeners.https.` for admin listeners. Calls to other workers use
// the `listeners.https.` choice too, as Connect's RestClient does: its truststore verifies the other
// worker, its key and certificate answer a listener with ssl.client.auth.
//
// What is read: ssl.keystore.type PEM (ssl.keystore.location: a file with the private key and the
// certificate chain; or ssl.keystore.key with ssl.keystore.certificate.chain, inline PEM text) or
// PKCS12 (ssl.keystore.location, ssl.keystore.password); ssl.key.password for an encrypted key;
// ssl.truststore.type PEM (ssl.truststore.location or ssl.truststore.certificates) or PKCS12;
// ssl.client.auth (none, requested, required); ssl.enabled.protocols; ssl.cipher.suites (IANA names,
// as Java writes them); ssl.endpoint.identification.algorithm (https: the other worker's certificate
// must name the host of its URL; empty: not checked). JKS stores, ssl.provider and
// ssl.engine.factory.class are refused with what to set instead. Every error names the key as it was
// written ("listeners.https.ssl.keystore.location"); no password or key text ever appears in one.
//
// Thread-safety: RestTls is immutable once made and may be shared by threads. The process-wide
// client default (SetDefaultRestClientTls) is guarded by a mutex.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "worker/common/result.h"
#include "worker/common/types.h"

typedef struct ssl_ctx_st SSL_CTX;

namespace httplib {
class Client;
}

namespace ferry::worker {

inline constexpr std::string_view kListenersHttpsPrefix = "listeners.https.";
inline constexpr std::string_view kAdminListenersHttpsPrefix = "admin.listeners.https.";

// The ssl.* settings one kind of listener uses.
struct RestTlsSettings {
  Properties ssl;      // "ssl.keystore.location" -> value (prefix removed)
  std::string prefix;  // how the keys were written: "", "listeners.https." or "admin.listeners.https."

  bool operator==(const RestTlsSettings&) const = default;
};

// Connect's choice for `prefix`: the keys under it (prefix removed) if there is one, else the worker's
// bare ssl.* keys.
RestTlsSettings SelectRestTlsSettings(const Properties& worker_originals, std::string_view prefix);

// Loaded keys, certificates and choices of one RestTlsSettings.
class RestTls {
 public:
  // Reads the key files and checks every setting. `server`: the key and certificate are required.
  static Result<std::shared_ptr<const RestTls>> Load(const RestTlsSettings& settings, bool server);
  ~RestTls();
  RestTls(const RestTls&) = delete;
  RestTls& operator=(const RestTls&) = delete;

  // A new server context (owned by the caller; SSL_CTX_free): this certificate, the client
  // authentication asked for, the protocols and ciphers.
  Result<SSL_CTX*> NewServerContext() const;

  // Sets up `client`, made for `url`: for an https URL its certificate verification (this truststore,
  // else the system's CAs; the URL's host when endpoint identification is on) and this key and
  // certificate, if any. Nothing for http.
  Result<> ConfigureClient(httplib::Client& client, std::string_view url) const;

  bool has_certificate() const;

 private:
  struct Material;
  explicit RestTls(std::unique_ptr<Material> material);
  std::unique_ptr<Material> m_;
};

// The client settings of this process's calls to other workers (SendTaskConfigs); nullptr (the
// default): the system's CAs, host names checked, no client certificate.
void SetDefaultRestClientTls(std::shared_ptr<const RestTls> tls);
std::shared_ptr<const RestTls> DefaultRestClientTls();

// Sets up an httplib client for `url` with `tls` (nullptr: DefaultRestClientTls()).
Result<> ConfigureRestClient(httplib::Client& client, std::string_view url, const RestTls* tls = nullptr);

// Why the last REST client call of this thread failed its TLS handshake, if it did ("certificate
// verify failed: ..."), to add to httplib's "SSL connection failed". Cleared by ConfigureRestClient.
std::string LastRestClientTlsFailure();

}  // namespace ferry::worker
