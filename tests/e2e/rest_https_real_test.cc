// Two `ferry distributed` workers on real Kafka (PLAINTEXT) serving their REST API only over HTTPS
// with client certificates required and Basic authentication on (issue 17): connectors created on
// each worker (so one of them on the follower, forwarded to the leader with the user's Authorization
// header over mTLS) reach RUNNING with their task, whose configs the worker running the connector
// sends to the leader as a signed internal request over HTTPS. One worker finds its JAAS file through
// ferry.rest.auth.login.config, the other through KAFKA_OPTS, as Connect's users write it. Requests
// without credentials are answered 401; no worker logs a password.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>

#include "tests/support/test_cluster.h"
#include "tests/support/worker_harness.h"
#include "worker/common/json.h"
#include "worker/rest_tls.h"

namespace ferry::testing {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

constexpr char kUser[] = "ferry";
constexpr char kPassword[] = "rest-pass-7f3e";

class RestHttpsOnRealKafkaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    FERRY_REQUIRE_REAL_KAFKA("source");
    std::optional<Properties> security = RealKafkaSecurity();
    ASSERT_TRUE(security) << "no RUN/tls/security.properties";
    tls_dir_ = fs::path(security->at("ca")).parent_path();
    dir_ = fs::temp_directory_path() / UniqueName("ferry-rest-https");
    fs::create_directories(dir_);
    std::ofstream(dir_ / "users.properties") << kUser << "=" << kPassword << "\n";
    std::ofstream(dir_ / "jaas.conf") << "KafkaConnect {\n  org.apache.kafka.connect.rest.basic.auth.extension."
                                         "PropertyFileLoginModule required\n  file=\""
                                      << (dir_ / "users.properties").string() << "\";\n};\n";
    https_ = {{"ssl.keystore.type", "PEM"},
              {"ssl.keystore.location", (tls_dir_ / "broker.pem").string()},
              {"ssl.truststore.type", "PEM"},
              {"ssl.truststore.location", (tls_dir_ / "ca.pem").string()},
              {"ssl.client.auth", "required"}};
    worker::RestTlsSettings client{https_, "listeners.https."};
    auto tls = worker::RestTls::Load(client, false);
    ASSERT_TRUE(tls.ok()) << tls.error().ToString();
    client_tls_ = *tls;
  }
  void TearDown() override {
    if (HasFailure()) {
      std::cerr << "worker logs kept in " << dir_ << "\n";
    } else if (!dir_.empty()) {
      fs::remove_all(dir_);
    }
  }

  Properties WorkerProps(const std::string& prefix) {
    Properties props = DistributedWorkerProps(*RealKafkaBootstrap("source"), prefix, Peer::kRealKafka);
    props["listeners"] = "https://127.0.0.1:0";
    for (const auto& [key, value] : https_) props["listeners.https." + key] = value;
    props["rest.extension.classes"] = "org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension";
    return props;
  }

  HttpReply Https(int port, const std::string& method, const std::string& path, const std::string& body = "",
                  bool credentials = true) {
    const std::string url = "https://127.0.0.1:" + std::to_string(port);
    httplib::Client client(url);
    EXPECT_TRUE(worker::ConfigureRestClient(client, url, client_tls_.get()).ok());
    client.set_connection_timeout(seconds(5));
    client.set_read_timeout(seconds(30));
    if (credentials) client.set_basic_auth(kUser, kPassword);
    httplib::Request req;
    req.method = method;
    req.path = path;
    if (!body.empty()) {
      req.body = body;
      req.set_header("Content-Type", "application/json");
    }
    httplib::Result res = client.send(req);
    if (!res) return {};
    return {res->status, res->body};
  }

  // Retries a write while the group rebalances (409), as Connect's clients do.
  HttpReply HttpsWrite(int port, const std::string& method, const std::string& path, const std::string& body) {
    HttpReply reply;
    const auto deadline = std::chrono::steady_clock::now() + seconds(60);
    do {
      reply = Https(port, method, path, body);
      if (reply.status != 409 && reply.status != 0) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    } while (std::chrono::steady_clock::now() < deadline);
    return reply;
  }

  bool WaitRunning(int port, const std::string& name) {
    const auto deadline = std::chrono::steady_clock::now() + seconds(60);
    std::string last;
    while (std::chrono::steady_clock::now() < deadline) {
      HttpReply r = Https(port, "GET", "/connectors/" + name + "/status");
      last = std::to_string(r.status) + " " + r.body;
      if (r.status == 200 && r.body.find("\"connector\":{\"state\":\"RUNNING\"") != std::string::npos &&
          r.body.find("\"tasks\":[{\"id\":0,\"state\":\"RUNNING\"") != std::string::npos) {
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    ADD_FAILURE() << name << " not RUNNING with its task: " << last;
    return false;
  }

  fs::path tls_dir_;
  fs::path dir_;
  Properties https_;
  std::shared_ptr<const worker::RestTls> client_tls_;
};

TEST_F(RestHttpsOnRealKafkaTest, TwoWorkersForwardAndSignOverMutualTlsWithBasicAuth) {
  const std::string prefix = UniqueName("rest-https");
  Properties a = WorkerProps(prefix);
  a["ferry.rest.auth.login.config"] = (dir_ / "jaas.conf").string();
  const std::string a_file = WritePropertiesFile((dir_ / "a.properties").string(), a);
  const std::string b_file = WritePropertiesFile((dir_ / "b.properties").string(), WorkerProps(prefix));

  auto worker_a = WorkerProcess::Start({"distributed", a_file}, (dir_ / "a.log").string());
  ASSERT_TRUE(worker_a);
  // Worker B finds the JAAS file as Connect does: -Djava.security.auth.login.config in KAFKA_OPTS.
  const std::string opts = "-Xmx256m -Djava.security.auth.login.config=" + (dir_ / "jaas.conf").string();
  ::setenv("KAFKA_OPTS", opts.c_str(), 1);
  auto worker_b = WorkerProcess::Start({"distributed", b_file}, (dir_ / "b.log").string());
  ::unsetenv("KAFKA_OPTS");
  ASSERT_TRUE(worker_b);

  for (int port : {worker_a->port(), worker_b->port()}) {
    EXPECT_EQ(Https(port, "GET", "/connectors", "", /*credentials=*/false).status, 401);
    EXPECT_EQ(Https(port, "GET", "/connectors").status, 200);
  }
  const std::string alias = UniqueName("H");
  auto heartbeats = [&](const std::string& to) {
    return "{\"connector.class\":\"MirrorHeartbeatConnector\",\"source.cluster.alias\":" + json::Quote(alias) +
           ",\"target.cluster.alias\":" + json::Quote(to) + ",\"target.cluster.bootstrap.servers\":" +
           json::Quote(*RealKafkaBootstrap("source")) + ",\"emit.heartbeats.interval.seconds\":\"1\"" +
           Mm2ReplicationFactors(Peer::kRealKafka) + "}";
  };
  // One of the two workers is a follower: its PUT is forwarded to the leader.
  HttpReply put_a = HttpsWrite(worker_a->port(), "PUT", "/connectors/hb-a/config", heartbeats("TA"));
  EXPECT_EQ(put_a.status, 201) << put_a.body;
  HttpReply put_b = HttpsWrite(worker_b->port(), "PUT", "/connectors/hb-b/config", heartbeats("TB"));
  EXPECT_EQ(put_b.status, 201) << put_b.body;
  // Both run with their task, wherever they were assigned: task configs reached the leader.
  for (const char* name : {"hb-a", "hb-b"}) {
    EXPECT_TRUE(WaitRunning(worker_a->port(), name));
    EXPECT_TRUE(WaitRunning(worker_b->port(), name));
  }
  HttpReply list = Https(worker_b->port(), "GET", "/connectors");
  EXPECT_EQ(list.body, "[\"hb-a\",\"hb-b\"]");
  // The two connectors run on different workers: the one on the follower sent its task configs to
  // the leader (a signed internal request over HTTPS) before its task could run.
  auto connector_worker = [&](const std::string& name) {
    rapidjson::Document status = Https(worker_a->port(), "GET", "/connectors/" + name + "/status").Json();
    return std::string(status["connector"]["worker_id"].GetString());
  };
  EXPECT_NE(connector_worker("hb-a"), connector_worker("hb-b"));

  EXPECT_EQ(worker_a->Terminate(), 0);
  EXPECT_EQ(worker_b->Terminate(), 0);
  for (const char* log : {"a.log", "b.log"}) {
    std::ifstream in(dir_ / log);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(text.find(kPassword), std::string::npos) << log;
    EXPECT_NE(text.find("REST Basic authentication: 1 user(s)"), std::string::npos) << log;
  }
}

}  // namespace
}  // namespace ferry::testing
