// Golden bytes for the Kafka primitive types and headers (Type.java, RequestHeader.json,
// ResponseHeader.json), and the reader's refusal to read past its buffer.
#include "worker/group/wire.h"

#include <gtest/gtest.h>

#include "tests/support/hex.h"

namespace ferry::group {
namespace {

using ferry::testing::Bytes;
using ferry::testing::Hex;

TEST(WireTest, IntegersAreBigEndianTwosComplement) {
  Writer w;
  w.Int8(-2);
  w.Int16(0x0102);
  w.Int16(-1);
  w.Int32(0x01020304);
  w.Int32(-2);
  w.Int64(0x0102030405060708);
  w.Int64(-1);
  w.Bool(true);
  w.Bool(false);
  EXPECT_EQ(Hex(w.data()), Hex(Bytes("fe 0102 ffff 01020304 fffffffe 0102030405060708 ffffffffffffffff 01 00")));

  Reader r(w.data());
  EXPECT_EQ(r.Int8(), -2);
  EXPECT_EQ(r.Int16(), 0x0102);
  EXPECT_EQ(r.Int16(), -1);
  EXPECT_EQ(r.Int32(), 0x01020304);
  EXPECT_EQ(r.Int32(), -2);
  EXPECT_EQ(r.Int64(), 0x0102030405060708);
  EXPECT_EQ(r.Int64(), -1);
  EXPECT_TRUE(r.Bool());
  EXPECT_FALSE(r.Bool());
  EXPECT_TRUE(r.Finish("ints").ok());
}

TEST(WireTest, AnyNonZeroByteIsTrue) {
  const std::string r_bytes = Bytes("02");
  Reader r(r_bytes);
  EXPECT_TRUE(r.Bool());
}

TEST(WireTest, ClassicStringsBytesAndArrays) {
  Writer w;
  w.String("ab");
  w.String("");
  w.NullableString(std::nullopt);
  w.NullableString("c");
  w.Bytes(Bytes("00 ff"));
  w.NullableBytes(std::nullopt);
  w.ArrayLength(3);
  w.ArrayLength(-1);
  EXPECT_EQ(Hex(w.data()), Hex(Bytes("0002 'ab' 0000 ffff 0001 'c' 00000002 00ff ffffffff 00000003 ffffffff")));

  const std::string r_bytes = w.data() + std::string(3, '\0');  // 3 bytes so the array count of 3 fits
  Reader r(r_bytes);
  EXPECT_EQ(r.String(), "ab");
  EXPECT_EQ(r.String(), "");
  EXPECT_EQ(r.NullableString(), std::nullopt);
  EXPECT_EQ(r.NullableString(), "c");
  EXPECT_EQ(r.Bytes(), Bytes("00 ff"));
  EXPECT_EQ(r.NullableBytes(), std::nullopt);
  EXPECT_EQ(r.ArrayLength(), 3);
  EXPECT_EQ(r.ArrayLength(), -1);
  EXPECT_TRUE(r.status("classic").ok());
}

TEST(WireTest, UnsignedVarintGoldenBytes) {
  const std::pair<uint32_t, const char*> cases[] = {
      {0, "00"},          {1, "01"},          {127, "7f"},          {128, "80 01"},
      {300, "ac 02"},     {16383, "ff 7f"},   {16384, "80 80 01"},  {0xffffffffu, "ff ff ff ff 0f"},
  };
  for (const auto& [value, hex] : cases) {
    Writer w;
    w.UnsignedVarint(value);
    EXPECT_EQ(Hex(w.data()), Hex(Bytes(hex))) << value;
    Reader r(w.data());
    EXPECT_EQ(r.UnsignedVarint(), value);
    EXPECT_TRUE(r.Finish("varint").ok()) << value;
  }
}

TEST(WireTest, UnsignedVarintRejectsOverlongAndOverflowingInput) {
  const std::string six_bytes = Bytes("80 80 80 80 80 00");
  Reader six(six_bytes);
  six.UnsignedVarint();
  EXPECT_FALSE(six.ok());
  const std::string overflow_bytes = Bytes("ff ff ff ff 1f");  // the fifth byte may carry only 4 bits
  Reader overflow(overflow_bytes);
  overflow.UnsignedVarint();
  EXPECT_FALSE(overflow.ok());
  const std::string short_input_bytes = Bytes("80");
  Reader short_input(short_input_bytes);
  short_input.UnsignedVarint();
  EXPECT_EQ(short_input.status("varint").error().code(), ErrorCode::kCorrupt);
}

TEST(WireTest, CompactFormsStoreLengthPlusOne) {
  Writer w;
  w.CompactString("ab");
  w.CompactString("");
  w.CompactNullableString(std::nullopt);
  w.CompactBytes(Bytes("ff"));
  w.CompactNullableBytes(std::nullopt);
  w.CompactArrayLength(2);
  w.CompactArrayLength(-1);
  w.CompactArrayLength(0);
  w.EmptyTaggedFields();
  EXPECT_EQ(Hex(w.data()), Hex(Bytes("03 'ab' 01 00 02 ff 00 03 00 01 00")));

  const std::string r_bytes = w.data() + std::string(2, '\0');
  Reader r(r_bytes);
  EXPECT_EQ(r.CompactString(), "ab");
  EXPECT_EQ(r.CompactString(), "");
  EXPECT_EQ(r.CompactNullableString(), std::nullopt);
  EXPECT_EQ(r.CompactBytes(), Bytes("ff"));
  EXPECT_EQ(r.CompactNullableBytes(), std::nullopt);
  EXPECT_EQ(r.CompactArrayLength(), 2);
  EXPECT_EQ(r.CompactArrayLength(), -1);
  EXPECT_EQ(r.CompactArrayLength(), 0);
  r.SkipTaggedFields();
  EXPECT_TRUE(r.status("compact").ok());
}

TEST(WireTest, LongCompactStringUsesMultiByteLength) {
  const std::string s(200, 'x');
  Writer w;
  w.CompactString(s);
  EXPECT_EQ(Hex(w.data().substr(0, 2)), "c9 01");  // 201 = 0xc9 -> c9 01
  Reader r(w.data());
  EXPECT_EQ(r.CompactString(), s);
}

TEST(WireTest, UnknownTaggedFieldsAreSkippedBySize) {
  // Two tagged fields (tag 0, 2 bytes; tag 5, 1 byte), then an INT16.
  const std::string r_bytes = Bytes("02 00 02 aa bb 05 01 cc 0007");
  Reader r(r_bytes);
  r.SkipTaggedFields();
  EXPECT_EQ(r.Int16(), 7);
  EXPECT_TRUE(r.Finish("tags").ok());
}

TEST(WireTest, TaggedFieldPastTheEndIsCorrupt) {
  const std::string r_bytes = Bytes("01 00 05 aa");
  Reader r(r_bytes);
  r.SkipTaggedFields();
  EXPECT_FALSE(r.ok());
  const std::string many_bytes = Bytes("7f 00");  // 127 fields cannot fit in one byte
  Reader many(many_bytes);
  many.SkipTaggedFields();
  EXPECT_FALSE(many.ok());
}

TEST(WireTest, ShortInputIsCorruptAndTheReaderStaysFailed) {
  const std::string r_bytes = Bytes("00 01 02");
  Reader r(r_bytes);
  EXPECT_EQ(r.Int32(), 0);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.Int8(), 0);  // sticky: nothing more is read
  EXPECT_EQ(r.remaining(), 0u);
  Result<> status = r.status("probe");
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code(), ErrorCode::kCorrupt);
  EXPECT_NE(status.error().message().find("probe: short read of INT32"), std::string::npos)
      << status.error().message();
}

TEST(WireTest, LengthsBeyondTheBufferAreCorrupt) {
  const char* cases[] = {
      "0005 'abc'",        // STRING longer than the rest
      "ffff",              // null where a STRING must be
      "fffe",              // negative STRING length
      "00000009 00",       // BYTES longer than the rest
      "7fffffff",          // ARRAY count no buffer can hold
      "fffffffe",          // negative ARRAY count
  };
  int i = 0;
  for (const char* hex : cases) {
    const std::string r_bytes = Bytes(hex);
    Reader r(r_bytes);
    switch (i++) {
      case 0: r.String(); break;
      case 1: r.String(); break;
      case 2: r.NullableString(); break;
      case 3: r.Bytes(); break;
      case 4: EXPECT_EQ(r.ArrayLength(), 0); break;
      case 5: r.ArrayLength(); break;
    }
    EXPECT_FALSE(r.ok()) << hex;
    EXPECT_EQ(r.status("x").error().code(), ErrorCode::kCorrupt) << hex;
  }
  const std::string compact_array_bytes = Bytes("ff ff ff ff 07");
  Reader compact_array(compact_array_bytes);
  compact_array.CompactArrayLength();
  EXPECT_FALSE(compact_array.ok());
  const std::string compact_null_bytes = Bytes("00");
  Reader compact_null(compact_null_bytes);
  compact_null.CompactString();
  EXPECT_FALSE(compact_null.ok());
}

TEST(WireTest, FinishRejectsTrailingBytes) {
  const std::string r_bytes = Bytes("0001 ff");
  Reader r(r_bytes);
  r.Int16();
  Result<> finished = r.Finish("body");
  ASSERT_FALSE(finished.ok());
  EXPECT_EQ(finished.error().code(), ErrorCode::kCorrupt);
}

TEST(WireTest, RequestHeaderV1AndV2GoldenBytes) {
  const RequestHeader header{11, 5, 7, "ferry"};
  Writer v1;
  WriteRequestHeader(v1, header, 1);
  EXPECT_EQ(Hex(v1.data()), Hex(Bytes("000b 0005 00000007 0005 'ferry'")));
  Writer v2;
  WriteRequestHeader(v2, {11, 9, 7, "ferry"}, 2);
  // The ClientId stays a classic NULLABLE_STRING in v2; only the tagged-field byte is added.
  EXPECT_EQ(Hex(v2.data()), Hex(Bytes("000b 0009 00000007 0005 'ferry' 00")));
  Writer null_client;
  WriteRequestHeader(null_client, {18, 2, -1, std::nullopt}, 1);
  EXPECT_EQ(Hex(null_client.data()), Hex(Bytes("0012 0002 ffffffff ffff")));

  Reader r(v2.data());
  Result<RequestHeader> read = ReadRequestHeader(r, 2);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->api_key, 11);
  EXPECT_EQ(read->api_version, 9);
  EXPECT_EQ(read->correlation_id, 7);
  EXPECT_EQ(read->client_id, "ferry");
  EXPECT_TRUE(r.Finish("header").ok());
}

TEST(WireTest, ResponseHeaderV0AndV1) {
  Writer v0;
  WriteResponseHeader(v0, 42, 0);
  EXPECT_EQ(Hex(v0.data()), Hex(Bytes("0000002a")));
  Writer v1;
  WriteResponseHeader(v1, 42, 1);
  EXPECT_EQ(Hex(v1.data()), Hex(Bytes("0000002a 00")));

  const std::string with_tags_bytes = Bytes("0000002a 01 03 01 ff 0000");  // one unknown tag, then a body INT16
  Reader with_tags(with_tags_bytes);
  Result<int32_t> id = ReadResponseHeader(with_tags, 1);
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, 42);
  EXPECT_EQ(with_tags.remaining(), 2u);

  const std::string short_header_bytes = Bytes("0000");
  Reader short_header(short_header_bytes);
  EXPECT_EQ(ReadResponseHeader(short_header, 0).error().code(), ErrorCode::kCorrupt);
}

}  // namespace
}  // namespace ferry::group
