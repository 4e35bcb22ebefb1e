// ConnectHerder on memory stores, for what needs no broker: a member of a cluster whose group never
// forms (its coordinator cannot be reached) waits, bounded, for its first join, then answers
// leader-only requests with Connect's 409, writes nothing, and still serves reads.
#include "worker/connect_herder.h"

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "tests/fakes/memory_log.h"

namespace ferry::worker {
namespace {

using std::chrono::milliseconds;

TEST(ConnectHerderTest, WithoutAFirstJoinLeaderOnlyRequestsWaitBoundedThenAnswer409AndWriteNothing) {
  testing::MemoryLog config_log, offset_log, status_log;
  ConfigStore configs(config_log);
  OffsetStore offsets(offset_log);
  StatusStore statuses(status_log);
  HerderConfig config;
  config.first_join_wait = milliseconds(1500);
  WorkerGroupConfig group;
  group.bootstrap_servers = {"127.0.0.1:1"};  // nothing listens: the group never forms
  group.group_id = "never-formed";
  config.group = group;
  ConnectHerder herder(config, configs, offsets, statuses);
  ASSERT_TRUE(herder.Start("127.0.0.1:8083").ok());

  const auto started = std::chrono::steady_clock::now();
  const Properties mirror = {{"name", "m"}, {"connector.class", "MirrorHeartbeatConnector"},
                             {"source.cluster.alias", "A"}, {"target.cluster.bootstrap.servers", "127.0.0.1:1"}};
  auto put = herder.PutConnectorConfig("m", mirror, std::nullopt, false);
  const auto waited = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(put.error().code(), ErrorCode::kConflict);
  EXPECT_EQ(put.error().message(),
            "Cannot complete request momentarily due to no known leader URL, likely because a rebalance was underway.");
  EXPECT_GE(waited, milliseconds(1500));
  EXPECT_LT(waited, milliseconds(10000));
  EXPECT_FALSE(herder.LeaderUrl().has_value());
  EXPECT_TRUE(config_log.records().empty()) << "nothing written";
  auto listed = herder.Connectors();
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->empty());
  herder.Stop();
}

// A connector whose clusters cannot be reached once held the herder thread for its whole start (up to
// admin.timeout.ms per admin call): /health answered 500, every other request waited. Its start now
// runs on a thread of its own; the herder goes on, and the connector ends FAILED with the reason.
TEST(ConnectHerderTest, AConnectorOnAnUnreachableClusterDoesNotHoldTheHerderThread) {
  testing::MemoryLog config_log, offset_log, status_log;
  ConfigStore configs(config_log);
  OffsetStore offsets(offset_log);
  StatusStore statuses(status_log);
  ConnectHerder herder(HerderConfig{}, configs, offsets, statuses);  // a cluster of one
  ASSERT_TRUE(herder.Start("127.0.0.1:8083").ok());

  const Properties unreachable = {{"name", "unreachable"},
                                  {"connector.class", "MirrorSourceConnector"},
                                  {"source.cluster.alias", "A"},
                                  {"target.cluster.alias", "B"},
                                  {"source.cluster.bootstrap.servers", "127.0.0.1:1"},
                                  {"target.cluster.bootstrap.servers", "127.0.0.1:1"},
                                  {"topics", "orders"},
                                  {"admin.timeout.ms", "4000"}};
  const auto created = std::chrono::steady_clock::now();
  ASSERT_TRUE(herder.PutConnectorConfig("unreachable", unreachable, std::nullopt, false).ok());
  EXPECT_LT(std::chrono::steady_clock::now() - created, milliseconds(1000)) << "the create waited for the start";

  // While it starts, the herder answers at once.
  for (int i = 0; i < 3; ++i) {
    const auto asked = std::chrono::steady_clock::now();
    EXPECT_EQ(herder.Health().status, WorkerHealth::Status::kHealthy);
    const Properties other = {{"name", "other-" + std::to_string(i)}, {"connector.class", "MirrorHeartbeatConnector"},
                              {"source.cluster.alias", "A"}};
    EXPECT_TRUE(herder.PutConnectorConfig(other.at("name"), other, TargetState::kStopped, false).ok());
    EXPECT_LT(std::chrono::steady_clock::now() - asked, milliseconds(1000)) << "request " << i;
    std::this_thread::sleep_for(milliseconds(300));
  }
  auto status = herder.GetConnectorStatus("other-0");
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->connector.state, "STOPPED");

  // It ends FAILED, with why.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  std::string state;
  while (std::chrono::steady_clock::now() < deadline) {
    status = herder.GetConnectorStatus("unreachable");
    if (status.ok() && (state = status->connector.state) == "FAILED") break;
    std::this_thread::sleep_for(milliseconds(100));
  }
  ASSERT_EQ(state, "FAILED");
  ASSERT_TRUE(status->connector.trace.has_value());
  EXPECT_FALSE(status->connector.trace->empty());
  herder.Stop();
}

}  // namespace
}  // namespace ferry::worker
