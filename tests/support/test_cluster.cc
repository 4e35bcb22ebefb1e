#include "tests/support/test_cluster.h"

#include <cstdlib>
#include <fstream>
#include <functional>
#include <random>
#include <thread>

#include <glog/logging.h>
#include <gtest/gtest.h>

#include "worker/kafka/client.h"

#ifndef FERRY_KAFKA_RUN_DEFAULT
#define FERRY_KAFKA_RUN_DEFAULT "build-asan/kafka"
#endif

namespace ferry::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr auto kAdminTimeout = seconds(30);

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::string(value) : fallback;
}

bool RealKafkaRequired() {
  const std::string ci = EnvOr("CI", "");
  return (!ci.empty() && ci != "false" && ci != "0") || !EnvOr("FERRY_REQUIRE_REAL_KAFKA", "").empty();
}

}  // namespace

std::ostream& operator<<(std::ostream& os, Peer peer) {
  return os << (peer == Peer::kMock ? "mock" : "kafka");
}

std::string PeerName(const ::testing::TestParamInfo<Peer>& info) {
  return info.param == Peer::kMock ? "mock" : "kafka";
}

std::optional<std::string> RealKafkaBootstrap(const std::string& name) {
  std::string upper;
  for (char c : name) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  const std::string from_env = EnvOr(("FERRY_" + upper + "_BOOTSTRAP").c_str(), "");
  if (!from_env.empty()) return from_env;
  std::ifstream file(EnvOr("FERRY_KAFKA_RUN", FERRY_KAFKA_RUN_DEFAULT) + "/" + name + "/bootstrap");
  std::string bootstrap;
  if (!std::getline(file, bootstrap) || bootstrap.empty()) return std::nullopt;
  return bootstrap;
}

std::optional<std::string> RealKafkaListener(const std::string& name, const std::string& listener) {
  std::ifstream file(EnvOr("FERRY_KAFKA_RUN", FERRY_KAFKA_RUN_DEFAULT) + "/" + name + "/listeners");
  std::string line;
  while (std::getline(file, line)) {
    const size_t space = line.find(' ');
    if (space != std::string::npos && line.compare(0, space, listener) == 0) return line.substr(space + 1);
  }
  return std::nullopt;
}

std::optional<Properties> RealKafkaSecurity() {
  std::ifstream file(EnvOr("FERRY_KAFKA_RUN", FERRY_KAFKA_RUN_DEFAULT) + "/tls/security.properties");
  if (!file) return std::nullopt;
  Properties props;
  std::string line;
  while (std::getline(file, line)) {
    const size_t eq = line.find('=');
    if (line.empty() || line[0] == '#' || eq == std::string::npos) continue;
    props[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return props;
}

RealKafkaMissing NoRealKafka(const std::string& name) {
  return {"no real Kafka cluster '" + name + "' runs (start one with `python3 tests/kafka/kafka_cluster.py up`, "
          "or run the suite with ctest, whose fixture `kafka` starts it; FERRY_KAFKA_RUN=" +
              EnvOr("FERRY_KAFKA_RUN", FERRY_KAFKA_RUN_DEFAULT) + ")",
          RealKafkaRequired()};
}

TestCluster::TestCluster(std::unique_ptr<kafka::MockCluster> mock, std::string bootstrap)
    : mock_(std::move(mock)), bootstrap_servers_(std::move(bootstrap)) {}

Result<std::unique_ptr<TestCluster>> TestCluster::StartMock(int brokers) {
  auto mock = kafka::MockCluster::Start(brokers);
  if (!mock.ok()) return mock.error();
  const std::string bootstrap = (*mock)->bootstrap_servers();
  std::unique_ptr<TestCluster> cluster(new TestCluster(std::move(*mock), bootstrap));
  auto client = kafka::NewClient(RD_KAFKA_PRODUCER, {{"bootstrap.servers", bootstrap}});
  if (!client.ok()) return client.error();
  cluster->client_ = std::move(*client);
  return cluster;
}

Result<std::unique_ptr<TestCluster>> TestCluster::ConnectReal(const std::string& name) {
  const auto bootstrap = RealKafkaBootstrap(name);
  if (!bootstrap) return Error::NotFound(NoRealKafka(name).why);
  return ConnectTo(*bootstrap);
}

Result<std::unique_ptr<TestCluster>> TestCluster::ConnectTo(const std::string& bootstrap) {
  std::unique_ptr<TestCluster> cluster(new TestCluster(nullptr, bootstrap));
  auto admin = kafka::RdKafkaAdmin::Create({{"bootstrap.servers", bootstrap}}, kAdminTimeout);
  if (!admin.ok()) return admin.error();
  cluster->admin_ = std::move(*admin);
  auto client = kafka::NewClient(RD_KAFKA_PRODUCER, {{"bootstrap.servers", bootstrap}});
  if (!client.ok()) return client.error();
  cluster->client_ = std::move(*client);
  return cluster;
}

namespace {

// Runs tests/kafka/kafka_cluster.py with `args` under the run directory; its output goes to the test's log.
Result<> RunLauncher(const std::string& args, const std::string& version = "") {
  const std::string command = (version.empty() ? "" : "FERRY_KAFKA_VERSION=" + version + " ") +
                              "python3 '" FERRY_SOURCE_DIR "/tests/kafka/kafka_cluster.py' --run-dir '" +
                              EnvOr("FERRY_KAFKA_RUN", FERRY_KAFKA_RUN_DEFAULT) + "' " + args + " 1>&2";
  const int status = std::system(command.c_str());
  if (status != 0) return Error::Internal("`" + command + "` failed with status " + std::to_string(status));
  return Ok();
}

}  // namespace

Result<std::unique_ptr<LaunchedKafka>> LaunchedKafka::Start(const std::string& name, int nodes,
                                                           const std::string& version) {
  std::unique_ptr<LaunchedKafka> launched(new LaunchedKafka(name));
  if (auto started = RunLauncher("start " + name + " --nodes " + std::to_string(nodes), version); !started.ok()) {
    return started.error();
  }
  const auto bootstrap = RealKafkaBootstrap(name);
  if (!bootstrap) return Error::Internal("cluster " + name + " started but wrote no bootstrap file");
  auto cluster = TestCluster::ConnectTo(*bootstrap);
  if (!cluster.ok()) return cluster.error();
  launched->cluster_ = std::move(*cluster);
  return launched;
}

LaunchedKafka::~LaunchedKafka() {
  cluster_.reset();  // its clients first
  if (auto stopped = RunLauncher("stop " + name_); !stopped.ok()) LOG(ERROR) << stopped.error().ToString();
}

Result<> LaunchedKafka::StopNode(int node) { return RunLauncher("stop-node " + name_ + " " + std::to_string(node)); }

Result<> LaunchedKafka::StartNode(int node) { return RunLauncher("start-node " + name_ + " " + std::to_string(node)); }

Result<> TestCluster::CreateTopic(const std::string& topic, int partitions, const Properties& configs) {
  if (mock_) {
    if (!configs.empty()) return Error::BadRequest("the mock cluster cannot create topics with configs");
    return mock_->CreateTopic(topic, partitions);
  }
  auto created = admin_->CreateTopics({kafka::NewTopic{topic, partitions, -1, configs}});
  if (!created.ok()) return created.error();
  const auto& result = created->at(topic);
  if (!result.ok()) return result.error();
  // CreateTopics answers once the controller has the topic; brokers learn of it a moment later.
  const auto deadline = std::chrono::steady_clock::now() + seconds(30);
  while (true) {
    auto count = PartitionCount(topic);
    if (count.ok() && *count == partitions) return Ok();
    if (std::chrono::steady_clock::now() > deadline) {
      return Error::Timeout("topic " + topic + " created but not in metadata after 30 s");
    }
    std::this_thread::sleep_for(milliseconds(50));
  }
}

Result<int> TestCluster::PartitionCount(const std::string& topic) {
  return kafka::PartitionCount(client_.get(), topic, seconds(10));
}

kafka::Watermarks TestCluster::WatermarksOf(const TopicPartition& tp) {
  auto marks = kafka::QueryWatermarks(client_.get(), tp, seconds(10));
  if (!marks.ok()) {
    ADD_FAILURE() << "watermarks of " << tp << ": " << marks.error().ToString();
    return {-1, -1};
  }
  return *marks;
}

Result<> TestCluster::DeleteRecordsBefore(const TopicPartition& tp, int64_t offset) {
  if (mock_) return Error::BadRequest("the mock cluster cannot delete records");
  kafka::PartitionsPtr before(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(before.get(), tp.topic.c_str(), tp.partition)->offset = offset;
  kafka::DeleteRecordsPtr request(rd_kafka_DeleteRecords_new(before.get()));
  kafka::QueuePtr queue(rd_kafka_queue_new(client_.get()));
  rd_kafka_DeleteRecords_t* requests[] = {request.get()};
  rd_kafka_DeleteRecords(client_.get(), requests, 1, nullptr, queue.get());
  kafka::EventPtr event(rd_kafka_queue_poll(queue.get(), static_cast<int>(milliseconds(kAdminTimeout).count())));
  if (!event) return Error::Timeout("DeleteRecords on " + tp.ToString());
  if (rd_kafka_event_error(event.get())) {
    return kafka::AdminError("DeleteRecords on " + tp.ToString(), rd_kafka_event_error(event.get()),
                             rd_kafka_event_error_string(event.get()));
  }
  const rd_kafka_topic_partition_list_t* offsets =
      rd_kafka_DeleteRecords_result_offsets(rd_kafka_event_DeleteRecords_result(event.get()));
  for (int i = 0; offsets != nullptr && i < offsets->cnt; ++i) {
    if (offsets->elems[i].err) return kafka::AdminError("DeleteRecords on " + tp.ToString(), offsets->elems[i].err);
  }
  return Ok();
}

kafka::Admin& TestCluster::admin() {
  CHECK(admin_) << "the mock cluster has no admin API; only real clusters have admin()";
  return *admin_;
}

kafka::MockCluster& TestCluster::mock() {
  CHECK(mock_) << "broker faults need the mock cluster";
  return *mock_;
}

std::string Mm2ReplicationFactors(Peer peer) {
  if (peer == Peer::kMock) return "";
  return ",\"replication.factor\":\"1\",\"offset-syncs.topic.replication.factor\":\"1\","
         "\"checkpoints.topic.replication.factor\":\"1\",\"heartbeats.topic.replication.factor\":\"1\"";
}

std::string UniqueName(const std::string& base) {
  // One random token per process, mixed with the running test's full name: stable within a test,
  // different across tests and across runs on the same long-lived clusters.
  static const uint64_t process_token = std::random_device{}() * 0x9E3779B97F4A7C15ull ^ std::random_device{}();
  const ::testing::TestInfo* test = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string who = test == nullptr ? "no-test" : std::string(test->test_suite_name()) + "." + test->name();
  const uint64_t h = std::hash<std::string>{}(who) ^ process_token;
  char suffix[9];
  std::snprintf(suffix, sizeof suffix, "%08x", static_cast<unsigned>(h ^ (h >> 32)));
  return base + "-" + suffix;
}

}  // namespace ferry::testing
