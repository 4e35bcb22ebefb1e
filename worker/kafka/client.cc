#include "worker/kafka/client.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <string_view>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>
#include <vector>

#include <openssl/x509_vfy.h>

#include "worker/kafka/java_client_config.h"

namespace ferry::kafka {

bool IsSecret(const std::string& key) {
  // Kafka's PASSWORD-typed client settings (SslConfigs, SaslConfigs; Kafka 4.1's OAuth client secret
  // and assertion key passphrase); librdkafka's secrets (sasl.password, ssl.key.pem: a private key in
  // PEM, sasl.oauthbearer.client.secret, newer librdkafkas' assertion key in PEM); Schema Registry's
  // basic.auth.user.info (PASSWORD in its client config). A key is secret when it is one of these or
  // ends with "." and one of these (source.cluster.sasl.jaas.config, listeners.https.ssl.key.password).
  // Nothing else: locations, user names, certificates in ssl.certificate.pem / ssl.ca.pem are shown.
  static constexpr std::string_view kSecrets[] = {
      "ssl.key.password",
      "ssl.keystore.password",
      "ssl.truststore.password",
      "ssl.keystore.key",
      "ssl.keystore.certificate.chain",
      "ssl.truststore.certificates",
      "sasl.jaas.config",
      "sasl.oauthbearer.client.credentials.client.secret",
      "sasl.oauthbearer.assertion.private.key.passphrase",
      "sasl.password",
      "ssl.key.pem",
      "sasl.oauthbearer.client.secret",
      "sasl.oauthbearer.assertion.private.key.pem",
      "basic.auth.user.info",
  };
  const std::string_view k(key);
  return std::any_of(std::begin(kSecrets), std::end(kSecrets), [k](std::string_view secret) {
    if (k.size() < secret.size() || k.substr(k.size() - secret.size()) != secret) return false;
    return k.size() == secret.size() || k[k.size() - secret.size() - 1] == '.';
  });
}

namespace {

// What a client's configuration failed at (ConfigFailure), seen on librdkafka's threads.
enum class FailureKind { kNone, kLogin, kMechanism, kBrokerCertificate, kClientCertificate };

struct ClientWatch {
  // Set by NewClient once the handle exists (a failure may be seen a moment before).
  std::string bootstrap;
  std::string mechanism;  // sasl.mechanism(s), upper case
  // Set by librdkafka's threads.
  FailureKind kind = FailureKind::kNone;
  std::string reason;    // the broker's or OpenSSL's words, which hold no configured value
  int x509_error = X509_V_OK;  // the first verification error of a broker certificate
};

std::mutex watch_mu;
// By handle; entries erased by DestroyClient. Never destroyed: used until exit, by librdkafka threads too.
auto* watches = new std::unordered_map<const rd_kafka_t*, ClientWatch>();

// The text of librdkafka's connection failure `buf` between `marker` and " (after ...ms in state ...)".
std::string ReasonAfter(const std::string& buf, const std::string& marker) {
  size_t from = buf.find(marker);
  if (from == std::string::npos) return buf;
  from += marker.size();
  size_t to = buf.rfind(" (after ");
  if (to == std::string::npos || to < from) to = buf.size();
  return buf.substr(from, to - from);
}

// Classifies one of librdkafka's connection failures (log facility FAIL at level error). Only what
// a configuration causes: a broker that is down or restarting is left to librdkafka's retries.
void WatchConnectionFailure(const rd_kafka_t* rk, const std::string& buf) {
  FailureKind kind = FailureKind::kNone;
  std::string reason;
  if (buf.find("SASL authentication error") != std::string::npos) {
    kind = FailureKind::kLogin;
    reason = ReasonAfter(buf, "SASL authentication error: ");
  } else if (buf.find("Unsupported SASL mechanism") != std::string::npos ||
             (buf.find("SASL mechanism") != std::string::npos && buf.find("not supported") != std::string::npos)) {
    kind = FailureKind::kMechanism;
    reason = ReasonAfter(buf, ": ");
  } else if (buf.find("certificate verify failed") != std::string::npos) {  // with or without "SSL handshake failed"
    kind = FailureKind::kBrokerCertificate;
  } else if (buf.find("alert bad certificate") != std::string::npos ||
             buf.find("alert certificate required") != std::string::npos ||
             buf.find("alert unknown ca") != std::string::npos ||
             buf.find("alert certificate unknown") != std::string::npos ||
             buf.find("alert certificate expired") != std::string::npos) {
    kind = FailureKind::kClientCertificate;
    const size_t alert = buf.find("alert ");
    reason = buf.substr(alert, buf.find(':', alert) - alert);
  }
  if (kind == FailureKind::kNone) return;
  std::lock_guard<std::mutex> lock(watch_mu);
  ClientWatch& w = (*watches)[rk];
  if (w.kind != FailureKind::kNone) return;  // the first one explains
  w.kind = kind;
  w.reason = std::move(reason);
}

// OpenSSL's words for the verification results Ferry explains (X509_verify_cert_error_string would
// link ferry_common to libcrypto for them).
std::string X509ErrorText(int x509_error) {
  switch (x509_error) {
    case X509_V_ERR_CERT_HAS_EXPIRED: return "certificate has expired";
    case X509_V_ERR_CERT_NOT_YET_VALID: return "certificate is not yet valid";
    case X509_V_ERR_HOSTNAME_MISMATCH: return "hostname mismatch";
    case X509_V_ERR_IP_ADDRESS_MISMATCH: return "IP address mismatch";
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY: return "unable to get local issuer certificate";
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE: return "unable to verify the first certificate";
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT: return "unable to get issuer certificate";
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN: return "self-signed certificate in certificate chain";
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT: return "self-signed certificate";
    case X509_V_ERR_CERT_REVOKED: return "certificate revoked";
    case X509_V_ERR_INVALID_PURPOSE: return "unsupported certificate purpose";
    default: return "X509 verification error " + std::to_string(x509_error);
  }
}

// ssl.certificate.verify_cb: OpenSSL's verdict unchanged, its reason kept (librdkafka 2.0.2 says
// only "certificate verify failed", the same for an unknown CA, an expired certificate and a wrong
// host name). Called on a broker thread for each certificate of the chain.
int VerifyBrokerCertificate(rd_kafka_t* rk, const char* /*broker_name*/, int32_t /*broker_id*/, int* x509_error,
                            int /*depth*/, const char* /*buf*/, size_t /*size*/, char* errstr, size_t errstr_size,
                            void* /*opaque*/) {
  if (*x509_error == X509_V_OK) return 1;
  std::snprintf(errstr, errstr_size, "%s", X509ErrorText(*x509_error).c_str());
  std::lock_guard<std::mutex> lock(watch_mu);
  ClientWatch& w = (*watches)[rk];
  if (w.kind == FailureKind::kNone) {  // the handshake fails now: no need to wait for librdkafka's report
    w.kind = FailureKind::kBrokerCertificate;
    w.x509_error = *x509_error;
  }
  return 0;
}

std::string BrokerCertificateAdvice(int x509_error) {
  switch (x509_error) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return "the broker's certificate has expired; renew it on the broker (no client key can make an expired "
             "certificate acceptable)";
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return "the broker's certificate is not valid yet; check the clocks, or the certificate's dates on the broker";
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
      return "the broker's certificate was issued for another host name than the one connected to; set "
             "bootstrap.servers (and the brokers' advertised.listeners) to a name the certificate holds, or, "
             "knowingly, turn the check off with an empty ssl.endpoint.identification.algorithm";
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
      return "the broker's certificate is not signed by a CA the client trusts; set ssl.truststore.location "
             "(with ssl.truststore.type=PEM) or ssl.ca.location to the CA certificate that signed it";
    default:
      return std::string("the broker's certificate cannot be verified (") +
             (x509_error == X509_V_OK ? std::string("certificate verify failed") : X509ErrorText(x509_error)) +
             "); check ssl.truststore.location (or ssl.ca.location)";
  }
}

Error FailureError(const ClientWatch& w) {
  const std::string where = "the Kafka cluster at " + (w.bootstrap.empty() ? std::string("?") : w.bootstrap);
  switch (w.kind) {
    case FailureKind::kLogin: {
      std::string message = where + " refused the SASL " + (w.mechanism.empty() ? "" : w.mechanism + " ") +
                            "login (" + w.reason +
                            "); check the username and password in sasl.jaas.config (or sasl.username and "
                            "sasl.password)";
      if (w.mechanism.rfind("SCRAM-", 0) == 0 && w.reason.find("invalid credentials") != std::string::npos) {
        message += ". If they are right: Kafka 4.x brokers refuse the SCRAM of librdkafka 2.0.2, which Ferry "
                   "uses (its final message repeats the client nonce; fixed in librdkafka 2.6.1). Use PLAIN over "
                   "SASL_SSL, OAUTHBEARER or mTLS (security.protocol=SSL with a client certificate) instead";
      }
      return Error(ErrorCode::kInvalidConfig, message, false, RD_KAFKA_RESP_ERR__AUTHENTICATION);
    }
    case FailureKind::kMechanism:
      return Error(ErrorCode::kInvalidConfig,
                   where + " does not offer SASL mechanism " + w.mechanism + " (" + w.reason +
                       "); set sasl.mechanism to one its listener enables",
                   false, RD_KAFKA_RESP_ERR__AUTHENTICATION);
    case FailureKind::kBrokerCertificate:
      return Error(ErrorCode::kInvalidConfig, where + ": TLS handshake failed: " + BrokerCertificateAdvice(w.x509_error),
                   false, RD_KAFKA_RESP_ERR__SSL);
    case FailureKind::kClientCertificate:
      return Error(ErrorCode::kInvalidConfig,
                   where + ": the broker refused the client's TLS certificate (" + w.reason +
                       "); set ssl.keystore.location (ssl.keystore.type PEM or PKCS12), or ssl.certificate.location "
                       "and ssl.key.location, to a certificate signed by a CA the broker trusts",
                   false, RD_KAFKA_RESP_ERR__SSL);
    case FailureKind::kNone:
      break;
  }
  LOG(FATAL) << "FailureError without a failure";
}

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// rd_kafka_new's refusal, which names a librdkafka key ("ssl.key.location failed: <OpenSSL's
// reason>") when a file or PEM text cannot be read: said with the key the user wrote. OpenSSL's
// reasons hold no configured value.
Error NewClientError(const TranslatedClientProps& translated, const std::string& errstr) {
  const size_t failed = errstr.find(" failed: ");
  if (failed != std::string::npos) {
    const std::string key = errstr.substr(0, failed);
    if (translated.props.count(key) > 0) {
      auto java = translated.renamed.find(key);
      const std::string shown = java == translated.renamed.end() ? key : java->second + " (as " + key + ")";
      std::string why = errstr.substr(failed + 9);
      if (why.find("system lib") != std::string::npos || why.find("No such file") != std::string::npos) {
        why += "; check that the file exists and that Ferry may read it";
      }
      if (key == "ssl.key.location" || key == "ssl.key.pem") {
        why += "; an encrypted key needs its password in ssl.key.password";
      }
      auto bootstrap = translated.props.find("bootstrap.servers");
      const std::string where = bootstrap == translated.props.end() ? "?" : bootstrap->second;
      // Named like a ConfigFailure (kafka_err __SSL), so that callers name the cluster the same way.
      return Error(ErrorCode::kInvalidConfig,
                   "the Kafka cluster at " + where + ": invalid value for '" + shown + "': cannot be read: " + why,
                   false, RD_KAFKA_RESP_ERR__SSL);
    }
  }
  return Error(ErrorCode::kInvalidConfig, "cannot create client: " + errstr);
}

// librdkafka logs from its own threads; glog is thread-safe. Syslog levels: 0-3 error, 4 warning.
void LogToGlog(const rd_kafka_t* rk, int level, const char* fac, const char* buf) {
  if (level <= 3 && std::string_view(fac) == "FAIL") WatchConnectionFailure(rk, buf);
  if (level <= 3) {
    LOG(ERROR) << rd_kafka_name(rk) << " " << fac << ": " << buf;
  } else if (level == 4) {
    LOG(WARNING) << rd_kafka_name(rk) << " " << fac << ": " << buf;
  } else if (level <= 6) {
    LOG(INFO) << rd_kafka_name(rk) << " " << fac << ": " << buf;
  } else {
    VLOG(1) << rd_kafka_name(rk) << " " << fac << ": " << buf;
  }
}

// A task creates several clients from one config: each set of dropped keys is a WARNING once, and
// VLOG(1) after that. Keys only: values may be secrets.
void ReportDropped(const std::vector<std::string>& dropped) {
  if (dropped.empty()) return;
  static std::mutex mu;
  static auto* reported = new std::set<std::vector<std::string>>();  // never destroyed: used until exit
  bool first = false;
  {
    std::lock_guard<std::mutex> lock(mu);
    first = reported->insert(dropped).second;
  }
  std::string keys;
  for (const std::string& key : dropped) keys += (keys.empty() ? "" : ", ") + key;
  if (first) {
    LOG(WARNING) << "Java client settings without meaning for librdkafka are ignored: " << keys;
  } else {
    VLOG(1) << "Java client settings without meaning for librdkafka are ignored: " << keys;
  }
}

}  // namespace

Result<HandlePtr> NewClient(rd_kafka_type_t type, const Properties& props,
                            const std::function<void(rd_kafka_conf_t*)>& customize) {
  Result<TranslatedClientProps> translated = FromJavaClientConfig(props, type);
  if (!translated.ok()) {
    // Said of the cluster whose settings they are, as a ConfigFailure is (kafka_err __INVALID_ARG).
    auto bootstrap = props.find("bootstrap.servers");
    const Error& e = translated.error();
    return Error(e.code(), "the Kafka cluster at " + (bootstrap == props.end() ? "?" : bootstrap->second) + ": " +
                               e.message(), false, RD_KAFKA_RESP_ERR__INVALID_ARG);
  }
  ReportDropped(translated->dropped);
  ConfPtr conf(rd_kafka_conf_new());
  char errstr[512];
  for (const auto& [key, value] : translated->props) {
    if (rd_kafka_conf_set(conf.get(), key.c_str(), value.c_str(), errstr, sizeof errstr) !=
        RD_KAFKA_CONF_OK) {
      // Name the key as the user wrote it. librdkafka's errstr can echo the value: drop it for secrets.
      auto java = translated->renamed.find(key);
      const std::string& shown = java == translated->renamed.end() ? key : java->second;
      auto bootstrap = translated->props.find("bootstrap.servers");
      const Error invalid =
          Error::InvalidConfig(shown, IsSecret(key) || IsSecret(shown) ? "rejected by the Kafka client" : errstr);
      return Error(ErrorCode::kInvalidConfig,
                   "the Kafka cluster at " + (bootstrap == translated->props.end() ? "?" : bootstrap->second) + ": " +
                       invalid.message(),
                   false, RD_KAFKA_RESP_ERR__INVALID_ARG);
    }
  }
  rd_kafka_conf_set_log_cb(conf.get(), &LogToGlog);
  auto protocol = translated->props.find("security.protocol");
  auto verify = translated->props.find("enable.ssl.certificate.verification");
  const bool tls = protocol != translated->props.end() &&
                   (Upper(protocol->second) == "SSL" || Upper(protocol->second) == "SASL_SSL") &&
                   (verify == translated->props.end() || Upper(verify->second) != "FALSE");  // else nothing to learn
  if (tls && rd_kafka_conf_set_ssl_cert_verify_cb(conf.get(), &VerifyBrokerCertificate) != RD_KAFKA_CONF_OK) {
    return Error::Internal("librdkafka was built without TLS support");
  }
  if (customize) customize(conf.get());
  HandlePtr rk(rd_kafka_new(type, conf.get(), errstr, sizeof errstr));
  if (rk == nullptr) return NewClientError(*translated, errstr);
  conf.release();  // rd_kafka_new owns the conf once it has succeeded
  {
    std::lock_guard<std::mutex> lock(watch_mu);
    ClientWatch& w = (*watches)[rk.get()];
    w.bootstrap = translated->props.count("bootstrap.servers") ? translated->props.at("bootstrap.servers") : "";
    auto mechanism = translated->props.find("sasl.mechanisms");
    if (mechanism == translated->props.end()) mechanism = translated->props.find("sasl.mechanism");
    w.mechanism = mechanism == translated->props.end() ? "" : Upper(mechanism->second);
  }
  return rk;
}

void DestroyClient(rd_kafka_t* rk) noexcept {
  rd_kafka_destroy(rk);
  std::lock_guard<std::mutex> lock(watch_mu);
  watches->erase(rk);
}

std::optional<Error> ConfigFailure(const rd_kafka_t* rk) {
  std::lock_guard<std::mutex> lock(watch_mu);
  auto it = watches->find(rk);
  if (it == watches->end() || it->second.kind == FailureKind::kNone) return std::nullopt;
  return FailureError(it->second);
}

Error ClientError(const rd_kafka_t* rk, const std::string& context, rd_kafka_resp_err_t err) {
  if (std::optional<Error> failure = ConfigFailure(rk)) return *failure;
  return Error::Kafka(context, err);
}

bool IsConfigFailure(const Error& error) {
  return error.code() == ErrorCode::kInvalidConfig && (error.kafka_err() == RD_KAFKA_RESP_ERR__AUTHENTICATION ||
                                                       error.kafka_err() == RD_KAFKA_RESP_ERR__SSL ||
                                                       error.kafka_err() == RD_KAFKA_RESP_ERR__INVALID_ARG);
}

Error ForCluster(const Error& error, const std::string& cluster) {
  if (!IsConfigFailure(error) || error.message().rfind(cluster, 0) == 0) return error;
  return Error(error.code(), cluster + ": " + error.message(), error.retriable(), error.kafka_err());
}

Result<Watermarks> QueryWatermarks(rd_kafka_t* rk, const TopicPartition& tp,
                                   std::chrono::milliseconds timeout) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + timeout;
  Watermarks w;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(rk, tp.topic.c_str(), tp.partition, &w.low, &w.high,
                                                               static_cast<int>(std::max<int64_t>(1, left.count())));
    if (!err) return w;
    // A broker answered that it does not lead the partition (one created a moment ago, or its
    // leadership moving): asked again until the timeout. Not LEADER_NOT_AVAILABLE, which librdkafka
    // also says at once of a cluster that has gone: that is the answer, not something to wait out.
    const bool leader_moving = err == RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION;
    if (!leader_moving || Clock::now() + std::chrono::milliseconds(100) >= deadline) {
      return ClientError(rk, "query watermarks of " + tp.ToString(), err);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

AllTopicsMetadata FetchAllTopicsMetadata(rd_kafka_t* rk, std::chrono::milliseconds timeout,
                                         std::chrono::milliseconds slice, const std::function<bool()>& stop) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + timeout;
  AllTopicsMetadata out;
  slice = std::min(slice, kFirstMetadataSlice);
  while (true) {
    const auto begin = Clock::now();
    const auto left = std::max(std::chrono::milliseconds(1),
                               std::chrono::duration_cast<std::chrono::milliseconds>(deadline - begin));
    const std::chrono::milliseconds wait = std::min(left, slice);
    const rd_kafka_metadata_t* raw = nullptr;
    out.err = rd_kafka_metadata(rk, 1, nullptr, &raw,
                                static_cast<int>(std::min<int64_t>(wait.count(), 24 * 3600 * 1000)));
    if (out.err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      out.metadata.reset(raw);
      return out;
    }
    const bool used_its_slice = Clock::now() - begin >= wait * 9 / 10;
    const bool unanswered = out.err == RD_KAFKA_RESP_ERR__TRANSPORT || out.err == RD_KAFKA_RESP_ERR__TIMED_OUT;
    if (unanswered) {
      out.failure = ConfigFailure(rk);
      if (out.failure) {
        out.err = out.failure->kafka_err();
        return out;
      }
    }
    if (!used_its_slice || !unanswered || Clock::now() >= deadline) return out;
    if (stop && stop()) {
      out.stopped = true;
      return out;
    }
    slice = std::min(slice * 2, std::max(slice, kMaxMetadataSlice));
  }
}

Result<int> PartitionCount(rd_kafka_t* rk, const std::string& topic, std::chrono::milliseconds timeout) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + timeout;
  TopicPtr rkt(rd_kafka_topic_new(rk, topic.c_str(), nullptr));
  const rd_kafka_metadata_t* raw = nullptr;
  // In slices, so that a client whose configuration fails (ConfigFailure) says so within a second.
  std::chrono::milliseconds slice = kFirstMetadataSlice;
  while (true) {
    const auto left = std::max(std::chrono::milliseconds(1),
                               std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
    const auto wait = std::min(left, slice);
    const auto begin = Clock::now();
    const rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt.get(), &raw, static_cast<int>(wait.count()));
    if (!err) break;
    const bool used_its_slice = Clock::now() - begin >= wait * 9 / 10;
    const bool unanswered = err == RD_KAFKA_RESP_ERR__TRANSPORT || err == RD_KAFKA_RESP_ERR__TIMED_OUT;
    if (!unanswered || !used_its_slice || Clock::now() >= deadline) return ClientError(rk, "metadata of " + topic, err);
    if (std::optional<Error> failure = ConfigFailure(rk)) return *failure;
    slice = std::min(slice * 2, kMaxMetadataSlice);
  }
  MetadataPtr md(raw);
  if (md->topic_cnt != 1 || md->topics[0].err) {
    return Error::NotFound("topic '" + topic + "' does not exist");
  }
  return md->topics[0].partition_cnt;
}

}  // namespace ferry::kafka
