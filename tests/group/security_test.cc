// ClientSecurity::FromProperties: which settings the group client honours, which it refuses (and
// what it says instead), and that its messages never carry a secret. Real handshakes and logins:
// tests/e2e/secured_group_real_test.cc.
#include "worker/group/security.h"

#include <gtest/gtest.h>

namespace ferry::group {
namespace {

Result<std::shared_ptr<const ClientSecurity>> From(Properties props) {
  props.emplace("bootstrap.servers", "127.0.0.1:9092");
  return ClientSecurity::FromProperties(props);
}

void ExpectRefused(const Properties& props, const std::string& key, const std::string& hint) {
  auto security = From(props);
  ASSERT_FALSE(security.ok()) << "accepted: " << key;
  EXPECT_EQ(security.error().code(), ErrorCode::kInvalidConfig) << security.error().ToString();
  EXPECT_NE(security.error().message().find("'" + key + "'"), std::string::npos) << security.error().message();
  EXPECT_NE(security.error().message().find(hint), std::string::npos) << security.error().message();
}

TEST(ClientSecurityTest, ProtocolsAndWhatTheyDescribe) {
  auto plain = From({});
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ((*plain)->protocol(), SecurityProtocol::kPlaintext);
  auto scram = From({{"security.protocol", "sasl_plaintext"}, {"sasl.mechanisms", "scram-sha-512"},
                     {"sasl.username", "ferry"}, {"sasl.password", "s3cret-pw"}});
  ASSERT_TRUE(scram.ok()) << scram.error().ToString();
  EXPECT_EQ((*scram)->Describe(), "SASL_PLAINTEXT, SCRAM-SHA-512 as user 'ferry'");
  // Java's keys, as a Connect worker file has them.
  auto java = From({{"security.protocol", "SASL_SSL"}, {"sasl.mechanism", "PLAIN"},
                    {"sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required "
                                         "username=\"ferry\" password=\"s3cret-pw\";"}});
  ASSERT_TRUE(java.ok()) << java.error().ToString();
  EXPECT_EQ((*java)->Describe(), "SASL_SSL, PLAIN as user 'ferry'");
  auto oauth = From({{"security.protocol", "SASL_PLAINTEXT"}, {"sasl.mechanism", "OAUTHBEARER"},
                     {"enable.sasl.oauthbearer.unsecure.jwt", "true"}, {"sasl.oauthbearer.config", "principal=admin"}});
  ASSERT_TRUE(oauth.ok()) << oauth.error().ToString();
  EXPECT_EQ((*oauth)->Describe(), "SASL_PLAINTEXT, OAUTHBEARER as principal 'admin'");
  // TLS keys mean nothing on a plain listener (librdkafka ignores them too).
  EXPECT_TRUE(From({{"ssl.keystore.location", "/x.p12"}}).ok());
  ExpectRefused({{"security.protocol", "TLS"}}, "security.protocol", "SASL_SSL");
}

TEST(ClientSecurityTest, RefusesWhatItCannotHonourAndSaysWhatToSetInstead) {
  ExpectRefused({{"security.protocol", "SASL_SSL"}}, "sasl.mechanism", "GSSAPI");
  ExpectRefused({{"security.protocol", "SASL_SSL"}, {"sasl.mechanism", "GSSAPI"},
                 {"sasl.kerberos.keytab", "/k"}, {"sasl.kerberos.principal", "p"}},
                "sasl.kerberos.keytab", "SCRAM-SHA-512");
  ExpectRefused({{"security.protocol", "SASL_SSL"}, {"sasl.mechanism", "OAUTHBEARER"},
                 {"sasl.oauthbearer.method", "oidc"}, {"sasl.oauthbearer.client.id", "c"}},
                "sasl.oauthbearer.client.id", "unsecured JWT");
  ExpectRefused({{"security.protocol", "SASL_SSL"}, {"sasl.mechanism", "OAUTHBEARER"},
                 {"sasl.oauthbearer.config", "principal=a"}},
                "enable.sasl.oauthbearer.unsecure.jwt", "enable.sasl.oauthbearer.unsecure.jwt=true");
  ExpectRefused({{"security.protocol", "SASL_SSL"}, {"sasl.mechanism", "SCRAM-SHA-1"}}, "sasl.mechanism",
                "SCRAM-SHA-512");
  ExpectRefused({{"security.protocol", "SASL_SSL"}, {"sasl.mechanism", "PLAIN"}, {"sasl.password", "x"}},
                "sasl.username", "needed");
  ExpectRefused({{"security.protocol", "SSL"}, {"ssl.keystore.location", "/x.p12"}, {"ssl.keystore.password", "pw"}},
                "ssl.keystore.location", "ssl.certificate.location and ssl.key.location");
  ExpectRefused({{"security.protocol", "SSL"}, {"ssl.crl.location", "/crl.pem"}}, "ssl.crl.location", "CRL");
  ExpectRefused({{"security.protocol", "SSL"}, {"ssl.endpoint.identification.algorithm", "http"}},
                "ssl.endpoint.identification.algorithm", "https or none");
  ExpectRefused({{"security.protocol", "SSL"}, {"enable.ssl.certificate.verification", "maybe"}},
                "enable.ssl.certificate.verification", "true or false");
  // Kerberos settings next to a SCRAM login change nothing: accepted.
  EXPECT_TRUE(From({{"security.protocol", "SASL_SSL"}, {"sasl.mechanism", "SCRAM-SHA-256"}, {"sasl.username", "u"},
                    {"sasl.password", "p"}, {"sasl.kerberos.service.name", "kafka"}})
                  .ok());
}

TEST(ClientSecurityTest, UnreadableTlsMaterialNamesTheKey) {
  ExpectRefused({{"security.protocol", "SSL"}, {"ssl.ca.location", "/nonexistent/ca.pem"}}, "ssl.ca.location",
                "/nonexistent/ca.pem");
  ExpectRefused({{"security.protocol", "SSL"}, {"ssl.ca.pem", "not a certificate"}}, "ssl.ca.pem", "no PEM");
  ExpectRefused({{"security.protocol", "SSL"}, {"ssl.certificate.location", "/nonexistent/client.crt"},
                 {"ssl.key.location", "/nonexistent/client.key"}},
                "ssl.certificate.location", "cannot read");
  ExpectRefused({{"security.protocol", "SSL"}, {"ssl.certificate.pem", "junk"}}, "ssl.key.location",
                "together");
  ExpectRefused({{"security.protocol", "SSL"}, {"ssl.cipher.suites", "NO-SUCH-CIPHER"}}, "ssl.cipher.suites",
                "no cipher");
}

TEST(ClientSecurityTest, AKeyPasswordNeverShows) {
  auto security = From({{"security.protocol", "SSL"}, {"ssl.certificate.pem", "junk"}, {"ssl.key.pem", "junk"},
                        {"ssl.key.password", "key-pass-secret"}});
  ASSERT_FALSE(security.ok());
  EXPECT_EQ(security.error().message().find("key-pass-secret"), std::string::npos) << security.error().message();
}

}  // namespace
}  // namespace ferry::group
