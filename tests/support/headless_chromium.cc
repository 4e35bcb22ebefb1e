#include "tests/support/headless_chromium.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <sstream>
#include <thread>

#include <httplib.h>
#include <openssl/evp.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "worker/common/json.h"

namespace ferry::testing {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::string Write(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  value.Accept(w);
  return buffer.GetString();
}

std::string Member(const rapidjson::Value& v, const char* name) {
  if (!v.IsObject() || !v.HasMember(name)) return "";
  const rapidjson::Value& m = v[name];
  return m.IsString() ? std::string(m.GetString(), m.GetStringLength()) : Write(m);
}

std::optional<std::string> DecodeBase64(const std::string& text) {
  std::string out(text.size() / 4 * 3 + 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  size_t padding = 0;
  for (size_t i = text.size(); i > 0 && text[i - 1] == '='; --i) ++padding;
  out.resize(static_cast<size_t>(n) - padding);
  return out;
}

bool WriteAll(int fd, const std::string& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

// Reads what is there (waiting until `deadline`) onto `buffer`; false at the deadline or on EOF.
bool ReadSome(int fd, std::string& buffer, Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
  if (left <= 0) return false;
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(left)) <= 0) return false;
  char chunk[65536];
  const ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
  if (n <= 0) return false;
  buffer.append(chunk, static_cast<size_t>(n));
  return true;
}

// The last lines of a file (a failure's message quotes the browser's log, which is then removed).
std::string Tail(const std::string& path) {
  std::ifstream file(path);
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  constexpr size_t kTail = 2000;
  return text.size() > kTail ? "…" + text.substr(text.size() - kTail) : text;
}

}  // namespace

std::string HeadlessChromium::Find() {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    for (const char* name : {"chromium", "chromium-browser"}) {
      const std::string candidate = dir + "/" + name;
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
  }
  return "";
}

std::unique_ptr<HeadlessChromium> HeadlessChromium::Start(const std::string& binary, int width, int height,
                                                          std::string& error) {
  std::unique_ptr<HeadlessChromium> browser(new HeadlessChromium());
  char dir[] = "/tmp/ferry-chromium-XXXXXX";
  if (::mkdtemp(dir) == nullptr) {
    error = std::string("mkdtemp: ") + std::strerror(errno);
    return nullptr;
  }
  browser->profile_dir_ = dir;
  const int port = browser->Launch(binary, width, height, error);
  if (port == 0) return nullptr;
  // The page it opened, and its WebSocket.
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(10, 0);
  auto list = client.Get("/json/list");
  if (!list || list->status != 200) {
    error = "GET /json/list on chromium's DevTools port failed";
    return nullptr;
  }
  auto targets = json::Parse(list->body, "DevTools targets");
  if (!targets.ok() || !targets->IsArray()) {
    error = "DevTools targets: " + list->body;
    return nullptr;
  }
  std::string ws;
  for (const auto& t : targets->GetArray()) {
    if (Member(t, "type") == "page") {
      ws = Member(t, "webSocketDebuggerUrl");
      break;
    }
  }
  const std::string host = "ws://127.0.0.1:" + std::to_string(port);
  if (ws.rfind(host, 0) != 0) {
    error = "no page target with a loopback WebSocket in " + list->body;
    return nullptr;
  }
  if (!browser->Connect(port, ws.substr(host.size()))) {
    error = "DevTools WebSocket: " + browser->last_error_;
    return nullptr;
  }
  for (const char* domain : {"Page.enable", "Runtime.enable", "Log.enable"}) {
    if (!browser->Call(domain, "{}")) {
      error = std::string(domain) + ": " + browser->last_error_;
      return nullptr;
    }
  }
  return browser;
}

int HeadlessChromium::Launch(const std::string& binary, int width, int height, std::string& error) {
  const std::string log = profile_dir_ + ".log";
  std::vector<std::string> args = {binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                                   "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
                                   "--user-data-dir=" + profile_dir_, "--no-first-run",
                                   "--no-default-browser-check", "--disable-background-networking",
                                   "--disable-component-update", "--disable-sync", "--disable-extensions",
                                   "--window-size=" + std::to_string(width) + "," + std::to_string(height),
                                   "about:blank"};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  const pid_t pid = ::fork();
  if (pid < 0) {
    error = std::string("fork: ") + std::strerror(errno);
    if (log_fd >= 0) ::close(log_fd);
    return 0;
  }
  if (pid == 0) {
    // The browser and its helpers form a group of their own, which the destructor kills; the
    // browser dies with the test process too. Nothing allocates between fork and exec.
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (log_fd >= 0) {
      ::dup2(log_fd, STDOUT_FILENO);
      ::dup2(log_fd, STDERR_FILENO);
    }
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  if (log_fd >= 0) ::close(log_fd);
  pid_ = pid;
  // Its DevTools port, once it listens: "<port>\n<browser path>" in the profile.
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  while (Clock::now() < deadline) {
    int port = 0;
    std::ifstream file(profile_dir_ + "/DevToolsActivePort");
    if (file >> port && port > 0) return port;
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      pid_ = -1;
      error = "chromium exited at start (status " + std::to_string(status) + "); its log:\n" + Tail(log);
      return 0;
    }
    std::this_thread::sleep_for(milliseconds(100));
  }
  error = "chromium did not open its DevTools port within 30 s; its log:\n" + Tail(log);
  return 0;
}

HeadlessChromium::~HeadlessChromium() {
  if (fd_ >= 0) ::close(fd_);
  if (pid_ > 0) {
    ::kill(-pid_, SIGKILL);
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  if (!profile_dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(profile_dir_, ignored);
    std::filesystem::remove(profile_dir_ + ".log", ignored);
  }
}

bool HeadlessChromium::Connect(int port, const std::string& path) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    last_error_ = std::string("connect: ") + std::strerror(errno);
    return false;
  }
  // The key only has to be 16 bytes in base64; the browser's answer is not checked against it.
  const std::string request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                              "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                              "Sec-WebSocket-Key: ZmVycnktc3RhdHVzLXBhZ2U=\r\nSec-WebSocket-Version: 13\r\n\r\n";
  if (!WriteAll(fd_, request)) {
    last_error_ = "could not send the upgrade";
    return false;
  }
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  size_t end = std::string::npos;
  while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (!ReadSome(fd_, buffer_, deadline)) {
      last_error_ = "no upgrade answer";
      return false;
    }
  }
  if (buffer_.find(" 101 ") == std::string::npos || buffer_.find(" 101 ") > buffer_.find("\r\n")) {
    last_error_ = "upgrade refused: " + buffer_.substr(0, end);
    return false;
  }
  buffer_.erase(0, end + 4);
  return true;
}

bool HeadlessChromium::SendText(const std::string& text) {
  // A client's frames are masked (RFC 6455 5.3).
  static std::mt19937 random(std::random_device{}());
  std::string frame(1, static_cast<char>(0x81));
  const size_t n = text.size();
  if (n < 126) {
    frame.push_back(static_cast<char>(0x80 | n));
  } else if (n < 65536) {
    frame.push_back(static_cast<char>(0x80 | 126));
    for (int shift : {8, 0}) frame.push_back(static_cast<char>((n >> shift) & 0xff));
  } else {
    frame.push_back(static_cast<char>(0x80 | 127));
    for (int shift = 56; shift >= 0; shift -= 8) frame.push_back(static_cast<char>((n >> shift) & 0xff));
  }
  char mask[4];
  for (char& m : mask) m = static_cast<char>(random() & 0xff);
  frame.append(mask, 4);
  for (size_t i = 0; i < n; ++i) frame.push_back(static_cast<char>(text[i] ^ mask[i % 4]));
  return WriteAll(fd_, frame);
}

std::optional<std::string> HeadlessChromium::Receive(Clock::time_point deadline) {
  std::string message;
  while (true) {
    // One whole frame in the buffer?
    if (buffer_.size() >= 2) {
      const auto b0 = static_cast<unsigned char>(buffer_[0]);
      const auto b1 = static_cast<unsigned char>(buffer_[1]);
      size_t header = 2;
      uint64_t length = b1 & 0x7f;
      if (length == 126 || length == 127) {
        const size_t bytes = length == 126 ? 2 : 8;
        if (buffer_.size() >= 2 + bytes) {
          length = 0;
          for (size_t i = 0; i < bytes; ++i) length = (length << 8) | static_cast<unsigned char>(buffer_[2 + i]);
        }
        header += bytes;
      }
      const bool masked = (b1 & 0x80) != 0;
      if (masked) header += 4;
      if (buffer_.size() >= header && buffer_.size() - header >= length) {
        std::string payload = buffer_.substr(header, length);
        if (masked) {
          for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>(payload[i] ^ buffer_[header - 4 + i % 4]);
        }
        buffer_.erase(0, header + length);
        const int opcode = b0 & 0x0f;
        if (opcode == 0x8) {
          last_error_ = "the browser closed the DevTools connection";
          return std::nullopt;
        }
        if (opcode == 0x9) {  // ping: pong (masked, as every client frame)
          std::string pong = {static_cast<char>(0x8a), static_cast<char>(0x80 | payload.size()), 0, 0, 0, 0};
          WriteAll(fd_, pong + payload);
          continue;
        }
        if (opcode == 0x1 || opcode == 0x0) message += payload;
        if ((b0 & 0x80) != 0 && (opcode == 0x1 || opcode == 0x0)) return message;
        continue;
      }
    }
    if (!ReadSome(fd_, buffer_, deadline)) {
      if (last_error_.empty()) last_error_ = "no DevTools message in time";
      return std::nullopt;
    }
  }
}

std::optional<rapidjson::Document> HeadlessChromium::Call(const std::string& method, const std::string& params_json,
                                                          milliseconds timeout) {
  const int id = next_id_++;
  if (!SendText("{\"id\":" + std::to_string(id) + ",\"method\":" + json::Quote(method) + ",\"params\":" +
                params_json + "}")) {
    last_error_ = "could not send " + method;
    return std::nullopt;
  }
  const auto deadline = Clock::now() + timeout;
  while (true) {
    std::optional<std::string> text = Receive(deadline);
    if (!text) {
      last_error_ = method + ": " + last_error_;
      return std::nullopt;
    }
    auto message = json::Parse(*text, "DevTools message");
    if (!message.ok()) continue;
    if (message->HasMember("method")) {
      OnEvent(*message);
      continue;
    }
    if (!message->HasMember("id") || !(*message)["id"].IsInt() || (*message)["id"].GetInt() != id) continue;
    if (message->HasMember("error")) {
      last_error_ = method + ": " + Write((*message)["error"]);
      return std::nullopt;
    }
    rapidjson::Document result;
    if (message->HasMember("result")) result.CopyFrom((*message)["result"], result.GetAllocator());
    return result;
  }
}

void HeadlessChromium::OnEvent(const rapidjson::Document& message) {
  const std::string method = Member(message, "method");
  if (!message.HasMember("params")) return;
  const rapidjson::Value& params = message["params"];
  if (method == "Page.loadEventFired") {
    loaded_ = true;
  } else if (method == "Runtime.consoleAPICalled") {
    std::string text;
    if (params.HasMember("args") && params["args"].IsArray()) {
      for (const auto& arg : params["args"].GetArray()) {
        text += (text.empty() ? "" : " ") + (arg.HasMember("value") ? Member(arg, "value") : Member(arg, "description"));
      }
    }
    const std::string type = Member(params, "type");
    console_.push_back("console." + type + ": " + text);
    if (type == "error" || type == "assert") page_errors_.push_back(console_.back());
  } else if (method == "Runtime.exceptionThrown") {
    const rapidjson::Value& details = params["exceptionDetails"];
    std::string text = "exception: " + Member(details, "text");
    if (details.HasMember("exception")) text += " " + Member(details["exception"], "description");
    console_.push_back(text);
    page_errors_.push_back(text);
  } else if (method == "Log.entryAdded") {
    const rapidjson::Value& entry = params["entry"];
    const std::string text = "log." + Member(entry, "level") + " (" + Member(entry, "source") + "): " +
                             Member(entry, "text") + " " + Member(entry, "url");
    console_.push_back(text);
    if (Member(entry, "level") == "error") page_errors_.push_back(text);
  }
}

bool HeadlessChromium::Navigate(const std::string& url) {
  loaded_ = false;
  auto result = Call("Page.navigate", "{\"url\":" + json::Quote(url) + "}");
  if (!result) return false;
  if (result->HasMember("errorText")) {
    last_error_ = "navigate: " + Member(*result, "errorText");
    return false;
  }
  const auto deadline = Clock::now() + std::chrono::seconds(20);
  while (!loaded_) {
    std::optional<std::string> text = Receive(deadline);
    if (!text) return false;
    auto message = json::Parse(*text, "DevTools message");
    if (message.ok() && message->HasMember("method")) OnEvent(*message);
  }
  return true;
}

std::optional<std::string> HeadlessChromium::Evaluate(const std::string& expression) {
  auto result = Call("Runtime.evaluate",
                     "{\"expression\":" + json::Quote(expression) + ",\"returnByValue\":true,\"awaitPromise\":true}");
  if (!result) return std::nullopt;
  if (result->HasMember("exceptionDetails")) {
    last_error_ = "evaluate: " + Write((*result)["exceptionDetails"]);
    return std::nullopt;
  }
  const rapidjson::Value& value = (*result)["result"];
  return value.HasMember("value") ? Write(value["value"]) : std::string("null");
}

bool HeadlessChromium::WaitUntil(const std::string& expression, milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (Evaluate(expression) == "true") return true;
    std::this_thread::sleep_for(milliseconds(200));
  }
  return false;
}

std::optional<std::string> HeadlessChromium::Screenshot() {
  auto result = Call("Page.captureScreenshot", "{\"format\":\"png\",\"captureBeyondViewport\":false}");
  if (!result || !result->HasMember("data")) return std::nullopt;
  return DecodeBase64(Member(*result, "data"));
}

}  // namespace ferry::testing
