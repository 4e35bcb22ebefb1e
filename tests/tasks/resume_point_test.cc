// ferry.resume.mode=exact decided against fake logs (FakePartitionReader): what real brokers cannot
// be made to show on demand (a foreign record mid-stretch, a compacted target, a failing read) and a
// randomized check that an exact resume, fed back through the offset map, never skips a record and
// keeps every translation exact. The real-Kafka counterpart is tests/e2e/exact_resume_real_test.cc.
#include "tasks/resume_point.h"

#include <map>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "tasks/offset_map.h"
#include "tasks/offset_sync_emitter.h"
#include "tasks/offset_sync_schedule.h"

namespace ferry::tasks {
namespace {

const TopicPartition kSource{"orders", 0};
const TopicPartition kTarget{"A.orders", 0};

kafka::Record Rec(int64_t offset, const std::string& key) {
  kafka::Record r;
  r.key = key;
  r.value = "v-" + key;
  r.timestamp = 1000 + offset;
  r.headers = {{"h", key}};
  r.offset = offset;
  return r;
}

// A partition log held in memory: records by offset (gaps allowed), and its low/high watermarks.
class FakePartitionReader : public PartitionReader {
 public:
  Result<kafka::Watermarks> Marks(const TopicPartition&) override {
    if (fail_marks) return Error::Timeout("fake: no answer");
    return kafka::Watermarks{low, high};
  }
  Result<std::vector<kafka::Record>> Read(const TopicPartition&, int64_t from, int64_t end, size_t max) override {
    ++reads;
    if (fail_reads) return Error::Timeout("fake: no answer");
    std::vector<kafka::Record> out;
    for (auto it = log.lower_bound(std::max(from, low)); it != log.end() && it->first < end && out.size() < max; ++it) {
      out.push_back(it->second);
    }
    return out;
  }
  void Append(const kafka::Record& r) {  // at the end, as a producer would
    kafka::Record copy = r;
    copy.offset = high++;
    log[copy.offset] = copy;
  }
  std::map<int64_t, kafka::Record> log;
  int64_t low = 0, high = 0;
  bool fail_reads = false, fail_marks = false;
  int reads = 0;
};

// Source 0..19 (offsets 7 and 8 are a gap: markers); the target copied all of it from 100 on; the
// last sync names source 4 -> target 104; the stored position is 3 (its copy at 103).
class ResumeFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    source.low = 0;
    for (int64_t o = 0; o < 20; ++o) {
      if (o == 7 || o == 8) continue;
      source.log[o] = Rec(o, "k" + std::to_string(o));
    }
    source.high = 20;
    target.low = target.high = 100;
    for (const auto& [o, r] : source.log) target.Append(r);
    facts.committed = 3;
    facts.synced_source = 4;
    facts.synced_target = 104;
    facts.committed_lands_at = 103;
  }
  Resume Decide(ResumeMode mode = ResumeMode::kExact, int64_t max_compare = 1000) {
    return DecideResume(mode, kSource, kTarget, facts, source, target, max_compare);
  }
  FakePartitionReader source, target;
  ResumeFacts facts;
};

TEST_F(ResumeFixture, CopiesPastTheLastSyncProvenOneForOneResumeAtTheNextSourceRecord) {
  const Resume r = Decide();
  ASSERT_EQ(r.mode, ResumeMode::kExact) << r.reason;
  EXPECT_EQ(r.next_source, 20);
  EXPECT_EQ(r.next_target, 118);
  EXPECT_EQ(r.duplicates, 0);
  EXPECT_EQ(r.compared, 14);  // 104..117
  // 5, 6 at 105, 106; the gap 7..8; 9..19 at 107..117: two runs.
  EXPECT_EQ(r.copies, (std::vector<CopyRun>{{5, 105, 2}, {9, 107, 11}}));
}

TEST_F(ResumeFixture, NothingPastTheSyncResumesRightAfterIt) {
  facts.synced_source = 19;
  facts.synced_target = 117;
  const Resume r = Decide();
  ASSERT_EQ(r.mode, ResumeMode::kExact) << r.reason;
  EXPECT_EQ(r.next_source, 20);
  EXPECT_EQ(r.next_target, 118);
  EXPECT_TRUE(r.copies.empty());
}

TEST_F(ResumeFixture, AnotherProducersRecordAtTheEndFallsBackAndCountsTheDuplicates) {
  target.Append(Rec(0, "someone-else"));
  const Resume r = Decide();
  EXPECT_EQ(r.mode, ResumeMode::kCommitted);
  EXPECT_EQ(r.next_source, 3);
  EXPECT_EQ(r.duplicates, 119 - 103);
  EXPECT_NE(r.reason.find("another producer"), std::string::npos) << r.reason;
}

TEST_F(ResumeFixture, AnotherProducersRecordMidStretchFallsBack) {
  target.log[110].value = "changed";
  const Resume r = Decide();
  EXPECT_EQ(r.mode, ResumeMode::kCommitted);
  EXPECT_NE(r.reason.find("A.orders-0@110 is not a copy of orders-0@12"), std::string::npos) << r.reason;
}

TEST_F(ResumeFixture, DifferentHeadersOrTimestampFallBack) {
  target.log[106].timestamp += 1;
  EXPECT_EQ(Decide().mode, ResumeMode::kCommitted);
  target.log[106].timestamp -= 1;
  target.log[106].headers.push_back({"extra", std::nullopt});
  EXPECT_EQ(Decide().mode, ResumeMode::kCommitted);
}

TEST_F(ResumeFixture, ATargetRecordCompactedAwayFallsBack) {
  target.log.erase(108);
  const Resume r = Decide();
  EXPECT_EQ(r.mode, ResumeMode::kCommitted);
  EXPECT_NE(r.reason.find("hold no record"), std::string::npos) << r.reason;
}

TEST_F(ResumeFixture, TheSyncedCopyDeletedByRetentionFallsBack) {
  target.low = 105;
  EXPECT_EQ(Decide().mode, ResumeMode::kCommitted);
}

TEST_F(ResumeFixture, TheSyncedSourceRecordGoneFallsBack) {
  source.log.erase(4);  // compacted
  EXPECT_EQ(Decide().mode, ResumeMode::kCommitted);
  source.low = 5;  // deleted
  EXPECT_EQ(Decide().mode, ResumeMode::kCommitted);
}

TEST_F(ResumeFixture, NoSyncTwoWritersOrSyncsBelowTheStoredPositionFallBack) {
  ResumeFacts saved = facts;
  facts.synced_source = facts.synced_target = -1;
  EXPECT_EQ(Decide().mode, ResumeMode::kCommitted);
  facts = saved;
  facts.contested = true;
  EXPECT_EQ(Decide().mode, ResumeMode::kCommitted);
  facts = saved;
  facts.committed = 10;  // stored past what the syncs show: a sync lost
  facts.committed_lands_at = -1;
  const Resume r = Decide();
  EXPECT_EQ(r.mode, ResumeMode::kCommitted);
  EXPECT_EQ(r.next_source, 10);
  EXPECT_EQ(r.duplicates, -1);
}

TEST_F(ResumeFixture, MoreThanMaxCompareFallsBackWithoutReading) {
  const Resume r = Decide(ResumeMode::kExact, 12);
  EXPECT_EQ(r.mode, ResumeMode::kCommitted);
  EXPECT_EQ(source.reads + target.reads, 0);
  EXPECT_EQ(Decide(ResumeMode::kExact, 13).mode, ResumeMode::kExact);
}

TEST_F(ResumeFixture, AFailingReadFallsBack) {
  target.fail_reads = true;
  EXPECT_EQ(Decide().mode, ResumeMode::kCommitted);
  target.fail_reads = false;
  source.fail_marks = true;
  EXPECT_EQ(Decide().mode, ResumeMode::kCommitted);
}

TEST_F(ResumeFixture, CommittedModeReadsNothing) {
  const Resume r = Decide(ResumeMode::kCommitted);
  EXPECT_EQ(r.mode, ResumeMode::kCommitted);
  EXPECT_EQ(r.next_source, 3);
  EXPECT_EQ(source.reads + target.reads, 0);
}

TEST(ResumeModeTest, ParsesTheTwoModes) {
  EXPECT_EQ(*ParseResumeMode(""), ResumeMode::kCommitted);
  EXPECT_EQ(*ParseResumeMode("committed"), ResumeMode::kCommitted);
  EXPECT_EQ(*ParseResumeMode("exact"), ResumeMode::kExact);
  EXPECT_FALSE(ParseResumeMode("EXACT").ok());
}

// Random mirrors: a source with gaps, task incarnations that crash after copying past their last
// offset commit (the syncs after it partly lost, the copies all on the target), sometimes a record
// of another producer on the target between two incarnations. Each restart decides as the task does
// (the map read back from the syncs), primes its emitter with the proven copies as MirrorTask does,
// and resumes there. Then: an exact resume never skipped a record (the target holds every source
// record, and twice only where a fallback said it would copy again), and every source offset
// translates through the map to the first record at or after it, at its newest copy.
TEST(ResumePropertyTest, ExactResumesNeverSkipAndKeepTheMapExact) {
  int exact = 0, fallbacks = 0;
  for (uint32_t seed = 1; seed <= 150; ++seed) {
    std::mt19937 random(seed);
    auto chance = [&](int percent) { return static_cast<int>(random() % 100) < percent; };
    FakePartitionReader source, target;
    std::vector<int64_t> records;
    for (int64_t o = 0; o < 400; ++o) {
      if (chance(10)) continue;
      records.push_back(o);
      source.log[o] = Rec(o, "k" + std::to_string(o));
    }
    source.high = 400;
    target.low = target.high = static_cast<int64_t>(random() % 30);
    std::vector<OffsetSync> topic;  // the syncs topic
    size_t committed_syncs = 0;
    int64_t stored = -1;  // the stored next source offset
    std::map<int64_t, int64_t> newest;  // source offset -> its newest copy
    int64_t duplicates_said = 0, duplicates_seen = 0;
    bool duplicates_unknown = false;
    const int64_t lag_max = std::vector<int64_t>{3, 10, 1000}[random() % 3];
    for (int incarnation = 0; incarnation < 6; ++incarnation) {
      OffsetMap map;
      for (const OffsetSync& s : topic) map.OnSyncRead(s);
      ResumeFacts facts;
      facts.committed = stored;
      if (auto covered = map.Covered(kSource)) {
        facts.synced_source = covered->next_source.value - 1;
        facts.synced_target = covered->next_target.value - 1;
        facts.contested = covered->contested_from >= 0;
      }
      if (stored >= 0) {
        auto lands = map.Forward(kSource, SourceOffset(stored));
        if (lands && lands->exact()) facts.committed_lands_at = lands->offset.value;
      }
      const Resume r = DecideResume(ResumeMode::kExact, kSource, kTarget, facts, source, target, 1000);
      std::map<TopicPartition, int64_t> resumed_at;
      if (stored >= 0) resumed_at[kSource] = stored;
      if (stored < 0 && r.mode == ResumeMode::kExact) resumed_at[kSource] = r.synced_next_source;  // as MirrorSourceTask
      OffsetSyncSchedule schedule("task-0@" + std::to_string(incarnation), lag_max,
                                  [&](const OffsetSync& s) { topic.push_back(s); return true; }, resumed_at);
      OffsetSyncEmitter emitter(schedule);
      int64_t next = stored >= 0 ? stored : 0;
      if (r.mode == ResumeMode::kExact) {
        ++exact;
        ASSERT_GE(r.next_source, std::max<int64_t>(stored, 0)) << "seed " << seed;
        // Every source record below the resume point past the stored one has a copy on the target.
        for (int64_t s : records) {
          if (s >= std::max<int64_t>(stored, 0) && s < r.next_source) {
            ASSERT_TRUE(newest.count(s)) << "seed " << seed << " skips " << s;
          }
        }
        for (const CopyRun& run : r.copies) {
          emitter.OnAcked(kSource, SourceOffset(run.source), TargetOffset(run.target));
          if (run.count > 1) emitter.OnAcked(kSource, SourceOffset(run.source + run.count - 1), TargetOffset(run.target + run.count - 1));
        }
        emitter.Flush();
        next = r.next_source;
      } else {
        ++fallbacks;
        if (r.duplicates > 0) duplicates_said += r.duplicates;
        if (r.duplicates < 0 && !newest.empty()) duplicates_unknown = true;
      }
      // Copy from `next` on, some records; offset commits now and then; then a crash or a clean stop.
      auto it = std::lower_bound(records.begin(), records.end(), next);
      const size_t count = 1 + random() % 80;
      int64_t last_copied = -1;
      for (size_t i = 0; i < count && it != records.end(); ++i, ++it) {
        last_copied = *it;
        if (newest.count(*it)) ++duplicates_seen;
        newest[*it] = target.high;
        target.Append(source.log[*it]);
        emitter.OnAcked(kSource, SourceOffset(*it), TargetOffset(target.high - 1));
        if (chance(10)) {
          emitter.Flush();
          schedule.Commit();
          committed_syncs = topic.size();
          stored = *it + 1;
        }
      }
      emitter.Flush();
      if (chance(20)) {
        schedule.Commit();
        committed_syncs = topic.size();
        if (last_copied >= 0) stored = last_copied + 1;
      } else {
        topic.resize(committed_syncs + random() % (topic.size() - committed_syncs + 1));
      }
      if (chance(15)) {  // another producer writes the target
        target.Append(Rec(0, "foreign"));
      }
    }
    // Nothing skipped: every source record up to the last one copied has a copy.
    if (newest.empty()) continue;
    for (int64_t s : records) {
      if (s > newest.rbegin()->first) break;
      ASSERT_TRUE(newest.count(s)) << "seed " << seed << ": source record " << s << " was never copied";
    }
    // Records were copied again only after fallbacks, and no more than they said.
    if (!duplicates_unknown) {
      EXPECT_LE(duplicates_seen, duplicates_said) << "seed " << seed;
    }
    // The map: every source offset up to the last sync translates to its record's newest copy.
    OffsetMap map;
    for (const OffsetSync& s : topic) map.OnSyncRead(s);
    auto covered = map.Covered(kSource);
    if (!covered) continue;
    EXPECT_TRUE(covered->complete_history) << "seed " << seed << ": a resume made the map drop its history";
    for (int64_t c = covered->first_source.value; c < covered->next_source.value; ++c) {
      auto answer = map.Forward(kSource, SourceOffset(c));
      ASSERT_TRUE(answer) << "seed " << seed << ", source offset " << c;
      if (!answer->exact()) continue;  // a foreign record makes a stretch contested at most
      auto first = newest.lower_bound(c);
      ASSERT_NE(first, newest.end());
      ASSERT_EQ(answer->offset.value, first->second) << "seed " << seed << ", source offset " << c;
    }
  }
  EXPECT_GT(exact, 200) << "too few exact resumes to mean anything";
  EXPECT_GT(fallbacks, 50) << "too few fallbacks to mean anything";
}

}  // namespace
}  // namespace ferry::tasks
