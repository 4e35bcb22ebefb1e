// worker::MemoryLog, the standalone worker's config and status log (issue 13): it keeps what a
// compacted topic would, so create/delete cycles do not grow memory, and a new reader still gets the
// latest state.
#include "worker/memory_log.h"

#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "worker/config_store.h"
#include "worker/status_store.h"

namespace ferry::worker {
namespace {

using std::chrono::seconds;

TEST(MemoryLogTest, KeepsOnlyTheLatestRecordOfEachLiveKey) {
  MemoryLog log("test log");
  std::vector<kafka::LogRecord> seen;
  ASSERT_TRUE(log.Start([&](const kafka::LogRecord& r) { seen.push_back(r); }, seconds(1)).ok());
  ASSERT_TRUE(log.Send("a", "1").ok());
  ASSERT_TRUE(log.Send("b", "1").ok());
  ASSERT_TRUE(log.Send("a", "2").ok());  // supersedes a=1 before either was delivered
  ASSERT_TRUE(log.Send(std::nullopt, "keyless").ok());
  ASSERT_TRUE(log.Flush(seconds(1)).ok());
  // The reader saw every record, in order, with where it is.
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(seen[2].value, "2");
  EXPECT_EQ(seen[2].Where(), "test log partition 0 offset 2");
  EXPECT_EQ(log.retained_records(), 2u) << "a=2 and b=1";

  ASSERT_TRUE(log.Send("b", std::nullopt).ok());
  ASSERT_TRUE(log.Flush(seconds(1)).ok());
  EXPECT_EQ(log.retained_records(), 1u) << "a delivered tombstone takes its key with it";

  // A new reader gets the latest state.
  log.Stop();
  std::vector<kafka::LogRecord> replayed;
  ASSERT_TRUE(log.Start([&](const kafka::LogRecord& r) { replayed.push_back(r); }, seconds(1)).ok());
  ASSERT_EQ(replayed.size(), 1u);
  EXPECT_EQ(replayed[0].key, "a");
  EXPECT_EQ(replayed[0].value, "2");
  EXPECT_EQ(replayed[0].offset, 2);
}

// What `ferry standalone` does when a client creates and deletes a connector over and over: memory
// grew by ~9 KB a cycle, every record kept forever.
TEST(MemoryLogTest, ConnectorCreateDeleteCyclesDoNotGrowTheStandaloneLogs) {
  MemoryLog config_log("standalone config log");
  MemoryLog status_log("standalone status log");
  ConfigStore configs(config_log);
  StatusStore statuses(status_log);
  ASSERT_TRUE(configs.Start(seconds(1)).ok());
  ASSERT_TRUE(statuses.Start(seconds(1)).ok());
  const Properties keep_config = {{"connector.class", "MirrorHeartbeatConnector"}, {"name", "keep"}};
  ASSERT_TRUE(configs.PutConnectorConfig("keep", keep_config, TargetState::kPaused).ok());

  size_t config_records_after_first = 0;
  size_t status_records_after_first = 0;
  for (int cycle = 0; cycle < 500; ++cycle) {
    const Properties config = {{"connector.class", "MirrorSourceConnector"}, {"name", "churn"},
                               {"cycle", std::to_string(cycle)}};
    ASSERT_TRUE(configs.PutConnectorConfig("churn", config, TargetState::kStarted).ok());
    ASSERT_TRUE(configs.PutTaskConfigs("churn", {config, config}).ok());
    ASSERT_TRUE(statuses.PutConnector("churn", Status{"RUNNING", std::nullopt, "w:8083", 0}).ok());
    ASSERT_TRUE(statuses.PutTask({"churn", 0}, Status{"RUNNING", std::nullopt, "w:8083", 0}).ok());
    ASSERT_TRUE(statuses.PutTask({"churn", 1}, Status{"FAILED", std::string(4096, 't'), "w:8083", 0}).ok());
    ASSERT_TRUE(configs.RemoveConnectorConfig("churn").ok());
    ASSERT_TRUE(statuses.DeleteTask({"churn", 0}).ok());
    ASSERT_TRUE(statuses.DeleteTask({"churn", 1}).ok());
    ASSERT_TRUE(statuses.DeleteConnector("churn").ok());
    ASSERT_TRUE(statuses.Flush(seconds(1)).ok());
    if (cycle == 0) {
      config_records_after_first = config_log.retained_records();
      status_records_after_first = status_log.retained_records();
    }
  }
  EXPECT_EQ(config_log.retained_records(), config_records_after_first);
  EXPECT_EQ(status_log.retained_records(), status_records_after_first);
  EXPECT_LE(config_log.retained_records(), 5u) << "keep's config and target state, churn's task configs and commit";
  EXPECT_EQ(status_log.retained_records(), 0u);

  // A store started afresh on the same logs sees the latest state.
  configs.Stop();
  ConfigStore again(config_log);
  ASSERT_TRUE(again.Start(seconds(1)).ok());
  const ClusterConfigState state = again.Snapshot();
  ASSERT_EQ(state.connectors.size(), 1u);
  EXPECT_EQ(state.connectors.at("keep").config, keep_config);
  EXPECT_EQ(state.connectors.at("keep").target_state, TargetState::kPaused);
}

}  // namespace
}  // namespace ferry::worker
