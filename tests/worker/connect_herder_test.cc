// ConnectHerder on memory stores, for what needs no broker: a member of a cluster whose group never
// forms (its coordinator cannot be reached) waits, bounded, for its first join, then answers
// leader-only requests with Connect's 409, writes nothing, and still serves reads.
#include "worker/connect_herder.h"

#include <chrono>

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

}  // namespace
}  // namespace ferry::worker
