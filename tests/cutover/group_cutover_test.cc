// The cutover decisions against fakes: FakeAdmin for group state and offsets (the 2.0.2 mock cannot
// describe groups: its DescribeGroups aborts the client), FakeProbe for record positions and
// timestamp look-ups (the mock cannot look offsets up by time, nor write the gaps that transaction
// markers and compaction leave), MemoryLog under the journal. The same code runs end to end on two
// mock clusters in tests/e2e/cutover_test.cc.
#include "worker/cutover/group_cutover.h"

#include <thread>

#include <gtest/gtest.h>

#include "tests/fakes/fake_admin.h"
#include "tests/fakes/memory_log.h"
#include "worker/memory_log.h"

namespace ferry::cutover {
namespace {

using ferry::testing::FakeAdmin;
using kafka::GroupState;
using std::chrono::milliseconds;

const TopicPartition kOrders0{"orders", 0};
const TopicPartition kOrders1{"orders", 1};
const TopicPartition kRemote0{"A.orders", 0};
const TopicPartition kRemote1{"A.orders", 1};

// A cluster's partitions as lists of record offsets with timestamps; gaps are offsets with no record.
class FakeProbe : public PartitionProbe {
 public:
  void SetRecords(const TopicPartition& tp, int64_t low, int64_t high, const std::map<int64_t, int64_t>& records) {
    partitions_[tp] = {low, high, records};
  }
  // Offsets [from, to) all hold records, timestamp = 1000 * offset.
  void SetDense(const TopicPartition& tp, int64_t from, int64_t to) {
    std::map<int64_t, int64_t> records;
    for (int64_t o = from; o < to; ++o) records[o] = 1000 * o;
    SetRecords(tp, from, to, records);
  }
  void SetTimeIndex(const TopicPartition& tp, std::map<int64_t, int64_t> time_to_offset) {
    time_index_[tp] = std::move(time_to_offset);
  }

  Result<kafka::Watermarks> Watermarks(const TopicPartition& tp) override {
    auto it = partitions_.find(tp);
    if (it == partitions_.end()) return Error::NotFound(tp.ToString() + " unknown to FakeProbe");
    return kafka::Watermarks{it->second.low, it->second.high};
  }
  Result<std::optional<RecordPosition>> FirstRecordAtOrAfter(const TopicPartition& tp, int64_t offset) override {
    auto it = partitions_.find(tp);
    if (it == partitions_.end()) return Error::NotFound(tp.ToString() + " unknown to FakeProbe");
    for (auto r = it->second.records.lower_bound(std::max(offset, it->second.low)); r != it->second.records.end(); ++r) {
      if (r->first >= it->second.high) break;
      return std::optional<RecordPosition>(RecordPosition{r->first, r->second});
    }
    return std::optional<RecordPosition>();
  }
  Result<std::optional<int64_t>> OffsetForTimestamp(const TopicPartition& tp, int64_t timestamp) override {
    auto it = time_index_.find(tp);
    if (it == time_index_.end()) return std::optional<int64_t>();
    auto at = it->second.lower_bound(timestamp);
    if (at == it->second.end()) return std::optional<int64_t>();
    return std::optional<int64_t>(at->second);
  }

 private:
  struct Partition {
    int64_t low = 0, high = 0;
    std::map<int64_t, int64_t> records;  // offset -> timestamp
  };
  std::map<TopicPartition, Partition> partitions_;
  std::map<TopicPartition, std::map<int64_t, int64_t>> time_index_;
};

// Commits only the first partition of a request, then fails: a broker failing half-way.
class HalfCommittingAdmin : public FakeAdmin {
 public:
  Result<> AlterConsumerGroupOffsets(const std::string& group, const kafka::GroupOffsets& offsets) override {
    if (!fail_next_) return FakeAdmin::AlterConsumerGroupOffsets(group, offsets);
    fail_next_ = false;
    kafka::GroupOffsets first;
    first.insert(*offsets.begin());
    FERRY_RETURN_IF_ERROR(FakeAdmin::AlterConsumerGroupOffsets(group, first));
    return Error(ErrorCode::kKafka, "alter offsets of group 'app': coordinator went away", true);
  }
  bool fail_next_ = true;
};

// The target as RdKafkaAdmin reports a group of Kafka's consumer protocol (KIP-848): DescribeGroups
// cannot see it, so the state is ListGroups' and the member count unknown.
class ConsumerProtocolGroupAdmin : public FakeAdmin {
 public:
  Result<kafka::GroupDescription> DescribeConsumerGroupState(const std::string& group) override {
    kafka::GroupDescription d{group, state_, 0, false};
    d.members_unknown = true;
    return d;
  }
  GroupState state_ = GroupState::kStable;
};

class GroupCutoverWithFakeAdminTest : public ::testing::Test {
 protected:
  void SetUp() override {
    source_.AddTopic("orders", 2);
    source_.AddTopic("unmirrored", 1);
    target_.AddTopic("A.orders", 2);
    target_.AddTopic("unmirrored", 1);
    // orders-0: source 0..999 copied to target 50..1049 (50 records were there before the mirror).
    map_.OnOffsetSync({kOrders0, SourceOffset(0), TargetOffset(50)});
    map_.OnCopied(kOrders0, SourceOffset(1000), TargetOffset(1050));
    // orders-1: the log start moved to 100 before the mirror started; 100..499 copied to 0..399.
    map_.OnOffsetSync({kOrders1, SourceOffset(100), TargetOffset(0)});
    map_.OnCopied(kOrders1, SourceOffset(500), TargetOffset(400));
    source_probe_.SetDense(kOrders0, 0, 1000);
    source_probe_.SetDense(kOrders1, 100, 500);
    target_probe_.SetDense(kRemote0, 0, 1050);
    target_probe_.SetDense(kRemote1, 0, 400);
    ASSERT_TRUE(journal_.Start(milliseconds(1000)).ok());
  }

  GroupCutover Make(kafka::Admin* target = nullptr, const tasks::OffsetMap* map = nullptr) {
    Flow flow{"mirror-a", "A", "B", std::make_shared<connectors::DefaultReplicationPolicy>(),
              [](const std::string& topic) { return topic == "orders"; }};
    if (task_states_) flow.task_states = [this] { return *task_states_; };
    if (topic_ids_) {
      flow.source_topic_ids = [this](const std::vector<std::string>& topics) {
        id_lookups_.push_back(topics);
        return *topic_ids_;
      };
    }
    return GroupCutover(std::move(flow),
                        FlowClusters{source_, target ? *target : target_, source_probe_, target_probe_},
                        map ? *map : map_,
                        [this]() -> Result<> {
                          if (on_refresh_) on_refresh_();
                          return Ok();
                        },
                        journal_);
  }

  void Commit(FakeAdmin& admin, const TopicPartition& tp, int64_t offset) {
    admin.SetCommitted("app", tp, {offset, "meta"});
  }

  FakeAdmin source_, target_;
  FakeProbe source_probe_, target_probe_;
  tasks::OffsetMap map_;
  std::function<void()> on_refresh_;
  std::optional<Result<MirrorTaskStateMap>> task_states_;  // unset: not asked
  std::optional<Flow::TopicIds> topic_ids_;                 // unset: not asked
  std::vector<std::vector<std::string>> id_lookups_;        // the topics of each look-up
  worker::MemoryLog log_;
  CutoverJournal journal_{log_};
};

TEST_F(GroupCutoverWithFakeAdminTest, CutoverCommitsExactTranslationsInOneRequestAndJournalsIt) {
  Commit(source_, kOrders0, 120);
  Commit(source_, kOrders1, 500);  // at the end: resumes at the next copy
  GroupCutover cutover = Make();
  auto plan = cutover.Plan("app", Direction::kCutover);
  ASSERT_TRUE(plan.ok()) << plan.error().ToString();
  EXPECT_TRUE(plan->ready()) << ToJson(*plan);
  EXPECT_EQ(target_.Writes(), 0) << "a plan writes nothing";

  auto report = cutover.Move("app", Direction::kCutover);
  ASSERT_TRUE(report.ok()) << report.error().ToString();
  EXPECT_EQ(report->outcome, MoveReport::Outcome::kMoved) << ToJson(*report);
  const kafka::GroupOffsets expected = {{kRemote0, {170, "meta"}}, {kRemote1, {400, "meta"}}};
  EXPECT_EQ(target_.Committed("app"), expected);
  EXPECT_EQ(target_.Calls(FakeAdmin::Op::kAlterConsumerGroupOffsets), 1) << "one commit for the whole group";
  EXPECT_EQ(source_.Writes(), 0) << "the source group is left as it was";

  auto last = journal_.Latest("app", milliseconds(1000));
  ASSERT_TRUE(last.ok() && last->has_value());
  EXPECT_EQ((*last)->state, JournalEntry::State::kDone);
  ASSERT_EQ((*last)->partitions.size(), 2u);
  EXPECT_EQ((*last)->partitions[0], (CommittedPartition{kOrders0, 120, kRemote0, 170, std::nullopt}));
  auto status = cutover.Status("app");
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->position, "target");
}

TEST_F(GroupCutoverWithFakeAdminTest, ActiveMembersOnEitherClusterBlockTheMoveAndNothingIsWritten) {
  Commit(source_, kOrders0, 120);
  source_.SetGroup("app", GroupState::kStable, 2);
  target_.SetGroup("app", GroupState::kStable, 1);
  GroupCutover cutover = Make();
  auto report = cutover.Move("app", Direction::kCutover);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->outcome, MoveReport::Outcome::kRefused);
  ASSERT_EQ(report->plan.blockers.size(), 2u) << ToJson(*report);
  EXPECT_NE(report->plan.blockers[0].find("2 active member(s) on cluster A"), std::string::npos);
  EXPECT_NE(report->plan.blockers[1].find("1 active member(s) on cluster B"), std::string::npos);
  EXPECT_EQ(target_.Writes(), 0);
  EXPECT_FALSE(journal_.Latest("app", milliseconds(1000))->has_value()) << "a refusal journals nothing";
}

TEST_F(GroupCutoverWithFakeAdminTest, AGroupStateThatCannotBeReadBlocksTheMove) {
  Commit(source_, kOrders0, 120);
  target_.FailNextCall(FakeAdmin::Op::kDescribeConsumerGroupState, Error(ErrorCode::kUnsupported, "no DescribeGroups"));
  auto plan = Make().Plan("app", Direction::kCutover);
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->blockers.size(), 1u);
  EXPECT_NE(plan->blockers[0].find("cannot tell whether group 'app' has active members on cluster B"), std::string::npos);
}

TEST_F(GroupCutoverWithFakeAdminTest, UnknownGroupIsNotFound) {
  Commit(source_, {"unmirrored", 0}, 5);  // offsets on a topic this mirror does not copy do not count
  auto plan = Make().Plan("app", Direction::kCutover);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.error().code(), ErrorCode::kNotFound);
  EXPECT_NE(plan.error().message().find("group 'app' has no committed offsets on cluster A"), std::string::npos);
}

TEST_F(GroupCutoverWithFakeAdminTest, MirrorBehindBlocksUntilItCatchesUpWithinTheWait) {
  source_probe_.SetDense(kOrders0, 0, 1200);  // 200 more records on the source, not copied yet
  Commit(source_, kOrders0, 1100);
  GroupCutover cutover = Make();
  auto refused = cutover.Move("app", Direction::kCutover);
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ(refused->outcome, MoveReport::Outcome::kRefused);
  ASSERT_EQ(refused->plan.blockers.size(), 1u);
  EXPECT_EQ(refused->plan.blockers[0],
            "orders-0: not replicated yet: the mirror has copied up to offset 1000, the group committed 1100");
  EXPECT_TRUE(refused->plan.waiting_only());

  // The mirror copies on while the move waits (each refresh copies 50 more records).
  on_refresh_ = [this] {
    const int64_t next = map_.Covered(kOrders0)->next_source.value;
    if (next < 1200) map_.OnCopied(kOrders0, SourceOffset(next + 50), TargetOffset(next + 50 + 50));
  };
  MoveOptions options;
  options.wait = milliseconds(10000);
  auto moved = cutover.Move("app", Direction::kCutover, options);
  ASSERT_TRUE(moved.ok());
  EXPECT_EQ(moved->outcome, MoveReport::Outcome::kMoved) << ToJson(*moved);
  EXPECT_EQ(target_.Committed("app").at(kRemote0).offset, 1150);
}

TEST_F(GroupCutoverWithFakeAdminTest, OnlyGapsPastTheCopiedPointTranslateExactlyWithFakeRecordSource) {
  // Offsets 1000..1002 are transaction markers: the group's consumer committed 1003, the mirror has
  // copied everything there is. (The mock writes no markers: the gaps come from FakeProbe.)
  source_probe_.SetRecords(kOrders0, 0, 1003, {{5, 5000}});
  Commit(source_, kOrders0, 1003);
  auto plan = Make().Plan("app", Direction::kCutover);
  ASSERT_TRUE(plan.ok());
  EXPECT_TRUE(plan->ready()) << ToJson(*plan);
  EXPECT_EQ(plan->partitions[0].translated, 1050);
  EXPECT_EQ(plan->partitions[0].translation, Translation::kExact);
}

TEST_F(GroupCutoverWithFakeAdminTest, AnOffsetBelowAMovedLogStartResumesAtTheFirstCopy) {
  source_probe_.SetDense(kOrders1, 100, 500);
  Commit(source_, kOrders1, 40);  // the group was far behind; 40..99 were deleted before being copied
  auto plan = Make().Plan("app", Direction::kCutover);
  ASSERT_TRUE(plan.ok());
  EXPECT_TRUE(plan->ready()) << ToJson(*plan);
  EXPECT_EQ(plan->partitions[0].translated, 0);
}

// Records below the destination's log start are gone: a group committed there would follow
// auto.offset.reset. Such a translation blocks the move, in either direction, and no wait clears it.
TEST_F(GroupCutoverWithFakeAdminTest, ATranslationBelowTheDestinationsLogStartBlocksTheMove) {
  Commit(source_, kOrders0, 120);                                    // translates to 170 on the target
  target_probe_.SetRecords(kRemote0, 200, 1050, {{200, 1}, {1049, 2}});  // 50..199 deleted there
  auto plan = Make().Plan("app", Direction::kCutover);
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->blockers.size(), 1u) << ToJson(*plan);
  EXPECT_EQ(plan->blockers[0],
            "orders-0: the translated offset 170 is below the log start 200 of A.orders-0: the records from there on "
            "were deleted, and the consumer would resume wherever auto.offset.reset says");
  EXPECT_FALSE(plan->partitions[0].waiting);
  // Back: the group on the target at 400 of A.orders-1 translates to source 500; the source's log
  // start moved past it.
  Commit(target_, kRemote1, 300);  // source 400
  source_probe_.SetRecords(kOrders1, 450, 500, {{450, 1}});
  auto back = Make().Plan("app", Direction::kRollback);
  ASSERT_TRUE(back.ok());
  bool found = false;
  for (const std::string& b : back->blockers) found |= b.find("below the log start 450 of orders-1") != std::string::npos;
  EXPECT_TRUE(found) << ToJson(*back);
}

// Offset syncs MM2 wrote do not say where a run ends (and MM2 coalesces syncs): a group committed
// past a run's last sync translates as MM2 would, one past that copy, marked approximate; the move
// needs allow_approximate, and the note says why.
TEST_F(GroupCutoverWithFakeAdminTest, PastTheLastSyncOfAnMM2RunTheTranslationIsApproximateAndMustBeAllowed) {
  tasks::OffsetMap mm2;
  for (const auto& [s, t] : std::vector<std::pair<int, int>>{{0, 50}, {99, 149}, {200, 240}, {999, 1039}}) {
    mm2.OnSyncRead({kOrders0, SourceOffset(s), TargetOffset(t), false});
  }
  target_probe_.SetDense(kRemote0, 0, 1040);
  Commit(source_, kOrders0, 150);
  auto plan = Make(nullptr, &mm2).Plan("app", Direction::kCutover);
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->partitions.size(), 1u);
  EXPECT_EQ(plan->partitions[0].translated, 150);  // one past the copy of 99
  EXPECT_EQ(plan->partitions[0].translation, Translation::kApproximate);
  EXPECT_NE(plan->partitions[0].note.find("MM2's, which do not say where a run ends"), std::string::npos);
  EXPECT_EQ(plan->blockers, std::vector<std::string>{"orders-0: the translation is approximate (MM2's offset syncs): allow it explicitly"});
  MoveOptions allowed;
  allowed.allow_approximate = true;
  auto moved = Make(nullptr, &mm2).Move("app", Direction::kCutover, allowed);
  ASSERT_TRUE(moved.ok()) << moved.error().ToString();
  EXPECT_EQ(moved->outcome, MoveReport::Outcome::kMoved) << ToJson(*moved);
  // At a synced record it is exact.
  Commit(source_, kOrders0, 99);
  Commit(target_, kRemote0, 0);  // not ahead of the translation
  auto exact = Make(nullptr, &mm2).Plan("app", Direction::kCutover);
  ASSERT_TRUE(exact.ok());
  EXPECT_EQ(exact->partitions[0].translation, Translation::kExact);
}

// A consumer that starts on the source between the plan and the commit reads on from what was
// translated: the move is undone, and says why.
TEST_F(GroupCutoverWithFakeAdminTest, AConsumerThatReadOnTheSourceDuringTheMoveMakesItUndone) {
  Commit(source_, kOrders0, 120);
  target_.BeforeNextCall(FakeAdmin::Op::kAlterConsumerGroupOffsets, [this] { Commit(source_, kOrders0, 130); });
  auto report = Make().Move("app", Direction::kCutover);
  ASSERT_TRUE(report.ok()) << report.error().ToString();
  EXPECT_EQ(report->outcome, MoveReport::Outcome::kFailed) << ToJson(*report);
  ASSERT_TRUE(report->entry.has_value());
  EXPECT_EQ(report->entry->error,
            "the group committed orders-0@130 on cluster A after the plan read orders-0@120: a consumer ran there meanwhile");
  EXPECT_TRUE(report->entry->restored);
  EXPECT_TRUE(target_.Committed("app").empty()) << "the offsets written are removed again";
  // The same when a member is active there once the commit is done.
  target_.BeforeNextCall(FakeAdmin::Op::kAlterConsumerGroupOffsets,
                         [this] { source_.SetGroup("app", kafka::GroupState::kStable, 1); });
  report = Make().Move("app", Direction::kCutover);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->outcome, MoveReport::Outcome::kFailed) << ToJson(*report);
  EXPECT_EQ(report->entry->error, "group 'app' has active members on cluster A since the plan");
  EXPECT_TRUE(target_.Committed("app").empty());
}

// The source topic was deleted and made again (or its log truncated): the mirror copied up to 1000,
// the partition now ends at 30. The map's answers belong to the old records: blocked, in both
// directions.
TEST_F(GroupCutoverWithFakeAdminTest, ReusedSourceOffsetsBlockTheMove) {
  source_probe_.SetDense(kOrders0, 0, 30);
  Commit(source_, kOrders0, 20);
  auto plan = Make().Plan("app", Direction::kCutover);
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->blockers.size(), 1u) << ToJson(*plan);
  EXPECT_EQ(plan->blockers[0], "orders-0: the source partition ends at 30, below the offset 1000 the mirror copied up to: "
                               "its offsets were reused (topic re-created or log truncated)");
  Commit(target_, kRemote0, 100);
  auto back = Make().Plan("app", Direction::kRollback);
  ASSERT_TRUE(back.ok());
  bool found = false;
  for (const std::string& b : back->blockers) found |= b.find("its offsets were reused") != std::string::npos;
  EXPECT_TRUE(found) << ToJson(*back);
}

// The source topic deleted, made again and refilled past the old end: its offsets are reused, and
// only the topic ID (learned by the mirror's task at its start, named by its syncs) tells. Here the
// syncs of both partitions name ID "old-id" and the live topic is "new-id"; the fixture's map_ has
// syncs that name no ID.
TEST_F(GroupCutoverWithFakeAdminTest, ASourceTopicReCreatedPastTheCopiedPointIsToldByItsTopicId) {
  tasks::OffsetMap map;
  auto read = [&map](const TopicPartition& tp, int64_t s, int64_t t, int64_t run) {
    tasks::OffsetSync sync{tp, SourceOffset(s), TargetOffset(t), true, "task-0@a"};
    sync.run_start = run;
    sync.topic_id = "old-id";
    map.OnSyncRead(sync);
  };
  read(kOrders0, 0, 50, 0);
  read(kOrders0, 999, 1049, 0);
  read(kOrders1, 100, 0, 100);
  read(kOrders1, 499, 399, 100);
  source_probe_.SetDense(kOrders0, 0, 1200);  // the new topic holds more than the old one did
  Commit(source_, kOrders0, 120);
  Commit(source_, kOrders1, 200);

  topic_ids_ = Flow::TopicIds(std::map<std::string, std::string>{{"orders", "new-id"}, {"unmirrored", "u-id"}});
  auto plan = Make(nullptr, &map).Plan("app", Direction::kCutover);
  ASSERT_TRUE(plan.ok()) << plan.error().ToString();
  EXPECT_EQ(id_lookups_, (std::vector<std::vector<std::string>>{{"orders"}})) << "one look-up per plan";
  ASSERT_EQ(plan->blockers.size(), 2u) << ToJson(*plan);
  EXPECT_EQ(plan->blockers[0],
            "orders-0: source topic orders was deleted and re-created: its topic ID is now new-id, the offset syncs "
            "up to offset 1000 are of topic ID old-id: the copies on the target are of the old topic's records, whose "
            "offsets the new topic reuses, and cannot be translated");
  EXPECT_NE(plan->blockers[1].find("orders-1: source topic orders was deleted and re-created"), std::string::npos);
  EXPECT_FALSE(plan->partitions[0].translated) << "no translation at all";
  EXPECT_FALSE(plan->waiting_only()) << "no wait brings the old topic back";
  const auto started = std::chrono::steady_clock::now();
  auto move = Make(nullptr, &map).Move("app", Direction::kCutover, {false, milliseconds(5000)});
  ASSERT_TRUE(move.ok());
  EXPECT_EQ(move->outcome, MoveReport::Outcome::kRefused);
  EXPECT_LT(std::chrono::steady_clock::now() - started, milliseconds(2000)) << "refused at once, not waited for";
  EXPECT_TRUE(target_.Committed("app").empty()) << "a refused move writes nothing";

  // The same topic: exact as ever.
  topic_ids_ = Flow::TopicIds(std::map<std::string, std::string>{{"orders", "old-id"}});
  plan = Make(nullptr, &map).Plan("app", Direction::kCutover);
  ASSERT_TRUE(plan.ok());
  EXPECT_TRUE(plan->ready()) << ToJson(*plan);
  EXPECT_EQ(plan->partitions[0].translated, 170);

  // A cluster that cannot tell (too old, TLS or SASL): as syncs without an ID, no check.
  topic_ids_ = Flow::TopicIds(Error(ErrorCode::kUnsupported, "topic IDs are unavailable"));
  plan = Make(nullptr, &map).Plan("app", Direction::kCutover);
  ASSERT_TRUE(plan.ok());
  EXPECT_TRUE(plan->ready()) << ToJson(*plan);

  // A look-up that failed for now: the move cannot be made safely.
  topic_ids_ = Flow::TopicIds(Error::Timeout("no bootstrap server answered within 10000 ms"));
  plan = Make(nullptr, &map).Plan("app", Direction::kCutover);
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->blockers.size(), 2u) << ToJson(*plan);
  EXPECT_EQ(plan->blockers[0],
            "orders-0: cannot tell whether source topic orders is still the one the offset syncs map (topic ID "
            "old-id), or was deleted and re-created since: no bootstrap server answered within 10000 ms");

  // The topic gone from the cluster: neither.
  topic_ids_ = Flow::TopicIds(std::map<std::string, std::string>{});
  plan = Make(nullptr, &map).Plan("app", Direction::kCutover);
  ASSERT_TRUE(plan.ok());
  ASSERT_FALSE(plan->ready());
  EXPECT_NE(plan->blockers[0].find("the source cluster does not know the topic now"), std::string::npos);

  // Syncs that name no ID (MM2's): nothing to compare.
  topic_ids_ = Flow::TopicIds(std::map<std::string, std::string>{{"orders", "new-id"}});
  source_probe_.SetDense(kOrders0, 0, 1000);
  plan = Make().Plan("app", Direction::kCutover);
  ASSERT_TRUE(plan.ok());
  EXPECT_TRUE(plan->ready()) << ToJson(*plan);

  // A rollback moves onto the source as it is now: not asked.
  id_lookups_.clear();
  Commit(target_, kRemote0, 170);
  plan = Make(nullptr, &map).Plan("app", Direction::kRollback);
  ASSERT_TRUE(plan.ok());
  EXPECT_TRUE(id_lookups_.empty());
}

// A group that read, on the target, older copies of a stretch the mirror copied again after a
// restart goes back to the first re-copied record: it reads those records again. That is the best
// answer, but not exact: marked approximate, with why.
TEST_F(GroupCutoverWithFakeAdminTest, RollbackOverAReCopiedStretchSaysTheRecordsAreReadAgain) {
  tasks::OffsetMap recopied;  // 0..99 -> 0..99; restarted at 60: 60..199 -> 100..239
  recopied.OnOffsetSync({kOrders0, SourceOffset(0), TargetOffset(0), true});
  recopied.OnCopied(kOrders0, SourceOffset(100), TargetOffset(100));
  recopied.OnOffsetSync({kOrders0, SourceOffset(60), TargetOffset(100), true});
  recopied.OnCopied(kOrders0, SourceOffset(200), TargetOffset(240));
  source_probe_.SetDense(kOrders0, 0, 200);
  target_probe_.SetDense(kRemote0, 0, 240);
  Commit(target_, kRemote0, 80);  // read the old copies of 60..79
  auto back = Make(nullptr, &recopied).Plan("app", Direction::kRollback);
  ASSERT_TRUE(back.ok());
  ASSERT_EQ(back->partitions.size(), 1u);
  EXPECT_EQ(back->partitions[0].translated, 60);
  EXPECT_EQ(back->partitions[0].translation, Translation::kApproximate);
  EXPECT_EQ(back->blockers, std::vector<std::string>{"A.orders-0: the translation is approximate (records read again): allow it explicitly"});
}

// While the task copying a partition does not run (failed, restarting), the target may hold copies
// its restart copies again past the translated offset: the move waits for it to run.
TEST_F(GroupCutoverWithFakeAdminTest, APartitionWhoseMirrorTaskDoesNotRunBlocksTheMoveUntilItRuns) {
  Commit(source_, kOrders0, 120);
  task_states_ = MirrorTaskStateMap{{kOrders0, {"FAILED"}}, {kOrders1, {"RUNNING"}}};
  auto plan = Make().Plan("app", Direction::kCutover);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->blockers, std::vector<std::string>{
                                "orders-0: the mirror's task copying orders-0 is FAILED: when it runs again it may copy "
                                "records again past the translated offset; move once it runs"});
  EXPECT_TRUE(plan->waiting_only());
  // It is restarted while the move waits.
  int plans = 0;
  on_refresh_ = [&] {
    if (++plans == 3) task_states_ = MirrorTaskStateMap{{kOrders0, {"RUNNING"}}};
  };
  MoveOptions wait;
  wait.wait = std::chrono::seconds(10);
  auto moved = Make().Move("app", Direction::kCutover, wait);
  ASSERT_TRUE(moved.ok());
  EXPECT_EQ(moved->outcome, MoveReport::Outcome::kMoved) << ToJson(*moved);
  // A partition no task copies.
  task_states_ = MirrorTaskStateMap{};
  Commit(target_, kRemote0, 0);
  auto none = Make().Plan("app", Direction::kCutover);
  ASSERT_TRUE(none.ok());
  ASSERT_EQ(none->blockers.size(), 1u);
  EXPECT_NE(none->blockers[0].find("no task of the mirror copies orders-0"), std::string::npos);
}

// The task restarted (a new offset-sync writer) and resumes at its stored position, 600, below the
// 1000 the syncs show copied: it copies 600..999 again, past the group's translation, so the move
// waits until the syncs show this run of the task. Resuming at the copied point, it copies nothing
// again, and the move goes on at once.
TEST_F(GroupCutoverWithFakeAdminTest, ATaskRestartedSinceTheSyncsTheMapShowsBlocksTheMoveUntilItsSyncsShowIt) {
  tasks::OffsetMap map;
  map.OnSyncRead({kOrders0, SourceOffset(0), TargetOffset(50), true, "task-0@old"});
  map.OnSyncRead({kOrders0, SourceOffset(999), TargetOffset(1049), true, "task-0@old"});
  Commit(source_, kOrders0, 700);
  task_states_ = MirrorTaskStateMap{{kOrders0, {"RUNNING", "task-0@new", 600}}};
  auto plan = Make(nullptr, &map).Plan("app", Direction::kCutover);
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->blockers.size(), 1u) << ToJson(*plan);
  EXPECT_EQ(plan->blockers[0],
            "orders-0: the mirror's task copying orders-0 restarted at offset 600, below the offset 1000 the offset "
            "syncs show copied: it copies those records again, past the translated offset; move once its offset "
            "syncs show it");
  EXPECT_TRUE(plan->waiting_only());
  // Its syncs: the re-copy of 600..999 at 1050..1449; the group at 700 now lands on the newest copy.
  map.OnSyncRead({kOrders0, SourceOffset(600), TargetOffset(1050), true, "task-0@new"});
  map.OnSyncRead({kOrders0, SourceOffset(999), TargetOffset(1449), true, "task-0@new"});
  target_probe_.SetDense(kRemote0, 0, 1450);
  auto after = Make(nullptr, &map).Plan("app", Direction::kCutover);
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->blockers.empty()) << ToJson(*after);
  EXPECT_EQ(after->partitions[0].translated, 1150);
  // Another restart that resumes at the copied-up-to point copies nothing again.
  task_states_ = MirrorTaskStateMap{{kOrders0, {"RUNNING", "task-0@third", 1000}}};
  auto at_end = Make(nullptr, &map).Plan("app", Direction::kCutover);
  ASSERT_TRUE(at_end.ok());
  EXPECT_TRUE(at_end->blockers.empty()) << ToJson(*at_end);
}

TEST_F(GroupCutoverWithFakeAdminTest, RecordsNeverMirroredBlockTheMove) {
  source_probe_.SetDense(kOrders1, 60, 500);  // 60..99 exist on the source but the mirror began at 100
  Commit(source_, kOrders1, 70);
  auto plan = Make().Plan("app", Direction::kCutover);
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->blockers.size(), 1u);
  EXPECT_EQ(plan->blockers[0], "orders-1: records from offset 70 on were never mirrored (the mirror's first copy is offset 100)");
}

// The offset-syncs topic was compacted: orders-0's first sync still kept is 500 -> 550, and older
// ones are gone. A group below it is not "never mirrored" (it was, the syncs are gone) and is not
// moved to the survivor: refused both ways, saying why.
TEST_F(GroupCutoverWithFakeAdminTest, BelowTheFirstSyncKeptOfACompactedSyncsTopicTheMoveIsRefused) {
  tasks::OffsetMap compacted;
  compacted.OnSyncRead({kOrders0, SourceOffset(500), TargetOffset(550), true}, /*syncs_skipped=*/true);
  compacted.OnSyncRead({kOrders0, SourceOffset(999), TargetOffset(1049), true});
  Commit(source_, kOrders0, 300);
  auto plan = Make(nullptr, &compacted).Plan("app", Direction::kCutover);
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->blockers.size(), 1u) << ToJson(*plan);
  EXPECT_NE(plan->blockers[0].find("below the first offset sync still kept (source offset 500)"), std::string::npos)
      << plan->blockers[0];
  EXPECT_FALSE(plan->partitions[0].translated.has_value());
  // At or after it, exact.
  Commit(source_, kOrders0, 700);
  auto above = Make(nullptr, &compacted).Plan("app", Direction::kCutover);
  ASSERT_TRUE(above.ok());
  EXPECT_EQ(above->partitions[0].translated, 750);
  EXPECT_EQ(above->partitions[0].translation, Translation::kExact);
  // Back from the target below the survivor's copy: refused, not "read no mirrored record yet".
  source_.SetCommitted("app", kOrders0, {-1, ""});
  Commit(target_, kRemote0, 300);
  auto back = Make(nullptr, &compacted).Plan("app", Direction::kRollback);
  ASSERT_TRUE(back.ok());
  bool found = false;
  for (const std::string& b : back->blockers) found |= b.find("below the first offset sync still kept (target offset 550)") != std::string::npos;
  EXPECT_TRUE(found) << ToJson(*back);
}

// Two writers copied orders-0 at once (a stale sync of a replaced task came in after the new one's):
// no translation in that stretch, and allow_approximate does not make one.
TEST_F(GroupCutoverWithFakeAdminTest, AStretchTwoWritersCopiedBlocksTheMoveEvenWhenApproximateIsAllowed) {
  tasks::OffsetMap map;
  map.OnSyncRead({kOrders0, SourceOffset(0), TargetOffset(50), true, "task-0@a"});
  map.OnSyncRead({kOrders0, SourceOffset(399), TargetOffset(449), true, "task-0@a"});
  map.OnSyncRead({kOrders0, SourceOffset(400), TargetOffset(450), true, "task-0@b"});
  map.OnSyncRead({kOrders0, SourceOffset(999), TargetOffset(1049), true, "task-0@b"});
  map.OnSyncRead({kOrders0, SourceOffset(600), TargetOffset(620), true, "task-0@a"});  // a still writes
  Commit(source_, kOrders0, 500);
  MoveOptions allowed;
  allowed.allow_approximate = true;
  auto report = Make(nullptr, &map).Move("app", Direction::kCutover, allowed);
  ASSERT_TRUE(report.ok()) << report.error().ToString();
  EXPECT_EQ(report->outcome, MoveReport::Outcome::kRefused) << ToJson(*report);
  ASSERT_EQ(report->plan.blockers.size(), 1u) << ToJson(*report);
  EXPECT_NE(report->plan.blockers[0].find("two writers copied this partition at once from source offset 400 on"),
            std::string::npos) << report->plan.blockers[0];
  EXPECT_TRUE(target_.Committed("app").empty());
  // Before the second writer took over, exact.
  Commit(source_, kOrders0, 300);
  auto plan = Make(nullptr, &map).Plan("app", Direction::kCutover);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->partitions[0].translated, 350);
  EXPECT_TRUE(plan->blockers.empty()) << ToJson(*plan);
}

// Records 300..399 were deleted before the mirror copied them (ferry.skip.lost.records): a group at
// 350 resumes at the copy of 400, and the plan says which records it loses.
TEST_F(GroupCutoverWithFakeAdminTest, AGroupInsideARangeSkippedAsLostMovesWithANoteNamingTheLoss) {
  tasks::OffsetMap map;
  map.OnSyncRead({kOrders0, SourceOffset(0), TargetOffset(50), true});
  map.OnSyncRead({kOrders0, SourceOffset(299), TargetOffset(349), true});
  tasks::OffsetSync after{kOrders0, SourceOffset(400), TargetOffset(350), true};
  after.lost_from = 300;
  after.lost_to = 400;
  map.OnSyncRead(after);
  map.OnSyncRead({kOrders0, SourceOffset(999), TargetOffset(949), true});
  source_probe_.SetDense(kOrders0, 400, 1000);
  Commit(source_, kOrders0, 350);
  auto plan = Make(nullptr, &map).Plan("app", Direction::kCutover);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->partitions[0].translated, 350);
  EXPECT_EQ(plan->partitions[0].translation, Translation::kExact);
  EXPECT_NE(plan->partitions[0].note.find("source records 350..399 were deleted before the mirror copied them"),
            std::string::npos) << plan->partitions[0].note;
}

TEST_F(GroupCutoverWithFakeAdminTest, AGroupThatAlreadyReadFurtherOnTheTargetIsNotMovedBack) {
  Commit(source_, kOrders0, 120);
  Commit(target_, kRemote0, 300);
  auto plan = Make().Plan("app", Direction::kCutover);
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->blockers.size(), 1u);
  EXPECT_EQ(plan->blockers[0], "orders-0: the group already committed A.orders-0@300, past 170: it has read there; "
                               "moving it would read 130 record(s) twice");
}

TEST_F(GroupCutoverWithFakeAdminTest, WithoutAnyMapEntryTheTimestampFallbackIsApproximateAndMustBeAllowed) {
  const tasks::OffsetMap empty;  // the offset-syncs topic knows nothing (e.g. copied by another tool)
  Commit(source_, kOrders0, 120);  // source record 120 has timestamp 120000
  target_probe_.SetTimeIndex(kRemote0, {{119500, 169}, {120000, 170}});
  GroupCutover cutover = Make(nullptr, &empty);
  auto refused = cutover.Move("app", Direction::kCutover);
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ(refused->outcome, MoveReport::Outcome::kRefused);
  EXPECT_EQ(refused->plan.partitions[0].translation, Translation::kApproximate);
  EXPECT_EQ(refused->plan.blockers[0], "orders-0: the translation is approximate (by timestamp): allow it explicitly");
  MoveOptions options;
  options.allow_approximate = true;
  auto moved = cutover.Move("app", Direction::kCutover, options);
  ASSERT_TRUE(moved.ok());
  EXPECT_EQ(moved->outcome, MoveReport::Outcome::kMoved);
  EXPECT_EQ(target_.Committed("app").at(kRemote0).offset, 170);
}

TEST_F(GroupCutoverWithFakeAdminTest, ACommitThatFailsHalfWayIsUndoneAndJournalledAsFailed) {
  HalfCommittingAdmin target;
  target.AddTopic("A.orders", 2);
  Commit(source_, kOrders0, 120);
  Commit(source_, kOrders1, 300);
  target.SetCommitted("app", kRemote1, {10, "old"});  // the group had an offset on one partition only
  GroupCutover cutover = Make(&target);
  auto report = cutover.Move("app", Direction::kCutover);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->outcome, MoveReport::Outcome::kFailed) << ToJson(*report);
  // Exactly as before: A.orders-0 had no offset (the half-written one is removed); A.orders-1, which
  // the failed commit did not reach, is left alone (its metadata too).
  const kafka::GroupOffsets before = {{kRemote1, {10, "old"}}};
  EXPECT_EQ(target.Committed("app"), before);
  auto last = journal_.Latest("app", milliseconds(1000));
  ASSERT_TRUE(last.ok() && last->has_value());
  EXPECT_EQ((*last)->state, JournalEntry::State::kFailed);
  EXPECT_TRUE((*last)->restored);
  EXPECT_NE((*last)->error.find("coordinator went away"), std::string::npos);
  EXPECT_EQ(cutover.Status("app")->position, "source");

  // Once the broker behaves, the same move goes through.
  auto again = cutover.Move("app", Direction::kCutover);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->outcome, MoveReport::Outcome::kMoved);
  EXPECT_EQ(target.Committed("app").at(kRemote1).offset, 200);
}

TEST_F(GroupCutoverWithFakeAdminTest, AMoveThatCannotBeJournalledChangesNothing) {
  Commit(source_, kOrders0, 120);
  log_.Stop();  // the journal's log is gone
  auto report = Make().Move("app", Direction::kCutover);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->outcome, MoveReport::Outcome::kFailed);
  EXPECT_EQ(target_.Writes(), 0);
}

TEST_F(GroupCutoverWithFakeAdminTest, RollbackTranslatesTheTargetProgressBack) {
  Commit(source_, kOrders0, 120);
  GroupCutover cutover = Make();
  ASSERT_EQ(cutover.Move("app", Direction::kCutover)->outcome, MoveReport::Outcome::kMoved);
  Commit(target_, kRemote0, 470);  // the group read on the target: 170..469 = source 120..419
  auto report = cutover.Move("app", Direction::kRollback);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->outcome, MoveReport::Outcome::kMoved) << ToJson(*report);
  EXPECT_EQ(source_.Committed("app").at(kOrders0).offset, 420);
  EXPECT_EQ(cutover.Status("app")->position, "source");
}

TEST_F(GroupCutoverWithFakeAdminTest, RollbackRefusesWhenTheSourceGroupReadFurtherOrTheTargetPositionIsNoCopy) {
  Commit(target_, kRemote0, 470);
  Commit(source_, kOrders0, 500);  // someone consumed on the source meanwhile
  Commit(target_, kRemote1, 450);  // past the copied range of orders-1 (0..399)
  auto plan = Make().Plan("app", Direction::kRollback);
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->blockers.size(), 2u) << ToJson(*plan);
  EXPECT_EQ(plan->blockers[0], "A.orders-0: the group already committed orders-0@500, past 420: it has read there; "
                               "moving it back would read 80 record(s) twice");
  EXPECT_NE(plan->blockers[1].find("A.orders-1: the offset map covers A.orders up to offset 400, the group committed 450"),
            std::string::npos);
  EXPECT_FALSE(plan->waiting_only());
}

TEST_F(GroupCutoverWithFakeAdminTest, RollbackWithoutAnyMapEntryFallsBackToTimestampsMarkedApproximate) {
  const tasks::OffsetMap empty;
  Commit(target_, kRemote0, 300);  // target record 300 has timestamp 300000
  source_probe_.SetTimeIndex(kOrders0, {{300000, 250}});
  MoveOptions options;
  auto plan = Make(nullptr, &empty).Plan("app", Direction::kRollback, options);
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->partitions.size(), 1u);
  EXPECT_EQ(plan->partitions[0].translated, 250);
  EXPECT_EQ(plan->partitions[0].translation, Translation::kApproximate);
  EXPECT_EQ(plan->blockers, std::vector<std::string>{"A.orders-0: the translation is approximate (by timestamp): allow it explicitly"});
  options.allow_approximate = true;
  auto moved = Make(nullptr, &empty).Move("app", Direction::kRollback, options);
  ASSERT_TRUE(moved.ok());
  EXPECT_EQ(moved->outcome, MoveReport::Outcome::kMoved) << ToJson(*moved);
  EXPECT_EQ(source_.Committed("app").at(kOrders0).offset, 250);
}

TEST_F(GroupCutoverWithFakeAdminTest, StatusSaysUnknownAfterAMoveInterruptedMidway) {
  Commit(source_, kOrders0, 120);
  JournalEntry entry{"app", Direction::kCutover, JournalEntry::State::kCommitting, 1, "mirror-a",
                     {{kOrders0, 120, kRemote0, 170, std::nullopt}}, "", false};
  ASSERT_TRUE(journal_.Append(entry, milliseconds(1000)).ok());
  auto status = Make().Status("app");
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->position, "unknown");
  ASSERT_EQ(status->partitions.size(), 1u);
  EXPECT_EQ(status->partitions[0].source_committed, 120);
  EXPECT_EQ(status->partitions[0].target_committed, std::nullopt);
}

TEST_F(GroupCutoverWithFakeAdminTest, AGroupOfKafkasConsumerProtocolBlocksTheMoveUnlessEmpty) {
  Commit(source_, kOrders0, 120);
  ConsumerProtocolGroupAdmin target;
  target.AddTopic("A.orders", 2);
  for (GroupState state : {GroupState::kStable, GroupState::kUnknown}) {  // kUnknown: Assigning, Reconciling
    target.state_ = state;
    auto report = Make(&target).Move("app", Direction::kCutover);
    ASSERT_TRUE(report.ok());
    EXPECT_EQ(report->outcome, MoveReport::Outcome::kRefused) << ToJson(*report);
    ASSERT_EQ(report->plan.blockers.size(), 1u) << ToJson(*report);
    EXPECT_NE(report->plan.blockers[0].find(std::string("group 'app' is ") + kafka::GroupStateName(state) +
                                            " on cluster B: it has consumers of Kafka's consumer protocol (KIP-848)"),
              std::string::npos)
        << report->plan.blockers[0];
    EXPECT_NE(ToJson(*report).find("\"to_group\":{\"state\":\"" + std::string(kafka::GroupStateName(state)) +
                                   "\",\"members\":null}"),
              std::string::npos)
        << ToJson(*report);
    EXPECT_EQ(target.Writes(), 0);
  }
  target.state_ = GroupState::kEmpty;
  auto report = Make(&target).Move("app", Direction::kCutover);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->outcome, MoveReport::Outcome::kMoved) << ToJson(*report);
}

// Positions an application keeps itself (#20: POST /ferry/translate, `ferry translate`): the same
// translation as a group's partition, answered per position, in the order asked, with why.
TEST_F(GroupCutoverWithFakeAdminTest, PositionsKeptOutsideGroupsTranslateExactlyOrSayWhyNot) {
  source_probe_.SetDense(kOrders0, 0, 1200);  // 200 records on the source not copied yet
  source_.SetGroup("app", GroupState::kStable, 3);  // a group's members do not matter here
  GroupCutover cutover = Make();
  auto report = cutover.TranslatePositions({{kOrders0, 120},
                                            {kOrders0, 1100},
                                            {kOrders1, 40},
                                            {{"unmirrored", 0}, 5},
                                            {{"orders", 7}, 1}},
                                           Direction::kCutover);
  ASSERT_TRUE(report.ok()) << report.error().ToString();
  EXPECT_EQ(report->from_cluster, "A");
  EXPECT_EQ(report->to_cluster, "B");
  const auto& at = report->positions;
  ASSERT_EQ(at.size(), 5u);
  EXPECT_EQ(PositionAnswerOf(at[0]), PositionAnswer::kExact);
  EXPECT_EQ(at[0].to, kRemote0);
  EXPECT_EQ(at[0].translated, 170);
  EXPECT_EQ(PositionAnswerOf(at[1]), PositionAnswer::kNotYet);
  EXPECT_EQ(at[1].blockers, std::vector<std::string>{"not replicated yet: the mirror has copied up to offset 1000, "
                                                     "the group committed 1100"});
  EXPECT_EQ(PositionAnswerOf(at[2]), PositionAnswer::kExact) << "below the log start: the first copy";
  EXPECT_EQ(at[2].translated, 0);
  EXPECT_EQ(PositionAnswerOf(at[3]), PositionAnswer::kUntranslatable);
  EXPECT_EQ(at[3].blockers, std::vector<std::string>{"unmirrored-0 is not a partition mirror 'mirror-a' copies from "
                                                     "cluster A"});
  EXPECT_EQ(PositionAnswerOf(at[4]), PositionAnswer::kUntranslatable) << "orders has 2 partitions";
  EXPECT_EQ(source_.Writes() + target_.Writes(), 0) << "a translation writes nothing";

  const std::string json = ToJson(*report);
  EXPECT_NE(json.find(R"({"topic":"orders","partition":0,"offset":120,"answer":"exact",)"
                      R"("translated":{"topic":"A.orders","partition":0,"offset":170},"replicated_to":1000,"reasons":[]})"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find(R"("offset":1100,"answer":"not_yet","translated":null,)"), std::string::npos) << json;
}

TEST_F(GroupCutoverWithFakeAdminTest, PositionsTranslateBackAndAnApproximateOneSaysWhatItRestsOn) {
  auto back = Make().TranslatePositions({{kRemote0, 170}, {kRemote1, 0}}, Direction::kRollback);
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_EQ(back->from_cluster, "B");
  ASSERT_EQ(back->positions.size(), 2u);
  EXPECT_EQ(PositionAnswerOf(back->positions[0]), PositionAnswer::kExact);
  EXPECT_EQ(back->positions[0].to, kOrders0);
  EXPECT_EQ(back->positions[0].translated, 120);
  EXPECT_EQ(back->positions[1].translated, 100);

  // Without any map entry the answer is found by timestamp: approximate, and said so (not refused).
  const tasks::OffsetMap empty;
  target_probe_.SetTimeIndex(kRemote0, {{119500, 169}, {120000, 170}});
  auto by_time = Make(nullptr, &empty).TranslatePositions({{kOrders0, 120}}, Direction::kCutover);
  ASSERT_TRUE(by_time.ok());
  const PartitionPlan& p = by_time->positions[0];
  EXPECT_EQ(PositionAnswerOf(p), PositionAnswer::kApproximate) << ToJson(*by_time);
  EXPECT_EQ(p.translated, 170);
  EXPECT_NE(ToJson(*by_time).find(R"("answer":"approximate","translated":{"topic":"A.orders","partition":0,"offset":170},)"
                                  R"("approximate_by":"by timestamp","note":"by timestamp 120000 of source offset 120")"),
            std::string::npos)
      << ToJson(*by_time);
}

TEST(CutoverJournalTest, EntriesRoundTripThroughJsonAndBadOnesAreRejected) {
  JournalEntry entry{"app", Direction::kRollback, JournalEntry::State::kFailed, 1765000000000, "mirror-a",
                     {{kRemote0, 470, kOrders0, 420, 120}, {kRemote1, 5, kOrders1, 105, std::nullopt}},
                     "read back orders-0 at none instead of 420", true};
  auto back = JournalEntry::FromJson(entry.ToJson());
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_EQ(*back, entry);
  EXPECT_EQ(JournalEntry::FromJson("{\"group\":\"app\"}").error().code(), ErrorCode::kCorrupt);
  EXPECT_EQ(JournalEntry::FromJson("not json").error().code(), ErrorCode::kCorrupt);
}

TEST(CutoverJournalTest, StopsItsLogSoNoRecordReachesItOnceItIsGone) {
  // The journal topic is shared: another worker's move arrives while this journal is destroyed.
  auto topic = std::make_shared<ferry::testing::MemoryTopic>();
  ferry::testing::MemoryLog log(topic);
  auto journal = std::make_unique<CutoverJournal>(log);
  ASSERT_TRUE(journal->Start(milliseconds(1000)).ok());
  journal.reset();
  JournalEntry elsewhere{"other", Direction::kCutover, JournalEntry::State::kDone, 1765000000000, "mirror-b", {}, "", false};
  topic->Append("other", elsewhere.ToJson());
  // A log still running would hand the record to the destroyed journal (ASan: heap-use-after-free).
  EXPECT_FALSE(log.ReadToEnd(milliseconds(1000)).ok()) << "the journal left its log running";
}

}  // namespace
}  // namespace ferry::cutover
