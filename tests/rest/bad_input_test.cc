// Bad input over real HTTP against FakeHerder, one table: each case checks the status, the error body
// (error_code and message) and that nothing was written; cases the REST layer must reject on its own
// also check that the Herder was never called.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/raw_http.h"
#include <httplib.h>

#include "rest/server.h"
#include "tests/fakes/fake_herder.h"

namespace ferry::rest {
namespace {

using ferry::testing::RawHttp;

using testing::FakeHerder;

constexpr size_t kMaxBody = 4096;
constexpr char kJson[] = "application/json";
constexpr char kHint[] =
    "\\nYou can also find the above list of errors at the endpoint "
    "`/connector-plugins/{connectorType}/config/validate`";
constexpr char kAvailable[] =
    "available connectors are: org.apache.kafka.connect.mirror.MirrorSourceConnector, "
    "org.apache.kafka.connect.mirror.MirrorCheckpointConnector, "
    "org.apache.kafka.connect.mirror.MirrorHeartbeatConnector";

enum class Reaches {
  kRestOnly,  // rejected before the Herder: no call at all
  kHerder,    // the Herder answers the error: it is called, and changes nothing
};

struct Case {
  std::string label;
  std::string method;
  std::string path;
  std::string body;
  int status;
  std::string message;  // as it appears in the JSON body (escaped)
  Reaches reaches = Reaches::kRestOnly;
  std::string content_type = kJson;
};

std::string ErrorJson(int status, const std::string& message) {
  return "{\"error_code\":" + std::to_string(status) + ",\"message\":\"" + message + "\"}";
}

// A valid create request for `name` with extra settings `extra` (JSON members, may be empty).
std::string Create(const std::string& name, const std::string& extra = "") {
  return R"({"name":")" + name + R"(","config":{"connector.class":"MirrorSourceConnector","source.cluster.alias":"A")" +
         (extra.empty() ? "" : "," + extra) + "}}";
}

std::vector<Case> Cases() {
  const std::string big(kMaxBody + 1, ' ');
  return {
      // Malformed JSON.
      {"truncated JSON", "POST", "/connectors", R"({"name":"x","config":{)", 400,
       "Malformed JSON in request body at offset 22: Missing a name for object member."},
      {"trailing comma", "POST", "/connectors", R"({"name":"x","config":{"a":"b",}})", 400,
       "Malformed JSON in request body at offset 30: Missing a name for object member."},
      {"comment", "POST", "/connectors", R"({"name":"x" /* c */})", 400,
       "Malformed JSON in request body at offset 12: Missing a comma or '}' after an object member."},
      {"two documents", "POST", "/connectors", "{} {}", 400,
       "Malformed JSON in request body at offset 3: The document root must not be followed by other values."},
      {"empty body", "POST", "/connectors", "", 400,
       "Malformed JSON in request body at offset 0: The document is empty."},
      {"invalid UTF-8", "PUT", "/connectors/x/config", "{\"a\":\"\xC3\x28\"}", 400,
       "Malformed JSON in request body at offset 6: Invalid encoding in string."},
      {"bare word", "PUT", "/connector-plugins/MirrorSourceConnector/config/validate", "nope", 400,
       "Malformed JSON in request body at offset 1: Invalid value."},

      // Wrong types.
      {"body is an array", "POST", "/connectors", "[]", 400,
       "A create connector request must be a JSON object, not an array"},
      {"config value is an object", "POST", "/connectors", Create("x", R"("tasks.max":{"n":1})"), 400,
       "Invalid value for 'tasks.max': expected a string, number or boolean but got an object"},
      {"config value is an array", "PUT", "/connectors/x/config",
       R"({"connector.class":"MirrorSourceConnector","topics":["a","b"]})", 400,
       "Invalid value for 'topics': expected a string, number or boolean but got an array"},
      {"config is a string", "POST", "/connectors", R"({"name":"x","config":"connector.class=A"})", 400,
       "'config' in a create connector request must be a JSON object of settings, not a string"},
      {"name is an object", "POST", "/connectors", R"({"name":{"n":"x"},"config":{}})", 400,
       "Invalid 'name' in create connector request: expected a string but got an object"},
      {"unknown field", "POST", "/connectors", R"({"name":"x","config":{},"state":"RUNNING"})", 400,
       "Unrecognized field \\\"state\\\" in create connector request (known fields: name, config, initial_state)"},
      {"initial_state unknown", "POST", "/connectors", R"({"name":"x","config":{},"initial_state":"STARTED"})", 400,
       "Invalid 'initial_state' 'STARTED' in create connector request: must be one of RUNNING, PAUSED, STOPPED"},
      {"initial_state a number", "POST", "/connectors", R"({"name":"x","config":{},"initial_state":1})", 400,
       "Invalid 'initial_state' '1' in create connector request: must be one of RUNNING, PAUSED, STOPPED"},
      {"PUT config body is an array", "PUT", "/connectors/x/config", R"([{"a":"b"}])", 400,
       "The request body must be a JSON object of settings, not an array"},
      {"null in POST config", "POST", "/connectors", Create("x", R"("topics":null)"), 400,
       std::string("Connector configuration is invalid and contains the following 1 error(s):\\n"
                   "Null value can not be supplied as the configuration value.") +
           kHint},
      {"logger level is an object", "PUT", "/admin/loggers/root", R"({"level":{"v":"DEBUG"}})", 400,
       "Invalid value for 'level': expected a string, number or boolean but got an object"},
      {"wrong content type", "POST", "/connectors", Create("x"), 415, "HTTP 415 Unsupported Media Type",
       Reaches::kRestOnly, "text/plain"},
      {"form content type", "PUT", "/connectors/x/config", "a=b", 415, "HTTP 415 Unsupported Media Type",
       Reaches::kRestOnly, "application/x-www-form-urlencoded"},

      // Missing name, config or connector.class.
      {"missing config", "POST", "/connectors", R"({"name":"x"})", 400,
       "A create connector request needs a 'config' object with the connector's settings"},
      {"null config", "POST", "/connectors", R"({"name":"x","config":null})", 400,
       "A create connector request needs a 'config' object with the connector's settings"},
      {"missing name", "POST", "/connectors", R"({"config":{"connector.class":"MirrorSourceConnector"}})", 400,
       std::string("Connector configuration is invalid and contains the following 1 error(s):\\n"
                   "Invalid value  for configuration name: String may not be empty") +
           kHint},
      {"blank name", "POST", "/connectors", Create(" \\t "), 400,
       std::string("Connector configuration is invalid and contains the following 1 error(s):\\n"
                   "Invalid value  for configuration name: String may not be empty") +
           kHint},
      {"empty config", "POST", "/connectors", R"({"name":"x","config":{}})", 400,
       "Connector config {name=x} contains no connector type"},
      {"missing connector.class", "PUT", "/connectors/x/config", R"({"source.cluster.alias":"A","tasks.max":1})", 400,
       "Connector config {name=x, source.cluster.alias=A, tasks.max=1} contains no connector type"},
      {"name mismatch in POST", "POST", "/connectors",
       R"({"name":"x","config":{"name":"y","connector.class":"MirrorSourceConnector"}})", 400,
       "Connector name configuration (y) doesn't match connector name in the URL (x)"},
      {"name mismatch in PUT", "PUT", "/connectors/x/config",
       R"({"name":"y","connector.class":"MirrorSourceConnector"})", 400,
       "Connector name configuration (y) doesn't match connector name in the URL (x)"},

      // Unknown connector class: Connect answers 500 (a ConnectException from its plugin loader).
      {"unknown class", "POST", "/connectors", R"({"name":"x","config":{"connector.class":"com.example.Nope"}})", 500,
       std::string("Failed to find any class that implements Connector and which name matches com.example.Nope, ") +
           kAvailable,
       Reaches::kHerder},
      {"a converter is no connector", "PUT", "/connectors/x/config",
       R"({"connector.class":"org.apache.kafka.connect.json.JsonConverter"})", 500,
       std::string("Failed to find any class that implements Connector and which name matches "
                   "org.apache.kafka.connect.json.JsonConverter, ") +
           kAvailable,
       Reaches::kHerder},

      // Invalid values: every field's error, in definition order.
      {"invalid values", "POST", "/connectors",
       R"({"name":"x","config":{"connector.class":"MirrorSourceConnector","tasks.max":"0",)"
       R"("sync.topic.configs.enabled":"maybe","replication.factor":"three"}})",
       400,
       std::string(
           "Connector configuration is invalid and contains the following 4 error(s):\\n"
           "Invalid value 0 for configuration tasks.max: Value must be at least 1\\n"
           "Missing required configuration \\\"source.cluster.alias\\\" which has no default value.\\n"
           "Invalid value maybe for configuration sync.topic.configs.enabled: Expected value to be either true or "
           "false\\n"
           "Invalid value three for configuration replication.factor: Not a number of type INT") +
           kHint,
       Reaches::kHerder},
      {"invalid PATCH", "PATCH", "/connectors/mirror-a/config", R"({"tasks.max":"-1"})", 400,
       std::string("Connector configuration is invalid and contains the following 1 error(s):\\n"
                   "Invalid value -1 for configuration tasks.max: Value must be at least 1") +
           kHint,
       Reaches::kHerder},
      {"PATCH removes connector.class", "PATCH", "/connectors/mirror-a/config", R"({"connector.class":null})", 400,
       "Connector config {name=mirror-a, source.cluster.alias=A} contains no connector type", Reaches::kHerder},

      // Conflicts.
      {"name conflict", "POST", "/connectors", Create("mirror-a"), 409, "Connector mirror-a already exists",
       Reaches::kHerder},
      {"name conflict after trim", "POST", "/connectors", Create("  mirror-a "), 409,
       "Connector mirror-a already exists", Reaches::kHerder},

      // Unknown connector or task.
      {"unknown connector", "GET", "/connectors/nope", "", 404, "Connector nope not found", Reaches::kHerder},
      {"unknown connector config", "GET", "/connectors/nope/config", "", 404, "Connector nope not found",
       Reaches::kHerder},
      {"unknown connector status", "GET", "/connectors/nope/status", "", 404, "No status found for connector nope",
       Reaches::kHerder},
      {"unknown connector tasks", "GET", "/connectors/nope/tasks", "", 404, "Connector nope not found",
       Reaches::kHerder},
      {"PATCH unknown connector", "PATCH", "/connectors/nope/config", R"({"tasks.max":"1"})", 404,
       "Connector nope not found", Reaches::kHerder},
      {"pause unknown", "PUT", "/connectors/nope/pause", "", 404, "Unknown connector nope", Reaches::kHerder},
      {"resume unknown", "PUT", "/connectors/nope/resume", "", 404, "Unknown connector nope", Reaches::kHerder},
      {"stop unknown", "PUT", "/connectors/nope/stop", "", 404, "Unknown connector nope", Reaches::kHerder},
      {"restart unknown", "POST", "/connectors/nope/restart", "", 404, "Unknown connector: nope", Reaches::kHerder},
      {"delete unknown", "DELETE", "/connectors/nope", "", 404, "Connector nope not found", Reaches::kHerder},
      {"offsets of unknown", "GET", "/connectors/nope/offsets", "", 404, "Connector nope not found", Reaches::kHerder},
      {"unknown task status", "GET", "/connectors/mirror-a/tasks/7/status", "", 404,
       "No status found for task mirror-a-7", Reaches::kHerder},
      {"restart unknown task", "POST", "/connectors/mirror-a/tasks/7/restart", "", 404, "Unknown task: mirror-a-7",
       Reaches::kHerder},
      {"restart task of unknown connector", "POST", "/connectors/nope/tasks/0/restart", "", 404,
       "Unknown connector: nope", Reaches::kHerder},
      {"task id not a number", "GET", "/connectors/mirror-a/tasks/x/status", "", 404, "HTTP 404 Not Found"},
      {"task id overflows", "POST", "/connectors/mirror-a/tasks/2147483648/restart", "", 404, "HTTP 404 Not Found"},
      {"unknown plugin", "GET", "/connector-plugins/Nope/config", "", 404, "Unknown plugin Nope.", Reaches::kHerder},

      // Offsets.
      {"offsets empty", "PATCH", "/connectors/mirror-a/offsets", R"({"offsets":[]})", 400,
       "Partitions / offsets need to be provided for an alter offsets request"},
      {"offsets missing", "PATCH", "/connectors/mirror-a/offsets", "{}", 400,
       "Partitions / offsets need to be provided for an alter offsets request"},
      {"offsets not an array", "PATCH", "/connectors/mirror-a/offsets", R"({"offsets":{"partition":{}}})", 400,
       "'offsets' must be an array of {\\\"partition\\\":...,\\\"offset\\\":...}, not an object"},
      {"partition missing", "PATCH", "/connectors/mirror-a/offsets", R"({"offsets":[{"offset":{"offset":1}}]})", 400,
       "The partition for a connector offset cannot be null or missing"},
      {"partition a string", "PATCH", "/connectors/mirror-a/offsets",
       R"({"offsets":[{"partition":"orders-0","offset":{"offset":1}}]})", 400,
       "The partition for a connector offset must be an object, not a string"},
      {"offset a number", "PATCH", "/connectors/mirror-a/offsets",
       R"({"offsets":[{"partition":{"topic":"orders"},"offset":5}]})", 400,
       "The offset for a connector offset must be an object or null, not a number"},
      {"offsets while running", "PATCH", "/connectors/mirror-a/offsets",
       R"({"offsets":[{"partition":{"topic":"orders"},"offset":{"offset":5}}]})", 400,
       "Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the "
       "specified connector by issuing a 'PUT' request to the '/connectors/mirror-a/stop' endpoint",
       Reaches::kHerder},
      {"reset offsets while running", "DELETE", "/connectors/mirror-a/offsets", "", 400,
       "Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the "
       "specified connector by issuing a 'PUT' request to the '/connectors/mirror-a/stop' endpoint",
       Reaches::kHerder},

      // Validate.
      {"validate class mismatch", "PUT", "/connector-plugins/MirrorCheckpointConnector/config/validate",
       R"({"connector.class":"org.apache.kafka.connect.mirror.MirrorSourceConnector"})", 400,
       "Included connector type org.apache.kafka.connect.mirror.MirrorSourceConnector does not match request type "
       "MirrorCheckpointConnector"},
      {"validate without class", "PUT", "/connector-plugins/MirrorSourceConnector/config/validate", R"({"topics":"a"})",
       400, "Connector config {topics=a} contains no connector type"},
      {"validate unknown class", "PUT", "/connector-plugins/Nope/config/validate", R"({"connector.class":"Nope"})", 500,
       std::string("Failed to find any class that implements Connector and which name matches Nope, ") + kAvailable,
       Reaches::kHerder},

      // Loggers.
      {"invalid log level", "PUT", "/admin/loggers/root", R"({"level":"LOUD"})", 404, "invalid log level 'LOUD'."},
      {"missing log level", "PUT", "/admin/loggers/root", R"({"levels":"DEBUG"})", 400,
       "Desired 'level' parameter was not specified in request."},
      {"null log level", "PUT", "/admin/loggers/root", R"({"level":null})", 400,
       "Desired 'level' parameter was not specified in request."},

      // Oversized bodies.
      {"oversized body", "POST", "/connectors", R"({"name":"x","config":{"a":")" + big + R"("}})", 413,
       "Request body is larger than the limit of 4096 bytes"},
      {"oversized body on a route without one", "PUT", "/connectors/mirror-a/pause", big, 413,
       "Request body is larger than the limit of 4096 bytes"},

      // Path injection: names that could change a path never reach the Herder.
      {"encoded ../", "GET", "/connectors/..%2Fconnector-plugins", "", 400,
       "Invalid connector name '../connector-plugins': a name may not contain '/'"},
      {"encoded slash", "DELETE", "/connectors/a%2Fb", "", 400,
       "Invalid connector name 'a/b': a name may not contain '/'"},
      {"encoded dot-dot", "PUT", "/connectors/%2e%2e/config", R"({"connector.class":"MirrorSourceConnector"})", 400,
       "Invalid connector name '..': a name may not contain '..'"},
      {"dot-dot", "PUT", "/connectors/../pause", "", 400, "Invalid connector name '..': a name may not contain '..'"},
      {"NUL byte", "GET", "/connectors/a%00b/status", "", 400,
       "Invalid connector name 'a\\u0000b': a name may not contain control characters but had the following ASCII "
       "chars: 0"},
      {"newline", "PUT", "/connectors/a%0Ab/stop", "", 400,
       "Invalid connector name 'a\\nb': a name may not contain control characters but had the following ASCII chars: "
       "10"},
      {"C1 control", "GET", "/connectors/a%C2%85b", "", 400,
       "Invalid connector name 'a\xC2\x85"
       "b': a name may not contain control characters but had the following ASCII "
       "chars: 133"},
      {"blank path name", "GET", "/connectors/%20%20", "", 400, "Invalid connector name '  ': a name may not be empty"},
      {"empty path name", "GET", "/connectors//status", "", 400, "Invalid connector name '': a name may not be empty"},
      {"malformed escape", "GET", "/connectors/a%zz", "", 400,
       "Malformed percent-encoding in request path segment 'a%zz'"},
      {"slash in a created name", "POST", "/connectors", Create("a/b"), 400,
       "Invalid connector name 'a/b': a name may not contain '/'"},
      {"dot-dot in a created name", "POST", "/connectors", Create("a..b"), 400,
       "Invalid connector name 'a..b': a name may not contain '..'"},
      {"control character in a created name", "POST", "/connectors", Create("a\\u0007b"), 400,
       std::string("Connector configuration is invalid and contains the following 1 error(s):\\n"
                   "Invalid value a\\u0007b for configuration name: String may not contain control sequences but "
                   "had the following ASCII chars: 7") +
           kHint},
      {"unencoded slash", "GET", "/connectors/a/b", "", 404, "HTTP 404 Not Found"},
      {"traversal out of /connectors", "GET", "/connectors/../connector-plugins", "", 404, "HTTP 404 Not Found"},

      // Unknown routes and wrong methods.
      {"unknown route", "GET", "/nope", "", 404, "HTTP 404 Not Found"},
      {"unknown sub-resource", "GET", "/connectors/mirror-a/nope", "", 404, "HTTP 404 Not Found"},
      {"internal fence endpoint", "PUT", "/connectors/mirror-a/fence", "", 404, "HTTP 404 Not Found"},
      {"DELETE /connectors", "DELETE", "/connectors", "", 405, "HTTP 405 Method Not Allowed"},
      {"POST on pause", "POST", "/connectors/mirror-a/pause", "", 405, "HTTP 405 Method Not Allowed"},
      {"GET on restart", "GET", "/connectors/mirror-a/restart", "", 405, "HTTP 405 Method Not Allowed"},
      {"PUT on the internal task configs endpoint", "PUT", "/connectors/mirror-a/tasks", "[]", 405,
       "HTTP 405 Method Not Allowed"},
      {"PUT on the logger list", "PUT", "/admin/loggers", R"({"level":"DEBUG"})", 405, "HTTP 405 Method Not Allowed"},
      {"TRACE", "TRACE", "/connectors", "", 405, "HTTP 405 Method Not Allowed"},
      {"OPTIONS", "OPTIONS", "/connectors/mirror-a", "", 405, "HTTP 405 Method Not Allowed"},
  };
}

class BadInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RestConfig config;
    config.port = 0;
    config.max_body_bytes = kMaxBody;
    server_ = std::make_unique<Server>(herder_, config);
    Result<int> port = server_->Start();
    ASSERT_TRUE(port.ok()) << port.error().ToString();
    port_ = *port;
    client_ = std::make_unique<httplib::Client>("127.0.0.1", port_);
    client_->set_connection_timeout(std::chrono::seconds(5));
    client_->set_read_timeout(std::chrono::seconds(10));
    // A running connector to conflict with and to address.
    httplib::Result res = client_->Post("/connectors", Create("mirror-a"), kJson);
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 201) << res->body;
  }
  void TearDown() override { server_->Stop(); }

  FakeHerder herder_;  // outlives the server that refers to it
  std::unique_ptr<Server> server_;
  std::unique_ptr<httplib::Client> client_;
  int port_ = 0;
};

TEST_F(BadInputTest, EveryCaseAnswersConnectsErrorAndWritesNothing) {
  for (const Case& c : Cases()) {
    SCOPED_TRACE(c.label + ": " + c.method + " " + c.path);
    const std::string before = herder_.StateForTest();
    herder_.ClearCalls();
    httplib::Request req;
    req.method = c.method;
    req.path = c.path;
    req.body = c.body;
    if (!c.body.empty()) req.set_header("Content-Type", c.content_type);
    httplib::Result res = client_->send(req);
    ASSERT_TRUE(res) << httplib::to_string(res.error());
    EXPECT_EQ(res->status, c.status);
    EXPECT_EQ(res->body, ErrorJson(c.status, c.message));
    EXPECT_EQ(res->get_header_value("Content-Type"), kJson);
    if (c.status == 405) {
      EXPECT_FALSE(res->get_header_value("Allow").empty());
    }
    EXPECT_EQ(herder_.StateForTest(), before);
    if (c.reaches == Reaches::kRestOnly) {
      EXPECT_TRUE(herder_.Calls().empty()) << "the Herder was called: " << herder_.Calls().front();
    } else {
      EXPECT_EQ(herder_.Calls().size(), 1u);
    }
  }
}

// A chunked body has no Content-Length for httplib to check; the limit holds anyway.
TEST_F(BadInputTest, OversizedChunkedBody) {
  const std::string before = herder_.StateForTest();
  herder_.ClearCalls();
  httplib::Result res = client_->Post(
      "/connectors",
      [](size_t offset, httplib::DataSink& sink) {
        if (offset == 0) sink.write("{\"name\":\"x\",\"config\":{\"a\":\"", 27);
        if (offset > 4 * kMaxBody) {
          sink.done();
          return true;
        }
        const std::string chunk(1024, 'a');
        sink.write(chunk.data(), chunk.size());
        return true;
      },
      kJson);
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 413);
  EXPECT_EQ(res->body, ErrorJson(413, "Request body is larger than the limit of 4096 bytes"));
  EXPECT_EQ(herder_.StateForTest(), before);
  EXPECT_TRUE(herder_.Calls().empty());
}

// Garbage on the wire: httplib's own 400 still carries Connect's error body.
TEST_F(BadInputTest, MalformedRequestLine) {
  herder_.ClearCalls();
  const std::string answer = RawHttp(port_, "GET /connectors with spaces HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(answer.substr(0, answer.find("\r\n")), "HTTP/1.1 400 Bad Request");
  EXPECT_EQ(answer.substr(answer.find("\r\n\r\n") + 4), ErrorJson(400, "HTTP 400 Bad Request"));
  EXPECT_TRUE(herder_.Calls().empty());
}

// Long paths: a name near the URI limit reaches the Herder; a longer URI is httplib's 414.
TEST_F(BadInputTest, LongPaths) {
  const std::string name(8000, 'n');
  httplib::Result res = client_->Get("/connectors/" + name);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  EXPECT_EQ(res->body, ErrorJson(404, "Connector " + name + " not found"));
  res = client_->Get("/connectors/" + name + name);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 414);
  EXPECT_EQ(res->body, ErrorJson(414, "HTTP 414 Request-URI Too Long"));
}

}  // namespace
}  // namespace ferry::rest
