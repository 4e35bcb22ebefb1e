#include "rest/migration_routes.h"

#include <charconv>
#include <memory>

#include "rest/errors.h"
#include "worker/common/json.h"
#include "worker/migration/flow_ops.h"
#include "worker/migration/service.h"

namespace ferry::rest {
namespace {

constexpr int64_t kMaxWaitMs = 600'000;

struct Migrations {
  explicit Migrations(cutover::CutoverService& cutover) : ops(cutover), service(ops) {}
  migration::CutoverFlowOps ops;
  migration::MigrationService service;  // after ops: it uses them
};

std::optional<std::string> Connector(const RouteRequest& req) { return req.QueryValue("connector"); }

Result<std::chrono::milliseconds> WaitMs(const RouteRequest& req) {
  auto text = req.QueryValue("wait_ms");
  if (!text) return std::chrono::milliseconds(0);
  int64_t ms = -1;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), ms);
  if (ec != std::errc() || end != text->data() + text->size() || ms < 0 || ms > kMaxWaitMs) {
    return Error::BadRequest("wait_ms must be a whole number of milliseconds from 0 to " + std::to_string(kMaxWaitMs) +
                             ", not '" + *text + "'");
  }
  return std::chrono::milliseconds(ms);
}

}  // namespace

void AddMigrationRoutes(Router& router, cutover::CutoverService& cutover) {
  // Shared by the routes, which the router keeps as long as the server lives.
  auto m = std::make_shared<Migrations>(cutover);
  router.Add(
      "POST", "/ferry/migrations",
      [m](const RouteRequest& req) {
        auto request = migration::ParseCreateRequest(req.body);
        if (!request.ok()) return Reply::FromError(request.error());
        if (!request->connector) request->connector = Connector(req);
        const bool dry_run = req.QueryFlag("dry_run");
        auto report = m->service.Create(*request, dry_run);
        if (!report.ok()) return Reply::FromError(report.error());
        return Reply::Json(dry_run ? 200 : 201, migration::ToJson(*report));
      },
      Router::Body::kJson);
  router.Add("GET", "/ferry/migrations", [m](const RouteRequest& req) {
    auto names = m->service.List(Connector(req));
    if (!names.ok()) return Reply::FromError(names.error());
    std::string body = "[";
    for (size_t i = 0; i < names->size(); ++i) body += (i ? "," : "") + json::Quote((*names)[i]);
    return Reply::Json(200, body + "]");
  });
  router.Add("GET", "/ferry/migrations/{name}", [m](const RouteRequest& req) {
    auto plan = m->service.Get(Connector(req), req.params[0]);
    if (!plan.ok()) return Reply::FromError(plan.error());
    return Reply::Json(200, plan->ToJson());
  });
  router.Add("POST", "/ferry/migrations/{name}/advance", [m](const RouteRequest& req) {
    auto wait = WaitMs(req);
    if (!wait.ok()) return Reply::FromError(wait.error());
    auto report = m->service.Advance(Connector(req), req.params[0], {req.QueryFlag("dry_run"), *wait});
    if (!report.ok()) return Reply::FromError(report.error());
    return Reply::Json(200, migration::ToJson(*report));
  });
  router.Add("POST", "/ferry/migrations/{name}/topics/{topic}/producers-moved", [m](const RouteRequest& req) {
    auto plan = m->service.ConfirmProducers(Connector(req), req.params[0], req.params[1]);
    if (!plan.ok()) return Reply::FromError(plan.error());
    return Reply::Json(200, plan->ToJson());
  });
}

}  // namespace ferry::rest
