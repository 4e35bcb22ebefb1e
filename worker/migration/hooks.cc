#include "worker/migration/hooks.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include <glog/logging.h>
#include <httplib.h>

#include "worker/common/json.h"

namespace ferry::migration {
namespace {

using Clock = std::chrono::steady_clock;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Closes a descriptor once.
struct Fd {
  int fd = -1;
  ~Fd() { Close(); }
  void Close() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

// Reads the command's output (bounded) until it closes it, then reaps it; kills its process group
// at the deadline.
void Await(pid_t pid, int fd, int64_t timeout_ms, HookOutcome& out) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  bool timed_out = false;
  char buffer[4096];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 1000)));
    if (ready < 0 && errno != EINTR) break;
    if (ready <= 0) continue;
    const ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n <= 0) break;  // EOF: the command (and every child holding the pipe) closed it
    if (out.output.size() < kMaxHookOutput) {
      out.output.append(buffer, std::min<size_t>(static_cast<size_t>(n), kMaxHookOutput - out.output.size()));
    }
  }
  if (timed_out) ::kill(-pid, SIGKILL);
  int status = 0;
  bool reaped = false;
  // After EOF the command has exited or closed its output: the wait is bounded by the deadline too.
  for (;;) {
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) {
      reaped = true;
      break;
    }
    if (done < 0 && errno != EINTR) break;
    if (!timed_out && Clock::now() >= deadline) {
      timed_out = true;
      ::kill(-pid, SIGKILL);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (timed_out) {
    out.error = "timed out after " + std::to_string(timeout_ms) + " ms; killed";
  } else if (!reaped) {
    out.error = std::string("could not wait for the command: ") + std::strerror(errno);
  } else if (WIFEXITED(status)) {
    out.exit_status = WEXITSTATUS(status);
    out.ok = *out.exit_status == 0;
    if (!out.ok) out.error = "exit status " + std::to_string(*out.exit_status);
  } else if (WIFSIGNALED(status)) {
    out.error = "killed by signal " + std::to_string(WTERMSIG(status));
  }
}

void RunCommand(const HookSpec& hook, const HookVariables& variables, HookOutcome& out) {
  std::vector<std::string> argv;
  for (const std::string& arg : hook.command) argv.push_back(Substitute(arg, variables));
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) env.emplace_back(*e);
  for (const auto& [name, value] : variables) {
    std::string upper;
    for (char c : name) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    env.push_back("FERRY_" + upper + "=" + value);
  }
  // Built before fork: the child only calls async-signal-safe functions.
  std::vector<char*> args, envp;
  for (std::string& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  for (std::string& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    out.error = std::string("pipe: ") + std::strerror(errno);
    return;
  }
  Fd read_end{pipe_fds[0]}, write_end{pipe_fds[1]};
  const pid_t pid = ::fork();
  if (pid < 0) {
    out.error = std::string("fork: ") + std::strerror(errno);
    return;
  }
  if (pid == 0) {
    ::setpgid(0, 0);  // its own process group, killed whole on a timeout
    ::dup2(write_end.fd, 1);
    ::dup2(write_end.fd, 2);
    int null = ::open("/dev/null", O_RDONLY);
    if (null >= 0) ::dup2(null, 0);
    ::execve(args[0], args.data(), envp.data());
    if (std::strchr(args[0], '/') == nullptr) ::execvpe(args[0], args.data(), envp.data());
    static const char kFailed[] = "ferry: the hook's command could not be executed\n";
    [[maybe_unused]] auto n = ::write(2, kFailed, sizeof(kFailed) - 1);
    ::_exit(127);
  }
  write_end.Close();
  Await(pid, read_end.fd, hook.timeout_ms, out);
}

void CallUrl(const HookSpec& hook, const HookVariables& variables, HookOutcome& out) {
  HookVariables encoded;  // values go into the URL percent-encoded
  for (const auto& [name, value] : variables) {
    std::string e;
    for (unsigned char c : value) {
      if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
        e += static_cast<char>(c);
      } else {
        char hex[4];
        std::snprintf(hex, sizeof(hex), "%%%02X", c);
        e += hex;
      }
    }
    encoded[name] = std::move(e);
  }
  const std::string url = Substitute(hook.url, encoded);
  const size_t scheme_end = url.find("://");
  const size_t path_start = url.find('/', scheme_end + 3);
  const std::string base = url.substr(0, path_start);
  const std::string path = path_start == std::string::npos ? "/" : url.substr(path_start);
  httplib::Client client(base);
  const auto timeout = std::chrono::milliseconds(hook.timeout_ms);
  client.set_connection_timeout(timeout);
  client.set_read_timeout(timeout);
  client.set_write_timeout(timeout);
  std::string body = "{";
  for (const auto& [name, value] : variables) body += (body.size() > 1 ? "," : "") + json::Quote(name) + ":" + json::Quote(value);
  body += "}";
  auto reply = client.Post(path, body, "application/json");
  if (!reply) {
    out.error = "HTTP POST " + base + path + ": " + httplib::to_string(reply.error());
    return;
  }
  out.http_status = reply->status;
  out.output = reply->body.substr(0, kMaxHookOutput);
  out.ok = reply->status >= 200 && reply->status < 300;
  if (!out.ok) out.error = "HTTP status " + std::to_string(reply->status);
}

}  // namespace

std::string Substitute(const std::string& text, const HookVariables& variables) {
  std::string out = text;
  for (const auto& [name, value] : variables) {
    const std::string token = "{" + name + "}";
    for (size_t at = out.find(token); at != std::string::npos; at = out.find(token, at + value.size())) {
      out.replace(at, token.size(), value);
    }
  }
  return out;
}

HookOutcome RunHook(const HookSpec& hook, const HookVariables& variables) {
  HookOutcome out;
  auto event = variables.find("event");
  out.event = event == variables.end() ? "" : event->second;
  for (const char* subject : {"group", "topic", "migration"}) {
    auto it = variables.find(subject);
    if (it != variables.end()) {
      out.subject = it->second;
      break;
    }
  }
  out.time_ms = NowMs();
  const auto started = Clock::now();
  if (!hook.command.empty()) {
    RunCommand(hook, variables, out);
  } else {
    CallUrl(hook, variables, out);
  }
  out.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
  LOG(INFO) << "migration hook " << out.event << " for '" << out.subject << "': "
            << (out.ok ? "ok" : "failed: " + out.error) << " in " << out.duration_ms << " ms";
  return out;
}

}  // namespace ferry::migration
