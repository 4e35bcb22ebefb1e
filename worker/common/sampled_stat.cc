#include "worker/common/sampled_stat.h"

#include <algorithm>

namespace ferry::metrics {

SampledStat::Measure SampledStat::At(int64_t now_ms) const {
  Measure m;
  int64_t oldest = now_ms;
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();
  for (const Sample* s : {&previous_, &current_}) {
    // Kafka purges a sample once it is older than all windows together.
    if (s->start_ms < 0 || now_ms - s->start_ms >= 2 * kWindowMs) continue;
    oldest = std::min(oldest, s->start_ms);
    m.count += s->count;
    m.sum += s->sum;
    min = std::min(min, s->min);
    max = std::max(max, s->max);
  }
  if (m.count > 0) {
    m.min = min;
    m.max = max;
    m.avg = m.sum / static_cast<double>(m.count);
  }
  // Kafka's Rate: over the span of the samples kept, counted as at least one full window more than
  // has passed when less than a window has (so a first burst does not read as a huge rate).
  int64_t elapsed = now_ms - oldest;
  if (elapsed < kWindowMs) elapsed += kWindowMs;
  m.rate = m.sum * 1000.0 / static_cast<double>(elapsed);
  return m;
}

}  // namespace ferry::metrics
