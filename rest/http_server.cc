#include "rest/http_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <functional>
#include <optional>
#include <set>
#include <string_view>
#include <utility>

#include <glog/logging.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "rest/errors.h"
#include "worker/request_signature.h"

namespace ferry::rest {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kReadChunk = 16 << 10;
// The poll thread looks at its deadlines at least this often.
constexpr auto kMaxPollWait = std::chrono::milliseconds(1000);

int PollMillis(Clock::duration d) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  return static_cast<int>(std::clamp<int64_t>(ms, 0, kMaxPollWait.count()));
}

std::chrono::milliseconds FromSecUsec(time_t sec, time_t usec) {
  return std::chrono::milliseconds(sec * 1000 + usec / 1000);
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Where the head ends (the index just past its blank line) in `buffer`, if it does.
std::optional<size_t> HeadEnd(std::string_view buffer) {
  for (size_t nl = buffer.find('\n'); nl != std::string_view::npos; nl = buffer.find('\n', nl + 1)) {
    // A blank line: "\n\n" or "\n\r\n".
    if (nl + 1 < buffer.size() && buffer[nl + 1] == '\n') return nl + 2;
    if (nl + 2 < buffer.size() && buffer[nl + 1] == '\r' && buffer[nl + 2] == '\n') return nl + 3;
  }
  return std::nullopt;
}

// What the poll thread needs to know of a complete head.
struct HeadSummary {
  size_t lines = 0;
  bool conflicting_lengths = false;
  // Not METHOD SP target SP HTTP/x: httplib would answer 400 and read on into the same bytes as a
  // next request (a second 400 for one bad request), so it is refused here and the connection closed.
  bool malformed_request_line = false;
  bool priority = false;  // /health, or a request between workers
};

HeadSummary Summarize(std::string_view head) {
  HeadSummary summary;
  std::set<std::string_view> lengths;
  bool first = true;
  size_t start = 0;
  while (start < head.size()) {
    size_t end = head.find('\n', start);
    if (end == std::string_view::npos) end = head.size();
    const std::string_view line = Trim(head.substr(start, end - start));
    start = end + 1;
    if (line.empty()) continue;
    ++summary.lines;
    if (first) {  // METHOD SP target SP version
      first = false;
      const size_t sp1 = line.find(' ');
      const size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
      summary.malformed_request_line = sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos ||
                                       !line.substr(sp2 + 1).starts_with("HTTP/");
      if (sp2 == std::string_view::npos) continue;
      const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
      const std::string_view path = target.substr(0, target.find('?'));
      summary.priority = path.ends_with("/health") || path.ends_with("/health/") ||
                         target.find("forward=") != std::string_view::npos;
      continue;
    }
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view name = Trim(line.substr(0, colon));
    if (EqualsIgnoreCase(name, "Content-Length")) lengths.insert(Trim(line.substr(colon + 1)));
    if (EqualsIgnoreCase(name, worker::kSignatureHeader)) summary.priority = true;
  }
  summary.conflicting_lengths = lengths.size() > 1;
  return summary;
}

// An httplib Stream over a socket that first yields the bytes the poll thread already read. Each read
// waits at most `read_wait`, and none goes past `deadline`; writes wait at most `write_wait`.
class PrefixedSocketStream : public httplib::Stream {
 public:
  PrefixedSocketStream(int fd, SSL* ssl, std::string prefix, std::chrono::milliseconds read_wait,
                       std::chrono::milliseconds write_wait, Clock::time_point deadline)
      : fd_(fd), ssl_(ssl), prefix_(std::move(prefix)), read_wait_(read_wait), write_wait_(write_wait), deadline_(deadline) {}

  bool is_readable() const override {
    return pos_ < prefix_.size() || (ssl_ != nullptr && SSL_pending(ssl_) > 0) || WaitFor(POLLIN, ReadWait());
  }
  bool is_writable() const override { return WaitFor(POLLOUT, write_wait_); }

  ssize_t read(char* ptr, size_t size) override {
    if (pos_ < prefix_.size()) {
      const size_t n = std::min(size, prefix_.size() - pos_);
      std::memcpy(ptr, prefix_.data() + pos_, n);
      pos_ += n;
      return static_cast<ssize_t>(n);
    }
    if (ssl_ != nullptr) return TlsRead(ptr, size);
    if (!WaitFor(POLLIN, ReadWait())) return -1;
    ssize_t n;
    do {
      n = ::recv(fd_, ptr, size, 0);
    } while (n < 0 && errno == EINTR);
    return n;
  }

  ssize_t write(const char* ptr, size_t size) override {
    if (ssl_ != nullptr) return TlsWrite(ptr, size);
    if (!WaitFor(POLLOUT, write_wait_)) return -1;
    ssize_t n;
    do {
      n = ::send(fd_, ptr, size, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    return n;
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override { Address(::getpeername, ip, port); }
  void get_local_ip_and_port(std::string& ip, int& port) const override { Address(::getsockname, ip, port); }
  socket_t socket() const override { return fd_; }

  // The bytes read ahead and not consumed: the start of a pipelined next request.
  std::string Leftover() const { return prefix_.substr(pos_); }

 private:
  // The socket is non-blocking under TLS: OpenSSL says what it waits for, and that is polled for.
  ssize_t TlsRead(char* ptr, size_t size) {
    for (;;) {
      size_t n = 0;
      if (SSL_read_ex(ssl_, ptr, size, &n) == 1) return static_cast<ssize_t>(n);
      const int err = SSL_get_error(ssl_, 0);
      if (err == SSL_ERROR_WANT_READ && WaitFor(POLLIN, ReadWait())) continue;
      if (err == SSL_ERROR_WANT_WRITE && WaitFor(POLLOUT, write_wait_)) continue;
      ERR_clear_error();
      return err == SSL_ERROR_ZERO_RETURN ? 0 : -1;
    }
  }

  ssize_t TlsWrite(const char* ptr, size_t size) {
    for (;;) {
      size_t n = 0;
      if (SSL_write_ex(ssl_, ptr, size, &n) == 1) return static_cast<ssize_t>(n);
      const int err = SSL_get_error(ssl_, 0);
      if (err == SSL_ERROR_WANT_WRITE && WaitFor(POLLOUT, write_wait_)) continue;
      if (err == SSL_ERROR_WANT_READ && WaitFor(POLLIN, write_wait_)) continue;
      ERR_clear_error();
      return -1;
    }
  }

  std::chrono::milliseconds ReadWait() const {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now());
    return std::max(std::chrono::milliseconds(0), std::min(read_wait_, left));
  }

  bool WaitFor(short events, std::chrono::milliseconds wait) const {
    pollfd p{fd_, events, 0};
    int n;
    do {
      n = ::poll(&p, 1, static_cast<int>(wait.count()));
    } while (n < 0 && errno == EINTR);
    return n > 0 && (p.revents & POLLNVAL) == 0;
  }

  void Address(int (*query)(int, sockaddr*, socklen_t*), std::string& ip, int& port) const {
    sockaddr_storage addr{};
    socklen_t len = sizeof(addr);
    if (query(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return;
    char text[INET6_ADDRSTRLEN] = {};
    if (addr.ss_family == AF_INET) {
      const auto* in = reinterpret_cast<const sockaddr_in*>(&addr);
      ::inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text));
      port = ntohs(in->sin_port);
    } else if (addr.ss_family == AF_INET6) {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&addr);
      ::inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof(text));
      port = ntohs(in6->sin6_port);
    }
    ip = text;
  }

  const int fd_;
  SSL* const ssl_;  // nullptr: plain TCP
  const std::string prefix_;
  size_t pos_ = 0;
  const std::chrono::milliseconds read_wait_;
  const std::chrono::milliseconds write_wait_;
  const Clock::time_point deadline_;
};

}  // namespace

struct BoundedHttpServer::Connection {
  explicit Connection(int socket) : fd(socket) {}
  ~Connection() {
    if (ssl != nullptr) {
      if (SSL_is_init_finished(ssl)) SSL_shutdown(ssl);  // close_notify, best effort (non-blocking)
      SSL_free(ssl);
      ERR_clear_error();
    }
    ::shutdown(fd, SHUT_RDWR);
    ::close(fd);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  const int fd;
  SSL* ssl = nullptr;          // owned; TLS connections only
  bool want_write = false;     // TLS: OpenSSL waits to write (handshake)
  std::string buffer;          // read and not yet processed
  bool head_started = false;   // a byte of the next head has arrived
  Clock::time_point deadline;  // for the first byte (idle), then for the whole head
  size_t requests_served = 0;
};

// A fixed set of threads serving connections whose head is complete, in arrival order.
class BoundedHttpServer::WorkerPool {
 public:
  WorkerPool(size_t threads, std::function<void(std::unique_ptr<Connection>)> serve) : serve_(std::move(serve)) {
    for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { Run(); });
  }
  ~WorkerPool() { Stop(); }

  void Submit(std::unique_ptr<Connection> connection) {
    std::lock_guard lock(mu_);
    if (stopped_) return;  // closed on return
    queue_.push_back(std::move(connection));
    cv_.notify_one();
  }

  // Closes what waits for a thread, lets what runs finish, joins.
  void Stop() {
    {
      std::lock_guard lock(mu_);
      stopped_ = true;
      queue_.clear();
    }
    cv_.notify_all();
    for (std::thread& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

 private:
  void Run() {
    for (;;) {
      std::unique_ptr<Connection> connection;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [this] { return stopped_ || !queue_.empty(); });
        if (stopped_) return;
        connection = std::move(queue_.front());
        queue_.pop_front();
      }
      serve_(std::move(connection));
    }
  }

  const std::function<void(std::unique_ptr<Connection>)> serve_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<Connection>> queue_;  // mu_
  bool stopped_ = false;                           // mu_
  std::vector<std::thread> threads_;
};

BoundedHttpServer::BoundedHttpServer(HttpLimits limits) : limits_(limits) {
  CHECK_GT(limits_.request_threads, 0u) << "BoundedHttpServer needs request threads";
  CHECK_GT(limits_.priority_threads, 0u) << "BoundedHttpServer needs priority threads";
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  PCHECK(wake_fd_ >= 0) << "eventfd";
  // httplib's accept loop runs the job it is given at once: the job only passes the socket on.
  new_task_queue = [] {
    struct Inline : httplib::TaskQueue {
      void enqueue(std::function<void()> fn) override { fn(); }
      void shutdown() override {}
    };
    return new Inline();
  };
  auto serve = [this](std::unique_ptr<Connection> c) { Serve(std::move(c)); };
  requests_ = std::make_unique<WorkerPool>(limits_.request_threads, serve);
  priority_ = std::make_unique<WorkerPool>(limits_.priority_threads, serve);
  poll_thread_ = std::thread([this] { PollLoop(); });
}

BoundedHttpServer::~BoundedHttpServer() {
  Shutdown();
  ::close(wake_fd_);
  SSL_CTX_free(tls_);
}

void BoundedHttpServer::EnableTls(SSL_CTX* ctx) {
  SSL_CTX_free(tls_);
  tls_ = ctx;
}

void BoundedHttpServer::Shutdown() {
  {
    std::lock_guard lock(mu_);
    if (shutting_down_ && !poll_thread_.joinable()) return;
    shutting_down_ = true;
    incoming_.clear();
  }
  const uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof(one));
  if (poll_thread_.joinable()) poll_thread_.join();
  requests_->Stop();
  priority_->Stop();
}

bool BoundedHttpServer::process_and_close_socket(socket_t sock) {
  auto connection = std::make_unique<Connection>(sock);
  if (tls_ != nullptr) {
    const int flags = ::fcntl(sock, F_GETFL, 0);
    connection->ssl = SSL_new(tls_);
    if (flags < 0 || ::fcntl(sock, F_SETFL, flags | O_NONBLOCK) < 0 || connection->ssl == nullptr ||
        SSL_set_fd(connection->ssl, sock) != 1) {
      LOG_EVERY_N(WARNING, 100) << "REST: cannot set up TLS on a connection";
      ERR_clear_error();
      return true;  // closed
    }
    SSL_set_accept_state(connection->ssl);
  }
  connection->deadline = Clock::now() + std::chrono::seconds(keep_alive_timeout_sec_);
  Wait(std::move(connection));
  return true;
}

void BoundedHttpServer::Wait(std::unique_ptr<Connection> connection) {
  {
    std::lock_guard lock(mu_);
    if (shutting_down_) return;  // closed on return
    incoming_.push_back(std::move(connection));
  }
  const uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof(one));
}

void BoundedHttpServer::PollLoop() {
  std::deque<std::unique_ptr<Connection>> waiting;  // oldest first
  std::vector<pollfd> fds;
  std::vector<char> chunk(kReadChunk);
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (shutting_down_) return;  // `waiting` closes its connections
      while (!incoming_.empty()) {
        std::unique_ptr<Connection> c = std::move(incoming_.front());
        incoming_.pop_front();
        // A kept-alive connection may bring the next (pipelined) head along; under TLS it may be
        // decrypted already, or sit in OpenSSL's buffer, where poll() cannot see it.
        if (c->ssl != nullptr && SSL_has_pending(c->ssl) == 1 && ReadSome(*c, chunk) == 0) continue;
        if (!c->buffer.empty() && (c = Check(std::move(c))) == nullptr) continue;
        waiting.push_back(std::move(c));
      }
    }
    while (waiting.size() > limits_.max_waiting_connections) {
      LOG_EVERY_N(WARNING, 100) << "REST: more than " << limits_.max_waiting_connections
                                << " connections are waiting to send a request; closing the oldest";
      waiting.pop_front();
    }

    Clock::time_point next_deadline = Clock::now() + kMaxPollWait;
    fds.assign(1, pollfd{wake_fd_, POLLIN, 0});
    for (const auto& c : waiting) {
      fds.push_back(pollfd{c->fd, static_cast<short>(c->want_write ? POLLOUT : POLLIN), 0});
      next_deadline = std::min(next_deadline, c->deadline);
    }
    if (::poll(fds.data(), fds.size(), PollMillis(next_deadline - Clock::now())) < 0 && errno != EINTR) {
      PLOG(ERROR) << "REST: poll";
    }
    if (fds[0].revents & POLLIN) {
      uint64_t count;
      (void)!::read(wake_fd_, &count, sizeof(count));
    }

    const Clock::time_point now = Clock::now();
    for (size_t i = 0; i < waiting.size(); ++i) {
      std::unique_ptr<Connection>& c = waiting[i];
      if (fds[i + 1].revents != 0) {
        const ssize_t n = ReadSome(*c, chunk);
        if (n == 0) {
          c.reset();  // the client went away
          continue;
        }
        if (n > 0) {
          if (!c->head_started) {
            c->head_started = true;
            c->deadline = now + limits_.header_timeout;
          }
          c = Check(std::move(c));
          continue;
        }
      }
      if (now >= c->deadline) {
        if (c->head_started) {
          Refuse(*c, 408, "Request headers not received within " + std::to_string(limits_.header_timeout.count()) + " ms");
        }
        c.reset();  // an idle connection is closed without a word, as httplib's keep-alive does
      }
    }
    std::erase(waiting, nullptr);
  }
}

ssize_t BoundedHttpServer::ReadSome(Connection& c, std::vector<char>& chunk) {
  if (c.ssl == nullptr) {
    const ssize_t n = ::recv(c.fd, chunk.data(), chunk.size(), MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) return 0;
    if (n > 0) c.buffer.append(chunk.data(), static_cast<size_t>(n));
    return n > 0 ? n : -1;
  }
  // Everything OpenSSL can give now (a head larger than the limit is refused by Check() anyway).
  ssize_t total = 0;
  c.want_write = false;
  while (c.buffer.size() <= limits_.max_header_bytes) {
    size_t n = 0;
    if (SSL_read_ex(c.ssl, chunk.data(), chunk.size(), &n) == 1) {
      c.buffer.append(chunk.data(), n);
      total += static_cast<ssize_t>(n);
      continue;
    }
    const int err = SSL_get_error(c.ssl, 0);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
      c.want_write = err == SSL_ERROR_WANT_WRITE;
      break;
    }
    if (err == SSL_ERROR_SSL) {
      const unsigned long reason = ERR_peek_error();
      char text[256] = {};
      ERR_error_string_n(reason, text, sizeof text);
      std::string peer;
      int port = 0;
      PrefixedSocketStream(c.fd, nullptr, "", {}, {}, Clock::now()).get_remote_ip_and_port(peer, port);
      LOG_EVERY_N(WARNING, 20) << "REST: TLS " << (SSL_is_init_finished(c.ssl) ? "session" : "handshake")
                               << " with " << peer << " failed: " << text;
    }
    ERR_clear_error();
    SSL_free(c.ssl);  // no close_notify after a failure
    c.ssl = nullptr;
    return 0;
  }
  return total > 0 ? total : -1;
}

std::unique_ptr<BoundedHttpServer::Connection> BoundedHttpServer::Check(std::unique_ptr<Connection> connection) {
  const std::optional<size_t> end = HeadEnd(connection->buffer);
  const std::string_view head = std::string_view(connection->buffer).substr(0, end.value_or(std::string::npos));
  const size_t lines = static_cast<size_t>(std::count(head.begin(), head.end(), '\n'));
  // Request line + headers + the blank line.
  if (head.size() > limits_.max_header_bytes || lines > limits_.max_headers + 2) {
    Refuse(*connection, 431, "Request headers larger than " + std::to_string(limits_.max_header_bytes) +
                                 " bytes or " + std::to_string(limits_.max_headers) + " lines");
    return nullptr;
  }
  if (!end) return connection;  // wait for more
  const HeadSummary summary = Summarize(head);
  if (summary.malformed_request_line) {
    Refuse(*connection, 400, "HTTP 400 Bad Request");
    return nullptr;
  }
  if (summary.conflicting_lengths) {
    Refuse(*connection, 400, "Conflicting Content-Length headers");
    return nullptr;
  }
  (summary.priority ? priority_ : requests_)->Submit(std::move(connection));
  return nullptr;
}

void BoundedHttpServer::Serve(std::unique_ptr<Connection> connection) {
  const auto read_wait = std::min(FromSecUsec(read_timeout_sec_, read_timeout_usec_), limits_.header_timeout);
  const auto request_deadline = Clock::now() + FromSecUsec(read_timeout_sec_, read_timeout_usec_);
  PrefixedSocketStream stream(connection->fd, connection->ssl, std::move(connection->buffer), read_wait,
                              FromSecUsec(write_timeout_sec_, write_timeout_usec_), request_deadline);
  const bool last = connection->requests_served + 1 >= keep_alive_max_count_;
  bool connection_closed = false;
  const bool answered = process_request(stream, last, connection_closed, nullptr);
  if (!answered || connection_closed || last) return;  // closed on return
  connection->buffer = stream.Leftover();
  connection->head_started = !connection->buffer.empty();
  connection->deadline =
      Clock::now() + (connection->head_started ? limits_.header_timeout : std::chrono::seconds(keep_alive_timeout_sec_));
  ++connection->requests_served;
  Wait(std::move(connection));
}

void BoundedHttpServer::Refuse(Connection& connection, int status, const std::string& message) {
  LOG_EVERY_N(WARNING, 100) << "REST: refused a request (" << status << "): " << message;
  const std::string body = ErrorBody(status, message);
  const char* reason = status == 408 ? "Request Timeout" : status == 431 ? "Request Header Fields Too Large" : "Bad Request";
  const std::string answer = "HTTP/1.1 " + std::to_string(status) + " " + reason +
                             "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
                             "\r\nConnection: close\r\n\r\n" + body;
  // Best effort and never blocking: the client may not be reading.
  if (connection.ssl == nullptr) {
    (void)!::send(connection.fd, answer.data(), answer.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  } else if (SSL_is_init_finished(connection.ssl)) {
    size_t written = 0;
    (void)SSL_write_ex(connection.ssl, answer.data(), answer.size(), &written);
    ERR_clear_error();
  }
}

}  // namespace ferry::rest
