#include "tests/support/two_clusters.h"

#include <thread>

namespace ferry::testing {

bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

// Record times an hour before the process started: recent, so that a real broker's time-based
// retention (7 days) does not delete them and its time-based roll (on the first record's time) does
// not start a segment per batch, as 2020 times did; in the past, within what brokers accept.
const int64_t kTimestampBase = std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count() -
                               3600 * 1000;

std::vector<Record> MakeRecords(int64_t first, int64_t count, size_t value_bytes) {
  std::vector<Record> records;
  records.reserve(static_cast<size_t>(count));
  for (int64_t i = first; i < first + count; ++i) {
    Record r;
    if (i % 7 != 3) r.key = "k" + std::to_string(i * 2654435761 % 100003);
    if (i % 11 == 5) {
      r.value = std::nullopt;  // tombstone
    } else if (i % 13 == 6) {
      r.value = "";
    } else {
      std::string v = "v" + std::to_string(i) + "|";
      v.resize(value_bytes / 2 + static_cast<size_t>(i % static_cast<int64_t>(value_bytes)), static_cast<char>('A' + i % 26));
      r.value = std::move(v);
    }
    r.headers.push_back({"seq", std::to_string(i)});
    if (i % 3 == 0) r.headers.push_back({"trace", std::nullopt});
    if (i % 5 == 0) r.headers.push_back({"seq", "dup-name-" + std::to_string(i)});
    r.timestamp = kTimestampBase + i * 3;
    records.push_back(std::move(r));
  }
  return records;
}

void TwoClustersTest::SetUp() {
  if (peer_ == Peer::kMock) {
    auto source = TestCluster::StartMock(3);
    ASSERT_TRUE(source.ok()) << source.error().ToString();
    auto target = TestCluster::StartMock(3);
    ASSERT_TRUE(target.ok()) << target.error().ToString();
    source_ = std::move(*source);
    target_ = std::move(*target);
    return;
  }
  for (const char* name : {"source", "target"}) {
    if (!RealKafkaBootstrap(name)) {
      const RealKafkaMissing missing = NoRealKafka(name);
      if (missing.fail) FAIL() << missing.why;
      GTEST_SKIP() << missing.why;
    }
  }
  auto source = TestCluster::ConnectReal("source");
  ASSERT_TRUE(source.ok()) << source.error().ToString();
  auto target = TestCluster::ConnectReal("target");
  ASSERT_TRUE(target.ok()) << target.error().ToString();
  source_ = std::move(*source);
  target_ = std::move(*target);
}

void TwoClustersTest::Produce(TestCluster& cluster, const std::string& topic, int32_t partition,
                              const std::vector<Record>& records) {
  auto writer = kafka::RecordWriter::Create(cluster.bootstrap_servers());
  ASSERT_TRUE(writer.ok()) << writer.error().ToString();
  for (const Record& r : records) {
    auto sent = (*writer)->Send(topic, partition, r);
    ASSERT_TRUE(sent.ok()) << sent.error().ToString();
  }
  auto flushed = (*writer)->Flush(std::chrono::seconds(60));
  ASSERT_TRUE(flushed.ok()) << flushed.error().ToString();
}

std::vector<Record> TwoClustersTest::Read(TestCluster& cluster, const TopicPartition& tp) {
  auto records = kafka::ReadPartition(cluster.bootstrap_servers(), tp, std::chrono::seconds(60));
  EXPECT_TRUE(records.ok()) << records.error().ToString();
  return records.ok() ? std::move(*records) : std::vector<Record>{};
}

size_t TwoClustersTest::CountRecords(TestCluster& cluster, const TopicPartition& tp) {
  auto records = kafka::ReadPartition(cluster.bootstrap_servers(), tp, std::chrono::seconds(10));
  return records.ok() ? records->size() : 0;
}

}  // namespace ferry::testing
