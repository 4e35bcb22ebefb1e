// Connection against tiny scripted TCP servers on loopback: framing, header versions, correlation
// ids, deadlines, and what a broken peer turns into. (Against the real mock broker: see
// group_member_mock_test.cc.)
#include "worker/group/connection.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include <gtest/gtest.h>

#include "worker/group/wire.h"

namespace ferry::group {
namespace {

using std::chrono::milliseconds;

// Reads exactly n bytes from a blocking socket, or returns false (peer closed, 5 s timeout).
bool ReadExact(int fd, size_t n, std::string* out) {
  out->resize(n);
  size_t got = 0;
  while (got < n) {
    pollfd pfd{fd, POLLIN, 0};
    if (poll(&pfd, 1, 5000) <= 0) return false;
    const ssize_t r = recv(fd, out->data() + got, n - got, 0);
    if (r <= 0) return false;
    got += static_cast<size_t>(r);
  }
  return true;
}

bool WriteAll(int fd, const std::string& data) {
  size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

// Reads one request frame; returns its bytes after the size prefix.
bool ReadFrame(int fd, std::string* frame) {
  std::string size_bytes;
  if (!ReadExact(fd, 4, &size_bytes)) return false;
  Reader r(size_bytes);
  const int32_t size = r.Int32();
  return size >= 0 && ReadExact(fd, static_cast<size_t>(size), frame);
}

std::string Frame(const std::string& payload) {
  Writer w;
  w.Int32(static_cast<int32_t>(payload.size()));
  w.Raw(payload);
  return w.Take();
}

// A server that accepts one connection on loopback and runs `handler` on it in a thread of its own,
// which the destructor joins. The handler must return within a few seconds (reads time out at 5 s).
class OneConnectionServer {
 public:
  OneConnectionServer(int family, std::function<void(int fd)> handler) {
    listen_fd_ = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listen_fd_ < 0) return;
    sockaddr_storage addr{};
    socklen_t len;
    if (family == AF_INET6) {
      auto* a6 = reinterpret_cast<sockaddr_in6*>(&addr);
      a6->sin6_family = AF_INET6;
      a6->sin6_addr = in6addr_loopback;
      len = sizeof(sockaddr_in6);
    } else {
      auto* a4 = reinterpret_cast<sockaddr_in*>(&addr);
      a4->sin_family = AF_INET;
      a4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      len = sizeof(sockaddr_in);
    }
    if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 || listen(listen_fd_, 1) != 0 ||
        getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      close(listen_fd_);
      listen_fd_ = -1;
      return;
    }
    port_ = ntohs(family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port
                                     : reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
    thread_ = std::thread([this, handler = std::move(handler)] {
      pollfd pfd{listen_fd_, POLLIN, 0};
      if (poll(&pfd, 1, 5000) <= 0) return;
      const int fd = accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) return;
      handler(fd);
      close(fd);
    });
  }
  ~OneConnectionServer() {
    if (thread_.joinable()) thread_.join();
    if (listen_fd_ >= 0) close(listen_fd_);
  }

  bool ok() const { return listen_fd_ >= 0; }
  int port() const { return port_; }

 private:
  int listen_fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

// Echo server: answers each request with "pong:" + its body, under its correlation id, using the
// header versions of `api_key`/`version` as a broker would.
void AnswerPong(int fd, int request_header_version, int response_header_version, RequestHeader* seen,
                std::string* seen_body) {
  std::string frame;
  if (!ReadFrame(fd, &frame)) return;
  Reader r(frame);
  Result<RequestHeader> header = ReadRequestHeader(r, request_header_version);
  if (!header.ok()) return;
  *seen = *header;
  *seen_body = frame.substr(r.position());
  Writer w;
  WriteResponseHeader(w, header->correlation_id, response_header_version);
  w.Raw("pong:" + *seen_body);
  WriteAll(fd, Frame(w.data()));
}

class WireConnectionTest : public ::testing::Test {
 protected:
  Result<std::unique_ptr<Connection>> Open(const std::string& host, int port) {
    return Connection::Open({host, port}, "ferry", clock_, clock_.Now() + milliseconds(2000));
  }
  Deadline Later(milliseconds ms) { return clock_.Now() + ms; }

  SteadyClock clock_;
};

TEST_F(WireConnectionTest, RoundTripUsesHeaderV1ForClassicVersions) {
  RequestHeader seen;
  std::string body;
  OneConnectionServer server(AF_INET, [&](int fd) { AnswerPong(fd, 1, 0, &seen, &body); });
  ASSERT_TRUE(server.ok());
  auto connection = Open("127.0.0.1", server.port());
  ASSERT_TRUE(connection.ok()) << connection.error().ToString();
  Result<std::string> response = (*connection)->RoundTrip(12, 3, "ping", Later(milliseconds(2000)));
  ASSERT_TRUE(response.ok()) << response.error().ToString();
  EXPECT_EQ(*response, "pong:ping");
  EXPECT_EQ(seen.api_key, 12);
  EXPECT_EQ(seen.api_version, 3);
  EXPECT_EQ(seen.client_id, "ferry");
  EXPECT_EQ(body, "ping");
}

TEST_F(WireConnectionTest, FlexibleVersionsUseHeaderV2AndResponseHeaderV1) {
  RequestHeader seen;
  std::string body;
  OneConnectionServer server(AF_INET, [&](int fd) { AnswerPong(fd, 2, 1, &seen, &body); });
  ASSERT_TRUE(server.ok());
  auto connection = Open("127.0.0.1", server.port());
  ASSERT_TRUE(connection.ok()) << connection.error().ToString();
  Result<std::string> response = (*connection)->RoundTrip(12, 4, "ping", Later(milliseconds(2000)));
  ASSERT_TRUE(response.ok()) << response.error().ToString();
  EXPECT_EQ(*response, "pong:ping");
  EXPECT_EQ(seen.api_version, 4);
}

TEST_F(WireConnectionTest, ApiVersionsV3AnswersWithResponseHeaderV0) {
  RequestHeader seen;
  std::string body;
  OneConnectionServer server(AF_INET, [&](int fd) { AnswerPong(fd, 2, 0, &seen, &body); });
  ASSERT_TRUE(server.ok());
  auto connection = Open("localhost", server.port());
  ASSERT_TRUE(connection.ok()) << connection.error().ToString();
  Result<std::string> response = (*connection)->RoundTrip(18, 3, "x", Later(milliseconds(2000)));
  ASSERT_TRUE(response.ok()) << response.error().ToString();
  EXPECT_EQ(*response, "pong:x");
}

TEST_F(WireConnectionTest, IPv6Loopback) {
  RequestHeader seen;
  std::string body;
  OneConnectionServer server(AF_INET6, [&](int fd) { AnswerPong(fd, 1, 0, &seen, &body); });
  if (!server.ok()) GTEST_SKIP() << "no IPv6 loopback here";
  Result<BrokerAddress> address = ParseBrokerAddress("[::1]:" + std::to_string(server.port()));
  ASSERT_TRUE(address.ok());
  auto connection = Connection::Open(*address, "ferry", clock_, Later(milliseconds(2000)));
  ASSERT_TRUE(connection.ok()) << connection.error().ToString();
  Result<std::string> response = (*connection)->RoundTrip(12, 3, "v6", Later(milliseconds(2000)));
  ASSERT_TRUE(response.ok()) << response.error().ToString();
  EXPECT_EQ(*response, "pong:v6");
}

TEST_F(WireConnectionTest, WrongCorrelationIdIsCorruptAndBreaksTheConnection) {
  OneConnectionServer server(AF_INET, [](int fd) {
    std::string frame;
    if (!ReadFrame(fd, &frame)) return;
    Writer w;
    w.Int32(999);
    WriteAll(fd, Frame(w.data()));
  });
  ASSERT_TRUE(server.ok());
  auto connection = Open("127.0.0.1", server.port());
  ASSERT_TRUE(connection.ok());
  Result<std::string> response = (*connection)->RoundTrip(12, 3, "ping", Later(milliseconds(2000)));
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().code(), ErrorCode::kCorrupt);
  Result<std::string> again = (*connection)->RoundTrip(12, 3, "ping", Later(milliseconds(2000)));
  ASSERT_FALSE(again.ok());
  EXPECT_TRUE(again.error().retriable());  // "closed": open a new one
}

TEST_F(WireConnectionTest, SilentBrokerTimesOutAtTheDeadline) {
  OneConnectionServer server(AF_INET, [](int fd) {
    std::string frame;
    if (!ReadFrame(fd, &frame)) return;
    std::string rest;
    ReadExact(fd, 1, &rest);  // returns when the client gives up and closes
  });
  ASSERT_TRUE(server.ok());
  auto connection = Open("127.0.0.1", server.port());
  ASSERT_TRUE(connection.ok());
  const auto start = clock_.Now();
  Result<std::string> response = (*connection)->RoundTrip(12, 3, "ping", Later(milliseconds(200)));
  const auto elapsed = clock_.Now() - start;
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().code(), ErrorCode::kTimeout);
  EXPECT_TRUE(response.error().retriable());
  EXPECT_GE(elapsed, milliseconds(200));
  EXPECT_LT(elapsed, milliseconds(2000));
  connection->reset();  // closes the socket, so the server thread ends
}

TEST_F(WireConnectionTest, PeerClosingMidResponseIsARetriableNetworkError) {
  OneConnectionServer server(AF_INET, [](int fd) {
    std::string frame;
    if (!ReadFrame(fd, &frame)) return;
    WriteAll(fd, std::string("\x00\x00\x00\x10\x00\x00", 6));  // 16 bytes announced, 2 sent
  });
  ASSERT_TRUE(server.ok());
  auto connection = Open("127.0.0.1", server.port());
  ASSERT_TRUE(connection.ok());
  Result<std::string> response = (*connection)->RoundTrip(12, 3, "ping", Later(milliseconds(2000)));
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().code(), ErrorCode::kKafka);
  EXPECT_TRUE(response.error().retriable());
  EXPECT_EQ(response.error().kafka_err(), RD_KAFKA_RESP_ERR__TRANSPORT);
}

TEST_F(WireConnectionTest, OversizedFrameIsCorruptWithoutAllocating) {
  OneConnectionServer server(AF_INET, [](int fd) {
    std::string frame;
    if (!ReadFrame(fd, &frame)) return;
    WriteAll(fd, std::string("\x7f\xff\xff\xff", 4));
  });
  ASSERT_TRUE(server.ok());
  auto connection = Open("127.0.0.1", server.port());
  ASSERT_TRUE(connection.ok());
  Result<std::string> response = (*connection)->RoundTrip(12, 3, "ping", Later(milliseconds(2000)));
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().code(), ErrorCode::kCorrupt);
}

TEST_F(WireConnectionTest, RefusedConnectionIsRetriable) {
  // Bind a port, then close it: nothing listens there.
  int port = 0;
  {
    OneConnectionServer server(AF_INET, [](int) {});
    ASSERT_TRUE(server.ok());
    port = server.port();
    auto poke = Open("127.0.0.1", port);  // lets the server thread finish at once
  }
  auto connection = Open("127.0.0.1", port);
  ASSERT_FALSE(connection.ok());
  EXPECT_TRUE(connection.error().retriable());
}

TEST_F(WireConnectionTest, ParseBrokerAddress) {
  EXPECT_EQ(*ParseBrokerAddress("localhost:9092"), (BrokerAddress{"localhost", 9092}));
  EXPECT_EQ(*ParseBrokerAddress("PLAINTEXT://10.0.0.1:19092"), (BrokerAddress{"10.0.0.1", 19092}));
  EXPECT_EQ(*ParseBrokerAddress("[::1]:9093"), (BrokerAddress{"::1", 9093}));
  EXPECT_EQ(ParseBrokerAddress("[::1]:9093")->ToString(), "[::1]:9093");
  for (const char* bad : {"", "host", "host:", ":9092", "host:0", "host:65536", "host:12a", "::1:9092", "[::1]9092",
                          "[::1]", "host:123456"}) {
    Result<BrokerAddress> address = ParseBrokerAddress(bad);
    ASSERT_FALSE(address.ok()) << bad;
    EXPECT_EQ(address.error().code(), ErrorCode::kInvalidConfig) << bad;
  }
}

}  // namespace
}  // namespace ferry::group
