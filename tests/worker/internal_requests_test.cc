// The task-configs request a worker sends the leader: Connect's body, its signature, and how the
// leader's answers come back. The leader here is a small HTTP server on loopback.
#include "worker/internal_requests.h"

#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>

namespace ferry::worker {
namespace {

const std::vector<Properties> kTasks = {{{"task.index", "0"}, {"task.assigned.partitions", "orders-0,orders-2"}},
                                        {{"task.index", "1"}, {"quote\"and\\slash", "line\nbreak"}}};

TEST(TaskConfigsJsonTest, RoundTripsAndRejectsWhatIsNotAnArrayOfStringMaps) {
  const std::string json = TaskConfigsJson(kTasks);
  EXPECT_EQ(json, R"([{"task.assigned.partitions":"orders-0,orders-2","task.index":"0"},)"
                  R"({"quote\"and\\slash":"line\nbreak","task.index":"1"}])");
  auto parsed = ParseTaskConfigsJson(json);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, kTasks);
  EXPECT_EQ(TaskConfigsJson({}), "[]");
  for (const char* bad : {"", "{}", "[1]", R"([{"a":1}])", R"([{"a":"b"})", "[[]]"}) {
    auto r = ParseTaskConfigsJson(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code(), ErrorCode::kInvalidConfig) << bad;
  }
}

class FakeLeader {
 public:
  explicit FakeLeader(int status, std::string answer) {
    server_.Post(R"((.*)/connectors/(.+)/tasks)", [this, status, answer](const httplib::Request& req, httplib::Response& res) {
      path_ = req.path;
      target_ = req.target;
      body_ = req.body;
      signature_ = req.get_header_value(std::string(kSignatureHeader));
      algorithm_ = req.get_header_value(std::string(kSignatureAlgorithmHeader));
      res.status = status;
      if (!answer.empty()) res.set_content(answer, "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    for (int i = 0; i < 500 && !server_.is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ~FakeLeader() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/"; }

  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::string path_, target_, body_, signature_, algorithm_;
};

TEST(SendTaskConfigsTest, PostsASignedBodyToTheLeadersInternalEndpoint) {
  FakeLeader leader(204, "");
  auto key = NewSessionKey(0);
  ASSERT_TRUE(key.ok());
  auto sent = SendTaskConfigs(leader.url(), "/A/B", "mirror a/b", kTasks, key.value(), "HmacSHA256", std::chrono::seconds(5));
  ASSERT_TRUE(sent.ok()) << sent.error().ToString();
  EXPECT_EQ(leader.target_, "/A/B/connectors/mirror%20a%2Fb/tasks?forward=false");
  EXPECT_EQ(leader.body_, TaskConfigsJson(kTasks));
  EXPECT_EQ(leader.algorithm_, "HmacSHA256");
  EXPECT_TRUE(VerifyRequest(key.value(), {leader.signature_, leader.algorithm_}, leader.body_, {"HmacSHA256"}).ok());
}

TEST(SendTaskConfigsTest, WithoutAKeyTheRequestGoesUnsigned) {
  FakeLeader leader(204, "");
  ASSERT_TRUE(SendTaskConfigs(leader.url(), "", "c", kTasks, std::nullopt, "HmacSHA256", std::chrono::seconds(5)).ok());
  EXPECT_EQ(leader.signature_, "");
  EXPECT_EQ(leader.algorithm_, "");
}

TEST(SendTaskConfigsTest, TheLeadersRefusalComesBackWithItsStatusAndMessage) {
  const std::pair<int, ErrorCode> cases[] = {{400, ErrorCode::kInvalidConfig}, {403, ErrorCode::kForbidden},
                                             {409, ErrorCode::kConflict},      {503, ErrorCode::kUnavailable},
                                             {500, ErrorCode::kInternal}};
  for (const auto& [status, code] : cases) {
    FakeLeader leader(status, R"({"error_code":)" + std::to_string(status) + R"(,"message":"no, because"})");
    auto sent = SendTaskConfigs(leader.url(), "", "c", kTasks, std::nullopt, "HmacSHA256", std::chrono::seconds(5));
    ASSERT_FALSE(sent.ok()) << status;
    EXPECT_EQ(sent.error().code(), code) << status;
    EXPECT_NE(sent.error().message().find("answered " + std::to_string(status) + ": no, because"), std::string::npos)
        << sent.error().message();
  }
}

TEST(SendTaskConfigsTest, NoLeaderListeningIsAnErrorNotAHang) {
  int port = 0;
  {
    FakeLeader gone(204, "");
    port = gone.port_;
  }
  auto sent = SendTaskConfigs("http://127.0.0.1:" + std::to_string(port) + "/", "", "c", kTasks, std::nullopt, "HmacSHA256",
                              std::chrono::seconds(2));
  ASSERT_FALSE(sent.ok());
  EXPECT_EQ(sent.error().code(), ErrorCode::kInternal);
}

}  // namespace
}  // namespace ferry::worker
