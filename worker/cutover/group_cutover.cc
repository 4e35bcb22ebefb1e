#include "worker/cutover/group_cutover.h"

#include <algorithm>
#include <limits>
#include <set>
#include <thread>

#include <glog/logging.h>

namespace ferry::cutover {
namespace {

// Where a translation falls past the last sync of a run whose writer (MM2) did not report its end.
constexpr char kUnsaidRunEnd[] =
    "the offset syncs here are MM2's, which do not say where a run ends: one past the last synced copy, "
    "as MM2 translates (records between may be read again)";

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Quoted(const std::string& s) { return "'" + s + "'"; }
std::string At(const TopicPartition& tp, int64_t offset) { return tp.ToString() + "@" + std::to_string(offset); }


// Sets an approximate translation: `basis` names what it rests on in the move's blocker, `note` says
// how it was found.
void Approximate(PartitionPlan& p, int64_t offset, const char* basis, std::string note) {
  p.translated = offset;
  p.translation = Translation::kApproximate;
  p.approximate_by = basis;
  p.note = std::move(note);
}

std::string TwoWriters(const std::optional<tasks::OffsetMap::Coverage>& covered) {
  std::string range = "from source offset " + std::to_string(covered ? covered->contested_from : -1);
  if (covered && covered->contested_until != std::numeric_limits<int64_t>::max()) {
    range += " to " + std::to_string(covered->contested_until - 1);
  } else {
    range += " on";
  }
  return "two writers copied this partition at once " + range +
         " (a stale sync came from a mirror task that another had taken over from): their copies interleave on "
         "the target, so no offset there is exact. Stop the other writer (a second worker or MirrorMaker on the same "
         "flow), then restart the connector's tasks: offsets from where they resume on translate again";
}

std::string BelowFirstKnownSync(int64_t first, const char* side) {
  return std::string("below the first offset sync still kept (") + side + " offset " + std::to_string(first) +
         "): older syncs are gone from the offset-syncs topic (compacted or expired), or the map forgot older runs "
         "past its bound of " + std::to_string(tasks::OffsetMap::kDefaultMaxRunsPerPartition) +
         " per partition, so Ferry cannot tell where these records were copied; no exact translation";
}

}  // namespace

const char* TranslationName(Translation translation) {
  switch (translation) {
    case Translation::kExact: return "exact";
    case Translation::kApproximate: return "approximate";
    case Translation::kNone: return "none";
  }
  return "none";
}

const char* OutcomeName(MoveReport::Outcome outcome) {
  switch (outcome) {
    case MoveReport::Outcome::kRefused: return "refused";
    case MoveReport::Outcome::kMoved: return "moved";
    case MoveReport::Outcome::kFailed: return "failed";
  }
  return "refused";
}

bool GroupPlan::waiting_only() const {
  if (blockers.empty()) return false;
  size_t waiting = 0;
  for (const PartitionPlan& p : partitions) {
    if (!p.blockers.empty() && !p.waiting) return false;
    waiting += p.blockers.size();
  }
  return waiting == blockers.size();
}

GroupCutover::GroupCutover(Flow flow, FlowClusters clusters, const tasks::OffsetMap& map,
                           std::function<Result<>()> refresh_map, CutoverJournal& journal,
                           std::chrono::milliseconds journal_timeout)
    : flow_(std::move(flow)),
      clusters_(clusters),
      map_(map),
      refresh_map_(std::move(refresh_map)),
      journal_(journal),
      journal_timeout_(journal_timeout) {}

Result<std::vector<GroupCutover::Pair>> GroupCutover::MirroredPartitions() {
  auto topics = clusters_.source_admin.ListTopics();
  if (!topics.ok()) return topics.error();
  std::vector<Pair> pairs;
  for (const auto& [topic, count] : *topics) {
    if (!flow_.replicates(topic)) continue;
    const std::string remote = flow_.policy->FormatRemoteTopic(flow_.source_alias, topic);
    for (int p = 0; p < count; ++p) pairs.push_back({{topic, p}, {remote, p}});
  }
  return pairs;
}

Result<GroupPlan> GroupCutover::Plan(const std::string& group, Direction direction, const MoveOptions& options) {
  if (refresh_map_) FERRY_RETURN_IF_ERROR(refresh_map_());
  const bool forward = direction == Direction::kCutover;
  kafka::Admin& from_admin = forward ? clusters_.source_admin : clusters_.target_admin;
  kafka::Admin& to_admin = forward ? clusters_.target_admin : clusters_.source_admin;
  GroupPlan plan;
  plan.group = group;
  plan.connector = flow_.connector;
  plan.direction = direction;
  plan.from_cluster = forward ? flow_.source_alias : flow_.target_alias;
  plan.to_cluster = forward ? flow_.target_alias : flow_.source_alias;

  auto pairs = MirroredPartitions();
  if (!pairs.ok()) return pairs.error();
  std::vector<TopicPartition> from_partitions, to_partitions;
  for (const Pair& pair : *pairs) {
    from_partitions.push_back(forward ? pair.source : pair.target);
    to_partitions.push_back(forward ? pair.target : pair.source);
  }
  auto committed = from_admin.ListConsumerGroupOffsets(group, from_partitions);
  if (!committed.ok()) return committed.error();
  auto current = to_admin.ListConsumerGroupOffsets(group, to_partitions);
  if (!current.ok()) return current.error();
  for (size_t i = 0; i < from_partitions.size(); ++i) {
    auto it = committed->find(from_partitions[i]);
    if (it == committed->end() || it->second.offset < 0) continue;
    PartitionPlan p;
    p.from = from_partitions[i];
    p.to = to_partitions[i];
    p.committed = it->second.offset;
    p.metadata = it->second.metadata;
    if (auto c = current->find(p.to); c != current->end() && c->second.offset >= 0) p.current = c->second.offset;
    plan.partitions.push_back(std::move(p));
  }
  FERRY_RETURN_IF_ERROR(PlanPartitions(plan.partitions, forward, options));
  if (plan.partitions.empty()) {
    return Error::NotFound("group " + Quoted(group) + " has no committed offsets on cluster " + plan.from_cluster +
                           " for the topics mirror " + Quoted(flow_.connector) + " copies");
  }

  // No live consumer may hold the group on either side while its offsets move.
  auto describe = [&](kafka::Admin& admin, const std::string& cluster, std::optional<kafka::GroupDescription>& out) {
    auto d = admin.DescribeConsumerGroupState(group);
    if (!d.ok()) {
      plan.blockers.push_back("cannot tell whether group " + Quoted(group) + " has active members on cluster " +
                              cluster + ": " + d.error().message());
      return;
    }
    out = *d;
    if (d->members > 0) {
      plan.blockers.push_back("group " + Quoted(group) + " has " + std::to_string(d->members) +
                              " active member(s) on cluster " + cluster + " (" + kafka::GroupStateName(d->state) +
                              "): stop its consumers first");
    } else if (d->active()) {
      plan.blockers.push_back("group " + Quoted(group) + " is " + kafka::GroupStateName(d->state) + " on cluster " +
                              cluster + ": it has consumers of Kafka's consumer protocol (KIP-848), which "
                              "DescribeGroups cannot count: stop its consumers first");
    }
  };
  describe(from_admin, plan.from_cluster, plan.from_group);
  describe(to_admin, plan.to_cluster, plan.to_group);
  for (const PartitionPlan& p : plan.partitions) {
    for (const std::string& b : p.blockers) plan.blockers.push_back(p.from.ToString() + ": " + b);
  }
  return plan;
}

Result<> GroupCutover::PlanPartitions(std::vector<PartitionPlan>& partitions, bool forward,
                                     const MoveOptions& options) {
  if (partitions.empty()) return {};
  kafka::Admin& to_admin = forward ? clusters_.target_admin : clusters_.source_admin;
  const std::string& to_cluster = forward ? flow_.target_alias : flow_.source_alias;
  auto to_topics = to_admin.ListTopics();
  if (!to_topics.ok()) return to_topics.error();
  const Result<MirrorTaskStateMap> task_states =
      flow_.task_states ? flow_.task_states() : Result<MirrorTaskStateMap>(Error::NotFound("unasked"));
  // One look-up of the source topics' IDs for all partitions (a topic made again reuses offsets).
  std::optional<Flow::TopicIds> topic_ids;
  if (forward && flow_.source_topic_ids) {
    std::set<std::string> topics;
    for (const PartitionPlan& p : partitions) topics.insert(p.from.topic);
    topic_ids = flow_.source_topic_ids({topics.begin(), topics.end()});
  }
  for (PartitionPlan& p : partitions) {
    auto topic = to_topics->find(p.to.topic);
    if (topic == to_topics->end() || topic->second <= p.to.partition) {
      p.blockers.push_back(p.to.ToString() + " does not exist on cluster " + to_cluster);
      continue;
    }
    Translate(p, forward, options, topic_ids ? &*topic_ids : nullptr);
    const TopicPartition& source = forward ? p.from : p.to;
    if (flow_.task_states) RequireRunningTask(p, source, task_states, map_.Covered(source));
  }
  return {};
}

Result<PositionsReport> GroupCutover::TranslatePositions(
    const std::vector<std::pair<TopicPartition, int64_t>>& positions, Direction direction) {
  if (refresh_map_) FERRY_RETURN_IF_ERROR(refresh_map_());
  const bool forward = direction == Direction::kCutover;
  auto pairs = MirroredPartitions();
  if (!pairs.ok()) return pairs.error();
  std::map<TopicPartition, TopicPartition> other_side;
  for (const Pair& pair : *pairs) {
    if (forward) other_side.emplace(pair.source, pair.target);
    else other_side.emplace(pair.target, pair.source);
  }
  PositionsReport report{flow_.connector, direction, forward ? flow_.source_alias : flow_.target_alias,
                         forward ? flow_.target_alias : flow_.source_alias, std::vector<PartitionPlan>(positions.size())};
  std::vector<PartitionPlan> translatable;
  std::vector<size_t> slot;  // where each translatable position's answer goes
  for (size_t i = 0; i < positions.size(); ++i) {
    PartitionPlan& p = report.positions[i];
    p.from = positions[i].first;
    p.committed = positions[i].second;
    auto it = other_side.find(p.from);
    if (it == other_side.end()) {
      p.blockers.push_back(p.from.ToString() + " is not a partition mirror '" + flow_.connector + "' copies " +
                           (forward ? "from cluster " + flow_.source_alias : "to cluster " + flow_.target_alias));
      continue;
    }
    p.to = it->second;
    translatable.push_back(p);
    slot.push_back(i);
  }
  MoveOptions options;
  options.allow_approximate = true;  // answered as approximate, with why, for the caller to judge
  FERRY_RETURN_IF_ERROR(PlanPartitions(translatable, forward, options));
  for (size_t k = 0; k < translatable.size(); ++k) report.positions[slot[k]] = std::move(translatable[k]);
  return report;
}

PositionAnswer PositionAnswerOf(const PartitionPlan& p) {
  if (!p.blockers.empty()) return p.waiting ? PositionAnswer::kNotYet : PositionAnswer::kUntranslatable;
  if (p.translation == Translation::kExact) return PositionAnswer::kExact;
  if (p.translation == Translation::kApproximate) return PositionAnswer::kApproximate;
  return PositionAnswer::kUntranslatable;
}

const char* PositionAnswerName(PositionAnswer answer) {
  switch (answer) {
    case PositionAnswer::kExact: return "exact";
    case PositionAnswer::kApproximate: return "approximate";
    case PositionAnswer::kNotYet: return "not_yet";
    case PositionAnswer::kUntranslatable: return "untranslatable";
  }
  return "untranslatable";
}

void GroupCutover::RequireRunningTask(PartitionPlan& p, const TopicPartition& source,
                                      const Result<MirrorTaskStateMap>& states,
                                      const std::optional<tasks::OffsetMap::Coverage>& covered) {
  if (!states.ok()) {
    p.blockers.push_back("cannot tell whether the mirror's task copying " + source.ToString() +
                         " runs: " + states.error().message());
    return;
  }
  auto it = states->find(source);
  // A task restarting now runs in a moment; but a blocker found before that no wait clears stays.
  auto block = [&p](std::string why) {
    if (p.blockers.empty()) p.waiting = true;
    p.blockers.push_back(std::move(why));
  };
  if (it == states->end() || it->second.state != "RUNNING") {
    block((it == states->end() ? "no task of the mirror copies " + source.ToString()
                               : "the mirror's task copying " + source.ToString() + " is " + it->second.state) +
          ": when it runs again it may copy records again past the translated offset; move once it runs");
    return;
  }
  // A task that started since the newest sync the map read (another writer) resumes at its stored
  // position and copies again what lies between it and the map's copied-up-to point.
  const MirrorTaskState& task = it->second;
  if (!task.sync_writer.empty() && covered && covered->writer && *covered->writer != task.sync_writer &&
      task.resumes_at && *task.resumes_at < covered->next_source.value) {
    block("the mirror's task copying " + source.ToString() + " restarted at offset " +
          std::to_string(*task.resumes_at) + ", below the offset " + std::to_string(covered->next_source.value) +
          " the offset syncs show copied: it copies those records again, past the translated offset; move once "
          "its offset syncs show it");
  }
}

bool GroupCutover::SameTopicIncarnation(PartitionPlan& p, const TopicPartition& source,
                                        const tasks::OffsetMap::Coverage& covered, const Flow::TopicIds& topic_ids) {
  if (covered.topic_id.empty()) return true;  // syncs that name no ID (MM2's): nothing to compare
  if (!topic_ids.ok()) {
    if (topic_ids.error().code() == ErrorCode::kUnsupported) return true;  // as if the syncs named none
    p.waiting = false;
    p.blockers.push_back("cannot tell whether source topic " + source.topic +
                         " is still the one the offset syncs map (topic ID " + covered.topic_id +
                         "), or was deleted and re-created since: " + topic_ids.error().message());
    return false;
  }
  auto live = topic_ids->find(source.topic);
  if (live == topic_ids->end()) {
    p.waiting = false;
    p.blockers.push_back("cannot tell whether source topic " + source.topic +
                         " is still the one the offset syncs map (topic ID " + covered.topic_id +
                         "): the source cluster does not know the topic now");
    return false;
  }
  if (live->second == covered.topic_id) return true;
  p.waiting = false;  // no wait brings the old topic back
  p.blockers.push_back("source topic " + source.topic + " was deleted and re-created: its topic ID is now " +
                       live->second + ", the offset syncs up to offset " + std::to_string(covered.next_source.value) +
                       " are of topic ID " + covered.topic_id +
                       ": the copies on the target are of the old topic's records, whose offsets the new topic "
                       "reuses, and cannot be translated");
  return false;
}

void GroupCutover::Translate(PartitionPlan& p, bool forward, const MoveOptions& options,
                             const Flow::TopicIds* topic_ids) {
  const TopicPartition& source = forward ? p.from : p.to;
  const auto covered = map_.Covered(source);
  if (covered) p.replicated_to = covered->next_source.value;
  auto watermarks = clusters_.source.Watermarks(source);
  if (!watermarks.ok()) {
    p.blockers.push_back("cannot read the source partition: " + watermarks.error().message());
    return;
  }
  p.source_end = watermarks->high;
  if (covered && watermarks->high < covered->next_source.value) {
    // Offsets the mirror copied are gone from the end of the log, so new records will reuse them
    // (the topic deleted and made again, or a log truncated by an unclean leader election): the
    // map's answers belong to the old records.
    p.waiting = false;
    p.blockers.push_back("the source partition ends at " + std::to_string(watermarks->high) +
                         ", below the offset " + std::to_string(covered->next_source.value) +
                         " the mirror copied up to: its offsets were reused (topic re-created or log truncated)");
    return;
  }
  if (forward && covered && topic_ids && !SameTopicIncarnation(p, source, *covered, *topic_ids)) return;
  if (forward) {
    TranslateForward(p, covered, *watermarks);
  } else {
    TranslateBack(p, covered);
  }
  if (p.translated) {
    // Records below the destination's log start are gone (retention, DeleteRecords): a consumer
    // committed there would follow auto.offset.reset, not resume at the translated record.
    auto destination = forward ? clusters_.target.Watermarks(p.to) : Result<kafka::Watermarks>(*watermarks);
    if (!destination.ok()) {
      p.blockers.push_back("cannot read the destination partition " + p.to.ToString() + ": " + destination.error().message());
    } else if (*p.translated < destination->low) {
      p.waiting = false;  // no waiting brings deleted records back
      p.blockers.push_back("the translated offset " + std::to_string(*p.translated) + " is below the log start " +
                           std::to_string(destination->low) + " of " + p.to.ToString() +
                           ": the records from there on were deleted, and the consumer would resume wherever "
                           "auto.offset.reset says");
    }
  }
  if (p.translation == Translation::kApproximate && !options.allow_approximate) {
    p.blockers.push_back("the translation is approximate (" + p.approximate_by + "): allow it explicitly");
  }
  if (p.translated && p.current && *p.current > *p.translated) {
    p.waiting = false;  // no waiting clears this one
    p.blockers.push_back("the group already committed " + At(p.to, *p.current) + ", past " +
                         std::to_string(*p.translated) + ": it has read there; moving it" +
                         (forward ? "" : " back") + " would read " + std::to_string(*p.current - *p.translated) +
                         " record(s) twice");
  }
}

void GroupCutover::TranslateForward(PartitionPlan& p, const std::optional<tasks::OffsetMap::Coverage>& covered,
                                    const kafka::Watermarks& watermarks) {
  const TopicPartition& source = p.from;
  const int64_t c = p.committed;
  auto exact = [&](int64_t target, std::string note) {
    p.translated = target;
    p.translation = Translation::kExact;
    p.note = std::move(note);
  };
  // The first source record at or after `offset`, for the cases the map alone cannot settle.
  auto first_record = [&](int64_t offset) -> std::optional<std::optional<RecordPosition>> {
    auto r = clusters_.source.FirstRecordAtOrAfter(source, offset);
    if (!r.ok()) {
      p.blockers.push_back("cannot read the source partition at " + std::to_string(offset) + ": " + r.error().message());
      return std::nullopt;
    }
    return *r;
  };

  if (auto t = map_.Forward(source, SourceOffset(c))) {
    if (t->inexact == tasks::OffsetMap::Inexact::kTwoWriters) {
      p.blockers.push_back(TwoWriters(covered));
    } else if (!t->exact()) {
      Approximate(p, t->offset.value, "MM2's offset syncs", kUnsaidRunEnd);
    } else if (t->lost_from >= 0) {
      exact(t->offset.value, "source records " + std::to_string(t->lost_from) + ".." + std::to_string(t->lost_to - 1) +
                                 " were deleted before the mirror copied them (skipped under ferry.skip.lost.records): "
                                 "the group resumes at the first record after them, as on the source");
    } else {
      exact(t->offset.value, "");
    }
  } else if (covered && c > covered->next_source.value) {
    // Past what the map says was copied: exact only if nothing but gaps lie in between.
    auto next = first_record(covered->next_source.value);
    if (!next) return;
    if (!*next || (*next)->offset >= c) {
      exact(covered->next_target.value, "only gaps between " + std::to_string(covered->next_source.value) +
                                            " and the committed offset");
    } else {
      p.waiting = true;
      p.blockers.push_back("not replicated yet: the mirror has copied up to offset " +
                           std::to_string(covered->next_source.value) + ", the group committed " + std::to_string(c));
    }
  } else if (covered) {
    // Before the first copied record: exact if no source record lies between (deleted, or gaps).
    auto next = first_record(c);
    if (!next) return;
    if (!*next || (*next)->offset >= covered->first_source.value) {
      exact(covered->first_target.value, "records before " + std::to_string(covered->first_source.value) +
                                             " are gone from the source; the group resumes at the first copy");
    } else if (!covered->complete_history) {
      p.blockers.push_back(BelowFirstKnownSync(covered->first_source.value, "source"));
    } else {
      p.blockers.push_back("records from offset " + std::to_string((*next)->offset) +
                           " on were never mirrored (the mirror's first copy is offset " +
                           std::to_string(covered->first_source.value) + ")");
    }
  } else {
    // The map knows nothing of this partition.
    auto next = first_record(c);
    if (!next) return;
    if (!*next) {
      if (watermarks.low == watermarks.high) {
        // An empty partition: the mirror's first copy will land at the target's end.
        auto end = clusters_.target.Watermarks(p.to);
        if (!end.ok()) {
          p.blockers.push_back("cannot read the target partition: " + end.error().message());
          return;
        }
        exact(end->high, "the source partition is empty: the group resumes at the target's end");
      } else {
        p.waiting = true;
        p.blockers.push_back("not replicated yet: the offset map has no entry for this partition");
      }
      return;
    }
    // The mirror may not have synced this partition yet: a move that waits looks again.
    p.waiting = true;
    auto t = clusters_.target.OffsetForTimestamp(p.to, (*next)->timestamp);
    if (!t.ok() || !*t) {
      p.blockers.push_back("no translation: the offset map has no entry for this partition and the target has no "
                           "record at or after timestamp " + std::to_string((*next)->timestamp) +
                           (t.ok() ? "" : " (" + t.error().message() + ")"));
      return;
    }
    Approximate(p, **t, "by timestamp",
                "by timestamp " + std::to_string((*next)->timestamp) + " of source offset " + std::to_string((*next)->offset));
  }
}

void GroupCutover::TranslateBack(PartitionPlan& p, const std::optional<tasks::OffsetMap::Coverage>& covered) {
  // `from` is the target partition, `to` the source partition.
  const TopicPartition& source = p.to;
  const int64_t u = p.committed;
  if (auto s = map_.Backward(source, TargetOffset(u))) {
    switch (s->inexact) {
      case tasks::OffsetMap::Inexact::kTwoWriters:
        p.blockers.push_back(TwoWriters(covered));
        break;
      case tasks::OffsetMap::Inexact::kNo:
        p.translated = s->offset.value;
        p.translation = Translation::kExact;
        break;
      case tasks::OffsetMap::Inexact::kRunEndUnsaid:
        Approximate(p, s->offset.value, "MM2's offset syncs", kUnsaidRunEnd);
        break;
      case tasks::OffsetMap::Inexact::kReadAgain:
        Approximate(p, s->offset.value, "records read again",
                    "the group read target records up to " + std::to_string(u) + " that are not the newest copies (a "
                    "stretch copied again after a restart, or records written there by others): it reads their "
                    "sources again from " + std::to_string(s->offset.value));
        break;
    }
  } else if (covered && u < covered->first_target.value && !covered->complete_history) {
    p.blockers.push_back(BelowFirstKnownSync(covered->first_target.value, "target"));
  } else if (covered && u < covered->first_target.value) {
    p.translated = covered->first_source.value;
    p.translation = Translation::kExact;
    p.note = "the group has read no mirrored record yet";
  } else if (covered) {
    p.waiting = true;
    p.blockers.push_back("the offset map covers " + p.from.topic + " up to offset " +
                         std::to_string(covered->next_target.value) + ", the group committed " + std::to_string(u) +
                         ": waiting for the mirror's next offset sync (or these records were written to the "
                         "target directly and have no source)");
  } else {
    auto next = clusters_.target.FirstRecordAtOrAfter(p.from, u);
    if (!next.ok()) {
      p.blockers.push_back("cannot read the target partition: " + next.error().message());
      return;
    }
    std::optional<int64_t> s;
    std::string why;
    if (*next) {
      auto found = clusters_.source.OffsetForTimestamp(source, (**next).timestamp);
      if (found.ok()) s = *found;
      else why = " (" + found.error().message() + ")";
    }
    p.waiting = true;  // the mirror may not have synced this partition yet
    if (!s) {
      p.blockers.push_back("no translation: the offset map has no entry for this partition" +
                           std::string(*next ? " and the source has no record that late" : "") + why);
      return;
    }
    Approximate(p, *s, "by timestamp",
                "by timestamp " + std::to_string((**next).timestamp) + " of target offset " + std::to_string((**next).offset));
  }
}

Result<MoveReport> GroupCutover::Move(const std::string& group, Direction direction, const MoveOptions& options) {
  const auto deadline = std::chrono::steady_clock::now() + options.wait;
  for (;;) {
    auto plan = Plan(group, direction, options);
    if (!plan.ok()) return plan.error();
    if (plan->ready()) return Commit(std::move(*plan));
    const auto now = std::chrono::steady_clock::now();
    if (!plan->waiting_only() || now >= deadline) return MoveReport{MoveReport::Outcome::kRefused, std::move(*plan), {}, {}};
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(std::chrono::milliseconds(500), deadline - now));
  }
}

std::string GroupCutover::MovedOnTheSideItLeaves(const GroupPlan& p) {
  // A consumer that started there between the plan and the commit read on from what was translated:
  // the destination's offsets would make the group read those records again.
  kafka::Admin& from_admin = p.direction == Direction::kCutover ? clusters_.source_admin : clusters_.target_admin;
  std::vector<TopicPartition> from_partitions;
  for (const PartitionPlan& part : p.partitions) from_partitions.push_back(part.from);
  auto now = from_admin.ListConsumerGroupOffsets(p.group, from_partitions);
  if (!now.ok()) return "cannot confirm the group stayed put on cluster " + p.from_cluster + ": " + now.error().message();
  for (const PartitionPlan& part : p.partitions) {
    auto it = now->find(part.from);
    if (it == now->end() || it->second.offset != part.committed) {
      return "the group committed " + (it == now->end() ? std::string("nothing") : At(part.from, it->second.offset)) +
             " on cluster " + p.from_cluster + " after the plan read " + At(part.from, part.committed) +
             ": a consumer ran there meanwhile";
    }
  }
  auto state = from_admin.DescribeConsumerGroupState(p.group);
  if (!state.ok()) return "cannot confirm the group stayed put on cluster " + p.from_cluster + ": " + state.error().message();
  if (state->members > 0 || state->active()) {
    return "group " + Quoted(p.group) + " has active members on cluster " + p.from_cluster + " since the plan";
  }
  return "";
}

MoveReport GroupCutover::Commit(GroupPlan plan) {
  const bool forward = plan.direction == Direction::kCutover;
  kafka::Admin& to_admin = forward ? clusters_.target_admin : clusters_.source_admin;
  MoveReport report;
  report.plan = std::move(plan);
  const GroupPlan& p = report.plan;
  JournalEntry entry;
  entry.group = p.group;
  entry.direction = p.direction;
  entry.state = JournalEntry::State::kCommitting;
  entry.time_ms = NowMs();
  entry.connector = p.connector;
  kafka::GroupOffsets writes;
  std::vector<TopicPartition> to_partitions;
  for (const PartitionPlan& part : p.partitions) {
    CHECK(part.translated) << "a ready plan translates every partition: " << part.from;
    entry.partitions.push_back({part.from, part.committed, part.to, *part.translated, part.current});
    writes[part.to] = {*part.translated, part.metadata};
    to_partitions.push_back(part.to);
  }
  report.outcome = MoveReport::Outcome::kFailed;
  if (auto r = journal_.Append(entry, journal_timeout_); !r.ok()) {
    // Nothing has changed yet: refuse rather than move unrecorded.
    entry.state = JournalEntry::State::kFailed;
    entry.error = "the move could not be journalled, nothing was changed: " + r.error().message();
    entry.restored = true;
    report.entry = entry;
    LOG(WARNING) << DirectionName(p.direction) << " of group " << Quoted(p.group) << ": " << entry.error;
    return report;
  }

  // One OffsetCommit for the whole group, then read it back: the commit is only done once seen.
  std::string failure;
  if (auto r = to_admin.AlterConsumerGroupOffsets(p.group, writes); !r.ok()) failure = r.error().message();
  auto seen = to_admin.ListConsumerGroupOffsets(p.group, to_partitions);
  if (!seen.ok()) {
    if (failure.empty()) failure = "reading the committed offsets back failed: " + seen.error().message();
  } else if (failure.empty()) {
    for (const auto& [tp, om] : writes) {
      auto it = seen->find(tp);
      if (it == seen->end() || it->second.offset != om.offset) {
        failure = "read back " + tp.ToString() + " at " + (it == seen->end() ? "none" : std::to_string(it->second.offset)) +
                  " instead of " + std::to_string(om.offset);
        break;
      }
    }
  }
  if (failure.empty()) failure = MovedOnTheSideItLeaves(p);
  if (failure.empty()) {
    entry.state = JournalEntry::State::kDone;
    report.outcome = MoveReport::Outcome::kMoved;
    LOG(INFO) << DirectionName(p.direction) << " of group " << Quoted(p.group) << " to cluster " << p.to_cluster
              << ": " << writes.size() << " partition(s) committed";
  } else {
    // Put back what changed, so the group stays whole on the side it came from. What the read-back
    // shows unchanged is left alone: Kafka refuses a commit to a group a consumer joined meanwhile
    // (UNKNOWN_MEMBER_ID) and would refuse its undo too, though nothing was written.
    kafka::GroupOffsets previous;
    std::vector<TopicPartition> had_none;
    for (const PartitionPlan& part : p.partitions) {
      if (seen.ok()) {
        auto it = seen->find(part.to);
        const std::optional<int64_t> now =
            it == seen->end() ? std::nullopt : std::optional<int64_t>(it->second.offset);
        if (now == part.current) continue;
      }
      if (part.current) previous[part.to] = {*part.current, ""};
      else had_none.push_back(part.to);
    }
    auto restored = to_admin.AlterConsumerGroupOffsets(p.group, previous);
    auto deleted = to_admin.DeleteConsumerGroupOffsets(p.group, had_none);
    entry.state = JournalEntry::State::kFailed;
    entry.error = failure;
    entry.restored = restored.ok() && deleted.ok();
    if (!restored.ok()) entry.error += "; restoring the previous offsets failed: " + restored.error().message();
    if (!deleted.ok()) entry.error += "; removing the offsets written where the group had none failed: " + deleted.error().message();
    LOG(ERROR) << DirectionName(p.direction) << " of group " << Quoted(p.group) << " failed"
               << (entry.restored ? " and was undone: " : " and could NOT be fully undone: ") << entry.error;
  }
  entry.time_ms = NowMs();
  if (auto r = journal_.Append(entry, journal_timeout_); !r.ok()) {
    report.journal_error = r.error().message();
    LOG(ERROR) << "the end of the " << DirectionName(p.direction) << " of group " << Quoted(p.group)
               << " (" << StateName(entry.state) << ") was not journalled: " << report.journal_error;
  }
  report.entry = std::move(entry);
  return report;
}

Result<GroupStatus> GroupCutover::Status(const std::string& group) {
  GroupStatus status;
  status.group = group;
  status.connector = flow_.connector;
  auto last = journal_.Latest(group, journal_timeout_);
  if (!last.ok()) return last.error();
  status.last = *last;
  if (!status.last) {
    status.position = "source";
  } else if (status.last->state == JournalEntry::State::kDone ||
             (status.last->state == JournalEntry::State::kFailed && status.last->restored)) {
    const bool on_target = (status.last->direction == Direction::kCutover) == (status.last->state == JournalEntry::State::kDone);
    status.position = on_target ? "target" : "source";
  } else {
    status.position = "unknown";
  }
  auto pairs = MirroredPartitions();
  if (!pairs.ok()) return pairs.error();
  std::vector<TopicPartition> sources, targets;
  for (const Pair& pair : *pairs) {
    sources.push_back(pair.source);
    targets.push_back(pair.target);
  }
  auto on_source = clusters_.source_admin.ListConsumerGroupOffsets(group, sources);
  if (!on_source.ok()) return on_source.error();
  auto on_target = clusters_.target_admin.ListConsumerGroupOffsets(group, targets);
  if (!on_target.ok()) return on_target.error();
  for (const Pair& pair : *pairs) {
    GroupStatus::Partition part{pair.source, pair.target, std::nullopt, std::nullopt};
    if (auto it = on_source->find(pair.source); it != on_source->end() && it->second.offset >= 0) {
      part.source_committed = it->second.offset;
    }
    if (auto it = on_target->find(pair.target); it != on_target->end() && it->second.offset >= 0) {
      part.target_committed = it->second.offset;
    }
    if (part.source_committed || part.target_committed) status.partitions.push_back(std::move(part));
  }
  if (!status.last && status.partitions.empty()) {
    return Error::NotFound("group " + Quoted(group) + " has no committed offsets for the topics mirror " +
                           Quoted(flow_.connector) + " copies, on either cluster");
  }
  auto describe = [&](kafka::Admin& admin, const std::string& cluster, std::optional<kafka::GroupDescription>& out) {
    auto d = admin.DescribeConsumerGroupState(group);
    if (d.ok()) out = *d;
    else status.warnings.push_back("the group's state on cluster " + cluster + " is unknown: " + d.error().message());
  };
  describe(clusters_.source_admin, flow_.source_alias, status.source_group);
  describe(clusters_.target_admin, flow_.target_alias, status.target_group);
  return status;
}

}  // namespace ferry::cutover
