// BoundedHttpServer: cpp-httplib's Server with the reading of request heads taken out of its thread
// pool, so that slow or hostile clients cannot occupy the threads that answer requests.
//
// httplib gives every connection a pool thread from accept on, and a thread reads the request line
// and headers one byte at a time, each read waiting up to the read timeout, with no bound on the
// number of headers. Eight clients sending a header byte every few seconds so held every thread
// (no /health, no internal requests), and a request of a million headers held hundreds of MB.
//
// Here one thread polls every connection that has not yet sent a complete head and reads what is
// there. A head must arrive within `header_timeout` of its first byte (408), stay within
// `max_header_bytes` and `max_headers` (431), and carry at most one Content-Length value (400). Only a
// complete head goes to a request thread, which hands the bytes already read, and then the socket, to
// httplib's own request processing (routing, bodies, answers). /health and internal requests between
// workers (signed, or forwarded) have threads of their own, so a pool busy with slow bodies does not
// delay them. A kept-alive connection goes back to the polling thread between requests.
//
// With EnableTls() every connection is TLS (OpenSSL, non-blocking): the poll thread runs the handshake
// and decrypts the head as it arrives (a handshake must end within the idle timeout; one that fails,
// e.g. without a required client certificate, closes the connection and is logged), and the request
// thread reads and writes through the same SSL object.
//
// Thread-safety: as httplib::Server; Shutdown() from the owner after stop() and the listener thread
// has returned.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

typedef struct ssl_ctx_st SSL_CTX;

#include "rest/server.h"

namespace ferry::rest {

class BoundedHttpServer : public httplib::Server {
 public:
  explicit BoundedHttpServer(HttpLimits limits);
  ~BoundedHttpServer() override;  // Shutdown()
  BoundedHttpServer(const BoundedHttpServer&) = delete;
  BoundedHttpServer& operator=(const BoundedHttpServer&) = delete;

  // Closes connections still waiting for a head or a thread, lets requests being served finish and
  // joins every thread. Call after stop() once listen_after_bind() has returned; idempotent.
  void Shutdown();

  // Serves TLS with `ctx` (taken over) on every connection accepted from now on. Before listening.
  void EnableTls(SSL_CTX* ctx);

 private:
  struct Connection;
  class WorkerPool;

  // httplib calls this for every accepted socket; here it only hands the socket to the poll thread.
  bool process_and_close_socket(socket_t sock) override;

  void Wait(std::unique_ptr<Connection> connection);  // (again) waiting for a head
  void PollLoop();
  // Decides about a waiting connection after a read: nullptr if it was dispatched or closed.
  std::unique_ptr<Connection> Check(std::unique_ptr<Connection> connection);
  void Serve(std::unique_ptr<Connection> connection);
  void Refuse(Connection& connection, int status, const std::string& message);

  // Reads what the connection has (decrypted, with TLS) into its buffer: bytes read, 0 when the peer
  // closed or the TLS session failed, -1 when nothing is there yet.
  ssize_t ReadSome(Connection& connection, std::vector<char>& chunk);

  const HttpLimits limits_;
  int wake_fd_ = -1;  // eventfd: new connections or shutdown
  SSL_CTX* tls_ = nullptr;  // owned; set before listening

  std::mutex mu_;
  std::deque<std::unique_ptr<Connection>> incoming_;  // mu_; for the poll thread
  bool shutting_down_ = false;                        // mu_

  std::unique_ptr<WorkerPool> requests_;
  std::unique_ptr<WorkerPool> priority_;
  std::thread poll_thread_;  // last: started when all else is ready
};

}  // namespace ferry::rest
