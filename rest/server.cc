#include "rest/server.h"

#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <exception>
#include <functional>

#include <cstdlib>

#include <glog/logging.h>
#include <httplib.h>
#include <openssl/ssl.h>

#include "rest/basic_auth.h"
#include "rest/connector_routes.h"
#include "rest/cutover_routes.h"
#include "rest/migration_routes.h"
#include "rest/errors.h"
#include "rest/forwarding.h"
#include "rest/http_server.h"
#include "rest/logger_routes.h"
#include "rest/metrics_routes.h"
#include "rest/ui_history.h"
#include "rest/ui_routes.h"

namespace ferry::rest {
namespace {

// How long Start() waits for the listener thread to be accepting.
constexpr auto kStartTimeout = std::chrono::seconds(5);
constexpr time_t kKeepAliveSeconds = 5;
// How much of a too-large body is read and dropped before the connection is given up.
constexpr size_t kDrainBytes = 16 << 20;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decodes `s`; nullopt on a malformed escape. `plus_is_space` for query strings.
std::optional<std::string> PercentDecode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      const int hi = HexValue(s[i + 1]);
      const int lo = HexValue(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (plus_is_space && s[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    const size_t pos = s.find(sep, start);
    parts.push_back(s.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return parts;
}

std::multimap<std::string, std::string> ParseQuery(std::string_view query) {
  std::multimap<std::string, std::string> out;
  if (query.empty()) return out;
  for (std::string_view pair : Split(query, '&')) {
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    const std::string_view raw_key = pair.substr(0, eq);
    const std::string_view raw_value = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    // A malformed escape in a query string is kept as written rather than failing the request.
    std::string key = PercentDecode(raw_key, true).value_or(std::string(raw_key));
    std::string value = PercentDecode(raw_value, true).value_or(std::string(raw_value));
    out.emplace(std::move(key), std::move(value));
  }
  return out;
}

bool IsJsonMediaType(std::string_view content_type) {
  std::string_view media = content_type.substr(0, content_type.find(';'));
  while (!media.empty() && std::isspace(static_cast<unsigned char>(media.front()))) media.remove_prefix(1);
  while (!media.empty() && std::isspace(static_cast<unsigned char>(media.back()))) media.remove_suffix(1);
  constexpr std::string_view kJson = "application/json";
  if (media.size() != kJson.size()) return false;
  for (size_t i = 0; i < media.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(media[i])) != kJson[i]) return false;
  }
  return true;
}

// Waits (bounded) until `http`'s listener thread accepts connections.
bool WaitUntilRunning(const httplib::Server& http) {
  const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  while (!http.is_running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return http.is_running();
}

Reply FromHttpError(const HttpError& error) { return Reply::Json(error.status, error.body); }

bool HasBody(const httplib::Request& req) {
  if (req.has_header("Content-Length")) return true;
  std::string encoding = req.get_header_value("Transfer-Encoding");
  for (char& c : encoding) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return encoding.find("chunked") != std::string::npos;
}

}  // namespace

Reply Reply::FromError(const Error& error) {
  Reply reply = FromHttpError(ToHttp(error));
  reply.forward_to_leader = error.code() == ErrorCode::kNotLeader;
  if (reply.forward_to_leader) reply.forward_to = "";  // routes that know a leader fill its URL in
  return reply;
}

std::vector<std::string> RouteRequest::QueryValues(const std::string& key) const {
  std::vector<std::string> values;
  auto [begin, end] = query.equal_range(key);
  for (auto it = begin; it != end; ++it) values.push_back(it->second);
  return values;
}

std::optional<std::string> RouteRequest::QueryValue(const std::string& key) const {
  auto it = query.find(key);
  if (it == query.end()) return std::nullopt;
  return it->second;
}

bool RouteRequest::QueryFlag(const std::string& key) const {
  std::optional<std::string> value = QueryValue(key);
  if (!value || value->size() != 4) return false;
  std::string lower = *value;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower == "true";
}

void Router::Add(std::string method, std::string_view pattern, RouteHandler handler, Body body) {
  CHECK(!pattern.empty() && pattern.front() == '/') << "route pattern must start with '/': " << pattern;
  Route route;
  route.method = std::move(method);
  if (pattern.size() > 1) {
    for (std::string_view segment : Split(pattern.substr(1), '/')) route.segments.emplace_back(segment);
  }
  route.handler = std::move(handler);
  route.body = body;
  routes_.push_back(std::move(route));
}

Reply Router::Dispatch(std::string_view method, std::string_view target, std::string_view content_type,
                       std::string body, worker::RequestSignature signature) const {
  const size_t question = target.find('?');
  std::string_view path = target.substr(0, question);
  const std::string_view query = question == std::string_view::npos ? std::string_view() : target.substr(question + 1);
  if (path.empty() || path.front() != '/') return FromHttpError(HttpStatusError(404));
  if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);  // "/connectors/" is "/connectors"
  std::vector<std::string_view> raw_segments;
  if (path.size() > 1) raw_segments = Split(path.substr(1), '/');

  const std::string wanted = method == "HEAD" ? "GET" : std::string(method);
  const Route* match = nullptr;
  std::vector<std::string> allowed;
  for (const Route& route : routes_) {
    if (route.segments.size() != raw_segments.size()) continue;
    bool same_shape = true;
    for (size_t i = 0; i < raw_segments.size() && same_shape; ++i) {
      same_shape = route.segments[i].starts_with('{') || route.segments[i] == raw_segments[i];
    }
    if (!same_shape) continue;
    if (route.method == wanted) {
      match = &route;
      break;
    }
    allowed.push_back(route.method);
  }
  if (match == nullptr) {
    if (allowed.empty()) return FromHttpError(HttpStatusError(404));
    Reply reply = FromHttpError(HttpStatusError(405));
    std::string allow;
    for (const std::string& m : allowed) allow += (allow.empty() ? "" : ",") + m;
    reply.headers.emplace_back("Allow", allow);
    return reply;
  }

  RouteRequest request;
  request.method = wanted;
  for (size_t i = 0; i < raw_segments.size(); ++i) {
    if (!match->segments[i].starts_with('{')) continue;
    std::optional<std::string> decoded = PercentDecode(raw_segments[i], false);
    if (!decoded) {
      return Reply::FromError(Error::BadRequest("Malformed percent-encoding in request path segment '" +
                                                std::string(raw_segments[i]) + "'"));
    }
    request.params.push_back(std::move(*decoded));
  }
  if (match->body == Body::kJson && !content_type.empty() && !IsJsonMediaType(content_type)) {
    return FromHttpError(HttpStatusError(415));
  }
  request.query = ParseQuery(query);
  request.body = std::move(body);
  request.signature = std::move(signature);
  try {
    return match->handler(request);
  } catch (const std::exception& e) {  // Ferry throws nothing; a library might (e.g. bad_alloc)
    LOG(ERROR) << "REST " << method << " " << target << " failed: " << e.what();
    return Reply::FromError(Error::Internal(std::string("Unexpected error: ") + e.what()));
  } catch (...) {
    LOG(ERROR) << "REST " << method << " " << target << " failed with an unknown exception";
    return Reply::FromError(Error::Internal("Unexpected error"));
  }
}

std::vector<std::string> Router::Routes() const {
  std::vector<std::string> routes;
  for (const Route& route : routes_) {
    std::string pattern;
    for (const std::string& segment : route.segments) pattern += "/" + segment;
    routes.push_back(route.method + " " + (pattern.empty() ? "/" : pattern));
  }
  return routes;
}

std::vector<std::string> Server::Routes() const {
  std::vector<std::string> routes = router_.Routes();
  for (std::string& route : admin_router_.Routes()) {
    if (std::find(routes.begin(), routes.end(), route) == routes.end()) routes.push_back(std::move(route));
  }
  return routes;
}

Server::Server(worker::Herder& herder, RestConfig config, cutover::CutoverService* cutover)
    : Server({Namespace{"", &herder}}, std::move(config), cutover) {}

Server::Server(std::vector<Namespace> herders, RestConfig config) : Server(std::move(herders), std::move(config), nullptr) {}

Server::Server(std::vector<Namespace> herders, RestConfig config, cutover::CutoverService* cutover)
    : config_(std::move(config)), loggers_(std::make_unique<LoggerLevels>()) {
  for (const Namespace& n : herders) AddConnectorRoutes(router_, *n.herder, n.prefix);
  if (cutover != nullptr) {
    AddCutoverRoutes(router_, *cutover);
    AddMigrationRoutes(router_, *cutover);
  }
  std::vector<MetricsSource> sources;
  // The cutover service (a worker's, with its one herder) adds its groups' cutover state.
  for (const Namespace& n : herders) sources.push_back({n.prefix, n.herder, cutover});
  ui_history_ = std::make_unique<UiHistory>(sources, cutover != nullptr);
  AddUiRoutes(router_, *ui_history_);
  AddMetricsRoute(router_, std::move(sources));
  if (!config_.admin_listeners) {
    AddLoggerRoutes(router_, *loggers_);
  } else if (!config_.admin_listeners->empty()) {
    AddLoggerRoutes(admin_router_, *loggers_);
  }  // else: admin.listeners is empty, Connect's way of switching the admin routes off
}

Server::~Server() { Stop(); }

RestConfig RestConfig::ForWorker(const worker::WorkerConfig& worker) {
  auto address = [](const worker::Listener& l) {
    return ListenAddress{l.host.empty() ? "0.0.0.0" : l.host, l.port, l.scheme == "https"};
  };
  CHECK(!worker.listeners.empty()) << "WorkerConfig without listeners";
  RestConfig config;
  const ListenAddress first = address(worker.listeners.front());
  config.host = first.host;
  config.port = first.port;
  config.https = first.https;
  config.https_tls = worker.rest_https;
  config.admin_https_tls = worker.rest_admin_https;
  config.basic_auth = worker.rest_basic_auth;
  if (config.basic_auth) {
    Result<std::string> path = LoginConfigPath(worker.rest_auth_login_config, std::getenv("KAFKA_OPTS"));
    if (path.ok()) config.login_config = *path;  // else Start() reports it
  }
  for (size_t i = 1; i < worker.listeners.size(); ++i) config.more_listeners.push_back(address(worker.listeners[i]));
  if (worker.admin_listeners) {
    config.admin_listeners.emplace();
    for (const worker::Listener& l : *worker.admin_listeners) config.admin_listeners->push_back(address(l));
  }
  return config;
}

void Server::Configure(BoundedHttpServer& http, const Router& router) const {
  const auto timeout_us = std::chrono::duration_cast<std::chrono::microseconds>(config_.request_timeout).count();
  const time_t sec = static_cast<time_t>(timeout_us / 1'000'000);
  const time_t usec = static_cast<time_t>(timeout_us % 1'000'000);
  http.set_read_timeout(sec, usec);
  http.set_write_timeout(sec, usec);
  // An idle keep-alive connection waits on BoundedHttpServer's poll thread and is closed after this.
  http.set_keep_alive_timeout(kKeepAliveSeconds);
  http.set_payload_max_length(config_.max_body_bytes);
  // httplib's default sets SO_REUSEPORT, which would let a second worker share our port silently.
  http.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });

  const size_t limit = config_.max_body_bytes;
  // Every error answer has Connect's body, including those httplib gives before routing (400 for a
  // malformed request line, 413 for a Content-Length over the limit, 414, ...).
  httplib::Server::HandlerWithResponse error_handler = [limit](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    const HttpError error = res.status == 413 ? PayloadTooLarge(limit) : HttpStatusError(res.status);
    res.set_content(error.body, "application/json");
    return httplib::Server::HandlerResponse::Handled;
  };
  http.set_error_handler(std::move(error_handler));
  http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    const HttpError error = ToHttp(Error::Internal("Unexpected error"));
    res.status = error.status;
    res.set_content(error.body, "application/json");
  });
  http.set_logger([](const httplib::Request& req, const httplib::Response& res) {
    VLOG(1) << "REST " << req.method << " " << req.target << " -> " << res.status;
  });

  auto serve = [this, &router](const httplib::Request& req, httplib::Response& res, std::string body) {
    if (basic_auth_ && !BasicAuth::IsInternalRequest(req.method, req.target)) {
      std::optional<std::string> authorization;
      if (req.has_header("Authorization")) authorization = req.get_header_value("Authorization");
      if (!basic_auth_->Allows(authorization)) {
        VLOG(1) << "REST " << req.method << " request failed authentication";
        res.status = 401;
        res.set_header("WWW-Authenticate", std::string(kWwwAuthenticate));
        res.set_content(std::string(kUnauthorizedBody), "text/plain");
        return;
      }
    }
    worker::RequestSignature signature;
    for (auto [name, field] : {std::pair{worker::kSignatureHeader, &signature.signature},
                               std::pair{worker::kSignatureAlgorithmHeader, &signature.algorithm}}) {
      if (req.has_header(std::string(name))) *field = req.get_header_value(std::string(name));
    }
    Reply reply = router.Dispatch(req.method, req.target, req.get_header_value("Content-Type"), body, signature);
    if (reply.forward_to) reply = ForwardRequest(req, body, *reply.forward_to, client_tls_.get());
    res.status = reply.status;
    for (const auto& [name, value] : reply.headers) res.set_header(name, value);
    if (!reply.body.empty()) res.set_content(reply.body, reply.content_type);
  };
  // Ferry throws nothing: whatever a handler's plumbing throws (bad_alloc) is answered 500 here.
  auto guarded = [](httplib::Response& res, const std::function<void()>& handle) {
    try {
      handle();
    } catch (...) {
      const HttpError error = ToHttp(Error::Internal("Unexpected error"));
      res.status = error.status;
      res.set_content(error.body, "application/json");
    }
  };
  // Reads the body through httplib's content reader, so that the limit also holds for chunked and
  // compressed bodies (httplib checks only Content-Length against it).
  auto serve_with_body = [serve, guarded, limit](const httplib::Request& req, httplib::Response& res,
                                                 const httplib::ContentReader& reader) {
    guarded(res, [&] {
      std::string body;
      size_t received = 0;
      bool too_large = false;
      // Past the limit the rest is read and dropped (up to a cap), so that the client, still sending,
      // gets the 413 instead of a reset connection.
      const size_t drain_cap = limit + kDrainBytes;
      auto keep = [&](const char* data, size_t n) {
        received += n;
        if (received > limit) {
          too_large = true;
          body.clear();
          return received <= drain_cap;
        }
        body.append(data, n);
        return true;
      };
      bool read = false;
      if (!HasBody(req)) {
        // No Content-Length and not chunked: the body is empty (RFC 9112 6.3), as `curl -X PUT` sends
        // it. httplib would read until the connection closes.
        read = true;
      } else if (req.is_multipart_form_data()) {
        // Not JSON: the route answers 415; the parts are read and dropped.
        read = reader([](const httplib::MultipartFormData&) { return true; },
                      [&](const char*, size_t n) {
                        received += n;
                        too_large = received > limit;
                        return received <= drain_cap;
                      });
        body.clear();
      } else {
        read = reader(keep);
      }
      if (too_large || res.status == 413) {
        const HttpError error = PayloadTooLarge(limit);
        res.status = error.status;
        res.set_content(error.body, "application/json");
        return;
      }
      if (!read) {
        const HttpError error = HttpStatusError(res.status >= 400 ? res.status : 400);
        res.status = error.status;
        res.set_content(error.body, "application/json");
        return;
      }
      serve(req, res, std::move(body));
    });
  };
  // httplib matches its decoded path against these; "." would not match a decoded "%0A".
  const std::string any = "[\\s\\S]*";
  auto serve_without_body = [serve, guarded](const httplib::Request& req, httplib::Response& res) {
    guarded(res, [&] { serve(req, res, {}); });
  };
  http.Get(any, serve_without_body);
  http.Options(any, serve_without_body);
  http.Post(any, serve_with_body);
  http.Put(any, serve_with_body);
  http.Patch(any, serve_with_body);
  http.Delete(any, serve_with_body);
  // Methods httplib does not route (TRACE, CONNECT) still get 404 or 405 from the router.
  httplib::Server::HandlerWithResponse other_methods = [serve_without_body](const httplib::Request& req,
                                                                            httplib::Response& res) {
    static const std::vector<std::string> kRouted = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};
    if (std::find(kRouted.begin(), kRouted.end(), req.method) != kRouted.end()) {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    serve_without_body(req, res);
    return httplib::Server::HandlerResponse::Handled;
  };
  http.set_pre_routing_handler(std::move(other_methods));

}

Result<> Server::Listen(Listener& listener) {
  listener.http = std::make_unique<BoundedHttpServer>(config_.http_limits);
  BoundedHttpServer& http = *listener.http;
  Configure(http, *listener.router);
  const std::string& host = listener.address.host;
  const std::string what = std::string(listener.admin ? "REST admin listener" : "REST server") +
                           (listener.address.https ? " (https)" : "");
  if (listener.address.https) {
    const worker::RestTls& tls = listener.admin ? *admin_server_tls_ : *server_tls_;
    Result<SSL_CTX*> ctx = tls.NewServerContext();
    if (!ctx.ok()) return ctx.error();
    http.EnableTls(*ctx);
  }
  int port = listener.address.port;
  errno = 0;
  if (port == 0) {
    port = http.bind_to_any_port(host);
  } else if (!http.bind_to_port(host, port)) {
    port = -1;
  }
  if (port < 0) {
    const int err = errno;
    return Error::Internal(what + " cannot listen on " + host + ":" + std::to_string(listener.address.port) +
                           (err != 0 ? std::string(": ") + std::strerror(err) : std::string()));
  }
  listener.port = port;
  listener.thread = std::thread([&http] { http.listen_after_bind(); });
  if (!WaitUntilRunning(http)) return Error::Internal(what + " on " + host + ":" + std::to_string(port) + " did not start");
  LOG(INFO) << what << " listening on " << host << ":" << port
            << (listener.admin ? " (/admin/ only)" : config_.admin_listeners ? " (without /admin/)" : "");
  return Ok();
}

Result<> Server::LoadSecurity() {
  bool https = config_.https;
  for (const ListenAddress& a : config_.more_listeners) https = https || a.https;
  bool admin_https = false;
  if (config_.admin_listeners) {
    for (const ListenAddress& a : *config_.admin_listeners) admin_https = admin_https || a.https;
  }
  if (https) {
    auto tls = worker::RestTls::Load(config_.https_tls, /*server=*/true);
    if (!tls.ok()) return tls.error();
    server_tls_ = *tls;
  }
  if (admin_https) {
    auto tls = worker::RestTls::Load(config_.admin_https_tls, /*server=*/true);
    if (!tls.ok()) return tls.error();
    admin_server_tls_ = *tls;
  }
  // The client side of forwarding, as Connect's RestClient: the listeners.https.* choice.
  auto client = worker::RestTls::Load(config_.https_tls, /*server=*/false);
  if (client.ok()) {
    client_tls_ = *client;
  } else if (https) {
    return client.error();
  } else {
    // Without an https listener the worker's ssl.* keys may be meant for Kafka alone.
    LOG(WARNING) << "REST: requests to https workers use the system's CAs: " << client.error().message();
  }
  if (config_.basic_auth) {
    if (config_.login_config.empty()) {
      Result<std::string> path = LoginConfigPath("", nullptr);
      return path.error();
    }
    auto auth = BasicAuth::FromJaasFile(config_.login_config);
    if (!auth.ok()) return auth.error();
    basic_auth_ = *auth;
  }
  return Ok();
}

Result<int> Server::Start() {
  CHECK(listeners_.empty()) << "rest::Server::Start() called twice";
  FERRY_RETURN_IF_ERROR(LoadSecurity());
  auto add = [this](ListenAddress address, bool admin) {
    auto listener = std::make_unique<Listener>();
    listener->address = std::move(address);
    listener->admin = admin;
    listener->router = admin ? &admin_router_ : &router_;
    listeners_.push_back(std::move(listener));
  };
  add({config_.host, config_.port, config_.https}, false);
  for (const ListenAddress& a : config_.more_listeners) add(a, false);
  if (config_.admin_listeners) {
    for (const ListenAddress& a : *config_.admin_listeners) add(a, true);
  }
  for (const auto& listener : listeners_) {
    if (Result<> listening = Listen(*listener); !listening.ok()) {
      Stop();
      return listening.error();
    }
  }
  ui_history_->Start();
  return listeners_.front()->port;
}

std::vector<int> Server::ports() const {
  std::vector<int> out;
  for (const auto& l : listeners_) {
    if (!l->admin) out.push_back(l->port);
  }
  return out;
}

std::vector<int> Server::admin_ports() const {
  std::vector<int> out;
  for (const auto& l : listeners_) {
    if (l->admin) out.push_back(l->port);
  }
  return out;
}

void Server::Stop() {
  for (const auto& listener : listeners_) {
    if (!listener->thread.joinable()) continue;
    // httplib's stop() does nothing until the listener runs, and must be called once.
    if (!WaitUntilRunning(*listener->http)) LOG(WARNING) << "REST listener thread has not started; stopping it anyway";
    listener->http->stop();
    listener->thread.join();
    listener->http->Shutdown();
  }
  ui_history_->Stop();
}

}  // namespace ferry::rest
