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

void OffsetMap::OnSyncRead(const OffsetSync& sync, bool syncs_skipped) {
  const int64_t s = sync.source_offset.value;
  const int64_t t = sync.target_offset.value;
  // Ferry's syncs name their run, so any one of them (compaction keeps the last) rebuilds it whole.
  const bool names_run = sync.run_start >= 0;
  const int64_t run_start = names_run ? sync.run_start : s;
  const int64_t run_target = run_start + (t - s);
  bool new_run;
  {
    std::lock_guard lock(mu_);
    PartitionMap& p = partitions_[sync.source];
    bool first = p.last_read_source < 0;
    bool other_writer = p.writer && sync.writer != *p.writer;
    // Two writers at once: a writer that another had taken over from still writes, or (when the
    // syncs topic was compacted, so its earlier syncs may be gone) a run of another writer whose
    // first copy lies below copies already read: a new writer's copies land past every earlier one.
    const bool replaced_writer = other_writer && p.replaced.count(sync.writer) > 0;
    const bool run_below_copies = other_writer && names_run && !first && run_target < p.next_target;
    if (replaced_writer || run_below_copies) {
      // From where either may have copied since the other began: the replaced writer's sync against
      // what the map knew of it when the newer writer took over; a run below copies already read against the first source record
      // whose copy lies at or after the run's first copy. Its later syncs are a replaced writer's.
      int64_t from = p.taken_over_at >= 0 ? std::min(s, p.taken_over_at) : s;
      if (run_below_copies) {
        from = std::min(run_start, p.runs.empty() || run_target < p.runs_by_target.begin()->first
                                       ? (p.runs.empty() ? run_start : p.runs.begin()->first)
                                       : BackwardInRuns(p, sync.source, run_target).offset.value);
        p.replaced.insert(sync.writer);
        if (p.taken_over_at < 0) p.taken_over_at = from;  // as if it had taken over from the writer there
      }
      if (!p.Contested(from)) {
        LOG(WARNING) << sync.source << ": two writers copy it at once ('" << sync.writer << "' wrote a sync at "
                     << s << " after '" << *p.writer << "' took over at " << p.writer_start
                     << "); no translation from source offset " << from << " on";
      }
      p.contested_from = p.contested_from >= 0 ? std::min(p.contested_from, from) : from;
      p.contested_until = std::numeric_limits<int64_t>::max();
      return;  // its copies are not the partition's newest: it erases nothing
    }
    if (!first && !sync.topic_id.empty() && !p.topic_id.empty() && sync.topic_id != p.topic_id) {
      // The topic was deleted and created again: its offsets are reused, so the syncs before belong
      // to the old topic's records and must never answer for the new one's.
      LOG(WARNING) << sync.source << ": offset syncs of topic ID " << sync.topic_id << " after ones of "
                   << p.topic_id << ": the topic was deleted and re-created; the map of its earlier "
                   << "incarnation is dropped";
      ForgetHistory(p, /*replace_writer=*/true);
      first = true;
      other_writer = false;
    }
    if (!first && MissesEarlierSyncs(p, sync, other_writer, syncs_skipped)) {
      LOG(WARNING) << sync.source << ": offset syncs before the run at source offset " << run_start
                   << " are gone (a run's syncs overwritten in the compacted syncs topic, or not written); "
                   << "translations below it are refused from now on";
      ForgetHistory(p, /*replace_writer=*/other_writer);
      p.complete_history = false;
      first = true;
      other_writer = false;
    }
    if (first && (syncs_skipped || sync.previous_run >= 0)) p.complete_history = false;
    if (other_writer) {
      // MM2's syncs name no writer, so MM2 running again after Ferry (a swap back) cannot be told
      // from an MM2 that never stopped: a sync of its is always a takeover, never a stale one.
      if (!p.writer->empty()) p.replaced.insert(*p.writer);
      // The new writer's copies replace everything from its start on, the contested stretch included.
      if (p.contested_from >= 0) {
        p.contested_until = std::min(p.contested_until, run_start);
        if (p.contested_until <= p.contested_from) p.contested_from = p.contested_until = -1;
      }
    }
    if (!p.writer || other_writer) {
      p.writer = sync.writer;
      p.writer_start = run_start;
      p.taken_over_at = p.last_read_source < 0 ? -1 : std::min(run_start, p.next_source);
      p.writer_names_runs = names_run;
    }
    if (names_run) {
      new_run = first || other_writer || run_start != p.writer_run_start;
      if (new_run && !first && !other_writer) ExtendLastRun(p, sync.previous_run_end);
      p.writer_run_start = run_start;
    } else {
      new_run = first || s <= p.last_read_source || t - s != p.last_read_target - p.last_read_source;
    }
    if (!sync.topic_id.empty()) p.topic_id = sync.topic_id;
    p.last_read_source = s;
    p.last_read_target = t;
  }
  if (new_run) {
    OffsetSync start = sync;
    start.source_offset = SourceOffset(run_start);
    start.target_offset = TargetOffset(run_target);
    OnOffsetSync(start);
  }
  OnCopied(sync.source, SourceOffset(s + 1), TargetOffset(t + 1));
}

void OffsetMap::ForgetHistory(PartitionMap& p, bool replace_writer) {
  std::set<std::string> replaced = std::move(p.replaced);
  if (replace_writer && p.writer && !p.writer->empty()) replaced.insert(*p.writer);
  std::string topic_id = std::move(p.topic_id);
  p = PartitionMap{};
  p.replaced = std::move(replaced);
  p.topic_id = std::move(topic_id);
}

void OffsetMap::ExtendLastRun(PartitionMap& p, int64_t end) {
  if (p.runs.empty() || end <= p.next_source) return;
  auto last = std::prev(p.runs.end());
  last->second.end = end;
  p.next_target = last->second.target + (end - last->first);
  p.next_source = end;
}

bool OffsetMap::MissesEarlierSyncs(const PartitionMap& p, const OffsetSync& sync, bool other_writer,
                                   bool syncs_skipped) {
  if (sync.run_start < 0) {
    // MM2's syncs (and older Ferry's) share one key per partition: a skip since the partition's
    // last sync may have taken the start of any run in between.
    return syncs_skipped;
  }
  if (!other_writer) {
    // The writer's next run follows the run it last wrote, or that one's syncs are gone.
    return p.writer_names_runs && sync.run_start != p.writer_run_start && sync.previous_run != p.writer_run_start;
  }
  // A writer new to the reader has no earlier runs; a takeover resumes where the syncs of the
  // writer it replaces reached (a task stores positions only after their syncs are written), so
  // a start beyond that means the replaced writer's last runs are gone.
  const int64_t resumed_at = sync.resumed_at >= 0 ? std::min(sync.resumed_at, sync.run_start) : sync.run_start;
  return sync.previous_run >= 0 || (p.writer_names_runs && p.next_source < resumed_at);
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
                  p.contested_from, p.contested_until, p.topic_id};
}

size_t OffsetMap::sync_count(const TopicPartition& source) const {
  std::lock_guard lock(mu_);
  auto it = partitions_.find(source);
  return it == partitions_.end() ? 0 : it->second.runs.size();
}

std::vector<TopicPartition> OffsetMap::Partitions() const {
  std::lock_guard lock(mu_);
  std::vector<TopicPartition> out;
  out.reserve(partitions_.size());
  for (const auto& [tp, p] : partitions_) out.push_back(tp);
  return out;
}

}  // namespace ferry::tasks
