// Test support: a headless Chromium (Debian's `chromium`) driven over the Chrome DevTools Protocol,
// for tests of the status page (GET /ui). A minimal client of our own: the browser runs as a child
// process with a profile in a temporary directory and its DevTools port on loopback (port 0, read back
// from DevToolsActivePort); one WebSocket to its first page carries the commands, and the events met
// meanwhile are kept: every console error, uncaught exception and log entry of level error (a failed
// load, a Content-Security-Policy violation) is an error of the page.
//
// Thread-safety: one thread uses an instance.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <rapidjson/document.h>

namespace ferry::testing {

class HeadlessChromium {
 public:
  // The browser's path (chromium or chromium-browser on PATH), "" when none is installed.
  static std::string Find();
  // Starts `binary` with a window of `width` x `height`; nullptr with `error` set on failure.
  static std::unique_ptr<HeadlessChromium> Start(const std::string& binary, int width, int height, std::string& error);
  ~HeadlessChromium();  // closes the socket, SIGKILLs the browser, reaps it and removes its profile
  HeadlessChromium(const HeadlessChromium&) = delete;
  HeadlessChromium& operator=(const HeadlessChromium&) = delete;

  // Loads `url` and waits (bounded) for its load event. False on failure (see last_error()).
  bool Navigate(const std::string& url);
  // The value of `expression` evaluated in the page (awaiting a promise), as JSON text; nullopt if it
  // threw or the browser did not answer.
  std::optional<std::string> Evaluate(const std::string& expression);
  // Waits (bounded by `timeout`) until `expression` evaluates to true, keeping the events.
  bool WaitUntil(const std::string& expression, std::chrono::milliseconds timeout);
  // A PNG of the page's viewport.
  std::optional<std::string> Screenshot();

  // The page's errors so far (console errors, uncaught exceptions, error log entries).
  const std::vector<std::string>& page_errors() const { return page_errors_; }
  // Everything the page logged, for a failure's message.
  const std::vector<std::string>& console() const { return console_; }
  const std::string& last_error() const { return last_error_; }

 private:
  HeadlessChromium() = default;
  // Starts the browser with its profile in profile_dir_; its DevTools port, or 0 with `error` set.
  int Launch(const std::string& binary, int width, int height, std::string& error);
  bool Connect(int port, const std::string& path);
  // Sends a command and reads messages until its answer; the answer's "result", or nullopt.
  std::optional<rapidjson::Document> Call(const std::string& method, const std::string& params_json,
                                          std::chrono::milliseconds timeout = std::chrono::seconds(20));
  bool SendText(const std::string& text);
  // The next text message, nullopt at the deadline or on a broken connection.
  std::optional<std::string> Receive(std::chrono::steady_clock::time_point deadline);
  void OnEvent(const rapidjson::Document& message);

  pid_t pid_ = -1;
  int fd_ = -1;
  std::string profile_dir_;
  int next_id_ = 1;
  bool loaded_ = false;  // Page.loadEventFired seen since the last Navigate
  std::string buffer_;   // bytes read and not yet parsed
  std::vector<std::string> page_errors_;
  std::vector<std::string> console_;
  std::string last_error_;
};

}  // namespace ferry::testing
