// The JSON answers of the cutover endpoints and `ferry cutover` (docs/cutover.md shows them).
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "worker/common/json.h"
#include "worker/cutover/group_cutover.h"
#include "worker/cutover/service.h"

namespace ferry::cutover {
namespace {

using Writer = json::Writer;


void Optional(Writer& w, const char* key, const std::optional<int64_t>& value) {
  w.Key(key);
  value ? w.Int64(*value) : w.Null();
}


void Group(Writer& w, const char* key, const std::optional<kafka::GroupDescription>& group) {
  w.Key(key);
  if (!group) {
    w.Null();
    return;
  }
  w.StartObject();
  json::StringMember(w, "state", kafka::GroupStateName(group->state));
  w.Key("members");
  group->members_unknown ? w.Null() : w.Int(group->members);  // null: a KIP-848 group's, not countable
  w.EndObject();
}

void Plan(Writer& w, const GroupPlan& plan) {
  w.StartObject();
  json::StringMember(w, "group", plan.group);
  json::StringMember(w, "connector", plan.connector);
  json::StringMember(w, "direction", DirectionName(plan.direction));
  json::StringMember(w, "from_cluster", plan.from_cluster);
  json::StringMember(w, "to_cluster", plan.to_cluster);
  Group(w, "from_group", plan.from_group);
  Group(w, "to_group", plan.to_group);
  w.Key("ready"), w.Bool(plan.ready());
  json::StringsMember(w, "blockers", plan.blockers);
  w.Key("partitions");
  w.StartArray();
  for (const PartitionPlan& p : plan.partitions) {
    w.StartObject();
    json::StringMember(w, "from_topic", p.from.topic);
    w.Key("from_partition"), w.Int(p.from.partition);
    w.Key("committed"), w.Int64(p.committed);
    json::StringMember(w, "to_topic", p.to.topic);
    w.Key("to_partition"), w.Int(p.to.partition);
    Optional(w, "translated", p.translated);
    json::StringMember(w, "translation", TranslationName(p.translation));
    Optional(w, "current", p.current);
    Optional(w, "replicated_to", p.replicated_to);
    w.Key("source_end"), w.Int64(p.source_end);
    if (!p.note.empty()) json::StringMember(w, "note", p.note);
    json::StringsMember(w, "blockers", p.blockers);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

void Entry(Writer& w, const JournalEntry& e) {
  // The journal's own JSON, embedded as an object.
  const std::string text = e.ToJson();
  w.RawValue(text.c_str(), text.size(), rapidjson::kObjectType);
}

}  // namespace

std::string ToJson(const GroupPlan& plan) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  Plan(w, plan);
  return buffer.GetString();
}

std::string ToJson(const MoveReport& report) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  json::StringMember(w, "outcome", OutcomeName(report.outcome));
  w.Key("plan");
  Plan(w, report.plan);
  w.Key("journal");
  if (report.entry) Entry(w, *report.entry);
  else w.Null();
  if (!report.journal_error.empty()) json::StringMember(w, "journal_error", report.journal_error);
  w.EndObject();
  return buffer.GetString();
}

std::string ToJson(const GroupStatus& status) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  json::StringMember(w, "group", status.group);
  json::StringMember(w, "connector", status.connector);
  json::StringMember(w, "position", status.position);
  w.Key("last");
  if (status.last) Entry(w, *status.last);
  else w.Null();
  Group(w, "source_group", status.source_group);
  Group(w, "target_group", status.target_group);
  w.Key("partitions");
  w.StartArray();
  for (const GroupStatus::Partition& p : status.partitions) {
    w.StartObject();
    json::StringMember(w, "source_topic", p.source.topic);
    json::StringMember(w, "target_topic", p.target.topic);
    w.Key("partition"), w.Int(p.source.partition);
    Optional(w, "source_committed", p.source_committed);
    Optional(w, "target_committed", p.target_committed);
    w.EndObject();
  }
  w.EndArray();
  json::StringsMember(w, "warnings", status.warnings);
  w.EndObject();
  return buffer.GetString();
}

std::string ToJson(const PositionsReport& report) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  json::StringMember(w, "connector", report.connector);
  json::StringMember(w, "direction", report.direction == Direction::kCutover ? "forward" : "backward");
  json::StringMember(w, "from_cluster", report.from_cluster);
  json::StringMember(w, "to_cluster", report.to_cluster);
  w.Key("positions");
  w.StartArray();
  for (const PartitionPlan& p : report.positions) {
    const PositionAnswer answer = PositionAnswerOf(p);
    w.StartObject();
    json::StringMember(w, "topic", p.from.topic);
    w.Key("partition"), w.Int(p.from.partition);
    w.Key("offset"), w.Int64(p.committed);
    json::StringMember(w, "answer", PositionAnswerName(answer));
    w.Key("translated");
    if (answer == PositionAnswer::kExact || answer == PositionAnswer::kApproximate) {
      w.StartObject();
      json::StringMember(w, "topic", p.to.topic);
      w.Key("partition"), w.Int(p.to.partition);
      w.Key("offset"), w.Int64(*p.translated);
      w.EndObject();
    } else {
      w.Null();
    }
    if (answer == PositionAnswer::kApproximate) json::StringMember(w, "approximate_by", p.approximate_by);
    if (!p.note.empty()) json::StringMember(w, "note", p.note);
    Optional(w, "replicated_to", p.replicated_to);
    json::StringsMember(w, "reasons", p.blockers);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return buffer.GetString();
}

std::string ToJson(const VerifyReport& report) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  json::StringMember(w, "connector", report.connector);
  w.Key("ok"), w.Bool(report.ok());
  w.Key("partitions");
  w.StartArray();
  for (const PartitionVerification& p : report.partitions) {
    w.StartObject();
    json::StringMember(w, "source_topic", p.source.topic);
    json::StringMember(w, "target_topic", p.target.topic);
    w.Key("partition"), w.Int(p.source.partition);
    w.Key("source_start"), w.Int64(p.source_start);
    w.Key("source_end"), w.Int64(p.source_end);
    w.Key("target_start"), w.Int64(p.target_start);
    w.Key("target_end"), w.Int64(p.target_end);
    w.Key("records"), w.Int64(p.records);
    json::StringMember(w, "source_digest", p.source_digest);
    json::StringMember(w, "target_digest", p.target_digest);
    w.Key("ok"), w.Bool(p.ok());
    w.Key("first_mismatch");
    if (p.first_mismatch) {
      w.StartObject();
      w.Key("source_offset"), w.Int64(p.first_mismatch->source_offset);
      w.Key("target_offset"), w.Int64(p.first_mismatch->target_offset);
      json::StringMember(w, "what", p.first_mismatch->what);
      w.EndObject();
    } else {
      w.Null();
    }
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return buffer.GetString();
}

}  // namespace ferry::cutover
