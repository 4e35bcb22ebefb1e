// MirrorTask end to end: records written to a source cluster, copied by a real task over loopback
// TCP, read back from the target cluster and compared key by key, offset by offset, on real Kafka;
// the broker-fault and slow-source tests run on the mock, which can take a broker down on command.
#include "tasks/mirror_task.h"

#include <atomic>
#include <iostream>
#include <thread>

#include <gtest/gtest.h>
#include <librdkafka/rdkafka_mock.h>

#include "tasks/offset_map.h"
#include "tests/support/two_clusters.h"
#include "worker/kafka/client.h"

namespace ferry::tasks {
namespace {

using ferry::testing::MakeRecords;
using ferry::testing::WaitFor;
using kafka::Record;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr const char* kAlias = "src";

class MirrorTaskFixture : public ferry::testing::TwoClustersTest {
 protected:
  explicit MirrorTaskFixture(ferry::testing::Peer peer = ferry::testing::Peer::kMock) : TwoClustersTest(peer) {}

  std::string Remote(const std::string& topic) { return policy_->FormatRemoteTopic(kAlias, topic); }

  // Creates `topic` on the source and its remote topic on the target.
  void CreateTopic(const std::string& topic, int partitions) {
    ASSERT_TRUE(source().CreateTopic(topic, partitions).ok());
    ASSERT_TRUE(target().CreateTopic(Remote(topic), partitions).ok());
  }

  MirrorTaskConfig Config(std::map<TopicPartition, int64_t> start_offsets) {
    MirrorTaskConfig config;
    config.name = "test-mirror";
    config.source_alias = kAlias;
    config.source_consumer = {{"bootstrap.servers", source().bootstrap_servers()}, {"fetch.wait.max.ms", "50"}};
    config.target_producer = {{"bootstrap.servers", target().bootstrap_servers()}};
    config.policy = policy_;
    config.start_offsets = std::move(start_offsets);
    return config;
  }

  static std::map<TopicPartition, int64_t> FromLogStart(const std::string& topic, int partitions) {
    std::map<TopicPartition, int64_t> offsets;
    for (int p = 0; p < partitions; ++p) offsets[{topic, p}] = kFromLogStart;
    return offsets;
  }

  std::unique_ptr<MirrorTask> Start(MirrorTaskConfig config, OffsetSyncSink* sink) {
    auto task = MirrorTask::Start(std::move(config), sink);
    EXPECT_TRUE(task.ok()) << task.error().ToString();
    return task.ok() ? std::move(*task) : nullptr;
  }

  // Waits until the task has acknowledged `records` records in this run, or failed.
  void WaitCopied(MirrorTask& task, int64_t records, milliseconds timeout = seconds(120)) {
    const bool done = WaitFor(
        [&] { return task.Stats().records >= records || task.state() == MirrorTask::State::kFailed; }, timeout);
    ASSERT_TRUE(done) << "copied " << task.Stats().records << " of " << records;
    ASSERT_NE(task.state(), MirrorTask::State::kFailed) << task.failure()->ToString();
  }

  // The target copy of `tp` equals the source, record by record, and the map translates every offset.
  void ExpectExactCopy(const TopicPartition& tp, const OffsetMap& map, int64_t target_base = 0) {
    const std::vector<Record> src = Read(source(), tp);
    std::vector<Record> tgt = Read(target(), {Remote(tp.topic), tp.partition});
    ASSERT_GE(tgt.size(), static_cast<size_t>(target_base));
    tgt.erase(tgt.begin(), tgt.begin() + target_base);  // records that were there before the mirror
    auto verified = kafka::VerifyMirrored(tp, src, tgt);
    ASSERT_TRUE(verified.ok()) << verified.error().ToString();
    for (size_t i = 0; i < src.size(); ++i) {
      ASSERT_EQ(map.Translate(tp, SourceOffset(src[i].offset)), TargetOffset(tgt[i].offset))
          << tp << " source offset " << src[i].offset;
    }
    if (!src.empty()) {
      EXPECT_EQ(map.Translate(tp, SourceOffset(src.back().offset + 1)), TargetOffset(tgt.back().offset + 1));
      EXPECT_EQ(map.Translate(tp, SourceOffset(src.back().offset + 2)), std::nullopt);
    }
  }

  // Moves the log start of `topic`-0 (which holds nothing yet) past records never copied, with
  // DeleteRecords; returns it.
  int64_t MoveSourceLogStart(const std::string& topic) {
    const std::vector<Record> big = MakeRecords(0, 800, 2);
    auto writer = kafka::RecordWriter::Create(source().bootstrap_servers(), {{"linger.ms", "0"}});
    EXPECT_TRUE(writer.ok());
    for (const Record& r : big) EXPECT_TRUE((*writer)->Send(topic, 0, r).ok());
    EXPECT_TRUE((*writer)->Flush(seconds(60)).ok());
    auto deleted = source().DeleteRecordsBefore({topic, 0}, 300);
    EXPECT_TRUE(deleted.ok()) << deleted.error().ToString();
    return source().WatermarksOf({topic, 0}).low;
  }

  const std::string orders_ = ferry::testing::UniqueName("orders");
  std::shared_ptr<const connectors::ReplicationPolicy> policy_ =
      std::make_shared<connectors::DefaultReplicationPolicy>();
};

using MirrorTaskTest = ferry::testing::OnPeers<MirrorTaskFixture>;
FERRY_INSTANTIATE_ON_REAL_KAFKA(MirrorTaskTest);
using MirrorTaskOnMockTest = MirrorTaskFixture;

// Logs only a real broker writes: transaction markers, aborted records, compaction.
class MirrorTaskOnRealKafkaTest : public MirrorTaskFixture {
 protected:
  MirrorTaskOnRealKafkaTest() : MirrorTaskFixture(ferry::testing::Peer::kRealKafka) {}

  // Every source offset from the log start to one past the end translates to where the first record
  // at or after it landed: the brute-force truth from both logs, gaps included.
  void ExpectEveryOffsetTranslates(const TopicPartition& tp, const OffsetMap& map) {
    const std::vector<Record> src = Read(source(), tp);
    const std::vector<Record> tgt = Read(target(), {Remote(tp.topic), tp.partition});
    ASSERT_EQ(src.size(), tgt.size());
    ASSERT_FALSE(src.empty());
    const kafka::Watermarks marks = source().WatermarksOf(tp);
    size_t next = 0;  // the first read record at or after `offset`
    for (int64_t offset = src.front().offset; offset <= marks.high; ++offset) {
      while (next < src.size() && src[next].offset < offset) ++next;
      const int64_t expected = next < src.size() ? tgt[next].offset : tgt.back().offset + 1;
      ASSERT_EQ(map.Translate(tp, SourceOffset(offset)), TargetOffset(expected)) << tp << " source offset " << offset;
    }
  }
};

TEST_P(MirrorTaskTest, ThreeTopicsEightPartitionsCopiedOffsetByOffsetWhileProducersWrite) {
  const std::vector<std::string> topics = {orders_, ferry::testing::UniqueName("payments"),
                                           ferry::testing::UniqueName("clicks")};
  constexpr int kPartitions = 8;
  constexpr int64_t kPerPartition = 4200;  // 3 x 8 x 4200 = 100,800 records
  std::map<TopicPartition, int64_t> start;
  for (const auto& topic : topics) {
    CreateTopic(topic, kPartitions);
    for (auto& [tp, offset] : FromLogStart(topic, kPartitions)) start[tp] = offset;
  }
  // Half the records exist before the mirror starts; the rest arrive while it runs.
  int64_t seq = 0;
  for (const auto& topic : topics) {
    for (int p = 0; p < kPartitions; ++p, seq += kPerPartition) {
      Produce(source(), topic, p, MakeRecords(seq, kPerPartition / 2));
    }
  }
  OffsetMap map;
  auto task = Start(Config(start), &map);
  ASSERT_NE(task, nullptr);
  seq = 0;
  for (const auto& topic : topics) {
    for (int p = 0; p < kPartitions; ++p, seq += kPerPartition) {
      Produce(source(), topic, p, MakeRecords(seq + kPerPartition / 2, kPerPartition / 2));
    }
  }
  WaitCopied(*task, 3 * kPartitions * kPerPartition);
  task->Stop();
  EXPECT_EQ(task->state(), MirrorTask::State::kStopped);
  const MirrorTaskStats stats = task->Stats();
  EXPECT_EQ(stats.records, 3 * kPartitions * kPerPartition);
  EXPECT_EQ(stats.offset_syncs, 3 * kPartitions);  // no gaps: one run per partition
  EXPECT_EQ(stats.Lag(), 0);
  for (const auto& topic : topics) {
    for (int p = 0; p < kPartitions; ++p) ExpectExactCopy({topic, p}, map);
  }
  const auto committed = task->CommittedOffsets();
  ASSERT_EQ(committed.size(), 3u * kPartitions);
  for (const auto& [tp, offset] : committed) EXPECT_EQ(offset, kPerPartition) << tp;
}

TEST_P(MirrorTaskTest, RestartFromCommittedPositionAfterStopCopiesNothingTwice) {
  CreateTopic(orders_, 4);
  for (int p = 0; p < 4; ++p) Produce(source(), orders_, p, MakeRecords(p * 100000, 3000));
  OffsetMap map;
  auto first = Start(Config(FromLogStart(orders_, 4)), &map);
  ASSERT_NE(first, nullptr);
  // Producers keep writing until well after the first task stopped: it stops mid-stream.
  std::atomic<bool> first_stopped{false};
  std::atomic<int64_t> written{12000};
  std::thread writer([&] {
    int extra_rounds = 3;
    for (int64_t chunk = 1; chunk < 40 && extra_rounds > 0; ++chunk) {
      for (int p = 0; p < 4; ++p) Produce(source(), orders_, p, MakeRecords(p * 100000 + chunk * 500 + 2500, 500));
      written += 2000;
      if (first_stopped) --extra_rounds;
    }
  });
  WaitCopied(*first, 6000);
  first->Stop();  // in-flight records are delivered, then the task stops
  first_stopped = true;
  const auto committed = first->CommittedOffsets();
  const int64_t copied_first = first->Stats().records;
  writer.join();

  std::map<TopicPartition, int64_t> restart = FromLogStart(orders_, 4);
  for (const auto& [tp, offset] : committed) restart[tp] = offset;
  auto second = Start(Config(restart), &map);
  ASSERT_NE(second, nullptr);
  WaitCopied(*second, written - copied_first);
  second->Stop();
  EXPECT_LT(copied_first, written.load());
  EXPECT_EQ(second->Stats().records, written - copied_first) << "no record may be copied twice";
  for (int p = 0; p < 4; ++p) ExpectExactCopy({orders_, p}, map);
}

TEST_P(MirrorTaskTest, RestartFromAnOlderCommittedSnapshotLosesNothingAndCountsDuplicates) {
  // As after a crash: the last committed position was saved a while before the process died, so the
  // records acknowledged since are copied again. Nothing may be lost; duplicates are counted.
  CreateTopic(orders_, 4);
  constexpr int64_t kPerPartition = 6000;
  for (int p = 0; p < 4; ++p) Produce(source(), orders_, p, MakeRecords(p * 10000, kPerPartition));
  OffsetMap map;
  auto first = Start(Config(FromLogStart(orders_, 4)), &map);
  ASSERT_NE(first, nullptr);
  WaitCopied(*first, 4000);
  const auto snapshot = first->CommittedOffsets();
  WaitCopied(*first, 9000);
  first->Stop();

  std::map<TopicPartition, int64_t> restart = FromLogStart(orders_, 4);
  for (const auto& [tp, offset] : snapshot) restart[tp] = offset;
  auto second = Start(Config(restart), &map);
  ASSERT_NE(second, nullptr);
  int64_t expected_second = 0;
  for (const auto& [tp, offset] : restart) expected_second += kPerPartition - std::max<int64_t>(offset, 0);
  WaitCopied(*second, expected_second);
  second->Stop();

  int64_t duplicates = 0;
  for (int p = 0; p < 4; ++p) {
    const TopicPartition tp{orders_, p};
    const std::vector<Record> src = Read(source(), tp);
    const std::vector<Record> tgt = Read(target(), {Remote(orders_), p});
    // The target is source[0, k) followed by source[j, n) with j <= k: a re-copied stretch, no hole.
    const int64_t j = std::max<int64_t>(restart[tp], 0);
    const int64_t k = static_cast<int64_t>(tgt.size()) - (kPerPartition - j);
    ASSERT_GE(k, j) << tp;
    ASSERT_LE(k, kPerPartition) << tp;
    for (int64_t i = 0; i < k; ++i) ASSERT_TRUE(tgt[i].SameContent(src[i])) << tp << " target offset " << i;
    for (int64_t i = j; i < kPerPartition; ++i) {
      ASSERT_TRUE(tgt[k + i - j].SameContent(src[i])) << tp << " target offset " << k + i - j;
    }
    duplicates += k - j;
    // The map points at the newest copy of every re-copied record, so a consumer resumes after it.
    for (int64_t i = 0; i < kPerPartition; ++i) {
      const int64_t expected = i < j ? i : k + i - j;
      ASSERT_EQ(map.Translate(tp, SourceOffset(i)), TargetOffset(expected)) << tp << " source offset " << i;
    }
  }
  EXPECT_EQ(duplicates, first->Stats().records + second->Stats().records - 4 * kPerPartition);
  EXPECT_GT(duplicates, 0) << "the snapshot was taken before records that were then acknowledged";
  std::cout << "[ report   ] records copied twice after restarting from an older snapshot: " << duplicates
            << "\n";
}

TEST_F(MirrorTaskOnMockTest, TargetBrokerDownForSecondsThenReplicationResumesInOrder) {
  CreateTopic(orders_, 6);
  for (int p = 0; p < 6; ++p) Produce(source(), orders_, p, MakeRecords(p * 10000, 2000));
  OffsetMap map;
  auto task = Start(Config(FromLogStart(orders_, 6)), &map);
  ASSERT_NE(task, nullptr);
  WaitCopied(*task, 12000);
  ASSERT_TRUE(target().mock().SetBrokerDown(1).ok());
  ASSERT_TRUE(target().mock().SetBrokerDown(2).ok());
  std::thread writer([&] {
    for (int p = 0; p < 6; ++p) Produce(source(), orders_, p, MakeRecords(p * 10000 + 2000, 3000));
  });
  std::this_thread::sleep_for(seconds(3));
  const int64_t copied_while_down = task->Stats().records;
  ASSERT_TRUE(target().mock().SetBrokerUp(1).ok());
  ASSERT_TRUE(target().mock().SetBrokerUp(2).ok());
  writer.join();
  WaitCopied(*task, 30000);
  task->Stop();
  EXPECT_LT(copied_while_down, 30000);
  for (int p = 0; p < 6; ++p) ExpectExactCopy({orders_, p}, map);
}

// A source whose every answer takes 40 ms (a loaded machine, or a cluster in another region): a fetch
// is still in flight whenever the task's queue runs dry. Waking the fetcher then (a seek) throws that
// fetch's answer away; the task once did so every 5 ms and copied almost nothing (the benchmark's
// "15909 of 36000 records acknowledged in time" on a loaded machine).
TEST_F(MirrorTaskOnMockTest, ASlowSourceIsCopiedWithoutThrowingItsFetchesAway) {
  CreateTopic(orders_, 4);
  // 20 small batches per partition (or more): the mock answers a fetch with one stored batch per partition.
  auto writer = kafka::RecordWriter::Create(source().bootstrap_servers(), {{"linger.ms", "0"}});
  ASSERT_TRUE(writer.ok());
  for (int chunk = 0; chunk < 20; ++chunk) {
    for (int p = 0; p < 4; ++p) {
      for (const Record& r : MakeRecords(p * 10000 + chunk * 50, 50)) ASSERT_TRUE((*writer)->Send(orders_, p, r).ok());
    }
    ASSERT_TRUE((*writer)->Flush(seconds(30)).ok());
  }
  for (int broker = 1; broker <= source().mock().broker_count(); ++broker) {
    ASSERT_EQ(rd_kafka_mock_broker_set_rtt(source().mock().raw(), broker, 40), RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  OffsetMap map;
  const auto started = std::chrono::steady_clock::now();
  auto task = Start(Config(FromLogStart(orders_, 4)), &map);
  ASSERT_NE(task, nullptr);
  // A fetch per 40 ms and more: seconds. Throwing fetches away took minutes (151 of 8000 records in 30 s,
  // with 2826 wake-ups, before the fix).
  WaitCopied(*task, 4000, seconds(60));
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  task->Stop();
  std::cout << "[ report   ] copied in " << took << " s, fetcher wakeups: " << task->Stats().fetcher_wakeups << "\n";
  for (int broker = 1; broker <= source().mock().broker_count(); ++broker) {
    ASSERT_EQ(rd_kafka_mock_broker_set_rtt(source().mock().raw(), broker, 0), RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  for (int p = 0; p < 4; ++p) ExpectExactCopy({orders_, p}, map);
}

TEST_P(MirrorTaskTest, NonZeroDeltaWhenTheTargetPartitionAlreadyHeldRecords) {
  CreateTopic(orders_, 2);
  Produce(target(), Remote(orders_), 0, MakeRecords(900000, 700));  // left from an earlier mirror
  for (int p = 0; p < 2; ++p) Produce(source(), orders_, p, MakeRecords(p * 10000, 3000));
  OffsetMap map;
  auto task = Start(Config(FromLogStart(orders_, 2)), &map);
  ASSERT_NE(task, nullptr);
  WaitCopied(*task, 6000);
  task->Stop();
  ExpectExactCopy({orders_, 0}, map, /*target_base=*/700);
  ExpectExactCopy({orders_, 1}, map);
  EXPECT_EQ(map.Translate({orders_, 0}, SourceOffset(0)), TargetOffset(700));
  EXPECT_EQ(map.Translate({orders_, 0}, SourceOffset(2999)), TargetOffset(3699));
}

TEST_P(MirrorTaskTest, SourceLogStartMovedMirrorsFromTheLogStartAndMapsExactly) {
  CreateTopic(orders_, 1);
  const int64_t low = MoveSourceLogStart(orders_);
  ASSERT_GT(low, 0) << "the log start should have moved";
  OffsetMap map;
  auto task = Start(Config(FromLogStart(orders_, 1)), &map);
  ASSERT_NE(task, nullptr);
  WaitCopied(*task, 800 - low);
  task->Stop();
  ExpectExactCopy({orders_, 0}, map);
  EXPECT_EQ(map.Translate({orders_, 0}, SourceOffset(low)), TargetOffset(0));
  EXPECT_EQ(map.Translate({orders_, 0}, SourceOffset(low - 1)), std::nullopt);
}

TEST_P(MirrorTaskTest, RecordsDeletedBeforeTheyWereCopiedFailTheTaskNamingTheRange) {
  CreateTopic(orders_, 1);
  const int64_t low = MoveSourceLogStart(orders_);
  ASSERT_GT(low, 0);
  auto task = Start(Config({{{orders_, 0}, 0}}), nullptr);  // resumes at 0: already deleted
  ASSERT_NE(task, nullptr);
  ASSERT_TRUE(WaitFor([&] { return task->state() == MirrorTask::State::kFailed; }, seconds(30)));
  const Error error = *task->failure();
  EXPECT_EQ(error.code(), ErrorCode::kDataLoss);
  EXPECT_NE(error.message().find("source partition " + orders_ + "-0: offsets 0.." + std::to_string(low - 1)),
            std::string::npos)
      << error.message();
  EXPECT_EQ(task->CommittedOffsets().at({orders_, 0}), 0) << "the position must not move past the loss";
  EXPECT_TRUE(Read(target(), {Remote(orders_), 0}).empty()) << "nothing may be written after a loss";
}

TEST_P(MirrorTaskTest, RecordsDeletedBeforeTheyWereCopiedAreSkippedAndCountedWhenAsked) {
  CreateTopic(orders_, 1);
  const int64_t low = MoveSourceLogStart(orders_);
  ASSERT_GT(low, 0);
  MirrorTaskConfig config = Config({{{orders_, 0}, 0}});
  config.skip_lost_records = true;
  OffsetMap map;
  auto task = Start(config, &map);
  ASSERT_NE(task, nullptr);
  WaitCopied(*task, 800 - low);
  task->Stop();
  EXPECT_EQ(task->Stats().lost_records, low);
  ExpectExactCopy({orders_, 0}, map);
}

TEST_P(MirrorTaskTest, TargetWithTooFewPartitionsIsRejectedAtStartWithAClearError) {
  ASSERT_TRUE(source().CreateTopic(orders_, 4).ok());
  ASSERT_TRUE(target().CreateTopic(Remote(orders_), 2).ok());
  auto task = MirrorTask::Start(Config(FromLogStart(orders_, 4)), nullptr);
  ASSERT_FALSE(task.ok());
  EXPECT_EQ(task.error().code(), ErrorCode::kConflict);
  EXPECT_EQ(task.error().message(),
            "target topic '" + Remote(orders_) + "' has 2 partitions; source partition " + orders_ + "-3 needs at least 4");
}

TEST_P(MirrorTaskTest, InvalidConfigsAreRejectedBeforeAnythingStarts) {
  CreateTopic(orders_, 1);
  MirrorTaskConfig no_policy = Config(FromLogStart(orders_, 1));
  no_policy.policy = nullptr;
  EXPECT_EQ(MirrorTask::Start(no_policy, nullptr).error().code(), ErrorCode::kInvalidConfig);
  EXPECT_EQ(MirrorTask::Start(Config({}), nullptr).error().code(), ErrorCode::kInvalidConfig);
  MirrorTaskConfig bad_offset = Config({{{orders_, 0}, -7}});
  EXPECT_EQ(MirrorTask::Start(bad_offset, nullptr).error().code(), ErrorCode::kInvalidConfig);
  MirrorTaskConfig bad_client = Config(FromLogStart(orders_, 1));
  bad_client.target_producer["acks"] = "most";
  auto task = MirrorTask::Start(bad_client, nullptr);
  ASSERT_FALSE(task.ok());
  EXPECT_NE(task.error().message().find("'acks'"), std::string::npos) << task.error().message();
}

TEST_F(MirrorTaskOnRealKafkaTest, CommittedTransactionsAreCopiedAbortedOnesAndMarkersAreGapsTheMapTranslatesExactly) {
  CreateTopic(orders_, 1);
  const TopicPartition tp{orders_, 0};
  Produce(source(), orders_, 0, MakeRecords(0, 20));  // plain records first
  ProduceTransactions(source(), tp, {{MakeRecords(100, 30), true},
                           {MakeRecords(200, 15), false},  // aborted: never copied
                           {MakeRecords(300, 1), true},
                           {MakeRecords(400, 7), false},
                           {MakeRecords(500, 5), false},
                           {MakeRecords(600, 25), true}});
  const std::vector<Record> committed = Read(source(), tp);  // read_committed: aborted records left out
  ASSERT_EQ(committed.size(), 20u + 30 + 1 + 25);
  ASSERT_GT(source().WatermarksOf(tp).high, committed.back().offset + 1) << "the log should end in a marker";
  OffsetMap map;
  auto task = Start(Config(FromLogStart(orders_, 1)), &map);
  ASSERT_NE(task, nullptr);
  WaitCopied(*task, static_cast<int64_t>(committed.size()));
  // Records produced after the transactions continue the same map.
  Produce(source(), orders_, 0, MakeRecords(700, 10));
  WaitCopied(*task, static_cast<int64_t>(committed.size()) + 10);
  task->Stop();
  ExpectExactCopy(tp, map);
  ExpectEveryOffsetTranslates(tp, map);
  // Runs of consecutive copied offsets: 0-49 (plain records, then the first transaction), 67, 83-107
  // and 109-118; each gap (markers, aborted records) ends one.
  EXPECT_EQ(task->Stats().offset_syncs, 4);
}

TEST_F(MirrorTaskOnRealKafkaTest, ACompactedTopicAfterCleaningIsCopiedWithItsHolesAndTranslatedExactly) {
  // Small segments and an eager cleaner, so compaction happens within seconds.
  ASSERT_TRUE(source()
                  .CreateTopic(orders_, 1,
                               {{"cleanup.policy", "compact"},
                                {"segment.ms", "100"},
                                {"min.cleanable.dirty.ratio", "0.01"},
                                {"delete.retention.ms", "100"},
                                {"min.compaction.lag.ms", "0"}})
                  .ok());
  ASSERT_TRUE(target().CreateTopic(Remote(orders_), 1).ok());
  const TopicPartition tp{orders_, 0};
  // Every fourth record has a key of its own and survives; the others share 20 keys written over and
  // over, and all but the last of each go: the survivors are spread out, with holes between them.
  // Writes keep going so segments roll.
  int64_t seq = 0;
  auto write_round = [&] {
    std::vector<Record> round = MakeRecords(seq, 40);
    for (Record& r : round) {
      r.key = seq % 4 == 0 ? "own-" + std::to_string(seq) : "key-" + std::to_string(seq % 20);
      ++seq;
      if (!r.value) r.value = "";  // tombstones would vanish after delete.retention.ms: keep values
    }
    Produce(source(), orders_, 0, round);
  };
  const bool compacted = WaitFor(
      [&] {
        write_round();
        std::this_thread::sleep_for(milliseconds(150));
        const int64_t end = source().WatermarksOf(tp).high;
        return static_cast<int64_t>(Read(source(), tp).size()) < end / 2;
      },
      seconds(90));
  ASSERT_TRUE(compacted) << "the cleaner did not compact " << orders_;
  const std::vector<Record> survivors = Read(source(), tp);
  OffsetMap map;
  auto task = Start(Config(FromLogStart(orders_, 1)), &map);
  ASSERT_NE(task, nullptr);
  WaitCopied(*task, static_cast<int64_t>(survivors.size()));
  task->Stop();
  // The cleaner may have gone on meanwhile: compare against what the task read, the survivors.
  const std::vector<Record> tgt = Read(target(), {Remote(orders_), 0});
  auto verified = kafka::VerifyMirrored(tp, survivors, tgt);
  ASSERT_TRUE(verified.ok()) << verified.error().ToString();
  size_t next = 0;
  for (int64_t offset = survivors.front().offset; offset <= survivors.back().offset + 1; ++offset) {
    while (next < survivors.size() && survivors[next].offset < offset) ++next;
    const int64_t expected = next < survivors.size() ? tgt[next].offset : tgt.back().offset + 1;
    ASSERT_EQ(map.Translate(tp, SourceOffset(offset)), TargetOffset(expected)) << tp << " source offset " << offset;
  }
  EXPECT_GT(task->Stats().offset_syncs, 10) << "the holes between survivors start new runs";
  std::cout << "[ report   ] compacted source: " << survivors.size() << " records left of "
            << survivors.back().offset + 1 << ", " << task->Stats().offset_syncs << " offset syncs\n";
}

// A source cluster of three nodes: the node leading partitions stops mid-stream (controlled shutdown,
// leadership moves to the other replicas) and comes back while producers keep writing.
class MirrorTaskFailoverOnRealKafkaTest : public MirrorTaskFixture {
 protected:
  MirrorTaskFailoverOnRealKafkaTest() : MirrorTaskFixture(ferry::testing::Peer::kRealKafka) {}
};

TEST_F(MirrorTaskFailoverOnRealKafkaTest, SourceLeadersMoveMidStreamAndNothingIsLostOrCopiedTwice) {
  auto trio = ferry::testing::LaunchedKafka::Start(ferry::testing::UniqueName("trio"), 3);
  ASSERT_TRUE(trio.ok()) << trio.error().ToString();
  ferry::testing::TestCluster& source3 = (*trio)->cluster();
  constexpr int kPartitions = 3;
  ASSERT_TRUE(source3.CreateTopic(orders_, kPartitions).ok());  // 3 replicas, min.insync.replicas=2
  ASSERT_TRUE(target().CreateTopic(Remote(orders_), kPartitions).ok());
  for (int p = 0; p < kPartitions; ++p) Produce(source3, orders_, p, MakeRecords(p * 100000, 1000));
  MirrorTaskConfig config = Config(FromLogStart(orders_, kPartitions));
  config.source_consumer["bootstrap.servers"] = source3.bootstrap_servers();
  OffsetMap map;
  auto task = Start(config, &map);
  ASSERT_NE(task, nullptr);
  WaitCopied(*task, kPartitions * 1000);
  std::atomic<bool> writing{true};
  std::atomic<int64_t> written{kPartitions * 1000};
  std::thread writer([&] {
    for (int64_t round = 1; writing && round < 200; ++round) {
      for (int p = 0; p < kPartitions; ++p) Produce(source3, orders_, p, MakeRecords(p * 100000 + round * 100 + 900, 100));
      written += kPartitions * 100;
    }
  });
  ASSERT_TRUE((*trio)->StopNode(1).ok());
  std::this_thread::sleep_for(seconds(3));
  ASSERT_TRUE((*trio)->StartNode(1).ok());
  std::this_thread::sleep_for(seconds(2));
  writing = false;
  writer.join();
  WaitCopied(*task, written);
  task->Stop();
  EXPECT_EQ(task->Stats().records, written.load()) << "no record copied twice";
  for (int p = 0; p < kPartitions; ++p) {
    const TopicPartition tp{orders_, p};
    const std::vector<Record> src = Read(source3, tp);
    const std::vector<Record> tgt = Read(target(), {Remote(orders_), p});
    auto verified = kafka::VerifyMirrored(tp, src, tgt);
    ASSERT_TRUE(verified.ok()) << verified.error().ToString();
    for (size_t i = 0; i < src.size(); ++i) {
      ASSERT_EQ(map.Translate(tp, SourceOffset(src[i].offset)), TargetOffset(tgt[i].offset)) << tp << " " << i;
    }
  }
  std::cout << "[ report   ] " << written.load() << " records mirrored across a source leader move\n";
}

}  // namespace
}  // namespace ferry::tasks
