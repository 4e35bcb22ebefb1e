// Ferry's own Kafka client (the worker group, topic-ID lookups) on the secured listeners of the real
// test brokers (tests/kafka/kafka_cluster.py): it joins a group over SASL_SSL (PLAIN, SCRAM-SHA-256,
// SCRAM-SHA-512), SASL_PLAINTEXT (SCRAM, OAUTHBEARER), and SSL with a client certificate; a wrong
// password, an unknown CA, an expired broker certificate and a name mismatch each fail at once with
// an error that says what to fix; and three workers on a SASL_SSL-only target form one Connect cluster.
#include <chrono>
#include <regex>
#include <set>

#include <gtest/gtest.h>

#include "tests/support/mirror_worker_test.h"
#include "tests/support/test_cluster.h"
#include "worker/group/group_member.h"
#include "worker/group/security.h"
#include "worker/group/topic_ids.h"

namespace ferry::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

constexpr char kCluster[] = "target";

class SecuredGroupOnRealKafkaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    FERRY_REQUIRE_REAL_KAFKA(kCluster);
    std::optional<Properties> security = RealKafkaSecurity();
    if (!security || !RealKafkaListener(kCluster, "SASL_SSL")) {
      GTEST_SKIP() << "the cluster '" << kCluster << "' has no secured listeners (an older kafka_cluster.py run?)";
    }
    files_ = *security;
  }

  std::string Listener(const std::string& name) { return RealKafkaListener(kCluster, name).value_or(""); }

  // Client settings for `listener` (its security protocol is the listener's name, or SSL).
  Properties Sasl(const std::string& listener, const std::string& mechanism, const std::string& user = "admin") {
    Properties p = {{"bootstrap.servers", Listener(listener)},
                    {"security.protocol", listener},
                    {"sasl.mechanism", mechanism},
                    {"sasl.username", user},
                    {"sasl.password", files_["user." + user]}};
    if (listener == "SASL_SSL") p["ssl.ca.location"] = files_["ca"];
    return p;
  }
  Properties Mtls(const std::string& listener = "SSL") {
    return {{"bootstrap.servers", Listener(listener)},
            {"security.protocol", "SSL"},
            {"ssl.ca.location", files_["ca"]},
            {"ssl.certificate.location", files_["client.certificate"]},
            {"ssl.key.location", files_["client.key"]}};
  }

  // Joins a group of its own as its only member with Ferry's group client over `props`, then leaves.
  Result<group::JoinResult> JoinAlone(const Properties& props, milliseconds timeout = milliseconds(20000)) {
    auto security = group::ClientSecurity::FromProperties(props);
    if (!security.ok()) return security.error();
    group::GroupMemberConfig config;
    config.bootstrap_servers = {props.at("bootstrap.servers")};
    config.group_id = UniqueName("secured-group");
    config.client_id = "ferry-secured-test";
    config.protocol_type = "connect";
    config.protocols = {{"default", [] { return std::string(); }}};
    config.assignor = [](const std::vector<group::Member>& members, const std::string&) {
      std::map<std::string, std::string> out;
      for (const group::Member& m : members) out[m.member_id] = "";
      return out;
    };
    config.session_timeout = milliseconds(6000);
    config.heartbeat_interval = milliseconds(1000);
    config.rebalance_timeout = milliseconds(10000);
    group::GroupMember member(config, group::SecureConnectionFactory(*security, config.client_id, clock_), clock_);
    Result<group::JoinResult> joined = member.Join(clock_.Now() + timeout);
    if (joined.ok()) {
      EXPECT_TRUE(member.Leave(clock_.Now() + seconds(5)).ok());
    }
    return joined;
  }

  // A join that must fail at once (not after retries up to the deadline) with a message holding
  // every one of `needles`, and none of `secrets`.
  void ExpectFastFailure(const std::string& what, const Properties& props, const std::vector<std::string>& needles,
                         const std::vector<std::string>& secrets = {}) {
    SCOPED_TRACE(what);
    const auto start = Clock::now();
    Result<group::JoinResult> joined = JoinAlone(props);
    const auto took = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
    ASSERT_FALSE(joined.ok());
    const Error& e = joined.error();
    EXPECT_FALSE(e.retriable()) << e.ToString();
    EXPECT_LT(took, milliseconds(5000)) << e.ToString();
    for (const std::string& needle : needles) EXPECT_NE(e.message().find(needle), std::string::npos) << e.message();
    for (const std::string& secret : secrets) EXPECT_EQ(e.message().find(secret), std::string::npos) << e.message();
    std::cout << "[ measure  ] " << what << ": failed in " << took.count() << " ms: " << e.message() << "\n";
  }

  group::SteadyClock clock_;
  Properties files_;
};

TEST_F(SecuredGroupOnRealKafkaTest, JoinsOverEverySecuredListener) {
  struct Case {
    std::string what;
    Properties props;
  };
  Properties encrypted = Mtls();
  encrypted["ssl.key.location"] = files_["client.key.encrypted"];
  encrypted["ssl.key.password"] = files_["client.key.password"];
  Properties oauth = {{"bootstrap.servers", Listener("SASL_PLAINTEXT")},
                      {"security.protocol", "SASL_PLAINTEXT"},
                      {"sasl.mechanism", "OAUTHBEARER"},
                      {"enable.sasl.oauthbearer.unsecure.jwt", "true"},
                      {"sasl.oauthbearer.config", "principal=admin"}};
  Properties java = {{"bootstrap.servers", Listener("SASL_SSL")},
                     {"security.protocol", "SASL_SSL"},
                     {"sasl.mechanism", "SCRAM-SHA-512"},
                     {"ssl.truststore.type", "PEM"},
                     {"ssl.truststore.location", files_["ca"]},
                     {"sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required "
                                          "username=\"admin\" password=\"" + files_["user.admin"] + "\";"}};
  const std::vector<Case> cases = {
      {"SASL_SSL PLAIN", Sasl("SASL_SSL", "PLAIN")},
      {"SASL_SSL SCRAM-SHA-256", Sasl("SASL_SSL", "SCRAM-SHA-256")},
      {"SASL_SSL SCRAM-SHA-512", Sasl("SASL_SSL", "SCRAM-SHA-512")},
      {"SASL_SSL SCRAM-SHA-512 from Java's keys", java},
      {"SASL_PLAINTEXT SCRAM-SHA-256", Sasl("SASL_PLAINTEXT", "SCRAM-SHA-256")},
      {"SASL_PLAINTEXT OAUTHBEARER", oauth},
      {"SSL with a client certificate", Mtls()},
      {"SSL with an encrypted client key", encrypted},
  };
  for (const Case& c : cases) {
    const auto start = Clock::now();
    Result<group::JoinResult> joined = JoinAlone(c.props);
    ASSERT_TRUE(joined.ok()) << c.what << ": " << joined.error().ToString();
    EXPECT_TRUE(joined->is_leader) << c.what;
    EXPECT_GE(joined->generation, 1) << c.what;
    std::cout << "[ measure  ] " << c.what << ": joined in "
              << std::chrono::duration_cast<milliseconds>(Clock::now() - start).count() << " ms\n";
  }
}

TEST_F(SecuredGroupOnRealKafkaTest, TopicIdsOverSaslSsl) {
  auto cluster = TestCluster::ConnectReal(kCluster);
  ASSERT_TRUE(cluster.ok()) << cluster.error().ToString();
  const std::string topic = UniqueName("secured-ids");
  ASSERT_TRUE((*cluster)->CreateTopic(topic, 1).ok());
  auto ids = group::LookupTopicIds(Sasl("SASL_SSL", "SCRAM-SHA-512"), {topic}, seconds(10));
  ASSERT_TRUE(ids.ok()) << ids.error().ToString();
  ASSERT_EQ(ids->count(topic), 1u);
  EXPECT_EQ(ids->at(topic).size(), 22u);
}

TEST_F(SecuredGroupOnRealKafkaTest, BadCredentialsAndCertificatesFailFastAndSayWhatToFix) {
  Properties wrong = Sasl("SASL_SSL", "SCRAM-SHA-512");
  wrong["sasl.password"] = "not-the-password-42";
  ExpectFastFailure("wrong password", wrong,
                    {Listener("SASL_SSL"), "SCRAM-SHA-512 as user 'admin'", "sasl.password"}, {"not-the-password-42"});
  Properties wrong_plain = Sasl("SASL_PLAINTEXT", "PLAIN");
  wrong_plain["sasl.password"] = "not-the-password-42";
  ExpectFastFailure("wrong PLAIN password", wrong_plain, {"PLAIN as user 'admin'", "sasl.password"},
                    {"not-the-password-42"});

  Properties unknown_ca = Mtls();
  unknown_ca["ssl.ca.location"] = files_["other.ca"];
  ExpectFastFailure("unknown CA", unknown_ca, {Listener("SSL"), "not signed by a CA Ferry trusts", "ssl.ca.location"});
  ExpectFastFailure("expired certificate", Mtls("EXPIRED"), {Listener("EXPIRED"), "validity period", "expired"});
  ExpectFastFailure("hostname mismatch", Mtls("WRONGHOST"),
                    {Listener("WRONGHOST"), "does not name '127.0.0.1'", "ssl.endpoint.identification.algorithm"});
  Properties no_certificate = Mtls();
  no_certificate.erase("ssl.certificate.location");
  no_certificate.erase("ssl.key.location");
  ExpectFastFailure("no client certificate", no_certificate, {"client certificate", "ssl.certificate.location"});

  // The checks can be turned off, as with librdkafka: the name check alone, or verification entirely.
  Properties any_name = Mtls("WRONGHOST");
  any_name["ssl.endpoint.identification.algorithm"] = "none";
  EXPECT_TRUE(JoinAlone(any_name).ok());
  Properties unverified = Mtls();
  unverified["ssl.ca.location"] = files_["other.ca"];
  unverified["enable.ssl.certificate.verification"] = "false";
  EXPECT_TRUE(JoinAlone(unverified).ok());
}

// The test: three workers whose only way to their Kafka cluster (the target) is its SASL_SSL
// listener form ONE Connect cluster (before, each ran as a cluster of one and all copied
// everything): one generation, one leader, all three running 2 of the 6 tasks. The mirror's
// clients reach the target through SASL_SSL too; the source stays PLAINTEXT. librdkafka 2.0.2 logs
// in with PLAIN here (its SCRAM fails on Kafka 4; Ferry's group client would do SCRAM too).
class SecuredWorkerClusterOnRealKafkaTest : public MirrorWorkerTest {
 protected:
  SecuredWorkerClusterOnRealKafkaTest() : MirrorWorkerTest(Peer::kRealKafka) {}
};

std::optional<double> Epoch(int port) {
  HttpReply r = HttpOnce(port, "GET", "/metrics");
  std::smatch m;
  static const std::regex kEpoch("\nkafka_connect_worker_rebalance_epoch ([0-9.e+-]+)");
  if (r.status != 200 || !std::regex_search(r.body, m, kEpoch)) return std::nullopt;
  return std::stod(m[1]);
}

TEST_F(SecuredWorkerClusterOnRealKafkaTest, ThreeWorkersOnASaslSslOnlyTargetFormOneGroup) {
  SetUpMirror(6);
  if (IsSkipped() || HasFatalFailure()) return;
  const std::optional<Properties> files = RealKafkaSecurity();
  const std::optional<std::string> sasl_ssl = RealKafkaListener("target", "SASL_SSL");
  if (!files || !sasl_ssl) GTEST_SKIP() << "the target has no secured listeners";
  Properties props = worker_props_;
  props["bootstrap.servers"] = *sasl_ssl;
  props["security.protocol"] = "SASL_SSL";
  props["ssl.ca.location"] = files->at("ca");
  props["sasl.mechanism"] = "PLAIN";
  props["sasl.username"] = "admin";
  props["sasl.password"] = files->at("user.admin");
  props["ferry.group.leader.sync.delay.ms"] = "0";

  const auto start = Clock::now();
  std::vector<std::unique_ptr<InProcessWorker>> workers;
  for (int i = 0; i < 3; ++i) {
    workers.push_back(InProcessWorker::Start(props));
    ASSERT_NE(workers.back(), nullptr);
  }
  // The connector reaches the target through SASL_SSL too (MM2's target.cluster. prefix).
  std::string config = MirrorConfig(6);
  const std::string plain_target = json::Quote(target().bootstrap_servers());
  config.replace(config.find(plain_target), plain_target.size(),
                 json::Quote(*sasl_ssl) + ",\"target.cluster.security.protocol\":\"SASL_SSL\"," +
                     "\"target.cluster.ssl.ca.location\":" + json::Quote(files->at("ca")) + "," +
                     "\"target.cluster.sasl.mechanism\":\"PLAIN\",\"target.cluster.sasl.username\":\"admin\"," +
                     "\"target.cluster.sasl.password\":" + json::Quote(files->at("user.admin")));
  ASSERT_EQ(Http(workers[0]->port(), "POST", "/connectors", "{\"name\":\"mirror-a\",\"config\":" + config + "}").status,
            201);

  // All three run tasks of the one connector, 2 each, under one generation and one leader.
  std::map<std::string, int> by_worker;
  std::set<double> epochs;
  int leaders = 0;
  const bool formed = WaitFor(
      [&] {
        HttpReply r = Http(workers[0]->port(), "GET", "/connectors/mirror-a/status");
        if (r.status != 200) return false;
        auto doc = r.Json();
        by_worker.clear();
        for (const auto& t : doc["tasks"].GetArray()) {
          if (std::string(t["state"].GetString()) == "RUNNING") ++by_worker[t["worker_id"].GetString()];
        }
        epochs.clear();
        leaders = 0;
        for (auto& w : workers) {
          if (std::optional<double> e = Epoch(w->port())) epochs.insert(*e);
          if (w->herder().IsLeader()) ++leaders;
        }
        return by_worker.size() == 3 && epochs.size() == 1 && leaders == 1 &&
               std::all_of(by_worker.begin(), by_worker.end(), [](const auto& kv) { return kv.second == 2; });
      },
      seconds(60));
  std::string spread;
  for (const auto& [w, n] : by_worker) spread += w + "=" + std::to_string(n) + " ";
  EXPECT_TRUE(formed) << "tasks by worker: " << spread << "; generations seen: " << epochs.size()
                      << "; leaders: " << leaders;
  std::cout << "[ measure  ] three workers on SASL_SSL formed one group (generation " << *epochs.begin()
            << ") and spread 6 tasks (" << spread << ") in "
            << std::chrono::duration_cast<milliseconds>(Clock::now() - start).count() << " ms\n";
  // And the cluster copies: records of the source reach the target through the SASL_SSL listener.
  Produce(source(), orders_, 0, MakeRecords(0, 20));
  EXPECT_TRUE(WaitFor([&] { return CountRecords(target(), {remote_orders_, 0}) >= 20; }, seconds(30)));
  for (auto& w : workers) w->Stop();
}

}  // namespace
}  // namespace ferry::testing
