// The network seam of the group client: a Transport sends one Kafka request and returns the body
// of its response within a deadline. Connection is the Transport to one broker (IPv4 or IPv6): Kafka
// framing over a ByteStream, which is a TcpStream (plain TCP) or TLS over one (tls_transport.h).
// SASL runs over a Connection before it is handed out (security.h); tests script a fake Transport.
// Clock is the time source the group client reads and sleeps on, so tests can use a fake one.
// Thread-safety: a Transport is used by one thread at a time; SteadyClock may be shared.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "worker/common/result.h"

namespace ferry::group {

// (Belongs in worker/common/clock.h once that exists; it lives here so this module stands alone.)
class Clock {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  virtual ~Clock() = default;
  virtual TimePoint Now() = 0;
  // Returns at `t` or later (a fake clock just moves to `t`).
  virtual void SleepUntil(TimePoint t) = 0;
};

// The real time: std::chrono::steady_clock.
class SteadyClock final : public Clock {
 public:
  TimePoint Now() override { return std::chrono::steady_clock::now(); }
  void SleepUntil(TimePoint t) override;
};

using Deadline = Clock::TimePoint;

struct BrokerAddress {
  std::string host;  // a name, an IPv4 address or an IPv6 address without brackets
  int port = 0;

  std::string ToString() const;  // "host:port", "[::1]:port"
  bool operator==(const BrokerAddress&) const = default;
};

// Parses "host:port" or "[ipv6]:port" (an optional "PLAINTEXT://" prefix is dropped).
Result<BrokerAddress> ParseBrokerAddress(std::string_view text);

class Transport {
 public:
  virtual ~Transport() = default;
  // Sends `request_body` as `api_key` v`version` and returns the body of the matching response
  // (the response header is checked and stripped). Any failure (peer gone, deadline passed,
  // malformed or mismatched frame) breaks the transport: later calls fail at once, and the
  // caller opens a new one. Network errors and timeouts are retriable; malformed frames kCorrupt.
  virtual Result<std::string> RoundTrip(int16_t api_key, int16_t version, const std::string& request_body,
                                        Deadline deadline) = 0;
};
using TransportPtr = std::unique_ptr<Transport>;

// Opens a Transport to one broker within a deadline.
using TransportFactory = std::function<Result<TransportPtr>(const BrokerAddress& broker, Deadline deadline)>;

// The bytes under a Connection. Both calls wait at most until `deadline`; network errors and
// timeouts are retriable Errors naming the broker. After a failure the stream is not used again.
class ByteStream {
 public:
  virtual ~ByteStream() = default;
  virtual Result<> SendAll(std::string_view data, Deadline deadline) = 0;
  virtual Result<> ReceiveExact(size_t n, std::string* out, Deadline deadline) = 0;
};

// A non-blocking TCP socket to a broker; every wait is a poll() bounded by the deadline as read from
// `clock`. Name resolution (getaddrinfo) is not bounded by the deadline; addresses and "localhost"
// resolve at once.
class TcpStream final : public ByteStream {
 public:
  static Result<std::unique_ptr<TcpStream>> Connect(const BrokerAddress& broker, Clock& clock, Deadline deadline);
  ~TcpStream() override;
  TcpStream(const TcpStream&) = delete;
  TcpStream& operator=(const TcpStream&) = delete;

  Result<> SendAll(std::string_view data, Deadline deadline) override;
  Result<> ReceiveExact(size_t n, std::string* out, Deadline deadline) override;

  // For a stream layered on this one (TLS): the socket, and a wait until it is ready for `events`
  // (POLLIN/POLLOUT) or the deadline passes (kTimeout saying `what` was waited for).
  int fd() const { return fd_; }
  Result<> Wait(short events, Deadline deadline, const std::string& what);
  const BrokerAddress& broker() const { return broker_; }
  Clock& clock() const { return clock_; }

 private:
  TcpStream(int fd, BrokerAddress broker, Clock& clock) : fd_(fd), broker_(std::move(broker)), clock_(clock) {}

  int fd_;
  BrokerAddress broker_;
  Clock& clock_;
};

// One connection to a broker. Requests go one at a time; there are no threads.
class Connection final : public Transport {
 public:
  // Frames larger than this are treated as corrupt rather than allocated.
  static constexpr int32_t kMaxResponseBytes = 64 << 20;

  // A plain-TCP connection. `client_id` goes into every request header. `clock` must outlive the
  // connection.
  static Result<std::unique_ptr<Connection>> Open(const BrokerAddress& broker, std::string client_id,
                                                  Clock& clock, Deadline deadline);
  // Kafka framing over an open stream to `broker` (e.g. TLS).
  static std::unique_ptr<Connection> Over(std::unique_ptr<ByteStream> stream, BrokerAddress broker,
                                          std::string client_id);
  ~Connection() override;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  Result<std::string> RoundTrip(int16_t api_key, int16_t version, const std::string& request_body,
                                Deadline deadline) override;

  const BrokerAddress& broker() const { return broker_; }

 private:
  Connection(std::unique_ptr<ByteStream> stream, BrokerAddress broker, std::string client_id);

  Error Fail(Error error);  // closes the stream and returns `error`

  std::unique_ptr<ByteStream> stream_;  // null once closed
  BrokerAddress broker_;
  std::string client_id_;
  int32_t next_correlation_id_ = 1;
};

// A TransportFactory that opens Connections.
TransportFactory ConnectionFactory(std::string client_id, Clock& clock);

}  // namespace ferry::group
