#include "worker/group/connection.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <thread>

#include <glog/logging.h>

#include "worker/group/messages.h"
#include "worker/group/wire.h"

namespace ferry::group {

namespace {

Error NetworkError(const std::string& message) {
  return Error(ErrorCode::kKafka, message, /*retriable=*/true, RD_KAFKA_RESP_ERR__TRANSPORT);
}

std::string Errno(int err) { return std::strerror(err); }

// Milliseconds left until `deadline`, rounded up so a wait never ends just before it.
int RemainingMs(Clock& clock, Deadline deadline) {
  const auto left = deadline - clock.Now();
  if (left <= Deadline::duration::zero()) return 0;
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
  return static_cast<int>(std::min<int64_t>(ms, 60'000));  // re-check the clock at least every minute
}

struct AddrInfoDeleter {
  void operator()(addrinfo* ai) const noexcept { freeaddrinfo(ai); }
};
using AddrInfoPtr = std::unique_ptr<addrinfo, AddrInfoDeleter>;

// Owns a socket until release().
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

}  // namespace

void SteadyClock::SleepUntil(TimePoint t) { std::this_thread::sleep_until(t); }

std::string BrokerAddress::ToString() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

Result<BrokerAddress> ParseBrokerAddress(std::string_view text) {
  const std::string original(text);
  if (const size_t scheme = text.find("://"); scheme != std::string_view::npos) {
    text.remove_prefix(scheme + 3);
  }
  BrokerAddress address;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return Error::InvalidConfig("bootstrap.servers", "'" + original + "' is not [host]:port");
    }
    address.host = std::string(text.substr(1, close - 1));
    port = text.substr(close + 2);
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon) {
      return Error::InvalidConfig("bootstrap.servers", "'" + original + "' is not host:port");
    }
    address.host = std::string(text.substr(0, colon));
    port = text.substr(colon + 1);
  }
  if (address.host.empty() || port.empty() || port.size() > 5 ||
      !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return Error::InvalidConfig("bootstrap.servers", "'" + original + "' is not host:port");
  }
  std::from_chars(port.data(), port.data() + port.size(), address.port);  // digits only, at most 5
  if (address.port <= 0 || address.port > 65535) {
    return Error::InvalidConfig("bootstrap.servers", "port out of range in '" + original + "'");
  }
  return address;
}

// ---- TcpStream ----

Result<std::unique_ptr<TcpStream>> TcpStream::Connect(const BrokerAddress& broker, Clock& clock, Deadline deadline) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* raw = nullptr;
  const std::string port = std::to_string(broker.port);
  if (int rc = getaddrinfo(broker.host.c_str(), port.c_str(), &hints, &raw); rc != 0) {
    return NetworkError("resolve " + broker.ToString() + ": " + gai_strerror(rc));
  }
  AddrInfoPtr addresses(raw);

  std::string last_error = "no address";
  for (const addrinfo* ai = addresses.get(); ai != nullptr; ai = ai->ai_next) {
    Fd fd(socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol));
    if (fd.get() < 0) {
      last_error = "socket: " + Errno(errno);
      continue;
    }
    const int one = 1;
    setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // best effort
    if (connect(fd.get(), ai->ai_addr, ai->ai_addrlen) != 0) {
      if (errno != EINPROGRESS) {
        last_error = Errno(errno);
        continue;
      }
      pollfd pfd{fd.get(), POLLOUT, 0};
      int ready = 0;
      for (int ms = RemainingMs(clock, deadline); ms > 0 && ready == 0; ms = RemainingMs(clock, deadline)) {
        ready = poll(&pfd, 1, ms);
        if (ready < 0 && errno == EINTR) ready = 0;
      }
      if (ready == 0) return Error::Timeout("connect to " + broker.ToString() + ": deadline passed");
      if (ready < 0) {
        last_error = "poll: " + Errno(errno);
        continue;
      }
      int so_error = 0;
      socklen_t len = sizeof so_error;
      if (getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &so_error, &len) != 0) so_error = errno;
      if (so_error != 0) {
        last_error = Errno(so_error);
        continue;
      }
    }
    return std::unique_ptr<TcpStream>(new TcpStream(fd.release(), broker, clock));
  }
  return NetworkError("connect to " + broker.ToString() + ": " + last_error);
}

TcpStream::~TcpStream() {
  if (fd_ >= 0) close(fd_);
}

Result<> TcpStream::Wait(short events, Deadline deadline, const std::string& what) {
  pollfd pfd{fd_, events, 0};
  for (int ms = RemainingMs(clock_, deadline); ms > 0; ms = RemainingMs(clock_, deadline)) {
    const int ready = poll(&pfd, 1, ms);
    if (ready < 0 && errno != EINTR) return NetworkError(what + ": poll: " + Errno(errno));
    if (ready > 0) return Ok();  // readable, writable, or an error/hang-up the next call reports
  }
  return Error::Timeout(what + " " + broker_.ToString() + ": deadline passed");
}

Result<> TcpStream::SendAll(std::string_view data, Deadline deadline) {
  while (!data.empty()) {
    const ssize_t n = send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      FERRY_RETURN_IF_ERROR(Wait(POLLOUT, deadline, "send to"));
      continue;
    }
    return NetworkError("send to " + broker_.ToString() + ": " + Errno(errno));
  }
  return Ok();
}

Result<> TcpStream::ReceiveExact(size_t n, std::string* out, Deadline deadline) {
  out->resize(n);
  size_t got = 0;
  while (got < n) {
    const ssize_t r = recv(fd_, out->data() + got, n - got, 0);
    if (r > 0) {
      got += static_cast<size_t>(r);
      continue;
    }
    if (r == 0) return NetworkError("connection to " + broker_.ToString() + " closed by the broker");
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      FERRY_RETURN_IF_ERROR(Wait(POLLIN, deadline, "receive from"));
      continue;
    }
    return NetworkError("receive from " + broker_.ToString() + ": " + Errno(errno));
  }
  return Ok();
}

// ---- Connection ----

Result<std::unique_ptr<Connection>> Connection::Open(const BrokerAddress& broker, std::string client_id,
                                                     Clock& clock, Deadline deadline) {
  Result<std::unique_ptr<TcpStream>> stream = TcpStream::Connect(broker, clock, deadline);
  if (!stream.ok()) return stream.error();
  return Over(std::move(*stream), broker, std::move(client_id));
}

std::unique_ptr<Connection> Connection::Over(std::unique_ptr<ByteStream> stream, BrokerAddress broker,
                                             std::string client_id) {
  CHECK(stream != nullptr) << "Connection::Over needs a stream";
  return std::unique_ptr<Connection>(new Connection(std::move(stream), std::move(broker), std::move(client_id)));
}

Connection::Connection(std::unique_ptr<ByteStream> stream, BrokerAddress broker, std::string client_id)
    : stream_(std::move(stream)), broker_(std::move(broker)), client_id_(std::move(client_id)) {}

Connection::~Connection() = default;

Error Connection::Fail(Error error) {
  stream_.reset();
  return error;
}

Result<std::string> Connection::RoundTrip(int16_t api_key, int16_t version, const std::string& request_body,
                                          Deadline deadline) {
  if (stream_ == nullptr) return NetworkError("connection to " + broker_.ToString() + " is closed");
  const int32_t correlation_id = next_correlation_id_;
  next_correlation_id_ = next_correlation_id_ == INT32_MAX ? 1 : next_correlation_id_ + 1;

  Writer header;
  WriteRequestHeader(header, {api_key, version, correlation_id, client_id_},
                     RequestHeaderVersion(api_key, version));
  Writer frame;
  frame.Int32(static_cast<int32_t>(header.data().size() + request_body.size()));
  frame.Raw(header.data());
  frame.Raw(request_body);
  if (Result<> sent = stream_->SendAll(frame.data(), deadline); !sent.ok()) return Fail(sent.error());

  std::string size_bytes;
  if (Result<> r = stream_->ReceiveExact(4, &size_bytes, deadline); !r.ok()) return Fail(r.error());
  Reader size_reader(size_bytes);
  const int32_t size = size_reader.Int32();
  if (size < 4 || size > kMaxResponseBytes) {
    return Fail(Error::Corrupt("response frame of " + std::to_string(size) + " bytes from " + broker_.ToString()));
  }
  std::string response;
  if (Result<> r = stream_->ReceiveExact(static_cast<size_t>(size), &response, deadline); !r.ok()) return Fail(r.error());

  Reader reader(response);
  Result<int32_t> got = ReadResponseHeader(reader, ResponseHeaderVersion(api_key, version));
  if (!got.ok()) return Fail(got.error());
  if (*got != correlation_id) {
    // Requests go one at a time and a failed one closes the connection, so a stray answer means
    // the broker and Ferry disagree about the stream.
    return Fail(Error::Corrupt(std::string(ApiName(api_key)) + " response from " + broker_.ToString() +
                               " has correlation id " + std::to_string(*got) + ", expected " +
                               std::to_string(correlation_id)));
  }
  return response.substr(reader.position());
}

TransportFactory ConnectionFactory(std::string client_id, Clock& clock) {
  return [client_id = std::move(client_id), &clock](const BrokerAddress& broker,
                                                     Deadline deadline) -> Result<TransportPtr> {
    Result<std::unique_ptr<Connection>> c = Connection::Open(broker, client_id, clock, deadline);
    if (!c.ok()) return c.error();
    return TransportPtr(std::move(*c));
  };
}

}  // namespace ferry::group
