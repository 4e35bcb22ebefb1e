#include "rest/logger_routes.h"

#include <algorithm>
#include <cctype>
#include <chrono>

#include <fnmatch.h>

#include <glog/logging.h>
#include <glog/vlog_is_on.h>

namespace ferry::rest {
namespace {

constexpr char kRoot[] = "root";

struct GlogLevel {
  int minloglevel;
  int v;
};

std::string Upper(const std::string& s) {
  std::string out = s;
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

bool IsRoot(const std::string& logger) { return Upper(logger) == "ROOT"; }

// log4j's levels and what they are in glog; nullopt for a name log4j does not know.
std::optional<GlogLevel> ToGlog(const std::string& level) {
  if (level == "OFF" || level == "FATAL") return GlogLevel{3, 0};
  if (level == "ERROR") return GlogLevel{2, 0};
  if (level == "WARN") return GlogLevel{1, 0};
  if (level == "INFO") return GlogLevel{0, 0};
  if (level == "DEBUG") return GlogLevel{0, 1};
  if (level == "TRACE" || level == "ALL") return GlogLevel{0, 2};
  return std::nullopt;
}

int64_t WallClockMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

LoggerLevels::LoggerLevels(std::function<int64_t()> now_ms)
    : now_ms_(now_ms ? std::move(now_ms) : std::function<int64_t()>(WallClockMs)) {}

std::string LoggerLevels::ModulePattern(const std::string& logger) {
  const size_t dot = logger.rfind('.');
  const std::string last = dot == std::string::npos ? logger : logger.substr(dot + 1);
  if (last.empty()) return "";
  const bool is_class =
      std::any_of(last.begin(), last.end(), [](char c) { return std::isupper(static_cast<unsigned char>(c)); });
  if (!is_class) return last + "*";
  // MirrorSourceConnector -> mirror_source_connector, HTTPServer -> http_server.
  std::string out;
  for (size_t i = 0; i < last.size(); ++i) {
    const auto c = static_cast<unsigned char>(last[i]);
    if (std::isupper(c) && i > 0) {
      const auto prev = static_cast<unsigned char>(last[i - 1]);
      const bool next_lower = i + 1 < last.size() && std::islower(static_cast<unsigned char>(last[i + 1]));
      if (std::islower(prev) || std::isdigit(prev) || (std::isupper(prev) && next_lower)) out.push_back('_');
    }
    out.push_back(static_cast<char>(std::tolower(c)));
  }
  return out;
}

void LoggerLevels::ApplyToModuleLocked(const std::string& logger, int verbosity) {
  const std::string pattern = ModulePattern(logger);
  if (pattern.empty()) return;
  if (std::find(patterns_.begin(), patterns_.end(), pattern) == patterns_.end()) {
    // glog creates no entry for a pattern whose text an earlier pattern matches (see the header).
    for (const std::string& earlier : patterns_) {
      if (::fnmatch(earlier.c_str(), pattern.c_str(), 0) == 0) {
        LOG(WARNING) << "Logger " << logger << " (glog module pattern \"" << pattern << "\") keeps the verbosity of \""
                     << earlier << "\", which was set before it and covers it";
        break;
      }
    }
    patterns_.push_back(pattern);
  }
  google::SetVLOGLevel(pattern.c_str(), verbosity);
}

std::string LoggerLevels::RootLevelLocked() const {
  const int min = FLAGS_minloglevel;
  const int v = FLAGS_v;
  // The level set through REST, as long as nobody changed the flags since.
  if (root_level_) {
    std::optional<GlogLevel> set = ToGlog(*root_level_);
    if (set && set->minloglevel == min && set->v == v) return *root_level_;
  }
  if (min >= 3) return "FATAL";
  if (min == 2) return "ERROR";
  if (min == 1) return "WARN";
  if (v >= 2) return "TRACE";
  if (v == 1) return "DEBUG";
  return "INFO";
}

std::map<std::string, LoggerLevel> LoggerLevels::All() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::map<std::string, LoggerLevel> out;
  auto stamp = [&](const std::string& name) -> std::optional<int64_t> {
    auto it = last_modified_.find(name);
    if (it == last_modified_.end()) return std::nullopt;
    return it->second;
  };
  for (const auto& [name, level] : named_) out[name] = LoggerLevel{level, stamp(name)};
  out[kRoot] = LoggerLevel{RootLevelLocked(), stamp(kRoot)};
  return out;
}

std::optional<LoggerLevel> LoggerLevels::Get(const std::string& logger) const {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string key = IsRoot(logger) ? kRoot : logger;
  std::string level;
  if (key == kRoot) {
    level = RootLevelLocked();
  } else if (auto it = named_.find(key); it != named_.end()) {
    level = it->second;
  } else {
    return std::nullopt;
  }
  auto it = last_modified_.find(key);
  return LoggerLevel{level, it == last_modified_.end() ? std::nullopt : std::optional<int64_t>(it->second)};
}

Result<std::vector<std::string>> LoggerLevels::Set(const std::string& logger, const std::string& level) {
  const std::string upper = Upper(level);
  const std::optional<GlogLevel> glog_level = ToGlog(upper);
  if (!glog_level) return Error::NotFound("invalid log level '" + level + "'.");

  std::lock_guard<std::mutex> lock(mu_);
  const int64_t now = now_ms_();
  std::vector<std::string> affected;
  auto set_named = [&](const std::string& name) {
    auto it = named_.find(name);
    const std::string current = it != named_.end() ? it->second : RootLevelLocked();
    named_[name] = upper;
    ApplyToModuleLocked(name, glog_level->v);
    if (current != upper) last_modified_[name] = now;
    affected.push_back(name);
  };
  if (IsRoot(logger)) {
    for (const auto& entry : named_) set_named(entry.first);
    if (RootLevelLocked() != upper) last_modified_[kRoot] = now;
    FLAGS_minloglevel = glog_level->minloglevel;
    FLAGS_v = glog_level->v;
    root_level_ = upper;
    affected.push_back(kRoot);
  } else {
    std::vector<std::string> children;
    for (const auto& entry : named_) {
      if (entry.first.starts_with(logger)) children.push_back(entry.first);
    }
    if (!named_.contains(logger)) children.push_back(logger);
    for (const std::string& name : children) set_named(name);
  }
  std::sort(affected.begin(), affected.end());
  LOG(INFO) << "Set log level of " << logger << " and its children to " << upper;
  return affected;
}

void AddLoggerRoutes(Router& router, LoggerLevels& loggers) {
  LoggerLevels* l = &loggers;
  router.Add("GET", "/admin/loggers", [l](const RouteRequest&) { return Reply::Json(200, ToJson(l->All())); });
  router.Add("GET", "/admin/loggers/{logger}", [l](const RouteRequest& req) {
    const std::string& name = req.params.at(0);
    std::optional<LoggerLevel> level = l->Get(name);
    if (!level) return Reply::FromError(Error::NotFound("Logger " + name + " not found."));
    return Reply::Json(200, ToJson(*level));
  });
  router.Add(
      "PUT", "/admin/loggers/{logger}",
      [l](const RouteRequest& req) {
        const std::string& name = req.params.at(0);
        Result<std::optional<std::string>> level = ParseLoggerLevelRequest(req.body);
        if (!level.ok()) return Reply::FromError(level.error());
        if (!level->has_value()) {
          return Reply::FromError(Error::BadRequest("Desired 'level' parameter was not specified in request."));
        }
        std::string scope = req.QueryValue("scope").value_or("worker");
        for (char& c : scope) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (scope != "worker" && scope != "cluster") {
          LOG(WARNING) << "Received invalid scope '" << scope
                       << "' in request to adjust logging level; will default to worker";
        }
        Result<std::vector<std::string>> affected = l->Set(name, **level);
        if (!affected.ok()) return Reply::FromError(affected.error());
        // Cluster scope: applied to this worker only for now (see the header).
        if (scope == "cluster") return Reply::Empty(204);
        return Reply::Json(200, ToJson(*affected));
      },
      Router::Body::kJson);
}

}  // namespace ferry::rest
