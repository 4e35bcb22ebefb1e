#include "worker/group/security.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "worker/kafka/java_client_config.h"

namespace ferry::group {

namespace {

std::string Upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  return s;
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string Trim(std::string_view s) {
  const size_t begin = s.find_first_not_of(" \t");
  if (begin == std::string_view::npos) return "";
  const size_t end = s.find_last_not_of(" \t");
  return std::string(s.substr(begin, end - begin + 1));
}

std::optional<std::string> Find(const Properties& props, const std::string& key) {
  auto it = props.find(key);
  if (it == props.end()) return std::nullopt;
  return it->second;
}

Result<bool> Boolean(const Properties& props, const std::string& key, bool fallback) {
  const std::optional<std::string> v = Find(props, key);
  if (!v) return fallback;
  const std::string s = Lower(Trim(*v));
  if (s == "true") return true;
  if (s == "false") return false;
  return Error::InvalidConfig(key, "must be true or false");
}

// Keys under ssl. / sasl. that the group client uses; anything else under those prefixes that is set
// for the protocol in use is refused (RefuseUnknown).
const std::set<std::string> kTlsKeys = {
    "ssl.ca.location",  "ssl.ca.pem",       "ssl.certificate.location", "ssl.certificate.pem",
    "ssl.key.location", "ssl.key.pem",      "ssl.key.password",         "ssl.endpoint.identification.algorithm",
    "ssl.cipher.suites", "ssl.curves.list", "ssl.sigalgs.list",         "enable.ssl.certificate.verification",
    // Windows certificate stores: librdkafka reads them only on Windows, so they mean nothing here.
    "ssl.ca.certificate.stores"};
const std::set<std::string> kSaslKeys = {"sasl.mechanism",  "sasl.mechanisms",         "sasl.username",
                                         "sasl.password",   "sasl.oauthbearer.config", "enable.sasl.oauthbearer.unsecure.jwt"};

// What to set instead of a key the group client cannot honour.
std::string Instead(const std::string& key) {
  if (key.rfind("ssl.keystore.", 0) == 0) {
    return "a PKCS#12 key store is not read by Ferry's group client; convert it to PEM "
           "(openssl pkcs12 -in store.p12 -nodes) and set ssl.certificate.location and ssl.key.location";
  }
  if (key == "ssl.crl.location") return "Ferry's group client does not check CRLs; remove it or keep the CA current";
  if (key.rfind("ssl.engine.", 0) == 0 || key == "ssl.providers") {
    return "Ferry's group client loads no OpenSSL engines or providers; give the key as PEM "
           "(ssl.key.location or ssl.key.pem)";
  }
  if (key.rfind("sasl.kerberos.", 0) == 0) {
    return "Ferry's group client has no Kerberos (GSSAPI); use sasl.mechanism=SCRAM-SHA-512, SCRAM-SHA-256 or "
           "PLAIN with sasl.username and sasl.password, or mTLS (security.protocol=SSL)";
  }
  if (key.rfind("sasl.oauthbearer.", 0) == 0) {
    return "Ferry's group client sends only unsecured JWTs (enable.sasl.oauthbearer.unsecure.jwt=true with "
           "sasl.oauthbearer.config); use SCRAM, PLAIN or mTLS against a broker that validates tokens";
  }
  return "Ferry's group client does not know it; remove it";
}

Result<> RefuseUnknown(const Properties& props, bool tls, bool sasl) {
  for (const auto& [key, value] : props) {
    const bool tls_key = key.rfind("ssl.", 0) == 0 || key.rfind("ssl_", 0) == 0 || key == "enable.ssl.certificate.verification";
    const bool sasl_key = key.rfind("sasl.", 0) == 0 || key.rfind("enable.sasl.", 0) == 0;
    if (tls && tls_key && kTlsKeys.count(key) == 0) return Error::InvalidConfig(key, Instead(key));
    if (sasl && sasl_key && kSaslKeys.count(key) == 0) {
      // Kerberos settings of a non-GSSAPI login, and OIDC settings without OIDC, change nothing.
      const std::string mechanism = Upper(Trim(Find(props, "sasl.mechanism").value_or(
          Find(props, "sasl.mechanisms").value_or("GSSAPI"))));
      if (key.rfind("sasl.kerberos.", 0) == 0 && mechanism != "GSSAPI") continue;
      if (key.rfind("sasl.oauthbearer.", 0) == 0 && key != "sasl.oauthbearer.method" && mechanism != "OAUTHBEARER") {
        continue;
      }
      if (key == "sasl.oauthbearer.method" && Lower(Trim(value)) == "default") continue;
      return Error::InvalidConfig(key, Instead(key));
    }
  }
  return Ok();
}

Result<TlsConfig> ReadTls(const Properties& props) {
  TlsConfig tls;
  tls.ca_location = Find(props, "ssl.ca.location");
  tls.ca_pem = Find(props, "ssl.ca.pem");
  tls.certificate_location = Find(props, "ssl.certificate.location");
  tls.certificate_pem = Find(props, "ssl.certificate.pem");
  tls.key_location = Find(props, "ssl.key.location");
  tls.key_pem = Find(props, "ssl.key.pem");
  tls.key_password = Find(props, "ssl.key.password");
  tls.cipher_suites = Find(props, "ssl.cipher.suites");
  tls.curves = Find(props, "ssl.curves.list");
  tls.sigalgs = Find(props, "ssl.sigalgs.list");
  if (tls.ca_location && tls.ca_pem) {
    return Error::InvalidConfig("ssl.ca.pem", "set ssl.ca.location or ssl.ca.pem, not both");
  }
  if (tls.certificate_location && tls.certificate_pem) {
    return Error::InvalidConfig("ssl.certificate.pem", "set ssl.certificate.location or ssl.certificate.pem, not both");
  }
  if (tls.key_location && tls.key_pem) {
    return Error::InvalidConfig("ssl.key.pem", "set ssl.key.location or ssl.key.pem, not both");
  }
  Result<bool> verify = Boolean(props, "enable.ssl.certificate.verification", true);
  if (!verify.ok()) return verify.error();
  tls.verify_certificate = *verify;
  const std::string algorithm = Lower(Trim(Find(props, "ssl.endpoint.identification.algorithm").value_or("https")));
  if (algorithm != "https" && algorithm != "none") {
    return Error::InvalidConfig("ssl.endpoint.identification.algorithm", "must be https or none");
  }
  tls.verify_hostname = algorithm == "https";
  return tls;
}

Result<SaslConfig> ReadSasl(const Properties& props) {
  SaslConfig sasl;
  const std::optional<std::string> mechanisms = Find(props, "sasl.mechanisms");
  const std::optional<std::string> mechanism = Find(props, "sasl.mechanism");
  const std::string key = mechanisms ? "sasl.mechanisms" : "sasl.mechanism";
  sasl.mechanism = Upper(Trim(mechanisms.value_or(mechanism.value_or("GSSAPI"))));
  if (sasl.mechanism == "GSSAPI") {
    return Error::InvalidConfig(key, std::string(mechanisms || mechanism ? "GSSAPI" : "unset, so GSSAPI (the default),") +
                                         " is not supported by Ferry's group client (no Kerberos): set sasl.mechanism "
                                         "to SCRAM-SHA-512, SCRAM-SHA-256, PLAIN or OAUTHBEARER, or use mTLS "
                                         "(security.protocol=SSL)");
  }
  if (sasl.mechanism == "PLAIN" || sasl.mechanism == "SCRAM-SHA-256" || sasl.mechanism == "SCRAM-SHA-512") {
    const std::optional<std::string> username = Find(props, "sasl.username");
    const std::optional<std::string> password = Find(props, "sasl.password");
    if (!username || username->empty()) {
      return Error::InvalidConfig("sasl.username", "needed for sasl.mechanism=" + sasl.mechanism +
                                                       " (or a sasl.jaas.config with username and password)");
    }
    if (!password) {
      return Error::InvalidConfig("sasl.password", "needed for sasl.mechanism=" + sasl.mechanism +
                                                       " (or a sasl.jaas.config with username and password)");
    }
    sasl.username = *username;
    sasl.password = *password;
    return sasl;
  }
  if (sasl.mechanism == "OAUTHBEARER") {
    const std::string method = Lower(Trim(Find(props, "sasl.oauthbearer.method").value_or("default")));
    if (method != "default") {
      return Error::InvalidConfig("sasl.oauthbearer.method",
                                  method + " is not supported by Ferry's group client (it fetches no OIDC tokens); " +
                                      Instead("sasl.oauthbearer.method"));
    }
    Result<bool> unsecure = Boolean(props, "enable.sasl.oauthbearer.unsecure.jwt", false);
    if (!unsecure.ok()) return unsecure.error();
    if (!*unsecure) {
      return Error::InvalidConfig("enable.sasl.oauthbearer.unsecure.jwt",
                                  "Ferry's group client can log in with OAUTHBEARER only by an unsecured JWT: set "
                                  "enable.sasl.oauthbearer.unsecure.jwt=true and sasl.oauthbearer.config="
                                  "principal=<name>, or use SCRAM, PLAIN or mTLS");
    }
    Result<SaslConfig::UnsecuredJwt> jwt = ParseUnsecuredJwtConfig(Find(props, "sasl.oauthbearer.config").value_or(""));
    if (!jwt.ok()) return jwt.error();
    sasl.jwt = std::move(*jwt);
    return sasl;
  }
  return Error::InvalidConfig(key, "'" + sasl.mechanism +
                                       "' is not a SASL mechanism Ferry's group client speaks (PLAIN, SCRAM-SHA-256, "
                                       "SCRAM-SHA-512, OAUTHBEARER)");
}

}  // namespace

const char* SecurityProtocolName(SecurityProtocol protocol) {
  switch (protocol) {
    case SecurityProtocol::kPlaintext: return "PLAINTEXT";
    case SecurityProtocol::kSsl: return "SSL";
    case SecurityProtocol::kSaslPlaintext: return "SASL_PLAINTEXT";
    case SecurityProtocol::kSaslSsl: return "SASL_SSL";
  }
  return "?";
}

std::shared_ptr<const ClientSecurity> ClientSecurity::Plaintext() {
  return std::shared_ptr<const ClientSecurity>(new ClientSecurity());
}

Result<std::shared_ptr<const ClientSecurity>> ClientSecurity::FromProperties(const Properties& java_or_librdkafka) {
  // The translation librdkafka's clients get (Java keys to librdkafka's; refusals included).
  Result<kafka::TranslatedClientProps> translated = kafka::FromJavaClientConfig(java_or_librdkafka, RD_KAFKA_PRODUCER);
  if (!translated.ok()) return translated.error();
  const Properties& props = translated->props;

  std::shared_ptr<ClientSecurity> security(new ClientSecurity());
  const std::string protocol = Upper(Trim(Find(props, "security.protocol").value_or("PLAINTEXT")));
  if (protocol == "PLAINTEXT") {
    security->protocol_ = SecurityProtocol::kPlaintext;
  } else if (protocol == "SSL") {
    security->protocol_ = SecurityProtocol::kSsl;
  } else if (protocol == "SASL_PLAINTEXT") {
    security->protocol_ = SecurityProtocol::kSaslPlaintext;
  } else if (protocol == "SASL_SSL") {
    security->protocol_ = SecurityProtocol::kSaslSsl;
  } else {
    return Error::InvalidConfig("security.protocol", "must be PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL");
  }
  const bool tls = security->protocol_ == SecurityProtocol::kSsl || security->protocol_ == SecurityProtocol::kSaslSsl;
  const bool sasl =
      security->protocol_ == SecurityProtocol::kSaslPlaintext || security->protocol_ == SecurityProtocol::kSaslSsl;
  FERRY_RETURN_IF_ERROR(RefuseUnknown(props, tls, sasl));
  if (tls) {
    Result<TlsConfig> config = ReadTls(props);
    if (!config.ok()) return config.error();
    Result<std::shared_ptr<const TlsContext>> context = TlsContext::Create(*config);
    if (!context.ok()) return context.error();
    security->tls_ = std::move(*context);
  }
  if (sasl) {
    Result<SaslConfig> config = ReadSasl(props);
    if (!config.ok()) return config.error();
    security->sasl_ = std::move(*config);
  }
  return std::shared_ptr<const ClientSecurity>(std::move(security));
}

std::string ClientSecurity::Describe() const {
  std::string out = SecurityProtocolName(protocol_);
  if (tls_ && tls_->has_client_certificate()) out += " with a client certificate";
  if (sasl_) out += ", " + sasl_->Describe();
  return out;
}

Result<TransportPtr> ClientSecurity::Open(const BrokerAddress& broker, const std::string& client_id, Clock& clock,
                                          Deadline deadline) const {
  Result<std::unique_ptr<TcpStream>> tcp = TcpStream::Connect(broker, clock, deadline);
  if (!tcp.ok()) return tcp.error();
  std::unique_ptr<ByteStream> stream;
  if (tls_) {
    Result<std::unique_ptr<ByteStream>> secured = tls_->Handshake(std::move(*tcp), deadline);
    if (!secured.ok()) return secured.error();
    stream = std::move(*secured);
  } else {
    stream = std::move(*tcp);
  }
  std::unique_ptr<Connection> connection = Connection::Over(std::move(stream), broker, client_id);
  if (sasl_) FERRY_RETURN_IF_ERROR(SaslLogin(*connection, *sasl_, broker, deadline));
  return TransportPtr(std::move(connection));
}

TransportFactory SecureConnectionFactory(std::shared_ptr<const ClientSecurity> security, std::string client_id,
                                         Clock& clock) {
  CHECK(security != nullptr) << "SecureConnectionFactory needs a ClientSecurity";
  return [security = std::move(security), client_id = std::move(client_id), &clock](
             const BrokerAddress& broker, Deadline deadline) -> Result<TransportPtr> {
    return security->Open(broker, client_id, clock, deadline);
  };
}

}  // namespace ferry::group
