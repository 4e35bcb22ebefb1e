// Hostile input over real HTTP against FakeHerder (issue 13): bodies nested deeply enough to overflow
// a recursive parser, names no URL can hold, bytes in a path that are not UTF-8, clients that send
// their requests slowly, too many or too large headers, and conflicting Content-Length. Each answer
// is Connect's error body, and the server keeps serving the others meanwhile and afterwards.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
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

// A client connection held open by the test, for what no well-behaved client does.
class RawConnection {
 public:
  explicit RawConnection(int port) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = fd_ >= 0 && connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~RawConnection() {
    if (fd_ >= 0) close(fd_);
  }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return connected_; }
  // False once the server has closed the connection (or reset it).
  bool Send(const std::string& bytes) {
    return send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size());
  }
  // What arrives within `wait`, until the server closes the connection or `wait` ends.
  std::string Receive(std::chrono::milliseconds wait) {
    std::string out;
    const auto deadline = std::chrono::steady_clock::now() + wait;
    for (;;) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
      if (left <= 0) break;
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left)) <= 0) break;
      char buf[4096];
      const ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }

 private:
  int fd_;
  bool connected_ = false;
};

std::string StatusLine(const std::string& answer) { return answer.substr(0, answer.find("\r\n")); }
std::string Body(const std::string& answer) {
  const size_t end = answer.find("\r\n\r\n");
  return end == std::string::npos ? "" : answer.substr(end + 4);
}

class RestHardeningTest : public ::testing::Test {
 protected:
  static constexpr auto kHeaderTimeout = std::chrono::milliseconds(1000);

  void SetUp() override {
    RestConfig config;
    config.port = 0;
    config.http_limits.header_timeout = kHeaderTimeout;
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

// Eight clients sending a header byte every few seconds once held every request thread: /health, the
// API and the internal endpoint went unanswered. Now heads are read off the request threads.
TEST_F(RestHardeningTest, SlowClientsHoldNoRequestThread) {
  std::vector<std::unique_ptr<RawConnection>> slow;
  for (int i = 0; i < 20; ++i) {
    slow.push_back(std::make_unique<RawConnection>(port_));
    ASSERT_TRUE(slow.back()->connected());
    ASSERT_TRUE(slow.back()->Send("GET /connectors HTTP/1.1\r\nHost: x\r\nX-Slow: "));
  }
  for (const std::string path : {"/health", "/connectors", "/"}) {
    const auto start = std::chrono::steady_clock::now();
    httplib::Result res = Send("GET", path);
    ASSERT_TRUE(res) << path << ": " << httplib::to_string(res.error());
    EXPECT_EQ(res->status, 200) << path;
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(500)) << path;
  }
  // A head not complete within the header timeout is answered 408 and closed, however it trickles.
  RawConnection& trickle = *slow.front();
  for (int i = 0; i < 3; ++i) {
    std::this_thread::sleep_for(kHeaderTimeout / 4);
    (void)trickle.Send("a");
  }
  const std::string answer = trickle.Receive(kHeaderTimeout * 3);
  EXPECT_EQ(StatusLine(answer), "HTTP/1.1 408 Request Timeout");
  EXPECT_EQ(Body(answer), ErrorJson(408, "Request headers not received within 1000 ms"));
  EXPECT_FALSE(trickle.Send("b\r\n\r\n") && trickle.Send("more")) << "the connection is closed";
}

TEST_F(RestHardeningTest, HeaderCountAndSizeAreBounded) {
  const std::string too_many_body = ErrorJson(431, "Request headers larger than 65536 bytes or 100 lines");
  {
    std::string request = "GET /connectors HTTP/1.1\r\nHost: x\r\n";
    for (int i = 0; i < 100; ++i) request += "X-H" + std::to_string(i) + ": v\r\n";
    RawConnection c(port_);
    ASSERT_TRUE(c.Send(request + "\r\n"));
    const std::string answer = c.Receive(std::chrono::seconds(5));
    EXPECT_EQ(StatusLine(answer), "HTTP/1.1 431 Request Header Fields Too Large");
    EXPECT_EQ(Body(answer), too_many_body);
  }
  {
    RawConnection c(port_);
    ASSERT_TRUE(c.Send("GET /connectors HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(70'000, 'b') + "\r\n\r\n"));
    EXPECT_EQ(StatusLine(c.Receive(std::chrono::seconds(5))), "HTTP/1.1 431 Request Header Fields Too Large");
  }
  {
    // A million headers (the issue's 59 MB request) are refused after the first 64 KiB: the server
    // stops reading, and the client can no longer send.
    RawConnection c(port_);
    ASSERT_TRUE(c.Send("GET /connectors HTTP/1.1\r\nHost: x\r\n"));
    const std::string batch = [] {
      std::string b;
      for (int i = 0; i < 10'000; ++i) b += "X: 1\r\n";
      return b;
    }();
    bool refused = false;
    for (int i = 0; i < 100 && !refused; ++i) refused = !c.Send(batch);
    EXPECT_TRUE(refused) << "the server kept reading headers";
  }
  // A request within the limits is served as before.
  std::string request = "GET /connectors HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 90; ++i) request += "X-H" + std::to_string(i) + ": v\r\n";
  EXPECT_EQ(StatusLine(ferry::testing::RawHttp(port_, request + "\r\n")), "HTTP/1.1 200 OK");
}

TEST_F(RestHardeningTest, ConflictingContentLengthsAreRefused) {
  const std::string body = CreateBody("mirror-a");
  const std::string head = "POST /connectors HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n";
  const std::string conflicting = head + "Content-Length: " + std::to_string(body.size()) +
                                  "\r\nContent-Length: 2\r\n\r\n" + body;
  std::string answer = ferry::testing::RawHttp(port_, conflicting);
  EXPECT_EQ(StatusLine(answer), "HTTP/1.1 400 Bad Request");
  EXPECT_EQ(Body(answer), ErrorJson(400, "Conflicting Content-Length headers"));
  EXPECT_TRUE(herder_.Calls().empty());
  // The same value twice is one length.
  const std::string repeated = head + "Content-Length: " + std::to_string(body.size()) + "\r\ncontent-length: " +
                               std::to_string(body.size()) + "\r\n\r\n" + body;
  answer = ferry::testing::RawHttp(port_, repeated);
  EXPECT_EQ(StatusLine(answer), "HTTP/1.1 201 Created");
}

// A body shorter than its Content-Length once held a request thread for the whole 30 s read timeout;
// now each read waits at most the header timeout, and /health has threads of its own meanwhile.
TEST_F(RestHardeningTest, ShortBodiesAreBoundedAndHealthStaysAnswerable) {
  std::vector<std::unique_ptr<RawConnection>> short_bodies;
  for (int i = 0; i < 12; ++i) {  // more than the request threads
    short_bodies.push_back(std::make_unique<RawConnection>(port_));
    ASSERT_TRUE(short_bodies.back()->Send(
        "PUT /connectors/x/config HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Content-Length: 100\r\n\r\n{\"a\":"));
  }
  httplib::Result res = Send("GET", "/health");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
  // Not a timed bound (the machine may be loaded): /health came back before the last stuck request,
  // which waits for a request thread and then its own read wait, had its answer.
  EXPECT_EQ(short_bodies.back()->Receive(std::chrono::milliseconds(0)), "") << "/health waited for the request threads";
  const std::string answer = short_bodies.front()->Receive(kHeaderTimeout * 3);
  EXPECT_EQ(StatusLine(answer), "HTTP/1.1 400 Bad Request") << "answered within the read wait";
  // Every thread is free again.
  res = Send("GET", "/connectors");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
}

}  // namespace
}  // namespace ferry::rest
