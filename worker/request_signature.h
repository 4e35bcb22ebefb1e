// Signing of inter-worker requests (KIP-507), as Connect's `sessioned` protocol does it: the leader
// puts a random session key in the config topic (`session-key`), every worker reads it, and a worker
// sending an internal request (a follower's task configs to the leader) signs the raw body with
// HMAC(key) in the headers X-Connect-Authorization (Base64) and
// X-Connect-Request-Signature-Algorithm. The receiver recomputes the HMAC and compares in constant
// time. The key never appears in a log or a REST answer.
// Thread-safety: pure functions (NewSessionKey reads the OS random source).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "worker/common/base64.h"
#include "worker/common/result.h"

namespace ferry::worker {

inline constexpr std::string_view kSignatureHeader = "X-Connect-Authorization";
inline constexpr std::string_view kSignatureAlgorithmHeader = "X-Connect-Request-Signature-Algorithm";
inline constexpr std::string_view kDefaultSignatureAlgorithm = "HmacSHA256";

struct SessionKey {
  std::string key;  // raw bytes
  std::string algorithm = std::string(kDefaultSignatureAlgorithm);  // the key generation algorithm
  int64_t creation_ms = 0;                                          // epoch ms

  bool operator==(const SessionKey&) const = default;
};

// A signature as it arrives in a request's headers (absent headers are nullopt).
struct RequestSignature {
  std::optional<std::string> signature;  // Base64
  std::optional<std::string> algorithm;
};

// A fresh 256-bit key for `algorithm` (Connect's default HmacSHA256), created at `now_ms`.
Result<SessionKey> NewSessionKey(int64_t now_ms, std::string_view algorithm = kDefaultSignatureAlgorithm);

// The Base64 HMAC of `body` with `key` under `algorithm` (HmacSHA256, HmacSHA384, HmacSHA512, HmacSHA1).
Result<std::string> SignRequest(const SessionKey& key, std::string_view algorithm, std::string_view body);

// Checks a request's signature, with Connect's answers, in this order: no signature or an algorithm
// not in `allowed` (inter.worker.verification.algorithms), kInvalidConfig (400); no key read yet,
// kUnavailable (503); a wrong signature, kForbidden (403).
Result<> VerifyRequest(const std::optional<SessionKey>& key, const RequestSignature& signature, std::string_view body,
                       const std::vector<std::string>& allowed);


}  // namespace ferry::worker
