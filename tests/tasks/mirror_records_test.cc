// MM2's internal record formats, against golden bytes built from the schemas in mm2.md §3.3: Ferry's
// encoders against known bytes, and records as MM2 (Java) writes them, laid out field by field from
// the schema, decoded by Ferry and re-encoded to the same bytes.
#include "tasks/mirror_records.h"

#include <gtest/gtest.h>

#include "tests/support/hex.h"

namespace ferry::tasks {
namespace {

using testing::Bytes;
using testing::Hex;

TEST(MirrorRecordsTest, HeartbeatMatchesMM2Bytes) {
  Heartbeat h{"A", "B", 1700000000000};
  EXPECT_EQ(Hex(h.EncodeKey()), Hex(Bytes("00 01 'A' 00 01 'B'")));  // the example of mm2.md
  // version 0, then 1700000000000 = 0x18BCFE56800
  EXPECT_EQ(Hex(h.EncodeValue()), Hex(Bytes("00 00 00 00 01 8B CF E5 68 00")));
  EXPECT_EQ(*Heartbeat::Decode(h.EncodeKey(), h.EncodeValue()), h);
}

TEST(MirrorRecordsTest, CheckpointMatchesMM2Bytes) {
  Checkpoint c{"g", "A.t", 2, 5, 3, ""};
  EXPECT_EQ(Hex(c.EncodeKey()), Hex(Bytes("00 01 'g' 00 03 'A.t' 00 00 00 02")));
  EXPECT_EQ(Hex(c.EncodeValue()), Hex(Bytes("00 00  00 00 00 00 00 00 00 05  00 00 00 00 00 00 00 03  00 00")));
  EXPECT_EQ(*Checkpoint::Decode(c.EncodeKey(), c.EncodeValue()), c);
}

TEST(MirrorRecordsTest, OffsetSyncHasNoVersionPrefix) {
  OffsetSyncRecord s{"orders", 7, 100, 40};
  EXPECT_EQ(Hex(s.EncodeKey()), Hex(Bytes("00 06 'orders' 00 00 00 07")));
  EXPECT_EQ(Hex(s.EncodeValue()), Hex(Bytes("00 00 00 00 00 00 00 64  00 00 00 00 00 00 00 28")));
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
  EXPECT_EQ(Heartbeat::Decode(Bytes("00 05 'A'"), "").error().code(), ErrorCode::kCorrupt);
  EXPECT_EQ(OffsetSyncRecord::Decode(Bytes("FF FF"), "").error().code(), ErrorCode::kCorrupt);
  OffsetSyncRecord s{"t", 0, 1, 2};
  auto short_value = OffsetSyncRecord::Decode(s.EncodeKey(), s.EncodeValue().substr(0, 15));
  ASSERT_FALSE(short_value.ok());
  EXPECT_NE(short_value.error().message().find("offset sync value: too short (15 bytes)"), std::string::npos);
}

// --- Records as MM2 writes them (Struct.writeTo over the schemas of MC/Heartbeat.java,
// MC/Checkpoint.java, M/OffsetSync.java): big-endian, STRING = INT16 byte length + UTF-8 bytes. ---

struct RawRecord {
  std::string key;
  std::string value;
};

// MirrorHeartbeatTask's record for the flow primary->backup at 2025-01-01T00:00:00Z.
RawRecord MM2Heartbeat() {
  return {Bytes("00 07 'primary'"    // STRING sourceClusterAlias: 7 bytes
                "00 06 'backup'"),   // STRING targetClusterAlias: 6 bytes
          Bytes("00 00"                        // INT16 version: 0, the only one MM2 writes
                "00 00 01 94 1F 29 7C 00")};   // INT64 timestamp: 1735689600000 ms
}

// MirrorCheckpointTask's record for a group and a remote topic whose names are not ASCII, offsets past
// 2^31 and commit metadata.
RawRecord MM2Checkpoint() {
  return {Bytes("00 05 63 61 66 C3 A9"             // STRING group: 5 bytes (4 characters), "café"
                "00 08 41 2E E6 B3 A8 E6 96 87"    // STRING topic: 8 bytes, "A.注文" (the remote topic)
                "00 00 01 2C"),                    // INT32 partition: 300
          Bytes("00 00"                            // INT16 version: 0
                "00 00 00 01 2A 05 F2 05"          // INT64 upstreamOffset: 5000000005
                "00 00 00 00 FF FF FF FF"          // INT64 offset (downstream): 4294967295
                "00 05 62 79 3D C3 BC")};          // STRING metadata: 5 bytes, "by=ü"
}

// MirrorSourceTask's offset sync for the last partition number Kafka allows and offsets that neither an
// INT32 nor a double holds exactly.
RawRecord MM2OffsetSync() {
  return {Bytes("00 06 'orders'"                   // STRING topic: 6 bytes (the source topic)
                "7F FF FF FF"),                    // INT32 partition: 2147483647
          Bytes("00 20 00 00 00 00 00 01"          // INT64 upstreamOffset: 2^53 + 1 (no version prefix)
                "00 00 00 00 80 00 00 00")};       // INT64 offset (downstream): 2^31
}

// Decodes MM2's bytes into `want`, and re-encodes that to the very same bytes.
template <typename Record>
void ExpectDecodesAndReencodes(const RawRecord& mm2, const Record& want) {
  auto decoded = Record::Decode(mm2.key, mm2.value);
  ASSERT_TRUE(decoded.ok()) << decoded.error().ToString();
  EXPECT_EQ(*decoded, want);
  EXPECT_EQ(Hex(decoded->EncodeKey()), Hex(mm2.key));
  EXPECT_EQ(Hex(decoded->EncodeValue()), Hex(mm2.value));
}

TEST(MirrorRecordsTest, DecodesAnMM2HeartbeatVersion0AndWritesItBackUnchanged) {
  ExpectDecodesAndReencodes(MM2Heartbeat(), Heartbeat{"primary", "backup", 1735689600000});
}

TEST(MirrorRecordsTest, DecodesAnMM2CheckpointWithUtf8NamesAndMetadataAndWritesItBackUnchanged) {
  ExpectDecodesAndReencodes(MM2Checkpoint(), Checkpoint{"café", "A.注文", 300, 5000000005, 4294967295, "by=ü"});
}

TEST(MirrorRecordsTest, DecodesAnMM2OffsetSyncWithOffsetsPast2To31AndWritesItBackUnchanged) {
  ExpectDecodesAndReencodes(MM2OffsetSync(),
                            OffsetSyncRecord{"orders", 2147483647, (int64_t{1} << 53) + 1, int64_t{1} << 31});
}

// Every record cut short anywhere, in its key or its value, is kCorrupt: all fields are required.
template <typename Record>
void ExpectEveryTruncationCorrupt(const RawRecord& mm2) {
  for (size_t n = 0; n < mm2.key.size(); ++n) {
    auto decoded = Record::Decode(mm2.key.substr(0, n), mm2.value);
    ASSERT_FALSE(decoded.ok()) << "key cut to " << n << " bytes";
    EXPECT_EQ(decoded.error().code(), ErrorCode::kCorrupt) << decoded.error().ToString();
  }
  for (size_t n = 0; n < mm2.value.size(); ++n) {
    auto decoded = Record::Decode(mm2.key, mm2.value.substr(0, n));
    ASSERT_FALSE(decoded.ok()) << "value cut to " << n << " bytes";
    EXPECT_EQ(decoded.error().code(), ErrorCode::kCorrupt) << decoded.error().ToString();
  }
}

TEST(MirrorRecordsTest, EveryTruncationOfAnMM2RecordIsCorrupt) {
  ExpectEveryTruncationCorrupt<Heartbeat>(MM2Heartbeat());
  ExpectEveryTruncationCorrupt<Checkpoint>(MM2Checkpoint());
  ExpectEveryTruncationCorrupt<OffsetSyncRecord>(MM2OffsetSync());
}

// The Error for bytes that are not a record, which must be kCorrupt; its message for the test's output.
template <typename Record>
std::string CorruptMessage(const std::string& key, const std::string& value) {
  auto decoded = Record::Decode(key, value);
  if (decoded.ok()) return "decoded garbage as a record";
  EXPECT_EQ(decoded.error().code(), ErrorCode::kCorrupt) << decoded.error().ToString();
  return decoded.error().message();
}

TEST(MirrorRecordsTest, GarbageForEachRecordTypeIsCorruptNamingWhatWasRead) {
  const RawRecord heartbeat = MM2Heartbeat();
  const RawRecord checkpoint = MM2Checkpoint();
  const RawRecord sync = MM2OffsetSync();
  // A string length with the sign bit set (Java's SchemaException "cannot be negative").
  EXPECT_EQ(CorruptMessage<Heartbeat>(Bytes("DE AD BE EF"), heartbeat.value), "heartbeat key: negative string length");
  EXPECT_EQ(CorruptMessage<Heartbeat>(heartbeat.key, Bytes("00 00 'late'")), "heartbeat value: too short (6 bytes)");
  EXPECT_EQ(CorruptMessage<Checkpoint>(checkpoint.key, checkpoint.value.substr(0, 18) + Bytes("80 00 'x'")),
            "checkpoint value: negative string length");
  // A string length past the end of the bytes.
  EXPECT_EQ(CorruptMessage<OffsetSyncRecord>(Bytes("7F FF 'orders' 00 00 00 01"), sync.value),
            "offset sync key: too short (12 bytes)");
  EXPECT_EQ(CorruptMessage<Checkpoint>(Bytes("00 01 'g' 00 40 'A.t'"), checkpoint.value),
            "checkpoint key: too short (8 bytes)");
  EXPECT_EQ(CorruptMessage<OffsetSyncRecord>(sync.key, ""), "offset sync value: too short (0 bytes)");
}

}  // namespace
}  // namespace ferry::tasks
