// OffsetSyncWriter against a mock cluster, fed by OffsetSyncEmitter as a mirror task feeds it: the
// offset-syncs topic is read back and decoded as MM2's checkpoint task would read it.
#include "tasks/offset_sync_writer.h"

#include <map>

#include <gtest/gtest.h>

#include "tasks/mirror_records.h"
#include "tasks/offset_sync_emitter.h"
#include "tasks/offset_sync_store.h"
#include "tests/support/two_clusters.h"

namespace ferry::tasks {
namespace {

using testing::WaitFor;

constexpr char kTopic[] = "mm2-offset-syncs.B.internal";
const TopicPartition kOrders0{"orders", 0};
const TopicPartition kOrders1{"orders", 1};

class OffsetSyncWriterTest : public testing::TwoClustersTest {
 protected:
  void SetUp() override {
    TwoClustersTest::SetUp();
    ASSERT_TRUE(source().CreateTopic(kTopic, 1).ok());
    auto writer = OffsetSyncWriter::Create({{{"bootstrap.servers", source().bootstrap_servers()}}, kTopic, 10});
    ASSERT_TRUE(writer.ok()) << writer.error().ToString();
    writer_ = std::move(*writer);
    emitter_ = std::make_unique<OffsetSyncEmitter>(*writer_);
  }

  // Acknowledged records source[i] -> target[i] of one partition, then the task's progress report.
  void Copy(const TopicPartition& tp, int64_t source, int64_t target, int64_t count) {
    for (int64_t i = 0; i < count; ++i) emitter_->OnAcked(tp, SourceOffset(source + i), TargetOffset(target + i));
    emitter_->Flush();
  }

  // The topic read back once it holds at least `n` syncs (all of them, when the writer is gone).
  std::vector<OffsetSyncRecord> Syncs(size_t n) {
    std::vector<kafka::Record> records;
    EXPECT_TRUE(WaitFor([&] { return (records = Read(source(), {kTopic, 0})).size() >= n; }, std::chrono::seconds(30)));
    std::vector<OffsetSyncRecord> syncs;
    for (const kafka::Record& r : records) {
      EXPECT_TRUE(r.key && r.value);
      auto decoded = OffsetSyncRecord::Decode(r.key.value_or(""), r.value.value_or(""));
      EXPECT_TRUE(decoded.ok()) << decoded.error().ToString();
      if (decoded.ok()) syncs.push_back(*decoded);
    }
    return syncs;
  }

  std::unique_ptr<OffsetSyncWriter> writer_;
  std::unique_ptr<OffsetSyncEmitter> emitter_;
};

TEST_F(OffsetSyncWriterTest, SyncsAtRunStartsAtTheLagBoundAndForTheLastRecordAtCommit) {
  Copy(kOrders0, 100, 0, 10);  // 100..109 -> 0..9: the run's first record gets a sync
  Copy(kOrders0, 110, 10, 1);  // 110 -> 10: 10 past the last sync reaches offset.lag.max
  Copy(kOrders0, 111, 11, 5);  // 111..115 -> 11..15: within the bound, delta unchanged
  Copy(kOrders0, 118, 16, 3);  // 116, 117 absent (markers): 118..120 -> 16..18, a new run, after
                               // the last record of the run before it (115 -> 15)
  Copy(kOrders1, 0, 0, 1);     // another partition: its first record
  EXPECT_EQ(Syncs(5), (std::vector<OffsetSyncRecord>{{"orders", 0, 100, 0},
                                                     {"orders", 0, 110, 10},
                                                     {"orders", 0, 115, 15},
                                                     {"orders", 0, 118, 16},
                                                     {"orders", 1, 0, 0}}));
  // At commit, the last copied record of each partition that moved past its last sync; orders-1's
  // only record is its sync already.
  writer_->Commit();
  EXPECT_TRUE(writer_->Flush(std::chrono::seconds(10)).ok());
  const auto syncs = Syncs(6);
  ASSERT_EQ(syncs.size(), 6u);
  EXPECT_EQ(syncs.back(), (OffsetSyncRecord{"orders", 0, 120, 18}));
  // Every sync says its writer reports run ends, which writer it is (this one), which run it
  // belongs to and the writer's run before it, and is keyed by MM2's key and its run's slot: the
  // run's first target offset, so each run has a key of its own.
  EXPECT_EQ(writer_->writer_id().rfind("mirror-task@", 0), 0u) << writer_->writer_id();
  std::vector<std::string> runs;
  for (const kafka::Record& r : Read(source(), {kTopic, 0})) {
    std::map<std::string, std::string> headers;
    for (const auto& h : r.headers) headers[h.name] = h.value.value_or("");
    EXPECT_EQ(headers[kRunEndsHeader], "1");
    EXPECT_EQ(headers[kWriterHeader], writer_->writer_id());
    EXPECT_EQ(headers.count(kResumedAtHeader), 0u) << "nothing stored: a start from the log start";
    auto sync = OffsetSyncRecord::Decode(r.key.value_or(""), r.value.value_or(""));
    ASSERT_TRUE(sync.ok());
    const int64_t run_start = std::stoll(headers[kRunHeader]);
    const auto slot = static_cast<uint32_t>(run_start + sync->downstream_offset - sync->upstream_offset);
    EXPECT_EQ(r.key.value_or(""), sync->EncodeRunKey(slot));
    runs.push_back(sync->topic + "-" + std::to_string(sync->partition) + ":" + headers[kRunHeader] + "/" +
                   headers[kPreviousRunHeader]);
  }
  EXPECT_EQ(runs, (std::vector<std::string>{"orders-0:100/", "orders-0:100/", "orders-0:100/", "orders-0:118/100-116",
                                            "orders-1:0/", "orders-0:118/100-116"}));
  // Nothing moved since: further commits write nothing.
  writer_->Commit();
  EXPECT_TRUE(writer_->Flush(std::chrono::seconds(10)).ok());
  EXPECT_EQ(writer_->written(), 6);
  EXPECT_EQ(writer_->failed(), 0);
  emitter_.reset();
  writer_.reset();  // delivers whatever is still queued
  EXPECT_EQ(Syncs(6).size(), 6u);
}

// A sync that cannot be written is reported by the next Flush, never only counted: the task that
// owns the writer fails rather than store a position the syncs topic does not cover.
TEST_F(OffsetSyncWriterTest, ASyncThatCannotBeWrittenIsReportedByFlush) {
  auto writer = OffsetSyncWriter::Create({{{"bootstrap.servers", source().bootstrap_servers()}}, kTopic, 10});
  ASSERT_TRUE(writer.ok());
  // The broker refuses the produce request with an error no retry can cure (the mock injects it).
  rd_kafka_mock_push_request_errors(source().mock().raw(), /*Produce*/ 0, 1, RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE);
  OffsetSyncEmitter emitter(**writer);
  emitter.OnAcked(kOrders0, SourceOffset(0), TargetOffset(0));
  emitter.Flush();
  Result<> flushed = (*writer)->Flush(std::chrono::seconds(10));
  ASSERT_FALSE(flushed.ok());
  EXPECT_NE(flushed.error().message().find("not written"), std::string::npos) << flushed.error().ToString();
  EXPECT_EQ((*writer)->failed(), 1);
  EXPECT_TRUE((*writer)->Flush(std::chrono::seconds(1)).ok()) << "reported once";
}

// A sync still in flight when Flush gives up (a broker slow or restarting) is a timeout, not a loss: the
// task holds its positions back and flushes again (MirrorSourceTask::Commit). It was reported as a
// Kafka error, which failed every task while a node of a 3-node source restarted (tests/faults).
TEST_F(OffsetSyncWriterTest, ASyncStillInFlightWhenFlushGivesUpIsATimeoutNotALoss) {
  for (int broker = 1; broker <= 3; ++broker) rd_kafka_mock_broker_set_rtt(source().mock().raw(), broker, 3000);
  Copy(kOrders0, 0, 0, 1);
  Result<> flushed = writer_->Flush(std::chrono::milliseconds(200));
  ASSERT_FALSE(flushed.ok());
  EXPECT_EQ(flushed.error().code(), ErrorCode::kTimeout) << flushed.error().ToString();
  for (int broker = 1; broker <= 3; ++broker) rd_kafka_mock_broker_set_rtt(source().mock().raw(), broker, 0);
  EXPECT_TRUE(writer_->Flush(std::chrono::seconds(10)).ok());
  EXPECT_EQ(writer_->failed(), 0);
  EXPECT_EQ(Syncs(1).size(), 1u);
}

// What the metrics read (OffsetSyncProgress): copies past the last acknowledged sync wait until an
// acknowledged sync covers them; at a commit every copy gets covered. Wall-clock times are checked
// against the clock read around the calls.
TEST_F(OffsetSyncWriterTest, ProgressSaysWhichCopiesAcknowledgedSyncsCover) {
  auto wall = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  EXPECT_TRUE(writer_->Progress().empty());
  const int64_t before = wall();
  Copy(kOrders0, 100, 0, 5);  // 100..104 -> 0..4: one sync, of 100 -> 0
  ASSERT_TRUE(writer_->Flush(std::chrono::seconds(10)).ok());
  Copy(kOrders0, 105, 5, 3);  // 105..107 -> 5..7, within offset.lag.max (10): no sync
  OffsetSyncProgress p = writer_->Progress().at(kOrders0);
  EXPECT_EQ(p.first_target, 0);
  EXPECT_EQ(p.acked_target, 0);
  EXPECT_GE(p.acked_ms, before);
  EXPECT_EQ(p.copied_target, 8);
  EXPECT_EQ(p.pending(), 7) << "targets 1..7 copied past the sync of 0";
  EXPECT_GE(p.pending_since_ms, before);
  EXPECT_LE(p.pending_since_ms, wall());

  writer_->Commit();  // 107 -> 7
  ASSERT_TRUE(writer_->Flush(std::chrono::seconds(10)).ok());
  p = writer_->Progress().at(kOrders0);
  EXPECT_EQ(p.acked_target, 7);
  EXPECT_EQ(p.pending(), 0);
  EXPECT_EQ(p.pending_since_ms, -1) << "nothing waits";
}

// A sync never acknowledged leaves its copies waiting, counted from when they were copied: what
// the "offset syncs stale" alert watches.
TEST_F(OffsetSyncWriterTest, CopiesWhoseSyncIsRefusedKeepWaiting) {
  auto writer = OffsetSyncWriter::Create({{{"bootstrap.servers", source().bootstrap_servers()}}, kTopic, 10});
  ASSERT_TRUE(writer.ok());
  rd_kafka_mock_push_request_errors(source().mock().raw(), /*Produce*/ 0, 1, RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE);
  OffsetSyncEmitter emitter(**writer);
  for (int64_t i = 0; i < 3; ++i) emitter.OnAcked(kOrders0, SourceOffset(i), TargetOffset(i));
  emitter.Flush();
  EXPECT_FALSE((*writer)->Flush(std::chrono::seconds(10)).ok());
  const OffsetSyncProgress p = (*writer)->Progress().at(kOrders0);
  EXPECT_EQ(p.acked_ms, -1);
  EXPECT_EQ(p.acked_target, -1);
  EXPECT_EQ(p.pending(), 3) << "none of the writer's copies is covered";
  EXPECT_GT(p.pending_since_ms, 0);
}

// Each start of a task is a new writer: a reader tells its restart from a stale sync by it.
TEST_F(OffsetSyncWriterTest, EveryWriterHasAnIdOfItsOwn) {
  auto other = OffsetSyncWriter::Create({{{"bootstrap.servers", source().bootstrap_servers()}}, kTopic, 10, "task-7"});
  ASSERT_TRUE(other.ok());
  EXPECT_NE((*other)->writer_id(), writer_->writer_id());
  EXPECT_EQ((*other)->writer_id().rfind("task-7@", 0), 0u) << (*other)->writer_id();
}

// Records deleted before they were copied (skipped under ferry.skip.lost.records) are named on the
// sync of the first record copied after them, even when records read before the loss was found
// are acknowledged in between.
TEST_F(OffsetSyncWriterTest, TheFirstSyncAfterLostRecordsNamesThem) {
  Copy(kOrders0, 0, 0, 5);                   // 0..4 -> 0..4
  emitter_->OnLost(kOrders0, SourceOffset(7), SourceOffset(20));
  Copy(kOrders0, 5, 5, 2);                   // 5, 6 were in flight: same run, no loss yet
  Copy(kOrders0, 20, 7, 3);                  // 20..22 -> 7..9: the run after the loss
  emitter_.reset();
  writer_.reset();
  const auto syncs = Syncs(3);
  EXPECT_EQ(syncs, (std::vector<OffsetSyncRecord>{{"orders", 0, 0, 0}, {"orders", 0, 6, 6}, {"orders", 0, 20, 7}}));
  std::vector<std::string> lost;
  for (const kafka::Record& r : Read(source(), {kTopic, 0})) {
    for (const auto& h : r.headers) {
      if (h.name == kLostHeader) lost.push_back(std::to_string(r.offset) + ":" + h.value.value_or(""));
    }
  }
  EXPECT_EQ(lost, (std::vector<std::string>{"2:7-20"}));
}

// Every sync names its source topic's ID where the task learned it (the mock cluster cannot answer
// Metadata v10, so the IDs are given here as a task passes them in), and the store reads it back into
// the map; a topic whose ID is unknown, or a header that is not an ID, says none.
TEST_F(OffsetSyncWriterTest, EverySyncNamesItsSourceTopicIdAndTheStoreKeepsIt) {
  constexpr char kOrdersId[] = "vB5VNpM_QcqDq5YFPnfZ6A";
  const TopicPartition other{"other", 0};
  OffsetSyncWriterConfig config{{{"bootstrap.servers", source().bootstrap_servers()}}, kTopic, 10};
  config.topic_ids = {{"orders", kOrdersId}};
  auto writer = OffsetSyncWriter::Create(std::move(config));
  ASSERT_TRUE(writer.ok()) << writer.error().ToString();
  {
    OffsetSyncEmitter emitter(**writer);
    auto copy = [&](const TopicPartition& tp, int64_t source, int64_t target) {
      emitter.OnAcked(tp, SourceOffset(source), TargetOffset(target));
      emitter.Flush();
    };
    for (int64_t i = 0; i < 25; ++i) copy(kOrders0, i, i);
    copy(kOrders0, 30, 25);  // a new run
    copy(other, 0, 7);
  }
  (*writer)->Commit();
  ASSERT_TRUE((*writer)->Flush(std::chrono::seconds(10)).ok());
  std::vector<std::string> ids;
  for (const kafka::Record& r : Read(source(), {kTopic, 0})) {
    auto sync = OffsetSyncRecord::Decode(r.key.value_or(""), r.value.value_or(""));
    ASSERT_TRUE(sync.ok());
    std::string id = "-";
    for (const auto& h : r.headers) {
      if (h.name == kTopicIdHeader) id = h.value.value_or("null");
    }
    ids.push_back(sync->topic + ":" + std::to_string(sync->upstream_offset) + "=" + id);
  }
  const std::string o = std::string("=") + kOrdersId;
  EXPECT_EQ(ids, (std::vector<std::string>{"orders:0" + o, "orders:10" + o, "orders:20" + o, "orders:24" + o,
                                           "orders:30" + o, "other:0=-"}));
  // A sync of orders-1 whose ID header is unreadable: read as naming none.
  const OffsetSyncRecord bad{"orders", 1, 0, 3};
  kafka::Record record;
  record.key = bad.EncodeKey();
  record.value = bad.EncodeValue();
  record.headers = {{kRunEndsHeader, "1"}, {kTopicIdHeader, "not a topic id"}};
  Produce(source(), kTopic, 0, {record});

  kafka::KafkaLogOptions options;
  options.topic = kTopic;
  options.producer = {{"bootstrap.servers", source().bootstrap_servers()}};
  options.consumer = options.producer;
  OffsetSyncStore store(options);
  ASSERT_TRUE(store.Start(std::chrono::seconds(30)).ok());
  ASSERT_TRUE(store.map().Covered(kOrders0));
  EXPECT_EQ(store.map().Covered(kOrders0)->topic_id, kOrdersId);
  ASSERT_TRUE(store.map().Covered(other));
  EXPECT_EQ(store.map().Covered(other)->topic_id, "");
  ASSERT_TRUE(store.map().Covered(kOrders1));
  EXPECT_EQ(store.map().Covered(kOrders1)->topic_id, "");
  EXPECT_EQ(store.Translate(kOrders1, SourceOffset(0)), TargetOffset(3)) << "the sync itself is read";
  EXPECT_EQ(store.corrupt_records(), 0);
  store.Stop();
}

TEST_F(OffsetSyncWriterTest, TheLagBoundCountsFromTheLastSyncOfAnyKind) {
  Copy(kOrders0, 0, 0, 1);    // sync (0, 0)
  Copy(kOrders0, 1, 1, 8);    // last 8: below the bound of 10
  writer_->Commit();          // sync (8, 8)
  Copy(kOrders0, 9, 9, 9);    // last 17: 9 past the commit's sync, below the bound
  Copy(kOrders0, 18, 18, 1);  // last 18: 10 past it
  Copy(kOrders0, 19, 19, 25); // last 43: 25 past, one batch, one sync for its last record
  emitter_.reset();
  writer_.reset();  // delivers whatever is still queued
  EXPECT_EQ(Syncs(4), (std::vector<OffsetSyncRecord>{{"orders", 0, 0, 0},
                                                     {"orders", 0, 8, 8},
                                                     {"orders", 0, 18, 18},
                                                     {"orders", 0, 43, 43}}));
}

}  // namespace
}  // namespace ferry::tasks
