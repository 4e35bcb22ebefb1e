// Secured clusters on real brokers (issue #17; tests/kafka/kafka_cluster.py serves the listeners):
// MirrorSourceConnectors whose clusters are reached over SASL_SSL (PLAIN) and SSL (mTLS with a PEM
// key store), configured with the Java client keys MM2 users write, copy records exactly; every
// setting the brokers refuse (a wrong password, an unknown CA, an expired or wrongly named broker
// certificate, an unreadable key file, a malformed TLS setting, librdkafka 2.0.2's SCRAM on Kafka 4)
// fails its connector or task within seconds, naming the cluster and the key, never a password, with
// nothing copied; an ACL that denies WRITE on the target topic fails the task with
// TOPIC_AUTHORIZATION_FAILED naming the topic. `ferry mirror-maker` does the same with an
// mm2.properties of per-cluster prefixed keys. Names are unique: the clusters are shared.
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>

#include <gtest/gtest.h>

#include "tasks/mirror_records.h"
#include "tests/support/mirror_worker_test.h"
#include "tests/support/test_cluster.h"
#include "worker/common/json.h"
#include "worker/kafka/admin.h"
#include "worker/kafka/record_io.h"

namespace ferry::testing {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::seconds;

class SecuredMirrorOnRealKafkaTest : public MirrorWorkerTest {
 protected:
  SecuredMirrorOnRealKafkaTest() : MirrorWorkerTest(Peer::kRealKafka) {}

  void SetUp() override {
    SetUpMirror(1);
    if (IsSkipped() || HasFatalFailure()) return;
    auto security = RealKafkaSecurity();
    for (const char* listener : {"SASL_PLAINTEXT", "SSL", "SASL_SSL", "EXPIRED", "WRONGHOST"}) {
      auto source = RealKafkaListener("source", listener);
      auto target = RealKafkaListener("target", listener);
      if (!security || !source || !target) GTEST_SKIP() << "the clusters have no secured listeners";
      source_[listener] = *source;
      target_[listener] = *target;
    }
    sec_ = *security;
    dir_ = ::testing::TempDir() + "/ferry-secured-" + std::to_string(getpid()) + "-" + UniqueName("t");
    std::filesystem::create_directories(dir_);
    // Java's PEM key store: one file with the certificate and its key (ssl.keystore.type=PEM).
    keystore_ = dir_ + "/client-keystore.pem";
    std::ofstream out(keystore_);
    out << std::ifstream(sec_.at("client.certificate")).rdbuf() << std::ifstream(sec_.at("client.key")).rdbuf();
  }

  std::string Jaas(const std::string& module, const std::string& user, const std::string& password) const {
    return "org.apache.kafka.common.security." + module + " required username=\"" + user + "\" password=\"" +
           password + "\";";
  }

  // `prefix` keys for SASL_SSL with PLAIN as `user`, the CA given as a PEM trust store.
  Properties SaslSsl(const std::string& prefix, const std::string& bootstrap, const std::string& password,
                     const std::string& user = "ferry") const {
    return {{prefix + "bootstrap.servers", bootstrap},
            {prefix + "security.protocol", "SASL_SSL"},
            {prefix + "ssl.truststore.type", "PEM"},
            {prefix + "ssl.truststore.location", sec_.at("ca")},
            {prefix + "sasl.mechanism", "PLAIN"},
            {prefix + "sasl.jaas.config", Jaas("plain.PlainLoginModule", user, password)}};
  }
  // `prefix` keys for SSL with a client certificate (Java's PEM key store).
  Properties Mtls(const std::string& prefix, const std::string& bootstrap, const std::string& ca) const {
    return {{prefix + "bootstrap.servers", bootstrap},
            {prefix + "security.protocol", "SSL"},
            {prefix + "ssl.truststore.type", "PEM"},
            {prefix + "ssl.truststore.location", ca},
            {prefix + "ssl.keystore.type", "PEM"},
            {prefix + "ssl.keystore.location", keystore_}};
  }

  // A MirrorSourceConnector config (JSON) for `topic` with these cluster settings.
  std::string Connector(const std::string& topic, const Properties& clusters) const {
    Properties c = {{"connector.class", "MirrorSourceConnector"},
                    {"source.cluster.alias", "A"},
                    {"target.cluster.alias", "B"},
                    {"topics", topic},
                    {"tasks.max", "1"},
                    {"refresh.topics.enabled", "false"},
                    {"sync.topic.configs.enabled", "false"},
                    {"sync.topic.acls.enabled", "false"},
                    {"replication.factor", "1"},
                    {"offset-syncs.topic.replication.factor", "1"},
                    {"admin.timeout.ms", "60000"}};
    for (const auto& [k, v] : clusters) c[k] = v;
    std::string json = "{";
    for (const auto& [k, v] : c) json += (json.size() > 1 ? "," : "") + json::Quote(k) + ":" + json::Quote(v);
    return json + "}";
  }

  static Properties Merge(Properties a, const Properties& b) {
    for (const auto& [k, v] : b) a[k] = v;
    return a;
  }

  std::map<std::string, std::string> source_, target_;
  Properties sec_;
  std::string dir_;
  std::string keystore_;
};

// The connector's or its task's failure trace, once either is FAILED (empty on timeout).
std::string WaitForFailure(int port, const std::string& name, seconds timeout) {
  std::string body;
  const bool failed = WaitFor(
      [&] {
        body = HttpOnce(port, "GET", "/connectors/" + name + "/status").body;
        return body.find("\"FAILED\"") != std::string::npos;
      },
      timeout);
  return failed ? body : "";
}

TEST_F(SecuredMirrorOnRealKafkaTest, AConnectorOverSaslSslAndMtlsCopiesAndEachRefusedSettingFailsFastNamingClusterAndKey) {
  auto worker = InProcessWorker::Start(worker_props_);
  ASSERT_NE(worker, nullptr);
  const int port = worker->port();
  const std::string password = sec_.at("user.ferry");

  // Good: source over SASL_SSL (PLAIN, as ferry), target over mTLS; the producer and admin override forms.
  Produce(source(), orders_, 0, MakeRecords(0, 200));
  Properties good = Merge(SaslSsl("source.cluster.", source_["SASL_SSL"], password),
                          Mtls("target.cluster.", target_["SSL"], sec_.at("ca")));
  good["producer.linger.ms"] = "5";
  good["source.consumer.fetch.max.wait.ms"] = "50";  // Java's name, translated
  good["target.admin.request.timeout.ms"] = "20000";
  const auto copy_started = Clock::now();
  ASSERT_EQ(Http(port, "PUT", "/connectors/secured-good/config", Connector(orders_, good)).status, 201);
  ASSERT_TRUE(WaitFor([&] { return CountRecords(target(), {remote_orders_, 0}) == 200; }, seconds(60)));
  const auto copy_time = Clock::now() - copy_started;
  auto mirrored = kafka::VerifyMirrored({orders_, 0}, Read(source(), {orders_, 0}), Read(target(), {remote_orders_, 0}));
  EXPECT_TRUE(mirrored.ok()) << mirrored.error().ToString();
  EXPECT_TRUE(WaitForConnectorStatus(port, "secured-good", "RUNNING", 1, "RUNNING"));

  // Refused settings, all at once, on a topic of their own: nothing of it may reach the target.
  const std::string denied = UniqueName("denied");
  ASSERT_TRUE(source().CreateTopic(denied, 1, KeepRecords()).ok());
  Produce(source(), denied, 0, MakeRecords(0, 20));
  const std::string wrong = "wrong-" + UniqueName("pw");
  struct Case {
    std::string name;
    Properties clusters;
    std::vector<std::string> said;  // in the failure trace
  };
  const Properties good_target = Mtls("target.cluster.", target_["SSL"], sec_.at("ca"));
  const Properties good_source = SaslSsl("source.cluster.", source_["SASL_SSL"], password);
  std::vector<Case> cases = {
      {"wrong-password", Merge(SaslSsl("source.cluster.", source_["SASL_SSL"], wrong), good_target),
       {"source cluster 'A'", "sasl.jaas.config", "Invalid username or password"}},
      {"unknown-ca", Merge(good_source, Mtls("target.cluster.", target_["SSL"], sec_.at("other.ca"))),
       {"target cluster 'B'", "ssl.truststore.location", "not signed by a CA the client trusts"}},
      {"expired", Merge(Mtls("source.cluster.", source_["EXPIRED"], sec_.at("ca")), good_target),
       {"source cluster 'A'", "certificate has expired"}},
      {"wrong-host", Merge(Mtls("source.cluster.", source_["WRONGHOST"], sec_.at("ca")), good_target),
       {"source cluster 'A'", "ssl.endpoint.identification.algorithm", "another host name"}},
      {"no-client-certificate",
       Merge({{"source.cluster.bootstrap.servers", source_["SSL"]},
              {"source.cluster.security.protocol", "SSL"},
              {"source.cluster.ssl.truststore.type", "PEM"},
              {"source.cluster.ssl.truststore.location", sec_.at("ca")}},
             good_target),
       {"source cluster 'A'", "refused the client's TLS certificate", "ssl.keystore.location"}},
      {"missing-key-file",
       Merge(good_source, Merge(good_target, {{"target.cluster.ssl.keystore.location", dir_ + "/missing.pem"}})),
       {"target cluster 'B'", "ssl.keystore.location", "cannot be read"}},
      {"jks-trust-store", Merge(good_source, Merge(good_target, {{"target.cluster.ssl.truststore.type", "JKS"}})),
       {"target cluster 'B'", "ssl.truststore.location", "PEM"}},
      {"scram-on-kafka-4",
       Merge({{"source.cluster.bootstrap.servers", source_["SASL_PLAINTEXT"]},
              {"source.cluster.security.protocol", "SASL_PLAINTEXT"},
              {"source.cluster.sasl.mechanism", "SCRAM-SHA-256"},
              {"source.cluster.sasl.jaas.config", Jaas("scram.ScramLoginModule", "ferry", password)}},
             good_target),
       {"source cluster 'A'", "sasl.jaas.config", "librdkafka 2.0.2", "PLAIN over SASL_SSL"}},
      // Only the task's consumer has the wrong password: the task fails, not the connector.
      {"consumer-password",
       Merge(good_source, Merge(good_target, {{"source.consumer.sasl.jaas.config",
                                               Jaas("plain.PlainLoginModule", "ferry", wrong)}})),
       {"source cluster 'A'", "sasl.jaas.config"}},
  };
  const auto posted = Clock::now();
  for (const Case& c : cases) {
    ASSERT_EQ(Http(port, "PUT", "/connectors/secured-" + c.name + "/config", Connector(denied, c.clusters)).status, 201)
        << c.name;
  }
  for (const Case& c : cases) {
    const std::string trace = WaitForFailure(port, "secured-" + c.name, seconds(30));
    ASSERT_FALSE(trace.empty()) << c.name << " did not fail: " << HttpOnce(port, "GET", "/connectors/secured-" + c.name + "/status").body;
    for (const std::string& s : c.said) EXPECT_NE(trace.find(s), std::string::npos) << c.name << ": no '" << s << "' in " << trace;
    EXPECT_EQ(trace.find(wrong), std::string::npos) << c.name << " shows the password";
    EXPECT_EQ(trace.find(password), std::string::npos) << c.name << " shows the password";
  }
  const auto fail_time = Clock::now() - posted;
  EXPECT_LT(fail_time, seconds(20));
  auto topics = target().admin().ListTopics();
  ASSERT_TRUE(topics.ok());
  if (topics->count("A." + denied)) {
    EXPECT_EQ(CountRecords(target(), {"A." + denied, 0}), 0u);
  }
  std::cout << "secured copy of 200 records: "
            << std::chrono::duration_cast<std::chrono::milliseconds>(copy_time).count() << " ms; " << cases.size()
            << " refused settings all FAILED within "
            << std::chrono::duration_cast<std::chrono::milliseconds>(fail_time).count() << " ms\n";
  worker->Stop();
}

TEST_F(SecuredMirrorOnRealKafkaTest, NoWriteOnTheTargetTopicFailsTheTaskWithTopicAuthorizationFailedNamingIt) {
  auto worker = InProcessWorker::Start(worker_props_);
  ASSERT_NE(worker, nullptr);
  const std::string topic = UniqueName("acl");
  const std::string remote = "A." + topic;
  ASSERT_TRUE(source().CreateTopic(topic, 1, KeepRecords()).ok());
  ASSERT_TRUE(target().CreateTopic(remote, 1, KeepRecords()).ok());
  Produce(source(), topic, 0, MakeRecords(0, 10));
  // As User:ANONYMOUS (a super user on PLAINTEXT): ferry may do anything with the remote topic but write.
  auto made = target().admin().CreateAcls(
      {{kafka::AclResourceType::kTopic, remote, kafka::AclPatternType::kLiteral, "User:ferry", "*",
        kafka::AclOperation::kAll, kafka::AclPermission::kAllow},
       {kafka::AclResourceType::kTopic, remote, kafka::AclPatternType::kLiteral, "User:ferry", "*",
        kafka::AclOperation::kWrite, kafka::AclPermission::kDeny}});
  ASSERT_TRUE(made.ok()) << made.error().ToString();
  for (const auto& r : *made) ASSERT_TRUE(r.ok()) << r.error().ToString();
  const Properties clusters = Merge(SaslSsl("source.cluster.", source_["SASL_SSL"], sec_.at("user.ferry")),
                                    SaslSsl("target.cluster.", target_["SASL_SSL"], sec_.at("user.ferry")));
  const auto posted = Clock::now();
  ASSERT_EQ(Http(worker->port(), "PUT", "/connectors/acl-denied/config", Connector(topic, clusters)).status, 201);
  const std::string trace = WaitForFailure(worker->port(), "acl-denied", seconds(30));
  ASSERT_FALSE(trace.empty());
  EXPECT_NE(trace.find("TOPIC_AUTHORIZATION_FAILED"), std::string::npos) << trace;
  EXPECT_NE(trace.find(remote), std::string::npos) << trace;
  EXPECT_EQ(CountRecords(target(), {remote, 0}), 0u);
  std::cout << "denied WRITE failed the task after "
            << std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - posted).count() << " ms\n";
  worker->Stop();
}

// Writes `props` under `prefix` ("A.") into an mm2.properties stream.
void WriteClusterKeys(std::ostream& out, const Properties& props) {
  for (const auto& [k, v] : props) out << k << " = " << v << "\n";
}

TEST_F(SecuredMirrorOnRealKafkaTest, MirrorMakerBetweenSaslSslAndMtlsClustersCopiesChecksSyncsAndCheckpoints) {
  const std::string a = UniqueName("SA");
  const std::string b = UniqueName("SB");
  const std::string group = UniqueName("billing");
  Produce(source(), orders_, 0, MakeRecords(0, 150));
  kafka::GroupOffsets committed = {{{orders_, 0}, {90, ""}}};
  ASSERT_TRUE(source().admin().AlterConsumerGroupOffsets(group, committed).ok());
  const std::string file = dir_ + "/mm2.properties";
  {
    std::ofstream out(file);
    out << "clusters = " << a << ", " << b << "\n";
    // A: SASL_SSL with PLAIN as ferry; B: mTLS with a PEM key store. Per-cluster prefixed Java keys.
    WriteClusterKeys(out, SaslSsl(a + ".", source_["SASL_SSL"], sec_.at("user.ferry")));
    WriteClusterKeys(out, Mtls(b + ".", target_["SSL"], sec_.at("ca")));
    // The per-client override forms.
    out << a << ".consumer.fetch.max.wait.ms = 50\n"
        << b << ".producer.linger.ms = 5\n"
        << b << ".admin.request.timeout.ms = 20000\n"
        << a << "->" << b << ".enabled = true\n"
        << a << "->" << b << ".topics = " << orders_ << "\n"
        << a << "->" << b << ".groups = " << group << "\n"
        << a << "->" << b << ".emit.checkpoints.interval.seconds = 1\n"
        << a << "->" << b << ".refresh.groups.interval.seconds = 1\n"
        << "replication.factor=1\ncheckpoints.topic.replication.factor=1\nheartbeats.topic.replication.factor=1\n"
        << "offset-syncs.topic.replication.factor=1\noffset.storage.replication.factor=1\n"
        << "status.storage.replication.factor=1\nconfig.storage.replication.factor=1\n";
  }
  const auto started = Clock::now();
  auto node = WorkerProcess::Start({"mirror-maker", file}, dir_ + "/node.log");
  ASSERT_NE(node, nullptr);
  const std::string remote = a + "." + orders_;
  ASSERT_TRUE(WaitFor([&] { return CountRecords(target(), {remote, 0}) == 150; }, seconds(60)))
      << "see " << dir_ << "/node.log";
  const auto copied = Clock::now() - started;
  auto mirrored = kafka::VerifyMirrored({orders_, 0}, Read(source(), {orders_, 0}), Read(target(), {remote, 0}));
  EXPECT_TRUE(mirrored.ok()) << mirrored.error().ToString();
  // The offset syncs (on the source, MM2's default) and the group's checkpoint (on the target).
  bool synced = false;
  ASSERT_TRUE(WaitFor(
      [&] {
        auto records = kafka::ReadPartition(source().bootstrap_servers(), {"mm2-offset-syncs." + b + ".internal", 0},
                                            seconds(10));
        if (!records.ok()) return false;
        for (const auto& record : *records) {
          auto sync = tasks::OffsetSyncRecord::Decode(*record.key, *record.value);
          synced = synced || (sync.ok() && sync->topic == orders_);
        }
        return synced;
      },
      seconds(30)));
  std::optional<tasks::Checkpoint> checkpoint;
  ASSERT_TRUE(WaitFor(
      [&] {
        auto records = kafka::ReadPartition(target().bootstrap_servers(), {a + ".checkpoints.internal", 0}, seconds(10));
        if (!records.ok()) return false;
        for (const auto& record : *records) {
          auto c = tasks::Checkpoint::Decode(*record.key, *record.value);
          if (c.ok() && c->group == group) checkpoint = *c;
        }
        return checkpoint.has_value();
      },
      seconds(60)))
      << "no checkpoint of " << group << " (see " << dir_ << "/node.log)";
  EXPECT_EQ(checkpoint->topic, remote);
  EXPECT_EQ(checkpoint->upstream_offset, 90);
  EXPECT_EQ(checkpoint->downstream_offset, 90);  // the target partition was empty: offsets line up
  std::cout << "mirror-maker over SASL_SSL and mTLS: 150 records copied "
            << std::chrono::duration_cast<std::chrono::milliseconds>(copied).count() << " ms after start\n";
  EXPECT_EQ(node->Terminate(), 0);
}

TEST_F(SecuredMirrorOnRealKafkaTest, MirrorMakerWhoseClustersRefuseItsLoginsFailsToStartNamingClusterAndKey) {
  const std::string a = UniqueName("FA");
  const std::string b = UniqueName("FB");
  const std::string wrong = "wrong-" + UniqueName("pw");
  const std::string file = dir_ + "/mm2-bad.properties";
  {
    std::ofstream out(file);
    out << "clusters = " << a << ", " << b << "\n";
    WriteClusterKeys(out, SaslSsl(a + ".", source_["SASL_SSL"], wrong));
    WriteClusterKeys(out, SaslSsl(b + ".", target_["SASL_SSL"], wrong));
    out << a << "->" << b << ".enabled = true\n" << a << "->" << b << ".topics = " << orders_ << "\n";
  }
  const auto started = Clock::now();
  CommandResult run = RunFerry({"mirror-maker", file}, seconds(60), /*with_stderr=*/true);
  const auto took = Clock::now() - started;
  EXPECT_NE(run.exit_code, 0);
  EXPECT_LT(took, seconds(10));
  // The first flow to end names its cluster: B (flow A->B) or A (MM2's heartbeat flow B->A).
  EXPECT_TRUE(run.out.find("cluster '" + b + "'") != std::string::npos ||
              run.out.find("cluster '" + a + "'") != std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find("sasl.jaas.config"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("Invalid username or password"), std::string::npos) << run.out;
  EXPECT_EQ(run.out.find(wrong), std::string::npos) << "the password shows";
  std::cout << "mirror-maker refused by both clusters exited after "
            << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms\n";
}

// A group whose DESCRIBE is denied: reading its offsets or its state (what the checkpoint task and the
// cutover do) answers GROUP_AUTHORIZATION_FAILED, named so, with the group.
TEST_F(SecuredMirrorOnRealKafkaTest, NoDescribeOnAGroupIsReportedAsGroupAuthorizationFailedNamingIt) {
  const std::string group = UniqueName("closed");
  kafka::GroupOffsets offsets = {{{orders_, 0}, {5, ""}}};
  ASSERT_TRUE(source().admin().AlterConsumerGroupOffsets(group, offsets).ok());
  auto made = source().admin().CreateAcls(
      {{kafka::AclResourceType::kGroup, group, kafka::AclPatternType::kLiteral, "User:ferry", "*",
        kafka::AclOperation::kAll, kafka::AclPermission::kAllow},
       {kafka::AclResourceType::kGroup, group, kafka::AclPatternType::kLiteral, "User:ferry", "*",
        kafka::AclOperation::kDescribe, kafka::AclPermission::kDeny}});
  ASSERT_TRUE(made.ok()) << made.error().ToString();
  for (const auto& r : *made) ASSERT_TRUE(r.ok()) << r.error().ToString();
  Properties props;
  for (const auto& [k, v] : SaslSsl("", source_["SASL_SSL"], sec_.at("user.ferry"))) props[k] = v;
  auto admin = kafka::RdKafkaAdmin::Create(props, std::chrono::seconds(20));
  ASSERT_TRUE(admin.ok()) << admin.error().ToString();
  auto read = (*admin)->ListConsumerGroupOffsets(group, {{orders_, 0}});
  ASSERT_FALSE(read.ok());
  EXPECT_NE(read.error().message().find("GROUP_AUTHORIZATION_FAILED"), std::string::npos) << read.error().ToString();
  EXPECT_NE(read.error().message().find(group), std::string::npos) << read.error().ToString();
  EXPECT_EQ(read.error().code(), ErrorCode::kForbidden);
  auto state = (*admin)->DescribeConsumerGroupState(group);
  ASSERT_FALSE(state.ok());
  EXPECT_NE(state.error().message().find("GROUP_AUTHORIZATION_FAILED"), std::string::npos) << state.error().ToString();
  EXPECT_NE(state.error().message().find(group), std::string::npos) << state.error().ToString();
}

// librdkafka 2.0.2's SCRAM: accepted by Kafka 3.9.1, refused by Kafka 4.1.1 (its client-final
// message repeats the client nonce, which Kafka 4 checks strictly); the refusal says so.
TEST_F(SecuredMirrorOnRealKafkaTest, ScramWorksOnKafka39AndOnKafka4TheRefusalNamesLibrdkafkasBug) {
  auto scram = [&](const std::string& bootstrap, const std::string& mechanism) -> Properties {
    return {{"bootstrap.servers", bootstrap},
            {"security.protocol", "SASL_PLAINTEXT"},
            {"sasl.mechanism", mechanism},
            {"sasl.jaas.config", Jaas("scram.ScramLoginModule", "ferry", sec_.at("user.ferry"))}};
  };
  // Kafka 4.1.1 (the shared source): refused, within seconds, with the reason and what to use instead.
  const auto asked = Clock::now();
  auto on4 = kafka::RdKafkaAdmin::Create(scram(source_["SASL_PLAINTEXT"], "SCRAM-SHA-512"), std::chrono::seconds(30));
  ASSERT_TRUE(on4.ok()) << on4.error().ToString();
  auto refused = (*on4)->ListTopics();
  ASSERT_FALSE(refused.ok());
  EXPECT_LT(Clock::now() - asked, seconds(5));
  EXPECT_NE(refused.error().message().find("librdkafka 2.0.2"), std::string::npos) << refused.error().ToString();
  EXPECT_NE(refused.error().message().find("PLAIN over SASL_SSL, OAUTHBEARER or mTLS"), std::string::npos);
  EXPECT_EQ(refused.error().message().find(sec_.at("user.ferry")), std::string::npos);

  // Kafka 3.9.1: both SCRAM mechanisms log in; a topic made over SCRAM-SHA-256 is listed over SCRAM-SHA-512.
  const std::string name = UniqueName("scram39");
  auto old = LaunchedKafka::Start(name, 1, "3.9.1");
  ASSERT_TRUE(old.ok()) << old.error().ToString();
  auto listener = RealKafkaListener(name, "SASL_PLAINTEXT");
  ASSERT_TRUE(listener.has_value());
  const std::string topic = UniqueName("scram");
  auto sha256 = kafka::RdKafkaAdmin::Create(scram(*listener, "SCRAM-SHA-256"), std::chrono::seconds(30));
  ASSERT_TRUE(sha256.ok()) << sha256.error().ToString();
  auto made = (*sha256)->CreateTopics({{topic, 1, 1, {}}});
  ASSERT_TRUE(made.ok()) << made.error().ToString();
  auto sha512 = kafka::RdKafkaAdmin::Create(scram(*listener, "SCRAM-SHA-512"), std::chrono::seconds(30));
  ASSERT_TRUE(sha512.ok()) << sha512.error().ToString();
  std::string last_error;
  EXPECT_TRUE(WaitFor(
      [&] {  // a broker lists a topic a moment after it answered its creation
        auto listed = (*sha512)->ListTopics();
        if (!listed.ok()) last_error = listed.error().ToString();
        return listed.ok() && listed->count(topic) == 1;
      },
      seconds(10)))
      << last_error;
}

}  // namespace
}  // namespace ferry::testing
