#include "tasks/offset_map.h"

#include <algorithm>

#include <glog/logging.h>

namespace ferry::tasks {

void OffsetMap::OnOffsetSync(const OffsetSync& sync) {
  std::lock_guard lock(mu_);
  PartitionMap& p = partitions_[sync.source];
  // Everything from this source offset on was copied again; the old copies no longer count.
  for (auto run = p.runs.lower_bound(sync.source_offset.value); run != p.runs.end(); ++run) {
    p.runs_by_target.erase(run->second);
  }
  p.runs.erase(p.runs.lower_bound(sync.source_offset.value), p.runs.end());
  p.runs.emplace(sync.source_offset.value, sync.target_offset.value);
  p.runs_by_target[sync.target_offset.value] = sync.source_offset.value;
  p.next_source = sync.source_offset.value;
  p.next_target = sync.target_offset.value;
}

void OffsetMap::OnCopied(const TopicPartition& source, SourceOffset next_source, TargetOffset next_target) {
  std::lock_guard lock(mu_);
  PartitionMap& p = partitions_[source];
  p.next_source = next_source.value;
  p.next_target = next_target.value;
}

std::optional<TargetOffset> OffsetMap::Translate(const TopicPartition& source, SourceOffset committed) const {
  std::lock_guard lock(mu_);
  auto it = partitions_.find(source);
  if (it == partitions_.end()) return std::nullopt;
  const PartitionMap& p = it->second;
  const int64_t c = committed.value;
  if (p.runs.empty() || c < p.runs.begin()->first || c > p.next_source) return std::nullopt;
  // The run that holds c, or the last run before it.
  auto run = std::prev(p.runs.upper_bound(c));
  auto next = std::next(run);
  // Targets are consecutive: a run ends where the next run's target starts (or at next_target).
  const int64_t run_end_target = next == p.runs.end() ? p.next_target : next->second;
  const int64_t run_length = run_end_target - run->second;
  if (c - run->first < run_length) return TargetOffset(run->second + (c - run->first));
  // c is in the gap after the run: the first record after it is the first of the next run.
  return TargetOffset(run_end_target);
}

std::optional<SourceOffset> OffsetMap::TranslateBack(const TopicPartition& source,
                                                     TargetOffset committed) const {
  std::lock_guard lock(mu_);
  auto it = partitions_.find(source);
  if (it == partitions_.end()) return std::nullopt;
  const PartitionMap& p = it->second;
  const int64_t t = committed.value;
  if (p.runs_by_target.empty() || t < p.runs_by_target.begin()->first || t > p.next_target) {
    return std::nullopt;
  }
  if (t == p.next_target) return SourceOffset(p.next_source);
  // The run whose target range holds t: the last one starting at or before it.
  auto by_target = std::prev(p.runs_by_target.upper_bound(t));
  auto run = p.runs.find(by_target->second);
  CHECK(run != p.runs.end()) << source << ": run at target " << by_target->first << " missing by source";
  auto next = std::next(run);
  const int64_t run_end_source = next == p.runs.end() ? p.next_source : next->first;
  // One for one within the run. Past the run's last source record the target record is not a copy
  // of this run (copied twice, or written by someone else): the next copy is the next run's first.
  return SourceOffset(std::min(run->first + (t - run->second), run_end_source));
}

std::optional<OffsetMap::Coverage> OffsetMap::Covered(const TopicPartition& source) const {
  std::lock_guard lock(mu_);
  auto it = partitions_.find(source);
  if (it == partitions_.end() || it->second.runs.empty()) return std::nullopt;
  const PartitionMap& p = it->second;
  return Coverage{SourceOffset(p.runs.begin()->first), TargetOffset(p.runs.begin()->second),
                  SourceOffset(p.next_source), TargetOffset(p.next_target)};
}

size_t OffsetMap::sync_count(const TopicPartition& source) const {
  std::lock_guard lock(mu_);
  auto it = partitions_.find(source);
  return it == partitions_.end() ? 0 : it->second.runs.size();
}

}  // namespace ferry::tasks
