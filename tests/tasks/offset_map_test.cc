// The exact offset map, fed the way a mirror task feeds it. The mock cluster writes no transaction
// markers and never compacts, so the gaps here come from FakeRecordSource: a source log with the
// holes markers, compaction and retention leave, "copied" to a target that numbers records
// consecutively. Every source offset (and, back from the target, every target offset) is then
// checked against the truth.
#include "tasks/offset_map.h"

#include <map>
#include <optional>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "tasks/offset_sync_emitter.h"
#include "tasks/offset_sync_schedule.h"

namespace ferry::tasks {
namespace {

const TopicPartition kOrders0{"orders", 0};
const TopicPartition kOrders1{"orders", 1};

// Records every sync and progress call, in order.
class RecordingSink : public OffsetSyncSink {
 public:
  void OnOffsetSync(const OffsetSync& sync) override { syncs.push_back(sync); }
  void OnCopied(const TopicPartition&, SourceOffset s, TargetOffset t) override { copied.push_back({s, t}); }
  std::vector<OffsetSync> syncs;
  std::vector<std::pair<SourceOffset, TargetOffset>> copied;
};

// A source partition's record offsets, with gaps.
class FakeRecordSource {
 public:
  // Offsets [start, end) minus those `is_gap` marks.
  FakeRecordSource(int64_t start, int64_t end, const std::function<bool(int64_t)>& is_gap) {
    for (int64_t o = start; o < end; ++o) {
      if (!is_gap(o)) offsets_.push_back(o);
    }
  }
  const std::vector<int64_t>& offsets() const { return offsets_; }

  // Mirrors records [from_index, to_index) to a target whose next offset is `*next_target`.
  void CopyTo(OffsetSyncEmitter& emitter, size_t from_index, size_t to_index, int64_t* next_target) const {
    for (size_t i = from_index; i < to_index; ++i) {
      emitter.OnAcked(kOrders0, SourceOffset(offsets_[i]), TargetOffset((*next_target)++));
    }
    emitter.Flush();
  }

 private:
  std::vector<int64_t> offsets_;
};

// The truth: the target offset of the first record at or after `c`, given where each record landed.
std::optional<TargetOffset> Truth(const std::vector<int64_t>& source, const std::vector<int64_t>& target,
                                  int64_t copied_up_to_source, int64_t next_target, int64_t c) {
  if (source.empty() || c < source.front() || c > copied_up_to_source) return std::nullopt;
  for (size_t i = 0; i < source.size(); ++i) {
    if (source[i] >= c) return TargetOffset(target[i]);
  }
  return TargetOffset(next_target);
}

// The truth the other way: the source offset of the first copy at or after target offset `t`.
std::optional<SourceOffset> TruthBack(const std::vector<int64_t>& source, const std::vector<int64_t>& target,
                                      int64_t copied_up_to_source, int64_t next_target, int64_t t) {
  if (target.empty() || t < target.front() || t > next_target) return std::nullopt;
  for (size_t i = 0; i < target.size(); ++i) {
    if (target[i] >= t) return SourceOffset(source[i]);
  }
  return SourceOffset(copied_up_to_source);
}

TEST(OffsetSyncEmitterTest, SyncsAtFirstRecordAndAtEveryDeltaChange) {
  RecordingSink sink;
  OffsetSyncEmitter emitter(sink);
  emitter.OnAcked(kOrders0, SourceOffset(100), TargetOffset(40));
  emitter.OnAcked(kOrders0, SourceOffset(101), TargetOffset(41));
  emitter.OnAcked(kOrders0, SourceOffset(104), TargetOffset(42));  // 102, 103: markers
  emitter.OnAcked(kOrders0, SourceOffset(105), TargetOffset(43));
  emitter.Flush();
  ASSERT_EQ(sink.syncs.size(), 2u);
  EXPECT_EQ(sink.syncs[0], (OffsetSync{kOrders0, SourceOffset(100), TargetOffset(40), true}));
  EXPECT_EQ(sink.syncs[1], (OffsetSync{kOrders0, SourceOffset(104), TargetOffset(42), true}));
  // Progress once per flush, not per record, and where a run ends before the next one starts.
  ASSERT_EQ(sink.copied.size(), 2u);
  EXPECT_EQ(sink.copied[0], std::make_pair(SourceOffset(102), TargetOffset(42)));
  EXPECT_EQ(sink.copied[1], std::make_pair(SourceOffset(106), TargetOffset(44)));
  EXPECT_EQ(emitter.syncs_emitted(), 2);
}

TEST(OffsetSyncEmitterTest, PartitionsAreIndependent) {
  RecordingSink sink;
  OffsetSyncEmitter emitter(sink);
  const TopicPartition orders1{"orders", 1};
  emitter.OnAcked(kOrders0, SourceOffset(0), TargetOffset(0));
  emitter.OnAcked(orders1, SourceOffset(0), TargetOffset(5));
  emitter.OnAcked(kOrders0, SourceOffset(1), TargetOffset(1));
  emitter.OnAcked(orders1, SourceOffset(1), TargetOffset(6));
  EXPECT_EQ(sink.syncs.size(), 2u);
}

TEST(OffsetMapTest, GapMapsToTheFirstRecordAfterIt) {
  OffsetMap map;
  map.OnOffsetSync({kOrders0, SourceOffset(100), TargetOffset(40), true});  // 100..109 copied to 40..49
  map.OnCopied(kOrders0, SourceOffset(110), TargetOffset(50));
  map.OnOffsetSync({kOrders0, SourceOffset(112), TargetOffset(50), true});  // 110, 111 were markers
  map.OnCopied(kOrders0, SourceOffset(120), TargetOffset(58));
  EXPECT_EQ(map.Translate(kOrders0, SourceOffset(100)), TargetOffset(40));
  EXPECT_EQ(map.Translate(kOrders0, SourceOffset(105)), TargetOffset(45));
  EXPECT_EQ(map.Translate(kOrders0, SourceOffset(110)), TargetOffset(50));
  EXPECT_EQ(map.Translate(kOrders0, SourceOffset(111)), TargetOffset(50));
  EXPECT_EQ(map.Translate(kOrders0, SourceOffset(112)), TargetOffset(50));
  EXPECT_EQ(map.Translate(kOrders0, SourceOffset(119)), TargetOffset(57));
  EXPECT_EQ(map.Translate(kOrders0, SourceOffset(120)), TargetOffset(58));  // the next record lands here
  EXPECT_EQ(map.Translate(kOrders0, SourceOffset(121)), std::nullopt);    // not copied yet
  EXPECT_EQ(map.Translate(kOrders0, SourceOffset(99)), std::nullopt);     // before the map
  EXPECT_EQ(map.Translate({"orders", 1}, SourceOffset(100)), std::nullopt);  // unknown partition
}

TEST(OffsetMapTest, RecopiedRecordsReplaceTheOldCopies) {
  // A task copied 0..9 to 0..9, acknowledged, but a restart resumed from the committed position 6:
  // records 6..9 are copied again to 10..13. A consumer at 7 must resume at the new copy.
  OffsetMap map;
  map.OnOffsetSync({kOrders0, SourceOffset(0), TargetOffset(0), true});
  map.OnCopied(kOrders0, SourceOffset(10), TargetOffset(10));
  map.OnOffsetSync({kOrders0, SourceOffset(6), TargetOffset(10), true});
  map.OnCopied(kOrders0, SourceOffset(10), TargetOffset(14));
  EXPECT_EQ(map.Translate(kOrders0, SourceOffset(5)), TargetOffset(5));
  EXPECT_EQ(map.Translate(kOrders0, SourceOffset(6)), TargetOffset(10));
  EXPECT_EQ(map.Translate(kOrders0, SourceOffset(9)), TargetOffset(13));
  EXPECT_EQ(map.Translate(kOrders0, SourceOffset(10)), TargetOffset(14));
  EXPECT_EQ(map.sync_count(kOrders0), 2u);
  // Back from the target: the new copies map one for one; the old copies of 6..9 (target 6..9) are
  // no longer claimed, so a group there goes back to the first record copied again (6): it may read
  // again what it read as an old copy, but it never skips a record.
  EXPECT_EQ(map.TranslateBack(kOrders0, TargetOffset(5)), SourceOffset(5));
  EXPECT_EQ(map.TranslateBack(kOrders0, TargetOffset(6)), SourceOffset(6));
  EXPECT_EQ(map.TranslateBack(kOrders0, TargetOffset(9)), SourceOffset(6));
  // Such a group read old copies of 6..8 and reads 6..8 again: not exact, and the answer says so.
  EXPECT_EQ(map.Backward(kOrders0, TargetOffset(9))->inexact, OffsetMap::Inexact::kReadAgain);
  EXPECT_TRUE(map.Backward(kOrders0, TargetOffset(6))->exact()) << "right after the last copy of 0..5";
  EXPECT_EQ(map.TranslateBack(kOrders0, TargetOffset(10)), SourceOffset(6));
  EXPECT_EQ(map.TranslateBack(kOrders0, TargetOffset(13)), SourceOffset(9));
  EXPECT_EQ(map.TranslateBack(kOrders0, TargetOffset(14)), SourceOffset(10));
  EXPECT_EQ(map.TranslateBack(kOrders0, TargetOffset(15)), std::nullopt);  // not a copy (yet)
}

TEST(OffsetMapTest, TranslateBackIsTheInverseOnCopiesAndRespectsGaps) {
  OffsetMap map;
  map.OnOffsetSync({kOrders0, SourceOffset(100), TargetOffset(40), true});  // 100..109 -> 40..49
  map.OnCopied(kOrders0, SourceOffset(110), TargetOffset(50));
  map.OnOffsetSync({kOrders0, SourceOffset(112), TargetOffset(50), true});  // 110, 111 were markers
  map.OnCopied(kOrders0, SourceOffset(120), TargetOffset(58));
  EXPECT_EQ(map.TranslateBack(kOrders0, TargetOffset(39)), std::nullopt);  // on the target before the mirror
  EXPECT_EQ(map.TranslateBack(kOrders0, TargetOffset(40)), SourceOffset(100));
  EXPECT_EQ(map.TranslateBack(kOrders0, TargetOffset(49)), SourceOffset(109));
  EXPECT_EQ(map.TranslateBack(kOrders0, TargetOffset(50)), SourceOffset(112));
  EXPECT_EQ(map.TranslateBack(kOrders0, TargetOffset(58)), SourceOffset(120));  // the copied-up-to point
  EXPECT_EQ(map.TranslateBack(kOrders0, TargetOffset(59)), std::nullopt);
  EXPECT_EQ(map.TranslateBack({"orders", 1}, TargetOffset(40)), std::nullopt);
  const auto covered = map.Covered(kOrders0);
  ASSERT_TRUE(covered.has_value());
  EXPECT_EQ(covered->first_source, SourceOffset(100));
  EXPECT_EQ(covered->first_target, TargetOffset(40));
  EXPECT_EQ(covered->next_source, SourceOffset(120));
  EXPECT_EQ(covered->next_target, TargetOffset(58));
  EXPECT_FALSE(map.Covered({"orders", 1}).has_value());
}

// A task stored position 10 (the commit marker after records 0..9) while it had already copied the
// next transaction, 11..20, to 10..19. It crashed and resumed at 10: 11..20 were copied again, to
// 20..29. A group that committed 10 on the source must resume at 20, the newest copy of 11; at 10 it
// would read 11..20 twice. The run 0..9 ends where its writer reported, so 10 is a gap.
TEST(OffsetMapTest, ARestartFromAGapPositionResumesAtTheNewestCopyOfTheNextRecord) {
  OffsetMap map;
  map.OnSyncRead({kOrders0, SourceOffset(0), TargetOffset(0), true});
  map.OnSyncRead({kOrders0, SourceOffset(9), TargetOffset(9), true});    // run end, before the next run
  map.OnSyncRead({kOrders0, SourceOffset(11), TargetOffset(10), true});  // 10 is a marker
  map.OnSyncRead({kOrders0, SourceOffset(15), TargetOffset(14), true});  // a lag sync; then the crash
  map.OnSyncRead({kOrders0, SourceOffset(11), TargetOffset(20), true});  // the restart's first copy
  map.OnSyncRead({kOrders0, SourceOffset(20), TargetOffset(29), true});  // its commit
  EXPECT_EQ(map.Translate(kOrders0, SourceOffset(9)), TargetOffset(9));
  EXPECT_EQ(map.Translate(kOrders0, SourceOffset(10)), TargetOffset(20));
  EXPECT_EQ(map.Translate(kOrders0, SourceOffset(11)), TargetOffset(20));
  EXPECT_EQ(map.Translate(kOrders0, SourceOffset(20)), TargetOffset(29));
  EXPECT_EQ(map.Translate(kOrders0, SourceOffset(21)), TargetOffset(30));
  EXPECT_EQ(map.TranslateBack(kOrders0, TargetOffset(12)), SourceOffset(11)) << "an old copy: back to the newest";
}

// MM2's syncs say nothing of where a run ends, and MM2 coalesces syncs, so a run's start may be
// missing: past a run's last sync the map answers as MM2 does (one past the last synced copy, never
// beyond the true position) and says that it is not exact. At and between synced records with one
// delta it is exact. Back from the target the same: one past the last synced source record.
TEST(OffsetMapTest, MM2SyncsPastARunsLastSyncTranslateConservativelyAndSaySo) {
  OffsetMap mm2;
  // 0..99 -> 0..99 (syncs at 0 and 99); then records 100..149 with a gap MM2's coalescing lost the
  // sync of; then a run from 150 -> 140.
  for (const auto& [s, t] : std::vector<std::pair<int, int>>{{0, 0}, {99, 99}, {150, 140}, {160, 150}}) {
    mm2.OnSyncRead({kOrders0, SourceOffset(s), TargetOffset(t), false});
  }
  using T = OffsetMap::Translated<TargetOffset>;
  EXPECT_EQ(mm2.Forward(kOrders0, SourceOffset(50)), (T{TargetOffset(50)}));
  EXPECT_EQ(mm2.Forward(kOrders0, SourceOffset(99)), (T{TargetOffset(99)}));
  EXPECT_EQ(mm2.Forward(kOrders0, SourceOffset(120)), (T{TargetOffset(100), OffsetMap::Inexact::kRunEndUnsaid}));
  EXPECT_EQ(mm2.Forward(kOrders0, SourceOffset(150)), (T{TargetOffset(140)}));
  EXPECT_EQ(mm2.Forward(kOrders0, SourceOffset(161)), (T{TargetOffset(151)}));
  using S = OffsetMap::Translated<SourceOffset>;
  EXPECT_EQ(mm2.Backward(kOrders0, TargetOffset(99)), (S{SourceOffset(99)}));
  EXPECT_EQ(mm2.Backward(kOrders0, TargetOffset(120)), (S{SourceOffset(100), OffsetMap::Inexact::kRunEndUnsaid}));
  EXPECT_EQ(mm2.Backward(kOrders0, TargetOffset(145)), (S{SourceOffset(155)}));
  // The same stretch written by Ferry, which reports run ends: 100..149 is a gap, answered exactly.
  OffsetMap ferry;
  for (const auto& [s, t] : std::vector<std::pair<int, int>>{{0, 0}, {99, 99}, {150, 100}, {160, 110}}) {
    ferry.OnSyncRead({kOrders0, SourceOffset(s), TargetOffset(t), true});
  }
  EXPECT_EQ(ferry.Forward(kOrders0, SourceOffset(120)), (T{TargetOffset(100)}));
}

// A mirror of a source with gaps, as the syncs topic tells it: restarts from the last stored position
// (a task stores a position only once the syncs covering it are written), syncs written after the
// last commit lost at a crash, records copied again. Every source offset must translate to the newest
// copy of the first record at or after it, and every newest copy back to its source record.
//
// Some mirrors also get a stale sync: one of an earlier incarnation's syncs arrives again after a
// later incarnation took over (a task that went on writing after another started). Then every answer
// is the truth or a refusal (kTwoWriters), never a wrong offset.
// How the syncs topic is read back: as written; compacted by a cleaner that has removed some of the
// records a later one with the same key superseded (the last of every key always stays); or compacted
// with only a few run slots, so that runs share keys and some are gone entirely.
enum class Compaction { kNone, kCompacted, kCompactedFewSlots };

// The syncs topic after `compaction`, each sync with whether records before it were removed since
// the previous one (one source partition, as the store tells the map).
std::vector<std::pair<OffsetSync, bool>> ReadBack(const std::vector<OffsetSync>& topic, Compaction compaction,
                                                  std::mt19937& random) {
  std::vector<std::pair<OffsetSync, bool>> read;
  const int64_t slots = compaction == Compaction::kCompactedFewSlots ? 3 : kRunSlots;
  std::map<uint32_t, size_t> last_of_key;
  for (size_t i = 0; i < topic.size(); ++i) last_of_key[RunSlot(topic[i], slots)] = i;
  bool skipped = false;
  for (size_t i = 0; i < topic.size(); ++i) {
    if (compaction != Compaction::kNone && last_of_key[RunSlot(topic[i], slots)] != i && random() % 2 == 0) {
      skipped = true;
      continue;
    }
    read.emplace_back(topic[i], skipped);
    skipped = false;
  }
  return read;
}

// Random mirrors (gaps, restarts from stored positions, syncs lost at crashes, records copied twice,
// and in half of them a stale sync of an earlier writer after a takeover), their syncs written by
// OffsetSyncSchedule and read back as written and compacted: every answer is the brute-force truth,
// or refused. A refusal is allowed only for two writers, and for a history compaction cut short by
// reusing run slots; with every run in a slot of its own, compaction loses nothing.
TEST(OffsetMapTest, RandomMirrorsWithGapsRestartsLostSyncsAndCompactionTranslateLikeTheBruteForceTruth) {
  std::map<Compaction, int> refused, removed;
  for (uint32_t seed = 1; seed <= 200; ++seed) {
    std::mt19937 random(seed);
    auto chance = [&](int percent) { return static_cast<int>(random() % 100) < percent; };
    // The source: offsets 0..599 with markers, compacted stretches and aborted transactions.
    std::vector<int64_t> records;
    for (int64_t o = 0; o < 600; ++o) {
      if (chance(12)) continue;
      if (chance(2)) o += 1 + static_cast<int64_t>(random() % 20);
      records.push_back(o);
    }
    // The syncs topic as OffsetSyncWriter writes it, fed by the emitter of each task incarnation.
    std::vector<OffsetSync> topic;
    size_t committed = 0;  // syncs [0, committed) were written before the last commit returned
    std::optional<OffsetSync> last_written;
    const int64_t lag_max = std::vector<int64_t>{3, 10, 1000}[random() % 3];
    std::map<int64_t, int64_t> newest;  // source record -> target offset of its newest copy
    size_t stored = 0;                  // index of the record a restart resumes at
    int64_t next_target = static_cast<int64_t>(random() % 50);
    const bool stale_sync = seed % 2 == 0;
    bool injected = false;
    for (int incarnation = 0; incarnation < 5 && stored < records.size(); ++incarnation) {
      // A task stores the offset after the last record it copied; a first start says none.
      std::map<TopicPartition, int64_t> resumed_at;
      if (stored > 0) resumed_at[kOrders0] = records[stored - 1] + 1;
      OffsetSyncSchedule schedule(
          "task-0@" + std::to_string(incarnation), lag_max,
          [&](const OffsetSync& sync) {
            topic.push_back(sync);
            last_written = sync;
            return true;
          },
          resumed_at);
      OffsetSyncEmitter emitter(schedule);
      size_t i = stored;
      const size_t until = std::min(records.size(), i + 1 + random() % 200);
      for (; i < until; ++i) {
        newest[records[i]] = next_target;
        emitter.OnAcked(kOrders0, SourceOffset(records[i]), TargetOffset(next_target++));
        if (chance(5)) emitter.Flush();
        if (chance(3)) {  // an offset commit: syncs written, then the position stored
          emitter.Flush();
          schedule.Commit();
          committed = topic.size();
          stored = i + 1;
        }
      }
      emitter.Flush();
      if (stale_sync && incarnation > 0 && !injected && chance(50)) {
        // A sync of an earlier writer, written again after this one took over.
        std::vector<OffsetSync> earlier;
        for (const OffsetSync& sync : topic) {
          if (sync.writer != "task-0@" + std::to_string(incarnation)) earlier.push_back(sync);
        }
        if (!earlier.empty()) {
          topic.push_back(earlier[random() % earlier.size()]);
          committed = topic.size();
          injected = true;
        }
      }
      if (incarnation == 4 || until == records.size() || chance(30)) {  // a clean stop
        schedule.Commit();
        committed = topic.size();
        stored = until;
      } else {  // a crash: syncs after the last commit may be lost (the last incarnation stops cleanly)
        topic.resize(committed + random() % (topic.size() - committed + 1));
      }
    }
    if (topic.empty()) continue;
    // The last incarnation's last sync: what the mirror copied up to, as its syncs say.
    const int64_t copied_up_to = last_written->source_offset.value + 1;
    const int64_t copied_up_to_target = last_written->target_offset.value + 1;
    for (Compaction compaction : {Compaction::kNone, Compaction::kCompacted, Compaction::kCompactedFewSlots}) {
      OffsetMap map;
      const auto read = ReadBack(topic, compaction, random);
      removed[compaction] += static_cast<int>(topic.size() - read.size());
      for (const auto& [sync, skipped] : read) map.OnSyncRead(sync, skipped);
      const std::string where = "seed " + std::to_string(seed) + ", compaction " + std::to_string(static_cast<int>(compaction));
      auto refusal_allowed = [&](OffsetMap::Inexact inexact) {
        return (inexact == OffsetMap::Inexact::kTwoWriters && injected);
      };
      // No answer at all: runs lost to a shared slot, or a stale sync's run that compaction moved
      // past the runs that followed it (the chain of runs then breaks, and the older history with it).
      const bool history_may_break =
          compaction == Compaction::kCompactedFewSlots || (compaction == Compaction::kCompacted && injected);
      for (int64_t c = records.front(); c <= copied_up_to; ++c) {
        auto first = newest.lower_bound(c);
        const TargetOffset truth = first == newest.end() || first->first >= copied_up_to
                                       ? TargetOffset(copied_up_to_target)
                                       : TargetOffset(first->second);
        auto answer = map.Forward(kOrders0, SourceOffset(c));
        if (!answer && history_may_break) {
          ASSERT_FALSE(map.Covered(kOrders0)->complete_history) << where << ", source offset " << c;
          ++refused[compaction];
          continue;
        }
        ASSERT_TRUE(answer) << where << ", source offset " << c;
        if (refusal_allowed(answer->inexact)) {
          ++refused[compaction];
          continue;
        }
        ASSERT_EQ(*answer, OffsetMap::Translated<TargetOffset>{truth}) << where << ", source offset " << c;
      }
      for (const auto& [s, t] : newest) {
        if (s >= copied_up_to) break;
        auto answer = map.Backward(kOrders0, TargetOffset(t));
        if (!answer && history_may_break) continue;
        ASSERT_TRUE(answer) << where << ", target " << t;
        if (refusal_allowed(answer->inexact)) continue;
        ASSERT_EQ(*answer, OffsetMap::Translated<SourceOffset>{SourceOffset(s)}) << where << ", target " << t;
      }
    }
  }
  EXPECT_GT(refused[Compaction::kNone], 0) << "no stale sync was ever refused: the test does not exercise two writers";
  EXPECT_GT(removed[Compaction::kCompacted], 1000) << "compaction removed too little to matter";
  EXPECT_GT(refused[Compaction::kCompactedFewSlots], refused[Compaction::kCompacted])
      << "no run was ever lost to a shared slot: the test does not exercise the refusal";
}

// Writer A copied 0..49 (syncs 0->0 and 49->49), B took over at a stored position, 30, and copied
// 30..59 to 50..79. Then A, still running, wrote a sync (60 -> 80) after B's: both have been writing
// the target at once, so from B's start on nothing translates, and A's late sync erases nothing of
// B's runs. C's restart at 40 (copies 40.. to 100..) ends the contested stretch there.
TEST(OffsetMapTest, AStaleSyncOfAReplacedWriterRefusesTheStretchTwoWritersCopied) {
  using T = OffsetMap::Translated<TargetOffset>;
  OffsetMap map;
  map.OnSyncRead({kOrders0, SourceOffset(0), TargetOffset(0), true, "A"});
  map.OnSyncRead({kOrders0, SourceOffset(49), TargetOffset(49), true, "A"});
  map.OnSyncRead({kOrders0, SourceOffset(30), TargetOffset(50), true, "B"});  // a restart: a re-copy
  map.OnSyncRead({kOrders0, SourceOffset(59), TargetOffset(79), true, "B"});
  EXPECT_EQ(map.Forward(kOrders0, SourceOffset(40)), (T{TargetOffset(60)}));
  map.OnSyncRead({kOrders0, SourceOffset(60), TargetOffset(80), true, "A"});  // stale: A was replaced
  EXPECT_EQ(map.Forward(kOrders0, SourceOffset(29)), (T{TargetOffset(29)})) << "before B's start: A's alone";
  EXPECT_EQ(map.Forward(kOrders0, SourceOffset(30))->inexact, OffsetMap::Inexact::kTwoWriters);
  EXPECT_EQ(map.Forward(kOrders0, SourceOffset(60))->inexact, OffsetMap::Inexact::kTwoWriters);
  EXPECT_EQ(map.Backward(kOrders0, TargetOffset(60))->inexact, OffsetMap::Inexact::kTwoWriters);
  EXPECT_EQ(map.Covered(kOrders0)->next_source, SourceOffset(60)) << "A's late sync moved nothing";
  EXPECT_EQ(map.Covered(kOrders0)->contested_from, 30);
  // A new writer's restart: its copies from 40 on are the newest, alone on the target after A and B stopped.
  map.OnSyncRead({kOrders0, SourceOffset(40), TargetOffset(100), true, "C"});
  map.OnSyncRead({kOrders0, SourceOffset(69), TargetOffset(129), true, "C"});
  EXPECT_EQ(map.Forward(kOrders0, SourceOffset(35))->inexact, OffsetMap::Inexact::kTwoWriters);
  EXPECT_EQ(map.Forward(kOrders0, SourceOffset(40)), (T{TargetOffset(100)}));
  EXPECT_EQ(map.Forward(kOrders0, SourceOffset(70)), (T{TargetOffset(130)}));
  EXPECT_EQ(map.Covered(kOrders0)->contested_until, 40);
  // B was replaced too: a late sync of B's contests again from C's start.
  map.OnSyncRead({kOrders0, SourceOffset(59), TargetOffset(79), true, "B"});
  EXPECT_EQ(map.Forward(kOrders0, SourceOffset(70))->inexact, OffsetMap::Inexact::kTwoWriters);
  EXPECT_EQ(map.Forward(kOrders0, SourceOffset(29)), (T{TargetOffset(29)}));
}

// MM2 and Ferry swapped both ways: MM2's syncs name no writer, so MM2 back after Ferry is a
// takeover (its backward sync a re-copy); a Ferry task still writing after MM2 took over is a
// second writer.
TEST(OffsetMapTest, MM2BackAfterFerryIsATakeoverAndAFerryTaskStillWritingAfterItIsASecondWriter) {
  OffsetMap map;
  map.OnSyncRead({kOrders0, SourceOffset(0), TargetOffset(0), false});
  map.OnSyncRead({kOrders0, SourceOffset(20), TargetOffset(20), true, "ferry@1"});
  map.OnSyncRead({kOrders0, SourceOffset(30), TargetOffset(30), true, "ferry@1"});
  EXPECT_TRUE(map.Forward(kOrders0, SourceOffset(25))->exact());
  map.OnSyncRead({kOrders0, SourceOffset(25), TargetOffset(31), false});  // MM2 again, from 25
  EXPECT_EQ(map.Forward(kOrders0, SourceOffset(25)), (OffsetMap::Translated<TargetOffset>{TargetOffset(31)}));
  map.OnSyncRead({kOrders0, SourceOffset(31), TargetOffset(32), true, "ferry@1"});  // Ferry's task had not stopped
  EXPECT_EQ(map.Forward(kOrders0, SourceOffset(25))->inexact, OffsetMap::Inexact::kTwoWriters);
  EXPECT_EQ(map.Forward(kOrders0, SourceOffset(20)), (OffsetMap::Translated<TargetOffset>{TargetOffset(20)}));
}

// A syncs topic whose older records are gone (compacted: only the last sync of each partition
// survives below the cleaner's point): the first sync read is not the first copy.
TEST(OffsetMapTest, APartitionFirstReadAfterSkippedSyncsSaysItsHistoryIsIncomplete) {
  OffsetMap map;
  map.OnSyncRead({kOrders0, SourceOffset(500), TargetOffset(480), true}, /*syncs_skipped=*/true);
  map.OnSyncRead({kOrders1, SourceOffset(0), TargetOffset(0), true}, /*syncs_skipped=*/false);
  EXPECT_FALSE(map.Covered(kOrders0)->complete_history);
  EXPECT_TRUE(map.Covered(kOrders1)->complete_history);
  EXPECT_EQ(map.Forward(kOrders0, SourceOffset(400)), std::nullopt);
  EXPECT_EQ(map.Translate(kOrders0, SourceOffset(501)), TargetOffset(481));
}

// One of Ferry's syncs: (s -> t) of writer `writer`'s run starting at `run`, after its run
// [previous, previous_end).
OffsetSync RunSync(int64_t s, int64_t t, const std::string& writer, int64_t run, int64_t previous = -1,
                   int64_t previous_end = -1, int64_t resumed_at = -1) {
  OffsetSync sync{kOrders0, SourceOffset(s), TargetOffset(t), true, writer};
  sync.run_start = run;
  sync.previous_run = previous;
  sync.previous_run_end = previous_end;
  sync.resumed_at = resumed_at;
  return sync;
}

// A compacted syncs topic keeps the last sync of each of Ferry's runs (their keys differ): runs
// 0..9 -> 0..9, 12..19 -> 10..17 and, after a restart from 15, 15..29 -> 18..32, read from one
// sync each, translate as if every sync were there.
TEST(OffsetMapTest, FerrysRunsReadFromTheirLastSyncsAloneTranslateExactly) {
  using T = OffsetMap::Translated<TargetOffset>;
  OffsetMap map;
  map.OnSyncRead(RunSync(9, 9, "A", 0), /*syncs_skipped=*/true);
  map.OnSyncRead(RunSync(19, 17, "A", 12, 0, 10), true);
  map.OnSyncRead(RunSync(29, 32, "B", 15, -1, -1, /*resumed_at=*/15), true);
  EXPECT_EQ(map.Forward(kOrders0, SourceOffset(0)), (T{TargetOffset(0)}));
  EXPECT_EQ(map.Forward(kOrders0, SourceOffset(5)), (T{TargetOffset(5)}));
  EXPECT_EQ(map.Forward(kOrders0, SourceOffset(10)), (T{TargetOffset(10)})) << "the gap before run 12";
  EXPECT_EQ(map.Forward(kOrders0, SourceOffset(14)), (T{TargetOffset(12)}));
  EXPECT_EQ(map.Forward(kOrders0, SourceOffset(15)), (T{TargetOffset(18)})) << "B's copy, the newest";
  EXPECT_EQ(map.Forward(kOrders0, SourceOffset(30)), (T{TargetOffset(33)}));
  EXPECT_EQ(map.TranslateBack(kOrders0, TargetOffset(12)), SourceOffset(14));
  EXPECT_FALSE(map.Covered(kOrders0)->complete_history) << "syncs before the first one read were skipped";
}

// The next run of a writer says where its previous run ended: a compacted topic that kept an early
// sync of that run (its last one shared a slot with a later run) loses nothing.
TEST(OffsetMapTest, TheNextRunOfAWriterSaysWhereItsPreviousRunEnded) {
  OffsetMap map;
  map.OnSyncRead(RunSync(3, 3, "A", 0));  // run 0..19 -> 0..19; its syncs after 3 are gone
  map.OnSyncRead(RunSync(25, 20, "A", 25, 0, 20), true);
  EXPECT_EQ(map.Translate(kOrders0, SourceOffset(19)), TargetOffset(19));
  EXPECT_EQ(map.Translate(kOrders0, SourceOffset(20)), TargetOffset(20)) << "the gap 20..24";
  EXPECT_TRUE(map.Covered(kOrders0)->complete_history);
}

// Runs gone entirely (their slots reused): the chain from each run to the writer's previous one
// breaks, or a takeover resumes past where the replaced writer's syncs reached. What lies before is
// dropped and refused, never answered from the runs on either side.
TEST(OffsetMapTest, RunsGoneFromACompactedTopicRefuseTheHistoryBeforeThem) {
  {
    OffsetMap map;
    map.OnSyncRead(RunSync(9, 9, "A", 0));
    map.OnSyncRead(RunSync(39, 29, "A", 30, 20, 28), true);  // run 20..27 is gone
    EXPECT_EQ(map.Forward(kOrders0, SourceOffset(5)), std::nullopt);
    EXPECT_EQ(map.Forward(kOrders0, SourceOffset(22)), std::nullopt) << "not the copy of 30";
    EXPECT_EQ(map.Translate(kOrders0, SourceOffset(30)), TargetOffset(20));
    EXPECT_FALSE(map.Covered(kOrders0)->complete_history);
  }
  {
    OffsetMap map;
    map.OnSyncRead(RunSync(9, 9, "A", 0));  // A copied on to 19, stored 20; its last syncs are gone
    map.OnSyncRead(RunSync(25, 20, "B", 25, -1, -1, /*resumed_at=*/20), true);
    EXPECT_EQ(map.Forward(kOrders0, SourceOffset(15)), std::nullopt) << "not the copy of 25";
    EXPECT_FALSE(map.Covered(kOrders0)->complete_history);
  }
  {
    OffsetMap map;  // the same with records 10..24 absent from the source: B resumed at 10
    map.OnSyncRead(RunSync(9, 9, "A", 0));
    map.OnSyncRead(RunSync(25, 10, "B", 25, -1, -1, /*resumed_at=*/10));
    EXPECT_EQ(map.Translate(kOrders0, SourceOffset(5)), TargetOffset(5));
    EXPECT_EQ(map.Translate(kOrders0, SourceOffset(12)), TargetOffset(10));
    EXPECT_TRUE(map.Covered(kOrders0)->complete_history);
  }
  {
    OffsetMap map;  // MM2's syncs share a key per partition: one read after a skip may follow lost ones
    map.OnSyncRead({kOrders0, SourceOffset(0), TargetOffset(0), false});
    map.OnSyncRead({kOrders0, SourceOffset(50), TargetOffset(40), false}, true);
    EXPECT_EQ(map.Forward(kOrders0, SourceOffset(20)), std::nullopt);
    EXPECT_EQ(map.Translate(kOrders0, SourceOffset(50)), TargetOffset(40));
  }
}

// Compaction may keep only a stale writer's last sync, after the syncs of the writer that took
// over: its run's first copy lies below copies already read, which no takeover does.
TEST(OffsetMapTest, AStaleWritersRunMovedByCompactionPastATakeoverIsASecondWriter) {
  OffsetMap map;
  map.OnSyncRead(RunSync(59, 79, "B", 30, -1, -1, 30), true);  // B: 30..59 -> 50..79
  map.OnSyncRead(RunSync(60, 80, "A", 0), true);               // A: 0.. -> 20..: began before B
  EXPECT_EQ(map.Forward(kOrders0, SourceOffset(40))->inexact, OffsetMap::Inexact::kTwoWriters);
  EXPECT_EQ(map.Forward(kOrders0, SourceOffset(59))->inexact, OffsetMap::Inexact::kTwoWriters);
  EXPECT_EQ(map.Forward(kOrders0, SourceOffset(10)), std::nullopt) << "below the first run read";
}

// The source topic deleted and made again (new topic ID, offsets reused): writer A copied the old
// topic's 0..99 to 0..99 under ID "old"; B, started after, resumes at the stored 100 on the new topic
// and copies its 100..129 to 100..129 under ID "new". The old copies never answer for the new topic,
// and syncs naming no ID (MM2's) keep the ID read before.
TEST(OffsetMapTest, ASyncOfANewTopicIdDropsTheHistoryOfTheTopicsEarlierIncarnation) {
  auto with_id = [](OffsetSync sync, const std::string& id) {
    sync.topic_id = id;
    return sync;
  };
  OffsetMap map;
  map.OnSyncRead(with_id(RunSync(0, 0, "A", 0), "old"));
  map.OnSyncRead(with_id(RunSync(99, 99, "A", 0), "old"));
  EXPECT_EQ(map.Translate(kOrders0, SourceOffset(50)), TargetOffset(50));
  EXPECT_EQ(map.Covered(kOrders0)->topic_id, "old");
  map.OnSyncRead(with_id(RunSync(100, 100, "B", 100, -1, -1, /*resumed_at=*/100), "new"));
  map.OnSyncRead(with_id(RunSync(129, 129, "B", 100), "new"));
  EXPECT_EQ(map.Forward(kOrders0, SourceOffset(50)), std::nullopt) << "the old topic's copy of 50";
  EXPECT_EQ(map.TranslateBack(kOrders0, TargetOffset(50)), std::nullopt);
  EXPECT_EQ(map.Translate(kOrders0, SourceOffset(110)), TargetOffset(110));
  const auto covered = map.Covered(kOrders0);
  ASSERT_TRUE(covered);
  EXPECT_EQ(covered->topic_id, "new");
  EXPECT_EQ(covered->first_source, SourceOffset(100));
  EXPECT_EQ(covered->next_source, SourceOffset(130));
  EXPECT_TRUE(covered->complete_history) << "nothing of the new topic was missed: its first copy is 100";
  // A sync of the replaced writer, still on the old ID, is a second writer, not a third incarnation.
  map.OnSyncRead(with_id(RunSync(120, 140, "A", 0), "old"));
  EXPECT_EQ(map.Forward(kOrders0, SourceOffset(125))->inexact, OffsetMap::Inexact::kTwoWriters);
  EXPECT_EQ(map.Covered(kOrders0)->topic_id, "new");

  OffsetMap mixed;  // Ferry's syncs with an ID, then MM2's (none): the ID stays, the history too
  mixed.OnSyncRead(with_id(RunSync(9, 9, "A", 0), "old"));
  mixed.OnSyncRead({kOrders0, SourceOffset(10), TargetOffset(10), false});
  EXPECT_EQ(mixed.Covered(kOrders0)->topic_id, "old");
  EXPECT_EQ(mixed.Translate(kOrders0, SourceOffset(5)), TargetOffset(5));
  OffsetMap none;  // syncs naming no ID: none to compare
  none.OnSyncRead(RunSync(9, 9, "A", 0));
  EXPECT_EQ(none.Covered(kOrders0)->topic_id, "");
}

// Records 10..19 were deleted before the mirror copied them (skipped under ferry.skip.lost.records):
// a group at 12 resumes at the copy of 20, and the answer names 12..19 as lost.
TEST(OffsetMapTest, AGroupInsideARangeSkippedAsLostIsToldWhatItLoses) {
  OffsetMap map;
  map.OnSyncRead({kOrders0, SourceOffset(0), TargetOffset(0), true});
  map.OnSyncRead({kOrders0, SourceOffset(9), TargetOffset(9), true});
  OffsetSync after{kOrders0, SourceOffset(20), TargetOffset(10), true};
  after.lost_from = 10;
  after.lost_to = 20;
  map.OnSyncRead(after);
  auto answer = map.Forward(kOrders0, SourceOffset(12));
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->offset, TargetOffset(10));
  EXPECT_TRUE(answer->exact());
  EXPECT_EQ(answer->lost_from, 12);
  EXPECT_EQ(answer->lost_to, 20);
  EXPECT_EQ(map.Forward(kOrders0, SourceOffset(9))->lost_from, -1);
}

struct GapCase {
  const char* name;
  int64_t log_start;
  int64_t target_base;  // records already on the target partition
  std::function<bool(int64_t)> is_gap;
  friend void PrintTo(const GapCase& c, std::ostream* os) { *os << c.name; }
};

class OffsetMapWithFakeRecordSourceTest : public ::testing::TestWithParam<GapCase> {};

TEST_P(OffsetMapWithFakeRecordSourceTest, EveryOffsetTranslatesExactly) {
  const GapCase& c = GetParam();
  FakeRecordSource source(c.log_start, c.log_start + 5000, c.is_gap);
  const auto& offsets = source.offsets();
  OffsetMap map;
  OffsetSyncEmitter emitter(map);
  int64_t next_target = c.target_base;
  std::vector<int64_t> landed;
  // Copy in a few slices, checking the whole range after each, as a live mirror would be observed.
  const size_t slices[] = {0, offsets.size() / 3, offsets.size() / 2, offsets.size()};
  for (size_t s = 0; s + 1 < std::size(slices); ++s) {
    for (size_t i = slices[s]; i < slices[s + 1]; ++i) landed.push_back(next_target + static_cast<int64_t>(i - slices[s]));
    source.CopyTo(emitter, slices[s], slices[s + 1], &next_target);
    const std::vector<int64_t> copied(offsets.begin(), offsets.begin() + static_cast<long>(slices[s + 1]));
    const int64_t copied_up_to = copied.empty() ? -1 : copied.back() + 1;
    for (int64_t o = c.log_start - 2; o < c.log_start + 5002; ++o) {
      ASSERT_EQ(map.Translate(kOrders0, SourceOffset(o)), Truth(copied, landed, copied_up_to, next_target, o))
          << c.name << ": source offset " << o << " after slice " << s;
    }
    for (int64_t t = c.target_base - 2; t < next_target + 2; ++t) {
      const auto back = map.TranslateBack(kOrders0, TargetOffset(t));
      ASSERT_EQ(back, TruthBack(copied, landed, copied_up_to, next_target, t))
          << c.name << ": target offset " << t << " after slice " << s;
      // A round trip lands where it started: nothing skipped, nothing read twice.
      if (back) {
        ASSERT_EQ(map.Translate(kOrders0, *back), TargetOffset(t)) << c.name << ": target offset " << t;
      }
    }
  }
  // One sync per run: the map stays small.
  int64_t runs = 0;
  for (size_t i = 0; i < offsets.size(); ++i) runs += (i == 0 || offsets[i] != offsets[i - 1] + 1);
  EXPECT_EQ(static_cast<int64_t>(map.sync_count(kOrders0)), runs);
}

INSTANTIATE_TEST_SUITE_P(
    Gaps, OffsetMapWithFakeRecordSourceTest,
    ::testing::Values(
        GapCase{"NoGaps", 0, 0, [](int64_t) { return false; }},
        GapCase{"NonZeroDelta", 0, 1234, [](int64_t) { return false; }},
        GapCase{"LogStartMoved", 70000, 0, [](int64_t) { return false; }},
        // A commit marker after every transaction of 9 records.
        GapCase{"TransactionMarkers", 0, 17, [](int64_t o) { return o % 10 == 9; }},
        // Compaction removes runs of superseded records of varying lengths.
        GapCase{"Compaction", 300, 5,
                [](int64_t o) {
                  const int64_t h = (o * 2654435761) % 97;
                  return h < 30;
                }},
        // A long compacted stretch and an aborted transaction (markers and aborted records).
        GapCase{"LongHoles", 10, 0, [](int64_t o) { return (o >= 1000 && o < 2500) || (o >= 4000 && o < 4003); }}),
    [](const ::testing::TestParamInfo<GapCase>& info) { return std::string(info.param.name); });

// A transactional source makes a run per transaction: past the bound the oldest are forgotten, the
// history is then incomplete (older groups are refused), and the newest still translate exactly.
TEST(OffsetMapTest, PastItsBoundTheMapForgetsTheOldestRunsAndSaysSo) {
  OffsetMap map(/*max_runs_per_partition=*/3);
  // Transactions of 10 records, each followed by a marker: source 11k..11k+9 -> target 10k..10k+9.
  for (int64_t k = 0; k < 5; ++k) {
    map.OnSyncRead({kOrders0, SourceOffset(11 * k), TargetOffset(10 * k), true});
    map.OnSyncRead({kOrders0, SourceOffset(11 * k + 9), TargetOffset(10 * k + 9), true});
  }
  EXPECT_EQ(map.sync_count(kOrders0), 3u);
  EXPECT_FALSE(map.Covered(kOrders0)->complete_history);
  EXPECT_EQ(map.Covered(kOrders0)->first_source, SourceOffset(22));
  EXPECT_EQ(map.Forward(kOrders0, SourceOffset(5)), std::nullopt) << "forgotten";
  EXPECT_EQ(map.Translate(kOrders0, SourceOffset(33)), TargetOffset(30));
  EXPECT_EQ(map.Translate(kOrders0, SourceOffset(32)), TargetOffset(30)) << "a marker: the next record's copy";
  EXPECT_EQ(map.TranslateBack(kOrders0, TargetOffset(45)), SourceOffset(49));
}

}  // namespace
}  // namespace ferry::tasks
