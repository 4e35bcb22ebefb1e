// A mutation fuzzer for the REST server's request handling (issue 17, "bad input at the edge"), run
// for a bounded time under ASan/UBSan: valid requests of every kind (heads, query strings, percent
// escapes, JSON bodies, chunked bodies, the admin routes) are mutated (bytes flipped, inserted,
// dropped, repeated, spliced with another request, Content-Length rewritten, CRLF and NUL bytes
// injected) and sent over real sockets to a Server on FakeHerder. Every answer must be a well-formed
// HTTP/1.1 status line without a 5xx (but the two Connect gives too), or a closed connection; the
// server must serve a plain GET afterwards. It needs no fuzzing toolchain and runs with every
// unit-test run, with a fixed seed (FERRY_FUZZ_SEED to change it, FERRY_FUZZ_SECONDS to run longer
// than the default 3 s), over real sockets through the whole server.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <iostream>

#include <gtest/gtest.h>

#include "rest/server.h"
#include "tests/fakes/fake_herder.h"

namespace ferry::rest {
namespace {

using Clock = std::chrono::steady_clock;

// Sends `bytes`, half-closes, and returns what the server answers before closing (at most 3 s).
std::string Exchange(int port, const std::string& bytes) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string answer;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    (void)!::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    ::shutdown(fd, SHUT_WR);
    const auto deadline = Clock::now() + std::chrono::seconds(3);
    char buf[4096];
    while (Clock::now() < deadline) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      answer.append(buf, static_cast<size_t>(n));
    }
  }
  ::close(fd);
  return answer;
}

const std::vector<std::string>& Seeds() {
  static const std::vector<std::string> seeds = {
      "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET /connectors?expand=status&expand=info HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\n\r\n",
      "GET /connectors/a%20b/status HTTP/1.1\r\n\r\n",
      "GET /connectors/mirror-a/tasks/0/status HTTP/1.1\r\n\r\n",
      "POST /connectors HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 113\r\n\r\n"
      "{\"name\":\"m\",\"config\":{\"connector.class\":\"MirrorSourceConnector\",\"source.cluster.alias\":\"A\",\"tasks.max\":2}}",
      "PUT /connectors/m/config HTTP/1.1\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: 92\r\n\r\n"
      "{\"connector.class\":\"MirrorHeartbeatConnector\",\"source.cluster.alias\":\"A\",\"x\":[1,{\"y\":null}]}",
      "PUT /connectors/m/pause HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
      "POST /connectors/m/restart?includeTasks=true&onlyFailed=false HTTP/1.1\r\n\r\n",
      "PATCH /connectors/m/offsets HTTP/1.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
      "1a\r\n{\"offsets\":[{\"partition\":\r\n9\r\n{},\"a\":1}\r\n4\r\n]}  \r\n0\r\n\r\n",
      "DELETE /connectors/m HTTP/1.1\r\nConnection: close\r\n\r\n",
      "PUT /connector-plugins/MirrorSourceConnector/config/validate HTTP/1.1\r\nContent-Type: application/json\r\n"
      "Content-Length: 44\r\n\r\n{\"connector.class\":\"MirrorSourceConnector\"}",
      "PUT /admin/loggers/org.example HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 17\r\n\r\n{\"level\":\"DEBUG\"}",
      "GET /admin/loggers HTTP/1.1\r\n\r\n",
      "OPTIONS /connectors HTTP/1.1\r\n\r\n",
      "GET /metrics HTTP/1.1\r\n\r\n",
      "GET /ui HTTP/1.1\r\n\r\n",
      "POST /connectors/m/tasks?forward=false HTTP/1.1\r\nX-Connect-Authorization: AAAA\r\n"
      "X-Connect-Request-Signature-Algorithm: HmacSHA256\r\nContent-Length: 2\r\n\r\n[]",
      "GET / HTTP/1.1\r\n\r\nGET /connectors HTTP/1.1\r\n\r\n",
  };
  return seeds;
}

std::string Mutate(std::string s, std::mt19937_64& rng) {
  auto pick = [&](size_t n) { return n == 0 ? size_t{0} : static_cast<size_t>(rng() % n); };
  static const std::vector<std::string> tokens = {
      "\r\n", "\n", "\0", "%", "%zz", "%2F", "/", "?", "&", "=", "{", "}", "[", "\"", "\\u0000", ":", " ",
      "Content-Length: 5\r\n", "Transfer-Encoding: chunked\r\n", "Content-Type: text/plain\r\n",
      "Connection: keep-alive\r\n", "Expect: 100-continue\r\n", "ffffffffffffffff", "-1", "99999999999",
      "\xff\xfe", "../", "Content-Encoding: gzip\r\n", "Range: bytes=0-1\r\n"};
  const int steps = 1 + static_cast<int>(rng() % 4);
  for (int i = 0; i < steps; ++i) {
    switch (rng() % 8) {
      case 0:
        if (!s.empty()) s[pick(s.size())] ^= static_cast<char>(1 << (rng() % 8));
        break;
      case 1:
        s.insert(pick(s.size() + 1), 1, static_cast<char>(rng() % 256));
        break;
      case 2:
        if (!s.empty()) s.erase(pick(s.size()), 1 + pick(16));
        break;
      case 3: {
        const std::string& t = tokens[pick(tokens.size())];
        s.insert(pick(s.size() + 1), t.c_str(), t == std::string("\0", 1) ? 1 : t.size());
        break;
      }
      case 4: {
        if (s.empty()) break;
        const size_t at = pick(s.size());
        const std::string chunk = s.substr(at, 1 + pick(64));
        const size_t times = 1 + pick(rng() % 4 == 0 ? 2000 : 8);
        std::string repeated;
        for (size_t k = 0; k < times; ++k) repeated += chunk;
        s.insert(at, repeated);
        break;
      }
      case 5: {
        const std::string& other = Seeds()[pick(Seeds().size())];
        s = s.substr(0, pick(s.size() + 1)) + other.substr(pick(other.size() + 1));
        break;
      }
      case 6: {
        const size_t at = s.find("Content-Length: ");
        if (at == std::string::npos) break;
        const size_t end = s.find('\r', at);
        s.replace(at + 16, end == std::string::npos ? 0 : end - at - 16, std::to_string(rng() % 300));
        break;
      }
      default:
        s = s.substr(0, pick(s.size() + 1));  // truncated
        break;
    }
  }
  return s;
}

TEST(RequestFuzzTest, MutatedRequestsGetWellFormedAnswersAndNever5xx) {
  testing::FakeHerder herder;
  RestConfig config;
  config.port = 0;
  config.request_timeout = std::chrono::milliseconds(2000);
  config.http_limits.header_timeout = std::chrono::milliseconds(1000);
  Server server(herder, config);
  Result<int> port = server.Start();
  ASSERT_TRUE(port.ok()) << port.error().ToString();

  const char* seed_env = std::getenv("FERRY_FUZZ_SEED");
  const char* seconds_env = std::getenv("FERRY_FUZZ_SECONDS");
  const uint64_t seed = seed_env != nullptr ? std::strtoull(seed_env, nullptr, 10) : 17;
  const double seconds = seconds_env != nullptr ? std::atof(seconds_env) : 3.0;
  std::mt19937_64 rng(seed);
  std::map<std::string, int> statuses;
  const auto end = Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
  int runs = 0;
  while (Clock::now() < end) {
    const std::string request = Mutate(Seeds()[rng() % Seeds().size()], rng);
    const std::string answer = Exchange(*port, request);
    ++runs;
    if (answer.empty()) {
      ++statuses["closed"];
      continue;
    }
    ASSERT_TRUE(answer.rfind("HTTP/1.1 ", 0) == 0 && answer.size() >= 12) << "seed " << seed << " run " << runs << ": "
                                                                        << ::testing::PrintToString(request) << " -> "
                                                                        << ::testing::PrintToString(answer.substr(0, 200));
    const std::string status = answer.substr(9, 3);
    ++statuses[status];
    // 500s Connect gives too: an unknown connector class in a validate request (its herder's
    // ConnectException), and FakeHerder's refusal of internal requests (a real herder answers them).
    if (answer.find("Failed to find any class that implements Connector") != std::string::npos ||
        answer.find("this worker takes no internal requests") != std::string::npos) {
      continue;
    }
    ASSERT_NE(status[0], '5') << "seed " << seed << " run " << runs << ": " << ::testing::PrintToString(request)
                              << " -> " << ::testing::PrintToString(answer.substr(0, 300));
  }
  std::string summary;
  for (const auto& [status, count] : statuses) summary += " " + status + ":" + std::to_string(count);
  std::cout << runs << " mutated requests (seed " << seed << "):" << summary << "\n";
  EXPECT_GT(runs, 50);
  EXPECT_EQ(Exchange(*port, "GET / HTTP/1.1\r\nConnection: close\r\n\r\n").rfind("HTTP/1.1 200", 0), 0u);
  server.Stop();
}

}  // namespace
}  // namespace ferry::rest
