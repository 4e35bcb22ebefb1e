#include "rest/cutover_routes.h"

#include <charconv>

#include "rest/errors.h"
#include "worker/common/json.h"

namespace ferry::rest {
namespace {

using cutover::Direction;
using cutover::MoveOptions;
using cutover::MoveReport;

constexpr int64_t kMaxWaitMs = 600'000;  // a request waits at most 10 minutes for the mirror

std::optional<std::string> Connector(const RouteRequest& req) { return req.QueryValue("connector"); }

Result<int64_t> ParseWaitMs(const RouteRequest& req) {
  auto text = req.QueryValue("wait_ms");
  if (!text) return int64_t{0};
  int64_t ms = -1;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), ms);
  if (ec != std::errc() || end != text->data() + text->size() || ms < 0 || ms > kMaxWaitMs) {
    return Error::BadRequest("wait_ms must be a whole number of milliseconds from 0 to " + std::to_string(kMaxWaitMs) +
                             ", not '" + *text + "'");
  }
  return ms;
}

Result<MoveOptions> Options(const RouteRequest& req) {
  MoveOptions options;
  options.allow_approximate = req.QueryFlag("allow_approximate");
  auto wait = ParseWaitMs(req);
  if (!wait.ok()) return wait.error();
  options.wait = std::chrono::milliseconds(*wait);
  return options;
}

// Connect's error body with the report added, so that a client reading only error_code and message
// still understands, and an operator sees every blocker.
Reply WithReport(int status, const std::string& message, const std::string& report_json) {
  std::string body = ErrorBody(status, message);
  body.pop_back();  // the closing brace
  return Reply::Json(status, body + ",\"report\":" + report_json + "}");
}

Reply MoveReply(const Result<MoveReport>& report) {
  if (!report.ok()) return Reply::FromError(report.error());
  const std::string json = cutover::ToJson(*report);
  const cutover::GroupPlan& plan = report->plan;
  const std::string what = std::string(cutover::DirectionName(plan.direction)) + " of group '" + plan.group + "'";
  switch (report->outcome) {
    case MoveReport::Outcome::kMoved:
      return Reply::Json(200, json);
    case MoveReport::Outcome::kRefused: {
      std::string reasons;
      for (const std::string& b : plan.blockers) reasons += (reasons.empty() ? "" : "; ") + b;
      return WithReport(409, what + " refused: " + reasons, json);
    }
    case MoveReport::Outcome::kFailed:
      return WithReport(500, what + " failed: " + report->entry->error, json);
  }
  return Reply::FromError(Error::Internal("unknown outcome"));
}

constexpr size_t kMaxPositions = 10'000;  // per translate request (the body is bounded too)

// POST /ferry/translate's body: {"direction":"forward"|"backward","positions":[{"topic":..,"partition":..,"offset":..}]}.
struct TranslateRequest {
  Direction direction = Direction::kCutover;
  std::vector<std::pair<TopicPartition, int64_t>> positions;
};

Result<TranslateRequest> ParseTranslateRequest(const std::string& body) {
  auto doc = json::Parse(body, "the request body");
  if (!doc.ok()) return Error::BadRequest(doc.error().message());
  auto bad = [](const std::string& what) {
    return Error::BadRequest(what + R"(: expected {"direction":"forward" or "backward","positions":[{"topic":"...",)"
                             R"("partition":0,"offset":0},...]})");
  };
  if (!doc->IsObject()) return bad("the body is not a JSON object");
  TranslateRequest request;
  if (auto d = doc->FindMember("direction"); d != doc->MemberEnd()) {
    const std::string direction = d->value.IsString() ? d->value.GetString() : "";
    if (direction != "forward" && direction != "backward") return bad("direction must be \"forward\" or \"backward\"");
    request.direction = direction == "forward" ? Direction::kCutover : Direction::kRollback;
  }
  auto positions = doc->FindMember("positions");
  if (positions == doc->MemberEnd() || !positions->value.IsArray()) return bad("no \"positions\" array");
  if (positions->value.Size() > kMaxPositions) {
    return Error::BadRequest("at most " + std::to_string(kMaxPositions) + " positions per request, not " +
                             std::to_string(positions->value.Size()));
  }
  for (const auto& entry : positions->value.GetArray()) {
    const std::string at = "position " + std::to_string(request.positions.size());
    if (!entry.IsObject()) return bad(at + " is not an object");
    auto topic = entry.FindMember("topic");
    auto partition = entry.FindMember("partition");
    auto offset = entry.FindMember("offset");
    if (topic == entry.MemberEnd() || !topic->value.IsString() || topic->value.GetStringLength() == 0) {
      return bad(at + " has no topic");
    }
    if (partition == entry.MemberEnd() || !partition->value.IsInt() || partition->value.GetInt() < 0) {
      return bad(at + " has no partition number");
    }
    if (offset == entry.MemberEnd() || !offset->value.IsInt64() || offset->value.GetInt64() < 0) {
      return bad(at + " has no offset (the next record to read, 0 or more)");
    }
    request.positions.push_back({TopicPartition{topic->value.GetString(), partition->value.GetInt()},
                                 offset->value.GetInt64()});
  }
  return request;
}

}  // namespace

void AddCutoverRoutes(Router& router, cutover::CutoverService& service) {
  router.Add("GET", "/ferry/groups/{group}/plan", [&service](const RouteRequest& req) {
    const std::string direction = req.QueryValue("direction").value_or("cutover");
    if (direction != "cutover" && direction != "rollback") {
      return Reply::FromError(Error::BadRequest("direction must be 'cutover' or 'rollback', not '" + direction + "'"));
    }
    MoveOptions options;
    options.allow_approximate = req.QueryFlag("allow_approximate");
    auto plan = service.Plan(Connector(req), req.params[0],
                             direction == "cutover" ? Direction::kCutover : Direction::kRollback, options);
    if (!plan.ok()) return Reply::FromError(plan.error());
    return Reply::Json(200, cutover::ToJson(*plan));
  });
  for (Direction direction : {Direction::kCutover, Direction::kRollback}) {
    const std::string path = std::string("/ferry/groups/{group}/") + cutover::DirectionName(direction);
    router.Add("POST", path, [&service, direction](const RouteRequest& req) {
      auto options = Options(req);
      if (!options.ok()) return Reply::FromError(options.error());
      return MoveReply(service.Move(Connector(req), req.params[0], direction, *options));
    });
  }
  router.Add("GET", "/ferry/groups/{group}/status", [&service](const RouteRequest& req) {
    auto status = service.Status(Connector(req), req.params[0]);
    if (!status.ok()) return Reply::FromError(status.error());
    return Reply::Json(200, cutover::ToJson(*status));
  });
  router.Add(
      "POST", "/ferry/translate",
      [&service](const RouteRequest& req) {
        auto request = ParseTranslateRequest(req.body);
        if (!request.ok()) return Reply::FromError(request.error());
        auto report = service.Translate(Connector(req), request->positions, request->direction);
        if (!report.ok()) return Reply::FromError(report.error());
        return Reply::Json(200, cutover::ToJson(*report));
      },
      Router::Body::kJson);
  router.Add("GET", "/ferry/topics/{topic}/verify", [&service](const RouteRequest& req) {
    std::optional<int32_t> partition;
    if (auto text = req.QueryValue("partition")) {
      int32_t p = -1;
      auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), p);
      if (ec != std::errc() || end != text->data() + text->size() || p < 0) {
        return Reply::FromError(Error::BadRequest("partition must be a partition number, not '" + *text + "'"));
      }
      partition = p;
    }
    auto report = service.Verify(Connector(req), req.params[0], partition);
    if (!report.ok()) return Reply::FromError(report.error());
    return Reply::Json(200, cutover::ToJson(*report));
  });
}

}  // namespace ferry::rest
