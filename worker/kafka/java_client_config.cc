#include "worker/kafka/java_client_config.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <string_view>
#include <utility>

namespace ferry::kafka {
namespace {

std::string Trim(std::string_view s) {
  while (!s.empty() && static_cast<unsigned char>(s.front()) <= ' ') s.remove_prefix(1);
  while (!s.empty() && static_cast<unsigned char>(s.back()) <= ' ') s.remove_suffix(1);
  return std::string(s);
}

std::string Upper(std::string_view s) {
  std::string out = Trim(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

bool EndsWithNoCase(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && Upper(s.substr(s.size() - suffix.size())) == Upper(suffix);
}

// Java settings with no meaning for librdkafka 2.0.2, or for how Ferry uses its clients. Facts from
// librdkafka 2.0.2's CONFIGURATION.md and Kafka 3.9's client configs.
constexpr std::string_view kDropped[] = {
    // Java classes: Ferry runs no Java code, copies bytes, and names every record's partition.
    "key.serializer", "value.serializer", "key.deserializer", "value.deserializer", "interceptor.classes",
    "partitioner.class", "partitioner.adaptive.partitioning.enable", "partitioner.availability.timeout.ms",
    "partitioner.ignore.keys", "security.providers",
    // Java metrics (JMX, KIP-714): Ferry has none.
    "metric.reporters", "metrics.num.samples", "metrics.recording.level", "metrics.sample.window.ms",
    "auto.include.jmx.reporter", "enable.metrics.push",
    // Java client machinery that librdkafka 2.0.2 does not have.
    "client.dns.lookup",  // librdkafka tries every address of a name, as Java's default does
    "retry.backoff.max.ms", "socket.connection.setup.timeout.max.ms", "metadata.recovery.strategy",
    "metadata.max.idle.ms", "compression.gzip.level", "compression.lz4.level", "compression.zstd.level",
    "max.block.ms",            // librdkafka's produce never blocks; a full queue is an answer
    "max.poll.records",        // librdkafka has no per-poll limit; Ferry sizes its own batches
    "default.api.timeout.ms",  // every Ferry call carries its own deadline
    "exclude.internal.topics", "internal.leave.group.on.close", "group.protocol", "group.remote.assignor",
    "rebalance.timeout.ms",  // Connect's, not a consumer's
    // Tuning of Java's TLS engine: librdkafka uses OpenSSL with its defaults.
    "ssl.protocol", "ssl.provider", "ssl.keymanager.algorithm", "ssl.trustmanager.algorithm",
    "ssl.secure.random.implementation",
    // Tuning of Java's login thread, and OAuth settings of brokers.
    "sasl.kerberos.ticket.renew.window.factor", "sasl.kerberos.ticket.renew.jitter",
    "sasl.login.refresh.window.factor", "sasl.login.refresh.window.jitter", "sasl.login.refresh.min.period.seconds",
    "sasl.login.refresh.buffer.seconds", "sasl.login.connect.timeout.ms", "sasl.login.read.timeout.ms",
    "sasl.login.retry.backoff.ms", "sasl.login.retry.backoff.max.ms", "sasl.oauthbearer.scope.claim.name",
    "sasl.oauthbearer.sub.claim.name", "sasl.oauthbearer.jwks.endpoint.url",
    "sasl.oauthbearer.jwks.endpoint.refresh.ms", "sasl.oauthbearer.jwks.endpoint.retry.backoff.ms",
    "sasl.oauthbearer.jwks.endpoint.retry.backoff.max.ms", "sasl.oauthbearer.clock.skew.seconds",
    "sasl.oauthbearer.expected.audience", "sasl.oauthbearer.expected.issuer", "sasl.oauthbearer.header.urlencode",
};
constexpr std::string_view kDroppedPrefix = "metrics.context.";

// Java keys whose meaning librdkafka has under another name (the value converted where units differ).
using Convert = Result<std::string> (*)(const std::string& java_key, const std::string& value);
struct Rename {
  std::string_view java;
  std::string_view librdkafka;
  Convert convert;  // nullptr: the value as is
};

// Java's -1 (the OS default) is librdkafka's 0.
Result<std::string> SocketBuffer(const std::string&, const std::string& value) {
  return Trim(value) == "-1" ? std::string("0") : value;
}

// Java counts bytes, librdkafka kilobytes (at least 1); rounded up.
Result<std::string> BytesToKilobytes(const std::string& java_key, const std::string& value) {
  const std::string text = Trim(value);
  int64_t bytes = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), bytes);
  if (ec != std::errc() || end != text.data() + text.size() || bytes < 0) {
    return Error::InvalidConfig(java_key, "expected a number of bytes");
  }
  return std::to_string(std::max<int64_t>(1, bytes / 1024 + (bytes % 1024 != 0)));
}

constexpr Rename kRenamed[] = {
    {"send.buffer.bytes", "socket.send.buffer.bytes", &SocketBuffer},
    {"receive.buffer.bytes", "socket.receive.buffer.bytes", &SocketBuffer},
    {"fetch.max.wait.ms", "fetch.wait.max.ms", nullptr},
    {"max.request.size", "message.max.bytes", nullptr},  // both cap a produce request
    // Both bound the records waiting to be sent. When that is full Java's send() blocks, and
    // librdkafka's produce answers QUEUE_FULL, on which the mirror task waits for acknowledgements.
    {"buffer.memory", "queue.buffering.max.kbytes", &BytesToKilobytes},
};

// Java-only TLS and SASL keys: translated or refused when the protocol uses them, else dropped.
constexpr std::string_view kJavaTlsKeys[] = {
    "ssl.truststore.location", "ssl.truststore.password", "ssl.truststore.type", "ssl.truststore.certificates",
    "ssl.keystore.type", "ssl.keystore.key", "ssl.keystore.certificate.chain", "ssl.enabled.protocols",
    "ssl.engine.factory.class",
};
constexpr std::string_view kJavaSaslKeys[] = {
    "sasl.jaas.config", "sasl.login.class", "sasl.login.callback.handler.class",
    "sasl.client.callback.handler.class",
};
constexpr std::string_view kSaslClassKeys[] = {
    "sasl.login.class", "sasl.login.callback.handler.class", "sasl.client.callback.handler.class"};

// Java's partition assignors that librdkafka has under its own names (StickyAssignor has none).
constexpr std::pair<std::string_view, std::string_view> kAssignors[] = {
    {"org.apache.kafka.clients.consumer.RangeAssignor", "range"},
    {"org.apache.kafka.clients.consumer.RoundRobinAssignor", "roundrobin"},
    {"org.apache.kafka.clients.consumer.CooperativeStickyAssignor", "cooperative-sticky"},
};

constexpr char kPlainModule[] = "org.apache.kafka.common.security.plain.PlainLoginModule";
constexpr char kScramModule[] = "org.apache.kafka.common.security.scram.ScramLoginModule";

// One login module of a sasl.jaas.config.
struct JaasLogin {
  std::string module;
  std::map<std::string, std::string> options;
};

// Reads sasl.jaas.config as Kafka's Java clients do (a java.io.StreamTokenizer):
// `<module class> <flag> (<name>=<value>)* ;` with values quoted by " or ' (with Java's backslash
// escapes) or bare words, and // or /* */ comments. A client takes exactly one login module.
// Its errors never quote the text: it holds passwords.
class JaasParser {
 public:
  explicit JaasParser(std::string_view text) : text_(text) {}

  Result<JaasLogin> Parse() {
    JaasLogin login;
    Token t = Next();
    if (t.kind == Kind::kEnd) return Fail("it names no login module");
    if (t.kind != Kind::kWord) return Fail("expected a login module class first");
    login.module = t.text;
    t = Next();
    const std::string flag = Upper(t.text);
    if (t.kind != Kind::kWord ||
        (flag != "REQUIRED" && flag != "REQUISITE" && flag != "SUFFICIENT" && flag != "OPTIONAL")) {
      return Fail("expected a control flag (required, requisite, sufficient or optional) after the login module");
    }
    while (true) {
      t = Next();
      if (t.kind == Kind::kChar && t.text == ";") break;
      if (t.kind == Kind::kEnd) return Fail("the login module does not end with ';'");
      if (t.kind == Kind::kError) return Fail(t.text);
      if (t.kind == Kind::kChar) return Fail("expected an option name");
      std::string name = std::move(t.text);
      t = Next();
      if (t.kind != Kind::kChar || t.text != "=") return Fail("expected '=' after an option name");
      t = Next();
      if (t.kind == Kind::kError) return Fail(t.text);
      if (t.kind != Kind::kWord && t.kind != Kind::kQuoted) return Fail("an option has no value");
      login.options[name] = std::move(t.text);
    }
    if (Next().kind != Kind::kEnd) return Fail("more than one login module; a Kafka client takes exactly one");
    return login;
  }

 private:
  enum class Kind { kWord, kQuoted, kChar, kEnd, kError };
  struct Token {
    Kind kind;
    std::string text;  // kError: what is wrong
  };

  static Error Fail(const std::string& why) {
    return Error::InvalidConfig("sasl.jaas.config", "cannot be read: " + why);
  }

  static bool IsWordChar(char c) {
    const auto u = static_cast<unsigned char>(c);
    return std::isalnum(u) || c == '.' || c == '-' || c == '_' || c == '$' || u >= 0x80;
  }

  void SkipSpaceAndComments() {
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (static_cast<unsigned char>(c) <= ' ') {
        ++pos_;
      } else if (c == '/' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '*') {
        const size_t end = text_.find("*/", pos_ + 2);
        pos_ = end == std::string_view::npos ? text_.size() : end + 2;
      } else if (c == '/') {  // `//`, and as in StreamTokenizer a lone '/', comment out the line
        while (pos_ < text_.size() && text_[pos_] != '\n' && text_[pos_] != '\r') ++pos_;
      } else {
        return;
      }
    }
  }

  Token Next() {
    SkipSpaceAndComments();
    if (pos_ >= text_.size()) return {Kind::kEnd, ""};
    const char c = text_[pos_];
    if (IsWordChar(c)) {
      const size_t start = pos_;
      while (pos_ < text_.size() && IsWordChar(text_[pos_])) ++pos_;
      return {Kind::kWord, std::string(text_.substr(start, pos_ - start))};
    }
    ++pos_;
    if (c == '"' || c == '\'') return Quoted(c);
    return {Kind::kChar, std::string(1, c)};
  }

  // After the opening quote, up to the matching one, with StreamTokenizer's escapes.
  Token Quoted(char quote) {
    std::string value;
    while (true) {
      if (pos_ >= text_.size() || text_[pos_] == '\n' || text_[pos_] == '\r') {
        return {Kind::kError, "a quoted value is not closed"};
      }
      char c = text_[pos_++];
      if (c == quote) return {Kind::kQuoted, std::move(value)};
      if (c == '\\' && pos_ < text_.size()) c = Escaped(text_[pos_++]);
      value += c;
    }
  }

  char Escaped(char e) {
    switch (e) {
      case 'a': return '\a';
      case 'b': return '\b';
      case 'f': return '\f';
      case 'n': return '\n';
      case 'r': return '\r';
      case 't': return '\t';
      case 'v': return '\v';
      default: break;
    }
    if (e < '0' || e > '7') return e;  // \" \' \\ and any other character stand for themselves
    // Octal: up to three digits, the third only after a first digit 0-3 (so at most \377).
    int value = e - '0';
    for (int digits = 1; digits < 3 && pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '7'; ++digits) {
      if (digits == 2 && e > '3') break;
      value = value * 8 + (text_[pos_++] - '0');
    }
    return static_cast<char>(value);
  }

  std::string_view text_;
  size_t pos_ = 0;
};

class Translator {
 public:
  Translator(const Properties& in, rd_kafka_type_t type) : in_(in), type_(type) { out_.props = in; }

  Result<TranslatedClientProps> Run() {
    for (std::string_view key : kDropped) Drop(std::string(key));
    for (const auto& [key, value] : in_) {
      if (key.rfind(kDroppedPrefix, 0) == 0) Drop(key);
    }
    for (const Rename& r : kRenamed) {
      const std::string java(r.java);
      const std::string* value = Get(java);
      if (value == nullptr) continue;
      Result<std::string> converted = r.convert ? r.convert(java, *value) : Result<std::string>(*value);
      if (!converted.ok()) return converted.error();
      Set(std::string(r.librdkafka), std::move(*converted), java);
    }
    FERRY_RETURN_IF_ERROR(Values());
    const std::string protocol = Upper(GetOr("security.protocol", "PLAINTEXT"));
    FERRY_RETURN_IF_ERROR(Tls(protocol == "SSL" || protocol == "SASL_SSL"));
    FERRY_RETURN_IF_ERROR(Sasl(protocol == "SASL_PLAINTEXT" || protocol == "SASL_SSL"));
    std::sort(out_.dropped.begin(), out_.dropped.end());
    return std::move(out_);
  }

 private:
  // Java values that librdkafka spells differently, under the same key.
  Result<> Values() {
    if (const std::string* v = Get("auto.offset.reset"); v && Upper(*v) == "NONE") {
      out_.props["auto.offset.reset"] = "error";  // both fail the fetch instead of resetting
    }
    if (const std::string* v = Get("ssl.endpoint.identification.algorithm"); v && Trim(*v).empty()) {
      out_.props["ssl.endpoint.identification.algorithm"] = "none";  // Java's empty value turns it off
    }
    if (const std::string* v = Get("partition.assignment.strategy"); v && v->find('.') != std::string::npos) {
      AssignmentStrategy(*v);
    }
    // librdkafka's request.timeout.ms is the producer's broker-side ack timeout, as Java's is for a
    // producer; a consumer has none (librdkafka would ignore it with a warning).
    if (type_ == RD_KAFKA_CONSUMER) Drop("request.timeout.ms");
    // Java's is the path of kinit, librdkafka's the whole command line with its arguments.
    if (const std::string* v = Get("sasl.kerberos.kinit.cmd"); v && Trim(*v).find(' ') == std::string::npos) {
      Drop("sasl.kerberos.kinit.cmd");
    }
    if (Get("bootstrap.controllers") != nullptr) {
      return Error::InvalidConfig("bootstrap.controllers",
                                  "librdkafka talks to brokers only; set bootstrap.servers instead");
    }
    return Ok();
  }

  // Java names assignor classes; Ferry assigns partitions itself, so one librdkafka lacks is dropped.
  void AssignmentStrategy(const std::string& value) {
    std::string names;
    size_t start = 0;
    while (start <= value.size()) {
      const size_t comma = std::min(value.find(',', start), value.size());
      const std::string entry = Trim(std::string_view(value).substr(start, comma - start));
      start = comma + 1;
      if (entry.empty()) continue;
      std::string name = entry;
      if (entry.find('.') != std::string::npos) {
        auto it = std::find_if(std::begin(kAssignors), std::end(kAssignors),
                               [&](const auto& a) { return a.first == entry; });
        if (it == std::end(kAssignors)) {
          Drop("partition.assignment.strategy");
          return;
        }
        name = it->second;
      }
      names += (names.empty() ? "" : ",") + name;
    }
    out_.props["partition.assignment.strategy"] = names;
  }

  Result<> Tls(bool tls) {
    if (!tls) {
      for (std::string_view key : kJavaTlsKeys) Drop(std::string(key));
      return Ok();
    }
    if (Get("ssl.engine.factory.class") != nullptr) {
      return Error::InvalidConfig("ssl.engine.factory.class",
                                  "a Java class decides TLS here, and Ferry cannot run Java classes; remove it and "
                                  "configure TLS with ssl.ca.location, ssl.certificate.location and ssl.key.location");
    }
    FERRY_RETURN_IF_ERROR(EnabledProtocols());
    FERRY_RETURN_IF_ERROR(TrustStore());
    FERRY_RETURN_IF_ERROR(KeyStore());
    for (std::string_view key : kJavaTlsKeys) Drop(std::string(key));  // what no translation used
    return Ok();
  }

  // librdkafka 2.0.2 cannot choose TLS versions: it offers what OpenSSL allows (TLS 1.2 and 1.3 by
  // default). A list that excludes TLS 1.2 would be weakened, so it is refused.
  Result<> EnabledProtocols() {
    const std::string* v = Get("ssl.enabled.protocols");
    if (v == nullptr) return Ok();
    bool any = false;
    bool only_tls13 = true;
    size_t start = 0;
    while (start <= v->size()) {
      const size_t comma = std::min(v->find(',', start), v->size());
      const std::string entry = Upper(std::string_view(*v).substr(start, comma - start));
      start = comma + 1;
      if (entry.empty()) continue;
      any = true;
      only_tls13 = only_tls13 && entry == "TLSV1.3";
    }
    if (any && only_tls13) {
      return Error::InvalidConfig("ssl.enabled.protocols",
                                  "librdkafka 2.0.2 cannot restrict TLS to version 1.3 (it also offers TLS 1.2); "
                                  "remove the setting to accept that");
    }
    return Ok();
  }

  Result<> TrustStore() {
    const std::string* location = Get("ssl.truststore.location");
    const std::string* certificates = Get("ssl.truststore.certificates");
    if (location == nullptr && certificates == nullptr) return Ok();
    const std::string* type = Get("ssl.truststore.type");
    const std::string key = location ? "ssl.truststore.location" : "ssl.truststore.certificates";
    if (type == nullptr || Upper(*type) != "PEM") {
      const std::string shown = type ? "a " + Upper(*type) : "a JKS (Java's default ssl.truststore.type)";
      return Error::InvalidConfig(key, "librdkafka cannot read " + shown +
                                           " trust store; export its CA certificates to a PEM file (keytool "
                                           "-exportcert -rfc) and set ssl.ca.location to it instead");
    }
    if (location) Set("ssl.ca.location", *location, "ssl.truststore.location");
    if (certificates) Set("ssl.ca.pem", *certificates, "ssl.truststore.certificates");
    out_.props.erase("ssl.truststore.type");  // used
    return Ok();
  }

  Result<> KeyStore() {
    const std::string* type_value = Get("ssl.keystore.type");
    const std::string type = type_value ? Upper(*type_value) : "";
    const std::string* key = Get("ssl.keystore.key");
    const std::string* chain = Get("ssl.keystore.certificate.chain");
    if (key || chain) {
      if (!key || !chain) {
        return Error::InvalidConfig(key ? "ssl.keystore.key" : "ssl.keystore.certificate.chain",
                                    "ssl.keystore.key and ssl.keystore.certificate.chain go together");
      }
      if (CountCertificates(*chain) > 1) {
        return Error::InvalidConfig("ssl.keystore.certificate.chain",
                                    "librdkafka 2.0.2 sends only the first certificate given inline; put the "
                                    "chain in a PEM file and set ssl.certificate.location (and the key in "
                                    "ssl.key.location) instead");
      }
      Set("ssl.key.pem", *key, "ssl.keystore.key");
      Set("ssl.certificate.pem", *chain, "ssl.keystore.certificate.chain");
      out_.props.erase("ssl.keystore.type");  // used
    }
    const std::string* location = Get("ssl.keystore.location");
    if (location == nullptr) return Ok();
    // librdkafka reads ssl.keystore.location as PKCS#12, which Java (9+) also reads without a type.
    const bool jks = type == "JKS" || (type.empty() && EndsWithNoCase(*location, ".jks"));
    if (jks || (!type.empty() && type != "PKCS12" && type != "PEM")) {
      const std::string shown = type.empty() ? "JKS" : type;
      return Error::InvalidConfig("ssl.keystore.location",
                                  "librdkafka cannot read a " + shown +
                                      " key store; convert it to PKCS#12 (keytool -importkeystore -deststoretype "
                                      "PKCS12) and set ssl.keystore.type=PKCS12, or give PEM files with "
                                      "ssl.certificate.location and ssl.key.location instead");
    }
    if (type == "PEM") {  // one file with the key and the certificate chain, which OpenSSL both finds
      Set("ssl.certificate.location", *location, "ssl.keystore.location");
      Set("ssl.key.location", *location, "ssl.keystore.location");
      Drop("ssl.keystore.password");  // Java refuses a store password for PEM; the key has its own
    }
    out_.props.erase("ssl.keystore.type");  // used
    return Ok();
  }

  static int CountCertificates(const std::string& pem) {
    int n = 0;
    for (size_t at = pem.find("-----BEGIN CERTIFICATE-----"); at != std::string::npos;
         at = pem.find("-----BEGIN CERTIFICATE-----", at + 1)) {
      ++n;
    }
    return n;
  }

  Result<> Sasl(bool sasl) {
    const auto java_keys_set = [&] {
      return std::any_of(std::begin(kJavaSaslKeys), std::end(kJavaSaslKeys),
                         [&](std::string_view k) { return Get(std::string(k)) != nullptr; });
    };
    if (!sasl || !java_keys_set()) {
      for (std::string_view key : kJavaSaslKeys) Drop(std::string(key));
      return Ok();
    }
    const bool mechanism_set = Get("sasl.mechanisms") || Get("sasl.mechanism");
    const std::string mechanism = Upper(GetOr("sasl.mechanisms", GetOr("sasl.mechanism", "GSSAPI")));
    if (mechanism == "PLAIN" || mechanism.rfind("SCRAM-", 0) == 0) return UserAndPassword(mechanism);

    // Kerberos and OAuth logins run through Java modules and classes that are not translated. When
    // librdkafka's own settings for the mechanism are given, they replace Java's.
    const bool librdkafka_login =
        mechanism == "GSSAPI" ? Get("sasl.kerberos.keytab") || Get("sasl.kerberos.principal")
                              : Get("sasl.oauthbearer.method") || Get("sasl.oauthbearer.config") ||
                                    Get("enable.sasl.oauthbearer.unsecure.jwt");
    if (librdkafka_login) {
      for (std::string_view key : kJavaSaslKeys) Drop(std::string(key));
      return Ok();
    }
    std::string key = "sasl.jaas.config";  // the key the error names
    if (Get(key) == nullptr) {
      for (std::string_view k : kSaslClassKeys) {
        if (Get(std::string(k)) != nullptr) {
          key = k;
          break;
        }
      }
    }
    const std::string what = "sasl.mechanism " + mechanism + (mechanism_set ? "" : " (Java's default)");
    if (mechanism == "GSSAPI") {
      return Error::InvalidConfig(key, "Ferry does not translate the Java login of " + what +
                                           "; set librdkafka's sasl.kerberos.principal and sasl.kerberos.keytab "
                                           "(and sasl.kerberos.service.name) instead");
    }
    if (mechanism == "OAUTHBEARER") {
      return Error::InvalidConfig(key, "Ferry does not translate the Java login of " + what +
                                           "; set librdkafka's sasl.oauthbearer.method=oidc, "
                                           "sasl.oauthbearer.client.id, sasl.oauthbearer.client.secret and "
                                           "sasl.oauthbearer.token.endpoint.url instead");
    }
    return Error::InvalidConfig(key, "librdkafka has no " + what);
  }

  // PLAIN and SCRAM: the username and password of PlainLoginModule or ScramLoginModule.
  Result<> UserAndPassword(const std::string& mechanism) {
    for (std::string_view k : kSaslClassKeys) {
      if (Get(std::string(k)) != nullptr) {
        return Error::InvalidConfig(std::string(k),
                                    "a Java class supplies the SASL login here, and Ferry cannot run Java "
                                    "classes; give the username and password in sasl.jaas.config (or "
                                    "sasl.username and sasl.password) instead");
      }
    }
    const std::string* jaas = Get("sasl.jaas.config");
    if (jaas == nullptr) return Ok();
    Result<JaasLogin> login = JaasParser(*jaas).Parse();
    if (!login.ok()) return login.error();
    const std::string expected = mechanism == "PLAIN" ? kPlainModule : kScramModule;
    if (login->module != expected) {
      return Error::InvalidConfig("sasl.jaas.config", "sasl.mechanism " + mechanism + " needs " + expected +
                                                          ", and Ferry translates no other login module");
    }
    auto option = [&](const char* name) -> const std::string* {
      auto it = login->options.find(name);
      return it == login->options.end() ? nullptr : &it->second;
    };
    if (const std::string* token = option("tokenauth"); token && Upper(*token) == "TRUE") {
      return Error::InvalidConfig("sasl.jaas.config", "librdkafka 2.0.2 cannot log in with a delegation token "
                                                      "(tokenauth=true)");
    }
    const std::string* username = option("username");
    const std::string* password = option("password");
    if (username == nullptr || password == nullptr) {
      return Error::InvalidConfig("sasl.jaas.config", "the login module needs a username and a password option");
    }
    Set("sasl.username", *username, "sasl.jaas.config");
    Set("sasl.password", *password, "sasl.jaas.config");
    return Ok();
  }

  // The user's value of `key`, or null.
  const std::string* Get(const std::string& key) const {
    auto it = in_.find(key);
    return it == in_.end() ? nullptr : &it->second;
  }
  std::string GetOr(const std::string& key, const std::string& otherwise) const {
    const std::string* v = Get(key);
    return v ? *v : otherwise;
  }

  // Gives librdkafka `key`, translated from `java_key`, which it replaces.
  void Set(const std::string& key, std::string value, const std::string& java_key) {
    out_.props.erase(java_key);
    out_.props[key] = std::move(value);
    out_.renamed[key] = java_key;
  }

  // Drops `key` if it is still to be passed on (translated keys are gone already).
  void Drop(const std::string& key) {
    if (out_.props.erase(key) > 0) out_.dropped.push_back(key);
  }

  const Properties& in_;
  const rd_kafka_type_t type_;
  TranslatedClientProps out_;
};

}  // namespace

Result<TranslatedClientProps> FromJavaClientConfig(const Properties& props, rd_kafka_type_t type) {
  return Translator(props, type).Run();
}

bool IsSecurityKey(std::string_view key) {
  return key.substr(0, 4) == "ssl." || key.substr(0, 5) == "sasl." || key == "enable.ssl.certificate.verification" ||
         key == "enable.sasl.oauthbearer.unsecure.jwt";
}

}  // namespace ferry::kafka
