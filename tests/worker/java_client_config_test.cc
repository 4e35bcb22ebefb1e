// Java client settings in librdkafka's terms (worker/kafka/java_client_config.h): each key's
// translation, JAAS logins, refusals with what to set instead, no secret in any message or warning,
// and kafka::NewClient creating clients from MM2-style settings (no broker needed for that).
#include "worker/kafka/java_client_config.h"

#include <algorithm>
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include <glog/logging.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/log_capture.h"
#include "worker/kafka/admin.h"
#include "worker/kafka/client.h"

namespace ferry::kafka {
namespace {

using ferry::testing::LogCapture;

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kSecret[] = "hunter2";

std::string Jaas(const std::string& module, const std::string& options) {
  return "org.apache.kafka.common.security." + module + " required " + options + ";";
}
const std::string kPlainLogin = Jaas("plain.PlainLoginModule", "username=\"alice\" password=\"hunter2\"");

// The error of a refused config; fails the test if it was accepted.
std::string Refusal(const Properties& props, rd_kafka_type_t type = RD_KAFKA_PRODUCER) {
  Result<TranslatedClientProps> r = FromJavaClientConfig(props, type);
  if (r.ok()) {
    ADD_FAILURE() << "accepted";
    return "";
  }
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidConfig);
  return r.error().message();
}

struct Case {
  const char* name;
  Properties in;
  Properties want;                    // what librdkafka gets
  std::vector<std::string> dropped;  // named in the warning
  rd_kafka_type_t type = RD_KAFKA_PRODUCER;
};

TEST(JavaClientConfigTest, EachJavaKeyIsTranslatedOrDropped) {
  const Case cases[] = {
      {"Java classes and metrics are dropped",
       {{"key.serializer", "org.apache.kafka.common.serialization.ByteArraySerializer"},
        {"value.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer"},
        {"interceptor.classes", "com.example.Audit"},
        {"partitioner.class", "com.example.P"},
        {"metric.reporters", "com.example.R"},
        {"metrics.recording.level", "DEBUG"},
        {"metrics.context.env", "prod"},
        {"auto.include.jmx.reporter", "false"},
        {"enable.metrics.push", "false"},
        {"linger.ms", "5"}},
       {{"linger.ms", "5"}},
       {"auto.include.jmx.reporter", "enable.metrics.push", "interceptor.classes", "key.serializer",
        "metric.reporters", "metrics.context.env", "metrics.recording.level", "partitioner.class",
        "value.deserializer"}},
      {"Java client machinery librdkafka 2.0.2 lacks is dropped",
       {{"client.dns.lookup", "use_all_dns_ips"},
        {"max.poll.records", "500"},
        {"default.api.timeout.ms", "60000"},
        {"max.block.ms", "60000"},
        {"retry.backoff.max.ms", "1000"},
        {"socket.connection.setup.timeout.max.ms", "30000"},
        {"metadata.recovery.strategy", "rebootstrap"},
        {"group.protocol", "classic"},
        {"compression.zstd.level", "3"}},
       {},
       {"client.dns.lookup", "compression.zstd.level", "default.api.timeout.ms", "group.protocol",
        "max.block.ms", "max.poll.records", "metadata.recovery.strategy", "retry.backoff.max.ms",
        "socket.connection.setup.timeout.max.ms"},
       RD_KAFKA_CONSUMER},
      {"socket buffers get librdkafka's names",
       {{"send.buffer.bytes", "131072"}, {"receive.buffer.bytes", "65536"}},
       {{"socket.send.buffer.bytes", "131072"}, {"socket.receive.buffer.bytes", "65536"}},
       {}},
      {"Java's -1 socket buffer (the OS default) is librdkafka's 0",
       {{"send.buffer.bytes", "-1"}, {"receive.buffer.bytes", " -1 "}},
       {{"socket.send.buffer.bytes", "0"}, {"socket.receive.buffer.bytes", "0"}},
       {}},
      {"fetch.max.wait.ms", {{"fetch.max.wait.ms", "250"}}, {{"fetch.wait.max.ms", "250"}}, {}, RD_KAFKA_CONSUMER},
      {"max.request.size", {{"max.request.size", "2097152"}}, {{"message.max.bytes", "2097152"}}, {}},
      {"buffer.memory in kilobytes", {{"buffer.memory", "33554432"}}, {{"queue.buffering.max.kbytes", "32768"}}, {}},
      {"buffer.memory rounded up", {{"buffer.memory", "1025"}}, {{"queue.buffering.max.kbytes", "2"}}, {}},
      {"buffer.memory at least 1 kB", {{"buffer.memory", "0"}}, {{"queue.buffering.max.kbytes", "1"}}, {}},
      {"a translation replaces the librdkafka key it maps to (Ferry's defaults)",
       {{"buffer.memory", "1048576"}, {"queue.buffering.max.kbytes", "1048576"}},
       {{"queue.buffering.max.kbytes", "1024"}},
       {}},
      {"auto.offset.reset=none fails as librdkafka's error does",
       {{"auto.offset.reset", "none"}},
       {{"auto.offset.reset", "error"}},
       {},
       RD_KAFKA_CONSUMER},
      {"auto.offset.reset=earliest passes",
       {{"auto.offset.reset", "earliest"}},
       {{"auto.offset.reset", "earliest"}},
       {}},
      {"Java's empty endpoint identification is librdkafka's none",
       {{"ssl.endpoint.identification.algorithm", ""}},
       {{"ssl.endpoint.identification.algorithm", "none"}},
       {}},
      {"assignor classes get librdkafka's names",
       {{"partition.assignment.strategy",
         "org.apache.kafka.clients.consumer.RangeAssignor, org.apache.kafka.clients.consumer.RoundRobinAssignor"}},
       {{"partition.assignment.strategy", "range,roundrobin"}},
       {},
       RD_KAFKA_CONSUMER},
      {"an assignor librdkafka lacks is dropped (Ferry assigns partitions itself)",
       {{"partition.assignment.strategy", "org.apache.kafka.clients.consumer.StickyAssignor"}},
       {},
       {"partition.assignment.strategy"},
       RD_KAFKA_CONSUMER},
      {"request.timeout.ms: a consumer has none",
       {{"request.timeout.ms", "30000"}},
       {},
       {"request.timeout.ms"},
       RD_KAFKA_CONSUMER},
      {"request.timeout.ms: the producer's ack timeout",
       {{"request.timeout.ms", "30000"}},
       {{"request.timeout.ms", "30000"}},
       {}},
      {"Java's kinit path is not librdkafka's kinit command",
       {{"sasl.kerberos.kinit.cmd", "/usr/bin/kinit"}},
       {},
       {"sasl.kerberos.kinit.cmd"}},
      {"TLS keys without TLS are dropped, as Java ignores them",
       {{"security.protocol", "SASL_PLAINTEXT"},
        {"sasl.mechanism", "PLAIN"},
        {"sasl.jaas.config", kPlainLogin},
        {"ssl.truststore.location", "/etc/kafka/truststore.jks"},
        {"ssl.truststore.password", kSecret},
        {"ssl.keystore.type", "JKS"},
        {"ssl.protocol", "TLSv1.3"},
        {"ssl.enabled.protocols", "TLSv1.3"},
        {"ssl.engine.factory.class", "com.example.F"}},
       {{"security.protocol", "SASL_PLAINTEXT"},
        {"sasl.mechanism", "PLAIN"},
        {"sasl.username", "alice"},
        {"sasl.password", kSecret}},
       {"ssl.enabled.protocols", "ssl.engine.factory.class", "ssl.keystore.type", "ssl.protocol",
        "ssl.truststore.location", "ssl.truststore.password"}},
      {"SASL keys without SASL are dropped, as Java ignores them",
       {{"security.protocol", "ssl"},
        {"sasl.jaas.config", "com.example.Unknown required;"},
        {"sasl.login.callback.handler.class", "com.example.H"},
        {"sasl.login.refresh.buffer.seconds", "300"}},
       {{"security.protocol", "ssl"}},
       {"sasl.jaas.config", "sasl.login.callback.handler.class", "sasl.login.refresh.buffer.seconds"}},
      {"a PEM trust store file is librdkafka's CA location",
       {{"security.protocol", "SSL"}, {"ssl.truststore.type", "PEM"}, {"ssl.truststore.location", "/etc/ca.pem"}},
       {{"security.protocol", "SSL"}, {"ssl.ca.location", "/etc/ca.pem"}},
       {}},
      {"PEM trust store certificates are librdkafka's CA PEM",
       {{"security.protocol", "SASL_SSL"},
        {"ssl.truststore.type", "pem"},
        {"ssl.truststore.certificates", "-----BEGIN CERTIFICATE-----..."}},
       {{"security.protocol", "SASL_SSL"}, {"ssl.ca.pem", "-----BEGIN CERTIFICATE-----..."}},
       {}},
      {"a PKCS#12 key store is read by librdkafka under the same names",
       {{"security.protocol", "SSL"},
        {"ssl.keystore.type", "PKCS12"},
        {"ssl.keystore.location", "/etc/client.p12"},
        {"ssl.keystore.password", kSecret},
        {"ssl.key.password", kSecret}},
       {{"security.protocol", "SSL"},
        {"ssl.keystore.location", "/etc/client.p12"},
        {"ssl.keystore.password", kSecret},
        {"ssl.key.password", kSecret}},
       {}},
      {"a key store without a type is read as PKCS#12 (Java 9+ reads those under its default JKS)",
       {{"security.protocol", "SSL"}, {"ssl.keystore.location", "/etc/client.p12"}, {"ssl.keystore.password", kSecret}},
       {{"security.protocol", "SSL"}, {"ssl.keystore.location", "/etc/client.p12"}, {"ssl.keystore.password", kSecret}},
       {}},
      {"a PEM key store file holds both the certificate and the key",
       {{"security.protocol", "SSL"},
        {"ssl.keystore.type", "PEM"},
        {"ssl.keystore.location", "/etc/client.pem"},
        {"ssl.key.password", kSecret}},
       {{"security.protocol", "SSL"},
        {"ssl.certificate.location", "/etc/client.pem"},
        {"ssl.key.location", "/etc/client.pem"},
        {"ssl.key.password", kSecret}},
       {}},
      {"an inline PEM key and certificate",
       {{"security.protocol", "SSL"},
        {"ssl.keystore.type", "PEM"},
        {"ssl.keystore.key", "-----BEGIN PRIVATE KEY-----..."},
        {"ssl.keystore.certificate.chain", "-----BEGIN CERTIFICATE-----..."}},
       {{"security.protocol", "SSL"},
        {"ssl.key.pem", "-----BEGIN PRIVATE KEY-----..."},
        {"ssl.certificate.pem", "-----BEGIN CERTIFICATE-----..."}},
       {}},
      {"Java's TLS engine tuning is dropped; TLS 1.2 and 1.3 are what librdkafka offers",
       {{"security.protocol", "SSL"},
        {"ssl.protocol", "TLSv1.3"},
        {"ssl.enabled.protocols", "TLSv1.2,TLSv1.3"},
        {"ssl.keymanager.algorithm", "SunX509"},
        {"ssl.trustmanager.algorithm", "PKIX"},
        {"ssl.truststore.password", kSecret}},
       {{"security.protocol", "SSL"}},
       {"ssl.enabled.protocols", "ssl.keymanager.algorithm", "ssl.protocol", "ssl.trustmanager.algorithm",
        "ssl.truststore.password"}},
      {"GSSAPI: librdkafka's Kerberos settings replace Java's login",
       {{"security.protocol", "SASL_SSL"},
        {"sasl.jaas.config", "com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true;"},
        {"sasl.kerberos.principal", "mirror@EXAMPLE.COM"},
        {"sasl.kerberos.keytab", "/etc/mirror.keytab"},
        {"sasl.kerberos.service.name", "kafka"}},
       {{"security.protocol", "SASL_SSL"},
        {"sasl.kerberos.principal", "mirror@EXAMPLE.COM"},
        {"sasl.kerberos.keytab", "/etc/mirror.keytab"},
        {"sasl.kerberos.service.name", "kafka"}},
       {"sasl.jaas.config"}},
      {"OAUTHBEARER: librdkafka's OIDC settings replace Java's login",
       {{"security.protocol", "SASL_SSL"},
        {"sasl.mechanism", "OAUTHBEARER"},
        {"sasl.jaas.config", "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;"},
        {"sasl.login.callback.handler.class",
         "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler"},
        {"sasl.oauthbearer.method", "oidc"},
        {"sasl.oauthbearer.token.endpoint.url", "https://idp/token"}},
       {{"security.protocol", "SASL_SSL"},
        {"sasl.mechanism", "OAUTHBEARER"},
        {"sasl.oauthbearer.method", "oidc"},
        {"sasl.oauthbearer.token.endpoint.url", "https://idp/token"}},
       {"sasl.jaas.config", "sasl.login.callback.handler.class"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Result<TranslatedClientProps> r = FromJavaClientConfig(c.in, c.type);
    ASSERT_TRUE(r.ok()) << r.error().ToString();
    EXPECT_EQ(r->props, c.want);
    EXPECT_EQ(r->dropped, c.dropped);
  }
}

TEST(JavaClientConfigTest, LibrdkafkaSettingsPassUnchanged) {
  // Java names librdkafka shares, librdkafka's own names, and Ferry's defaults for its clients.
  const Properties props = {
      {"bootstrap.servers", "a:9092,b:9092"}, {"client.id", "A->B|replication-producer"},
      {"acks", "all"}, {"linger.ms", "5"}, {"batch.size", "16384"}, {"retries", "10"},
      {"enable.idempotence", "true"}, {"compression.type", "zstd"}, {"delivery.timeout.ms", "120000"},
      {"max.in.flight.requests.per.connection", "5"}, {"transactional.id", "t"},
      {"queue.buffering.max.kbytes", "1048576"}, {"fetch.min.bytes", "1"}, {"fetch.max.bytes", "52428800"},
      {"max.partition.fetch.bytes", "1048576"}, {"max.poll.interval.ms", "300000"},
      {"session.timeout.ms", "45000"}, {"isolation.level", "read_committed"}, {"client.rack", "r1"},
      {"group.instance.id", "g-1"}, {"auto.commit.interval.ms", "5000"}, {"allow.auto.create.topics", "false"},
      {"metadata.max.age.ms", "60000"}, {"connections.max.idle.ms", "540000"},
      {"reconnect.backoff.max.ms", "1000"}, {"retry.backoff.ms", "100"},
      {"socket.connection.setup.timeout.ms", "10000"}, {"security.protocol", "SASL_SSL"},
      {"sasl.mechanism", "SCRAM-SHA-512"}, {"sasl.username", "alice"}, {"sasl.password", kSecret},
      {"ssl.ca.location", "/etc/ca.pem"}, {"ssl.certificate.location", "/etc/c.pem"},
      {"ssl.key.location", "/etc/k.pem"}, {"ssl.key.password", kSecret},
      {"ssl.endpoint.identification.algorithm", "https"}, {"partition.assignment.strategy", "cooperative-sticky"},
      {"sasl.kerberos.kinit.cmd", "kinit -R -t \"%{sasl.kerberos.keytab}\" -k %{sasl.kerberos.principal}"},
  };
  Result<TranslatedClientProps> r = FromJavaClientConfig(props, RD_KAFKA_PRODUCER);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->props, props);
  EXPECT_TRUE(r->dropped.empty());
  EXPECT_TRUE(r->renamed.empty());
}

TEST(JavaClientConfigTest, RenamedKeysRememberTheJavaKey) {
  Result<TranslatedClientProps> r = FromJavaClientConfig(
      {{"send.buffer.bytes", "1"}, {"security.protocol", "SASL_SSL"}, {"sasl.mechanism", "PLAIN"},
       {"sasl.jaas.config", kPlainLogin}, {"ssl.truststore.type", "PEM"}, {"ssl.truststore.location", "/ca.pem"}},
      RD_KAFKA_PRODUCER);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->renamed, (std::map<std::string, std::string>{{"socket.send.buffer.bytes", "send.buffer.bytes"},
                                                            {"sasl.username", "sasl.jaas.config"},
                                                            {"sasl.password", "sasl.jaas.config"},
                                                            {"ssl.ca.location", "ssl.truststore.location"}}));
}

struct JaasCase {
  const char* mechanism;
  std::string jaas;
  std::string username;
  std::string password;
};

TEST(JavaClientConfigTest, JaasLoginsOfPlainAndScramBecomeUsernameAndPassword) {
  const JaasCase cases[] = {
      {"PLAIN", kPlainLogin, "alice", kSecret},
      {"SCRAM-SHA-256", Jaas("scram.ScramLoginModule", "username=\"alice\" password=\"hunter2\""), "alice", kSecret},
      {"scram-sha-512", Jaas("scram.ScramLoginModule", "password=\"hunter2\" username=\"alice\""), "alice", kSecret},
      // Escapes inside quotes, as Java's StreamTokenizer reads them.
      {"PLAIN", Jaas("plain.PlainLoginModule", R"(username="al\"ice" password="a\\b\"c;d")"), "al\"ice", R"(a\b"c;d)"},
      {"PLAIN", Jaas("plain.PlainLoginModule", R"(username="u" password="tab\there\101")"), "u", "tab\thereA"},
      // Bare words, and options Ferry does not need.
      {"SCRAM-SHA-512", Jaas("scram.ScramLoginModule", "username=svc_mirror-1 password=\"p=w;d x\" tokenauth=false"),
       "svc_mirror-1", "p=w;d x"},
      {"PLAIN", Jaas("plain.PlainLoginModule", "username=\"\" password=\"\""), "", ""},
  };
  for (const JaasCase& c : cases) {
    SCOPED_TRACE(c.jaas);
    Result<TranslatedClientProps> r = FromJavaClientConfig(
        {{"security.protocol", "SASL_SSL"}, {"sasl.mechanism", c.mechanism}, {"sasl.jaas.config", c.jaas}},
        RD_KAFKA_CONSUMER);
    ASSERT_TRUE(r.ok()) << r.error().ToString();
    EXPECT_EQ(r->props, (Properties{{"security.protocol", "SASL_SSL"},
                                    {"sasl.mechanism", c.mechanism},
                                    {"sasl.username", c.username},
                                    {"sasl.password", c.password}}));
    EXPECT_TRUE(r->dropped.empty());
  }
}

// Single quotes, any case of the flag, comments and line breaks, as in a JAAS file.
TEST(JavaClientConfigTest, JaasWithSingleQuotesAndComments) {
  Result<TranslatedClientProps> r = FromJavaClientConfig(
      {{"security.protocol", "SASL_PLAINTEXT"},
       {"sasl.mechanisms", "PLAIN"},
       {"sasl.jaas.config",
        "org.apache.kafka.common.security.plain.PlainLoginModule Required\n"
        "  username='bob' // the mirror's user\n"
        "  /* from the vault */ password='it\\'s' serviceName=kafka;"}},
      RD_KAFKA_PRODUCER);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->props.at("sasl.username"), "bob");
  EXPECT_EQ(r->props.at("sasl.password"), "it's");
}

TEST(JavaClientConfigTest, UnreadableOrUntranslatableJaasIsRefusedWithoutItsText) {
  const std::pair<std::string, std::string> cases[] = {  // JAAS text, expected part of the error
      {"", "names no login module"},
      {"org.apache.kafka.common.security.plain.PlainLoginModule", "control flag"},
      {"org.apache.kafka.common.security.plain.PlainLoginModule sometimes username=\"a\" password=\"hunter2\";",
       "control flag"},
      {"org.apache.kafka.common.security.plain.PlainLoginModule required username=\"a\" password=\"hunter2\"",
       "does not end with ';'"},
      {"org.apache.kafka.common.security.plain.PlainLoginModule required username=\"a\" password hunter2;",
       "expected '='"},
      {"org.apache.kafka.common.security.plain.PlainLoginModule required username=\"a\" password=;", "no value"},
      {"org.apache.kafka.common.security.plain.PlainLoginModule required username=\"a\" password=\"hunter2;",
       "not closed"},
      {kPlainLogin + kPlainLogin, "more than one login module"},
      {Jaas("plain.PlainLoginModule", "password=\"hunter2\""), "needs a username and a password"},
      {Jaas("scram.ScramLoginModule", "username=\"a\" password=\"hunter2\""),
       "needs org.apache.kafka.common.security.plain.PlainLoginModule"},
      {"com.example.VaultLoginModule required secret=\"hunter2\";", "Ferry translates no other login module"},
  };
  for (const auto& [jaas, why] : cases) {
    SCOPED_TRACE(jaas);
    const std::string error =
        Refusal({{"security.protocol", "SASL_SSL"}, {"sasl.mechanism", "PLAIN"}, {"sasl.jaas.config", jaas}});
    EXPECT_THAT(error, HasSubstr("'sasl.jaas.config'"));
    EXPECT_THAT(error, HasSubstr(why));
    EXPECT_THAT(error, Not(HasSubstr(kSecret)));
  }
  const std::string token = Refusal(
      {{"security.protocol", "SASL_SSL"},
       {"sasl.mechanism", "SCRAM-SHA-256"},
       {"sasl.jaas.config", Jaas("scram.ScramLoginModule", "username=\"a\" password=\"hunter2\" tokenauth=\"true\"")}});
  EXPECT_THAT(token, HasSubstr("delegation token"));
  EXPECT_THAT(token, Not(HasSubstr(kSecret)));
}

TEST(JavaClientConfigTest, WhatCannotBeHonouredIsRefusedSayingWhatToSetInstead) {
  // Each config carries secrets; no message may show them.
  const Properties tls = {{"security.protocol", "SSL"}, {"ssl.truststore.password", kSecret},
                          {"ssl.keystore.password", kSecret}, {"ssl.key.password", kSecret}};
  auto with = [](Properties base, const Properties& more) {
    for (const auto& [k, v] : more) base[k] = v;
    return base;
  };
  struct Refused {
    const char* name;
    Properties props;
    std::vector<std::string> parts;  // all in the message
  };
  const Refused cases[] = {
      {"a trust store of Java's default type, JKS",
       with(tls, {{"ssl.truststore.location", "/etc/truststore.jks"}}),
       {"'ssl.truststore.location'", "JKS (Java's default ssl.truststore.type)", "keytool -exportcert -rfc",
        "ssl.ca.location"}},
      {"a JKS trust store",
       with(tls, {{"ssl.truststore.type", "JKS"}, {"ssl.truststore.location", "/etc/truststore"}}),
       {"librdkafka cannot read a JKS trust store", "ssl.ca.location"}},
      {"a PKCS#12 trust store",
       with(tls, {{"ssl.truststore.type", "PKCS12"}, {"ssl.truststore.location", "/etc/truststore.p12"}}),
       {"a PKCS12 trust store", "ssl.ca.location"}},
      {"a JKS key store",
       with(tls, {{"ssl.keystore.type", "JKS"}, {"ssl.keystore.location", "/etc/keystore"}}),
       {"'ssl.keystore.location'", "cannot read a JKS key store", "ssl.keystore.type=PKCS12",
        "ssl.certificate.location and ssl.key.location"}},
      {"a .jks key store without a type (Java's default JKS)",
       with(tls, {{"ssl.keystore.location", "/etc/kafka/client.keystore.JKS"}}),
       {"cannot read a JKS key store"}},
      {"a key store of another type",
       with(tls, {{"ssl.keystore.type", "BCFKS"}, {"ssl.keystore.location", "/etc/keystore"}}),
       {"cannot read a BCFKS key store"}},
      {"an inline key without its certificate",
       with(tls, {{"ssl.keystore.type", "PEM"}, {"ssl.keystore.key", kSecret}}),
       {"'ssl.keystore.key'", "go together"}},
      {"an inline certificate chain of two (librdkafka 2.0.2 sends only the first)",
       with(tls, {{"ssl.keystore.type", "PEM"},
                  {"ssl.keystore.key", kSecret},
                  {"ssl.keystore.certificate.chain",
                   "-----BEGIN CERTIFICATE-----\na\n-----END CERTIFICATE-----\n"
                   "-----BEGIN CERTIFICATE-----\nb\n-----END CERTIFICATE-----\n"}}),
       {"'ssl.keystore.certificate.chain'", "ssl.certificate.location"}},
      {"TLS 1.3 only", with(tls, {{"ssl.enabled.protocols", "TLSv1.3"}}), {"'ssl.enabled.protocols'", "TLS 1.2"}},
      {"a Java TLS engine", with(tls, {{"ssl.engine.factory.class", "com.example.F"}}), {"ssl.engine.factory.class"}},
      {"a Kerberos JAAS login (GSSAPI is Java's default mechanism)",
       {{"security.protocol", "SASL_SSL"},
        {"sasl.jaas.config",
         "com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true keyTab=\"/k\" principal=\"hunter2\";"}},
       {"'sasl.jaas.config'", "GSSAPI (Java's default)", "sasl.kerberos.principal", "sasl.kerberos.keytab"}},
      {"an OAuth JAAS login",
       {{"security.protocol", "SASL_SSL"},
        {"sasl.mechanism", "OAUTHBEARER"},
        {"sasl.jaas.config",
         "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required clientSecret=\"hunter2\";"}},
       {"'sasl.jaas.config'", "OAUTHBEARER", "sasl.oauthbearer.method=oidc", "sasl.oauthbearer.client.secret"}},
      {"an OAuth login callback class alone",
       {{"security.protocol", "SASL_SSL"},
        {"sasl.mechanism", "OAUTHBEARER"},
        {"sasl.login.callback.handler.class", "com.example.H"}},
       {"'sasl.login.callback.handler.class'", "sasl.oauthbearer.method=oidc"}},
      {"a login class with PLAIN",
       {{"security.protocol", "SASL_SSL"},
        {"sasl.mechanism", "PLAIN"},
        {"sasl.jaas.config", kPlainLogin},
        {"sasl.client.callback.handler.class", "com.example.Vault"}},
       {"'sasl.client.callback.handler.class'", "sasl.username and sasl.password"}},
      {"a mechanism librdkafka lacks",
       {{"security.protocol", "SASL_SSL"}, {"sasl.mechanism", "AWS_MSK_IAM"}, {"sasl.jaas.config", kPlainLogin}},
       {"'sasl.jaas.config'", "AWS_MSK_IAM"}},
      {"an admin client of controllers", {{"bootstrap.controllers", "c:9093"}}, {"bootstrap.servers"}},
      {"buffer.memory that is not a number", {{"buffer.memory", "32m"}}, {"'buffer.memory'", "number of bytes"}},
  };
  for (const Refused& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string error = Refusal(c.props);
    for (const std::string& part : c.parts) EXPECT_THAT(error, HasSubstr(part));
    EXPECT_THAT(error, Not(HasSubstr(kSecret)));
  }
}


// An MM2 cluster's client settings, Java spelling; no broker is needed to create a client.
Properties Mm2ClientSettings() {
  return {{"security.protocol", "SASL_PLAINTEXT"},
          {"sasl.mechanism", "SCRAM-SHA-512"},
          {"sasl.jaas.config", Jaas("scram.ScramLoginModule", "username=\"mirror\" password=\"hunter2\"")},
          {"sasl.login.refresh.window.factor", "0.8"},
          {"ssl.truststore.location", "/etc/kafka/truststore.jks"},  // unused without TLS, as in Java
          {"ssl.truststore.password", kSecret},
          {"client.dns.lookup", "use_all_dns_ips"},
          {"metrics.context.ferry-java-client-test", "1"},  // makes this test's set of dropped keys its own
          {"key.serializer", "org.apache.kafka.common.serialization.ByteArraySerializer"},
          {"value.serializer", "org.apache.kafka.common.serialization.ByteArraySerializer"},
          {"key.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer"},
          {"value.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer"},
          {"max.poll.records", "500"},
          {"max.poll.interval.ms", "300000"},
          {"default.api.timeout.ms", "60000"},
          {"auto.offset.reset", "none"},
          {"fetch.max.wait.ms", "500"},
          {"partition.assignment.strategy", "org.apache.kafka.clients.consumer.RangeAssignor"},
          {"buffer.memory", "33554432"},
          {"max.block.ms", "60000"},
          {"max.request.size", "1048576"},
          {"delivery.timeout.ms", "120000"},
          {"request.timeout.ms", "30000"},
          {"send.buffer.bytes", "131072"},
          {"receive.buffer.bytes", "-1"},
          {"retry.backoff.max.ms", "1000"},
          {"reconnect.backoff.max.ms", "1000"},
          {"interceptor.classes", ""},
          {"metric.reporters", ""}};
}

TEST(NewClientTest, CreatesConsumerProducerAndAdminFromJavaClientSettings) {
  LogCapture log;
  const Properties props = Mm2ClientSettings();
  auto consumer = NewClient(RD_KAFKA_CONSUMER, props);
  ASSERT_TRUE(consumer.ok()) << consumer.error().ToString();
  auto producer = NewClient(RD_KAFKA_PRODUCER, props);
  ASSERT_TRUE(producer.ok()) << producer.error().ToString();
  auto admin = RdKafkaAdmin::Create(props, std::chrono::seconds(5));
  ASSERT_TRUE(admin.ok()) << admin.error().ToString();

  // One warning per distinct set of dropped keys (the consumer's differs: request.timeout.ms), naming
  // keys, never values.
  const std::vector<std::string> warnings = log.Lines(google::GLOG_WARNING, "metrics.context.ferry-java-client-test");
  ASSERT_EQ(warnings.size(), 2u);
  for (const std::string& w : warnings) {
    EXPECT_THAT(w, HasSubstr("max.poll.records"));
    EXPECT_THAT(w, HasSubstr("ssl.truststore.location"));
    EXPECT_THAT(w, HasSubstr("sasl.login.refresh.window.factor"));
    EXPECT_THAT(w, Not(HasSubstr(kSecret)));
    EXPECT_THAT(w, Not(HasSubstr("truststore.jks")));
  }
  EXPECT_THAT(warnings[0], HasSubstr("request.timeout.ms"));  // the consumer's
}

TEST(NewClientTest, ARejectedTranslationNamesTheJavaKey) {
  auto rk = NewClient(RD_KAFKA_PRODUCER, {{"send.buffer.bytes", "2000000000"}});
  ASSERT_FALSE(rk.ok());
  EXPECT_THAT(rk.error().message(), HasSubstr("'send.buffer.bytes'"));

  auto refused = NewClient(RD_KAFKA_PRODUCER, {{"security.protocol", "SSL"},
                                               {"ssl.truststore.location", "/etc/truststore.jks"},
                                               {"ssl.truststore.password", kSecret}});
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.error().message(), HasSubstr("ssl.ca.location"));
  EXPECT_THAT(refused.error().message(), Not(HasSubstr(kSecret)));

  // A key nobody knows still fails, as before: it may be a typo.
  auto unknown = NewClient(RD_KAFKA_PRODUCER, {{"linger.msec", "5"}});
  ASSERT_FALSE(unknown.ok());
  EXPECT_THAT(unknown.error().message(), HasSubstr("'linger.msec'"));
}

// Refusals at creation name the cluster by its bootstrap servers and count as client configuration
// failures, so that connectors and tasks put the cluster's alias in front (ForCluster).
TEST(NewClientTest, RefusalsAtCreationNameTheClusterAndTheKeyAsWritten) {
  const Properties tls = {{"bootstrap.servers", "broker-a:9093"},
                          {"security.protocol", "SSL"},
                          {"ssl.truststore.type", "PEM"},
                          {"ssl.truststore.location", "/nonexistent/ferry-test-ca.pem"}};
  auto missing_ca = NewClient(RD_KAFKA_PRODUCER, tls);
  ASSERT_FALSE(missing_ca.ok());
  EXPECT_TRUE(IsConfigFailure(missing_ca.error())) << missing_ca.error().ToString();
  EXPECT_THAT(missing_ca.error().message(), HasSubstr("the Kafka cluster at broker-a:9093"));
  EXPECT_THAT(missing_ca.error().message(), HasSubstr("'ssl.truststore.location (as ssl.ca.location)'"));
  EXPECT_THAT(missing_ca.error().message(), HasSubstr("check that the file exists"));
  const Error named = ForCluster(missing_ca.error(), "source cluster 'A'");
  EXPECT_THAT(named.message(), ::testing::StartsWith("source cluster 'A': the Kafka cluster at broker-a:9093"));
  EXPECT_EQ(ForCluster(named, "source cluster 'A'").message(), named.message());  // said once

  Properties pem_store = tls;
  pem_store["ssl.truststore.location"] = "/etc/ssl/certs/ca-certificates.crt";
  pem_store["ssl.keystore.type"] = "PEM";
  pem_store["ssl.keystore.location"] = "/nonexistent/ferry-test-keystore.pem";
  pem_store["ssl.key.password"] = kSecret;
  auto missing_key = NewClient(RD_KAFKA_PRODUCER, pem_store);
  ASSERT_FALSE(missing_key.ok());
  EXPECT_TRUE(IsConfigFailure(missing_key.error()));
  EXPECT_THAT(missing_key.error().message(), HasSubstr("'ssl.keystore.location (as ssl.certificate.location)'"));
  EXPECT_THAT(missing_key.error().message(), Not(HasSubstr(kSecret)));

  auto jaas = NewClient(RD_KAFKA_PRODUCER, {{"bootstrap.servers", "broker-b:9094"},
                                            {"security.protocol", "SASL_SSL"},
                                            {"sasl.mechanism", "PLAIN"},
                                            {"sasl.jaas.config", "PlainLoginModule required password=\"" +
                                                                     std::string(kSecret) + "\""}});
  ASSERT_FALSE(jaas.ok());
  EXPECT_TRUE(IsConfigFailure(jaas.error()));
  EXPECT_THAT(jaas.error().message(), HasSubstr("the Kafka cluster at broker-b:9094: invalid value for 'sasl.jaas.config'"));
  EXPECT_THAT(jaas.error().message(), Not(HasSubstr(kSecret)));

  // Not a client configuration failure: left as it is.
  const Error other = Error::Kafka("produce", RD_KAFKA_RESP_ERR__TRANSPORT);
  EXPECT_FALSE(IsConfigFailure(other));
  EXPECT_EQ(ForCluster(other, "source cluster 'A'").message(), other.message());
}

TEST(NewClientTest, AClientWithoutFailuresHasNoConfigFailure) {
  auto rk = NewClient(RD_KAFKA_PRODUCER, {{"bootstrap.servers", "127.0.0.1:1"}});
  ASSERT_TRUE(rk.ok()) << rk.error().ToString();
  EXPECT_FALSE(ConfigFailure(rk->get()).has_value());  // a refused connection is no configuration failure
}

}  // namespace
}  // namespace ferry::kafka
