// ExpectGolden: the check every golden-bytes test of Ferry's wire messages makes.
#pragma once

#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "tests/support/hex.h"
#include "worker/group/messages.h"

namespace ferry::group {

// Encodes `msg` at `version`, compares with `golden`, decodes the golden bytes back and compares
// with `msg`, and checks that every strict prefix of the golden bytes is rejected as corrupt.
template <typename Msg>
void ExpectGolden(const Msg& msg, int16_t version, const std::string& golden) {
  SCOPED_TRACE(std::string(ApiName(Msg::kApiKey)) + " v" + std::to_string(version));
  EXPECT_EQ(testing::Hex(msg.Encode(version)), testing::Hex(golden));
  Result<Msg> decoded = Msg::Decode(golden, version);
  ASSERT_TRUE(decoded.ok()) << decoded.error().ToString();
  EXPECT_TRUE(*decoded == msg);
  for (size_t n = 0; n < golden.size(); ++n) {
    Result<Msg> cut = Msg::Decode(std::string_view(golden).substr(0, n), version);
    ASSERT_FALSE(cut.ok()) << "a prefix of " << n << " bytes decoded";
    EXPECT_EQ(cut.error().code(), ErrorCode::kCorrupt);
  }
}

}  // namespace ferry::group
