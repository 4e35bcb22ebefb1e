// GroupCutover: moves a consumer group between the two clusters of one mirror flow so that it resumes
// at exactly the record after the last one it processed: none lost, none read twice. A cutover moves
// the group from the source to the target, a rollback moves it back.
//
// Translation is exact where the mirror's offset map (tasks/offset_map.h, rebuilt from the
// offset-syncs topic) covers the group's offset: the target offset of the first source record at or
// after it, and back. Where the map has no entry for a partition at all, the position is found by
// timestamp (the first record at or after the group's offset, looked up on the other side) and marked
// approximate; a move with an approximate partition needs `allow_approximate`.
//
// A move checks, and refuses with every reason (the plan's blockers), unless: the group has no active
// members on either cluster; every partition translates; the mirror has copied past every committed
// offset; the group has not already read further on the side it moves to (that would read records
// twice). Then it commits all partitions in one OffsetCommit to the destination, reads them back,
// and on any difference puts the previous offsets back, so a group is never left half-moved. Every move
// is journalled before and after (journal.h).
//
// The clusters are reached through kafka::Admin and PartitionProbe, so the logic is tested against
// fakes where the 2.0.2 mock cannot answer (group state, timestamp look-ups) and end to end elsewhere.
// Thread-safety: not thread-safe; callers serialize (CutoverService does).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "connectors/replication_policy.h"
#include "tasks/offset_map.h"
#include "worker/cutover/journal.h"
#include "worker/cutover/probe.h"
#include "worker/kafka/admin.h"

namespace ferry::cutover {

// What a cutover needs to know of a mirror flow (from its MirrorSourceConnector config).
// What a worker knows of the mirror task copying a source partition.
struct MirrorTaskState {
  std::string state;        // RUNNING, FAILED, PAUSED, ... (the task's status)
  std::string sync_writer = {};  // the writer id its offset syncs carry (ferry.writer); "" unknown
  // The next source offset its (re)start resumes from: the position stored for the partition.
  std::optional<int64_t> resumes_at = {};
  bool operator==(const MirrorTaskState&) const = default;
};
using MirrorTaskStateMap = std::map<TopicPartition, MirrorTaskState>;

struct Flow {
  std::string connector;  // the MirrorSourceConnector's name
  std::string source_alias;
  std::string target_alias;
  std::shared_ptr<const connectors::ReplicationPolicy> policy;
  std::function<bool(const std::string&)> replicates;  // the source topics the mirror copies
  // The task copying each source partition, as the worker knows it; unset where no worker is asked
  // (`ferry cutover` on the command line).
  std::function<Result<MirrorTaskStateMap>()> task_states = {};
  // The live topic IDs (Kafka's text form) of these source topics, keyed by name, a topic that does
  // not exist absent (group::LookupTopicIds); kUnsupported where the cluster cannot tell. Unset: not
  // asked. A cutover compares them with the IDs the offset syncs name (Coverage::topic_id).
  using TopicIds = Result<std::map<std::string, std::string>>;
  std::function<TopicIds(const std::vector<std::string>& topics)> source_topic_ids = {};
};

struct FlowClusters {
  kafka::Admin& source_admin;
  kafka::Admin& target_admin;
  PartitionProbe& source;
  PartitionProbe& target;
};

enum class Translation { kExact, kApproximate, kNone };
const char* TranslationName(Translation translation);  // "exact", "approximate", "none"

// One partition of a planned move, from the side the group leaves (`from`) to the side it joins (`to`).
struct PartitionPlan {
  TopicPartition from;
  TopicPartition to;
  int64_t committed = -1;  // the group's offset on `from`
  std::string metadata;    // committed with it; carried over
  std::optional<int64_t> translated;  // where it resumes on `to`
  Translation translation = Translation::kNone;
  std::optional<int64_t> current;        // the group's own offset already on `to`
  std::optional<int64_t> replicated_to;  // the source offset the mirror has copied up to (exclusive)
  int64_t source_end = -1;               // the source partition's high watermark
  std::string note;                      // how the translation was found, when not plainly
  std::string approximate_by;            // what an approximate translation rests on ("by timestamp", ...)
  std::vector<std::string> blockers;
  bool waiting = false;  // blocked only because the mirror has not copied (or synced) that far yet
};

struct GroupPlan {
  std::string group;
  std::string connector;
  Direction direction = Direction::kCutover;
  std::string from_cluster, to_cluster;  // aliases
  std::optional<kafka::GroupDescription> from_group, to_group;  // nullopt: could not be described
  std::vector<PartitionPlan> partitions;
  std::vector<std::string> blockers;  // every reason the move cannot happen now, group and partitions
  bool ready() const { return blockers.empty(); }
  // Every blocker is the mirror not having copied far enough yet: waiting may clear them.
  bool waiting_only() const;
};

struct MoveOptions {
  bool allow_approximate = false;
  // How long a move waits for the mirror to copy (and sync) past the group's offsets; 0: not at all.
  std::chrono::milliseconds wait{0};
};

struct MoveReport {
  enum class Outcome { kRefused, kMoved, kFailed };
  Outcome outcome = Outcome::kRefused;
  GroupPlan plan;
  std::optional<JournalEntry> entry;  // what was journalled last (kMoved, kFailed)
  std::string journal_error;          // the journal could not record the move's end (it happened)
};
const char* OutcomeName(MoveReport::Outcome outcome);  // "refused", "moved", "failed"

// What a translated position (GroupCutover::TranslatePositions) answers: exact; approximate (the
// plan's approximate_by and note say why); not yet (the mirror has not copied or synced that far:
// asking again later may answer); untranslatable (its blockers say why, and waiting does not help).
enum class PositionAnswer { kExact, kApproximate, kNotYet, kUntranslatable };
PositionAnswer PositionAnswerOf(const PartitionPlan& p);
const char* PositionAnswerName(PositionAnswer answer);  // "exact", "approximate", "not_yet", "untranslatable"

struct PositionsReport {
  std::string connector;
  Direction direction = Direction::kCutover;  // kCutover: source to target ("forward"), else back
  std::string from_cluster, to_cluster;       // aliases
  std::vector<PartitionPlan> positions;       // in the order asked
};

struct GroupStatus {
  struct Partition {
    TopicPartition source, target;
    std::optional<int64_t> source_committed, target_committed;
  };
  std::string group;
  std::string connector;
  // "source" (never moved, or rolled back), "target" (cut over), "unknown" (a move was interrupted:
  // plan and move again), from the latest journal entry.
  std::string position;
  std::optional<JournalEntry> last;
  std::optional<kafka::GroupDescription> source_group, target_group;
  std::vector<Partition> partitions;  // the mirrored partitions the group has an offset for, on either side
  std::vector<std::string> warnings;  // what could not be found out (e.g. a group's state)
};

class GroupCutover {
 public:
  // `refresh_map` brings `map` up to date (reads the offset-syncs topic to its end) before each plan.
  GroupCutover(Flow flow, FlowClusters clusters, const tasks::OffsetMap& map, std::function<Result<>()> refresh_map,
               CutoverJournal& journal, std::chrono::milliseconds journal_timeout = std::chrono::seconds(30));

  // A dry run: what a move would commit, and why it cannot happen now. kNotFound when the group has
  // no offsets on the side it would leave, for any partition this mirror copies.
  Result<GroupPlan> Plan(const std::string& group, Direction direction, const MoveOptions& options = {});
  // Plans (waiting up to `options.wait` while only the mirror's progress blocks), then moves.
  Result<MoveReport> Move(const std::string& group, Direction direction, const MoveOptions& options = {});
  Result<GroupStatus> Status(const std::string& group);
  // Positions an application keeps itself, outside consumer groups (each the next record to read, as a
  // committed offset is), on the side `direction` leaves: each translated with the same map and the
  // same checks as a group's partition, less those of a group (members, its offsets on the other side).
  // An approximate translation is answered as such (PositionAnswerOf), not blocked. A partition this
  // mirror does not copy is answered with a blocker saying so.
  Result<PositionsReport> TranslatePositions(const std::vector<std::pair<TopicPartition, int64_t>>& positions,
                                             Direction direction);

 private:
  struct Pair {
    TopicPartition source, target;
  };
  // The source partitions this mirror copies, each with its target partition.
  Result<std::vector<Pair>> MirroredPartitions();
  // Translates every partition of `partitions` (from, to, committed and current set), with what blocks
  // each, reading what they share once: the destination's topics, the task states, the topic IDs.
  Result<> PlanPartitions(std::vector<PartitionPlan>& partitions, bool forward, const MoveOptions& options);
  // Translates `p` (the side it leaves -> the side it joins) and adds what blocks it.
  // `topic_ids`: the source's live topic IDs (Flow::source_topic_ids) when asked; null otherwise.
  void Translate(PartitionPlan& p, bool forward, const MoveOptions& options, const Flow::TopicIds* topic_ids);
  // Whether the source topic is the incarnation the map's syncs name; adds a blocker if it is not,
  // or cannot be told. True: go on translating.
  static bool SameTopicIncarnation(PartitionPlan& p, const TopicPartition& source,
                                   const tasks::OffsetMap::Coverage& covered, const Flow::TopicIds& topic_ids);
  // A partition whose task does not run (failed, restarting, paused) may have copies on the target
  // that its restart copies again past the translated point: blocks until it runs.
  static void RequireRunningTask(PartitionPlan& p, const TopicPartition& source,
                                 const Result<MirrorTaskStateMap>& states,
                                 const std::optional<tasks::OffsetMap::Coverage>& covered);
  void TranslateForward(PartitionPlan& p, const std::optional<tasks::OffsetMap::Coverage>& covered,
                        const kafka::Watermarks& watermarks);
  void TranslateBack(PartitionPlan& p, const std::optional<tasks::OffsetMap::Coverage>& covered);
  // Commits `plan` to its destination, journalled; restores the previous offsets on failure.
  MoveReport Commit(GroupPlan plan);
  // After the commit: why the group is no longer as planned on the side it leaves, or "".
  std::string MovedOnTheSideItLeaves(const GroupPlan& plan);

  Flow flow_;
  FlowClusters clusters_;
  const tasks::OffsetMap& map_;
  std::function<Result<>()> refresh_map_;
  CutoverJournal& journal_;
  std::chrono::milliseconds journal_timeout_;
};

// JSON answers of the REST API and `ferry cutover`, compact.
std::string ToJson(const GroupPlan& plan);
std::string ToJson(const MoveReport& report);
std::string ToJson(const GroupStatus& status);
// The answer of POST /ferry/translate and `ferry translate`.
std::string ToJson(const PositionsReport& report);

}  // namespace ferry::cutover
