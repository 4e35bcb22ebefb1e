// ConfigStore on a MemoryLog: the exact bytes it writes, and how it reads records as a Java Kafka
// Connect worker writes them (KafkaConfigBackingStore's).
#include "worker/config_store.h"

#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/fakes/memory_log.h"

namespace ferry::worker {
namespace {

using std::chrono::seconds;
using testing::MemoryLog;

const Properties kMm2Config = {{"connector.class", "org.apache.kafka.connect.mirror.MirrorSourceConnector"},
                               {"name", "mm2-src"},
                               {"tasks.max", "4"}};
const char kMm2ConfigJson[] =
    R"({"properties":{"connector.class":"org.apache.kafka.connect.mirror.MirrorSourceConnector","name":"mm2-src","tasks.max":"4"}})";

std::string TaskJson(int i) {
  return R"({"properties":{"task.class":"org.apache.kafka.connect.mirror.MirrorSourceTask","task.id":")" +
         std::to_string(i) + R"("}})";
}
Properties TaskProps(int i) {
  return {{"task.class", "org.apache.kafka.connect.mirror.MirrorSourceTask"}, {"task.id", std::to_string(i)}};
}

class ConfigStoreTest : public ::testing::Test {
 protected:
  // Appends a record as another (Java) worker would have written it.
  void Java(const std::string& key, std::optional<std::string> value) { log_.topic().Append(key, std::move(value)); }

  void StartStore() {
    store_.SetListener([this](const ConfigEvent& e) { events_.push_back(e); });
    auto started = store_.Start(seconds(1));
    ASSERT_TRUE(started.ok()) << started.error().ToString();
  }
  void Refresh() { ASSERT_TRUE(store_.Refresh(seconds(1)).ok()); }

  // The topic's records from `from` on, as "key => value" lines.
  std::vector<std::string> Written(size_t from = 0) const {
    std::vector<std::string> lines;
    auto records = log_.records();
    for (size_t i = from; i < records.size(); ++i) {
      lines.push_back(records[i].key.value_or("<null>") + " => " + records[i].value.value_or("<tombstone>"));
    }
    return lines;
  }

  // A copy: snapshots are values, and a pointer into a temporary one would dangle.
  static std::optional<ConnectorConfigState> Connector(const ClusterConfigState& s, const std::string& name) {
    auto it = s.connectors.find(name);
    if (it == s.connectors.end()) return std::nullopt;
    return it->second;
  }

  MemoryLog log_;
  ConfigStore store_{log_};
  std::vector<ConfigEvent> events_;
};

TEST_F(ConfigStoreTest, WritesEveryRecordKindInConnectsExactBytes) {
  StartStore();
  ASSERT_TRUE(store_.PutConnectorConfig("mm2-src", kMm2Config, TargetState::kPaused).ok());
  ASSERT_TRUE(store_.PutTargetState("mm2-src", TargetState::kStopped).ok());
  ASSERT_TRUE(store_.PutTargetState("mm2-src", TargetState::kStarted).ok());
  ASSERT_TRUE(store_.PutTaskConfigs("mm2-src", {TaskProps(0), TaskProps(1)}).ok());
  ASSERT_TRUE(store_.PutTaskConfigs("mm2-src", {}).ok());
  ASSERT_TRUE(store_.PutRestartRequest({"mm2-src", true, false}).ok());
  ASSERT_TRUE(store_.PutConnectorConfig("other", {{"name", "other"}, {"quote", "a\"b\\c\n"}}, std::nullopt).ok());
  ASSERT_TRUE(store_.RemoveConnectorConfig("mm2-src").ok());

  EXPECT_EQ(Written(), (std::vector<std::string>{
                           R"(target-state-mm2-src => {"state":"PAUSED","state.v2":"PAUSED"})",
                           std::string("connector-mm2-src => ") + kMm2ConfigJson,
                           R"(target-state-mm2-src => {"state":"PAUSED","state.v2":"STOPPED"})",
                           R"(target-state-mm2-src => {"state":"STARTED","state.v2":"STARTED"})",
                           "task-mm2-src-0 => " + TaskJson(0),
                           "task-mm2-src-1 => " + TaskJson(1),
                           R"(commit-mm2-src => {"tasks":2})",
                           R"(commit-mm2-src => {"tasks":0})",
                           R"(restart-connector-mm2-src => {"include-tasks":true,"only-failed":false})",
                           R"(connector-other => {"properties":{"name":"other","quote":"a\"b\\c\n"}})",
                           "connector-mm2-src => <tombstone>",
                           "target-state-mm2-src => <tombstone>",
                       }));
}

TEST_F(ConfigStoreTest, ReadsATopicWrittenByJavaConnect) {
  Java("target-state-mm2-src", R"({"state":"PAUSED","state.v2":"STOPPED"})");
  Java("connector-mm2-src", kMm2ConfigJson);
  for (int i = 0; i < 4; ++i) Java("task-mm2-src-" + std::to_string(i), TaskJson(i));
  Java("commit-mm2-src", R"({"tasks":4})");
  Java("session-key", R"({"key":"c2VjcmV0","algorithm":"HmacSHA256","creation-timestamp":1700000000000})");
  Java("tasks-fencing-mm2-src", R"({"task-count":4})");
  Java("logger-cluster-org.apache.kafka", R"({"level":"DEBUG"})");
  StartStore();

  ClusterConfigState s = store_.Snapshot();
  EXPECT_EQ(s.offset, 10);  // last record read + 1
  auto c = Connector(s, "mm2-src");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->config, kMm2Config);
  EXPECT_EQ(c->target_state, TargetState::kStopped);
  ASSERT_EQ(c->task_configs.size(), 4u);
  EXPECT_EQ(c->task_configs[3], TaskProps(3));
  EXPECT_FALSE(c->inconsistent);
  EXPECT_EQ(c->task_config_generation, 1);
  EXPECT_TRUE(events_.empty()) << "records read while starting are not events";
}

TEST_F(ConfigStoreTest, AnEmptyTopicHasNoOffset) {
  StartStore();
  EXPECT_EQ(store_.Snapshot().offset, -1);
  EXPECT_TRUE(store_.Snapshot().connectors.empty());
}

TEST_F(ConfigStoreTest, TargetStatePrefersV2AndFallsBackToTheLegacyField) {
  Java("connector-a", R"({"properties":{"name":"a"}})");
  StartStore();
  auto state = [&] { return Connector(store_.Snapshot(), "a")->target_state; };
  EXPECT_EQ(state(), TargetState::kStarted);  // no record: STARTED
  Java("target-state-a", R"({"state":"PAUSED"})");  // an older worker
  Refresh();
  EXPECT_EQ(state(), TargetState::kPaused);
  Java("target-state-a", R"({"state":"PAUSED","state.v2":"STOPPED"})");
  Refresh();
  EXPECT_EQ(state(), TargetState::kStopped);
  Java("target-state-a", R"({"state":"STARTED","state.v2":42})");  // bad v2: use the legacy field
  Refresh();
  EXPECT_EQ(state(), TargetState::kStarted);
  Java("target-state-a", R"({"state":"RUNNING","state.v2":"SLEEPING"})");  // invalid: ignored
  Java("target-state-a", R"({"other":1})");
  Refresh();
  EXPECT_EQ(state(), TargetState::kStarted);
  Java("target-state-a", R"({"state":"PAUSED","state.v2":"PAUSED"})");
  Java("target-state-a", std::nullopt);  // tombstone: back to STARTED while the connector exists
  Refresh();
  EXPECT_EQ(state(), TargetState::kStarted);
}

TEST_F(ConfigStoreTest, ATargetStateWrittenBeforeItsConnectorApplies) {
  StartStore();
  ASSERT_TRUE(store_.PutConnectorConfig("b", {{"name", "b"}}, TargetState::kStopped).ok());
  EXPECT_EQ(Connector(store_.Snapshot(), "b")->target_state, TargetState::kStopped);
}

TEST_F(ConfigStoreTest, AConnectorTombstoneRemovesItAndItsTargetState) {
  StartStore();
  ASSERT_TRUE(store_.PutConnectorConfig("mm2-src", kMm2Config, TargetState::kPaused).ok());
  ASSERT_TRUE(store_.PutTaskConfigs("mm2-src", {TaskProps(0)}).ok());
  Java("connector-mm2-src", std::nullopt);  // a tombstone alone, as an older worker may write it
  Refresh();
  EXPECT_FALSE(Connector(store_.Snapshot(), "mm2-src").has_value());
  // Recreated: STARTED again, and no tasks until a new commit.
  Java("connector-mm2-src", kMm2ConfigJson);
  Refresh();
  auto c = Connector(store_.Snapshot(), "mm2-src");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->target_state, TargetState::kStarted);
  EXPECT_TRUE(c->task_configs.empty());
}

TEST_F(ConfigStoreTest, TaskConfigsAreInvisibleUntilTheirCommit) {
  Java("connector-mm2-src", kMm2ConfigJson);
  StartStore();
  Java("task-mm2-src-0", TaskJson(0));
  Java("task-mm2-src-1", TaskJson(1));
  Refresh();
  EXPECT_TRUE(Connector(store_.Snapshot(), "mm2-src")->task_configs.empty());
  Java("commit-mm2-src", R"({"tasks":2})");
  Refresh();
  auto c = Connector(store_.Snapshot(), "mm2-src");
  EXPECT_EQ(c->task_configs, (std::vector<Properties>{TaskProps(0), TaskProps(1)}));
  EXPECT_EQ(c->task_config_generation, 1);
}

TEST_F(ConfigStoreTest, ACommitMissingTaskConfigsMarksTheConnectorInconsistent) {
  Java("connector-mm2-src", kMm2ConfigJson);
  Java("task-mm2-src-0", TaskJson(0));
  Java("task-mm2-src-1", TaskJson(1));
  Java("commit-mm2-src", R"({"tasks":2})");
  // Compaction kept task 0 and 2 of a later set of three.
  Java("task-mm2-src-0", TaskJson(10));
  Java("task-mm2-src-2", TaskJson(12));
  Java("commit-mm2-src", R"({"tasks":3})");
  StartStore();
  auto c = Connector(store_.Snapshot(), "mm2-src");
  EXPECT_TRUE(c->inconsistent);
  EXPECT_TRUE(c->task_configs.empty());
  EXPECT_EQ(c->task_config_generation, 1);

  // The deferred set was cleared: a commit needs a complete fresh set.
  Java("task-mm2-src-1", TaskJson(11));
  Java("commit-mm2-src", R"({"tasks":3})");
  Refresh();
  EXPECT_TRUE(Connector(store_.Snapshot(), "mm2-src")->inconsistent);

  // Regenerated: consistent again. Ids >= N (compaction leftovers) are tolerated.
  ASSERT_TRUE(store_.PutTaskConfigs("mm2-src", {TaskProps(0), TaskProps(1)}).ok());
  c = Connector(store_.Snapshot(), "mm2-src");
  EXPECT_FALSE(c->inconsistent);
  EXPECT_EQ(c->task_configs, (std::vector<Properties>{TaskProps(0), TaskProps(1)}));
  EXPECT_EQ(c->task_config_generation, 2);
  ASSERT_EQ(events_.size(), 2u);
  EXPECT_EQ(events_[0].kind, ConfigEvent::Kind::kTaskConfigs);  // the inconsistent commit
  EXPECT_EQ(events_[1].kind, ConfigEvent::Kind::kTaskConfigs);

  Java("task-mm2-src-0", TaskJson(0));
  Java("task-mm2-src-1", TaskJson(1));
  Java("task-mm2-src-2", TaskJson(2));
  Java("commit-mm2-src", R"({"tasks":2})");
  Refresh();
  EXPECT_EQ(Connector(store_.Snapshot(), "mm2-src")->task_configs.size(), 2u);
}

TEST_F(ConfigStoreTest, ACommitForAnUnknownConnectorIsDroppedWithItsTaskConfigs) {
  Java("task-gone-0", TaskJson(0));
  Java("commit-gone", R"({"tasks":1})");
  StartStore();
  EXPECT_TRUE(store_.Snapshot().connectors.empty());
  // The dropped task config does not complete a later commit.
  Java("connector-gone", R"({"properties":{"name":"gone"}})");
  Java("commit-gone", R"({"tasks":1})");
  Refresh();
  EXPECT_TRUE(Connector(store_.Snapshot(), "gone")->inconsistent);
}

TEST_F(ConfigStoreTest, ACommitOfZeroTasksClearsThem) {
  StartStore();
  ASSERT_TRUE(store_.PutConnectorConfig("mm2-src", kMm2Config, std::nullopt).ok());
  ASSERT_TRUE(store_.PutTaskConfigs("mm2-src", {TaskProps(0), TaskProps(1)}).ok());
  ASSERT_TRUE(store_.PutTaskConfigs("mm2-src", {}).ok());
  auto c = Connector(store_.Snapshot(), "mm2-src");
  EXPECT_TRUE(c->task_configs.empty());
  EXPECT_FALSE(c->inconsistent);
  EXPECT_EQ(c->task_config_generation, 2);
}

TEST_F(ConfigStoreTest, TaskKeysSplitOnTheLastDash) {
  Java("connector-my-mm2-source-1", R"({"properties":{"name":"my-mm2-source-1"}})");
  Java("task-my-mm2-source-1-0", TaskJson(0));
  Java("task-my-mm2-source-1-1", TaskJson(1));
  Java("task-my-mm2-source-1-x", TaskJson(9));  // not a task number: ignored
  Java("task-nodash", TaskJson(9));
  Java("task-my-mm2-source-1--1", TaskJson(9));  // task 1 of connector "my-mm2-source-1-", as in Java
  Java("commit-my-mm2-source-1", R"({"tasks":2})");
  StartStore();
  auto c = Connector(store_.Snapshot(), "my-mm2-source-1");
  ASSERT_TRUE(c.has_value());
  EXPECT_FALSE(c->inconsistent);
  EXPECT_EQ(c->task_configs, (std::vector<Properties>{TaskProps(0), TaskProps(1)}));
}

TEST_F(ConfigStoreTest, IntegerFieldsAcceptIntOrLongButNothingElse) {
  Java("connector-a", R"({"properties":{"name":"a"}})");
  Java("task-a-0", TaskJson(0));
  Java("commit-a", R"({"tasks":"1"})");       // a string
  Java("commit-a", R"({"tasks":1.0})");       // a float
  Java("commit-a", R"({"tasks":-1})");
  Java("commit-a", R"({"tasks":4294967296})");  // a long beyond int range
  Java("commit-a", R"({})");
  StartStore();
  EXPECT_TRUE(Connector(store_.Snapshot(), "a")->task_configs.empty());
  EXPECT_FALSE(Connector(store_.Snapshot(), "a")->inconsistent) << "bad commits are skipped whole";
  Java("commit-a", R"({"tasks":1})");
  Refresh();
  EXPECT_EQ(Connector(store_.Snapshot(), "a")->task_configs.size(), 1u);
}

TEST_F(ConfigStoreTest, MalformedRecordsAreSkippedButCounted) {
  Java("connector-ok", R"({"properties":{"name":"ok","n":5,"b":true,"gone":null}})");
  log_.topic().Append(std::nullopt, "no key");
  Java("connector-bad1", "not json");
  Java("connector-bad2", R"(["properties"])");
  Java("connector-bad3", R"({"properties":"x"})");
  Java("task-ok-0", std::nullopt);
  Java("task-ok-0", "{");
  Java("commit-ok", std::nullopt);
  Java("target-state-ok", "[]");
  Java("restart-connector-ok", R"({"include-tasks":"yes"})");
  Java("something-else", "{}");
  Java("", "{}");
  StartStore();
  ClusterConfigState s = store_.Snapshot();
  EXPECT_EQ(s.offset, 12);
  ASSERT_EQ(s.connectors.size(), 1u);
  EXPECT_EQ(Connector(s, "ok")->config, (Properties{{"name", "ok"}, {"n", "5"}, {"b", "true"}}));
}

TEST_F(ConfigStoreTest, RestartRequestsAfterStartupBecomeEvents) {
  Java("connector-mm2-src", kMm2ConfigJson);
  Java("restart-connector-mm2-src", R"({"include-tasks":true,"only-failed":true})");  // old: not acted on
  StartStore();
  EXPECT_TRUE(events_.empty());
  Java("restart-connector-mm2-src", R"({"include-tasks":true,"only-failed":false})");
  Java("restart-connector-mm2-src", R"({})");  // fields default to false
  Java("restart-connector-mm2-src", R"({"only-failed":1})");  // bad type: skipped
  Refresh();
  ASSERT_EQ(events_.size(), 2u);
  EXPECT_EQ(events_[0].kind, ConfigEvent::Kind::kRestartRequest);
  EXPECT_EQ(events_[0].connector, "mm2-src");
  EXPECT_EQ(events_[0].restart.connector, "mm2-src");
  EXPECT_TRUE(events_[0].restart.include_tasks);
  EXPECT_FALSE(events_[0].restart.only_failed);
  EXPECT_FALSE(events_[1].restart.include_tasks);
  EXPECT_FALSE(events_[1].restart.only_failed);
}

TEST_F(ConfigStoreTest, ChangesAfterStartupBecomeEvents) {
  StartStore();
  ASSERT_TRUE(store_.PutConnectorConfig("c", {{"name", "c"}}, TargetState::kPaused).ok());
  ASSERT_TRUE(store_.PutTaskConfigs("c", {TaskProps(0)}).ok());
  ASSERT_TRUE(store_.PutTargetState("c", TargetState::kStarted).ok());
  ASSERT_TRUE(store_.RemoveConnectorConfig("c").ok());
  std::vector<ConfigEvent::Kind> kinds;
  for (const auto& e : events_) {
    kinds.push_back(e.kind);
    EXPECT_EQ(e.connector, "c");
  }
  using K = ConfigEvent::Kind;
  EXPECT_EQ(kinds, (std::vector<K>{K::kTargetState, K::kConnectorConfig, K::kTaskConfigs, K::kTargetState,
                                   K::kConnectorRemoved}));
}

TEST_F(ConfigStoreTest, AFailedTaskConfigWriteCommitsNothing) {
  StartStore();
  ASSERT_TRUE(store_.PutConnectorConfig("mm2-src", kMm2Config, std::nullopt).ok());
  ASSERT_TRUE(store_.PutTaskConfigs("mm2-src", {TaskProps(0)}).ok());
  const size_t before = log_.records().size();

  log_.FailNextFlush(Error::Timeout("injected"));
  auto put = store_.PutTaskConfigs("mm2-src", {TaskProps(5), TaskProps(6)});
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(put.error().message(), "injected");
  EXPECT_EQ(log_.records().size(), before) << "no task and no commit record reached the topic";
  EXPECT_EQ(Connector(store_.Snapshot(), "mm2-src")->task_configs, (std::vector<Properties>{TaskProps(0)}));

  ASSERT_TRUE(store_.PutTaskConfigs("mm2-src", {TaskProps(7), TaskProps(8)}).ok());
  EXPECT_EQ(Connector(store_.Snapshot(), "mm2-src")->task_configs,
            (std::vector<Properties>{TaskProps(7), TaskProps(8)}));
}

TEST_F(ConfigStoreTest, AFailedSendLeavesNoCommit) {
  StartStore();
  ASSERT_TRUE(store_.PutConnectorConfig("mm2-src", kMm2Config, std::nullopt).ok());
  log_.FailNextSend(Error::Internal("injected"));
  EXPECT_FALSE(store_.PutTaskConfigs("mm2-src", {TaskProps(0)}).ok());
  EXPECT_EQ(Written(1), std::vector<std::string>{}) << "only the connector config is in the topic";
  EXPECT_TRUE(Connector(store_.Snapshot(), "mm2-src")->task_configs.empty());
}

TEST_F(ConfigStoreTest, AFailedConnectorWriteWritesNeitherRecord) {
  StartStore();
  log_.FailNextFlush(Error::Timeout("injected"));
  EXPECT_FALSE(store_.PutConnectorConfig("mm2-src", kMm2Config, TargetState::kPaused).ok());
  EXPECT_TRUE(log_.records().empty());
  EXPECT_TRUE(store_.Snapshot().connectors.empty());
}

TEST_F(ConfigStoreTest, TwoWorkersOnOneTopicSeeEachOthersWrites) {
  MemoryLog other_log(log_.shared_topic());
  ConfigStore other(other_log);
  ASSERT_TRUE(other.Start(seconds(1)).ok());
  StartStore();
  ASSERT_TRUE(store_.PutConnectorConfig("mm2-src", kMm2Config, std::nullopt).ok());
  ASSERT_TRUE(store_.PutTaskConfigs("mm2-src", {TaskProps(0)}).ok());
  ASSERT_TRUE(other.Refresh(seconds(1)).ok());
  ClusterConfigState s = other.Snapshot();
  EXPECT_EQ(s.offset, store_.Snapshot().offset);
  ASSERT_EQ(s.connectors.count("mm2-src"), 1u);
  EXPECT_EQ(s.connectors.at("mm2-src").task_configs.size(), 1u);
  ASSERT_TRUE(other.PutTargetState("mm2-src", TargetState::kPaused).ok());
  Refresh();
  EXPECT_EQ(Connector(store_.Snapshot(), "mm2-src")->target_state, TargetState::kPaused);
}

}  // namespace
}  // namespace ferry::worker

namespace ferry::worker {
namespace {

TEST_F(ConfigStoreTest, SessionKeysRoundTripInConnectsFormatAndTheLatestCounts) {
  StartStore();
  // As a Java leader writes it (Base64 of the key's bytes).
  Java("session-key", R"({"key":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=","algorithm":"HmacSHA256","creation-timestamp":1700000000000})");
  Refresh();
  auto key = store_.Snapshot().session_key;
  ASSERT_TRUE(key.has_value());
  std::string bytes;
  for (int i = 0; i < 32; ++i) bytes += static_cast<char>(i);
  EXPECT_EQ(*key, (SessionKey{bytes, "HmacSHA256", 1700000000000}));

  const SessionKey next{"0123456789abcdef0123456789abcdef", "HmacSHA512", 1700000360000};
  const size_t before = log_.records().size();
  ASSERT_TRUE(store_.PutSessionKey(next).ok());
  EXPECT_EQ(Written(before), std::vector<std::string>{
                                 R"(session-key => {"key":"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=","algorithm":"HmacSHA512","creation-timestamp":1700000360000})"});
  EXPECT_EQ(store_.Snapshot().session_key, next);

  // A malformed record is skipped; the last good key stays.
  Java("session-key", R"({"key":"not base64!","algorithm":"HmacSHA256","creation-timestamp":1})");
  Java("session-key", R"({"key":"AAEC"})");
  Refresh();
  EXPECT_EQ(store_.Snapshot().session_key, next);
}

}  // namespace
}  // namespace ferry::worker
