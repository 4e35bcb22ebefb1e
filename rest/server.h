// Server: Ferry's REST API (Kafka Connect's, see docs/rest.md) over HTTP/1.1, each listener on its
// own thread with request threads (cpp-httplib behind BoundedHttpServer, which bounds what a client can
// hold: rest/http_server.h). A thin layer: every request is routed to a
// handler that parses it, calls the Herder and renders the answer; errors become HTTP only in
// rest/errors.h.
//
// Listeners, as Connect's RestServer: every address of `listeners` serves the whole API; the /admin/
// routes (loggers) follow `admin.listeners`: unset, they are served with the rest; an empty list,
// nowhere (404); addresses, only there (those listeners serve nothing else, 404). An https listener
// serves TLS with the settings of worker/rest_tls.h (listeners.https.*, admin.listeners.https.* for
// admin listeners, else the worker's ssl.*); requests forwarded to other workers use the
// listeners.https.* choice as the client's. With Basic authentication on (rest/basic_auth.h) every
// request but the internal task-config POST needs a user of the JAAS file's credentials (else 401).
//
// Router: the table of routes, shared by connector_routes.h and logger_routes.h. It works on the raw
// request target, so that an encoded '/' ("%2F") stays inside its path segment and can be rejected
// instead of silently changing the route. Unknown paths answer 404 {"error_code":404,"message":"HTTP
// 404 Not Found"}, a known path with another method 405, a body that is not JSON on a route that
// reads one 415, exactly as Connect's JAX-RS stack does.
//
// Thread-safety: Start() and Stop() from one owning thread; routes run on the request threads and
// must be safe to run concurrently (the Herder is). A Router is immutable once the server started.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "worker/common/result.h"
#include "worker/herder.h"
#include "worker/rest_tls.h"
#include "worker/worker_config.h"


namespace ferry::cutover {
class CutoverService;
}

namespace ferry::rest {

class BasicAuth;
class BoundedHttpServer;
class LoggerLevels;
class UiHistory;

struct ListenAddress {
  std::string host;  // "0.0.0.0": every interface
  int port = 0;      // 0: an ephemeral port
  bool https = false;
};

// How the HTTP layer bounds what a client can hold (rest/http_server.h, docs/rest.md).
struct HttpLimits {
  // From a request's first byte to the end of its headers (then 408).
  std::chrono::milliseconds header_timeout{10'000};
  // Request line and headers together, and how many header lines (then 431).
  size_t max_header_bytes = 64 << 10;
  size_t max_headers = 100;
  // Connections waiting for (the rest of) a head; past this the one waiting longest is closed.
  size_t max_waiting_connections = 256;
  // Threads serving requests, and those kept for /health and requests between workers.
  size_t request_threads = 8;
  size_t priority_threads = 2;
};

struct RestConfig {
  std::string host = "127.0.0.1";   // Connect's default listener binds every interface; Ferry's does not
  int port = 8083;                  // 0: an ephemeral port, returned by Start()
  bool https = false;               // the first listener serves TLS
  // Further listeners serving the same routes (`listeners` with several URLs).
  std::vector<ListenAddress> more_listeners;
  // `admin.listeners`, for the /admin/ routes: nullopt serves them on the listeners above; empty serves
  // them nowhere; otherwise only on these, which serve nothing else.
  std::optional<std::vector<ListenAddress>> admin_listeners;
  size_t max_body_bytes = 1 << 20;  // a larger request body is answered 413
  // How long reading a request or writing an answer may take. (An idle keep-alive connection is
  // closed after 5 s.) How long a Herder call may take is the Herder's own deadline (kTimeout, 500).
  std::chrono::milliseconds request_timeout{30'000};
  HttpLimits http_limits;
  // TLS of https listeners, of https admin listeners, and of requests forwarded to other workers.
  worker::RestTlsSettings https_tls;
  worker::RestTlsSettings admin_https_tls;
  // Basic authentication (rest/basic_auth.h) with the JAAS file at this path ("": none given, Start()
  // fails).
  bool basic_auth = false;
  std::string login_config;

  // The listeners of a worker's `listeners` and `admin.listeners` (an empty host: every interface),
  // their TLS settings and Basic authentication (the JAAS file from ferry.rest.auth.login.config, else
  // from the KAFKA_OPTS environment variable; Start() fails if neither names one).
  static RestConfig ForWorker(const worker::WorkerConfig& worker);
};

// One HTTP answer. An empty body is sent without a Content-Type (202, 204).
struct Reply {
  int status = 200;
  std::string body;  // JSON text, or empty
  std::vector<std::pair<std::string, std::string>> headers;

  // The herder said only the leader may do this (the route sets forward_to to the leader's URL).
  bool forward_to_leader = false;
  // Set: the server forwards the request to this worker's URL (forwarding.h); "": none known (409).
  std::optional<std::string> forward_to;
  std::string content_type = "application/json";  // of a non-empty body

  static Reply Json(int status, std::string body) { return Reply{status, std::move(body), {}, false, {}}; }
  static Reply Empty(int status) { return Reply{status, {}, {}, false, {}}; }
  static Reply FromError(const Error& error);  // ToHttp(error); kNotLeader also sets forward_to_leader
};

// A request as a route sees it.
struct RouteRequest {
  std::string method;                             // HEAD arrives as GET
  std::vector<std::string> params;                // the `{...}` segments of the pattern, percent-decoded, in order
  std::multimap<std::string, std::string> query;  // percent-decoded, '+' as space
  std::string body;
  // The request's signature headers (internal requests between workers, KIP-507).
  worker::RequestSignature signature;

  bool HasQuery(const std::string& key) const { return query.contains(key); }
  std::vector<std::string> QueryValues(const std::string& key) const;
  std::optional<std::string> QueryValue(const std::string& key) const;  // the first one
  // JAX-RS's Boolean query parameter: "true" in any case is true, anything else false.
  bool QueryFlag(const std::string& key) const;
};

using RouteHandler = std::function<Reply(const RouteRequest&)>;

class Router {
 public:
  enum class Body { kNone, kJson };

  // `pattern` is a path like "/connectors/{connector}/tasks/{task}/status": literal segments match
  // exactly, each `{...}` matches one (decoded) segment. With Body::kJson a Content-Type other than
  // application/json is answered 415 (no Content-Type is accepted).
  void Add(std::string method, std::string_view pattern, RouteHandler handler, Body body = Body::kNone);

  // Routes one request. `target` is the raw request target ("/connectors/a%2Fb?expand=status").
  // Never throws; a handler that throws is answered 500.
  Reply Dispatch(std::string_view method, std::string_view target, std::string_view content_type,
                 std::string body, worker::RequestSignature signature = {}) const;

  // Every route as "METHOD /pattern" ("GET /connectors/{connector}"), in the order added: what
  // docs/openapi.json must describe (tests/rest/openapi_test.cc).
  std::vector<std::string> Routes() const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;  // "{" prefix marks a parameter
    RouteHandler handler;
    Body body;
  };
  std::vector<Route> routes_;
};

class Server {
 public:
  // A herder's routes under a path prefix ("" for a worker's one herder).
  struct Namespace {
    std::string prefix;
    worker::Herder* herder = nullptr;
  };

  // With `cutover`, the server also serves Ferry's /ferry/ routes (rest/cutover_routes.h).
  Server(worker::Herder& herder, RestConfig config, cutover::CutoverService* cutover = nullptr);
  // Several herders, each under its prefix (`ferry mirror-maker`: "/A/B" for the flow A->B).
  Server(std::vector<Namespace> herders, RestConfig config);
  // Both also serve the status page (/ui, rest/ui_routes.h), whose history is sampled while the server runs.
  ~Server();  // Stop()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds config.host:config.port and every other listener and starts serving; returns the first
  // listener's bound port. On any failure nothing is left listening. Only once.
  Result<int> Start();
  // Stops accepting, lets in-flight requests finish (each bounded by the Herder's deadline and the
  // request timeout), joins the threads. Idempotent.
  void Stop();

  // The bound ports, in configuration order; valid after Start() succeeded.
  std::vector<int> ports() const;
  std::vector<int> admin_ports() const;
  // Router::Routes() of every route this server serves (the admin routes included), without repeats.
  std::vector<std::string> Routes() const;
  // The TLS of this server's calls to other workers (after Start(); for SetDefaultRestClientTls).
  std::shared_ptr<const worker::RestTls> client_tls() const { return client_tls_; }

 private:
  struct Listener {
    ListenAddress address;
    bool admin = false;      // an admin.listeners listener
    const Router* router = nullptr;
    std::unique_ptr<BoundedHttpServer> http;
    std::thread thread;
    int port = 0;            // bound
  };

  Server(std::vector<Namespace> herders, RestConfig config, cutover::CutoverService* cutover);

  // Loads the TLS settings and the Basic authentication users.
  Result<> LoadSecurity();
  // Sets up `listener.http` to serve `listener.router`, binds it and starts its thread.
  Result<> Listen(Listener& listener);
  void Configure(BoundedHttpServer& http, const Router& router) const;

  const RestConfig config_;
  // Loaded by Start().
  std::shared_ptr<const worker::RestTls> server_tls_;        // for https listeners
  std::shared_ptr<const worker::RestTls> admin_server_tls_;  // for https admin listeners
  std::shared_ptr<const worker::RestTls> client_tls_;        // forwarding
  std::shared_ptr<const BasicAuth> basic_auth_;
  std::unique_ptr<LoggerLevels> loggers_;
  std::unique_ptr<UiHistory> ui_history_;
  Router router_;
  Router admin_router_;  // the /admin/ routes alone, for admin listeners
  std::vector<std::unique_ptr<Listener>> listeners_;
};

}  // namespace ferry::rest
