// MM2's internal record formats, against golden bytes built from the schemas in mm2.md §3.3.
#include "tasks/mirror_records.h"

#include <gtest/gtest.h>

namespace ferry::tasks {
namespace {

std::string Bytes(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s.push_back(static_cast<char>(b));
  return s;
}

TEST(MirrorRecordsTest, HeartbeatMatchesMM2Bytes) {
  Heartbeat h{"A", "B", 1700000000000};
  EXPECT_EQ(h.EncodeKey(), Bytes({0x00, 0x01, 'A', 0x00, 0x01, 'B'}));  // the example of mm2.md
  // version 0, then 1700000000000 = 0x18BCFE56800
  EXPECT_EQ(h.EncodeValue(), Bytes({0x00, 0x00, 0x00, 0x00, 0x01, 0x8B, 0xCF, 0xE5, 0x68, 0x00}));
  EXPECT_EQ(*Heartbeat::Decode(h.EncodeKey(), h.EncodeValue()), h);
}

TEST(MirrorRecordsTest, CheckpointMatchesMM2Bytes) {
  Checkpoint c{"g", "A.t", 2, 5, 3, ""};
  EXPECT_EQ(c.EncodeKey(), Bytes({0x00, 0x01, 'g', 0x00, 0x03, 'A', '.', 't', 0x00, 0x00, 0x00, 0x02}));
  EXPECT_EQ(c.EncodeValue(), Bytes({0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 3, 0x00, 0x00}));
  EXPECT_EQ(*Checkpoint::Decode(c.EncodeKey(), c.EncodeValue()), c);
}

TEST(MirrorRecordsTest, OffsetSyncHasNoVersionPrefix) {
  OffsetSyncRecord s{"orders", 7, 100, 40};
  EXPECT_EQ(s.EncodeKey(), Bytes({0x00, 0x06, 'o', 'r', 'd', 'e', 'r', 's', 0x00, 0x00, 0x00, 0x07}));
  EXPECT_EQ(s.EncodeValue(), Bytes({0, 0, 0, 0, 0, 0, 0, 100, 0, 0, 0, 0, 0, 0, 0, 40}));
  EXPECT_EQ(s.EncodeValue().size(), 16u);
  EXPECT_EQ(*OffsetSyncRecord::Decode(s.EncodeKey(), s.EncodeValue()), s);
}

TEST(MirrorRecordsTest, DecodersIgnoreTrailingBytesAsMM2Does) {
  Checkpoint c{"g", "t", 0, 1, 1, "meta"};
  auto decoded = Checkpoint::Decode(c.EncodeKey() + "xx", c.EncodeValue() + "yy");
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, c);
}

TEST(MirrorRecordsTest, ShortOrNegativeInputIsCorruptNotACrash) {
  EXPECT_EQ(Heartbeat::Decode(Bytes({0x00, 0x05, 'A'}), "").error().code(), ErrorCode::kCorrupt);
  EXPECT_EQ(OffsetSyncRecord::Decode(Bytes({0xFF, 0xFF}), "").error().code(), ErrorCode::kCorrupt);
  OffsetSyncRecord s{"t", 0, 1, 2};
  auto short_value = OffsetSyncRecord::Decode(s.EncodeKey(), s.EncodeValue().substr(0, 15));
  ASSERT_FALSE(short_value.ok());
  EXPECT_NE(short_value.error().message().find("offset sync value: too short (15 bytes)"), std::string::npos);
}

}  // namespace
}  // namespace ferry::tasks
