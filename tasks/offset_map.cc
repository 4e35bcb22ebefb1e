#include "tasks/offset_map.h"

#include <algorithm>
#include <limits>

#include <glog/logging.h>

namespace ferry::tasks {

void OffsetMap::OnOffsetSync(const OffsetSync& sync) {
  std::lock_guard lock(mu_);
  PartitionMap& p = partitions_[sync.source];
  const int64_t s = sync.source_offset.value;
  // Everything from this source offset on was copied again; the old copies no longer count.
  for (auto run = p.runs.lower_bound(s); run != p.runs.end(); ++run) p.runs_by_target.erase(run->second.target);
  p.runs.erase(p.runs.lower_bound(s), p.runs.end());
  if (!p.runs.empty()) {
    Run& previous = std::prev(p.runs.end())->second;
    previous.end = std::min(previous.end, s);
  }
  p.runs.emplace(s, Run{sync.target_offset.value, s, sync.run_ends_reported, sync.lost_from, sync.lost_to});
  p.runs_by_target[sync.target_offset.value] = s;
  if (p.runs.size() > max_runs_) {
    if (p.complete_history) {
      LOG(WARNING) << sync.source << ": more than " << max_runs_ << " runs (one per gap in the source); "
                   << "forgetting the oldest, so groups before source offset " << std::next(p.runs.begin())->first
                   << " are refused from now on";
    }
    p.runs_by_target.erase(p.runs.begin()->second.target);
    p.runs.erase(p.runs.begin());
    p.complete_history = false;
  }
  p.next_source = s;
  p.next_target = sync.target_offset.value;
}

void OffsetMap::OnCopied(const TopicPartition& source, SourceOffset next_source, TargetOffset next_target) {
  std::lock_guard lock(mu_);
  PartitionMap& p = partitions_[source];
  p.next_source = next_source.value;
  p.next_target = next_target.value;
  if (!p.runs.empty()) {
    auto last = std::prev(p.runs.end());
    if (next_source.value > last->first) last->second.end = next_source.value;
  }
}

void OffsetMap::OnSyncRead(const OffsetSync& sync, bool older_syncs_may_be_gone) {
  const int64_t s = sync.source_offset.value;
  const int64_t t = sync.target_offset.value;
  bool same_run;
  {
    std::lock_guard lock(mu_);
    PartitionMap& p = partitions_[sync.source];
    if (p.last_read_source < 0 && older_syncs_may_be_gone) p.complete_history = false;
    if (p.writer && sync.writer != *p.writer) {
      if (p.replaced.count(sync.writer)) {
        // A writer that was taken over from still writes: both copy this partition at once.
        const int64_t from = std::min(s, p.writer_start);
        if (!p.Contested(from)) {
          LOG(WARNING) << sync.source << ": two writers copy it at once ('" << sync.writer << "' wrote a sync at "
                       << s << " after '" << *p.writer << "' took over at " << p.writer_start
                       << "); no translation from source offset " << from << " on";
        }
        p.contested_from = p.contested_from >= 0 ? std::min(p.contested_from, from) : from;
        p.contested_until = std::numeric_limits<int64_t>::max();
        return;  // its copies are not the partition's newest: it erases nothing
      }
      // MM2's syncs name no writer, so MM2 running again after Ferry (a swap back) cannot be told
      // from an MM2 that never stopped: a sync of its is always a takeover, never a stale one.
      if (!p.writer->empty()) p.replaced.insert(*p.writer);
      // The new writer's copies replace everything from s on, the contested stretch included.
      if (p.contested_from >= 0) {
        p.contested_until = std::min(p.contested_until, s);
        if (p.contested_until <= p.contested_from) p.contested_from = p.contested_until = -1;
      }
    }
    if (!p.writer || sync.writer != *p.writer) {
      p.writer = sync.writer;
      p.writer_start = s;
    }
    same_run = p.last_read_source >= 0 && s > p.last_read_source && t - s == p.last_read_target - p.last_read_source;
    p.last_read_source = s;
    p.last_read_target = t;
  }
  if (!same_run) OnOffsetSync(sync);
  OnCopied(sync.source, SourceOffset(s + 1), TargetOffset(t + 1));
}

std::optional<OffsetMap::Translated<TargetOffset>> OffsetMap::Forward(const TopicPartition& source,
                                                                      SourceOffset committed) const {
  std::lock_guard lock(mu_);
  auto it = partitions_.find(source);
  if (it == partitions_.end()) return std::nullopt;
  const PartitionMap& p = it->second;
  const int64_t c = committed.value;
  if (p.runs.empty() || c < p.runs.begin()->first || c > p.next_source) return std::nullopt;
  auto translated = [&]() -> Translated<TargetOffset> {
    // The run that holds c, or the last run before it.
    auto run = std::prev(p.runs.upper_bound(c));
    const Run& r = run->second;
    if (c < r.end) return {TargetOffset(r.target + (c - run->first))};
    auto next = std::next(run);
    if (next == p.runs.end()) return {TargetOffset(p.next_target)};  // c == next_source
    // c is in the gap after the run: the first record after it is the first of the next run...
    if (r.end_reported) {
      Translated<TargetOffset> answer{TargetOffset(next->second.target)};
      const Run& n = next->second;
      if (n.lost_from >= 0 && std::max(c, n.lost_from) < n.lost_to) {
        answer.lost_from = std::max(c, n.lost_from);
        answer.lost_to = n.lost_to;
      }
      return answer;
    }
    // ... unless the writer left where the run ends unsaid: MM2's answer, one past its last copy.
    return {TargetOffset(r.target + (r.end - run->first)), Inexact::kRunEndUnsaid};
  }();
  if (p.Contested(c)) translated.inexact = Inexact::kTwoWriters;
  return translated;
}

std::optional<OffsetMap::Translated<SourceOffset>> OffsetMap::Backward(const TopicPartition& source,
                                                                       TargetOffset committed) const {
  std::lock_guard lock(mu_);
  auto it = partitions_.find(source);
  if (it == partitions_.end()) return std::nullopt;
  const PartitionMap& p = it->second;
  const int64_t t = committed.value;
  if (p.runs_by_target.empty() || t < p.runs_by_target.begin()->first || t > p.next_target) {
    return std::nullopt;
  }
  if (t == p.next_target) {
    return Translated<SourceOffset>{SourceOffset(p.next_source),
                                    p.Contested(p.next_source) ? Inexact::kTwoWriters : Inexact::kNo};
  }
  const Translated<SourceOffset> answer = BackwardInRuns(p, source, t);
  if (p.Contested(answer.offset.value)) return Translated<SourceOffset>{answer.offset, Inexact::kTwoWriters};
  return answer;
}

OffsetMap::Translated<SourceOffset> OffsetMap::BackwardInRuns(const PartitionMap& p, const TopicPartition& source,
                                                              int64_t t) {
  // The run whose target range holds t: the last one starting at or before it.
  auto by_target = std::prev(p.runs_by_target.upper_bound(t));
  auto run = p.runs.find(by_target->second);
  CHECK(run != p.runs.end()) << source << ": run at target " << by_target->first << " missing by source";
  const Run& r = run->second;
  if (t - r.target < r.end - run->first) return Translated<SourceOffset>{SourceOffset(run->first + (t - r.target))};
  auto next = std::next(run);
  const int64_t next_source = next == p.runs.end() ? p.next_source : next->first;
  // Past the run's last copy the target record is not a copy of it (copied twice, or written by
  // someone else): the next copy is the next run's first. Exact only right after the last copy; a
  // group further on has read such records, and reads their sources again.
  const bool after_last_copy = t - r.target == r.end - run->first;
  if (r.end_reported || next == p.runs.end()) {
    return Translated<SourceOffset>{SourceOffset(next_source), after_last_copy ? Inexact::kNo : Inexact::kReadAgain};
  }
  // Where an MM2 run ends is unsaid: one past its last synced record never skips a record.
  return Translated<SourceOffset>{SourceOffset(r.end), Inexact::kRunEndUnsaid};
}

std::optional<OffsetMap::Coverage> OffsetMap::Covered(const TopicPartition& source) const {
  std::lock_guard lock(mu_);
  auto it = partitions_.find(source);
  if (it == partitions_.end() || it->second.runs.empty()) return std::nullopt;
  const PartitionMap& p = it->second;
  return Coverage{SourceOffset(p.runs.begin()->first), TargetOffset(p.runs.begin()->second.target),
                  SourceOffset(p.next_source), TargetOffset(p.next_target), p.complete_history, p.writer,
                  p.contested_from, p.contested_until};
}

size_t OffsetMap::sync_count(const TopicPartition& source) const {
  std::lock_guard lock(mu_);
  auto it = partitions_.find(source);
  return it == partitions_.end() ? 0 : it->second.runs.size();
}

}  // namespace ferry::tasks
