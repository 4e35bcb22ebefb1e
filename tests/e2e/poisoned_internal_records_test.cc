// Poisoned records in a worker's three Connect topics, on both peers (issue 13): 200 KB
// of nested '[' once overflowed the log thread's stack in every store's recursive JSON parser, so one
// record crashed the worker and every restart. Now each bad record is skipped with an error naming its
// topic, partition and offset, the records after it apply, and the worker starts and restarts.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include "tests/support/log_capture.h"
#include "tests/support/two_clusters.h"
#include "worker/kafka/client.h"
#include "worker/runtime.h"
#include "worker/worker_config.h"

namespace ferry::worker {
namespace {

using std::chrono::seconds;

const std::string kPoison(200'000, '[');

class PoisonedInternalRecordsFixture : public ferry::testing::TwoClustersTest {
 protected:
  explicit PoisonedInternalRecordsFixture(ferry::testing::Peer peer) : TwoClustersTest(peer) {}

  void SetUp() override {
    TwoClustersTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    for (const auto& [topic, partitions] : {std::pair{Topic("configs"), 1}, {Topic("offsets"), 5}, {Topic("status"), 3}}) {
      ASSERT_TRUE(target().CreateTopic(topic, partitions).ok());
    }
  }

  std::string Topic(const std::string& kind) const { return prefix_ + "-" + kind; }

  WorkerConfig Config() {
    Properties props = {{"bootstrap.servers", target().bootstrap_servers()},
                        {"group.id", prefix_ + "-cluster"},
                        {"config.storage.topic", Topic("configs")},
                        {"offset.storage.topic", Topic("offsets")},
                        {"status.storage.topic", Topic("status")},
                        {"config.storage.replication.factor", "1"},
                        {"offset.storage.replication.factor", "1"},
                        {"status.storage.replication.factor", "1"},
                        {"offset.storage.partitions", "5"},
                        {"status.storage.partitions", "3"},
                        {"session.timeout.ms", "3500"},
                        {"heartbeat.interval.ms", "500"},
                        {"ferry.group.leader.sync.delay.ms", "300"},
                        {"listeners", "http://127.0.0.1:0"}};
    Result<WorkerConfig> config = WorkerConfig::Parse(props, WorkerMode::kDistributed);
    CHECK(config.ok()) << config.error().ToString();
    config->SetBoundPort(18083);
    return *config;
  }

  // Writes records to partition 0 of `topic`, in order (so the first is at offset 0).
  void Produce(const std::string& topic, const std::vector<std::pair<std::string, std::string>>& records) {
    Result<kafka::HandlePtr> producer = kafka::NewClient(
        RD_KAFKA_PRODUCER, {{"bootstrap.servers", target().bootstrap_servers()}, {"message.max.bytes", "1000000"}});
    ASSERT_TRUE(producer.ok()) << producer.error().ToString();
    for (const auto& [key, value] : records) {
      const rd_kafka_resp_err_t err = rd_kafka_producev(
          producer->get(), RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(0),
          RD_KAFKA_V_KEY(key.data(), key.size()), RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
      ASSERT_EQ(err, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_err2str(err);
    }
    ASSERT_EQ(rd_kafka_flush(producer->get(), 10'000), RD_KAFKA_RESP_ERR_NO_ERROR);
  }

  const std::string prefix_ = ferry::testing::UniqueName("poisoned");
};

using PoisonedInternalRecordsTest = ferry::testing::OnPeers<PoisonedInternalRecordsFixture>;
FERRY_INSTANTIATE_ON_PEERS(PoisonedInternalRecordsTest);

TEST_P(PoisonedInternalRecordsTest, EachBadRecordIsSkippedNamingWhereItIsAndTheWorkerRuns) {
  // In each topic a poisoned record first, then a good one that must still apply.
  Produce(Topic("configs"),
          {{"connector-poison", kPoison},
           {"target-state-mirror-x", R"({"state":"STOPPED","state.v2":"STOPPED"})"},
           {"connector-mirror-x",
            R"({"properties":{"connector.class":"org.apache.kafka.connect.mirror.MirrorHeartbeatConnector",)"
            R"("source.cluster.alias":"A","target.cluster.alias":"B","name":"mirror-x"}})"}});
  Produce(Topic("offsets"), {{kPoison, R"({"offset":1})"},
                             {R"(["mirror-x",{"cluster":"A","topic":"t","partition":0}])", kPoison},
                             {R"(["mirror-x",{"cluster":"A","topic":"t","partition":1}])", R"({"offset":41})"}});
  Produce(Topic("status"),
          {{"status-connector-poison", kPoison},
           {"status-topic-t:connector-mirror-x", kPoison},
           {"status-connector-mirror-x", R"({"state":"STOPPED","trace":null,"worker_id":"w:1","generation":1})"}});

  const WorkerConfig config = Config();
  for (int start = 1; start <= 2; ++start) {  // and again: a bad record must not fail every restart
    SCOPED_TRACE("start " + std::to_string(start));
    ferry::testing::LogCapture log;
    Result<std::unique_ptr<WorkerRuntime>> runtime = WorkerRuntime::Create(config);
    ASSERT_TRUE(runtime.ok()) << runtime.error().ToString();
    Result<> started = (*runtime)->Start(config);
    ASSERT_TRUE(started.ok()) << started.error().ToString();

    Result<std::vector<std::string>> connectors = (*runtime)->herder().Connectors();
    ASSERT_TRUE(connectors.ok()) << connectors.error().ToString();
    EXPECT_EQ(*connectors, std::vector<std::string>{"mirror-x"});
    Result<ConnectorStateInfo> status = (*runtime)->herder().GetConnectorStatus("mirror-x");
    ASSERT_TRUE(status.ok()) << status.error().ToString();
    EXPECT_EQ(status->connector.state, "STOPPED");
    Result<std::vector<ConnectorOffset>> offsets = (*runtime)->herder().GetOffsets("mirror-x");
    ASSERT_TRUE(offsets.ok()) << offsets.error().ToString();
    ASSERT_EQ(offsets->size(), 1u);
    EXPECT_EQ(offsets->front().offset_json, R"({"offset":41})");

    const std::string too_deep = "arrays and objects nest deeper than 64 levels at offset 64";
    EXPECT_EQ(log.Count(google::GLOG_ERROR, "Ignoring config record 'connector-poison' at " + Topic("configs") +
                                                                " partition 0 offset 0: its value is not valid JSON: " + too_deep),
              1);
    EXPECT_EQ(log.Count(google::GLOG_WARNING,
                        "Ignoring offsets record at " + Topic("offsets") + " partition 0 offset 0: its key is not valid JSON: " +
                            too_deep),
              1);
    EXPECT_EQ(log.Count(google::GLOG_WARNING, "at " + Topic("offsets") + " partition 0 offset 1: its value is not valid "
                                              "JSON: " + too_deep),
              1);
    EXPECT_EQ(log.Count(google::GLOG_ERROR, "Ignoring status record 'status-connector-poison' at " + Topic("status") +
                                                                " partition 0 offset 0: its value is not valid JSON: " + too_deep),
              1);
    EXPECT_EQ(log.Count(google::GLOG_ERROR, "Ignoring topic status record 'status-topic-t:connector-mirror-x' at " +
                                                                Topic("status") + " partition 0 offset 1: its value is not valid JSON: " +
                                                too_deep),
              1);
    (*runtime)->Stop();
  }
}

}  // namespace
}  // namespace ferry::worker
