// The live view of `ferry demo`: per topic the records produced and copied, the copy rate and the
// lag, the consumer group's whereabouts and the moment it was cut over. The copy figures are read
// from the demo worker's own metrics exposition (what GET /metrics serves, from the running task's
// stats), the produced ones from the demo's producer; nothing is estimated.
//
// On a terminal the board is redrawn in place (ANSI cursor movement); otherwise (CI logs, tests) it
// prints one plain line at most once a second, and events (the cutover) as lines of their own.
// Thread-safety: one thread.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ferry::worker {

enum class ProgressMode { kOff, kPlain, kLive };

// What a worker's exposition says of one remote topic, summed over its partitions.
struct CopiedFigures {
  int64_t copied = 0;           // kafka_connect_mirror_mirrorsourceconnector_record_count
  std::optional<int64_t> lag;   // ferry_mirror_lag_records; unset until a partition has a sample
};

// The figures per remote topic (the `topic` label) in Prometheus text (metrics::Exposition::Text()).
std::map<std::string, CopiedFigures> ReadCopiedFigures(std::string_view exposition);

struct TopicProgress {
  std::string topic;  // the source topic
  int64_t produced = 0;
  CopiedFigures figures;
};

// 1234567 -> "1,234,567".
std::string Grouped(int64_t n);

class ProgressBoard {
 public:
  ProgressBoard(ProgressMode mode, std::ostream& out) : mode_(mode), out_(out) {}

  // Called every few hundred ms with the time since the mirror started, the phase ("live",
  // "catching up") and a line on the consumer group. Redraws (live) or prints a line when a second
  // has passed since the last (plain).
  void Update(double seconds, const std::string& phase, const std::vector<TopicProgress>& topics,
              const std::string& group_line);
  // A moment to keep (the cutover): one line above the board, printed once.
  void Event(double seconds, const std::string& text);
  // The last figures, whatever the time since the previous line; the board then stays as drawn.
  void Finish(double seconds, const std::string& phase, const std::vector<TopicProgress>& topics,
              const std::string& group_line);

 private:
  // Records per second copied of `topic` over about the last second (0 until two readings).
  double Rate(const std::string& topic, double seconds, int64_t copied);
  std::vector<std::string> Lines(double seconds, const std::string& phase, const std::vector<TopicProgress>& topics,
                                 const std::string& group_line);
  void Draw(const std::vector<std::string>& lines);
  void Print(double seconds, const std::string& phase, const std::vector<TopicProgress>& topics,
             const std::string& group_line);

  const ProgressMode mode_;
  std::ostream& out_;
  std::map<std::string, std::deque<std::pair<double, int64_t>>> history_;  // per topic: (seconds, copied)
  std::map<std::string, double> rates_;
  size_t drawn_ = 0;             // live: lines of the board on screen
  double last_plain_ = -1e9;     // plain: when the last line was printed
};

}  // namespace ferry::worker
