#include "worker/group/sasl.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <vector>

#include <glog/logging.h>

#include "worker/common/base64.h"
#include "worker/group/messages.h"

namespace ferry::group {

namespace {

constexpr int64_t kMaxScramIterations = 16384;

constexpr int16_t kApiVersionsVersion = 2;
constexpr int16_t kSaslHandshakeVersion = 1;

// ---- encodings ----

std::string Base64Url(std::string_view bytes) {
  std::string out = Base64Encode(bytes);
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return out;
}

std::string JsonString(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// ---- PLAIN ----

class PlainClient final : public SaslClient {
 public:
  PlainClient(std::string username, std::string password)
      : username_(std::move(username)), password_(std::move(password)) {}
  ~PlainClient() override { OPENSSL_cleanse(password_.data(), password_.size()); }

  Result<std::string> Initial() override {
    // authzid (empty), authcid, password, separated by NUL.
    return std::string("\0", 1) + username_ + std::string("\0", 1) + password_;
  }
  Result<std::optional<std::string>> Next(std::string_view) override { return std::optional<std::string>(); }

 private:
  std::string username_;
  std::string password_;
};

// ---- SCRAM ----

const EVP_MD* Digest(ScramHash hash) {
  switch (hash) {
    case ScramHash::kSha1: return EVP_sha1();
    case ScramHash::kSha256: return EVP_sha256();
    case ScramHash::kSha512: return EVP_sha512();
  }
  return nullptr;
}

// Bytes that are wiped when they go.
class Secret {
 public:
  explicit Secret(std::string bytes = "") : bytes_(std::move(bytes)) {}
  ~Secret() { OPENSSL_cleanse(bytes_.data(), bytes_.size()); }
  Secret(const Secret&) = delete;
  Secret& operator=(const Secret&) = delete;
  Secret& operator=(std::string bytes) {
    OPENSSL_cleanse(bytes_.data(), bytes_.size());
    bytes_ = std::move(bytes);
    return *this;
  }
  const std::string& get() const { return bytes_; }

 private:
  std::string bytes_;
};

class ScramClient final : public SaslClient {
 public:
  ScramClient(ScramHash hash, std::string username, std::string password, std::string nonce)
      : md_(Digest(hash)), username_(std::move(username)), password_(std::move(password)), nonce_(std::move(nonce)) {}

  Result<std::string> Initial() override {
    if (nonce_.empty()) {
      unsigned char random[24];
      if (RAND_bytes(random, sizeof random) != 1) return Error::Internal("SCRAM: the OS random source gave no nonce");
      nonce_ = Base64Encode(std::string_view(reinterpret_cast<const char*>(random), sizeof random));
    }
    // RFC 5802 §5.1: '=' and ',' in a name are escaped.
    std::string name;
    for (const char c : username_) {
      if (c == '=') {
        name += "=3D";
      } else if (c == ',') {
        name += "=2C";
      } else {
        name += c;
      }
    }
    client_first_bare_ = "n=" + name + ",r=" + nonce_;
    step_ = Step::kSentFirst;
    return "n,," + client_first_bare_;
  }

  Result<std::optional<std::string>> Next(std::string_view server) override {
    switch (step_) {
      case Step::kSentFirst: return Final(server);
      case Step::kSentFinal: {
        FERRY_RETURN_IF_ERROR(Verify(server));
        step_ = Step::kDone;
        return std::optional<std::string>();
      }
      default: return Error::Internal("SCRAM: no token expected now");
    }
  }

 private:
  enum class Step { kStart, kSentFirst, kSentFinal, kDone };

  static Error Bad(const std::string& why) { return Error::Corrupt("SCRAM: " + why); }

  std::string Hmac(std::string_view key, std::string_view data) const {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    HMAC(md_, key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
         data.size(), out, &n);
    return std::string(reinterpret_cast<const char*>(out), n);
  }
  std::string Hash(std::string_view data) const {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_Digest(data.data(), data.size(), out, &n, md_, nullptr);
    return std::string(reinterpret_cast<const char*>(out), n);
  }

  // server-first-message: r=<nonce>,s=<salt>,i=<iterations>[,extensions]
  Result<std::optional<std::string>> Final(std::string_view server) {
    server_first_ = std::string(server);
    std::string nonce, salt_b64;
    int64_t iterations = -1;
    size_t index = 0;
    for (std::string_view rest = server; !rest.empty(); ++index) {
      const size_t comma = rest.find(',');
      const std::string_view attr = rest.substr(0, comma);
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      if (attr.size() < 2 || attr[1] != '=') return Bad("malformed server-first-message");
      const std::string_view value = attr.substr(2);
      if (index == 0 && attr[0] == 'm') return Bad("the server asks for a mandatory extension Ferry does not know");
      if (index == 0 && attr[0] == 'e') return Bad("the server refused: " + std::string(value));
      if (index == 0 && attr[0] != 'r') return Bad("server-first-message does not start with the nonce");
      if (attr[0] == 'r' && index == 0) nonce = value;
      if (attr[0] == 's' && index == 1) salt_b64 = value;
      if (attr[0] == 'i' && index == 2) {
        int64_t n = 0;
        auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
        if (ec != std::errc() || end != value.data() + value.size()) return Bad("unreadable iteration count");
        iterations = n;
      }
    }
    if (nonce.size() <= nonce_.size() || nonce.compare(0, nonce_.size(), nonce_) != 0) {
      return Bad("the server's nonce does not extend Ferry's");
    }
    const Result<std::string> salt = Base64Decode(salt_b64);
    if (!salt.ok() || salt->empty()) return Bad("missing or unreadable salt");
    // Kafka's minimum is 4096; far more than a million is a server making the client burn CPU.
    // Kafka's brokers use 4096..16384 (ScramMechanism); more would let a hostile broker make the
    // client hash for seconds.
    if (iterations < 1 || iterations > kMaxScramIterations) return Bad("iteration count out of range");

    unsigned char salted[EVP_MAX_MD_SIZE];
    const int size = EVP_MD_get_size(md_);
    if (PKCS5_PBKDF2_HMAC(password_.get().data(), static_cast<int>(password_.get().size()),
                          reinterpret_cast<const unsigned char*>(salt->data()), static_cast<int>(salt->size()),
                          static_cast<int>(iterations), md_, size, salted) != 1) {
      return Error::Internal("SCRAM: PBKDF2 failed");
    }
    salted_password_ = std::string(reinterpret_cast<const char*>(salted), static_cast<size_t>(size));
    OPENSSL_cleanse(salted, sizeof salted);

    const std::string without_proof = "c=biws,r=" + nonce;  // biws = base64("n,,")
    auth_message_ = client_first_bare_ + "," + server_first_ + "," + without_proof;
    const Secret client_key(Hmac(salted_password_.get(), "Client Key"));
    const std::string stored_key = Hash(client_key.get());
    const std::string signature = Hmac(stored_key, auth_message_);
    std::string proof = client_key.get();
    for (size_t i = 0; i < proof.size(); ++i) proof[i] = static_cast<char>(proof[i] ^ signature[i]);
    step_ = Step::kSentFinal;
    return std::optional<std::string>(without_proof + ",p=" + Base64Encode(proof));
  }

  // server-final-message: v=<server signature> or e=<error>
  Result<> Verify(std::string_view server) {
    if (server.substr(0, 2) == "e=") return Bad("the server refused: " + std::string(server.substr(2)));
    if (server.substr(0, 2) != "v=") return Bad("malformed server-final-message");
    std::string_view value = server.substr(2);
    value = value.substr(0, value.find(','));
    const Result<std::string> got = Base64Decode(value);
    const std::string server_key = Hmac(salted_password_.get(), "Server Key");
    const std::string expected = Hmac(server_key, auth_message_);
    if (!got.ok() || got->size() != expected.size() || CRYPTO_memcmp(got->data(), expected.data(), expected.size()) != 0) {
      return Error(ErrorCode::kInvalidConfig,
                   "SCRAM: the server's signature does not match: the broker does not know this password (or is "
                   "not the broker it claims to be)");
    }
    return Ok();
  }

  const EVP_MD* md_;
  std::string username_;
  Secret password_;
  std::string nonce_;
  Step step_ = Step::kStart;
  std::string client_first_bare_;
  std::string server_first_;
  std::string auth_message_;
  Secret salted_password_;
};

// ---- OAUTHBEARER, unsecured JWT ----

class UnsecuredJwtClient final : public SaslClient {
 public:
  UnsecuredJwtClient(SaslConfig::UnsecuredJwt jwt, int64_t now) : jwt_(std::move(jwt)), now_(now) {}

  Result<std::string> Initial() override {
    std::string claims = "{" + JsonString(jwt_.principal_claim) + ":" + JsonString(jwt_.principal) +
                         ",\"iat\":" + std::to_string(now_) + ",\"exp\":" + std::to_string(now_ + jwt_.life_seconds);
    if (!jwt_.scope.empty()) {
      claims += "," + JsonString(jwt_.scope_claim) + ":[";
      for (size_t i = 0; i < jwt_.scope.size(); ++i) claims += (i ? "," : "") + JsonString(jwt_.scope[i]);
      claims += "]";
    }
    claims += "}";
    const std::string token = Base64Url("{\"alg\":\"none\"}") + "." + Base64Url(claims) + ".";
    // RFC 7628 §3.1: gs2 header, then key=value pairs each ended by ^A, and a last ^A.
    std::string message = "n,,\x01" "auth=Bearer " + token + "\x01";
    for (const auto& [key, value] : jwt_.extensions) message += key + "=" + value + "\x01";
    return message + "\x01";
  }

  Result<std::optional<std::string>> Next(std::string_view server) override {
    if (server.empty()) return std::optional<std::string>();
    // A failure: the server sends its JSON status (RFC 7628 §3.2.2), which holds no secret.
    return Error(ErrorCode::kInvalidConfig, "the broker refused the unsecured JWT: " + std::string(server));
  }

 private:
  SaslConfig::UnsecuredJwt jwt_;
  int64_t now_;
};

// ---- the Kafka exchange ----

Error LoginError(const BrokerAddress& broker, const SaslConfig& config, const std::string& why) {
  std::string keys = config.mechanism == "OAUTHBEARER" ? "sasl.oauthbearer.config"
                                                       : "sasl.username and sasl.password (or sasl.jaas.config)";
  return Error(ErrorCode::kInvalidConfig,
               "SASL login at broker " + broker.ToString() + " with " + config.Describe() + " failed: " + why +
                   "; check " + keys,
               /*retriable=*/false, RD_KAFKA_RESP_ERR__AUTHENTICATION);
}

}  // namespace

std::string SaslConfig::Describe() const {
  if (mechanism == "OAUTHBEARER") return mechanism + " as principal '" + jwt.principal + "'";
  return mechanism + " as user '" + username + "'";
}

Result<SaslConfig::UnsecuredJwt> ParseUnsecuredJwtConfig(std::string_view text) {
  constexpr char kKey[] = "sasl.oauthbearer.config";
  SaslConfig::UnsecuredJwt jwt;
  bool principal = false;
  size_t start = 0;
  while (start < text.size()) {
    const size_t end = std::min(text.find_first_of(" \t", start), text.size());
    const std::string_view pair = text.substr(start, end - start);
    start = end + 1;
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      return Error::InvalidConfig(kKey, "expected name=value pairs separated by spaces");
    }
    const std::string name(pair.substr(0, eq));
    const std::string value(pair.substr(eq + 1));
    if (name == "principal") {
      jwt.principal = value;
      principal = !value.empty();
    } else if (name == "principalClaimName") {
      jwt.principal_claim = value;
    } else if (name == "scopeClaimName") {
      jwt.scope_claim = value;
    } else if (name == "scope") {
      jwt.scope.clear();
      for (size_t s = 0; s <= value.size();) {
        const size_t comma = std::min(value.find(',', s), value.size());
        if (comma > s) jwt.scope.push_back(value.substr(s, comma - s));
        s = comma + 1;
      }
    } else if (name == "lifeSeconds") {
      int64_t n = 0;
      auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc() || p != value.data() + value.size() || n <= 0) {
        return Error::InvalidConfig(kKey, "lifeSeconds must be a positive number of seconds");
      }
      jwt.life_seconds = n;
    } else if (name.rfind("extension_", 0) == 0 && name.size() > 10) {
      const std::string ext = name.substr(10);
      if (ext == "auth" || !std::all_of(ext.begin(), ext.end(), [](unsigned char c) { return std::isalpha(c); })) {
        return Error::InvalidConfig(kKey, "extension name '" + ext + "' must be letters only and not 'auth'");
      }
      jwt.extensions[ext] = value;
    } else {
      return Error::InvalidConfig(kKey, "unknown attribute '" + name +
                                            "' (known: principal, principalClaimName, scope, scopeClaimName, "
                                            "lifeSeconds, extension_NAME)");
    }
  }
  if (!principal) return Error::InvalidConfig(kKey, "needs principal=<name> for an unsecured JWT");
  return jwt;
}

std::unique_ptr<SaslClient> NewScramClient(ScramHash hash, std::string username, std::string password,
                                           std::string client_nonce) {
  return std::make_unique<ScramClient>(hash, std::move(username), std::move(password), std::move(client_nonce));
}

std::unique_ptr<SaslClient> NewPlainClient(std::string username, std::string password) {
  return std::make_unique<PlainClient>(std::move(username), std::move(password));
}

std::unique_ptr<SaslClient> NewUnsecuredJwtClient(SaslConfig::UnsecuredJwt jwt, int64_t now_seconds) {
  return std::make_unique<UnsecuredJwtClient>(std::move(jwt), now_seconds);
}

std::unique_ptr<SaslClient> NewSaslClient(const SaslConfig& config) {
  if (config.mechanism == "PLAIN") return NewPlainClient(config.username, config.password);
  if (config.mechanism == "SCRAM-SHA-256") return NewScramClient(ScramHash::kSha256, config.username, config.password);
  if (config.mechanism == "SCRAM-SHA-512") return NewScramClient(ScramHash::kSha512, config.username, config.password);
  CHECK(config.mechanism == "OAUTHBEARER") << "no SASL client for " << config.mechanism;
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  return NewUnsecuredJwtClient(config.jwt, now);
}

Result<> SaslLogin(Transport& transport, const SaslConfig& config, const BrokerAddress& broker, Deadline deadline) {
  // Which SaslAuthenticate versions the broker speaks (ApiVersions is allowed before a login).
  Result<std::string> body = transport.RoundTrip(ApiVersionsRequest::kApiKey, kApiVersionsVersion,
                                                 ApiVersionsRequest{}.Encode(kApiVersionsVersion), deadline);
  if (!body.ok()) return body.error();
  Result<ApiVersionsResponse> versions = ApiVersionsResponse::Decode(*body, kApiVersionsVersion);
  if (!versions.ok()) return versions.error();
  if (versions->error_code != KafkaError::kNone) {
    return Error(ErrorCode::kUnsupported, "ApiVersions v2 from " + broker.ToString() + " before the SASL login: " +
                                              KafkaErrorName(versions->error_code) + " (a broker older than Kafka 2.0)");
  }
  Result<int16_t> handshake_version = ChooseVersion(SaslHandshakeRequest::kApiKey, *versions);
  Result<int16_t> authenticate_version = ChooseVersion(SaslAuthenticateRequest::kApiKey, *versions);
  if (!handshake_version.ok() || !authenticate_version.ok()) {
    return Error(ErrorCode::kUnsupported, "the broker at " + broker.ToString() +
                                              " offers no SaslHandshake v1 and SaslAuthenticate (Kafka 1.0 or later "
                                              "needed); is security.protocol right for this listener?");
  }

  SaslHandshakeRequest handshake{config.mechanism};
  body = transport.RoundTrip(SaslHandshakeRequest::kApiKey, kSaslHandshakeVersion,
                             handshake.Encode(kSaslHandshakeVersion), deadline);
  if (!body.ok()) return body.error();
  Result<SaslHandshakeResponse> offered = SaslHandshakeResponse::Decode(*body, kSaslHandshakeVersion);
  if (!offered.ok()) return offered.error();
  if (offered->error_code == KafkaError::kUnsupportedSaslMechanism) {
    std::string list;
    for (const std::string& m : offered->mechanisms) list += (list.empty() ? "" : ", ") + m;
    return Error(ErrorCode::kInvalidConfig,
                 "SASL login at broker " + broker.ToString() + ": the listener does not enable sasl.mechanism=" +
                     config.mechanism + "; it offers " + (list.empty() ? "none" : list) +
                     ": set sasl.mechanism to one of them",
                 false, RD_KAFKA_RESP_ERR__AUTHENTICATION);
  }
  if (offered->error_code != KafkaError::kNone) {
    return LoginError(broker, config, "SaslHandshake answered " + KafkaErrorName(offered->error_code));
  }

  std::unique_ptr<SaslClient> client = NewSaslClient(config);
  Result<std::string> token = client->Initial();
  if (!token.ok()) return token.error();
  std::string next = std::move(*token);
  for (int round = 0; round < 8; ++round) {
    SaslAuthenticateRequest request{std::move(next)};
    body = transport.RoundTrip(SaslAuthenticateRequest::kApiKey, *authenticate_version,
                               request.Encode(*authenticate_version), deadline);
    OPENSSL_cleanse(request.auth_bytes.data(), request.auth_bytes.size());
    if (!body.ok()) return body.error();
    Result<SaslAuthenticateResponse> answer = SaslAuthenticateResponse::Decode(*body, *authenticate_version);
    if (!answer.ok()) return answer.error();
    if (answer->error_code != KafkaError::kNone) {
      return LoginError(broker, config,
                        answer->error_message.value_or(KafkaErrorName(answer->error_code)) + " (" +
                            KafkaErrorName(answer->error_code) + ")");
    }
    Result<std::optional<std::string>> step = client->Next(answer->auth_bytes);
    if (!step.ok()) return LoginError(broker, config, step.error().message());
    if (!step->has_value()) {
      VLOG(1) << "SASL login at " << broker.ToString() << " with " << config.Describe() << " (SaslAuthenticate v"
              << *authenticate_version << ", session lifetime " << answer->session_lifetime_ms << " ms)";
      return Ok();
    }
    next = std::move(**step);
  }
  return LoginError(broker, config, "the exchange did not end after 8 rounds");
}

}  // namespace ferry::group
