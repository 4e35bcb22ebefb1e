#include "worker/rest_tls.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>
#include <vector>

#include <glog/logging.h>
#include <httplib.h>

namespace ferry::worker {
namespace {

struct OpenSslFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(X509_STORE* p) const { X509_STORE_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(PKCS12* p) const { PKCS12_free(p); }
  void operator()(SSL_CTX* p) const { SSL_CTX_free(p); }
};
template <class T>
using Ptr = std::unique_ptr<T, OpenSslFree>;

constexpr size_t kMaxStoreBytes = 4 << 20;

// The keys a REST TLS setting may have (under a listeners.https. prefix anything else is refused).
const std::vector<std::string>& KnownKeys() {
  static const std::vector<std::string> keys = {
      "ssl.keystore.type",        "ssl.keystore.location",        "ssl.keystore.password",
      "ssl.keystore.key",         "ssl.keystore.certificate.chain", "ssl.key.password",
      "ssl.truststore.type",      "ssl.truststore.location",      "ssl.truststore.password",
      "ssl.truststore.certificates", "ssl.client.auth",           "ssl.enabled.protocols",
      "ssl.protocol",             "ssl.cipher.suites",            "ssl.endpoint.identification.algorithm",
      "ssl.provider",             "ssl.engine.factory.class",     "ssl.keymanager.algorithm",
      "ssl.trustmanager.algorithm", "ssl.secure.random.implementation"};
  return keys;
}

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

std::vector<std::string> SplitList(const std::string& value) {
  std::vector<std::string> out;
  std::stringstream in(value);
  std::string item;
  while (std::getline(in, item, ',')) {
    item = Trim(item);
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

// OpenSSL's queued errors as one line (and the queue emptied).
std::string OpenSslErrors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    out += (out.empty() ? "" : "; ") + std::string(buf);
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

// Each -----BEGIN X----- block rebuilt with its Base64 in lines of 64, so that PEM text given in a
// properties value (where continuation lines lose their line ends) reads. Blocks with headers
// (traditional encrypted keys) are kept as written.
std::string NormalizePem(std::string_view text) {
  std::string out;
  size_t pos = 0;
  while (true) {
    const size_t begin = text.find("-----BEGIN ", pos);
    if (begin == std::string_view::npos) break;
    const size_t label_end = text.find("-----", begin + 11);
    if (label_end == std::string_view::npos) break;
    const std::string label(text.substr(begin + 11, label_end - begin - 11));
    const std::string end_marker = "-----END " + label + "-----";
    const size_t end = text.find(end_marker, label_end + 5);
    if (end == std::string_view::npos) break;
    const std::string_view body = text.substr(label_end + 5, end - label_end - 5);
    if (body.find(':') != std::string_view::npos) {
      out += std::string(text.substr(begin, end + end_marker.size() - begin)) + "\n";
    } else {
      std::string base64;
      for (char c : body) {
        if (!std::isspace(static_cast<unsigned char>(c))) base64.push_back(c);
      }
      out += "-----BEGIN " + label + "-----\n";
      for (size_t i = 0; i < base64.size(); i += 64) out += base64.substr(i, 64) + "\n";
      out += end_marker + "\n";
    }
    pos = end + end_marker.size();
  }
  return out;
}

struct PasswordContext {
  const std::string* password = nullptr;
  bool asked = false;
};

// OpenSSL's password callback: the configured password, never a prompt on the terminal.
int PasswordCallback(char* buf, int size, int, void* user) {
  auto* context = static_cast<PasswordContext*>(user);
  context->asked = true;
  if (context->password == nullptr) return 0;
  const int n = static_cast<int>(std::min<size_t>(context->password->size(), static_cast<size_t>(size)));
  std::memcpy(buf, context->password->data(), static_cast<size_t>(n));
  return n;
}

Ptr<BIO> MemoryBio(const std::string& bytes) {
  return Ptr<BIO>(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
}

std::vector<Ptr<X509>> ReadCertificates(const std::string& pem) {
  std::vector<Ptr<X509>> out;
  Ptr<BIO> bio = MemoryBio(pem);
  PasswordContext none;
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, PasswordCallback, &none)) out.emplace_back(cert);
  ERR_clear_error();  // the end of the text
  return out;
}

int VerifyCallback(int ok, X509_STORE_CTX* store);

thread_local std::string t_last_failure;

int VerifyCallback(int ok, X509_STORE_CTX* store) {
  if (!ok && t_last_failure.empty()) {
    t_last_failure = std::string("certificate verify failed: ") +
                     X509_verify_cert_error_string(X509_STORE_CTX_get_error(store));
  }
  return ok;
}

// The host of an http(s) URL: "https://[::1]:8443/" -> "::1".
std::string UrlHost(std::string_view url) {
  const size_t scheme = url.find("://");
  if (scheme != std::string_view::npos) url.remove_prefix(scheme + 3);
  url = url.substr(0, url.find('/'));
  if (!url.empty() && url.front() == '[') return std::string(url.substr(1, url.find(']') - 1));
  return std::string(url.substr(0, url.rfind(':')));
}

bool StartsWithHttps(std::string_view url) {
  return url.size() >= 8 && Lower(std::string(url.substr(0, 8))) == "https://";
}

std::mutex g_default_mu;
std::shared_ptr<const RestTls> g_default;  // g_default_mu

}  // namespace

struct RestTls::Material {
  std::string prefix;
  Ptr<EVP_PKEY> key;
  std::vector<Ptr<X509>> chain;  // the leaf first
  std::vector<Ptr<X509>> trusted;
  Ptr<X509_STORE> trust;  // null: the system's CAs
  enum class ClientAuth { kNone, kRequested, kRequired } client_auth = ClientAuth::kNone;
  int min_version = TLS1_2_VERSION;
  int max_version = TLS1_3_VERSION;
  std::string cipher_list;   // TLS 1.2 and below, OpenSSL's names; "" OpenSSL's default
  std::string ciphersuites;  // TLS 1.3
  bool verify_host = true;

  Result<> ApplyCommon(SSL_CTX* ctx) const {
    if (SSL_CTX_set_min_proto_version(ctx, min_version) != 1 || SSL_CTX_set_max_proto_version(ctx, max_version) != 1) {
      return Error::InvalidConfig(prefix + "ssl.enabled.protocols", "not supported by OpenSSL: " + OpenSslErrors());
    }
    if (!cipher_list.empty() && SSL_CTX_set_cipher_list(ctx, cipher_list.c_str()) != 1) {
      return Error::InvalidConfig(prefix + "ssl.cipher.suites", "none of the suites is available: " + OpenSslErrors());
    }
    if (!ciphersuites.empty() && SSL_CTX_set_ciphersuites(ctx, ciphersuites.c_str()) != 1) {
      return Error::InvalidConfig(prefix + "ssl.cipher.suites", "none of the TLS 1.3 suites is available: " + OpenSslErrors());
    }
    if (key) {
      if (SSL_CTX_use_certificate(ctx, chain.front().get()) != 1) {
        return Error::InvalidConfig(prefix + "ssl.keystore.location", "certificate refused: " + OpenSslErrors());
      }
      for (size_t i = 1; i < chain.size(); ++i) {
        if (SSL_CTX_add1_chain_cert(ctx, chain[i].get()) != 1) {
          return Error::InvalidConfig(prefix + "ssl.keystore.location", "chain certificate refused: " + OpenSslErrors());
        }
      }
      if (SSL_CTX_use_PrivateKey(ctx, key.get()) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
        ERR_clear_error();
        return Error::InvalidConfig(prefix + "ssl.keystore.location",
                                    "the private key does not belong to the first certificate of the chain");
      }
    }
    return Ok();
  }
};

RestTlsSettings SelectRestTlsSettings(const Properties& originals, std::string_view prefix) {
  RestTlsSettings out;
  for (const auto& [key, value] : originals) {
    if (key.size() > prefix.size() && key.compare(0, prefix.size(), prefix) == 0) {
      out.ssl[key.substr(prefix.size())] = value;
    }
  }
  if (!out.ssl.empty()) {
    out.prefix = std::string(prefix);
    return out;
  }
  for (const auto& [key, value] : originals) {
    if (key.rfind("ssl.", 0) == 0) out.ssl[key] = value;
  }
  return out;
}

RestTls::RestTls(std::unique_ptr<Material> material) : m_(std::move(material)) {}
RestTls::~RestTls() = default;

bool RestTls::has_certificate() const { return m_->key != nullptr; }

Result<std::shared_ptr<const RestTls>> RestTls::Load(const RestTlsSettings& settings, bool server) {
  auto m = std::make_unique<Material>();
  m->prefix = settings.prefix;
  const std::string& p = settings.prefix;
  auto get = [&](const std::string& key) -> std::optional<std::string> {
    auto it = settings.ssl.find(key);
    if (it == settings.ssl.end()) return std::nullopt;
    std::string value = Trim(it->second);
    if (value.empty()) return std::nullopt;
    return value;
  };
  auto bad = [&](const std::string& key, const std::string& why) { return Error::InvalidConfig(p + key, why); };
  auto read_file = [&](const std::string& key, const std::string& path) -> Result<std::string> {
    std::ifstream in(path, std::ios::binary);
    if (!in) return bad(key, "cannot read '" + path + "': " + std::strerror(errno));
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) return bad(key, "cannot read '" + path + "': " + std::strerror(errno));
    if (bytes.size() > kMaxStoreBytes) return bad(key, "'" + path + "' is larger than 4 MiB");
    return bytes;
  };

  if (!p.empty()) {
    for (const auto& [key, value] : settings.ssl) {
      if (std::find(KnownKeys().begin(), KnownKeys().end(), key) == KnownKeys().end()) {
        return Error(ErrorCode::kInvalidConfig, "The configuration '" + p + key +
                                                    "' is not a TLS setting of Ferry's REST listeners; remove it");
      }
    }
  }
  for (const char* key : {"ssl.provider", "ssl.engine.factory.class"}) {
    if (get(key)) return bad(key, "Ferry's REST TLS is OpenSSL; a Java security provider or engine cannot be used. Remove the setting");
  }
  for (const char* key : {"ssl.keymanager.algorithm", "ssl.trustmanager.algorithm", "ssl.secure.random.implementation"}) {
    if (get(key)) LOG(WARNING) << p << key << " has no effect on Ferry's REST TLS (OpenSSL chooses); ignored";
  }

  // Keystore.
  const std::string keystore_type = Upper(get("ssl.keystore.type").value_or("JKS"));
  const std::optional<std::string> key_password = get("ssl.key.password");
  const std::optional<std::string> keystore_password = get("ssl.keystore.password");
  auto parse_pem_key = [&](const std::string& key_name, const std::string& pem, const std::string& where) -> Result<> {
    const std::string text = NormalizePem(pem);
    PasswordContext context{key_password ? &*key_password : nullptr, false};
    Ptr<BIO> bio = MemoryBio(text);
    m->key.reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, PasswordCallback, &context));
    if (!m->key) {
      ERR_clear_error();
      if (context.asked && !key_password) return bad(key_name, where + " holds an encrypted private key: set " + p + "ssl.key.password");
      if (context.asked) return bad(key_name, "cannot decrypt the private key in " + where + " with " + p + "ssl.key.password");
      return bad(key_name, where + " holds no PEM private key");
    }
    return Ok();
  };
  const std::optional<std::string> keystore_location = get("ssl.keystore.location");
  const std::optional<std::string> inline_key = get("ssl.keystore.key");
  const std::optional<std::string> inline_chain = get("ssl.keystore.certificate.chain");
  if (inline_key || inline_chain) {
    if (!inline_key || !inline_chain) {
      return bad(inline_key ? "ssl.keystore.certificate.chain" : "ssl.keystore.key",
                 "missing: " + p + "ssl.keystore.key and " + p + "ssl.keystore.certificate.chain go together");
    }
    if (keystore_type != "PEM") return bad("ssl.keystore.type", "must be PEM with " + p + "ssl.keystore.key");
    if (keystore_location) return bad("ssl.keystore.location", "set either it or " + p + "ssl.keystore.key, not both");
    FERRY_RETURN_IF_ERROR(parse_pem_key("ssl.keystore.key", *inline_key, p + "ssl.keystore.key"));
    m->chain = ReadCertificates(NormalizePem(*inline_chain));
    if (m->chain.empty()) return bad("ssl.keystore.certificate.chain", "holds no PEM certificate");
  } else if (keystore_location) {
    Result<std::string> bytes = read_file("ssl.keystore.location", *keystore_location);
    if (!bytes.ok()) return bytes.error();
    const std::string where = "'" + *keystore_location + "'";
    if (keystore_type == "PEM") {
      if (keystore_password) {
        return bad("ssl.keystore.password", "cannot be set with ssl.keystore.type=PEM (as in Kafka); an encrypted key's "
                                            "password is " + p + "ssl.key.password");
      }
      FERRY_RETURN_IF_ERROR(parse_pem_key("ssl.keystore.location", *bytes, where));
      m->chain = ReadCertificates(NormalizePem(*bytes));
      if (m->chain.empty()) return bad("ssl.keystore.location", where + " holds no PEM certificate");
    } else if (keystore_type == "PKCS12") {
      Ptr<BIO> bio = MemoryBio(*bytes);
      Ptr<PKCS12> p12(d2i_PKCS12_bio(bio.get(), nullptr));
      if (!p12) {
        ERR_clear_error();
        return bad("ssl.keystore.location", where + " is not a PKCS12 keystore (" + p + "ssl.keystore.type=PKCS12)");
      }
      EVP_PKEY* key = nullptr;
      X509* cert = nullptr;
      STACK_OF(X509)* ca = nullptr;
      const std::string password = keystore_password.value_or("");
      if (PKCS12_parse(p12.get(), password.c_str(), &key, &cert, &ca) != 1) {
        ERR_clear_error();
        return bad("ssl.keystore.password", "cannot open the PKCS12 keystore " + where + " with it");
      }
      m->key.reset(key);
      if (cert != nullptr) m->chain.emplace_back(cert);
      while (ca != nullptr && sk_X509_num(ca) > 0) m->chain.emplace_back(sk_X509_shift(ca));
      sk_X509_free(ca);
      if (!m->key || m->chain.empty()) return bad("ssl.keystore.location", where + " holds no key with a certificate");
    } else if (keystore_type == "JKS") {
      return bad("ssl.keystore.type", "JKS (Kafka's default) cannot be read by Ferry: set " + p +
                                          "ssl.keystore.type=PEM for PEM files, or convert the store (keytool "
                                          "-importkeystore -deststoretype PKCS12) and set " + p + "ssl.keystore.type=PKCS12");
    } else {
      return bad("ssl.keystore.type", "'" + keystore_type + "' is not supported; use PEM or PKCS12");
    }
  }
  if (server && !m->key) {
    return Error(ErrorCode::kInvalidConfig,
                 "An https listener needs a private key and certificate: set " + p + "ssl.keystore.type=PEM with " + p +
                     "ssl.keystore.location (a PEM file holding the key and the certificate chain), or " + p +
                     "ssl.keystore.key with " + p + "ssl.keystore.certificate.chain");
  }

  // Truststore.
  const std::string truststore_type = Upper(get("ssl.truststore.type").value_or("JKS"));
  const std::optional<std::string> truststore_location = get("ssl.truststore.location");
  const std::optional<std::string> inline_trust = get("ssl.truststore.certificates");
  if (inline_trust) {
    if (truststore_type != "PEM") return bad("ssl.truststore.type", "must be PEM with " + p + "ssl.truststore.certificates");
    if (truststore_location) return bad("ssl.truststore.location", "set either it or " + p + "ssl.truststore.certificates, not both");
    m->trusted = ReadCertificates(NormalizePem(*inline_trust));
    if (m->trusted.empty()) return bad("ssl.truststore.certificates", "holds no PEM certificate");
  } else if (truststore_location) {
    Result<std::string> bytes = read_file("ssl.truststore.location", *truststore_location);
    if (!bytes.ok()) return bytes.error();
    const std::string where = "'" + *truststore_location + "'";
    if (truststore_type == "PEM") {
      if (get("ssl.truststore.password")) {
        return bad("ssl.truststore.password", "cannot be set with ssl.truststore.type=PEM (as in Kafka)");
      }
      m->trusted = ReadCertificates(NormalizePem(*bytes));
      if (m->trusted.empty()) return bad("ssl.truststore.location", where + " holds no PEM certificate");
    } else if (truststore_type == "PKCS12") {
      Ptr<BIO> bio = MemoryBio(*bytes);
      Ptr<PKCS12> p12(d2i_PKCS12_bio(bio.get(), nullptr));
      EVP_PKEY* key = nullptr;
      X509* cert = nullptr;
      STACK_OF(X509)* ca = nullptr;
      const std::string password = get("ssl.truststore.password").value_or("");
      if (!p12 || PKCS12_parse(p12.get(), password.c_str(), &key, &cert, &ca) != 1) {
        ERR_clear_error();
        return bad("ssl.truststore.location", "cannot open the PKCS12 truststore " + where + " (with " + p +
                                                  "ssl.truststore.password)");
      }
      EVP_PKEY_free(key);
      if (cert != nullptr) m->trusted.emplace_back(cert);
      while (ca != nullptr && sk_X509_num(ca) > 0) m->trusted.emplace_back(sk_X509_shift(ca));
      sk_X509_free(ca);
      if (m->trusted.empty()) return bad("ssl.truststore.location", where + " holds no certificate");
    } else if (truststore_type == "JKS") {
      return bad("ssl.truststore.type", "JKS (Kafka's default) cannot be read by Ferry: set " + p +
                                            "ssl.truststore.type=PEM for a PEM file of CA certificates, or convert "
                                            "the store to PKCS12 and set " + p + "ssl.truststore.type=PKCS12");
    } else {
      return bad("ssl.truststore.type", "'" + truststore_type + "' is not supported; use PEM or PKCS12");
    }
  }
  if (!m->trusted.empty()) {
    m->trust.reset(X509_STORE_new());
    for (const auto& cert : m->trusted) X509_STORE_add_cert(m->trust.get(), cert.get());
    ERR_clear_error();  // a certificate given twice
  }

  // Choices.
  const std::string client_auth = Lower(get("ssl.client.auth").value_or("none"));
  if (client_auth == "required") {
    m->client_auth = Material::ClientAuth::kRequired;
  } else if (client_auth == "requested") {
    m->client_auth = Material::ClientAuth::kRequested;
  } else if (client_auth != "none") {
    return bad("ssl.client.auth", "must be none, requested or required");
  }
  if (server && m->client_auth != Material::ClientAuth::kNone && !m->trust) {
    return bad("ssl.client.auth", "=" + client_auth + " needs the CAs of the clients' certificates: set " + p +
                                      "ssl.truststore.type=PEM and " + p + "ssl.truststore.location");
  }
  if (std::optional<std::string> protocols = get("ssl.enabled.protocols")) {
    int lo = 0;
    int hi = 0;
    for (const std::string& name : SplitList(*protocols)) {
      int v = 0;
      if (name == "TLSv1") v = TLS1_VERSION;
      else if (name == "TLSv1.1") v = TLS1_1_VERSION;
      else if (name == "TLSv1.2") v = TLS1_2_VERSION;
      else if (name == "TLSv1.3") v = TLS1_3_VERSION;
      else return bad("ssl.enabled.protocols", "unknown protocol '" + name + "' (TLSv1.2 and TLSv1.3 are usual)");
      lo = lo == 0 ? v : std::min(lo, v);
      hi = std::max(hi, v);
    }
    if (lo == 0) return bad("ssl.enabled.protocols", "names no protocol");
    m->min_version = lo;
    m->max_version = hi;
  }
  if (std::optional<std::string> protocol = get("ssl.protocol")) {
    static const std::vector<std::string> kKnown = {"TLS", "TLSv1.2", "TLSv1.3", "TLSv1.1", "TLSv1"};
    if (std::find(kKnown.begin(), kKnown.end(), *protocol) == kKnown.end()) {
      return bad("ssl.protocol", "must be TLS, TLSv1.2 or TLSv1.3 (the versions used are ssl.enabled.protocols)");
    }
  }
  if (std::optional<std::string> suites = get("ssl.cipher.suites")) {
    for (const std::string& name : SplitList(*suites)) {
      if (name.rfind("TLS_AES_", 0) == 0 || name.rfind("TLS_CHACHA20_", 0) == 0) {
        m->ciphersuites += (m->ciphersuites.empty() ? "" : ":") + name;
        continue;
      }
      const char* openssl_name = OPENSSL_cipher_name(name.c_str());
      if (openssl_name == nullptr || std::strcmp(openssl_name, "(NONE)") == 0) {
        return bad("ssl.cipher.suites", "unknown cipher suite '" + name + "' (IANA names, as Java writes them)");
      }
      m->cipher_list += (m->cipher_list.empty() ? "" : ":") + std::string(openssl_name);
    }
  }
  const std::string endpoint = Lower(get("ssl.endpoint.identification.algorithm").value_or(
      settings.ssl.count("ssl.endpoint.identification.algorithm") ? "" : "https"));
  if (endpoint == "https") {
    m->verify_host = true;
  } else if (endpoint.empty()) {
    m->verify_host = false;
  } else {
    return bad("ssl.endpoint.identification.algorithm", "must be https or empty");
  }

  auto tls = std::shared_ptr<const RestTls>(new RestTls(std::move(m)));
  // Build a context once, so that every problem OpenSSL has with the settings shows now.
  if (server) {
    Result<SSL_CTX*> ctx = tls->NewServerContext();
    if (!ctx.ok()) return ctx.error();
    SSL_CTX_free(*ctx);
  }
  return tls;
}

Result<SSL_CTX*> RestTls::NewServerContext() const {
  Ptr<SSL_CTX> ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx) return Error::Internal("SSL_CTX_new: " + OpenSslErrors());
  FERRY_RETURN_IF_ERROR(m_->ApplyCommon(ctx.get()));
  if (!m_->key) return Error::InvalidConfig(m_->prefix + "ssl.keystore.location", "an https listener needs a key");
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  static const unsigned char kSessionContext[] = "ferry-rest";
  SSL_CTX_set_session_id_context(ctx.get(), kSessionContext, sizeof(kSessionContext) - 1);
  if (m_->client_auth != Material::ClientAuth::kNone) {
    SSL_CTX_set1_cert_store(ctx.get(), m_->trust.get());
    for (const auto& cert : m_->trusted) SSL_CTX_add_client_CA(ctx.get(), cert.get());
    const int mode = SSL_VERIFY_PEER | (m_->client_auth == Material::ClientAuth::kRequired ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0);
    SSL_CTX_set_verify(ctx.get(), mode, nullptr);
  }
  ERR_clear_error();
  return ctx.release();
}

Result<> RestTls::ConfigureClient(httplib::Client& client, std::string_view url) const {
  t_last_failure.clear();
  if (!StartsWithHttps(url)) return Ok();
  SSL_CTX* ctx = client.ssl_context();
  if (ctx == nullptr) return Error::Internal("no TLS context for " + std::string(url));
  // Verified by OpenSSL during the handshake (httplib's own check cannot leave the host name out).
  client.enable_server_certificate_verification(false);
  FERRY_RETURN_IF_ERROR(m_->ApplyCommon(ctx));
  if (m_->trust) {
    SSL_CTX_set1_cert_store(ctx, m_->trust.get());
  } else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
    return Error::Internal("cannot load the system's CA certificates: " + OpenSslErrors());
  }
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, VerifyCallback);
  if (m_->verify_host) {
    const std::string host = UrlHost(url);
    X509_VERIFY_PARAM* param = SSL_CTX_get0_param(ctx);
    if (X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) != 1) {
      ERR_clear_error();
      X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
    }
  }
  ERR_clear_error();
  return Ok();
}

void SetDefaultRestClientTls(std::shared_ptr<const RestTls> tls) {
  std::lock_guard lock(g_default_mu);
  g_default = std::move(tls);
}

std::shared_ptr<const RestTls> DefaultRestClientTls() {
  std::lock_guard lock(g_default_mu);
  return g_default;
}

Result<> ConfigureRestClient(httplib::Client& client, std::string_view url, const RestTls* tls) {
  std::shared_ptr<const RestTls> fallback;
  if (tls == nullptr) {
    fallback = DefaultRestClientTls();
    if (!fallback) {
      static const std::shared_ptr<const RestTls> system = [] {
        Result<std::shared_ptr<const RestTls>> loaded = RestTls::Load({}, false);
        CHECK(loaded.ok()) << loaded.error().ToString();
        return *loaded;
      }();
      fallback = system;
    }
    tls = fallback.get();
  }
  return tls->ConfigureClient(client, url);
}

std::string LastRestClientTlsFailure() { return t_last_failure; }

}  // namespace ferry::worker
