// Base64 against RFC 4648's vectors, and what it refuses.
#include "worker/common/base64.h"

#include <gtest/gtest.h>

namespace ferry {
namespace {

TEST(Base64Test, MatchesRfc4648AndRoundTripsAnyBytes) {
  const std::pair<std::string, std::string> vectors[] = {
      {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"}, {std::string("\0\xff\xfe", 3), "AP/+"}};
  for (const auto& [bytes, text] : vectors) {
    EXPECT_EQ(Base64Encode(bytes), text);
    auto decoded = Base64Decode(text);
    ASSERT_TRUE(decoded.ok()) << text;
    EXPECT_EQ(*decoded, bytes) << text;
  }
}

TEST(Base64Test, RefusesWhatIsNotBase64) {
  for (const char* bad : {"Zg=", "Zm9", "Zm9v!", "Zm=v", "Zm9v!A==", "====", "Z===", "=Zg=", "Zg==Zg==", "Zm 9v"}) {
    auto decoded = Base64Decode(bad);
    ASSERT_FALSE(decoded.ok()) << bad;
    EXPECT_EQ(decoded.error().code(), ErrorCode::kCorrupt) << bad;
  }
}

}  // namespace
}  // namespace ferry
