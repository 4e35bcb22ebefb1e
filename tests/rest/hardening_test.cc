// Hostile input over real HTTP against FakeHerder (issue 13): bodies nested deeply enough to overflow
// a recursive parser, names no URL can hold, and bytes in a path that are not UTF-8. Each answer is
// Connect's error body, and the server keeps serving afterwards.
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <httplib.h>

#include "rest/connector_routes.h"
#include "rest/server.h"
#include "tests/fakes/fake_herder.h"
#include "tests/support/raw_http.h"
#include "worker/common/json.h"

namespace ferry::rest {
namespace {

using testing::FakeHerder;

constexpr char kJson[] = "application/json";

std::string ErrorJson(int status, const std::string& message) {
  return "{\"error_code\":" + std::to_string(status) + ",\"message\":\"" + message + "\"}";
}

std::string CreateBody(const std::string& name) {
  return R"({"name":")" + name + R"(","config":{"connector.class":"MirrorSourceConnector","source.cluster.alias":"A"}})";
}

class RestHardeningTest : public ::testing::Test {
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

  httplib::Result Send(const std::string& method, const std::string& path, const std::string& body = "") {
    httplib::Request req;
    req.method = method;
    req.path = path;
    req.body = body;
    if (!body.empty()) req.set_header("Content-Type", kJson);
    return client_->send(req);
  }

  FakeHerder herder_;  // outlives the server that refers to it
  std::unique_ptr<Server> server_;
  std::unique_ptr<httplib::Client> client_;
  int port_ = 0;
};

// 150,000 unclosed '[' (146 KiB, under the body limit) once overflowed the request thread's stack in
// RapidJSON's recursive parser and killed the worker. Every route that reads JSON refuses it.
TEST_F(RestHardeningTest, DeeplyNestedBodiesAreRefusedOnEveryJsonRoute) {
  ASSERT_EQ(Send("POST", "/connectors", CreateBody("mirror-a"))->status, 201);
  ASSERT_EQ(Send("PUT", "/connectors/mirror-a/stop")->status, 204);
  const std::string deep(150'000, '[');
  const std::string message =
      ErrorJson(400, "Malformed JSON in request body: arrays and objects nest deeper than 64 levels at offset 64.");
  const std::vector<std::pair<std::string, std::string>> routes = {
      {"POST", "/connectors"},
      {"PUT", "/connectors/mirror-a/config"},
      {"PATCH", "/connectors/mirror-a/config"},
      {"PUT", "/connector-plugins/MirrorSourceConnector/config/validate"},
      {"PATCH", "/connectors/mirror-a/offsets"},
      {"PUT", "/admin/loggers/root"},
      {"POST", "/ferry/connectors/delete"},
  };
  for (const auto& [method, path] : routes) {
    SCOPED_TRACE(method + " " + path);
    const std::string before = herder_.StateForTest();
    httplib::Result res = Send(method, path, deep);
    ASSERT_TRUE(res) << "no answer: " << httplib::to_string(res.error());
    EXPECT_EQ(res->status, 400);
    EXPECT_EQ(res->body, message);
    EXPECT_EQ(herder_.StateForTest(), before);
  }
  // Inside a string the brackets are text, and nesting up to the limit parses as before.
  const std::string in_string = R"({"connector.class":"MirrorSourceConnector","a":")" + std::string(100'000, '[') +
                                R"(\"]"})";
  EXPECT_EQ(Send("PUT", "/connector-plugins/MirrorSourceConnector/config/validate", in_string)->status, 200);
  const std::string at_limit = std::string(64, '[') + std::string(64, ']');
  httplib::Result res = Send("PUT", "/connectors/mirror-a/config", at_limit);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body, ErrorJson(400, "The request body must be a JSON object of settings, not an array"));
  res = Send("PUT", "/connectors/mirror-a/config", "[" + at_limit + "]");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body, message);
  // Still serving.
  res = Send("GET", "/health");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
}

// A name no URL can hold once made a connector no one could delete (414 on every path naming it).
TEST_F(RestHardeningTest, NamesAreLimitedAndLongOnesCanStillBeDeleted) {
  const std::string longest(kMaxConnectorNameBytes, 'n');
  httplib::Result res = Send("POST", "/connectors", CreateBody(longest));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 201) << res->body;
  EXPECT_EQ(Send("DELETE", "/connectors/" + longest)->status, 204);

  const std::string too_long(kMaxConnectorNameBytes + 1, 'n');
  for (const auto& [method, path, body] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"POST", "/connectors", CreateBody(too_long)},
           {"PUT", "/connectors/" + too_long + "/config",
            R"({"connector.class":"MirrorSourceConnector","source.cluster.alias":"A"})"}}) {
    SCOPED_TRACE(method + " " + path.substr(0, 20));
    herder_.ClearCalls();
    res = Send(method, path, body);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 400);
    EXPECT_EQ(res->body, ErrorJson(400, "Invalid connector name '" + std::string(40, 'n') +
                                            "...' (256 bytes): a name may be at most 255 bytes"));
    EXPECT_TRUE(herder_.Calls().empty());
  }

  // One created before the limit (straight through the herder): its URLs are too long for any server,
  // and the body-addressed delete is the way out.
  const std::string legacy(10'000, 'x');
  Result<worker::CreatedConnector> created = herder_.PutConnectorConfig(
      legacy, {{"connector.class", "MirrorSourceConnector"}, {"source.cluster.alias", "A"}, {"name", legacy}},
      std::nullopt, false);
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  res = Send("DELETE", "/connectors/" + legacy);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 414);
  res = Send("POST", "/ferry/connectors/delete", R"({"name":")" + legacy + R"("})");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 204) << res->body;
  EXPECT_EQ(Send("GET", "/connectors")->body, "[]");
  res = Send("POST", "/ferry/connectors/delete", R"({"name":"nope"})");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  EXPECT_EQ(res->body, ErrorJson(404, "Connector nope not found"));
  res = Send("POST", "/ferry/connectors/delete", R"({"name":"nope","also":1})");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body, ErrorJson(400, R"(The request body must be {\"name\":\"<connector>\"})"));
}

// A path segment's bytes are echoed in error messages; JSON must stay UTF-8 whatever they are.
TEST_F(RestHardeningTest, InvalidUtf8InAPathIsNeverEchoedRaw) {
  for (const std::string& path : {std::string("/connectors/a%FFb"), std::string("/connectors/%C3%28/status"),
                                  std::string("/connectors/%ED%A0%80"), std::string("/admin/loggers/%FE%FF")}) {
    SCOPED_TRACE(path);
    const std::string answer = ferry::testing::RawHttp(port_, "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n");
    const size_t body_start = answer.find("\r\n\r\n");
    ASSERT_NE(body_start, std::string::npos) << answer;
    const std::string body = answer.substr(body_start + 4);
    EXPECT_TRUE(json::IsValidUtf8(body)) << body;
    Result<rapidjson::Document> doc = json::Parse(body, "error body");
    ASSERT_TRUE(doc.ok()) << doc.error().ToString();
    EXPECT_TRUE(doc->HasMember("error_code"));
  }
  const std::string answer = ferry::testing::RawHttp(port_, "GET /connectors/a%FFb HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_NE(answer.find("HTTP/1.1 400"), std::string::npos) << answer;
  EXPECT_NE(answer.find("Invalid connector name 'a\xEF\xBF\xBD"
                        "b': a name must be valid UTF-8"),
            std::string::npos)
      << answer;
}

}  // namespace
}  // namespace ferry::rest
