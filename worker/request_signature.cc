#include "worker/request_signature.h"

#include <algorithm>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

namespace ferry::worker {
namespace {

constexpr size_t kKeyBytes = 32;  // what Java's KeyGenerator gives for HmacSHA256

// The digest of a Java Mac algorithm name; nullptr if Ferry does not sign with it.
const EVP_MD* DigestOf(std::string_view algorithm) {
  if (algorithm == "HmacSHA256") return EVP_sha256();
  if (algorithm == "HmacSHA384") return EVP_sha384();
  if (algorithm == "HmacSHA512") return EVP_sha512();
  if (algorithm == "HmacSHA1") return EVP_sha1();
  return nullptr;
}

}  // namespace

Result<SessionKey> NewSessionKey(int64_t now_ms, std::string_view algorithm) {
  if (DigestOf(algorithm) == nullptr) {
    return Error::InvalidConfig("inter.worker.key.generation.algorithm", "unsupported: " + std::string(algorithm));
  }
  std::string key(kKeyBytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), static_cast<int>(key.size())) != 1) {
    return Error::Internal("the OS random source gave no session key");
  }
  return SessionKey{std::move(key), std::string(algorithm), now_ms};
}

Result<std::string> SignRequest(const SessionKey& key, std::string_view algorithm, std::string_view body) {
  const EVP_MD* digest = DigestOf(algorithm);
  if (digest == nullptr) return Error::BadRequest("Unsupported signature algorithm " + std::string(algorithm));
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (HMAC(digest, key.key.data(), static_cast<int>(key.key.size()), reinterpret_cast<const unsigned char*>(body.data()),
           body.size(), mac, &length) == nullptr) {
    return Error::Internal("HMAC failed");
  }
  return Base64Encode(std::string_view(reinterpret_cast<const char*>(mac), length));
}

Result<> VerifyRequest(const std::optional<SessionKey>& key, const RequestSignature& signature, std::string_view body,
                       const std::vector<std::string>& allowed) {
  if (!signature.signature || !signature.algorithm) return Error::BadRequest("Internal request missing required signature");
  if (DigestOf(*signature.algorithm) == nullptr ||
      std::find(allowed.begin(), allowed.end(), *signature.algorithm) == allowed.end()) {
    std::string supported;
    for (const std::string& a : allowed) supported += (supported.empty() ? "" : ", ") + a;
    return Error::BadRequest("This worker does not support the requested signature algorithm '" + *signature.algorithm +
                             "'; the only supported algorithms are [" + supported + "]");
  }
  if (!key) {
    return Error(ErrorCode::kUnavailable,
                 "This worker is still starting up and has not been able to read a session key from the config "
                 "topic yet");
  }
  auto expected = SignRequest(*key, *signature.algorithm, body);
  if (!expected.ok()) return expected.error();
  auto given = Base64Decode(*signature.signature);
  auto wanted = Base64Decode(*expected);
  if (!given.ok() || !wanted.ok() || given->size() != wanted->size() ||
      CRYPTO_memcmp(given->data(), wanted->data(), wanted->size()) != 0) {
    return Error(ErrorCode::kForbidden, "Internal request contained invalid signature.");
  }
  return Ok();
}

}  // namespace ferry::worker
