// OffsetStore on a MemoryLog: Connect's offsets-topic key and value bytes
// (KafkaOffsetBackingStore's).
#include "worker/offset_store.h"

#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "tests/fakes/memory_log.h"

namespace ferry::worker {
namespace {

using std::chrono::seconds;
using testing::MemoryLog;

// MirrorSourceTask's partition map, in the member order Java's HashMap iterates it.
const char kOrders0[] = R"({"cluster":"A","partition":0,"topic":"orders"})";
const char kOrders1[] = R"({"cluster":"A","partition":1,"topic":"orders"})";
const char kOrders0Key[] = R"(["mm2-src",{"cluster":"A","partition":0,"topic":"orders"}])";

class OffsetStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(store_.Start(seconds(1)).ok()); }
  void Java(const std::string& key, std::optional<std::string> value) {
    log_.topic().Append(key, std::move(value));
    ASSERT_TRUE(store_.Refresh(seconds(1)).ok());
  }

  MemoryLog log_;
  OffsetStore store_{log_};
};

TEST_F(OffsetStoreTest, KeysAreTheBytesConnectWrites) {
  EXPECT_EQ(OffsetStore::Key("mm2-src", kOrders0), kOrders0Key);
  EXPECT_EQ(OffsetStore::Key("mm2-checkpoint", R"({"partition":3,"topic":"orders","group":"billing"})"),
            R"(["mm2-checkpoint",{"partition":3,"topic":"orders","group":"billing"}])");
  // Jackson's escaping: quote, backslash and control characters; UTF-8 and '/' as they are.
  EXPECT_EQ(OffsetStore::Key("a\"b\\c/d\n\x01\xc3\xa9", "{}"), "[\"a\\\"b\\\\c/d\\n\\u0001\xc3\xa9\",{}]");
  EXPECT_STREQ(OffsetStore::kPartitioner, "murmur2_random");
}

TEST_F(OffsetStoreTest, PutWritesKeyAndValueBytesAndTombstones) {
  ASSERT_TRUE(store_.Put("mm2-src", {{kOrders0, R"({"offset":1234})"}, {kOrders1, std::nullopt}}, seconds(1)).ok());
  auto records = log_.records();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].key, kOrders0Key);
  EXPECT_EQ(records[0].value, R"({"offset":1234})");
  EXPECT_EQ(records[1].key, R"(["mm2-src",{"cluster":"A","partition":1,"topic":"orders"}])");
  EXPECT_FALSE(records[1].value.has_value());
  EXPECT_EQ(store_.Get("mm2-src", kOrders0), R"({"offset":1234})");
}

TEST_F(OffsetStoreTest, FindsOffsetsWrittenByJavaConnect) {
  Java(kOrders0Key, R"({"offset":1234})");
  Java(R"(["mm2-src",{"cluster":"A","partition":1,"topic":"orders"}])", R"({"offset":99})");
  Java(R"(["mm2-checkpoint",{"partition":3,"topic":"orders","group":"billing"}])", R"({"offset":7})");
  EXPECT_EQ(store_.Get("mm2-src", kOrders0), R"({"offset":1234})");
  EXPECT_EQ(store_.Offsets("mm2-src"),
            (std::map<std::string, std::string>{{kOrders0, R"({"offset":1234})"}, {kOrders1, R"({"offset":99})"}}));
  EXPECT_EQ(store_.Get("mm2-checkpoint", R"({"partition":3,"topic":"orders","group":"billing"})"),
            R"({"offset":7})");
  // Member order is part of the key: the same map in another order is another partition, as in Java.
  EXPECT_EQ(store_.Get("mm2-src", R"({"topic":"orders","partition":0,"cluster":"A"})"), std::nullopt);

  Java(kOrders0Key, R"({"offset":1300})");
  EXPECT_EQ(store_.Get("mm2-src", kOrders0), R"({"offset":1300})");
  Java(kOrders0Key, std::nullopt);  // reset
  EXPECT_EQ(store_.Get("mm2-src", kOrders0), std::nullopt);
  EXPECT_EQ(store_.Offsets("mm2-src").size(), 1u);
  EXPECT_TRUE(store_.Offsets("nobody").empty());
}

TEST_F(OffsetStoreTest, AKeyNotLaidOutAsConnectWritesItIsNormalized) {
  Java(R"([ "mm2-src" , {"cluster":"A","partition":0,"topic":"orders"} ])", R"({"offset":5})");
  EXPECT_EQ(store_.Get("mm2-src", kOrders0), R"({"offset":5})");
}

TEST_F(OffsetStoreTest, MalformedRecordsAreSkipped) {
  Java(kOrders0Key, R"({"offset":1})");
  log_.topic().Append(std::nullopt, R"({"offset":2})");
  Java("not json", R"({"offset":2})");
  Java(R"({"mm2-src":{}})", R"({"offset":2})");
  Java(R"(["mm2-src"])", R"({"offset":2})");
  Java(R"(["mm2-src",{"a":1},3])", R"({"offset":2})");
  Java(R"([7,{"cluster":"A","partition":0,"topic":"orders"}])", R"({"offset":2})");
  Java(R"(["mm2-src","orders-0"])", R"({"offset":2})");
  Java(kOrders0Key, "{not json");
  EXPECT_EQ(store_.Get("mm2-src", kOrders0), R"({"offset":1})");
  EXPECT_EQ(store_.Offsets("mm2-src").size(), 1u);
}

TEST_F(OffsetStoreTest, InvalidOffsetsAreRefusedBeforeAnythingIsWritten) {
  auto put = store_.Put("mm2-src", {{kOrders0, R"({"offset":1})"}, {"orders-1", R"({"offset":1})"}}, seconds(1));
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(put.error().code(), ErrorCode::kInvalidConfig);
  put = store_.Put("mm2-src", {{kOrders0, "1234"}}, seconds(1));
  ASSERT_FALSE(put.ok());
  EXPECT_FALSE(store_.Put("", {{kOrders0, R"({"offset":1})"}}, seconds(1)).ok());
  EXPECT_EQ(log_.sends(), 0);
  EXPECT_TRUE(log_.records().empty());
}

TEST_F(OffsetStoreTest, AFailedFlushIsReported) {
  log_.FailNextFlush(Error::Timeout("injected"));
  auto put = store_.Put("mm2-src", {{kOrders0, R"({"offset":1})"}}, seconds(1));
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(put.error().code(), ErrorCode::kTimeout);
  EXPECT_TRUE(log_.records().empty());
  EXPECT_EQ(store_.Get("mm2-src", kOrders0), std::nullopt);
}

TEST_F(OffsetStoreTest, ARestartedStoreReadsBackWhatWasWritten) {
  ASSERT_TRUE(store_.Put("mm2-src", {{kOrders0, R"({"offset":10})"}, {kOrders1, R"({"offset":20})"}}, seconds(1)).ok());
  ASSERT_TRUE(store_.Put("mm2-src", {{kOrders0, R"({"offset":11})"}}, seconds(1)).ok());
  MemoryLog restarted_log(log_.shared_topic());
  OffsetStore restarted(restarted_log);
  ASSERT_TRUE(restarted.Start(seconds(1)).ok());
  EXPECT_EQ(restarted.Get("mm2-src", kOrders0), R"({"offset":11})");
  EXPECT_EQ(restarted.Get("mm2-src", kOrders1), R"({"offset":20})");
}

}  // namespace
}  // namespace ferry::worker
