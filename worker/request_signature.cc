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

std::string Base64Encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

Result<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return Error::Corrupt("Base64 text of " + std::to_string(text.size()) + " characters");
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool pad = c == '=' && i + 2 >= text.size() && (i + 1 == text.size() || text[i + 1] == '=');
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '/' && !pad) {
      return Error::Corrupt("not Base64 at character " + std::to_string(i));
    }
  }
  std::string out(3 * (text.size() / 4) + 1, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) return Error::Corrupt("not Base64");
  size_t length = static_cast<size_t>(n);
  // EVP_DecodeBlock counts the padding as zero bytes.
  if (!text.empty() && text.back() == '=') --length;
  if (text.size() > 1 && text[text.size() - 2] == '=') --length;
  out.resize(length);
  return out;
}

}  // namespace ferry::worker
