// Fuzz target: raw bytes from a REST client, through everything below the socket: the
// BoundedHttpServer's head reading and limits (rest/http_server.h), httplib's request parsing, the
// body reading, Ferry's Router with every route of Connect's API (rest/server.h), and the handlers'
// parsing of paths, queries and JSON bodies, against an in-memory FakeHerder (and a cutover service
// that knows no mirror, for the /ferry/ routes' parsing).
//
// One Server listens on a loopback port for the whole run; each input is sent on a new connection,
// whose write side is then shut, and the answers are read until the server closes it. A finding is a
// crash or sanitizer report, an answer with a 5xx status (a handler or httplib failed on the input), or
// a connection not closed within 10 s (a hang).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include <glog/logging.h>

#include "rest/server.h"
#include "tests/fakes/fake_herder.h"
#include "worker/cutover/service.h"

namespace {

struct Target {
  ferry::testing::FakeHerder herder;
  ferry::cutover::CutoverService cutover{
      [](const std::optional<std::string>&) -> ferry::Result<std::pair<std::string, ferry::Properties>> {
        return ferry::Error::NotFound("no mirror");
      },
      {}, ferry::cutover::KafkaClusterClients(std::chrono::milliseconds(100))};
  ferry::rest::Server server;
  int port = 0;

  static ferry::rest::RestConfig Config() {
    ferry::rest::RestConfig config;
    config.port = 0;
    config.max_body_bytes = 64 << 10;  // smaller than the default, so that the fuzzer reaches it
    config.request_timeout = std::chrono::seconds(5);
    config.http_limits.header_timeout = std::chrono::seconds(5);
    return config;
  }
  Target() : server(herder, Config(), &cutover) {
    auto started = server.Start();
    CHECK(started.ok()) << started.error().ToString();
    port = *started;
  }
};

Target& TheTarget() {
  static Target* target = [] {
    FLAGS_minloglevel = google::GLOG_FATAL;
    return new Target();  // lives for the whole run, as a worker's server does
  }();
  return *target;
}

// The status codes of the answers in `raw`, in order, as far as they can be followed.
std::vector<int> Statuses(const std::string& raw) {
  std::vector<int> statuses;
  size_t at = 0;
  while (at + 12 <= raw.size() && raw.compare(at, 9, "HTTP/1.1 ") == 0) {
    statuses.push_back(std::atoi(raw.substr(at + 9, 3).c_str()));
    const size_t head_end = raw.find("\r\n\r\n", at);
    if (head_end == std::string::npos) break;
    std::string head = raw.substr(at, head_end - at);
    for (char& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    size_t length = 0;
    if (const size_t cl = head.find("\r\ncontent-length:"); cl != std::string::npos) {
      length = std::strtoul(head.c_str() + cl + 17, nullptr, 10);
    }
    at = head_end + 4 + length;
  }
  return statuses;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Target& target = TheTarget();
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  PCHECK(fd >= 0) << "socket";
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(target.port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval timeout{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  PCHECK(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) << "connect";
  // The server may answer and close before it read everything (e.g. 431): a failed send is fine.
  for (size_t sent = 0; sent < size;) {
    const ssize_t n = send(fd, data + sent, size - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  shutdown(fd, SHUT_WR);
  std::string answer;
  char buf[16384];
  for (;;) {
    const ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n > 0) {
      answer.append(buf, static_cast<size_t>(n));
      continue;
    }
    CHECK(!(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)))
        << "the server neither answered nor closed the connection within 10 s; answer so far: " << answer;
    break;  // closed (or reset after an early answer)
  }
  close(fd);
  // Two 500s are Connect's own answers, kept on purpose (docs/rest.md): an unknown connector class
  // (Connect 3.9's ConnectException), and a herder that takes no internal requests (FakeHerder's; a
  // worker's herder answers them).
  const bool connects_500 = answer.find("Failed to find any class that implements Connector") != std::string::npos ||
                            answer.find("takes no internal requests") != std::string::npos;
  for (int status : Statuses(answer)) {
    CHECK(status < 500 || (status == 500 && connects_500)) << "answered " << status << ":\n" << answer;
  }
  return 0;
}
