// GET /metrics end to end: a worker mirroring live data shows MM2's record-count for the partition
// equal to the records copied, rising as more records flow, with Ferry's lag and Connect's worker and
// task metrics beside it, all in a well-formed Prometheus text exposition; Ferry's offset-sync ages,
// the offset map's coverage and lag in seconds, on real Kafka.
// The cutover state per group after a real move: MetricsOnRealKafkaTest.
#include <chrono>
#include <cmath>
#include <iostream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <httplib.h>

#include "tests/support/mirror_worker_test.h"
#include "worker/kafka/admin.h"

namespace ferry::testing {
namespace {

using std::chrono::seconds;

struct Scrape {
  int status = 0;
  std::string content_type;
  std::string body;
};

Scrape GetMetrics(int port) {
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(30, 0);
  auto res = client.Get("/metrics");
  if (!res) return {};
  return {res->status, res->get_header_value("Content-Type"), res->body};
}

// The value of the sample `series` (name and labels exactly as written), if the body has it.
std::optional<double> Value(const std::string& body, const std::string& series) {
  std::istringstream lines(body);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 && line[series.size()] == ' ') {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return std::nullopt;
}

// Every line is a HELP, a TYPE or a sample; each family has one HELP and one TYPE, before its
// samples, and its samples are together; no series appears twice.
void ExpectWellFormed(const std::string& body) {
  static const std::regex kHelp(R"(# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .*)");
  static const std::regex kType(R"(# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (gauge|counter|untyped))");
  static const std::regex kSample(
      R"(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*"(,[a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*")*\})? (-?[0-9.e+]+|NaN|\+Inf|-Inf))");
  std::set<std::string> families, series;
  std::string current;
  std::istringstream lines(body);
  std::string line;
  std::smatch m;
  while (std::getline(lines, line)) {
    if (std::regex_match(line, m, kHelp)) {
      EXPECT_TRUE(families.insert(m[1]).second) << "second family " << m[1];
      current = m[1];
    } else if (std::regex_match(line, m, kType)) {
      EXPECT_EQ(m[1], current) << line;
    } else if (std::regex_match(line, m, kSample)) {
      EXPECT_EQ(m[1], current) << "sample outside its family: " << line;
      EXPECT_TRUE(series.insert(line.substr(0, line.rfind(' '))).second) << "series twice: " << line;
    } else {
      ADD_FAILURE() << "malformed line: " << line;
    }
  }
}

class MetricsTest : public OnPeers<MirrorWorkerTest> {
 protected:
  void SetUp() override { SetUpMirror(2); }
};

TEST_P(MetricsTest, RecordCountIsTheRecordsCopiedAndRisesWithThem) {
  Produce(source(), orders_, 0, MakeRecords(0, 200));
  Produce(source(), orders_, 1, MakeRecords(1000, 50));
  auto worker = InProcessWorker::Start(worker_props_);
  ASSERT_NE(worker, nullptr);
  HttpReply put = Http(worker->port(), "PUT", "/connectors/mirror/config", MirrorConfig(1));
  ASSERT_EQ(put.status, 201) << put.body;
  ASSERT_TRUE(WaitForConnectorStatus(worker->port(), "mirror", "RUNNING", 1, "RUNNING"));
  ASSERT_TRUE(WaitFor([&] { return CountRecords(target(), {remote_orders_, 0}) == 200; }, seconds(60)));

  const std::string p0 = "{target=\"B\",topic=\"" + remote_orders_ + "\",partition=\"0\"}";
  const std::string p1 = "{target=\"B\",topic=\"" + remote_orders_ + "\",partition=\"1\"}";
  const std::string record_count = "kafka_connect_mirror_mirrorsourceconnector_record_count";
  const std::string lag = "ferry_mirror_lag_records{source=\"A\",target=\"B\",topic=\"" + remote_orders_ +
                          "\",partition=\"0\"}";
  Scrape scrape;
  // The task publishes its progress within 10 ms of an acknowledgement; the target may show a record
  // a moment before its acknowledgement reaches the task.
  EXPECT_TRUE(WaitFor([&] {
    scrape = GetMetrics(worker->port());
    return Value(scrape.body, record_count + p0) == 200.0 && Value(scrape.body, record_count + p1) == 50.0 &&
           Value(scrape.body, lag) == 0.0;
  }, seconds(30))) << scrape.body;
  EXPECT_EQ(scrape.status, 200);
  EXPECT_EQ(scrape.content_type, "text/plain; version=0.0.4; charset=utf-8");
  ExpectWellFormed(scrape.body);
  EXPECT_NE(scrape.body.find("# TYPE " + record_count + " gauge\n"), std::string::npos);
  EXPECT_GT(*Value(scrape.body, "kafka_connect_mirror_mirrorsourceconnector_byte_count" + p0), 0);
  EXPECT_GT(*Value(scrape.body, "kafka_connect_mirror_mirrorsourceconnector_record_rate" + p0), 0);
  EXPECT_GE(*Value(scrape.body, "kafka_connect_mirror_mirrorsourceconnector_replication_latency_ms_max" + p0),
            *Value(scrape.body, "kafka_connect_mirror_mirrorsourceconnector_replication_latency_ms_min" + p0));
  EXPECT_EQ(Value(scrape.body, "ferry_mirror_lost_records_total{source=\"A\",target=\"B\",topic=\"" +
                                   remote_orders_ + "\",partition=\"0\"}"),
            0.0);
  EXPECT_EQ(Value(scrape.body, "kafka_connect_worker_connector_count"), 1.0);
  EXPECT_EQ(Value(scrape.body, "kafka_connect_worker_task_count"), 1.0);
  EXPECT_EQ(Value(scrape.body, "kafka_connect_connector_status{connector=\"mirror\",status=\"running\"}"), 1.0);
  EXPECT_EQ(Value(scrape.body, "kafka_connect_connector_task_status{connector=\"mirror\",task=\"0\",status=\"running\"}"),
            1.0);
  EXPECT_EQ(Value(scrape.body, "kafka_connect_worker_connector_running_task_count{connector=\"mirror\"}"), 1.0);
  EXPECT_GE(Value(scrape.body, "kafka_connect_worker_rebalance_completed_rebalances_total").value_or(0), 1.0);
  EXPECT_EQ(Value(scrape.body, "kafka_connect_worker_rebalance_rebalancing"), 0.0) << "the join is over";
  // The worker's first rebalance, from its join to its assignment applied, is in the window (30 s).
  const auto rebalance_max = Value(scrape.body, "kafka_connect_worker_rebalance_rebalance_max_time_ms");
  ASSERT_TRUE(rebalance_max) << scrape.body;
  EXPECT_GE(*rebalance_max, 0.0) << "no rebalance timed";
  std::cout << "[ measure  ] the worker's rebalances (join to assignment applied): max " << *rebalance_max << " ms"
            << std::endl;
  EXPECT_LE(*rebalance_max, 60000.0);
  EXPECT_LE(*Value(scrape.body, "kafka_connect_worker_rebalance_rebalance_avg_time_ms"), *rebalance_max);
  EXPECT_EQ(scrape.body.find("password"), std::string::npos);
  EXPECT_EQ(scrape.body.find("bootstrap"), std::string::npos) << "no client settings in the metrics";

  // More records: the count follows them, exactly.
  Produce(source(), orders_, 0, MakeRecords(200, 150));
  ASSERT_TRUE(WaitFor([&] { return CountRecords(target(), {remote_orders_, 0}) == 350; }, seconds(60)));
  EXPECT_TRUE(WaitFor([&] {
    scrape = GetMetrics(worker->port());
    return Value(scrape.body, record_count + p0) == 350.0;
  }, seconds(30))) << scrape.body;
  EXPECT_EQ(Value(scrape.body, record_count + p1), 50.0);
  const std::string task = "{connector=\"mirror\",task=\"0\"}";
  EXPECT_TRUE(WaitFor([&] {
    scrape = GetMetrics(worker->port());
    // On a shared real cluster the task also copies `heartbeats` (MM2 always does), written by other tests.
    return Value(scrape.body, "kafka_connect_source_task_source_record_write_total" + task).value_or(0) >= 400.0;
  }, seconds(30))) << scrape.body;
  EXPECT_GE(Value(scrape.body, "kafka_connect_source_task_source_record_poll_total" + task).value_or(0), 400.0);
  EXPECT_GT(Value(scrape.body, "kafka_connect_connector_task_batch_size_max" + task).value_or(0), 0.0);

  // Offset commits (every offset.flush.interval.ms) show up per task.
  EXPECT_TRUE(WaitFor([&] {
    scrape = GetMetrics(worker->port());
    return Value(scrape.body, "ferry_task_offset_commits_total{connector=\"mirror\",task=\"0\",result=\"success\"}")
               .value_or(0) >= 1;
  }, seconds(30))) << scrape.body;
  EXPECT_EQ(Value(scrape.body, "kafka_connect_connector_task_offset_commit_success_percentage{connector=\"mirror\",task=\"0\"}"),
            1.0);
  ExpectWellFormed(scrape.body);
}

// MM2's checkpoint-latency-ms per group and partition, once the checkpoint task has written a group's
// checkpoint to the target.
TEST_P(MetricsTest, CheckpointLatencyPerGroupAndPartition) {
  const std::string group = Name("app");
  Produce(source(), orders_, 0, MakeRecords(0, 100));
  auto admin = kafka::RdKafkaAdmin::Create({{"bootstrap.servers", source().bootstrap_servers()}}, seconds(10));
  ASSERT_TRUE(admin.ok());
  kafka::GroupOffsets offsets;
  offsets[{orders_, 0}] = {40, ""};
  ASSERT_TRUE((*admin)->AlterConsumerGroupOffsets(group, offsets).ok());

  auto worker = InProcessWorker::Start(worker_props_);
  ASSERT_NE(worker, nullptr);
  ASSERT_EQ(Http(worker->port(), "PUT", "/connectors/mirror/config", MirrorConfig(1)).status, 201);
  const std::string checkpoints =
      "{\"connector.class\":\"MirrorCheckpointConnector\",\"source.cluster.alias\":\"A\",\"target.cluster.alias\":\"B\","
      "\"groups\":" + json::Quote(group) + ",\"emit.checkpoints.interval.seconds\":\"1\","
      "\"source.cluster.bootstrap.servers\":" + json::Quote(source().bootstrap_servers()) + ","
      "\"target.cluster.bootstrap.servers\":" + json::Quote(target().bootstrap_servers()) + ReplicationFactors() + "}";
  ASSERT_EQ(Http(worker->port(), "PUT", "/connectors/checkpoints/config", checkpoints).status, 201);
  ASSERT_TRUE(WaitForConnectorStatus(worker->port(), "checkpoints", "RUNNING", 1, "RUNNING"));

  const std::string series = "{source=\"A\",target=\"B\",group=\"" + group + "\",topic=\"" + remote_orders_ +
                             "\",partition=\"0\"}";
  const std::string latency = "kafka_connect_mirror_mirrorcheckpointconnector_checkpoint_latency_ms";
  Scrape scrape;
  EXPECT_TRUE(WaitFor([&] {
    scrape = GetMetrics(worker->port());
    return Value(scrape.body, latency + series).has_value();
  }, seconds(60))) << scrape.body;
  EXPECT_GE(*Value(scrape.body, latency + series), 0);
  EXPECT_LT(*Value(scrape.body, latency + series), 30'000);
  EXPECT_GE(*Value(scrape.body, latency + "_max" + series), *Value(scrape.body, latency + "_min" + series));
  EXPECT_EQ(Value(scrape.body, "kafka_connect_worker_connector_count"), 2.0);
  ExpectWellFormed(scrape.body);
}

// Ferry's own per partition, with real values: the offset syncs of the copies (acknowledged, none
// waiting once an offset commit synced them, and an idle partition's sync ageing without counting as
// stale), lag in seconds, and the checkpoint task's offset map covering exactly what was copied.
TEST_P(MetricsTest, OffsetSyncAgeOffsetMapCoverageAndLagInSecondsFollowTheCopy) {
  Produce(source(), orders_, 0, MakeRecords(0, 200));
  Produce(source(), orders_, 1, MakeRecords(1000, 50));
  auto worker = InProcessWorker::Start(worker_props_);
  ASSERT_NE(worker, nullptr);
  ASSERT_EQ(Http(worker->port(), "PUT", "/connectors/mirror/config", MirrorConfig(1)).status, 201);
  const std::string checkpoints =
      "{\"connector.class\":\"MirrorCheckpointConnector\",\"source.cluster.alias\":\"A\",\"target.cluster.alias\":\"B\","
      "\"groups\":" + json::Quote(Name("app")) + ",\"emit.checkpoints.interval.seconds\":\"1\","
      "\"source.cluster.bootstrap.servers\":" + json::Quote(source().bootstrap_servers()) + ","
      "\"target.cluster.bootstrap.servers\":" + json::Quote(target().bootstrap_servers()) + ReplicationFactors() + "}";
  ASSERT_EQ(Http(worker->port(), "PUT", "/connectors/checkpoints/config", checkpoints).status, 201);
  ASSERT_TRUE(WaitForConnectorStatus(worker->port(), "mirror", "RUNNING", 1, "RUNNING"));
  ASSERT_TRUE(WaitForConnectorStatus(worker->port(), "checkpoints", "RUNNING", 1, "RUNNING"));
  ASSERT_TRUE(WaitFor([&] { return CountRecords(target(), {remote_orders_, 0}) == 200; }, seconds(60)));

  auto labels = [&](int p) {
    return "{source=\"A\",target=\"B\",topic=\"" + remote_orders_ + "\",partition=\"" + std::to_string(p) + "\"}";
  };
  const std::string age = "ferry_mirror_offset_sync_age_seconds";
  const std::string pending = "ferry_mirror_offset_sync_pending_records";
  const std::string waited = "ferry_mirror_offset_sync_pending_seconds";
  const std::string next = "ferry_offset_map_next_source_offset";
  Scrape scrape;
  // An offset commit (every 500 ms here) syncs the last copy of each partition; the checkpoint task
  // reads the syncs back every second.
  EXPECT_TRUE(WaitFor([&] {
    scrape = GetMetrics(worker->port());
    return Value(scrape.body, pending + labels(0)) == 0.0 && Value(scrape.body, pending + labels(1)) == 0.0 &&
           Value(scrape.body, next + labels(0)) == 200.0 && Value(scrape.body, next + labels(1)) == 50.0;
  }, seconds(60))) << scrape.body;
  ExpectWellFormed(scrape.body);
  EXPECT_EQ(Value(scrape.body, waited + labels(0)), 0.0) << "nothing waits for a sync";
  const std::optional<double> first_age = Value(scrape.body, age + labels(0));
  ASSERT_TRUE(first_age) << scrape.body;
  EXPECT_GE(*first_age, 0.0);
  EXPECT_LT(*first_age, 30.0);
  EXPECT_EQ(Value(scrape.body, "ferry_mirror_lag_seconds" + labels(0)), 0.0) << "caught up";
  EXPECT_EQ(Value(scrape.body, "ferry_offset_map_first_source_offset" + labels(0)), 0.0);
  EXPECT_EQ(Value(scrape.body, "ferry_offset_map_first_source_offset" + labels(1)), 0.0);
  EXPECT_EQ(Value(scrape.body, "ferry_offset_map_complete_history" + labels(0)), 1.0);
  EXPECT_EQ(Value(scrape.body, "ferry_offset_map_contested_records" + labels(0)), 0.0);
  EXPECT_GE(Value(scrape.body, "ferry_offset_map_runs" + labels(0)).value_or(0), 1.0);
  // Every partition's first sync, then at least its last copy's, both read back.
  EXPECT_GE(Value(scrape.body, "ferry_offset_map_syncs_read_total{source=\"A\",target=\"B\"}").value_or(0), 4.0);
  std::cout << "[ measure  ] offset sync age after catching up: " << *first_age << " s" << std::endl;

  // Idle: the last sync ages, and it is not stale (no copy waits for one).
  std::this_thread::sleep_for(seconds(2));
  scrape = GetMetrics(worker->port());
  EXPECT_GE(Value(scrape.body, age + labels(0)).value_or(0), *first_age + 1.5) << scrape.body;
  EXPECT_EQ(Value(scrape.body, waited + labels(0)), 0.0);

  // More records: copied, synced, covered; the sync is young again.
  Produce(source(), orders_, 0, MakeRecords(200, 150));
  EXPECT_TRUE(WaitFor([&] {
    scrape = GetMetrics(worker->port());
    return Value(scrape.body, next + labels(0)) == 350.0 && Value(scrape.body, pending + labels(0)) == 0.0;
  }, seconds(60))) << scrape.body;
  EXPECT_LT(Value(scrape.body, age + labels(0)).value_or(1e9), *first_age + 1.5);
  EXPECT_EQ(Value(scrape.body, "ferry_mirror_lag_seconds" + labels(0)), 0.0);
  EXPECT_EQ(Value(scrape.body, "ferry_offset_map_first_source_offset" + labels(0)), 0.0);
  ExpectWellFormed(scrape.body);
}

FERRY_INSTANTIATE_ON_REAL_KAFKA(MetricsTest);

// A group moved with the mirror's map shows its cutover state at the worker's GET /metrics: what the
// worker's cutover service read from the journal, without a call to Kafka at the scrape. Real Kafka
// only: the mock cannot describe groups, so the real group-state check refuses every move there.
class MetricsOnRealKafkaTest : public MirrorWorkerTest {
 protected:
  MetricsOnRealKafkaTest() : MirrorWorkerTest(Peer::kRealKafka) {}
  void SetUp() override { SetUpMirror(1); }
};

TEST_F(MetricsOnRealKafkaTest, CutoverStatePerGroupAfterAMove) {
  const std::string group = Name("app");
  Produce(source(), orders_, 0, MakeRecords(0, 100));
  auto worker = InProcessWorker::Start(worker_props_);
  ASSERT_NE(worker, nullptr);
  ASSERT_EQ(Http(worker->port(), "PUT", "/connectors/mirror/config", MirrorConfig(1)).status, 201);
  ASSERT_TRUE(WaitForConnectorStatus(worker->port(), "mirror", "RUNNING", 1, "RUNNING"));
  ASSERT_TRUE(WaitFor([&] { return CountRecords(target(), {remote_orders_, 0}) == 100; }, seconds(60)));
  auto admin = kafka::RdKafkaAdmin::Create({{"bootstrap.servers", source().bootstrap_servers()}}, seconds(10));
  ASSERT_TRUE(admin.ok());
  ASSERT_TRUE((*admin)->AlterConsumerGroupOffsets(group, {{{orders_, 0}, {40, ""}}}).ok());

  Scrape scrape = GetMetrics(worker->port());
  EXPECT_EQ(scrape.body.find("ferry_cutover_group"), std::string::npos) << "no journal read before a cutover call";
  const auto before = std::chrono::system_clock::now();
  HttpReply moved = Http(worker->port(), "POST", "/ferry/groups/" + group + "/cutover?connector=mirror&wait_ms=30000");
  ASSERT_EQ(moved.status, 200) << moved.body;
  const auto after = std::chrono::system_clock::now();

  // The journal's tail reads the entry the move wrote (done) within moments.
  const std::string state = "ferry_cutover_group_state{connector=\"mirror\",group=\"" + group + "\"";
  EXPECT_TRUE(WaitFor([&] {
    scrape = GetMetrics(worker->port());
    return Value(scrape.body, state + ",direction=\"cutover\",state=\"done\"}") == 1.0;
  }, seconds(10))) << scrape.body;
  EXPECT_FALSE(Value(scrape.body, state + ",direction=\"cutover\",state=\"committing\"}")) << "one sample per group";
  const auto at =
      Value(scrape.body, "ferry_cutover_group_last_move_timestamp_seconds{connector=\"mirror\",group=\"" + group + "\"}");
  ASSERT_TRUE(at) << scrape.body;
  auto unix_s = [](std::chrono::system_clock::time_point t) {
    return std::chrono::duration<double>(t.time_since_epoch()).count();
  };
  EXPECT_GE(*at, std::floor(unix_s(before)) - 1);
  EXPECT_LE(*at, unix_s(after) + 1);
  ExpectWellFormed(scrape.body);
  std::cout << "[ measure  ] cutover state at GET /metrics " << (unix_s(std::chrono::system_clock::now()) - *at)
            << " s after the move's journal entry" << std::endl;

  // Rolled back: the same group's one sample says so.
  HttpReply back = Http(worker->port(), "POST", "/ferry/groups/" + group + "/rollback?connector=mirror&wait_ms=30000");
  ASSERT_EQ(back.status, 200) << back.body;
  EXPECT_TRUE(WaitFor([&] {
    scrape = GetMetrics(worker->port());
    return Value(scrape.body, state + ",direction=\"rollback\",state=\"done\"}") == 1.0;
  }, seconds(10))) << scrape.body;
  EXPECT_FALSE(Value(scrape.body, state + ",direction=\"cutover\",state=\"done\"}"));
}

}  // namespace
}  // namespace ferry::testing
