#include <string>
#include <utility>

#include <gtest/gtest.h>

#include "connectors/config_def.h"
#include "connectors/registry.h"

namespace ferry::connectors {
namespace {

// The rule is exact: Kafka's PASSWORD client settings and the key material, under any prefix; a key
// that merely contains ".key", "password", "secret" or "token" is no secret.
TEST(SecretDisplayTest, ExactlyTheSecretKeysAreHiddenUnderAnyPrefix) {
  struct Row {
    const char* key;
    bool hidden;
  };
  const Row rows[] = {
      // Kafka's PASSWORD-typed client settings.
      {"ssl.key.password", true},
      {"ssl.keystore.password", true},
      {"ssl.truststore.password", true},
      {"ssl.keystore.key", true},
      {"ssl.keystore.certificate.chain", true},
      {"ssl.truststore.certificates", true},
      {"sasl.jaas.config", true},
      {"sasl.oauthbearer.client.credentials.client.secret", true},
      {"sasl.oauthbearer.assertion.private.key.passphrase", true},
      // librdkafka's secrets and key material; Schema Registry's credentials.
      {"sasl.password", true},
      {"ssl.key.pem", true},
      {"sasl.oauthbearer.client.secret", true},
      {"sasl.oauthbearer.assertion.private.key.pem", true},
      {"basic.auth.user.info", true},
      // Under the prefixes Connect, MM2 and REST listeners use.
      {"source.cluster.sasl.jaas.config", true},
      {"target.producer.ssl.keystore.password", true},
      {"consumer.override.sasl.jaas.config", true},
      {"A.ssl.key.pem", true},
      {"A->B.source.cluster.ssl.truststore.password", true},
      {"listeners.https.ssl.key.password", true},
      {"admin.listeners.https.ssl.keystore.key", true},
      // Not secrets: locations, types, names, public certificates, look-alikes.
      {"ssl.keystore.location", false},
      {"ssl.truststore.location", false},
      {"ssl.key.location", false},
      {"ssl.keystore.type", false},
      {"source.cluster.ssl.keystore.location", false},
      {"ssl.certificate.pem", false},
      {"ssl.ca.pem", false},
      {"ssl.ca.location", false},
      {"ssl.keymanager.algorithm", false},
      {"ssl.endpoint.identification.algorithm", false},
      {"sasl.username", false},
      {"sasl.mechanism", false},
      {"sasl.oauthbearer.config", false},
      {"sasl.oauthbearer.token.endpoint.url", false},
      {"sasl.kerberos.keytab", false},
      {"sasl.oauthbearer.assertion.private.key.file", false},
      {"inter.worker.key.generation.algorithm", false},
      {"inter.worker.key.ttl.ms", false},
      {"key.converter", false},
      {"password.policy", false},
      {"my.secret.topic", false},
      {"xssl.key.password", false},
      {"ssl.key.password.file", false},
      {"bootstrap.servers", false},
      {"security.protocol", false},
      {"topics", false},
  };
  for (const Row& row : rows) {
    EXPECT_EQ(ShownValue(row.key, "value"), row.hidden ? "[hidden]" : "value") << row.key;
  }
}

TEST(SecretDisplayTest, PasswordKeysOfTheDefinitionAreHidden) {
  ConfigDef def;
  for (auto [name, type] : {std::pair{"my.credential", ConfigType::kPassword}, std::pair{"plain", ConfigType::kString}}) {
    ConfigKey key;
    key.name = name;
    key.type = type;
    key.default_value = "";
    def.Define(std::move(key));
  }
  const Properties shown = WithSecretsHidden({{"my.credential", "x"}, {"plain", "y"}, {"ssl.key.password", "z"}}, &def);
  EXPECT_EQ(shown.at("my.credential"), "[hidden]");
  EXPECT_EQ(shown.at("plain"), "y");
  EXPECT_EQ(shown.at("ssl.key.password"), "[hidden]");
}

TEST(SecretDisplayTest, AConnectorsConfigForDisplay) {
  const Properties shown = ConfigForDisplay({{"connector.class", "MirrorSourceConnector"},
                                            {"source.cluster.sasl.jaas.config", "secret-jaas"},
                                            {"target.cluster.bootstrap.servers", "${file:/etc/f:b}"},
                                            {"topics", "orders"}});
  EXPECT_EQ(shown.at("source.cluster.sasl.jaas.config"), "[hidden]");
  EXPECT_EQ(shown.at("target.cluster.bootstrap.servers"), "${file:/etc/f:b}") << "a reference is no secret";
  EXPECT_EQ(shown.at("topics"), "orders");
}

}  // namespace
}  // namespace ferry::connectors
