// ConnectHerder on memory stores, for what needs no broker: a member of a cluster whose group never
// forms (its coordinator cannot be reached) waits, bounded, for its first join, then answers
// leader-only requests with Connect's 409, writes nothing, and still serves reads.
#include "worker/connect_herder.h"

#include <atomic>
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

// The offsets topic of a worker whose cluster stalls: ReadToEnd waits its whole timeout, then fails.
class StalledOffsetsLog : public testing::MemoryLog {
 public:
  Result<> ReadToEnd(std::chrono::milliseconds timeout) override {
    if (!stalled_) return MemoryLog::ReadToEnd(timeout);
    std::this_thread::sleep_for(timeout);
    return Error::Timeout("reading the offsets topic to its end: no answer from the cluster");
  }
  std::atomic<bool> stalled_{true};
};

// A task's start reads the offsets topic to its end first (up to offset.flush.timeout.ms) and once
// did so on the herder thread: every request waited behind it. Task starts now run on threads of
// their own; a start that fails leaves the task FAILED with the reason, and a restart once the
// cluster answers again runs it.
TEST(ConnectHerderTest, ATaskWhoseStartWaitsOnAStalledClusterDoesNotHoldTheHerderThread) {
  testing::MemoryLog config_log, status_log;
  StalledOffsetsLog offset_log;
  ConfigStore configs(config_log);
  OffsetStore offsets(offset_log);
  StatusStore statuses(status_log);
  HerderConfig config;
  config.offset_flush_timeout = milliseconds(3000);
  config.worker_producer_props = {{"bootstrap.servers", "127.0.0.1:1"}};  // heartbeats go nowhere
  ConnectHerder herder(config, configs, offsets, statuses);  // a cluster of one
  offset_log.stalled_ = false;  // the herder's own start reads the offsets
  ASSERT_TRUE(herder.Start("127.0.0.1:8083").ok());
  offset_log.stalled_ = true;

  // Three heartbeat connectors: their tasks need nothing but the worker's cluster and start at once.
  for (int i = 0; i < 3; ++i) {
    const std::string name = "beats-" + std::to_string(i);
    const Properties beats = {{"name", name}, {"connector.class", "MirrorHeartbeatConnector"}, {"source.cluster.alias", "A"}};
    ASSERT_TRUE(herder.PutConnectorConfig(name, beats, std::nullopt, false).ok());
  }
  // Their three starts take 3 s each; the herder answers throughout.
  const auto until = std::chrono::steady_clock::now() + milliseconds(4000);
  int asked = 0;
  while (std::chrono::steady_clock::now() < until) {
    const auto at = std::chrono::steady_clock::now();
    EXPECT_EQ(herder.Health().status, WorkerHealth::Status::kHealthy);
    EXPECT_TRUE(herder.Connectors().ok());
    EXPECT_LT(std::chrono::steady_clock::now() - at, milliseconds(1000)) << "request " << asked;
    ++asked;
    std::this_thread::sleep_for(milliseconds(200));
  }
  EXPECT_GE(asked, 10);

  auto task_state = [&](const std::string& name) {
    auto status = herder.GetTaskStatus({name, 0});
    return status.ok() ? status->state.state : std::string();
  };
  auto wait_for = [&](const std::string& name, const std::string& state) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (task_state(name) != state && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(milliseconds(50));
    }
    return task_state(name);
  };
  for (int i = 0; i < 3; ++i) {
    const std::string name = "beats-" + std::to_string(i);
    ASSERT_EQ(wait_for(name, "FAILED"), "FAILED") << name;
    auto status = herder.GetTaskStatus({name, 0});
    ASSERT_TRUE(status.ok() && status->state.trace.has_value());
    EXPECT_NE(status->state.trace->find("no answer from the cluster"), std::string::npos) << *status->state.trace;
  }
  // The cluster answers again: a restart runs the task.
  offset_log.stalled_ = false;
  ASSERT_TRUE(herder.RestartTask({"beats-0", 0}).ok());
  EXPECT_EQ(wait_for("beats-0", "RUNNING"), "RUNNING");
  // Deleted while its start waits: the start ends, and the task is stopped, not left running.
  offset_log.stalled_ = true;
  ASSERT_TRUE(herder.RestartTask({"beats-1", 0}).ok());
  ASSERT_TRUE(herder.DeleteConnector("beats-1").ok());
  EXPECT_FALSE(herder.GetTaskStatus({"beats-1", 0}).ok());
  herder.Stop();
}

}  // namespace
}  // namespace ferry::worker
