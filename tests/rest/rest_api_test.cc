// The REST API over real HTTP (127.0.0.1, ephemeral port) against FakeHerder: every endpoint with the
// exact status, headers and body Connect gives.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <memory>
#include <string>

#include <gflags/gflags.h>
#include <glog/logging.h>
#include <glog/vlog_is_on.h>
#include <gtest/gtest.h>

#include "tests/support/raw_http.h"
#include <httplib.h>

#include "rest/connector_routes.h"
#include "rest/logger_routes.h"
#include "rest/server.h"
#include "tests/fakes/fake_herder.h"

namespace ferry::rest {
namespace {

using ferry::testing::RawHttp;

using testing::FakeHerder;

struct Answer {
  int status = 0;
  std::string body;
  httplib::Headers headers;

  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

// The config of docs/rest.md's mirror-a, as sent (tasks.max as a JSON number).
constexpr char kCreateMirrorA[] =
    R"({"name":"mirror-a","config":{"connector.class":"org.apache.kafka.connect.mirror.MirrorSourceConnector",)"
    R"("source.cluster.alias":"A","target.cluster.alias":"B","source.cluster.bootstrap.servers":"src:9092",)"
    R"("target.cluster.bootstrap.servers":"dst:9092","topics":"orders","tasks.max":2}})";
// The same config as Connect stores and shows it: strings, "name" added, keys sorted (Ferry's
// Properties is a sorted map).
constexpr char kMirrorAConfig[] =
    R"({"connector.class":"org.apache.kafka.connect.mirror.MirrorSourceConnector","name":"mirror-a",)"
    R"("source.cluster.alias":"A","source.cluster.bootstrap.servers":"src:9092","target.cluster.alias":"B",)"
    R"("target.cluster.bootstrap.servers":"dst:9092","tasks.max":"2","topics":"orders"})";

class RestApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RestConfig config;
    config.port = 0;
    server_ = std::make_unique<Server>(herder_, config);
    Result<int> port = server_->Start();
    ASSERT_TRUE(port.ok()) << port.error().ToString();
    port_ = *port;
    client_ = std::make_unique<httplib::Client>("127.0.0.1", port_);
    client_->set_connection_timeout(std::chrono::seconds(5));
    client_->set_read_timeout(std::chrono::seconds(10));
  }
  void TearDown() override { server_->Stop(); }

  Answer Call(const std::string& method, const std::string& path, const std::string& body = "",
              const std::string& content_type = "application/json") {
    httplib::Request req;
    req.method = method;
    req.path = path;
    req.body = body;
    if (!body.empty()) req.set_header("Content-Type", content_type);
    httplib::Result res = client_->send(req);
    EXPECT_TRUE(res) << method << " " << path << ": " << httplib::to_string(res.error());
    if (!res) return {};
    return Answer{res->status, res->body, res->headers};
  }

  void CreateMirrorA() {
    Answer a = Call("POST", "/connectors", kCreateMirrorA);
    ASSERT_EQ(a.status, 201) << a.body;
  }

  FakeHerder herder_;  // outlives the server that refers to it
  std::unique_ptr<Server> server_;
  std::unique_ptr<httplib::Client> client_;
  int port_ = 0;
};

TEST_F(RestApiTest, RootAndHealth) {
  Answer a = Call("GET", "/");
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body, R"({"version":"3.9.0","commit":"fake","kafka_cluster_id":"fake-kafka-cluster-id"})");
  EXPECT_EQ(a.Header("Content-Type"), "application/json");

  a = Call("GET", "/health");
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body,
            R"({"status":"healthy","message":"Worker has completed startup and is ready to handle requests."})");

  herder_.FailAllForTest(Error::Timeout("The worker is currently ensuring membership in the cluster"));
  a = Call("GET", "/health");
  EXPECT_EQ(a.status, 500);
  EXPECT_EQ(a.body,
            R"({"status":"unhealthy","message":"Worker was unable to handle this request and may be unable to handle )"
            R"(other requests. The worker is currently ensuring membership in the cluster"})");
}

// Connect's three WorkerStatus answers, with and without what the worker is doing.
TEST_F(RestApiTest, HealthMapsEachStateToConnectsStatusAndBody) {
  using Status = worker::WorkerHealth::Status;
  struct Case {
    worker::WorkerHealth health;
    int status;
    std::string body;
  };
  const std::string reading = "The worker is currently reading the stored connector configs, which began at "
                              "2026-01-02T03:04:05.678Z.";
  const std::vector<Case> cases = {
      {{Status::kStarting, ""}, 503, R"({"status":"starting","message":"Worker is still starting up."})"},
      {{Status::kStarting, reading},
       503,
       R"({"status":"starting","message":"Worker is still starting up. )" + reading + R"("})"},
      {{Status::kUnhealthy, ""},
       500,
       R"({"status":"unhealthy","message":"Worker was unable to handle this request and may be unable to handle )"
       R"(other requests."})"},
      {{Status::kHealthy, "ignored"},
       200,
       R"({"status":"healthy","message":"Worker has completed startup and is ready to handle requests."})"},
  };
  for (const Case& c : cases) {
    herder_.SetHealthForTest(c.health);
    Answer a = Call("GET", "/health");
    EXPECT_EQ(a.status, c.status) << c.body;
    EXPECT_EQ(a.body, c.body);
    EXPECT_EQ(a.Header("Content-Type"), "application/json");
  }
}

TEST_F(RestApiTest, ConnectorLifecycle) {
  Answer a = Call("GET", "/connectors");
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body, "[]");

  // Create: 201, Location, the info with no tasks yet.
  a = Call("POST", "/connectors", kCreateMirrorA);
  EXPECT_EQ(a.status, 201);
  EXPECT_EQ(a.Header("Location"), "/connectors/mirror-a");
  EXPECT_EQ(a.body,
            std::string(R"({"name":"mirror-a","config":)") + kMirrorAConfig + R"(,"tasks":[],"type":"source"})");

  a = Call("GET", "/connectors");
  EXPECT_EQ(a.body, R"(["mirror-a"])");
  a = Call("GET", "/connectors/");  // a trailing slash is the same path, as in JAX-RS
  EXPECT_EQ(a.body, R"(["mirror-a"])");

  a = Call("GET", "/connectors/mirror-a");
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body,
            std::string(R"({"name":"mirror-a","config":)") + kMirrorAConfig +
                R"(,"tasks":[{"connector":"mirror-a","task":0},{"connector":"mirror-a","task":1}],"type":"source"})");

  a = Call("GET", "/connectors/mirror-a/config");
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body, kMirrorAConfig);

  const std::string running =
      R"({"name":"mirror-a","connector":{"state":"RUNNING","worker_id":"127.0.0.1:8083"},"tasks":[)"
      R"({"id":0,"state":"RUNNING","worker_id":"127.0.0.1:8083"},{"id":1,"state":"RUNNING","worker_id":"127.0.0.1:8083"}],)"
      R"("type":"source"})";
  a = Call("GET", "/connectors/mirror-a/status");
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body, running);

  a = Call("GET", "/connectors/mirror-a/tasks");
  EXPECT_EQ(a.status, 200);
  const std::string task_config = std::string(kMirrorAConfig)
                                      .insert(std::string(kMirrorAConfig).find(R"(,"tasks.max")"),
                                              R"(,"task.class":"org.apache.kafka.connect.mirror.MirrorSourceTask")");
  EXPECT_EQ(a.body, R"([{"id":{"connector":"mirror-a","task":0},"config":)" + task_config +
                        R"(},{"id":{"connector":"mirror-a","task":1},"config":)" + task_config + "}]");

  a = Call("GET", "/connectors/mirror-a/tasks-config");
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body, R"({"mirror-a-0":)" + task_config + R"(,"mirror-a-1":)" + task_config + "}");

  a = Call("GET", "/connectors/mirror-a/tasks/1/status");
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body, R"({"id":1,"state":"RUNNING","worker_id":"127.0.0.1:8083"})");

  // Pause and resume: 202 without a body.
  a = Call("PUT", "/connectors/mirror-a/pause");
  EXPECT_EQ(a.status, 202);
  EXPECT_EQ(a.body, "");
  EXPECT_EQ(a.Header("Content-Type"), "");
  a = Call("GET", "/connectors/mirror-a/status");
  EXPECT_NE(a.body.find(R"("connector":{"state":"PAUSED")"), std::string::npos) << a.body;
  a = Call("PUT", "/connectors/mirror-a/resume");
  EXPECT_EQ(a.status, 202);
  a = Call("GET", "/connectors/mirror-a/status");
  EXPECT_EQ(a.body, running);

  // Offsets can be changed only when STOPPED.
  a = Call("PATCH", "/connectors/mirror-a/offsets",
           R"({"offsets":[{"partition":{"topic":"orders","partition":0,"cluster":"A"},"offset":{"offset":10}}]})");
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(
      a.body,
      R"({"error_code":400,"message":"Connectors must be in the STOPPED state before their offsets can be modified. )"
      R"(This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/mirror-a/stop' endpoint"})");

  a = Call("PUT", "/connectors/mirror-a/stop");
  EXPECT_EQ(a.status, 204);
  EXPECT_EQ(a.body, "");
  a = Call("GET", "/connectors/mirror-a/status");
  EXPECT_EQ(
      a.body,
      R"({"name":"mirror-a","connector":{"state":"STOPPED","worker_id":"127.0.0.1:8083"},"tasks":[],"type":"source"})");
  a = Call("GET", "/connectors/mirror-a/tasks");
  EXPECT_EQ(a.body, "[]");

  a = Call("GET", "/connectors/mirror-a/offsets");
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body, R"({"offsets":[]})");
  // Partitions and offsets are kept as given, member order included.
  a = Call("PATCH", "/connectors/mirror-a/offsets",
           R"({"offsets":[{"partition":{"topic":"orders","partition":0,"cluster":"A"},"offset":{"offset":1234}},)"
           R"({"partition":{"topic":"orders","partition":1,"cluster":"A"},"offset":{"offset":7}}]})");
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body, R"({"message":"The offsets for this connector have been altered successfully"})");
  a = Call("GET", "/connectors/mirror-a/offsets");
  EXPECT_EQ(a.body,
            R"({"offsets":[{"partition":{"topic":"orders","partition":0,"cluster":"A"},"offset":{"offset":1234}},)"
            R"({"partition":{"topic":"orders","partition":1,"cluster":"A"},"offset":{"offset":7}}]})");
  // A null offset resets that partition.
  a = Call("PATCH", "/connectors/mirror-a/offsets",
           R"({"offsets":[{"partition":{"topic":"orders","partition":1,"cluster":"A"},"offset":null}]})");
  EXPECT_EQ(a.status, 200);
  a = Call("GET", "/connectors/mirror-a/offsets");
  EXPECT_EQ(a.body,
            R"({"offsets":[{"partition":{"topic":"orders","partition":0,"cluster":"A"},"offset":{"offset":1234}}]})");
  a = Call("DELETE", "/connectors/mirror-a/offsets");
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body, R"({"message":"The offsets for this connector have been reset successfully"})");
  a = Call("GET", "/connectors/mirror-a/offsets");
  EXPECT_EQ(a.body, R"({"offsets":[]})");

  // Resume from STOPPED brings the tasks back.
  a = Call("PUT", "/connectors/mirror-a/resume");
  EXPECT_EQ(a.status, 202);
  a = Call("GET", "/connectors/mirror-a/status");
  EXPECT_EQ(a.body, running);

  // Restart: the connector only (204), or with tasks (202 and the plan).
  a = Call("POST", "/connectors/mirror-a/restart");
  EXPECT_EQ(a.status, 204);
  EXPECT_EQ(a.body, "");
  herder_.FailTaskForTest({"mirror-a", 1}, "java.lang.RuntimeException: boom");
  a = Call("GET", "/connectors/mirror-a/tasks/1/status");
  EXPECT_EQ(a.body,
            R"({"id":1,"state":"FAILED","worker_id":"127.0.0.1:8083","trace":"java.lang.RuntimeException: boom"})");
  a = Call("POST", "/connectors/mirror-a/restart?includeTasks=true&onlyFailed=true");
  EXPECT_EQ(a.status, 202);
  EXPECT_EQ(a.body,
            R"({"name":"mirror-a","connector":{"state":"RUNNING","worker_id":"127.0.0.1:8083"},"tasks":[)"
            R"({"id":0,"state":"RUNNING","worker_id":"127.0.0.1:8083"},)"
            R"({"id":1,"state":"RESTARTING","worker_id":"127.0.0.1:8083","trace":"java.lang.RuntimeException: boom"}],)"
            R"("type":"source"})");
  a = Call("POST", "/connectors/mirror-a/restart?includeTasks=TRUE");
  EXPECT_EQ(a.status, 202);
  EXPECT_NE(a.body.find(R"("connector":{"state":"RESTARTING")"), std::string::npos) << a.body;
  a = Call("POST", "/connectors/mirror-a/tasks/0/restart");
  EXPECT_EQ(a.status, 204);
  EXPECT_EQ(a.body, "");
  a = Call("GET", "/connectors/mirror-a/status");
  EXPECT_EQ(a.body, running);

  // PUT config: 200 for an update (with the tasks the connector had), 201 + Location for a new one.
  a = Call(
      "PUT", "/connectors/mirror-a/config",
      R"({"connector.class":"MirrorSourceConnector","source.cluster.alias":"A","target.cluster.alias":"B","tasks.max":"1"})");
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.Header("Location"), "");
  EXPECT_EQ(a.body,
            R"({"name":"mirror-a","config":{"connector.class":"MirrorSourceConnector","name":"mirror-a",)"
            R"("source.cluster.alias":"A","target.cluster.alias":"B","tasks.max":"1"},)"
            R"("tasks":[{"connector":"mirror-a","task":0},{"connector":"mirror-a","task":1}],"type":"source"})");
  a = Call("GET", "/connectors/mirror-a");
  EXPECT_NE(a.body.find(R"("tasks":[{"connector":"mirror-a","task":0}])"), std::string::npos) << a.body;

  a = Call("PUT", "/connectors/mirror%20b/config",
           R"({"connector.class":"MirrorHeartbeat","source.cluster.alias":"A","name":"mirror b"})");
  EXPECT_EQ(a.status, 201);
  // On the wire "/connectors/mirror%20b" (see LocationIsPercentEncoded); httplib's client decodes
  // header values.
  EXPECT_EQ(a.Header("Location"), "/connectors/mirror b");
  EXPECT_EQ(a.body, R"({"name":"mirror b","config":{"connector.class":"MirrorHeartbeat","name":"mirror b",)"
                    R"("source.cluster.alias":"A"},"tasks":[],"type":"source"})");

  // PATCH config: null removes a key.
  a = Call("PATCH", "/connectors/mirror-a/config", R"({"topics":"orders,payments","tasks.max":null})");
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body, R"({"name":"mirror-a","config":{"connector.class":"MirrorSourceConnector","name":"mirror-a",)"
                    R"("source.cluster.alias":"A","target.cluster.alias":"B","topics":"orders,payments"},)"
                    R"("tasks":[{"connector":"mirror-a","task":0}],"type":"source"})");

  // Expanded listing.
  a = Call("GET", "/connectors?expand=status&expand=info&expand=bogus");
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body,
            R"({"mirror b":{"status":{"name":"mirror b","connector":{"state":"RUNNING","worker_id":"127.0.0.1:8083"},)"
            R"("tasks":[{"id":0,"state":"RUNNING","worker_id":"127.0.0.1:8083"}],"type":"source"},)"
            R"("info":{"name":"mirror b","config":{"connector.class":"MirrorHeartbeat","name":"mirror b",)"
            R"("source.cluster.alias":"A"},"tasks":[{"connector":"mirror b","task":0}],"type":"source"}},)"
            R"("mirror-a":{"status":{"name":"mirror-a","connector":{"state":"RUNNING","worker_id":"127.0.0.1:8083"},)"
            R"("tasks":[{"id":0,"state":"RUNNING","worker_id":"127.0.0.1:8083"}],"type":"source"},)"
            R"("info":{"name":"mirror-a","config":{"connector.class":"MirrorSourceConnector","name":"mirror-a",)"
            R"("source.cluster.alias":"A","target.cluster.alias":"B","topics":"orders,payments"},)"
            R"("tasks":[{"connector":"mirror-a","task":0}],"type":"source"}}})");
  a = Call("GET", "/connectors?expand=info");
  EXPECT_EQ(a.body.find(R"("status")"), std::string::npos) << a.body;

  // Delete: 204, then 404 everywhere.
  a = Call("DELETE", "/connectors/mirror-a");
  EXPECT_EQ(a.status, 204);
  EXPECT_EQ(a.body, "");
  a = Call("GET", "/connectors/mirror-a");
  EXPECT_EQ(a.status, 404);
  EXPECT_EQ(a.body, R"({"error_code":404,"message":"Connector mirror-a not found"})");
  a = Call("GET", "/connectors");
  EXPECT_EQ(a.body, R"(["mirror b"])");
}

TEST_F(RestApiTest, CreateWithInitialState) {
  std::string body = kCreateMirrorA;
  body.insert(body.size() - 1, R"(,"initial_state":"stopped")");
  Answer a = Call("POST", "/connectors", body);
  EXPECT_EQ(a.status, 201) << a.body;
  a = Call("GET", "/connectors/mirror-a/status");
  EXPECT_EQ(
      a.body,
      R"({"name":"mirror-a","connector":{"state":"STOPPED","worker_id":"127.0.0.1:8083"},"tasks":[],"type":"source"})");

  a = Call("POST", "/connectors",
           R"({"name":"  paused  ","config":{"connector.class":"MirrorCheckpointConnector","source.cluster.alias":"A",)"
           R"("tasks.max":1,"emit.checkpoints.enabled":true},"initial_state":"Paused"})");
  EXPECT_EQ(a.status, 201) << a.body;
  EXPECT_EQ(a.Header("Location"), "/connectors/paused");  // the name is trimmed
  EXPECT_EQ(
      a.body,
      R"({"name":"paused","config":{"connector.class":"MirrorCheckpointConnector","emit.checkpoints.enabled":"true",)"
      R"("name":"paused","source.cluster.alias":"A","tasks.max":"1"},"tasks":[],"type":"source"})");
  a = Call("GET", "/connectors/paused/status");
  EXPECT_NE(a.body.find(R"("connector":{"state":"PAUSED")"), std::string::npos) << a.body;
}

TEST_F(RestApiTest, NumbersInSettingsKeepTheirText) {
  Answer a = Call("PUT", "/connectors/n/config",
                  R"({"connector.class":"MirrorSourceConnector","source.cluster.alias":"A","tasks.max":3,)"
                  R"("x.double":1.50,"x.exp":1e3,"x.neg":-7,"x.bool":false})");
  EXPECT_EQ(a.status, 201) << a.body;
  a = Call("GET", "/connectors/n/config");
  EXPECT_EQ(a.body,
            R"({"connector.class":"MirrorSourceConnector","name":"n","source.cluster.alias":"A","tasks.max":"3",)"
            R"("x.bool":"false","x.double":"1.50","x.exp":"1e3","x.neg":"-7"})");
}

TEST_F(RestApiTest, Plugins) {
  Answer a = Call("GET", "/connector-plugins");
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(
      a.body,
      R"([{"class":"org.apache.kafka.connect.mirror.MirrorSourceConnector","type":"source","version":"3.9.0"},)"
      R"({"class":"org.apache.kafka.connect.mirror.MirrorCheckpointConnector","type":"source","version":"3.9.0"},)"
      R"({"class":"org.apache.kafka.connect.mirror.MirrorHeartbeatConnector","type":"source","version":"3.9.0"}])");
  a = Call("GET", "/connector-plugins?connectorsOnly=false");
  EXPECT_NE(
      a.body.find(R"({"class":"org.apache.kafka.connect.json.JsonConverter","type":"converter","version":"3.9.0"})"),
      std::string::npos)
      << a.body;

  // The plugin's keys, then the framework's; `order` last, as Jackson writes ConfigKeyInfo.
  a = Call("GET", "/connector-plugins/MirrorHeartbeat/config");
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(
      a.body,
      R"([{"name":"source.cluster.alias","type":"STRING","required":true,"default_value":null,"importance":"HIGH",)"
      R"("documentation":"Alias of source cluster","group":null,"width":"NONE","display_name":"source.cluster.alias",)"
      R"("dependents":[],"order":-1},)"
      R"({"name":"target.cluster.alias","type":"STRING","required":false,"default_value":"target","importance":"HIGH",)"
      R"("documentation":"Alias of target cluster. Used in metrics reporting.","group":null,"width":"NONE",)"
      R"("display_name":"target.cluster.alias","dependents":[],"order":-1},)"
      R"({"name":"name","type":"STRING","required":true,"default_value":null,"importance":"HIGH",)"
      R"("documentation":"Globally unique name to use for this connector.","group":"Common","width":"MEDIUM",)"
      R"("display_name":"Connector name","dependents":[],"order":1},)"
      R"({"name":"connector.class","type":"STRING","required":true,"default_value":null,"importance":"HIGH",)"
      R"("documentation":"Name or alias of the class for this connector.","group":"Common","width":"LONG",)"
      R"("display_name":"Connector class","dependents":[],"order":2},)"
      R"({"name":"tasks.max","type":"INT","required":false,"default_value":"1","importance":"HIGH",)"
      R"("documentation":"Maximum number of tasks to use for this connector.","group":"Common","width":"SHORT",)"
      R"("display_name":"Tasks max","dependents":[],"order":3}])");
  a = Call("GET", "/connector-plugins/org.apache.kafka.connect.json.JsonConverter/config");
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body, "[]");
}

TEST_F(RestApiTest, ValidateAnswers200EvenWithErrors) {
  Answer a = Call("PUT", "/connector-plugins/MirrorHeartbeatConnector/config/validate",
                  R"({"connector.class":"org.apache.kafka.connect.mirror.MirrorHeartbeatConnector","name":"hb",)"
                  R"("tasks.max":"0","producer.override.acks":"all","x.null":null})");
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(
      a.body,
      R"({"name":"org.apache.kafka.connect.mirror.MirrorHeartbeatConnector","error_count":3,"groups":["Common"],"configs":[)"
      R"({"definition":null,"value":{"name":"x.null","value":null,"recommended_values":[],)"
      R"("errors":["Null value can not be supplied as the configuration value."],"visible":true}},)"
      R"({"definition":{"name":"name","type":"STRING","required":true,"default_value":null,"importance":"HIGH",)"
      R"("documentation":"Globally unique name to use for this connector.","group":"Common","width":"MEDIUM",)"
      R"("display_name":"Connector name","dependents":[],"order":1},)"
      R"("value":{"name":"name","value":"hb","recommended_values":[],"errors":[],"visible":true}},)"
      R"({"definition":{"name":"connector.class","type":"STRING","required":true,"default_value":null,"importance":"HIGH",)"
      R"("documentation":"Name or alias of the class for this connector.","group":"Common","width":"LONG",)"
      R"("display_name":"Connector class","dependents":[],"order":2},)"
      R"("value":{"name":"connector.class","value":"org.apache.kafka.connect.mirror.MirrorHeartbeatConnector",)"
      R"("recommended_values":[],"errors":[],"visible":true}},)"
      R"({"definition":{"name":"tasks.max","type":"INT","required":false,"default_value":"1","importance":"HIGH",)"
      R"("documentation":"Maximum number of tasks to use for this connector.","group":"Common","width":"SHORT",)"
      R"("display_name":"Tasks max","dependents":[],"order":3},)"
      R"("value":{"name":"tasks.max","value":"0","recommended_values":[],)"
      R"("errors":["Invalid value 0 for configuration tasks.max: Value must be at least 1"],"visible":true}},)"
      R"({"definition":{"name":"source.cluster.alias","type":"STRING","required":true,"default_value":null,)"
      R"("importance":"HIGH","documentation":"Alias of source cluster","group":null,"width":"NONE",)"
      R"("display_name":"source.cluster.alias","dependents":[],"order":-1},)"
      R"("value":{"name":"source.cluster.alias","value":null,"recommended_values":[],)"
      R"("errors":["Missing required configuration \"source.cluster.alias\" which has no default value."],"visible":true}},)"
      R"({"definition":{"name":"target.cluster.alias","type":"STRING","required":false,"default_value":"target",)"
      R"("importance":"HIGH","documentation":"Alias of target cluster. Used in metrics reporting.","group":null,)"
      R"("width":"NONE","display_name":"target.cluster.alias","dependents":[],"order":-1},)"
      R"("value":{"name":"target.cluster.alias","value":"target","recommended_values":[],"errors":[],"visible":true}}]})")
      << "producer.override.acks, which no definition describes, is left out, as Connect leaves it out";
  EXPECT_TRUE(herder_.Calls() == std::vector<std::string>{"ValidateConfig(MirrorHeartbeatConnector)"});
}

TEST_F(RestApiTest, ActiveTopics) {
  CreateMirrorA();
  herder_.SetActiveTopicsForTest("mirror-a", {"orders", "payments"});
  Answer a = Call("GET", "/connectors/mirror-a/topics");
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body, R"({"mirror-a":{"topics":["orders","payments"]}})");
  a = Call("PUT", "/connectors/mirror-a/topics/reset");
  EXPECT_EQ(a.status, 202);
  EXPECT_EQ(a.body, "");
  a = Call("GET", "/connectors/mirror-a/topics");
  EXPECT_EQ(a.body, R"({"mirror-a":{"topics":[]}})");

  herder_.SetTopicTrackingForTest(true, false);
  a = Call("PUT", "/connectors/mirror-a/topics/reset");
  EXPECT_EQ(a.status, 403);
  EXPECT_EQ(a.body, R"({"error_code":403,"message":"Topic tracking reset is disabled."})");
  herder_.SetTopicTrackingForTest(false, false);
  a = Call("GET", "/connectors/mirror-a/topics");
  EXPECT_EQ(a.status, 403);
  EXPECT_EQ(a.body, R"({"error_code":403,"message":"Topic tracking is disabled."})");
}

TEST_F(RestApiTest, HerderErrorsBecomeConnectStatuses) {
  herder_.FailAllForTest(Error::Timeout("The worker is currently writing the config to the config topic"));
  Answer a = Call("GET", "/connectors/mirror-a");
  EXPECT_EQ(a.status, 500);
  EXPECT_EQ(
      a.body,
      R"({"error_code":500,"message":"Request timed out. The worker is currently writing the config to the config topic"})");
  herder_.FailAllForTest(
      Error(ErrorCode::kNotLeader, "Cannot complete request momentarily due to no known leader URL"));
  a = Call("DELETE", "/connectors/mirror-a");
  EXPECT_EQ(a.status, 409);
  herder_.FailAllForTest(Error::Kafka("reading the config topic", RD_KAFKA_RESP_ERR__TRANSPORT));
  a = Call("GET", "/connectors");
  EXPECT_EQ(a.status, 500);
  EXPECT_EQ(a.body, R"({"error_code":500,"message":"reading the config topic: Local: Broker transport failure"})");
}

TEST_F(RestApiTest, LocationIsPercentEncoded) {
  const std::string body =
      R"({"name":"a b","config":{"connector.class":"MirrorHeartbeatConnector","source.cluster.alias":"A"}})";
  const std::string answer =
      RawHttp(port_, "POST /connectors HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
                         std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
  EXPECT_EQ(answer.substr(0, answer.find("\r\n")), "HTTP/1.1 201 Created");
  EXPECT_NE(answer.find("\r\nLocation: /connectors/a%20b\r\n"), std::string::npos) << answer;
  EXPECT_NE(answer.find("\r\nContent-Type: application/json\r\n"), std::string::npos) << answer;
}

// `curl -X PUT` sends neither Content-Length nor a body.
TEST_F(RestApiTest, RequestWithoutContentLengthHasAnEmptyBody) {
  CreateMirrorA();
  std::string answer = RawHttp(port_, "PUT /connectors/mirror-a/pause HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n");
  EXPECT_EQ(answer.substr(0, answer.find("\r\n")), "HTTP/1.1 202 Accepted");
  answer = RawHttp(port_, "POST /connectors/mirror-a/restart HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(answer.substr(0, answer.find("\r\n")), "HTTP/1.1 204 No Content");
  answer = RawHttp(port_, "POST /connectors HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\r\n");
  EXPECT_EQ(answer.substr(0, answer.find("\r\n")), "HTTP/1.1 400 Bad Request");
  EXPECT_EQ(answer.substr(answer.find("\r\n\r\n") + 4),
            R"({"error_code":400,"message":"Malformed JSON in request body at offset 0: The document is empty."})");
}

TEST_F(RestApiTest, HeadAnswersLikeGetWithoutABody) {
  CreateMirrorA();
  httplib::Result res = client_->Head("/connectors/mirror-a");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "");
}

TEST_F(RestApiTest, StopIsBoundedAndIdempotent) {
  const auto start = std::chrono::steady_clock::now();
  server_->Stop();
  server_->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  httplib::Result res = client_->Get("/");
  EXPECT_FALSE(res);  // nothing listens any more
}

TEST(RestServerTest, PortInUseIsAnError) {
  FakeHerder herder;
  RestConfig config;
  config.port = 0;
  Server first(herder, config);
  Result<int> port = first.Start();
  ASSERT_TRUE(port.ok());
  config.port = *port;
  Server second(herder, config);
  Result<int> again = second.Start();
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code(), ErrorCode::kInternal);
  EXPECT_NE(again.error().message().find("cannot listen on 127.0.0.1:" + std::to_string(*port)), std::string::npos)
      << again.error().message();
}

// Each of `listeners` serves the whole API; admin.listeners decides where /admin/ is served.
class RestListenersTest : public ::testing::Test {
 protected:
  static Answer Get(int port, const std::string& path) {
    httplib::Client client("127.0.0.1", port);
    client.set_connection_timeout(std::chrono::seconds(5));
    httplib::Result res = client.Get(path);
    if (!res) return {};
    return Answer{res->status, res->body, res->headers};
  }
  static RestConfig Loopback() {
    RestConfig config;
    config.port = 0;
    return config;
  }

  static constexpr char kNotFound[] = R"({"error_code":404,"message":"HTTP 404 Not Found"})";
  FakeHerder herder_;
};

TEST_F(RestListenersTest, EveryListenerServesTheApi) {
  RestConfig config = Loopback();
  config.more_listeners = {{"127.0.0.1", 0}, {"127.0.0.1", 0}};
  Server server(herder_, config);
  Result<int> first = server.Start();
  ASSERT_TRUE(first.ok()) << first.error().ToString();
  const std::vector<int> ports = server.ports();
  ASSERT_EQ(ports.size(), 3u);
  EXPECT_EQ(ports[0], *first);
  EXPECT_TRUE(server.admin_ports().empty());
  for (int port : ports) {
    EXPECT_EQ(Get(port, "/connectors").status, 200) << port;
    EXPECT_EQ(Get(port, "/admin/loggers").status, 200) << "admin.listeners unset: /admin/ on every listener";
  }
}

TEST_F(RestListenersTest, EmptyAdminListenersSwitchTheAdminRoutesOff) {
  RestConfig config = Loopback();
  config.admin_listeners.emplace();
  Server server(herder_, config);
  Result<int> port = server.Start();
  ASSERT_TRUE(port.ok()) << port.error().ToString();
  EXPECT_TRUE(server.admin_ports().empty());
  EXPECT_EQ(Get(*port, "/connectors").status, 200);
  for (const char* path : {"/admin/loggers", "/admin/loggers/root"}) {
    Answer a = Get(*port, path);
    EXPECT_EQ(a.status, 404) << path;
    EXPECT_EQ(a.body, kNotFound) << path;
  }
}

TEST_F(RestListenersTest, AdminListenerServesOnlyTheAdminRoutes) {
  RestConfig config = Loopback();
  config.admin_listeners = std::vector<ListenAddress>{{"127.0.0.1", 0}};
  Server server(herder_, config);
  Result<int> port = server.Start();
  ASSERT_TRUE(port.ok()) << port.error().ToString();
  ASSERT_EQ(server.admin_ports().size(), 1u);
  const int admin = server.admin_ports()[0];
  EXPECT_NE(admin, *port);

  EXPECT_EQ(Get(*port, "/connectors").status, 200);
  Answer a = Get(*port, "/admin/loggers");
  EXPECT_EQ(a.status, 404);
  EXPECT_EQ(a.body, kNotFound);

  herder_.ClearCalls();
  a = Get(admin, "/admin/loggers/root");
  EXPECT_EQ(a.status, 200);
  EXPECT_NE(a.body.find(R"("level":)"), std::string::npos) << a.body;
  for (const char* path : {"/connectors", "/", "/health"}) {
    a = Get(admin, path);
    EXPECT_EQ(a.status, 404) << path;
    EXPECT_EQ(a.body, kNotFound) << path;
  }
  EXPECT_TRUE(herder_.Calls().empty()) << "the admin listener reached the herder";
}

TEST_F(RestListenersTest, AListenerThatCannotBindLeavesNothingListening) {
  Server holder(herder_, Loopback());
  Result<int> taken = holder.Start();
  ASSERT_TRUE(taken.ok());

  RestConfig config = Loopback();
  config.admin_listeners = std::vector<ListenAddress>{{"127.0.0.1", *taken}};
  Server server(herder_, config);
  Result<int> port = server.Start();
  ASSERT_FALSE(port.ok());
  EXPECT_NE(port.error().message().find("REST admin listener cannot listen on 127.0.0.1:" + std::to_string(*taken)),
            std::string::npos)
      << port.error().message();
  // The main listener had bound first; it was closed again.
  ASSERT_EQ(server.ports().size(), 1u);
  EXPECT_EQ(Get(server.ports()[0], "/connectors").status, 0) << "still listening";
}

TEST(RestConfigTest, ForWorkerTakesEveryListenerAndTheAdminListeners) {
  auto parse = [](Properties props) {
    props.insert({{"group.id", "g"},
                  {"config.storage.topic", "c"},
                  {"offset.storage.topic", "o"},
                  {"status.storage.topic", "s"}});
    Result<worker::WorkerConfig> config = worker::WorkerConfig::Parse(props, worker::WorkerMode::kDistributed);
    CHECK(config.ok()) << config.error().ToString();
    return RestConfig::ForWorker(*config);
  };
  RestConfig config = parse({{"listeners", "http://:8083,http://127.0.0.1:0"}});
  EXPECT_EQ(config.host, "0.0.0.0") << "an empty host binds every interface, as Connect";
  EXPECT_EQ(config.port, 8083);
  ASSERT_EQ(config.more_listeners.size(), 1u);
  EXPECT_EQ(config.more_listeners[0].host, "127.0.0.1");
  EXPECT_EQ(config.more_listeners[0].port, 0);
  EXPECT_EQ(config.admin_listeners, std::nullopt);

  config = parse({{"admin.listeners", ""}});
  ASSERT_TRUE(config.admin_listeners.has_value());
  EXPECT_TRUE(config.admin_listeners->empty());

  config = parse({{"admin.listeners", "http://localhost:9093"}});
  ASSERT_TRUE(config.admin_listeners.has_value());
  ASSERT_EQ(config.admin_listeners->size(), 1u);
  EXPECT_EQ((*config.admin_listeners)[0].host, "localhost");
  EXPECT_EQ((*config.admin_listeners)[0].port, 9093);
}

// /admin/loggers changes glog's process-wide flags: each test puts them back.
class RestLoggersTest : public RestApiTest {
 protected:
  void SetUp() override {
    saved_minloglevel_ = FLAGS_minloglevel;
    saved_v_ = FLAGS_v;
    FLAGS_minloglevel = 0;
    FLAGS_v = 0;
    RestApiTest::SetUp();
  }
  void TearDown() override {
    RestApiTest::TearDown();
    FLAGS_minloglevel = saved_minloglevel_;
    FLAGS_v = saved_v_;
    google::SetVLOGLevel("rest_probe*", 0);
    google::SetVLOGLevel("probe_kid*", 0);
  }

  int saved_minloglevel_ = 0;
  int saved_v_ = 0;
};

TEST_F(RestLoggersTest, LevelsMapOntoGlog) {
  Answer a = Call("GET", "/admin/loggers");
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body, R"({"root":{"level":"INFO","last_modified":null}})");
  a = Call("GET", "/admin/loggers/ROOT");
  EXPECT_EQ(a.body, R"({"level":"INFO","last_modified":null})");
  a = Call("GET", "/admin/loggers/ferry.rest_probe");
  EXPECT_EQ(a.status, 404);
  EXPECT_EQ(a.body, R"({"error_code":404,"message":"Logger ferry.rest_probe not found."})");

  // A named logger: its module's verbosity.
  a = Call("PUT", "/admin/loggers/ferry.rest_probe", R"({"level":"debug"})");
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body, R"(["ferry.rest_probe"])");
  EXPECT_EQ(google::SetVLOGLevel("rest_probe*", 1), 1);  // returns the level it had
  a = Call("GET", "/admin/loggers/ferry.rest_probe");
  EXPECT_EQ(a.status, 200);
  EXPECT_NE(a.body.find(R"({"level":"DEBUG","last_modified":)"), std::string::npos) << a.body;
  EXPECT_EQ(a.body.find("null"), std::string::npos) << a.body;
  a = Call("PUT", "/admin/loggers/ferry.rest_probe.probe_kid", R"({"level":"TRACE"})");
  EXPECT_EQ(a.body, R"(["ferry.rest_probe.probe_kid"])");
  EXPECT_EQ(google::SetVLOGLevel("probe_kid*", 2), 2);
  // A parent sets its known children too.
  a = Call("PUT", "/admin/loggers/ferry.rest_probe", R"({"level":"INFO"})");
  EXPECT_EQ(a.body, R"(["ferry.rest_probe","ferry.rest_probe.probe_kid"])");
  EXPECT_EQ(google::SetVLOGLevel("rest_probe*", 0), 0);
  EXPECT_EQ(google::SetVLOGLevel("probe_kid*", 0), 0);

  // The root: glog's severity threshold and verbosity; every known logger follows.
  a = Call("PUT", "/admin/loggers/root", R"({"level":"WARN"})");
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body, R"(["ferry.rest_probe","ferry.rest_probe.probe_kid","root"])");
  EXPECT_EQ(FLAGS_minloglevel, 1);
  EXPECT_EQ(FLAGS_v, 0);
  a = Call("PUT", "/admin/loggers/root?scope=cluster", R"({"level":"DEBUG"})");
  EXPECT_EQ(a.status, 204);
  EXPECT_EQ(a.body, "");
  EXPECT_EQ(FLAGS_minloglevel, 0);
  EXPECT_EQ(FLAGS_v, 1);
  EXPECT_EQ(google::SetVLOGLevel("rest_probe*", 1), 1);
  a = Call("GET", "/admin/loggers/root");
  EXPECT_NE(a.body.find(R"({"level":"DEBUG","last_modified":)"), std::string::npos) << a.body;
  a = Call("PUT", "/admin/loggers/root", R"({"level":"ERROR"})");
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(FLAGS_minloglevel, 2);
  a = Call("PUT", "/admin/loggers/root?scope=bogus", R"({"level":"TRACE"})");  // any other scope: worker
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(FLAGS_minloglevel, 0);
  EXPECT_EQ(FLAGS_v, 2);
  a = Call("PUT", "/admin/loggers/root", R"({"level":"INFO"})");
  EXPECT_EQ(FLAGS_v, 0);

  a = Call("GET", "/admin/loggers");
  EXPECT_NE(a.body.find(R"("ferry.rest_probe":{"level":"INFO","last_modified":)"), std::string::npos) << a.body;
  EXPECT_NE(a.body.find(R"("root":{"level":"INFO","last_modified":)"), std::string::npos) << a.body;
}

TEST(RestLoggerLevelsTest, ModulePatterns) {
  EXPECT_EQ(LoggerLevels::ModulePattern("org.apache.kafka.connect.mirror.MirrorSourceConnector"),
            "mirror_source_connector");
  EXPECT_EQ(LoggerLevels::ModulePattern("org.apache.kafka.connect.mirror"), "mirror*");
  EXPECT_EQ(LoggerLevels::ModulePattern("ferry.tasks.mirror_task"), "mirror_task*");
  EXPECT_EQ(LoggerLevels::ModulePattern("HTTPServer"), "http_server");
  EXPECT_EQ(LoggerLevels::ModulePattern("a.OffsetSync2Store"), "offset_sync2_store");
  EXPECT_EQ(LoggerLevels::ModulePattern("trailing."), "");
}

TEST(RestLoggerLevelsTest, LastModifiedOnlyWhenTheLevelChanges) {
  const int saved_min = FLAGS_minloglevel;
  const int saved_v = FLAGS_v;
  FLAGS_minloglevel = 0;
  FLAGS_v = 0;
  int64_t now = 1000;
  LoggerLevels levels([&] { return now; });
  ASSERT_TRUE(levels.Set("root", "info").ok());  // already INFO
  EXPECT_EQ(levels.Get("root")->last_modified, std::nullopt);
  now = 2000;
  ASSERT_TRUE(levels.Set("ferry.test.lm_probe", "DEBUG").ok());
  EXPECT_EQ(levels.Get("ferry.test.lm_probe")->last_modified, 2000);
  now = 3000;
  ASSERT_TRUE(levels.Set("ferry.test.lm_probe", "debug").ok());
  EXPECT_EQ(levels.Get("ferry.test.lm_probe")->last_modified, 2000);
  Result<std::vector<std::string>> bad = levels.Set("root", "LOUD");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(bad.error().message(), "invalid log level 'LOUD'.");
  google::SetVLOGLevel("lm_probe*", 0);
  FLAGS_minloglevel = saved_min;
  FLAGS_v = saved_v;
}

}  // namespace
}  // namespace ferry::rest
