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
    FERRY_REQUIRE_REAL_KAFKA(name);
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

void TwoClustersTest::ProduceTransactions(TestCluster& cluster, const TopicPartition& tp,
                                          const std::vector<std::pair<std::vector<Record>, bool>>& batches) {
  ASSERT_TRUE(cluster.real()) << "the mock writes no transaction markers";
  auto producer = kafka::NewClient(RD_KAFKA_PRODUCER, {{"bootstrap.servers", cluster.bootstrap_servers()},
                                                       {"transactional.id", UniqueName("txn")},
                                                       {"linger.ms", "5"}});
  ASSERT_TRUE(producer.ok()) << producer.error().ToString();
  rd_kafka_t* rk = producer->get();
  auto check = [](rd_kafka_error_t* raw, const char* what) {
    kafka::ErrorPtr error(raw);
    ASSERT_EQ(error, nullptr) << what << ": " << rd_kafka_error_string(error.get());
  };
  check(rd_kafka_init_transactions(rk, 30000), "init_transactions");
  if (::testing::Test::HasFatalFailure()) return;
  for (const auto& [records, commit] : batches) {
    check(rd_kafka_begin_transaction(rk), "begin_transaction");
    if (::testing::Test::HasFatalFailure()) return;
    for (const Record& r : records) {
      kafka::HeadersPtr headers;
      if (!r.headers.empty()) {
        headers.reset(rd_kafka_headers_new(r.headers.size()));
        for (const kafka::Header& h : r.headers) {
          rd_kafka_header_add(headers.get(), h.name.data(), static_cast<ssize_t>(h.name.size()),
                              h.value ? h.value->data() : nullptr, h.value ? h.value->size() : 0);
        }
      }
      const rd_kafka_resp_err_t err = rd_kafka_producev(
          rk, RD_KAFKA_V_TOPIC(tp.topic.c_str()), RD_KAFKA_V_PARTITION(tp.partition),
          RD_KAFKA_V_KEY((r.key ? r.key->data() : nullptr), (r.key ? r.key->size() : 0)),
          RD_KAFKA_V_VALUE((r.value ? const_cast<char*>(r.value->data()) : nullptr), (r.value ? r.value->size() : 0)),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_TIMESTAMP(r.timestamp),
          RD_KAFKA_V_HEADERS(headers.get()), RD_KAFKA_V_END);
      ASSERT_EQ(err, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_err2str(err);
      headers.release();  // producev owns the headers once it has succeeded
    }
    // Every record delivered (its partition added to the transaction) before the end: an abort
    // racing librdkafka 2.0.2's AddPartitionsToTxn got INVALID_TXN_STATE from Kafka 4.1, fatally.
    ASSERT_EQ(rd_kafka_flush(rk, 30000), RD_KAFKA_RESP_ERR_NO_ERROR);
    if (commit) {
      check(rd_kafka_commit_transaction(rk, 30000), "commit_transaction");
    } else {
      check(rd_kafka_abort_transaction(rk, 30000), "abort_transaction");
    }
    if (::testing::Test::HasFatalFailure()) return;
  }
}

std::vector<Record> ConsumeAndCommit(const std::string& bootstrap, const std::string& group, const TopicPartition& tp,
                                     size_t max) {
  auto reader = kafka::GroupReader::Create(bootstrap, group, tp.topic, {tp.partition});
  EXPECT_TRUE(reader.ok());
  if (!reader.ok()) return {};
  auto read = (*reader)->Poll(max, std::chrono::seconds(30));
  EXPECT_TRUE(read.ok()) << read.error().ToString();
  if (!read.ok()) return {};
  EXPECT_TRUE((*reader)->Commit().ok());
  std::vector<Record> out;
  for (auto& r : *read) out.push_back(std::move(r.record));
  return out;
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
