// A migration plan as data (issue #20): which topics of a mirror move, their consumer groups, the
// gates and hooks, and where each group and topic stands. The plan is stored as JSON in a compacted
// topic (store.h) and is the only memory a migration has: whatever worker advances it next reads it
// there. Stages per topic, in order: its groups cut over, producers moved, fence verified, copy
// verified, done (docs/migration.md).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "worker/common/result.h"

namespace ferry::migration {

enum class Stage { kGroups, kProducers, kFence, kVerify, kDone };
const char* StageName(Stage stage);  // "groups", "producers", "fence", "verify", "done"

// The moments a hook may run at. "move_producers" is the act of moving a topic's producers: its
// success confirms them moved; the others run after their stage completed.
inline constexpr const char* kHookEvents[] = {"group_moved",   "move_producers", "fence_verified",
                                              "copy_verified", "topic_done",     "migration_done"};

struct HookSpec {
  std::vector<std::string> command;  // argv, run without a shell; or
  std::string url;                   // an HTTP(S) URL, POSTed the event as JSON
  int64_t timeout_ms = 30'000;
};

// What a hook did, journalled in the plan.
struct HookOutcome {
  std::string event;
  std::string subject;  // the group or topic it ran for (the migration's name for migration_done)
  bool ok = false;
  std::optional<int> exit_status;  // a command's
  std::optional<int> http_status;  // an HTTP call's
  std::string output;              // the first kMaxHookOutput bytes of stdout+stderr, or the body
  std::string error;               // it could not run, or timed out
  int64_t time_ms = 0;
  int64_t duration_ms = 0;
};
inline constexpr size_t kMaxHookOutput = 4096;

struct GroupStage {
  std::string group;
  // "pending", "moved" (by this migration; the journal has the move), "moved_earlier" (it consumes
  // an earlier topic too, and moved with that one: a move takes all of a group's partitions)
  std::string state = "pending";
  int64_t moved_ms = 0;
  std::optional<HookOutcome> hook;     // group_moved
  std::vector<std::string> blockers;   // as of the last advance
};

struct VerifiedPartition {
  int32_t partition = 0;
  int64_t start = 0, end = 0, records = 0;
  std::string source_digest, target_digest;
};

struct TopicStage {
  std::string topic;
  Stage stage = Stage::kGroups;
  std::vector<GroupStage> groups;
  std::string producers_moved_by;  // "operator" or "hook"; "" while not confirmed
  int64_t producers_moved_ms = 0;
  // The fence: the source's high watermarks as last seen, and since when they have not moved.
  std::map<int32_t, int64_t> fence_ends;
  int64_t fence_since_ms = -1;
  std::vector<VerifiedPartition> verified;
  std::map<std::string, HookOutcome> hooks;  // this topic's hooks by event, the latest of each
  std::vector<std::string> blockers;         // as of the last advance
};

struct Gates {
  int64_t max_lag = 1000;  // per partition: the source end less what the mirror copied, before a move
  int64_t fence_quiet_ms = 10'000;  // the source's ends must stand still this long after producers moved
  bool allow_approximate = false;   // passed to each group's move
};

struct Migration {
  std::string name;
  std::string connector;
  int64_t version = 0;  // 1 at creation, +1 at every stored change
  std::string writer;   // who stored this version (the compare-and-set's tie-breaker)
  int64_t created_ms = 0, updated_ms = 0;
  bool discovered = false;  // groups were discovered (every group with offsets on the topics)
  Gates gates;
  std::map<std::string, HookSpec> hooks;  // by event
  std::vector<TopicStage> topics;         // in the order they move
  std::optional<HookOutcome> done_hook;   // migration_done
  bool done() const;

  std::string ToJson() const;
  static Result<Migration> FromJson(const std::string& text);
};

// POST /ferry/migrations's body, before groups are discovered: name, connector ("mirror"), topics,
// groups (a list, or absent / "discover"), gates, hooks. kBadRequest naming what is wrong.
struct CreateRequest {
  std::string name;
  std::optional<std::string> connector;
  std::vector<std::string> topics;
  std::optional<std::vector<std::string>> groups;  // nullopt: discover
  Gates gates;
  std::map<std::string, HookSpec> hooks;
};
Result<CreateRequest> ParseCreateRequest(const std::string& body);

}  // namespace ferry::migration
