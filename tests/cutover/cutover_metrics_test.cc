// The cutover state per group that GET /metrics shows (ferry_cutover_group_*): the latest journal
// entry of each group as the journal has read it, and a service that has opened no journal shows
// nothing. The service's own path, a move on real Kafka, is RealKafka/MetricsTest.*.
#include <gtest/gtest.h>

#include "tests/fakes/memory_log.h"
#include "worker/cutover/journal.h"
#include "worker/cutover/service.h"

namespace ferry::cutover {
namespace {

using std::chrono::milliseconds;

TEST(CutoverMetricsTest, EveryGroupsLatestJournalEntryAsRead) {
  auto topic = std::make_shared<ferry::testing::MemoryTopic>();
  ferry::testing::MemoryLog log(topic);
  CutoverJournal journal(log);
  ASSERT_TRUE(journal.Start(milliseconds(1000)).ok());
  using State = JournalEntry::State;
  auto entry = [](const char* group, Direction direction, State state, int64_t time_ms) {
    return JournalEntry{group, direction, state, time_ms, "m", {}, "", false};
  };
  // Written by this worker or another one: the journal reads them all.
  for (const JournalEntry& e : {entry("billing", Direction::kCutover, State::kCommitting, 1765000000000),
                                entry("billing", Direction::kCutover, State::kDone, 1765000001500),
                                entry("audit", Direction::kRollback, State::kCommitting, 1765000002000),
                                entry("audit", Direction::kRollback, State::kFailed, 1765000003000)}) {
    ASSERT_TRUE(journal.Append(e, milliseconds(1000)).ok());
  }
  ASSERT_TRUE(journal.Latest("billing", milliseconds(1000)).ok());  // read to the end
  std::vector<CutoverGroupState> groups;
  journal.ForEachLatest([&](const JournalEntry& e) {
    groups.push_back({e.connector, e.group, e.direction, e.state, e.time_ms});
  });
  ASSERT_EQ(groups.size(), 2u);
  metrics::Exposition out;
  AddCutoverMetrics(groups, out);
  EXPECT_EQ(out.Text(),
            "# HELP ferry_cutover_group_last_move_timestamp_seconds When the group's latest cutover journal entry "
            "was written (Unix time).\n"
            "# TYPE ferry_cutover_group_last_move_timestamp_seconds gauge\n"
            "ferry_cutover_group_last_move_timestamp_seconds{connector=\"m\",group=\"audit\"} 1765000003\n"
            "ferry_cutover_group_last_move_timestamp_seconds{connector=\"m\",group=\"billing\"} 1765000001.5\n"
            "# HELP ferry_cutover_group_state The group's latest cutover journal entry (1): its direction and state.\n"
            "# TYPE ferry_cutover_group_state gauge\n"
            "ferry_cutover_group_state{connector=\"m\",group=\"audit\",direction=\"rollback\",state=\"failed\"} 1\n"
            "ferry_cutover_group_state{connector=\"m\",group=\"billing\",direction=\"cutover\",state=\"done\"} 1\n");
}

TEST(CutoverMetricsTest, AServiceAskedNothingShowsNothing) {
  CutoverService service([](const std::optional<std::string>&) -> Result<std::pair<std::string, Properties>> {
    return Error::NotFound("no mirror");
  }, {}, KafkaClusterClients(milliseconds(100)));
  metrics::Exposition out;
  service.CollectMetrics(out);
  EXPECT_EQ(out.families(), 0u);
  // A call for a mirror that cannot be opened opens no journal either.
  EXPECT_FALSE(service.Status(std::nullopt, "billing").ok());
  service.CollectMetrics(out);
  EXPECT_EQ(out.families(), 0u);
}

}  // namespace
}  // namespace ferry::cutover
