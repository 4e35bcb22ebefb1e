// SampledStat: count, sum, min, max of the values recorded over the last one or two windows, as
// Kafka's metrics sample them (two samples of 30 s each: a value counts for 30 to 60 s after it was
// recorded), and the last value recorded. MM2's record-age-ms-max/min/avg, record-rate and the like
// are read from it at scrape time.
//
// Recording is a comparison and a few additions on plain members: no lock, no allocation, so it fits
// the per-record path. Thread-safety: none; one thread records, and others read a copy (a task
// publishes its copies with its progress).
#pragma once

#include <cstdint>
#include <limits>

namespace ferry::metrics {

class SampledStat {
 public:
  static constexpr int64_t kWindowMs = 30'000;

  struct Measure {
    int64_t count = 0;
    double sum = 0;
    double min = std::numeric_limits<double>::quiet_NaN();  // NaN without a value in the windows
    double max = std::numeric_limits<double>::quiet_NaN();
    double avg = std::numeric_limits<double>::quiet_NaN();
    // sum per second over the windows' span, at least one window long (Kafka's Rate).
    double rate = 0;
  };

  void Record(double value, int64_t now_ms) {
    if (current_.start_ms < 0 || now_ms - current_.start_ms >= kWindowMs) {
      previous_ = current_;
      current_ = Sample{now_ms};
    }
    Sample& s = current_;
    ++s.count;
    s.sum += value;
    if (value < s.min) s.min = value;
    if (value > s.max) s.max = value;
    last_ = value;
  }

  // What the windows still valid at `now_ms` hold.
  Measure At(int64_t now_ms) const;
  // The last value recorded (0 before any: Kafka's Value stat).
  double last() const { return last_; }

 private:
  struct Sample {
    int64_t start_ms = -1;
    int64_t count = 0;
    double sum = 0;
    double min = std::numeric_limits<double>::infinity();
    double max = -std::numeric_limits<double>::infinity();
  };
  Sample current_;
  Sample previous_;
  double last_ = 0;
};

}  // namespace ferry::metrics
