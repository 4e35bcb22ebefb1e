// Inter-worker request signing (KIP-507): HMAC against published vectors, and the
// answers a receiving worker gives, as Connect's DistributedHerder does.
#include "worker/request_signature.h"

#include <gtest/gtest.h>

namespace ferry::worker {
namespace {

const std::vector<std::string> kAllowed = {"HmacSHA256"};

TEST(RequestSignatureTest, SignsWithHmacAsRfc4231) {
  const SessionKey key{"Jefe", "HmacSHA256", 0};
  auto sha256 = SignRequest(key, "HmacSHA256", "what do ya want for nothing?");
  ASSERT_TRUE(sha256.ok());
  EXPECT_EQ(*sha256, "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=");
  auto sha512 = SignRequest(key, "HmacSHA512", "what do ya want for nothing?");
  ASSERT_TRUE(sha512.ok());
  EXPECT_EQ(*sha512, "Fkt6e/z4GeLjlfvnO1bgo4e9ZCIugx/WECcM1+olBVSXWL91wFqZSm0DT2X48Ob9yuqxo01Ka0tjbgcKOLznNw==");
  EXPECT_FALSE(SignRequest(key, "HmacMD5", "x").ok());
}

TEST(RequestSignatureTest, NewKeysAreRandomAndCarryTheirTime) {
  auto a = NewSessionKey(1700000000000);
  auto b = NewSessionKey(1700000000001);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->key.size(), 32u);
  EXPECT_NE(a->key, b->key);
  EXPECT_EQ(a->algorithm, "HmacSHA256");
  EXPECT_EQ(a->creation_ms, 1700000000000);
  EXPECT_FALSE(NewSessionKey(0, "DES").ok());
}

TEST(RequestSignatureTest, VerifiesASignedBodyAndAnswersEachBadRequestAsConnect) {
  auto key = NewSessionKey(0);
  ASSERT_TRUE(key.ok());
  const std::string body = R"([{"task.index":"0"}])";
  auto signature = SignRequest(*key, "HmacSHA256", body);
  ASSERT_TRUE(signature.ok());
  EXPECT_TRUE(VerifyRequest(key.value(), {*signature, "HmacSHA256"}, body, kAllowed).ok());

  auto no_key = VerifyRequest(std::nullopt, {*signature, "HmacSHA256"}, body, kAllowed);
  ASSERT_FALSE(no_key.ok());
  EXPECT_EQ(no_key.error().code(), ErrorCode::kUnavailable);

  auto unsigned_request = VerifyRequest(key.value(), {std::nullopt, std::nullopt}, body, kAllowed);
  ASSERT_FALSE(unsigned_request.ok());
  EXPECT_EQ(unsigned_request.error().code(), ErrorCode::kInvalidConfig);
  EXPECT_EQ(unsigned_request.error().message(), "Internal request missing required signature");

  auto other_algorithm = SignRequest(*key, "HmacSHA512", body);
  ASSERT_TRUE(other_algorithm.ok());
  auto not_allowed = VerifyRequest(key.value(), {*other_algorithm, "HmacSHA512"}, body, kAllowed);
  ASSERT_FALSE(not_allowed.ok());
  EXPECT_EQ(not_allowed.error().code(), ErrorCode::kInvalidConfig);
  EXPECT_TRUE(VerifyRequest(key.value(), {*other_algorithm, "HmacSHA512"}, body, {"HmacSHA256", "HmacSHA512"}).ok());

  for (const std::string& forged : {std::string("not base64!"), Base64Encode(std::string(32, 'x')), std::string("")}) {
    auto r = VerifyRequest(key.value(), {forged, "HmacSHA256"}, body, kAllowed);
    ASSERT_FALSE(r.ok()) << forged;
    EXPECT_EQ(r.error().code(), ErrorCode::kForbidden) << forged;
    EXPECT_EQ(r.error().message(), "Internal request contained invalid signature.");
  }
  // The signature covers the body byte for byte.
  auto tampered = VerifyRequest(key.value(), {*signature, "HmacSHA256"}, body + " ", kAllowed);
  ASSERT_FALSE(tampered.ok());
  EXPECT_EQ(tampered.error().code(), ErrorCode::kForbidden);
}

}  // namespace
}  // namespace ferry::worker
