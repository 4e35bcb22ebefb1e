// Base64 (RFC 4648 §4: the standard alphabet, with padding), as Java's Base64.getEncoder() writes it:
// Connect's session keys and request signatures, SCRAM's salts, nonces and proofs, HTTP Basic
// credentials. Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "worker/common/result.h"

namespace ferry {

std::string Base64Encode(std::string_view bytes);
// kCorrupt for anything else: a length not a multiple of 4, a character outside the alphabet,
// padding anywhere but in the last two places.
Result<std::string> Base64Decode(std::string_view text);

}  // namespace ferry
