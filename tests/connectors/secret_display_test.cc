#include <string>
#include <utility>

#include <gtest/gtest.h>

#include "connectors/config_def.h"
#include "connectors/registry.h"

namespace ferry::connectors {
namespace {

TEST(SecretDisplayTest, SecretLookingKeysAreHiddenUnderAnyPrefix) {
  for (const char* key : {"sasl.jaas.config", "source.cluster.sasl.jaas.config", "ssl.key.password",
                          "target.producer.ssl.keystore.password", "ssl.truststore.password", "ssl.key.pem",
                          "ssl.keystore.key", "sasl.password", "sasl.oauthbearer.client.secret",
                          "basic.auth.user.info", "consumer.override.sasl.jaas.config"}) {
    EXPECT_EQ(ShownValue(key, "s3cret"), "[hidden]") << key;
  }
  for (const char* key : {"bootstrap.servers", "security.protocol", "sasl.mechanism", "topics", "key.converter"}) {
    EXPECT_EQ(ShownValue(key, "shown"), "shown") << key;
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
