// /admin/loggers (Kafka Connect's LoggingResource, KIP-495/KIP-976) on top of glog.
//
// Connect names log4j loggers; Ferry logs with glog, which has one process-wide severity threshold
// (FLAGS_minloglevel), one verbosity (FLAGS_v) and per-source-file verbosities (--vmodule, set at
// run time with google::SetVLOGLevel). The levels map onto them so:
//
//   level            root logger ("root")                      a named logger
//   OFF, FATAL       FLAGS_minloglevel=3 (FATAL), FLAGS_v=0     its module's verbosity 0
//   ERROR            FLAGS_minloglevel=2 (ERROR), FLAGS_v=0     its module's verbosity 0
//   WARN             FLAGS_minloglevel=1 (WARNING), FLAGS_v=0   its module's verbosity 0
//   INFO             FLAGS_minloglevel=0 (INFO), FLAGS_v=0      its module's verbosity 0
//   DEBUG            FLAGS_minloglevel=0, FLAGS_v=1             its module's verbosity 1 (VLOG(1))
//   TRACE, ALL       FLAGS_minloglevel=0, FLAGS_v=2             its module's verbosity 2 (VLOG(2))
//
// A named logger's module pattern comes from the last dotted part of its name (ModulePattern):
//  - a class name (it has capitals) becomes the snake_case file it lives in, exactly:
//    "org.apache.kafka.connect.mirror.MirrorSourceConnector" -> "mirror_source_connector";
//  - a lower-case part is a package or a file, matched as a prefix:
//    "org.apache.kafka.connect.mirror" -> "mirror*" (mirror_task.cc, mirror_source_connector.cc, ...),
//    "ferry.tasks.mirror_task" -> "mirror_task*".
// Since glog's severity threshold is process-wide, a named logger set to WARN or ERROR silences its
// module's VLOG lines only; its INFO lines still print while the root is at INFO.
// glog 0.6 quirk: google::SetVLOGLevel(p) creates no entry for p when an existing pattern already
// matches the text p (e.g. "mirror_task*" after "mirror*"), so a file set after a package that covers
// it keeps the package's verbosity. Set() logs a warning when that happens; set a file's logger
// before the package loggers that cover it.
//
// As in Connect: GET lists the root and every logger whose level was set; setting a logger also sets
// every known logger whose name starts with it (setting the root sets all) and answers their names,
// sorted; last_modified (ms since the epoch) changes only when a level actually changes. An invalid
// level is 404 "invalid log level 'X'.", a body without "level" 400. scope=cluster answers 204 and,
// for now, applies the level to this worker only (Connect writes it to the config topic for every
// worker); any other scope is the worker scope.
//
// glog's flags are process-wide: two LoggerLevels in one process share them but not last_modified.
// Thread-safety: all methods may be called from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "rest/entities.h"
#include "rest/server.h"
#include "worker/common/result.h"

namespace ferry::rest {

class LoggerLevels {
 public:
  // `now_ms` is the clock for last_modified; the wall clock when empty.
  explicit LoggerLevels(std::function<int64_t()> now_ms = {});

  // The root and every named logger set through this object.
  std::map<std::string, LoggerLevel> All() const;
  // nullopt if `logger` is neither the root ("root", any case) nor a known logger.
  std::optional<LoggerLevel> Get(const std::string& logger) const;
  // Sets `level` (any case) on `logger` and the known loggers under it; returns the names affected,
  // sorted. Error::NotFound "invalid log level 'X'." for a level log4j does not know.
  Result<std::vector<std::string>> Set(const std::string& logger, const std::string& level);

  // The glog --vmodule pattern a named logger maps to ("" if none can be derived).
  static std::string ModulePattern(const std::string& logger);

 private:
  std::string RootLevelLocked() const;
  void ApplyToModuleLocked(const std::string& logger, int verbosity);

  const std::function<int64_t()> now_ms_;
  mutable std::mutex mu_;
  std::map<std::string, std::string> named_;      // GUARDED_BY(mu_): logger -> level
  std::optional<std::string> root_level_;         // GUARDED_BY(mu_): as set through REST
  std::map<std::string, int64_t> last_modified_;  // GUARDED_BY(mu_): "root" or a named logger
  std::vector<std::string> patterns_;             // GUARDED_BY(mu_): given to glog, in order
};

void AddLoggerRoutes(Router& router, LoggerLevels& loggers);

}  // namespace ferry::rest
