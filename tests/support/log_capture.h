// Test support: captures glog lines while alive, to check what was (or was not) logged.
#pragma once

#include <algorithm>
#include <iterator>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <glog/logging.h>

namespace ferry::testing {

class LogCapture : public google::LogSink {
 public:
  LogCapture() { google::AddLogSink(this); }
  ~LogCapture() override { google::RemoveLogSink(this); }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  void send(google::LogSeverity severity, const char*, const char*, int, const google::LogMessageTime&,
            const char* message, size_t message_len) override {
    std::lock_guard<std::mutex> lock(mu_);
    lines_.emplace_back(severity, std::string(message, message_len));
  }

  // The lines of `severity` that contain `text`, in order.
  std::vector<std::string> Lines(google::LogSeverity severity, const std::string& text) {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::string> out;
    for (const auto& [s, line] : lines_) {
      if (s == severity && line.find(text) != std::string::npos) out.push_back(line);
    }
    return out;
  }
  int Count(google::LogSeverity severity, const std::string& text) {
    return static_cast<int>(Lines(severity, text).size());
  }

 private:
  std::mutex mu_;
  std::vector<std::pair<google::LogSeverity, std::string>> lines_;
};

}  // namespace ferry::testing
