#include "tasks/resume_point.h"

#include <algorithm>
#include <deque>

namespace ferry::tasks {
namespace {

// Records read per request while comparing: bounds the memory a comparison holds per side.
constexpr size_t kCompareChunk = 500;

std::string At(const TopicPartition& tp, int64_t offset) { return tp.ToString() + "@" + std::to_string(offset); }

// The stored position, and how many target records past its copy will be copied again.
Resume Fallback(const ResumeFacts& facts, int64_t target_end, std::string reason, int64_t compared = 0) {
  Resume r;
  r.next_source = facts.committed;
  r.compared = compared;
  r.reason = std::move(reason);
  if (facts.committed_lands_at >= 0 && target_end >= 0) {
    r.duplicates = std::max<int64_t>(0, target_end - facts.committed_lands_at);
  } else if (facts.committed < 0 && target_end == 0) {
    r.duplicates = 0;  // nothing stored and nothing on the target: a first start
  } else {
    r.duplicates = -1;
  }
  return r;
}

void AddCopy(std::vector<CopyRun>& runs, int64_t source, int64_t target) {
  if (!runs.empty()) {
    CopyRun& last = runs.back();
    if (source == last.source + last.count && target == last.target + last.count) {
      ++last.count;
      return;
    }
  }
  runs.push_back({source, target, 1});
}

// Compares target [synced_target, target_end) with the source from synced_source on; the exact
// resume, or the fallback saying where the proof failed.
Resume Compare(const TopicPartition& source, const TopicPartition& target, const ResumeFacts& facts,
               PartitionReader& source_reader, PartitionReader& target_reader, int64_t source_end,
               int64_t target_end) {
  Resume r;
  int64_t next_target = facts.synced_target;
  int64_t next_source = facts.synced_source;
  std::deque<kafka::Record> pending;  // source records read, not yet compared
  while (next_target < target_end) {
    auto copies = target_reader.Read(target, next_target, target_end, kCompareChunk);
    if (!copies.ok()) return Fallback(facts, target_end, "reading the target: " + copies.error().message(), r.compared);
    if (copies->empty()) {
      return Fallback(facts, target_end, "the target's records " + At(target, next_target) + " .. " +
                                             std::to_string(target_end - 1) + " could not be read", r.compared);
    }
    for (const kafka::Record& copy : *copies) {
      if (copy.offset != next_target) {
        return Fallback(facts, target_end, "target offsets " + std::to_string(next_target) + " .. " +
                                               std::to_string(copy.offset - 1) + " of " + target.ToString() +
                                               " hold no record (compacted, deleted or transaction markers)", r.compared);
      }
      if (pending.empty()) {
        auto more = source_reader.Read(source, next_source, source_end, kCompareChunk);
        if (!more.ok()) return Fallback(facts, target_end, "reading the source: " + more.error().message(), r.compared);
        pending.assign(more->begin(), more->end());
      }
      if (pending.empty()) {
        return Fallback(facts, target_end, "the target holds records past the copies of every source record (" +
                                               At(target, copy.offset) + " has no source record left to be a copy "
                                               "of): another producer wrote it", r.compared);
      }
      const kafka::Record& original = pending.front();
      if (r.compared == 0 && original.offset != facts.synced_source) {
        return Fallback(facts, target_end, "the synced source record " + At(source, facts.synced_source) +
                                               " is gone (compacted or deleted)", r.compared);
      }
      if (!original.SameContent(copy)) {
        // Offsets only: the records' contents are the users' data.
        return Fallback(facts, target_end, At(target, copy.offset) + " is not a copy of " + At(source, original.offset) +
                                               " (key, value, timestamp or headers differ): another producer wrote "
                                               "the target", r.compared);
      }
      if (r.compared > 0) AddCopy(r.copies, original.offset, copy.offset);
      ++r.compared;
      next_source = original.offset + 1;
      ++next_target;
      pending.pop_front();
    }
  }
  if (facts.committed >= 0 && next_source < facts.committed) {
    return Fallback(facts, target_end, "the copies on the target end at source offset " + std::to_string(next_source) +
                                           ", below the stored position " + std::to_string(facts.committed) +
                                           ": target records were lost", r.compared);
  }
  r.mode = ResumeMode::kExact;
  r.next_source = next_source;
  r.next_target = target_end;
  r.synced_next_source = facts.synced_source + 1;
  r.duplicates = 0;
  r.reason = "the target's " + std::to_string(r.compared - 1) + " records past the copy of the last offset sync (" +
             At(source, facts.synced_source) + " -> " + std::to_string(facts.synced_target) +
             ") are its copies; resuming at source offset " + std::to_string(next_source) +
             (facts.committed >= 0 ? " (stored position " + std::to_string(facts.committed) + ")" : "");
  return r;
}

}  // namespace

Result<ResumeMode> ParseResumeMode(const std::string& value) {
  if (value.empty() || value == "committed") return ResumeMode::kCommitted;
  if (value == "exact") return ResumeMode::kExact;
  return Error::InvalidConfig(kResumeModeConfig, "'" + value + "' is neither committed nor exact");
}

Resume DecideResume(ResumeMode mode, const TopicPartition& source, const TopicPartition& target,
                    const ResumeFacts& facts, PartitionReader& source_reader, PartitionReader& target_reader,
                    int64_t max_compare) {
  // Committed mode reads nothing: its starts cost what they cost before (duplicates not counted).
  if (mode == ResumeMode::kCommitted) return Fallback(facts, -1, "ferry.resume.mode=committed");
  auto target_marks = target_reader.Marks(target);
  const int64_t target_end = target_marks.ok() ? target_marks->high : -1;
  if (!target_marks.ok()) return Fallback(facts, -1, "the target's end is unknown: " + target_marks.error().message());
  if (facts.synced_source < 0) {
    return Fallback(facts, target_end, "no offset sync names a copy of " + source.ToString());
  }
  if (facts.contested) return Fallback(facts, target_end, "two writers copied " + source.ToString() + " at once");
  if (facts.committed >= 0 && facts.synced_source + 1 < facts.committed) {
    return Fallback(facts, target_end, "the offset syncs end at source offset " + std::to_string(facts.synced_source + 1) +
                                           ", below the stored position " + std::to_string(facts.committed));
  }
  if (target_marks->low > facts.synced_target || target_end <= facts.synced_target) {
    return Fallback(facts, target_end, "the synced copy " + At(target, facts.synced_target) + " is not in the target's log (" +
                                           std::to_string(target_marks->low) + " .. " + std::to_string(target_end) + ")");
  }
  if (target_end - facts.synced_target - 1 > max_compare) {
    return Fallback(facts, target_end, std::to_string(target_end - facts.synced_target - 1) +
                                           " target records past the last offset sync, more than " +
                                           std::string(kResumeMaxCompareConfig) + "=" + std::to_string(max_compare));
  }
  auto source_marks = source_reader.Marks(source);
  if (!source_marks.ok()) return Fallback(facts, target_end, "the source's end is unknown: " + source_marks.error().message());
  if (source_marks->low > facts.synced_source || source_marks->high <= facts.synced_source) {
    return Fallback(facts, target_end, "the synced source record " + At(source, facts.synced_source) + " is not in the source's log (" +
                                           std::to_string(source_marks->low) + " .. " + std::to_string(source_marks->high) + ")");
  }
  return Compare(source, target, facts, source_reader, target_reader, source_marks->high, target_end);
}

}  // namespace ferry::tasks
