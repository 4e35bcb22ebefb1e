// A cutover between secured clusters on real brokers (issue #17): the mirror, the worker and the
// cutover reach both clusters only through their SASL_SSL listeners (PLAIN: librdkafka 2.0.2's SCRAM
// is refused by the Kafka 4 test brokers). The cutover's group-state check (GroupStateGuard) asks
// the broker for its APIs over Ferry's own client with the cluster's settings, so it logs in as the
// librdkafka clients do; a wrong password there fails fast, naming the key and never the password.
// The test side reads the truth over PLAINTEXT. Names are unique: the clusters are shared.
#include <chrono>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "tests/support/mirror_worker_test.h"
#include "tests/support/test_cluster.h"
#include "worker/common/json.h"
#include "worker/cutover/group_state_guard.h"
#include "worker/kafka/admin.h"

namespace ferry::testing {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

int64_t MsSince(Clock::time_point start) {
  return std::chrono::duration_cast<milliseconds>(Clock::now() - start).count();
}

class SecuredCutoverOnRealKafkaTest : public MirrorWorkerTest {
 protected:
  SecuredCutoverOnRealKafkaTest() : MirrorWorkerTest(Peer::kRealKafka), app_(UniqueName("app")) {}

  void SetUp() override {
    SetUpMirror(1);
    if (IsSkipped() || HasFatalFailure()) return;
    auto security = RealKafkaSecurity();
    auto source = RealKafkaListener("source", "SASL_SSL");
    auto target = RealKafkaListener("target", "SASL_SSL");
    if (!security || !source || !target) GTEST_SKIP() << "the clusters have no secured listeners";
    sec_ = *security;
    source_sasl_ssl_ = *source;
    target_sasl_ssl_ = *target;
    // The worker's own clients (its Connect topics, its group) on the target's SASL_SSL listener too.
    for (const auto& [k, v] : SaslSsl("", target_sasl_ssl_, sec_.at("user.ferry"))) worker_props_[k] = v;
  }

  // `prefix` keys for SASL_SSL with PLAIN as ferry, the CA given as a PEM trust store.
  Properties SaslSsl(const std::string& prefix, const std::string& bootstrap, const std::string& password) const {
    return {{prefix + "bootstrap.servers", bootstrap},
            {prefix + "security.protocol", "SASL_SSL"},
            {prefix + "ssl.truststore.type", "PEM"},
            {prefix + "ssl.truststore.location", sec_.at("ca")},
            {prefix + "sasl.mechanism", "PLAIN"},
            {prefix + "sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required "
                                          "username=\"ferry\" password=\"" + password + "\";"}};
  }

  // The mirror of orders_ with both clusters over SASL_SSL.
  std::string SecuredMirrorConfig() const {
    Properties c = {{"connector.class", "MirrorSourceConnector"},
                    {"source.cluster.alias", "A"},
                    {"target.cluster.alias", "B"},
                    {"topics", orders_},
                    {"tasks.max", "1"},
                    {"source.consumer.fetch.max.wait.ms", "50"},
                    {"refresh.topics.enabled", "false"},
                    {"sync.topic.configs.enabled", "false"},
                    {"sync.topic.acls.enabled", "false"},
                    {"replication.factor", "1"},
                    {"offset-syncs.topic.replication.factor", "1"}};
    for (const auto& [k, v] : SaslSsl("source.cluster.", source_sasl_ssl_, sec_.at("user.ferry"))) c[k] = v;
    for (const auto& [k, v] : SaslSsl("target.cluster.", target_sasl_ssl_, sec_.at("user.ferry"))) c[k] = v;
    std::string json = "{";
    for (const auto& [k, v] : c) json += (json.size() > 1 ? "," : "") + json::Quote(k) + ":" + json::Quote(v);
    return json + "}";
  }

  std::string GroupPath(const std::string& what) const { return "/ferry/groups/" + app_ + "/" + what; }

  // The plan's only partition (of a plan or of a report's plan).
  static std::optional<rapidjson::Document> OnlyPartition(const rapidjson::Document& doc) {
    const rapidjson::Value* plan = &doc;
    if (doc.HasMember("report")) plan = &doc["report"];
    if (plan->HasMember("plan")) plan = &(*plan)["plan"];
    if (!plan->HasMember("partitions") || (*plan)["partitions"].Size() != 1) return std::nullopt;
    rapidjson::Document out;
    out.CopyFrom((*plan)["partitions"][0], out.GetAllocator());
    return out;
  }

  const std::string app_;
  Properties sec_;
  std::string source_sasl_ssl_, target_sasl_ssl_;
};

TEST_F(SecuredCutoverOnRealKafkaTest, AGroupMovesExactlyBetweenClustersReachedOnlyOverSaslSsl) {
  const TopicPartition tp{orders_, 0};
  const TopicPartition remote{remote_orders_, 0};
  Produce(source(), orders_, 0, MakeRecords(0, 100));
  const auto started = Clock::now();
  auto worker = InProcessWorker::Start(worker_props_);
  ASSERT_NE(worker, nullptr);
  const int port = worker->port();
  HttpReply put = Http(port, "PUT", "/connectors/" + UniqueName("mirror") + "/config", SecuredMirrorConfig());
  ASSERT_EQ(put.status, 201) << put.body;
  ASSERT_TRUE(WaitFor([&] { return CountRecords(target(), remote) == 100; }, seconds(60)))
      << CountRecords(target(), remote) << " records on the target";

  // The application read 60 records on the source and left; the map covers the source to 100.
  ASSERT_EQ(ConsumeAndCommit(source().bootstrap_servers(), app_, tp, 60).size(), 60u);
  HttpReply plan;
  ASSERT_TRUE(WaitFor(
      [&] {
        plan = Http(port, "GET", GroupPath("plan"));
        if (plan.status != 200) return false;
        auto p = OnlyPartition(plan.Json());
        return p && (*p)["replicated_to"].IsInt64() && (*p)["replicated_to"].GetInt64() == 100;
      },
      seconds(30)))
      << plan.body;
  auto p = OnlyPartition(plan.Json());
  ASSERT_TRUE(p) << plan.body;
  EXPECT_TRUE(plan.Json()["ready"].GetBool()) << plan.body;
  EXPECT_EQ((*p)["translated"].GetInt64(), 60) << plan.body;
  EXPECT_EQ(std::string((*p)["translation"].GetString()), "exact") << plan.body;

  const auto asked = Clock::now();
  HttpReply moved = Http(port, "POST", GroupPath("cutover?wait_ms=30000"));
  const int64_t move_ms = MsSince(asked);
  ASSERT_EQ(moved.status, 200) << moved.body;
  auto report = moved.Json();
  const rapidjson::Value& r = report.HasMember("report") ? report["report"] : report;
  ASSERT_TRUE(r.HasMember("outcome")) << moved.body;
  EXPECT_EQ(std::string(r["outcome"].GetString()), "moved") << moved.body;

  // The truth, read over PLAINTEXT: the group's target offset is the copy of source 60, and from
  // there it reads the source's records 60..99, each once.
  auto offsets = target().admin().ListConsumerGroupOffsets(app_, {remote});
  ASSERT_TRUE(offsets.ok()) << offsets.error().ToString();
  ASSERT_EQ(offsets->at(remote).offset, 60);
  const std::vector<Record> src = Read(source(), tp);
  const std::vector<Record> read = ConsumeAndCommit(target().bootstrap_servers(), app_, remote, 1000);
  ASSERT_EQ(read.size(), 40u);
  for (size_t i = 0; i < read.size(); ++i) ASSERT_TRUE(read[i].SameContent(src[60 + i])) << i;
  EXPECT_EQ(moved.body.find(sec_.at("user.ferry")), std::string::npos) << "the password shows";
  std::cout << "[ measure  ] cutover over SASL_SSL: moved in " << move_ms << " ms; " << MsSince(started)
            << " ms from the worker's start" << std::endl;
  worker->Stop();
}

// The group-state check itself: with the cluster's settings it asks the broker over SASL_SSL and
// describes the group; with a wrong password it fails at once, naming the key, never the password.
TEST_F(SecuredCutoverOnRealKafkaTest, TheGroupStateCheckLogsInWithTheClustersSettings) {
  const std::string group = UniqueName("described");
  ASSERT_TRUE(source().admin().AlterConsumerGroupOffsets(group, {{{orders_, 0}, {3, ""}}}).ok());
  const Properties good = SaslSsl("", source_sasl_ssl_, sec_.at("user.ferry"));
  auto admin = kafka::RdKafkaAdmin::Create(good, seconds(20));
  ASSERT_TRUE(admin.ok()) << admin.error().ToString();
  cutover::GroupStateGuard guard(std::move(*admin), good, seconds(10));
  auto state = guard.DescribeConsumerGroupState(group);
  ASSERT_TRUE(state.ok()) << state.error().ToString();
  EXPECT_EQ(state->members, 0);

  const std::string wrong = "wrong-" + UniqueName("pw");
  const Properties bad = SaslSsl("", source_sasl_ssl_, wrong);
  auto wrapped = kafka::RdKafkaAdmin::Create(good, seconds(20));
  ASSERT_TRUE(wrapped.ok()) << wrapped.error().ToString();
  cutover::GroupStateGuard refused(std::move(*wrapped), bad, seconds(10));
  const auto asked = Clock::now();
  auto failed = refused.DescribeConsumerGroupState(group);
  const int64_t took = MsSince(asked);
  ASSERT_FALSE(failed.ok()) << "the guard did not log in with its own settings";
  EXPECT_LT(took, 5000);
  EXPECT_NE(failed.error().message().find("SASL login"), std::string::npos) << failed.error().ToString();
  EXPECT_NE(failed.error().message().find("sasl.password"), std::string::npos) << failed.error().ToString();
  EXPECT_EQ(failed.error().message().find(wrong), std::string::npos) << "the password shows";
  EXPECT_FALSE(failed.error().retriable()) << failed.error().ToString();
  std::cout << "[ measure  ] a wrong password refused the group-state check in " << took << " ms" << std::endl;
}

}  // namespace
}  // namespace ferry::testing
