#include "rest/ui_history.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include <glog/logging.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "worker/common/json.h"

namespace ferry::rest {
namespace {

using Writer = json::Writer;

constexpr char kRecordCount[] = "kafka_connect_mirror_mirrorsourceconnector_record_count";
constexpr char kLagRecords[] = "ferry_mirror_lag_records";
constexpr char kLagSeconds[] = "ferry_mirror_lag_seconds";
constexpr float kNone = std::numeric_limits<float>::quiet_NaN();

std::string LabelOf(const metrics::Labels& labels, std::string_view name) {
  for (const auto& [n, v] : labels) {
    if (n == name) return v;
  }
  return "";
}

// The series a sample belongs to, and its partition, as map keys ('\x1f' cannot start a label value
// that matters here, and only equality is needed).
std::string TopicKey(const metrics::Labels& l) {
  return LabelOf(l, "flow") + '\x1f' + LabelOf(l, "target") + '\x1f' + LabelOf(l, "topic");
}
std::string PartitionKey(const metrics::Labels& l) { return TopicKey(l) + '\x1f' + LabelOf(l, "partition"); }


int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

TopicHistory::TopicHistory(Options options) : options_(options), times_(options.points, 0) {
  CHECK_GT(options_.points, 0u);
}

void TopicHistory::Record(int64_t now_ms, const metrics::Exposition& figures) {
  if (now_ms <= previous_ms_) return;
  struct Topic {
    metrics::Labels labels;
    double copied = 0;       // records since the previous sample, over partitions counted then too
    bool rated = false;      // some partition had a count at the previous sample
    double lag = 0;
    bool has_lag = false;
    double behind = 0;
  };
  std::map<std::string, Topic> topics;
  std::map<std::string, double> counts;
  figures.ForEachSample(kRecordCount, [&](const metrics::Labels& l, double value) {
    Topic& t = topics[TopicKey(l)];
    t.labels = l;
    const std::string partition = PartitionKey(l);
    counts[partition] = value;
    auto before = counts_.find(partition);
    if (before == counts_.end()) return;
    // A count below the previous one started again (the task restarted): all of it is new.
    t.copied += value >= before->second ? value - before->second : value;
    t.rated = true;
  });
  figures.ForEachSample(kLagRecords, [&](const metrics::Labels& l, double value) {
    Topic& t = topics[TopicKey(l)];
    if (t.labels.empty()) t.labels = l;
    t.lag += value;
    t.has_lag = true;
  });
  figures.ForEachSample(kLagSeconds, [&](const metrics::Labels& l, double value) {
    auto t = topics.find(TopicKey(l));
    if (t == topics.end() || !std::isfinite(value)) return;  // no lag in records, no lag in time
    t->second.behind = std::max(t->second.behind, value);
  });

  const size_t slot = next_;
  times_[slot] = now_ms;
  next_ = (next_ + 1) % options_.points;
  size_ = std::min(size_ + 1, options_.points);
  const int64_t oldest = times_[Slot(0)];
  const double seconds = previous_ms_ < 0 ? 0 : static_cast<double>(now_ms - previous_ms_) / 1000.0;
  for (auto it = series_.begin(); it != series_.end();) {
    if (it->second.last_seen_ms < oldest) {
      it = series_.erase(it);  // absent for the whole window
      continue;
    }
    it->second.rate[slot] = it->second.lag[slot] = it->second.behind[slot] = kNone;
    ++it;
  }
  dropped_ = 0;
  for (const auto& [key, topic] : topics) {
    auto it = series_.find(key);
    if (it == series_.end()) {
      if (series_.size() >= options_.max_series) {
        ++dropped_;
        continue;
      }
      Series s{LabelOf(topic.labels, "flow"), LabelOf(topic.labels, "target"), LabelOf(topic.labels, "topic"),
               std::vector<float>(options_.points, kNone), std::vector<float>(options_.points, kNone),
               std::vector<float>(options_.points, kNone), now_ms};
      it = series_.emplace(key, std::move(s)).first;
    }
    Series& s = it->second;
    s.last_seen_ms = now_ms;
    if (topic.rated && seconds > 0) s.rate[slot] = static_cast<float>(topic.copied / seconds);
    if (topic.has_lag) {
      s.lag[slot] = static_cast<float>(topic.lag);
      s.behind[slot] = static_cast<float>(topic.behind);
    }
  }
  counts_ = std::move(counts);
  previous_ms_ = now_ms;
}

std::string TopicHistory::Json(int64_t since_ms) const {
  size_t first = 0;
  while (first < size_ && times_[Slot(first)] <= since_ms) ++first;
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.SetMaxDecimalPlaces(3);
  w.StartObject();
  w.Key("times");
  w.StartArray();
  for (size_t i = first; i < size_; ++i) w.Int64(times_[Slot(i)]);
  w.EndArray();
  w.Key("series");
  w.StartArray();
  for (const auto& [key, s] : series_) {
    w.StartObject();
    json::StringMember(w, "flow", s.flow);
    json::StringMember(w, "target", s.target);
    json::StringMember(w, "topic", s.topic);
    for (auto [name, values] : {std::pair{"records_per_second", &s.rate}, std::pair{"lag_records", &s.lag},
                                std::pair{"lag_seconds", &s.behind}}) {
      w.Key(name);
      w.StartArray();
      for (size_t i = first; i < size_; ++i) {
        const float v = (*values)[Slot(i)];
        std::isfinite(v) ? w.Double(v) : w.Null();
      }
      w.EndArray();
    }
    w.EndObject();
  }
  w.EndArray();
  w.Key("dropped_series");
  w.Uint64(dropped_);
  w.EndObject();
  return buffer.GetString();
}

UiHistory::UiHistory(std::vector<MetricsSource> sources, bool cutover, Options options)
    : sources_(std::move(sources)), cutover_(cutover), options_(options), history_(options.history) {}

UiHistory::~UiHistory() { Stop(); }

void UiHistory::Start() {
  CHECK(!thread_.joinable()) << "UiHistory::Start() called twice";
  thread_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      lock.unlock();
      SampleNow();
      lock.lock();
      wake_.wait_for(lock, options_.interval, [this] { return stopping_; });
    }
  });
}

void UiHistory::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void UiHistory::SampleNow() {
  metrics::Exposition figures;
  CollectMetrics(sources_, figures);
  const int64_t now = NowMs();
  std::lock_guard lock(mu_);
  history_.Record(now, figures);
}

std::string UiHistory::Json(int64_t since_ms) const {
  std::string history;
  {
    std::lock_guard lock(mu_);
    history = history_.Json(since_ms);
  }
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  w.Key("interval_ms");
  w.Int64(options_.interval.count());
  w.Key("window_ms");
  w.Int64(options_.interval.count() * static_cast<int64_t>(options_.history.points));
  w.Key("now_ms");
  w.Int64(NowMs());
  w.Key("flows");
  w.StartArray();
  for (const MetricsSource& source : sources_) {
    w.StartObject();
    json::StringMember(w, "prefix", source.prefix);
    json::StringMember(w, "flow", source.prefix.empty() ? "" : FlowOf(source.prefix));
    w.EndObject();
  }
  w.EndArray();
  w.Key("cutover");
  w.Bool(cutover_);
  w.Key("history");
  w.RawValue(history.c_str(), history.size(), rapidjson::kObjectType);
  w.EndObject();
  return buffer.GetString();
}

}  // namespace ferry::rest
