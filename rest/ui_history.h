// The status page's memory (GET /ui plots "the last minutes", docs/operations.md "The status page").
//
// TopicHistory keeps, per mirrored topic (a flow's target alias and remote topic), three figures per
// sample: records copied per second (from the growth of MM2's record-count since the previous sample),
// records waiting (the sum of ferry_mirror_lag_records) and seconds behind (the largest
// ferry_mirror_lag_seconds: 0 when no record waits). Samples share one ring of times; a topic missing
// from a sample has no value there.
//
// UiHistory runs a thread that every `interval` collects the figures GET /metrics renders (the tasks'
// published progress: no Kafka call, not the herder thread, nothing on the per-record path) and
// records them. GET /ferry/ui/history serves it as JSON.
//
// Memory is bounded: `points` times, and per topic three floats per point, for at most `max_series`
// topics (the defaults, 450 points of 2 s = 15 minutes and 256 topics: 256 x 3 x 450 x 4 bytes = 1.4
// MB at most, plus the names); a topic past the bound is counted as dropped, not kept. A topic absent
// for the whole window is forgotten.
//
// Thread-safety: TopicHistory is not thread-safe; UiHistory's methods may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "rest/metrics_routes.h"
#include "worker/common/metrics.h"

namespace ferry::rest {

class TopicHistory {
 public:
  struct Options {
    size_t points = 450;
    size_t max_series = 256;
  };
  explicit TopicHistory(Options options);

  // One sample at `now_ms` (wall clock, ms since the epoch) of what `figures` holds: the samples of
  // MM2's record-count, ferry_mirror_lag_records and ferry_mirror_lag_seconds,
  // flow-labelled for a `ferry mirror-maker` flow. Times must not go back (a sample that would is
  // dropped).
  void Record(int64_t now_ms, const metrics::Exposition& figures);

  // The points later than `since_ms` as JSON: {"times":[ms…],"series":[{"flow","target","topic",
  // "records_per_second":[…],"lag_records":[…],"lag_seconds":[…]}…],"dropped_series":n}, values
  // aligned with "times", null where a topic had no value.
  std::string Json(int64_t since_ms) const;

  size_t series() const { return series_.size(); }

 private:
  struct Series {
    std::string flow, target, topic;
    std::vector<float> rate, lag, behind;  // one per ring slot
    int64_t last_seen_ms = 0;
  };
  // The ring slot of the i-th point, oldest first.
  size_t Slot(size_t i) const { return (next_ + options_.points - size_ + i) % options_.points; }

  const Options options_;
  std::vector<int64_t> times_;            // ring of sample times
  size_t next_ = 0;                       // the slot the next sample takes
  size_t size_ = 0;                       // points held
  std::map<std::string, Series> series_;  // by flow, target and topic
  std::map<std::string, double> counts_;  // record-count per partition at the previous sample
  int64_t previous_ms_ = -1;
  size_t dropped_ = 0;                    // topics past max_series at the last sample
};

class UiHistory {
 public:
  struct Options {
    std::chrono::milliseconds interval{2000};
    TopicHistory::Options history;
  };
  // `cutover`: whether the server serves the /ferry/groups/ routes (the page says so when not).
  UiHistory(std::vector<MetricsSource> sources, bool cutover, Options options);
  UiHistory(std::vector<MetricsSource> sources, bool cutover) : UiHistory(std::move(sources), cutover, Options()) {}
  ~UiHistory();  // Stop()
  UiHistory(const UiHistory&) = delete;
  UiHistory& operator=(const UiHistory&) = delete;

  // Starts the sampling thread (once); Stop() joins it and is idempotent.
  void Start();
  void Stop();
  // Takes one sample now (the thread does this every interval).
  void SampleNow();

  // GET /ferry/ui/history: the page's settings (the interval, the window, the flows, whether the
  // cutover routes are served) and TopicHistory::Json(since_ms).
  std::string Json(int64_t since_ms) const;

 private:
  const std::vector<MetricsSource> sources_;
  const bool cutover_;
  const Options options_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mu_
  TopicHistory history_;   // guarded by mu_
  std::thread thread_;
};

}  // namespace ferry::rest
