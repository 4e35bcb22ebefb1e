// SASL for the group client: golden bytes of SaslHandshake and SaslAuthenticate, the mechanisms'
// tokens (SCRAM against the RFC 7677 vector and RFC 5802's SHA-1 one, PLAIN, an unsecured JWT), and
// the login exchange against a scripted broker.
#include "worker/group/sasl.h"

#include <deque>

#include <gtest/gtest.h>

#include "tests/group/expect_golden.h"
#include "tests/support/hex.h"
#include "worker/group/messages.h"

namespace ferry::group {
namespace {

using ferry::testing::Bytes;

// ---- messages ----

TEST(SaslMessagesTest, SaslHandshake) {
  ExpectGolden(SaslHandshakeRequest{"SCRAM-SHA-512"}, 1, Bytes("00 0d 'SCRAM-SHA-512'"));
  ExpectGolden(SaslHandshakeResponse{KafkaError::kNone, {"PLAIN", "OAUTHBEARER"}}, 1,
               Bytes("00 00  00 00 00 02  00 05 'PLAIN'  00 0b 'OAUTHBEARER'"));
  ExpectGolden(SaslHandshakeResponse{KafkaError::kUnsupportedSaslMechanism, {"PLAIN"}}, 1,
               Bytes("00 21  00 00 00 01  00 05 'PLAIN'"));
  EXPECT_FALSE(IsFlexible(SaslHandshakeRequest::kApiKey, 1));
}

TEST(SaslMessagesTest, SaslAuthenticateRequestV0V2) {
  const std::string token("\0u\0p", 4);
  ExpectGolden(SaslAuthenticateRequest{token}, 0, Bytes("00 00 00 04  00 'u' 00 'p'"));
  ExpectGolden(SaslAuthenticateRequest{token}, 1, Bytes("00 00 00 04  00 'u' 00 'p'"));
  ExpectGolden(SaslAuthenticateRequest{token}, 2, Bytes("05  00 'u' 00 'p'  00"));
  EXPECT_EQ(RequestHeaderVersion(SaslAuthenticateRequest::kApiKey, 1), 1);
  EXPECT_EQ(RequestHeaderVersion(SaslAuthenticateRequest::kApiKey, 2), 2);
  EXPECT_EQ(ResponseHeaderVersion(SaslAuthenticateRequest::kApiKey, 2), 1);
}

TEST(SaslMessagesTest, SaslAuthenticateResponseV0V1V2) {
  ExpectGolden(SaslAuthenticateResponse{KafkaError::kNone, std::nullopt, "v=xyz", 0}, 0,
               Bytes("00 00  ff ff  00 00 00 05 'v=xyz'"));
  ExpectGolden(SaslAuthenticateResponse{KafkaError::kSaslAuthenticationFailed, "bad", "", 0}, 0,
               Bytes("00 3a  00 03 'bad'  00 00 00 00"));
  ExpectGolden(SaslAuthenticateResponse{KafkaError::kNone, std::nullopt, "", 3600000}, 1,
               Bytes("00 00  ff ff  00 00 00 00  00 00 00 00 00 36 ee 80"));
  ExpectGolden(SaslAuthenticateResponse{KafkaError::kSaslAuthenticationFailed, "bad", "", 0}, 2,
               Bytes("00 3a  04 'bad'  01  00 00 00 00 00 00 00 00  00"));
  ExpectGolden(SaslAuthenticateResponse{KafkaError::kNone, std::nullopt, "ok", 7}, 2,
               Bytes("00 00  00  03 'ok'  00 00 00 00 00 00 00 07  00"));
}

// ---- SCRAM ----

struct ScramVector {
  ScramHash hash;
  std::string nonce, client_first, server_first, client_final, server_final;
};

void ExpectScram(const ScramVector& v) {
  auto client = NewScramClient(v.hash, "user", "pencil", v.nonce);
  Result<std::string> first = client->Initial();
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*first, v.client_first);
  Result<std::optional<std::string>> final = client->Next(v.server_first);
  ASSERT_TRUE(final.ok()) << final.error().ToString();
  ASSERT_TRUE(final->has_value());
  EXPECT_EQ(**final, v.client_final);
  Result<std::optional<std::string>> done = client->Next(v.server_final);
  ASSERT_TRUE(done.ok()) << done.error().ToString();
  EXPECT_FALSE(done->has_value());
}

// RFC 7677 section 3.
const ScramVector kRfc7677 = {
    ScramHash::kSha256, "rOprNGfwEbeRWgbNEkqO", "n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
    "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="};

TEST(ScramTest, Rfc7677Sha256Vector) { ExpectScram(kRfc7677); }

TEST(ScramTest, Rfc5802Sha1Vector) {
  // RFC 5802 section 5, run through the same client with SHA-1 (the exchange is the same for every hash).
  ExpectScram({ScramHash::kSha1, "fyko+d2lbbFgONRv9qkxdawL", "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL",
               "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
               "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
               "v=rmF9pqV8S7suAoZWja4dJRkFsKQ="});
}

TEST(ScramTest, TheClientFinalMessageCarriesTheCombinedNonceOnce) {
  // librdkafka 2.0.2 appends its own nonce again here, which Kafka 4 refuses.
  auto client = NewScramClient(ScramHash::kSha512, "ferry", "secret", "abc");
  ASSERT_TRUE(client->Initial().ok());
  auto final = client->Next("r=abcXYZ,s=QSXCR+Q6sek8bQ==,i=4096");
  ASSERT_TRUE(final.ok() && final->has_value());
  EXPECT_EQ((*final)->rfind("c=biws,r=abcXYZ,p=", 0), 0u) << **final;
}

TEST(ScramTest, RejectsABadServer) {
  const std::vector<std::string> bad_first = {
      "r=other,s=QSXCR+Q6sek8bQ==,i=4096",  // a nonce that does not extend ours
      "r=abc,s=QSXCR+Q6sek8bQ==,i=4096",    // no server part
      "r=abcX,s=***,i=4096",                // unreadable salt
      "r=abcX,s=QSXCR+Q6sek8bQ==,i=0",      // no iterations
      "r=abcX,s=QSXCR+Q6sek8bQ==,i=99999999999",
      "r=abcX,s=QSXCR+Q6sek8bQ==,i=16385",  // past Kafka's most: seconds of hashing for nothing
      "m=ext,r=abcX,s=QSXCR+Q6sek8bQ==,i=4096",
      "e=unknown-user",
      "",
  };
  for (const std::string& server : bad_first) {
    auto client = NewScramClient(ScramHash::kSha256, "user", "pencil", "abc");
    ASSERT_TRUE(client->Initial().ok());
    EXPECT_FALSE(client->Next(server).ok()) << server;
  }
  // A server that does not prove it knows the password.
  auto client = NewScramClient(kRfc7677.hash, "user", "pencil", kRfc7677.nonce);
  ASSERT_TRUE(client->Initial().ok());
  ASSERT_TRUE(client->Next(kRfc7677.server_first).ok());
  auto forged = client->Next("v=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
  ASSERT_FALSE(forged.ok());
  EXPECT_NE(forged.error().message().find("signature"), std::string::npos);
}

TEST(ScramTest, EscapesTheUserName) {
  auto client = NewScramClient(ScramHash::kSha256, "a=b,c", "p", "n0");
  EXPECT_EQ(*client->Initial(), "n,,n=a=3Db=2Cc,r=n0");
}

TEST(ScramTest, RandomNoncesDiffer) {
  auto a = NewScramClient(ScramHash::kSha256, "u", "p");
  auto b = NewScramClient(ScramHash::kSha256, "u", "p");
  const std::string first_a = *a->Initial(), first_b = *b->Initial();
  EXPECT_NE(first_a, first_b);
  EXPECT_EQ(first_a.find(',', first_a.find(",r=") + 1), std::string::npos) << first_a;  // no ',' in the nonce
}

// ---- PLAIN, OAUTHBEARER ----

TEST(SaslPlainTest, OneTokenThenDone) {
  auto client = NewPlainClient("ferry", "ferry-secret");
  EXPECT_EQ(*client->Initial(), std::string("\0ferry\0ferry-secret", 19));
  auto done = client->Next("");
  ASSERT_TRUE(done.ok());
  EXPECT_FALSE(done->has_value());
}

TEST(SaslOAuthBearerTest, UnsecuredJwtAsLibrdkafkaSendsIt) {
  auto jwt = ParseUnsecuredJwtConfig("principal=admin scope=read,write lifeSeconds=60 extension_traceId=t1");
  ASSERT_TRUE(jwt.ok()) << jwt.error().ToString();
  EXPECT_EQ(jwt->principal, "admin");
  EXPECT_EQ(jwt->scope, (std::vector<std::string>{"read", "write"}));
  auto client = NewUnsecuredJwtClient(*jwt, 1700000000);
  const std::string token = *client->Initial();
  // base64url({"alg":"none"}) . base64url({"sub":"admin","iat":1700000000,"exp":1700000060,"scope":["read","write"]}) .
  EXPECT_EQ(token,
            "n,,\x01" "auth=Bearer eyJhbGciOiJub25lIn0."
            "eyJzdWIiOiJhZG1pbiIsImlhdCI6MTcwMDAwMDAwMCwiZXhwIjoxNzAwMDAwMDYwLCJzY29wZSI6WyJyZWFkIiwid3JpdGUiXX0."
            "\x01" "traceId=t1\x01\x01");
  EXPECT_FALSE(client->Next("").value().has_value());
  auto refused = client->Next("{\"status\":\"invalid_token\"}");
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message().find("invalid_token"), std::string::npos);
}

TEST(SaslOAuthBearerTest, ConfigErrors) {
  for (const char* text : {"", "scope=a", "principal=", "principal=a lifeSeconds=x", "principal=a bogus=1",
                           "principal=a extension_auth=x", "principal=a noequals"}) {
    auto jwt = ParseUnsecuredJwtConfig(text);
    ASSERT_FALSE(jwt.ok()) << text;
    EXPECT_EQ(jwt.error().code(), ErrorCode::kInvalidConfig);
    EXPECT_NE(jwt.error().message().find("sasl.oauthbearer.config"), std::string::npos);
  }
}

// ---- the login exchange ----

struct Sent {
  int16_t api_key;
  int16_t version;
  std::string body;
};

class ScriptedTransport : public Transport {
 public:
  void Reply(std::string body) { replies_.push_back(std::move(body)); }
  Result<std::string> RoundTrip(int16_t api_key, int16_t version, const std::string& body, Deadline) override {
    sent.push_back({api_key, version, body});
    if (replies_.empty()) return Error::Timeout("no reply scripted");
    std::string reply = std::move(replies_.front());
    replies_.pop_front();
    return reply;
  }
  std::vector<Sent> sent;

 private:
  std::deque<std::string> replies_;
};

std::string BrokerVersions(int16_t authenticate_max) {
  ApiVersionsResponse r;
  r.api_keys = {{ApiVersionsRequest::kApiKey, 0, 4}, {SaslHandshakeRequest::kApiKey, 0, 1},
                {SaslAuthenticateRequest::kApiKey, 0, authenticate_max}};
  return r.Encode(2);
}

const BrokerAddress kBroker{"127.0.0.1", 9094};

SaslConfig Plain(const std::string& password) {
  SaslConfig c;
  c.mechanism = "PLAIN";
  c.username = "ferry";
  c.password = password;
  return c;
}

TEST(SaslLoginTest, HandshakeThenAuthenticateAtTheBrokersVersion) {
  ScriptedTransport t;
  t.Reply(BrokerVersions(2));
  t.Reply(SaslHandshakeResponse{KafkaError::kNone, {"PLAIN", "SCRAM-SHA-256"}}.Encode(1));
  t.Reply(SaslAuthenticateResponse{}.Encode(2));
  Result<> login = SaslLogin(t, Plain("ferry-secret"), kBroker, {});
  ASSERT_TRUE(login.ok()) << login.error().ToString();
  ASSERT_EQ(t.sent.size(), 3u);
  EXPECT_EQ(t.sent[0].api_key, ApiVersionsRequest::kApiKey);
  EXPECT_EQ(t.sent[1].api_key, SaslHandshakeRequest::kApiKey);
  EXPECT_EQ(t.sent[1].version, 1);
  EXPECT_EQ(t.sent[1].body, SaslHandshakeRequest{"PLAIN"}.Encode(1));
  EXPECT_EQ(t.sent[2].api_key, SaslAuthenticateRequest::kApiKey);
  EXPECT_EQ(t.sent[2].version, 2);
  EXPECT_EQ(t.sent[2].body, SaslAuthenticateRequest{std::string("\0ferry\0ferry-secret", 19)}.Encode(2));
}

TEST(SaslLoginTest, AMechanismTheListenerLacksNamesWhatItOffers) {
  ScriptedTransport t;
  t.Reply(BrokerVersions(1));
  t.Reply(SaslHandshakeResponse{KafkaError::kUnsupportedSaslMechanism, {"SCRAM-SHA-512"}}.Encode(1));
  Result<> login = SaslLogin(t, Plain("pw"), kBroker, {});
  ASSERT_FALSE(login.ok());
  EXPECT_EQ(login.error().code(), ErrorCode::kInvalidConfig);
  EXPECT_FALSE(login.error().retriable());
  EXPECT_NE(login.error().message().find("sasl.mechanism=PLAIN"), std::string::npos) << login.error().message();
  EXPECT_NE(login.error().message().find("SCRAM-SHA-512"), std::string::npos);
  EXPECT_EQ(t.sent.size(), 2u);
}

TEST(SaslLoginTest, RefusedCredentialsAreAClearErrorWithoutThePassword) {
  ScriptedTransport t;
  t.Reply(BrokerVersions(1));
  t.Reply(SaslHandshakeResponse{KafkaError::kNone, {"PLAIN"}}.Encode(1));
  t.Reply(SaslAuthenticateResponse{KafkaError::kSaslAuthenticationFailed, "Invalid username or password", "", 0}
              .Encode(1));
  Result<> login = SaslLogin(t, Plain("hunter2-secret"), kBroker, {});
  ASSERT_FALSE(login.ok());
  const std::string message = login.error().message();
  EXPECT_EQ(login.error().code(), ErrorCode::kInvalidConfig);
  EXPECT_FALSE(login.error().retriable());
  EXPECT_EQ(login.error().kafka_err(), RD_KAFKA_RESP_ERR__AUTHENTICATION);
  EXPECT_NE(message.find("127.0.0.1:9094"), std::string::npos) << message;
  EXPECT_NE(message.find("PLAIN as user 'ferry'"), std::string::npos) << message;
  EXPECT_NE(message.find("Invalid username or password"), std::string::npos) << message;
  EXPECT_NE(message.find("sasl.password"), std::string::npos) << message;
  EXPECT_EQ(message.find("hunter2"), std::string::npos) << message;
}

TEST(SaslLoginTest, ABrokerWithoutSaslAuthenticateIsUnsupported) {
  ScriptedTransport t;
  ApiVersionsResponse old;
  old.api_keys = {{ApiVersionsRequest::kApiKey, 0, 2}, {SaslHandshakeRequest::kApiKey, 0, 0}};
  t.Reply(old.Encode(2));
  Result<> login = SaslLogin(t, Plain("pw"), kBroker, {});
  ASSERT_FALSE(login.ok());
  EXPECT_EQ(login.error().code(), ErrorCode::kUnsupported);
}

TEST(SaslLoginTest, MalformedAnswersAreCorrupt) {
  ScriptedTransport t;
  t.Reply(BrokerVersions(2));
  t.Reply(SaslHandshakeResponse{KafkaError::kNone, {"PLAIN"}}.Encode(1));
  std::string cut = SaslAuthenticateResponse{}.Encode(2);
  cut.pop_back();
  t.Reply(cut);
  Result<> login = SaslLogin(t, Plain("pw"), kBroker, {});
  ASSERT_FALSE(login.ok());
  EXPECT_EQ(login.error().code(), ErrorCode::kCorrupt);
}

}  // namespace
}  // namespace ferry::group
