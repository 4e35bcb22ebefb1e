#include "rest/ui_routes.h"

#include <charconv>
#include <string>

#include "rest/errors.h"
#include "rest/ui_assets.h"

namespace ferry::rest {
namespace {

std::string ContentTypeOf(std::string_view name) {
  if (name.ends_with(".html")) return "text/html; charset=utf-8";
  if (name.ends_with(".js")) return "text/javascript; charset=utf-8";
  if (name.ends_with(".css")) return "text/css; charset=utf-8";
  return "application/octet-stream";
}

Reply Asset(std::string_view name) {
  for (const UiAsset& asset : UiAssets()) {
    if (asset.name != name) continue;
    Reply reply = Reply::Json(200, std::string(asset.bytes));
    reply.content_type = ContentTypeOf(name);
    // The page loads nothing from elsewhere, and a browser must not guess the types.
    reply.headers = {{"Content-Security-Policy", "default-src 'self'; img-src 'self' data:"},
                     {"X-Content-Type-Options", "nosniff"},
                     {"Cache-Control", "no-cache"}};
    return reply;
  }
  return Reply::FromError(Error::NotFound("No file '" + std::string(name) + "' in the status page"));
}

}  // namespace

void AddUiRoutes(Router& router, const UiHistory& history) {
  router.Add("GET", "/ui", [](const RouteRequest&) { return Asset("index.html"); });
  router.Add("GET", "/ui/{file}", [](const RouteRequest& req) { return Asset(req.params[0]); });
  router.Add("GET", "/ferry/ui/history", [&history](const RouteRequest& req) {
    int64_t since = 0;
    if (auto text = req.QueryValue("since")) {
      auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), since);
      if (ec != std::errc() || end != text->data() + text->size()) {
        return Reply::FromError(Error::BadRequest("since must be a time in milliseconds since the epoch, not '" +
                                                  *text + "'"));
      }
    }
    return Reply::Json(200, history.Json(since));
  });
}

}  // namespace ferry::rest
