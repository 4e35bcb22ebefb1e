// VerifyPartition end to end: records written to a source and a target cluster, the target copy laid
// out as a mirror would have written it (after unrelated records, copied twice after a restart, or
// deliberately damaged), the translation taken from a real tasks::OffsetMap fed with offset syncs, and
// the verification read back through real consumers. On both peers (the mock and real Kafka); on real
// Kafka the source log start is moved by DeleteRecords, on the mock by overfilling its retention.
// No test here has gaps in the source log (the mock cannot write markers or compact).
#include "worker/cutover/verify.h"

#include <thread>

#include <gtest/gtest.h>

#include "tasks/offset_map.h"
#include "tests/support/two_clusters.h"
#include "worker/kafka/client.h"

namespace ferry::cutover {
namespace {

using ferry::testing::MakeRecords;
using kafka::Record;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr int64_t kCount = 300;     // source records
constexpr int64_t kUnrelated = 50;  // records on the target before the mirror: the offset delta
constexpr char kEmptySha256[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

class VerifyFixture : public ferry::testing::TwoClustersTest {
 protected:
  explicit VerifyFixture(ferry::testing::Peer peer = ferry::testing::Peer::kMock)
      : TwoClustersTest(peer), kSource{Name("orders"), 0}, kTarget{"A." + kSource.topic, 0} {}

  // A plain name on the mock, a UniqueName() on the shared real clusters.
  std::string Name(const std::string& base) const { return real_kafka() ? ferry::testing::UniqueName(base) : base; }

  const TopicPartition kSource;
  const TopicPartition kTarget;

  void SetUp() override {
    TwoClustersTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_TRUE(source().CreateTopic(kSource.topic, 1, Keep()).ok());
    ASSERT_TRUE(target().CreateTopic(kTarget.topic, 1, Keep()).ok());
  }

  // MakeRecords stamps records in 2020: a real broker's time retention (7 days) would delete them at
  // its next check (every 5 minutes), mid-test. Its topics here keep them.
  Properties Keep() const { return real_kafka() ? Properties{{"retention.ms", "-1"}} : Properties{}; }

  // A fetch with no data waits fetch.wait.max.ms on the mock; keep the end-of-partition wait short.
  static Properties Consumer(const testing::TestCluster& cluster) {
    return {{"bootstrap.servers", cluster.bootstrap_servers()}, {"fetch.wait.max.ms", "50"}};
  }

  // The source holds kCount records; `target_topic` holds kUnrelated unrelated records, then `copy`;
  // map_ says source offset s landed at s + kUnrelated for every s < kCount.
  void WriteSourceAndCopy(const std::vector<Record>& copy, std::string target_topic = "") {
    if (target_topic.empty()) target_topic = kTarget.topic;
    ASSERT_NO_FATAL_FAILURE(Produce(source(), kSource.topic, 0, source_records_));
    ASSERT_NO_FATAL_FAILURE(Produce(target(), target_topic, 0, MakeRecords(100000, kUnrelated)));
    ASSERT_NO_FATAL_FAILURE(Produce(target(), target_topic, 0, copy));
    map_.OnOffsetSync({kSource, SourceOffset(0), TargetOffset(kUnrelated)});
    map_.OnCopied(kSource, SourceOffset(kCount), TargetOffset(kUnrelated + kCount));
  }

  PartitionTranslator FromMap() {
    return [this](SourceOffset s) { return map_.Translate(kSource, s); };
  }

  Result<PartitionVerification> Verify(int64_t start, int64_t end, const std::string& target_topic = "",
                                       milliseconds timeout = seconds(30)) {
    VerifyRequest request{kSource, {target_topic.empty() ? kTarget.topic : target_topic, 0}, start, end, FromMap()};
    return VerifyPartition(Consumer(source()), Consumer(target()), request, timeout);
  }

  const std::vector<Record> source_records_ = MakeRecords(0, kCount);
  tasks::OffsetMap map_;
};

using VerifyTest = ferry::testing::OnPeers<VerifyFixture>;
FERRY_INSTANTIATE_ON_PEERS(VerifyTest);

TEST_P(VerifyTest, IdenticalCopyAfterUnrelatedRecordsIsOkWithEqualDigests) {
  ASSERT_NO_FATAL_FAILURE(WriteSourceAndCopy(source_records_));
  auto whole = Verify(0, kCount);
  ASSERT_TRUE(whole.ok()) << whole.error().ToString();
  EXPECT_TRUE(whole->ok());
  EXPECT_FALSE(whole->first_mismatch.has_value());
  EXPECT_EQ(whole->records, kCount);
  EXPECT_EQ(whole->source_digest, whole->target_digest);
  EXPECT_EQ(whole->source_digest.size(), 64u);
  EXPECT_NE(whole->source_digest, kEmptySha256);
  EXPECT_EQ(whole->target_start, kUnrelated);
  EXPECT_EQ(whole->target_end, kUnrelated + kCount);

  // A sub-range digests only its own records.
  auto part = Verify(100, 200);
  ASSERT_TRUE(part.ok()) << part.error().ToString();
  EXPECT_TRUE(part->ok());
  EXPECT_EQ(part->records, 100);
  EXPECT_EQ(part->target_start, 100 + kUnrelated);
  EXPECT_EQ(part->target_end, 200 + kUnrelated);
  EXPECT_NE(part->source_digest, whole->source_digest);
}

TEST_P(VerifyTest, StretchCopiedTwiceAfterARestartIsSkippedNotReported) {
  // The mirror copied 0..199, crashed, restarted from committed position 150 and copied 150..299 again:
  // target 250..299 hold the first, unclaimed copies of 150..199.
  ASSERT_NO_FATAL_FAILURE(Produce(source(), kSource.topic, 0, source_records_));
  ASSERT_NO_FATAL_FAILURE(Produce(target(), kTarget.topic, 0, MakeRecords(100000, kUnrelated)));
  const auto first = source_records_.begin();
  ASSERT_NO_FATAL_FAILURE(Produce(target(), kTarget.topic, 0, {first, first + 200}));
  ASSERT_NO_FATAL_FAILURE(Produce(target(), kTarget.topic, 0, {first + 150, source_records_.end()}));
  map_.OnOffsetSync({kSource, SourceOffset(0), TargetOffset(kUnrelated)});
  map_.OnCopied(kSource, SourceOffset(200), TargetOffset(kUnrelated + 200));
  map_.OnOffsetSync({kSource, SourceOffset(150), TargetOffset(kUnrelated + 200)});
  map_.OnCopied(kSource, SourceOffset(kCount), TargetOffset(kUnrelated + 200 + 150));

  auto verified = Verify(0, kCount);
  ASSERT_TRUE(verified.ok()) << verified.error().ToString();
  EXPECT_TRUE(verified->ok()) << (verified->first_mismatch ? verified->first_mismatch->what : "digests differ");
  EXPECT_EQ(verified->records, kCount);
  EXPECT_EQ(verified->target_start, kUnrelated);
  EXPECT_EQ(verified->target_end, kUnrelated + 350);
}

TEST_P(VerifyTest, CorruptedValueIsReportedAtItsSourceAndTargetOffsets) {
  constexpr int64_t k = 124;
  std::vector<Record> copy = source_records_;
  ASSERT_TRUE(copy[k].value.has_value() && !copy[k].value->empty());
  (*copy[k].value)[0] ^= 0x20;
  ASSERT_NO_FATAL_FAILURE(WriteSourceAndCopy(copy));

  auto verified = Verify(0, kCount);
  ASSERT_TRUE(verified.ok()) << verified.error().ToString();
  EXPECT_FALSE(verified->ok());
  ASSERT_TRUE(verified->first_mismatch.has_value());
  EXPECT_EQ(verified->first_mismatch->source_offset, k);
  EXPECT_EQ(verified->first_mismatch->target_offset, k + kUnrelated);
  EXPECT_EQ(verified->first_mismatch->what, "value differs");
  EXPECT_NE(verified->source_digest, verified->target_digest);
  EXPECT_EQ(verified->records, kCount) << "the scan goes on to the end of the range";

  // The ranges on either side of the damaged record are intact.
  auto before = Verify(0, k);
  ASSERT_TRUE(before.ok()) << before.error().ToString();
  EXPECT_TRUE(before->ok());
  auto after = Verify(k + 1, kCount);
  ASSERT_TRUE(after.ok()) << after.error().ToString();
  EXPECT_TRUE(after->ok());
}

TEST_P(VerifyTest, RecordMissingFromTheCopyIsReportedAtTheFirstDifferingOffset) {
  // The copy lost record k, yet the map claims one-for-one: from k on, each target record holds the
  // copy of the next source record.
  constexpr int64_t k = 77;
  std::vector<Record> copy = source_records_;
  copy.erase(copy.begin() + k);
  ASSERT_NO_FATAL_FAILURE(WriteSourceAndCopy(copy));

  auto verified = Verify(0, kCount);
  ASSERT_TRUE(verified.ok()) << verified.error().ToString();
  EXPECT_FALSE(verified->ok());
  ASSERT_TRUE(verified->first_mismatch.has_value());
  EXPECT_EQ(verified->first_mismatch->source_offset, k);
  EXPECT_EQ(verified->first_mismatch->target_offset, k + kUnrelated);
  EXPECT_EQ(verified->first_mismatch->what, "key differs");
  EXPECT_NE(verified->source_digest, verified->target_digest);
}

TEST_P(VerifyTest, CopyEndingEarlyReportsTheFirstSourceRecordMissingOnTheTarget) {
  constexpr int64_t kCopied = 290;  // the map claims all 300
  ASSERT_NO_FATAL_FAILURE(WriteSourceAndCopy({source_records_.begin(), source_records_.begin() + kCopied}));

  auto verified = Verify(0, kCount);
  ASSERT_TRUE(verified.ok()) << verified.error().ToString();
  EXPECT_FALSE(verified->ok());
  ASSERT_TRUE(verified->first_mismatch.has_value());
  EXPECT_EQ(verified->first_mismatch->source_offset, kCopied);
  EXPECT_EQ(verified->first_mismatch->target_offset, -1);
  EXPECT_EQ(verified->first_mismatch->what, "missing on the target");
  EXPECT_EQ(verified->records, kCount);
  EXPECT_EQ(verified->target_end, kUnrelated + kCount);
}

TEST_P(VerifyTest, SourceRecordsBeforeTheFirstSyncAreNotTranslated) {
  ASSERT_NO_FATAL_FAILURE(Produce(source(), kSource.topic, 0, source_records_));
  ASSERT_NO_FATAL_FAILURE(Produce(target(), kTarget.topic, 0,
                                  {source_records_.begin() + 10, source_records_.end()}));
  map_.OnOffsetSync({kSource, SourceOffset(10), TargetOffset(0)});  // the mirror started at offset 10
  map_.OnCopied(kSource, SourceOffset(kCount), TargetOffset(kCount - 10));

  auto verified = Verify(0, kCount);
  ASSERT_TRUE(verified.ok()) << verified.error().ToString();
  ASSERT_TRUE(verified->first_mismatch.has_value());
  EXPECT_EQ(verified->first_mismatch->source_offset, 0);
  EXPECT_EQ(verified->first_mismatch->target_offset, -1);
  EXPECT_EQ(verified->first_mismatch->what, "not translated");

  auto copied_part = Verify(10, kCount);
  ASSERT_TRUE(copied_part.ok()) << copied_part.error().ToString();
  EXPECT_TRUE(copied_part->ok());
  EXPECT_EQ(copied_part->target_start, 0);
}

TEST_P(VerifyTest, KeyHeaderAndTimestampDifferencesAreEachDetectedAndNamed) {
  struct Case {
    std::string name;
    int64_t k;
    std::function<void(Record&)> damage;
    std::string what;
  };
  const std::vector<Case> cases = {
      {"null key became empty", 3, [](Record& r) { r.key = ""; }, "key differs"},
      {"tombstone became empty value", 5, [](Record& r) { r.value = ""; }, "value differs"},
      {"null header value became empty", 42, [](Record& r) { r.headers.at(1).value = ""; }, "headers differ"},
      {"headers reordered", 150, [](Record& r) { std::swap(r.headers.at(0), r.headers.at(2)); }, "headers differ"},
      {"header dropped", 10, [](Record& r) { r.headers.pop_back(); }, "headers differ"},
      {"header renamed", 61, [](Record& r) { r.headers.at(0).name = "Seq"; }, "headers differ"},
      {"timestamp off by one ms", 200, [](Record& r) { r.timestamp += 1; }, "timestamp differs"},
  };
  ASSERT_NO_FATAL_FAILURE(Produce(source(), kSource.topic, 0, source_records_));
  map_.OnOffsetSync({kSource, SourceOffset(0), TargetOffset(kUnrelated)});
  map_.OnCopied(kSource, SourceOffset(kCount), TargetOffset(kUnrelated + kCount));
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    SCOPED_TRACE(c.name);
    const std::string topic = kTarget.topic + "." + std::to_string(i);
    ASSERT_TRUE(target().CreateTopic(topic, 1, Keep()).ok());
    std::vector<Record> copy = source_records_;
    c.damage(copy[c.k]);
    ASSERT_FALSE(copy[c.k].SameContent(source_records_[c.k])) << "the damage must change the record";
    ASSERT_NO_FATAL_FAILURE(Produce(target(), topic, 0, MakeRecords(100000, kUnrelated)));
    ASSERT_NO_FATAL_FAILURE(Produce(target(), topic, 0, copy));

    auto verified = Verify(0, kCount, topic);
    ASSERT_TRUE(verified.ok()) << verified.error().ToString();
    EXPECT_FALSE(verified->ok());
    ASSERT_TRUE(verified->first_mismatch.has_value());
    EXPECT_EQ(verified->first_mismatch->source_offset, c.k);
    EXPECT_EQ(verified->first_mismatch->target_offset, c.k + kUnrelated);
    EXPECT_EQ(verified->first_mismatch->what, c.what);
    EXPECT_NE(verified->source_digest, verified->target_digest);
  }
}

TEST_P(VerifyTest, EmptyRangeIsOkWithNoRecords) {
  ASSERT_NO_FATAL_FAILURE(WriteSourceAndCopy(source_records_));
  for (int64_t at : {int64_t{0}, int64_t{120}, kCount}) {
    auto verified = Verify(at, at);
    ASSERT_TRUE(verified.ok()) << verified.error().ToString();
    EXPECT_TRUE(verified->ok());
    EXPECT_EQ(verified->records, 0);
    EXPECT_EQ(verified->source_digest, kEmptySha256);
    EXPECT_EQ(verified->target_digest, kEmptySha256);
    EXPECT_EQ(verified->target_start, -1);
  }
}

TEST_P(VerifyTest, RangeBeyondTheSourceHighWatermarkIsAnError) {
  ASSERT_NO_FATAL_FAILURE(WriteSourceAndCopy(source_records_));
  const auto started = std::chrono::steady_clock::now();
  auto verified = Verify(0, kCount + 1);
  ASSERT_FALSE(verified.ok());
  EXPECT_EQ(verified.error().code(), ErrorCode::kKafka);
  EXPECT_EQ(verified.error().kafka_err(), RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE);
  EXPECT_NE(verified.error().message().find(kSource.ToString()), std::string::npos) << verified.error().message();
  EXPECT_NE(verified.error().message().find("high watermark 300"), std::string::npos) << verified.error().message();
  EXPECT_LT(std::chrono::steady_clock::now() - started, seconds(10));
}

TEST_P(VerifyTest, RangeStartingBelowTheSourceLogStartIsAnError) {
  // The mock's only way to move a log start: overfill its fixed 5 MiB retention. Real Kafka's:
  // DeleteRecords.
  std::vector<Record> big = MakeRecords(0, 800, 2);
  if (!real_kafka()) {
    for (Record& r : big) r.value = std::string(10000, 'x');  // 800 x 10 kB = 8 MB
  }
  ASSERT_NO_FATAL_FAILURE(Produce(source(), kSource.topic, 0, big));
  if (real_kafka()) {
    auto deleted = source().DeleteRecordsBefore(kSource, 300);
    ASSERT_TRUE(deleted.ok()) << deleted.error().ToString();
  }
  auto rk = kafka::NewClient(RD_KAFKA_PRODUCER, {{"bootstrap.servers", source().bootstrap_servers()}});
  ASSERT_TRUE(rk.ok());
  auto marks = kafka::QueryWatermarks(rk->get(), kSource, seconds(10));
  ASSERT_TRUE(marks.ok()) << marks.error().ToString();
  ASSERT_GT(marks->low, 0) << "the mock should have dropped the oldest batches";

  auto verified = Verify(0, marks->high);
  ASSERT_FALSE(verified.ok());
  EXPECT_EQ(verified.error().kafka_err(), RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE);
  EXPECT_NE(verified.error().message().find("below the source log start " + std::to_string(marks->low)),
            std::string::npos)
      << verified.error().message();
}

TEST_P(VerifyTest, UnreachableSourceBrokersAreAnErrorWithinTheTimeout) {
  const auto started = std::chrono::steady_clock::now();
  VerifyRequest request{kSource, kTarget, 0, 10, FromMap()};
  auto verified = VerifyPartition({{"bootstrap.servers", "127.0.0.1:1"}}, Consumer(target()), request, seconds(3));
  ASSERT_FALSE(verified.ok());
  EXPECT_TRUE(verified.error().code() == ErrorCode::kKafka || verified.error().code() == ErrorCode::kTimeout)
      << verified.error().ToString();
  EXPECT_NE(verified.error().message().find("source " + kSource.ToString()), std::string::npos)
      << verified.error().message();
  EXPECT_LT(std::chrono::steady_clock::now() - started, seconds(5)) << "bounded by the 3 s timeout";
}

TEST_P(VerifyTest, DeadlinePassingMidRangeIsATimeoutSayingHowFarItGot) {
  ASSERT_NO_FATAL_FAILURE(WriteSourceAndCopy(source_records_));
  constexpr milliseconds kTimeout = seconds(5);
  // The translator stalls at source offset 100 until the deadline has passed.
  VerifyRequest request{kSource, kTarget, 0, kCount, [&](SourceOffset s) {
                          if (s.value == 100) std::this_thread::sleep_for(kTimeout + milliseconds(200));
                          return map_.Translate(kSource, s);
                        }};
  auto verified = VerifyPartition(Consumer(source()), Consumer(target()), request, kTimeout);
  ASSERT_FALSE(verified.ok());
  EXPECT_EQ(verified.error().code(), ErrorCode::kTimeout);
  EXPECT_NE(verified.error().message().find(kSource.ToString() + " -> " + kTarget.ToString()), std::string::npos)
      << verified.error().message();
  EXPECT_NE(verified.error().message().find("source reached offset 101 of [0, 300)"), std::string::npos)
      << verified.error().message();
}

TEST_P(VerifyTest, InvalidRangeIsAnError) {
  VerifyRequest request{kSource, kTarget, 20, 10, FromMap()};
  auto verified = VerifyPartition(Consumer(source()), Consumer(target()), request, seconds(5));
  ASSERT_FALSE(verified.ok());
  EXPECT_EQ(verified.error().code(), ErrorCode::kInvalidConfig);
}

}  // namespace
}  // namespace ferry::cutover
