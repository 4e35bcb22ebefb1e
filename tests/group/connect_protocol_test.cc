// Golden bytes for Connect's member metadata and assignments (connect-internals.md (e)), built by
// hand from ConnectProtocol / IncrementalCooperativeConnectProtocol's schemas.
#include "worker/group/connect_protocol.h"

#include <gtest/gtest.h>

#include "tests/support/hex.h"

namespace ferry::group {
namespace {

using ferry::testing::Bytes;
using ferry::testing::Hex;

constexpr char kUrl[] = "http://127.0.0.1:8083/";  // 22 bytes

TEST(ConnectProtocolTest, MetadataV2WithNullAllocation) {
  const WorkerMetadata m{2, kUrl, 7, std::nullopt};
  const std::string golden = Bytes("0002 0016 'http://127.0.0.1:8083/' 0000000000000007 ffffffff");
  EXPECT_EQ(Hex(EncodeMetadata(m)), Hex(golden));
  Result<WorkerMetadata> decoded = DecodeMetadata(golden);
  ASSERT_TRUE(decoded.ok()) << decoded.error().ToString();
  EXPECT_EQ(*decoded, m);
}

TEST(ConnectProtocolTest, MetadataV0HasNoAllocation) {
  const WorkerMetadata m{0, kUrl, 7, std::nullopt};
  const std::string golden = Bytes("0000 0016 'http://127.0.0.1:8083/' 0000000000000007");
  EXPECT_EQ(Hex(EncodeMetadata(m)), Hex(golden));
  EXPECT_EQ(*DecodeMetadata(golden), m);
  // v0 never carries an allocation, even if one is given.
  EXPECT_EQ(Hex(EncodeMetadata({0, kUrl, 7, "x"})), Hex(golden));
}

TEST(ConnectProtocolTest, MetadataV1CarriesTheAllocationBlob) {
  const WorkerMetadata m{1, "u", -1, Bytes("0001 aa")};
  const std::string golden = Bytes("0001 0001 'u' ffffffffffffffff 00000003 0001aa");
  EXPECT_EQ(Hex(EncodeMetadata(m)), Hex(golden));
  EXPECT_EQ(*DecodeMetadata(golden), m);
}

TEST(ConnectProtocolTest, MetadataDecoderIsTolerantLikeJava) {
  // A v1 header without the allocation field: ALLOCATION_V1 tolerates it (null).
  Result<WorkerMetadata> missing = DecodeMetadata(Bytes("0001 0001 'u' 0000000000000001"));
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->allocation, std::nullopt);
  // A future version is read as the known layout; trailing bytes are ignored.
  Result<WorkerMetadata> future = DecodeMetadata(Bytes("0005 0001 'u' 0000000000000001 ffffffff 99"));
  ASSERT_TRUE(future.ok());
  EXPECT_EQ(future->version, 5);
  // Negative versions and cut-off required fields are corrupt.
  EXPECT_EQ(DecodeMetadata(Bytes("ffff 0001 'u' 0000000000000001")).error().code(), ErrorCode::kCorrupt);
  EXPECT_EQ(DecodeMetadata(Bytes("0002 0001 'u' 00000000")).error().code(), ErrorCode::kCorrupt);
  EXPECT_EQ(DecodeMetadata(Bytes("0002 0005 'u'")).error().code(), ErrorCode::kCorrupt);
  EXPECT_EQ(DecodeMetadata(Bytes("0002 0001 'u' 0000000000000001 00000009 aa")).error().code(),
            ErrorCode::kCorrupt);
  EXPECT_EQ(DecodeMetadata("").error().code(), ErrorCode::kCorrupt);
}

ConnectAssignment SampleAssignment(int16_t version) {
  ConnectAssignment a;
  a.version = version;
  a.leader = "m1";
  a.leader_url = "http://a:1/";  // 11 bytes
  a.config_offset = 7;
  a.assigned = {{"c1", {kConnectorTask, 0}}};
  if (version >= 1) {
    a.revoked = {{"c2", {1}}};
    a.delay_ms = 5000;
  }
  return a;
}

TEST(ConnectProtocolTest, AssignmentV0) {
  const std::string golden = Bytes(
      "0000 0000 0002 'm1' 000b 'http://a:1/' 0000000000000007 "
      "00000001 0002 'c1' 00000002 ffffffff 00000000");
  EXPECT_EQ(Hex(EncodeAssignment(SampleAssignment(0))), Hex(golden));
  Result<ConnectAssignment> decoded = DecodeAssignment(golden);  // the v1 decoder reads v0 too
  ASSERT_TRUE(decoded.ok()) << decoded.error().ToString();
  EXPECT_EQ(*decoded, SampleAssignment(0));
  EXPECT_TRUE(decoded->revoked.empty());
  EXPECT_EQ(decoded->delay_ms, 0);
}

TEST(ConnectProtocolTest, AssignmentV1AndV2AddRevokedAndDelay) {
  const std::string body =
      "0000 0002 'm1' 000b 'http://a:1/' 0000000000000007 "
      "00000001 0002 'c1' 00000002 ffffffff 00000000 "
      "00000001 0002 'c2' 00000001 00000001 "
      "00001388";
  for (int16_t version : {1, 2}) {
    const std::string golden = Bytes(std::string(version == 1 ? "0001 " : "0002 ") + body);
    EXPECT_EQ(Hex(EncodeAssignment(SampleAssignment(version))), Hex(golden));
    Result<ConnectAssignment> decoded = DecodeAssignment(golden);
    ASSERT_TRUE(decoded.ok()) << decoded.error().ToString();
    EXPECT_EQ(*decoded, SampleAssignment(version));
  }
}

TEST(ConnectProtocolTest, AssignmentDecoderDefaultsMissingTrailingFields) {
  // Null assignment and revoked arrays read as empty; a missing delay as 0.
  Result<ConnectAssignment> nulls =
      DecodeAssignment(Bytes("0001 0001 0002 'm1' 0000 0000000000000009 ffffffff ffffffff"));
  ASSERT_TRUE(nulls.ok()) << nulls.error().ToString();
  EXPECT_EQ(nulls->error, ConnectAssignment::kConfigMismatch);
  EXPECT_TRUE(nulls->assigned.empty());
  EXPECT_TRUE(nulls->revoked.empty());
  EXPECT_EQ(nulls->delay_ms, 0);
  // Everything after the config offset may be missing.
  Result<ConnectAssignment> bare = DecodeAssignment(Bytes("0002 0000 0000 0000 0000000000000001"));
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->config_offset, 1);
  // But not the required fields before it.
  EXPECT_EQ(DecodeAssignment(Bytes("0001 0000 0002 'm1'")).error().code(), ErrorCode::kCorrupt);
  EXPECT_EQ(DecodeAssignment(Bytes("fffe 0000")).error().code(), ErrorCode::kCorrupt);
  // A cut-off array is corrupt, not silently short.
  EXPECT_EQ(DecodeAssignment(Bytes("0001 0000 0000 0000 0000000000000001 00000002 0002 'c1' 00000000"))
                .error()
                .code(),
            ErrorCode::kCorrupt);
}

TEST(ConnectProtocolTest, ProtocolsInPreferenceOrder) {
  EXPECT_EQ(OfferedProtocols(ConnectProtocol::kSessioned),
            (std::vector{ConnectProtocol::kSessioned, ConnectProtocol::kCompatible, ConnectProtocol::kEager}));
  EXPECT_EQ(OfferedProtocols(ConnectProtocol::kCompatible),
            (std::vector{ConnectProtocol::kCompatible, ConnectProtocol::kEager}));
  EXPECT_EQ(OfferedProtocols(ConnectProtocol::kEager), (std::vector{ConnectProtocol::kEager}));

  const auto protocols = JoinProtocols(ConnectProtocol::kSessioned, kUrl, 7, std::nullopt);
  ASSERT_EQ(protocols.size(), 3u);
  EXPECT_EQ(protocols[0].first, "sessioned");
  EXPECT_EQ(protocols[1].first, "compatible");
  EXPECT_EQ(protocols[2].first, "default");
  EXPECT_EQ(Hex(protocols[0].second),
            Hex(Bytes("0002 0016 'http://127.0.0.1:8083/' 0000000000000007 ffffffff")));
  EXPECT_EQ(Hex(protocols[1].second),
            Hex(Bytes("0001 0016 'http://127.0.0.1:8083/' 0000000000000007 ffffffff")));
  EXPECT_EQ(Hex(protocols[2].second), Hex(Bytes("0000 0016 'http://127.0.0.1:8083/' 0000000000000007")));
}

TEST(ConnectProtocolTest, ProtocolNames) {
  EXPECT_EQ(*ParseConnectProtocol("SESSIONED"), ConnectProtocol::kSessioned);
  EXPECT_EQ(*ParseConnectProtocol("eager"), ConnectProtocol::kEager);
  EXPECT_EQ(*ParseConnectProtocol("Compatible"), ConnectProtocol::kCompatible);
  EXPECT_EQ(ParseConnectProtocol("default").error().code(), ErrorCode::kInvalidConfig);
  EXPECT_EQ(*ProtocolForSubProtocolName("default"), ConnectProtocol::kEager);
  EXPECT_EQ(*ProtocolForSubProtocolName("sessioned"), ConnectProtocol::kSessioned);
  EXPECT_EQ(ProtocolForSubProtocolName("eager").error().code(), ErrorCode::kUnsupported);
  EXPECT_EQ(ProtocolVersion(ConnectProtocol::kCompatible), 1);
}

}  // namespace
}  // namespace ferry::group
