// StatusStore on a MemoryLog: Connect's status-topic bytes (KafkaStatusBackingStore's),
// Java-written records, and the local cache's rules.
#include "worker/status_store.h"

#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/fakes/memory_log.h"

namespace ferry::worker {
namespace {

using std::chrono::seconds;
using testing::MemoryLog;

Status Running(int32_t generation, std::string worker = "w:8083") {
  return Status{"RUNNING", std::nullopt, std::move(worker), generation};
}

class StatusStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(store_.Start(seconds(1)).ok()); }
  // A record as another (Java) worker wrote it, read by this store.
  void Java(const std::string& key, std::optional<std::string> value) {
    log_.topic().Append(key, std::move(value));
    ASSERT_TRUE(store_.Refresh(seconds(1)).ok());
  }
  std::vector<std::string> Written() const {
    std::vector<std::string> lines;
    for (const kafka::LogRecord& r : log_.records()) {
      lines.push_back(r.key.value_or("<null>") + " => " + r.value.value_or("<tombstone>"));
    }
    return lines;
  }

  MemoryLog log_;
  StatusStore store_{log_};
};

TEST_F(StatusStoreTest, WritesEveryRecordKindInConnectsExactBytes) {
  ASSERT_TRUE(store_.PutConnector("mm2-src", Running(7)).ok());
  ASSERT_TRUE(store_.PutTask({"mm2-src", 3}, {"FAILED", "java.lang.Exception: boom\n\tat X", "w:8083", 7}).ok());
  ASSERT_TRUE(store_.PutTopic("mm2-src", "orders", 0, 1700000000000).ok());
  ASSERT_TRUE(store_.DeleteTopic("mm2-src", "orders").ok());
  ASSERT_TRUE(store_.DeleteConnector("mm2-src").ok());
  ASSERT_TRUE(store_.DeleteTask({"mm2-src", 9}).ok());
  ASSERT_TRUE(store_.Flush(seconds(1)).ok());
  EXPECT_EQ(Written(), (std::vector<std::string>{
                           R"(status-connector-mm2-src => {"state":"RUNNING","trace":null,"worker_id":"w:8083","generation":7})",
                           R"(status-task-mm2-src-3 => {"state":"FAILED","trace":"java.lang.Exception: boom\n\tat X","worker_id":"w:8083","generation":7})",
                           R"(status-topic-orders:connector-mm2-src => {"topic":{"name":"orders","connector":"mm2-src","task":0,"discoverTimestamp":1700000000000}})",
                           "status-topic-orders:connector-mm2-src => <tombstone>",
                           "status-task-mm2-src-3 => <tombstone>",
                           "status-connector-mm2-src => <tombstone>",
                           "status-task-mm2-src-9 => <tombstone>",
                       }));
}

// A running mirror task's offset-sync writer goes last, under a name of Ferry's that Connect's
// reader passes over; a worker reading it back gets it, and Connect's own records have none.
TEST_F(StatusStoreTest, ARunningTasksSyncWriterIsWrittenAfterConnectsFieldsAndReadBack) {
  Status running = Running(7);
  running.sync_writer = "mirror-A-task-0@00ff";
  ASSERT_TRUE(store_.PutTask({"mm2-src", 0}, running).ok());
  ASSERT_TRUE(store_.Flush(seconds(1)).ok());
  EXPECT_EQ(Written(), (std::vector<std::string>{
                           R"(status-task-mm2-src-0 => {"state":"RUNNING","trace":null,"worker_id":"w:8083","generation":7,"ferry.sync.writer":"mirror-A-task-0@00ff"})"}));
  Java("status-task-mm2-src-1", R"({"state":"RUNNING","trace":null,"worker_id":"w:9","generation":8,"ferry.sync.writer":"mirror-A-task-1@01"})");
  ASSERT_TRUE(store_.GetTask({"mm2-src", 1}));
  EXPECT_EQ(store_.GetTask({"mm2-src", 1})->sync_writer, "mirror-A-task-1@01");
}

TEST_F(StatusStoreTest, ReadsStatusesWrittenByJavaConnect) {
  Java("status-connector-my-mm2-src", R"({"state":"RUNNING","trace":null,"worker_id":"10.0.0.5:8083","generation":7})");
  Java("status-task-my-mm2-src-12",
       R"({"state":"FAILED","trace":"org.apache.kafka.connect.errors.ConnectException: x","worker_id":"10.0.0.5:8083","generation":3000000000})");
  Java("status-task-my-mm2-src-2", R"({"state":"PAUSED","worker_id":"10.0.0.6:8083","generation":8})");  // no trace
  Java("status-topic-orders:connector-my-mm2-src",
       R"({"topic":{"name":"orders","connector":"my-mm2-src","task":0,"discoverTimestamp":1700000000000}})");
  EXPECT_EQ(store_.GetConnector("my-mm2-src"), Running(7, "10.0.0.5:8083"));
  EXPECT_EQ(store_.GetTask({"my-mm2-src", 12}), std::nullopt) << "a generation beyond int32 is not a status";
  EXPECT_EQ(store_.GetTask({"my-mm2-src", 2}), (Status{"PAUSED", std::nullopt, "10.0.0.6:8083", 8}));
  EXPECT_EQ(store_.Topics("my-mm2-src"), std::set<std::string>{"orders"});
  Java("status-task-my-mm2-src-12",
       R"({"state":"FAILED","trace":"boom","worker_id":"10.0.0.5:8083","generation":4})");
  EXPECT_EQ(store_.GetTasks("my-mm2-src").size(), 2u);
  EXPECT_EQ(store_.GetTask({"my-mm2-src", 12})->trace, "boom");
}

TEST_F(StatusStoreTest, AConnectorTombstoneAlsoDropsItsTasks) {
  Java("status-connector-a-b", R"({"state":"RUNNING","trace":null,"worker_id":"w","generation":1})");
  Java("status-task-a-b-0", R"({"state":"RUNNING","trace":null,"worker_id":"w","generation":1})");
  Java("status-task-a-b-1", R"({"state":"RUNNING","trace":null,"worker_id":"w","generation":1})");
  Java("status-task-a-0", R"({"state":"RUNNING","trace":null,"worker_id":"w","generation":1})");  // connector "a"
  Java("status-connector-a-b", std::nullopt);
  EXPECT_EQ(store_.GetConnector("a-b"), std::nullopt);
  EXPECT_TRUE(store_.GetTasks("a-b").empty());
  EXPECT_EQ(store_.GetTasks("a").size(), 1u);
  Java("status-task-a-0", std::nullopt);
  EXPECT_TRUE(store_.GetTasks("a").empty());
}

TEST_F(StatusStoreTest, MalformedRecordsAreSkipped) {
  const std::string ok = R"({"state":"RUNNING","trace":null,"worker_id":"w","generation":1})";
  Java("status-connector-c", ok);
  log_.topic().Append(std::nullopt, ok);
  Java("status-connector-", ok);
  Java("status-task-c", ok);
  Java("status-task-c-x", ok);
  Java("status-task-c-", ok);
  Java("status-topic-orders", ok);
  Java("status-topic-:connector-c", ok);
  Java("status-topic-orders:connector-", ok);
  Java("status-other-c", ok);
  Java("status-connector-c", "not json");
  Java("status-connector-c", R"({"state":"SLEEPING","trace":null,"worker_id":"w","generation":2})");
  Java("status-connector-c", R"({"state":"FAILED","trace":7,"worker_id":"w","generation":2})");
  Java("status-connector-c", R"({"state":"FAILED","trace":null,"worker_id":"w","generation":"2"})");
  Java("status-connector-c", R"({"state":"FAILED","trace":null,"worker_id":"w"})");
  Java("status-connector-c", R"(["RUNNING"])");
  Java("status-topic-orders:connector-c", R"({"topic":{"name":"orders"}})");
  EXPECT_EQ(store_.GetConnector("c"), Running(1, "w"));
  EXPECT_TRUE(store_.GetTasks("c").empty());
  EXPECT_TRUE(store_.Topics("c").empty());
}

TEST_F(StatusStoreTest, WritesApplyLocallyAtOnce) {
  ASSERT_TRUE(store_.PutTask({"mm2-src", 0}, Running(3)).ok());
  EXPECT_TRUE(log_.records().empty()) << "not flushed yet";
  EXPECT_EQ(store_.GetTask({"mm2-src", 0}), Running(3));
  ASSERT_TRUE(store_.PutTopic("mm2-src", "orders", 0, 1).ok());
  EXPECT_EQ(store_.Topics("mm2-src"), std::set<std::string>{"orders"});
  ASSERT_TRUE(store_.Flush(seconds(1)).ok());
  EXPECT_EQ(log_.records().size(), 2u);
  EXPECT_EQ(store_.GetTask({"mm2-src", 0}), Running(3));
}

TEST_F(StatusStoreTest, AnOlderRecordReadBeforeOurOwnWriteDoesNotStepBack) {
  ASSERT_TRUE(store_.PutConnector("mm2-src", {"FAILED", "boom", "w:8083", 5}).ok());
  // Written by another worker before ours, read before our write comes back.
  log_.topic().Append("status-connector-mm2-src", R"({"state":"RUNNING","trace":null,"worker_id":"x:8083","generation":5})");
  ASSERT_TRUE(store_.Flush(seconds(1)).ok());  // delivers the older record, then ours
  EXPECT_EQ(store_.GetConnector("mm2-src")->state, "FAILED");
  // Once ours is back, records are applied again.
  Java("status-connector-mm2-src", R"({"state":"RUNNING","trace":null,"worker_id":"x:8083","generation":5})");
  EXPECT_EQ(store_.GetConnector("mm2-src")->worker_id, "x:8083");
}

TEST_F(StatusStoreTest, ANewerGenerationFromAnotherWorkerWinsOverOurPendingWrite) {
  ASSERT_TRUE(store_.PutTask({"mm2-src", 1}, Running(5)).ok());
  Java("status-task-mm2-src-1", R"({"state":"RUNNING","trace":null,"worker_id":"x:8083","generation":6})");
  EXPECT_EQ(store_.GetTask({"mm2-src", 1}), Running(6, "x:8083"));
}

TEST_F(StatusStoreTest, ALateUnassignedDoesNotHideARunningTask) {
  Java("status-task-mm2-src-0", R"({"state":"RUNNING","trace":null,"worker_id":"x","generation":5})");
  Java("status-task-mm2-src-0", R"({"state":"UNASSIGNED","trace":null,"worker_id":"w","generation":5})");
  EXPECT_EQ(store_.GetTask({"mm2-src", 0})->state, "RUNNING");
  Java("status-task-mm2-src-0", R"({"state":"UNASSIGNED","trace":null,"worker_id":"w","generation":6})");
  EXPECT_EQ(store_.GetTask({"mm2-src", 0})->state, "UNASSIGNED");
}

TEST_F(StatusStoreTest, SafeWritesYieldToANewerGenerationOfAnotherWorker) {
  Java("status-task-mm2-src-0", R"({"state":"RUNNING","trace":null,"worker_id":"x:8083","generation":8})");
  ASSERT_TRUE(store_.PutTaskSafe({"mm2-src", 0}, {"UNASSIGNED", std::nullopt, "w:8083", 7}).ok());
  EXPECT_EQ(log_.sends(), 0);
  EXPECT_EQ(store_.GetTask({"mm2-src", 0}), Running(8, "x:8083"));
  ASSERT_TRUE(store_.PutTaskSafe({"mm2-src", 0}, {"UNASSIGNED", std::nullopt, "w:8083", 8}).ok());
  EXPECT_EQ(log_.sends(), 1);
  Java("status-connector-mm2-src", R"({"state":"RUNNING","trace":null,"worker_id":"x:8083","generation":8})");
  ASSERT_TRUE(store_.PutConnectorSafe("mm2-src", {"UNASSIGNED", std::nullopt, "w:8083", 7}).ok());
  EXPECT_EQ(log_.sends(), 1);
  ASSERT_TRUE(store_.PutConnectorSafe("mm2-src", {"FAILED", "x", "x:8083", 7}).ok());  // same worker
  EXPECT_EQ(log_.sends(), 2);
}

TEST_F(StatusStoreTest, AWriteThatCannotBeSentIsUndone) {
  ASSERT_TRUE(store_.PutTask({"mm2-src", 0}, Running(3)).ok());
  ASSERT_TRUE(store_.Flush(seconds(1)).ok());
  log_.FailNextSend(Error::Internal("injected"));
  EXPECT_FALSE(store_.PutTask({"mm2-src", 0}, {"FAILED", "boom", "w:8083", 3}).ok());
  EXPECT_EQ(store_.GetTask({"mm2-src", 0}), Running(3));
  log_.FailNextSend(Error::Internal("injected"));
  EXPECT_FALSE(store_.PutConnector("new", Running(3)).ok());
  EXPECT_EQ(store_.GetConnector("new"), std::nullopt);
  // Nothing stays pending: another worker's record applies normally.
  Java("status-task-mm2-src-0", R"({"state":"PAUSED","trace":null,"worker_id":"w:8083","generation":3})");
  EXPECT_EQ(store_.GetTask({"mm2-src", 0})->state, "PAUSED");
}

TEST_F(StatusStoreTest, AFailedFlushStopsWaitingForOurWrites) {
  ASSERT_TRUE(store_.PutConnector("mm2-src", Running(3)).ok());
  log_.FailNextFlush(Error::Timeout("injected"));
  EXPECT_FALSE(store_.Flush(seconds(1)).ok());
  Java("status-connector-mm2-src", R"({"state":"PAUSED","trace":null,"worker_id":"x:8083","generation":3})");
  EXPECT_EQ(store_.GetConnector("mm2-src")->state, "PAUSED");
}

TEST_F(StatusStoreTest, InvalidNamesAreRefused) {
  EXPECT_FALSE(store_.PutConnector("", Running(1)).ok());
  EXPECT_FALSE(store_.PutTask({"", 0}, Running(1)).ok());
  EXPECT_FALSE(store_.PutTopic("c", "a:b", 0, 1).ok());
  EXPECT_FALSE(store_.DeleteConnector("").ok());
  EXPECT_EQ(log_.sends(), 0);
}

TEST_F(StatusStoreTest, ARestartedStoreReadsTheLatestOfEachKey) {
  ASSERT_TRUE(store_.PutConnector("mm2-src", Running(1)).ok());
  ASSERT_TRUE(store_.PutTask({"mm2-src", 0}, Running(1)).ok());
  ASSERT_TRUE(store_.PutTask({"mm2-src", 0}, {"FAILED", "boom", "w:8083", 2}).ok());
  ASSERT_TRUE(store_.PutTopic("mm2-src", "orders", 0, 5).ok());
  ASSERT_TRUE(store_.Flush(seconds(1)).ok());
  MemoryLog restarted_log(log_.shared_topic());
  StatusStore restarted(restarted_log);
  ASSERT_TRUE(restarted.Start(seconds(1)).ok());
  EXPECT_EQ(restarted.GetConnector("mm2-src"), Running(1));
  EXPECT_EQ(restarted.GetTask({"mm2-src", 0}), (Status{"FAILED", "boom", "w:8083", 2}));
  EXPECT_EQ(restarted.Topics("mm2-src"), std::set<std::string>{"orders"});
}

}  // namespace
}  // namespace ferry::worker
