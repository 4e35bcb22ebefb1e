// KafkaLog against librdkafka's mock cluster: topics are pre-created with MockCluster::CreateTopic
// (the mock has no CreateTopics).
#include "worker/kafka/kafka_log.h"

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/two_clusters.h"
#include "worker/kafka/client.h"
#include "worker/kafka/mock_cluster.h"
#include "worker/kafka/topics.h"

namespace ferry::worker {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Records delivered to a callback, safe to read from the test thread.
class Collector {
 public:
  kafka::Log::RecordCallback Callback() {
    return [this](const kafka::LogRecord& r) {
      std::lock_guard lock(mu_);
      records_.push_back(r);
    };
  }
  std::vector<kafka::LogRecord> records() const {
    std::lock_guard lock(mu_);
    return records_;
  }
  size_t size() const {
    std::lock_guard lock(mu_);
    return records_.size();
  }

 private:
  mutable std::mutex mu_;
  std::vector<kafka::LogRecord> records_;
};

// Kafka's Utils.murmur2, which Java's default partitioner applies to the key bytes.
int32_t JavaMurmur2(const std::string& data) {
  const uint32_t seed = 0x9747b28c;
  const uint32_t m = 0x5bd1e995;
  const int r = 24;
  const size_t length = data.size();
  uint32_t h = seed ^ static_cast<uint32_t>(length);
  const size_t length4 = length / 4;
  auto byte = [&](size_t i) { return static_cast<uint32_t>(static_cast<uint8_t>(data[i])); };
  for (size_t i = 0; i < length4; ++i) {
    const size_t i4 = i * 4;
    uint32_t k = byte(i4) | (byte(i4 + 1) << 8) | (byte(i4 + 2) << 16) | (byte(i4 + 3) << 24);
    k *= m;
    k ^= k >> r;
    k *= m;
    h *= m;
    h ^= k;
  }
  switch (length % 4) {
    case 3: h ^= byte((length & ~size_t{3}) + 2) << 16; [[fallthrough]];
    case 2: h ^= byte((length & ~size_t{3}) + 1) << 8; [[fallthrough]];
    case 1:
      h ^= byte(length & ~size_t{3});
      h *= m;
  }
  h ^= h >> 13;
  h *= m;
  h ^= h >> 15;
  return static_cast<int32_t>(h);
}

int32_t JavaPartition(const std::string& key, int32_t partitions) {
  return (JavaMurmur2(key) & 0x7fffffff) % partitions;  // Utils.toPositive(murmur2) % n
}

class KafkaLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto cluster = kafka::MockCluster::Start(3);
    ASSERT_TRUE(cluster.ok()) << cluster.error().ToString();
    cluster_ = std::move(*cluster);
  }

  kafka::KafkaLogOptions Options(const std::string& topic) const {
    kafka::KafkaLogOptions options;
    options.topic = topic;
    options.producer = {{"bootstrap.servers", cluster_->bootstrap_servers()}, {"linger.ms", "1"}};
    // The mock answers an empty fetch only after fetch.wait.max.ms (docs/testing.md).
    options.consumer = {{"bootstrap.servers", cluster_->bootstrap_servers()}, {"fetch.wait.max.ms", "50"}};
    options.partitioner = "murmur2_random";
    options.stop_flush_timeout = seconds(2);
    return options;
  }

  std::unique_ptr<kafka::MockCluster> cluster_;
};

TEST_F(KafkaLogTest, StartOnAnEmptyTopicReachesTheEndAtOnce) {
  ASSERT_TRUE(cluster_->CreateTopic("connect-status", 5).ok());
  Collector seen;
  kafka::KafkaLog log(Options("connect-status"));
  auto started = log.Start(seen.Callback(), seconds(10));
  ASSERT_TRUE(started.ok()) << started.error().ToString();
  EXPECT_EQ(log.partition_count(), 5);
  EXPECT_EQ(seen.size(), 0u);
  auto read = log.ReadToEnd(seconds(5));
  EXPECT_TRUE(read.ok()) << read.error().ToString();
}

TEST_F(KafkaLogTest, WritesComeBackThroughTheCallbackInOffsetOrder) {
  ASSERT_TRUE(cluster_->CreateTopic("connect-offsets", 4).ok());
  Collector seen;
  kafka::KafkaLog log(Options("connect-offsets"));
  ASSERT_TRUE(log.Start(seen.Callback(), seconds(10)).ok());

  std::vector<std::pair<std::optional<std::string>, std::optional<std::string>>> written;
  for (int i = 0; i < 60; ++i) written.emplace_back("key-" + std::to_string(i % 20), "value-" + std::to_string(i));
  written.emplace_back("deleted", std::nullopt);        // a tombstone
  written.emplace_back("empty", std::string());          // an empty value is not a tombstone
  written.emplace_back(std::string("bin\0ary", 7), std::string("v\0v", 3));
  for (const auto& [key, value] : written) ASSERT_TRUE(log.Send(key, value).ok());
  auto flushed = log.Flush(seconds(10));
  ASSERT_TRUE(flushed.ok()) << flushed.error().ToString();
  auto read = log.ReadToEnd(seconds(10));
  ASSERT_TRUE(read.ok()) << read.error().ToString();

  auto records = seen.records();
  ASSERT_EQ(records.size(), written.size());
  std::map<int32_t, int64_t> next_offset;
  std::map<std::string, std::vector<std::optional<std::string>>> by_key;
  for (const kafka::LogRecord& r : records) {
    EXPECT_EQ(r.offset, next_offset[r.partition]++) << "partition " << r.partition;
    ASSERT_TRUE(r.key.has_value());
    by_key[*r.key].push_back(r.value);
  }
  std::map<std::string, std::vector<std::optional<std::string>>> expected;
  for (const auto& [key, value] : written) expected[*key].push_back(value);
  EXPECT_EQ(by_key, expected);  // per key, in the order written (one key, one partition)
  EXPECT_FALSE(by_key["deleted"][0].has_value());
  EXPECT_EQ(by_key["empty"][0], std::optional<std::string>(""));
}

TEST_F(KafkaLogTest, KeysLandInThePartitionJavasProducerChooses) {
  ASSERT_TRUE(cluster_->CreateTopic("connect-offsets", 25).ok());
  Collector seen;
  kafka::KafkaLog log(Options("connect-offsets"));
  ASSERT_TRUE(log.Start(seen.Callback(), seconds(10)).ok());
  const std::vector<std::string> keys = {
      R"(["mm2-src",{"cluster":"A","partition":0,"topic":"orders"}])",
      R"(["mm2-src",{"cluster":"A","partition":1,"topic":"orders"}])",
      R"(["mm2-checkpoint",{"partition":3,"topic":"orders","group":"billing"}])",
      "status-connector-mm2-src", "a", "ab", "abc", "abcd"};
  for (const auto& key : keys) ASSERT_TRUE(log.Send(key, std::string("{\"offset\":1}")).ok());
  ASSERT_TRUE(log.Flush(seconds(10)).ok());
  ASSERT_TRUE(log.ReadToEnd(seconds(10)).ok());
  auto records = seen.records();
  ASSERT_EQ(records.size(), keys.size());
  for (const kafka::LogRecord& r : records) EXPECT_EQ(r.partition, JavaPartition(*r.key, 25)) << *r.key;
}

TEST_F(KafkaLogTest, ARestartedLogReadsEverythingBeforeStartReturns) {
  ASSERT_TRUE(cluster_->CreateTopic("connect-configs", 1).ok());
  Collector ignored;
  Collector seen;
  {
    kafka::KafkaLog writer(Options("connect-configs"));
    ASSERT_TRUE(writer.Start(ignored.Callback(), seconds(10)).ok());
    for (int i = 0; i < 30; ++i) ASSERT_TRUE(writer.Send("k" + std::to_string(i), "v" + std::to_string(i)).ok());
    ASSERT_TRUE(writer.Flush(seconds(10)).ok());
    writer.Stop();
  }
  kafka::KafkaLog reader(Options("connect-configs"));
  auto started = reader.Start(seen.Callback(), seconds(10));
  ASSERT_TRUE(started.ok()) << started.error().ToString();
  auto records = seen.records();  // no ReadToEnd: Start itself read to the end
  ASSERT_EQ(records.size(), 30u);
  for (int i = 0; i < 30; ++i) {
    EXPECT_EQ(records[i].offset, i);
    EXPECT_EQ(records[i].key, "k" + std::to_string(i));
    EXPECT_EQ(records[i].value, "v" + std::to_string(i));
  }
}

TEST_F(KafkaLogTest, TwoLogsOnOneTopicSeeEachOthersWrites) {
  ASSERT_TRUE(cluster_->CreateTopic("connect-status", 5).ok());
  // Declared before the logs: a log thread may call into it until the log is destroyed.
  Collector seen_a;
  Collector seen_b;
  kafka::KafkaLog a(Options("connect-status"));
  kafka::KafkaLog b(Options("connect-status"));
  ASSERT_TRUE(a.Start(seen_a.Callback(), seconds(10)).ok());
  ASSERT_TRUE(b.Start(seen_b.Callback(), seconds(10)).ok());

  ASSERT_TRUE(a.Send("from-a", "1").ok());
  ASSERT_TRUE(a.Flush(seconds(10)).ok());
  auto read = b.ReadToEnd(seconds(10));
  ASSERT_TRUE(read.ok()) << read.error().ToString();
  ASSERT_EQ(seen_b.size(), 1u);
  EXPECT_EQ(seen_b.records()[0].key, "from-a");

  // Tailing: b's write reaches a without a ReadToEnd.
  ASSERT_TRUE(b.Send("from-b", "2").ok());
  ASSERT_TRUE(b.Flush(seconds(10)).ok());
  EXPECT_TRUE(testing::WaitFor([&] { return seen_a.size() == 2; }, seconds(10)));
  EXPECT_EQ(seen_a.records()[1].key, "from-b");
}

TEST_F(KafkaLogTest, StartFailsForAMissingTopicWithoutCreatingIt) {
  Collector seen;
  kafka::KafkaLog log(Options("no-such-topic"));
  auto started = log.Start(seen.Callback(), seconds(5));
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.error().code(), ErrorCode::kNotFound);
  EXPECT_NE(started.error().message().find("no-such-topic"), std::string::npos);
  auto rk = kafka::NewClient(RD_KAFKA_PRODUCER, {{"bootstrap.servers", cluster_->bootstrap_servers()}});
  ASSERT_TRUE(rk.ok());
  auto found = kafka::FindTopicPartitions(rk->get(), "no-such-topic", seconds(5));
  ASSERT_TRUE(found.ok());
  EXPECT_FALSE(found->has_value()) << "the topic was auto-created";
  EXPECT_FALSE(log.Send("k", "v").ok());
}

TEST_F(KafkaLogTest, ADeliveryFailureIsReportedOnceByTheNextFlush) {
  ASSERT_TRUE(cluster_->CreateTopic("connect-configs", 1).ok());
  Collector seen;
  kafka::KafkaLog log(Options("connect-configs"));
  ASSERT_TRUE(log.Start(seen.Callback(), seconds(10)).ok());
  // A permanent error for this Produce request (ApiKey 0 = Produce).
  rd_kafka_mock_push_request_errors(cluster_->raw(), 0, 1, RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE);
  ASSERT_TRUE(log.Send("k", "v").ok());
  auto flushed = log.Flush(seconds(10));
  ASSERT_FALSE(flushed.ok());
  EXPECT_EQ(flushed.error().kafka_err(), RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE);
  EXPECT_TRUE(log.Flush(seconds(10)).ok()) << "the failure is reported once";
  auto sent = log.Send("k", "v2");
  ASSERT_TRUE(sent.ok()) << sent.error().ToString();
  ASSERT_TRUE(log.Flush(seconds(10)).ok());
  ASSERT_TRUE(log.ReadToEnd(seconds(10)).ok());
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen.records()[0].value, "v2");
}

TEST_F(KafkaLogTest, ReadToEndGivesUpAtItsDeadlineWhenBrokersAreDown) {
  ASSERT_TRUE(cluster_->CreateTopic("connect-status", 3).ok());
  Collector seen;
  kafka::KafkaLog log(Options("connect-status"));
  ASSERT_TRUE(log.Start(seen.Callback(), seconds(10)).ok());
  for (int b = 1; b <= 3; ++b) ASSERT_TRUE(cluster_->SetBrokerDown(b).ok());
  const auto begin = std::chrono::steady_clock::now();
  auto read = log.ReadToEnd(milliseconds(1500));
  const auto took = std::chrono::steady_clock::now() - begin;
  EXPECT_FALSE(read.ok());
  EXPECT_LT(took, seconds(5));
  for (int b = 1; b <= 3; ++b) ASSERT_TRUE(cluster_->SetBrokerUp(b).ok());
}

TEST_F(KafkaLogTest, StopIsIdempotentAndNoCallbackRunsAfterIt) {
  ASSERT_TRUE(cluster_->CreateTopic("connect-status", 2).ok());
  Collector ignored;
  Collector seen;
  kafka::KafkaLog writer(Options("connect-status"));
  kafka::KafkaLog log(Options("connect-status"));
  ASSERT_TRUE(writer.Start(ignored.Callback(), seconds(10)).ok());
  ASSERT_TRUE(log.Start(seen.Callback(), seconds(10)).ok());
  const auto begin = std::chrono::steady_clock::now();
  log.Stop();
  log.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - begin, seconds(5));
  const size_t before = seen.size();
  ASSERT_TRUE(writer.Send("k", "v").ok());
  ASSERT_TRUE(writer.Flush(seconds(10)).ok());
  ASSERT_TRUE(writer.ReadToEnd(seconds(10)).ok());
  EXPECT_EQ(seen.size(), before);
  EXPECT_FALSE(log.ReadToEnd(seconds(1)).ok());
  EXPECT_FALSE(log.Flush(seconds(1)).ok());
}

}  // namespace
}  // namespace ferry::worker
