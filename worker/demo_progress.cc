#include "worker/demo_progress.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iomanip>
#include <sstream>

namespace ferry::worker {
namespace {

constexpr std::string_view kRecordCount = "kafka_connect_mirror_mirrorsourceconnector_record_count";
constexpr std::string_view kLag = "ferry_mirror_lag_records";
constexpr int kBarWidth = 24;
constexpr double kRateWindow = 1.0;  // seconds

// One sample line of the text format: `name{label="value",...} value`. False for anything else.
bool ParseSample(std::string_view line, std::string_view& name, std::map<std::string, std::string>& labels,
                 double& value) {
  const size_t name_end = line.find_first_of("{ ");
  if (name_end == std::string_view::npos || name_end == 0) return false;
  name = line.substr(0, name_end);
  size_t i = name_end;
  if (line[i] == '{') {
    ++i;
    while (i < line.size() && line[i] != '}') {
      const size_t eq = line.find('=', i);
      if (eq == std::string_view::npos || eq + 1 >= line.size() || line[eq + 1] != '"') return false;
      std::string label(line.substr(i, eq - i)), text;
      for (i = eq + 2; i < line.size() && line[i] != '"'; ++i) {
        if (line[i] == '\\' && i + 1 < line.size()) {
          ++i;
          text += line[i] == 'n' ? '\n' : line[i];
        } else {
          text += line[i];
        }
      }
      if (i >= line.size()) return false;
      labels[label] = std::move(text);
      ++i;                                        // the closing quote
      if (i < line.size() && line[i] == ',') ++i;
    }
    if (i >= line.size()) return false;
    ++i;  // '}'
  }
  if (i >= line.size() || line[i] != ' ') return false;
  const std::string number(line.substr(i + 1));
  char* end = nullptr;
  value = std::strtod(number.c_str(), &end);
  return end != number.c_str();
}

std::string Bar(int64_t done, int64_t of) {
  const double share = of <= 0 ? 0 : std::clamp(static_cast<double>(done) / static_cast<double>(of), 0.0, 1.0);
  const int filled = static_cast<int>(share * kBarWidth + 0.5);
  return "[" + std::string(static_cast<size_t>(filled), '#') + std::string(static_cast<size_t>(kBarWidth - filled), '-') + "]";
}

std::string Lag(const std::optional<int64_t>& lag) { return lag ? Grouped(*lag) : "-"; }

}  // namespace

std::map<std::string, CopiedFigures> ReadCopiedFigures(std::string_view exposition) {
  std::map<std::string, CopiedFigures> out;
  size_t start = 0;
  while (start < exposition.size()) {
    size_t end = exposition.find('\n', start);
    if (end == std::string_view::npos) end = exposition.size();
    const std::string_view line = exposition.substr(start, end - start);
    start = end + 1;
    if (line.empty() || line[0] == '#') continue;
    std::string_view name;
    std::map<std::string, std::string> labels;
    double value = 0;
    if (!ParseSample(line, name, labels, value) || (name != kRecordCount && name != kLag)) continue;
    auto topic = labels.find("topic");
    if (topic == labels.end() || !std::isfinite(value)) continue;
    CopiedFigures& figures = out[topic->second];
    if (name == kRecordCount) {
      figures.copied += static_cast<int64_t>(value);
    } else {
      figures.lag = figures.lag.value_or(0) + static_cast<int64_t>(value);
    }
  }
  return out;
}

std::string Grouped(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3) digits.insert(static_cast<size_t>(i), ",");
  return (n < 0 ? "-" : "") + digits;
}

double ProgressBoard::Rate(const std::string& topic, double seconds, int64_t copied) {
  auto& history = history_[topic];
  history.emplace_back(seconds, copied);
  while (history.size() > 2 && seconds - history[1].first >= kRateWindow) history.pop_front();
  const auto& [t0, c0] = history.front();
  if (seconds - t0 > 0.2) rates_[topic] = static_cast<double>(copied - c0) / (seconds - t0);
  return rates_[topic];
}

std::vector<std::string> ProgressBoard::Lines(double seconds, const std::string& phase,
                                              const std::vector<TopicProgress>& topics, const std::string& group_line) {
  size_t width = 0;
  for (const TopicProgress& t : topics) width = std::max(width, t.topic.size());
  std::vector<std::string> lines;
  std::ostringstream head;
  head << std::fixed << std::setprecision(1) << "T+" << seconds << " s  " << phase;
  lines.push_back(head.str());
  for (const TopicProgress& t : topics) {
    std::ostringstream line;
    line << "  " << std::left << std::setw(static_cast<int>(width)) << t.topic << std::right << " "
         << Bar(t.figures.copied, t.produced) << " " << std::setw(11) << Grouped(t.figures.copied) << " of "
         << std::left << std::setw(11) << Grouped(t.produced) << std::right << " copied " << std::setw(9)
         << Grouped(static_cast<int64_t>(Rate(t.topic, seconds, t.figures.copied))) << " rec/s   lag "
         << Lag(t.figures.lag);
    lines.push_back(line.str());
  }
  if (!group_line.empty()) lines.push_back("  " + group_line);
  return lines;
}

void ProgressBoard::Draw(const std::vector<std::string>& lines) {
  if (drawn_ > 0) out_ << "\x1b[" << drawn_ << "F";  // to the board's first line
  for (const std::string& line : lines) out_ << "\x1b[2K" << line << "\n";
  out_ << "\x1b[J";  // what a longer board left below
  drawn_ = lines.size();
  out_ << std::flush;
}

void ProgressBoard::Print(double seconds, const std::string& phase, const std::vector<TopicProgress>& topics,
                          const std::string& group_line) {
  // One line: the time and phase, then per topic copied/produced, rate and lag.
  std::ostringstream line;
  line << std::fixed << std::setprecision(1) << "  T+" << seconds << " s " << phase << ":";
  for (const TopicProgress& t : topics) {
    line << " " << t.topic << " " << Grouped(t.figures.copied) << "/" << Grouped(t.produced) << " copied, "
         << Grouped(static_cast<int64_t>(Rate(t.topic, seconds, t.figures.copied))) << " rec/s, lag "
         << Lag(t.figures.lag) << ";";
  }
  if (!group_line.empty()) line << " " << group_line;
  out_ << line.str() << "\n" << std::flush;
  last_plain_ = seconds;
}

void ProgressBoard::Update(double seconds, const std::string& phase, const std::vector<TopicProgress>& topics,
                           const std::string& group_line) {
  switch (mode_) {
    case ProgressMode::kOff:
      return;
    case ProgressMode::kLive:
      Draw(Lines(seconds, phase, topics, group_line));
      return;
    case ProgressMode::kPlain:
      if (seconds - last_plain_ >= 1.0) {
        Print(seconds, phase, topics, group_line);
      } else {
        for (const TopicProgress& t : topics) Rate(t.topic, seconds, t.figures.copied);
      }
      return;
  }
}

void ProgressBoard::Event(double seconds, const std::string& text) {
  if (mode_ == ProgressMode::kOff) return;
  std::ostringstream line;
  line << std::fixed << std::setprecision(1) << ">> T+" << seconds << " s  " << text;
  if (mode_ == ProgressMode::kLive && drawn_ > 0) {
    // Above the board: the board's first line becomes the event, and the board is drawn anew below.
    out_ << "\x1b[" << drawn_ << "F\x1b[J" << line.str() << "\n";
    drawn_ = 0;
  } else {
    out_ << line.str() << "\n";
  }
  out_ << std::flush;
}

void ProgressBoard::Finish(double seconds, const std::string& phase, const std::vector<TopicProgress>& topics,
                           const std::string& group_line) {
  if (mode_ == ProgressMode::kLive) Draw(Lines(seconds, phase, topics, group_line));
  if (mode_ == ProgressMode::kPlain) Print(seconds, phase, topics, group_line);
}

}  // namespace ferry::worker
