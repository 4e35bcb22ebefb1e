#include "tests/support/worker_harness.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include <glog/logging.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include "tests/support/two_clusters.h"

namespace ferry::testing {

rapidjson::Document HttpReply::Json() const {
  rapidjson::Document doc;
  doc.Parse(body.c_str());
  CHECK(!doc.HasParseError()) << "not JSON: " << body;
  return doc;
}

HttpReply HttpOnce(int port, const std::string& method, const std::string& path, const std::string& body) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(5);
  client.set_read_timeout(120);
  httplib::Result res(nullptr, httplib::Error::Unknown);
  const char* type = "application/json";
  if (method == "GET") {
    res = client.Get(path.c_str());
  } else if (method == "POST") {
    res = client.Post(path.c_str(), body, type);
  } else if (method == "PUT") {
    res = client.Put(path.c_str(), body, type);
  } else if (method == "PATCH") {
    res = client.Patch(path.c_str(), body, type);
  } else if (method == "DELETE") {
    res = client.Delete(path.c_str(), body, type);
  }
  if (!res) return {};
  return {res->status, res->body};
}

std::optional<int64_t> StoredSourceOffset(int port, const std::string& name, const TopicPartition& tp) {
  HttpReply r = Http(port, "GET", "/connectors/" + name + "/offsets");
  if (r.status != 200) return std::nullopt;
  auto doc = r.Json();
  for (const auto& o : doc["offsets"].GetArray()) {
    if (o["partition"]["topic"].GetString() == tp.topic && o["partition"]["partition"].GetInt() == tp.partition) {
      return o["offset"]["offset"].GetInt64();
    }
  }
  return std::nullopt;
}

HttpReply Http(int port, const std::string& method, const std::string& path, const std::string& body) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (;;) {
    HttpReply reply = HttpOnce(port, method, path, body);
    if (reply.status != 409 || reply.body.find("stale configuration") == std::string::npos ||
        std::chrono::steady_clock::now() > deadline) {
      return reply;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

bool WaitForConnectorStatus(int port, const std::string& name, const std::string& state, size_t tasks,
                            const std::string& task_state, std::chrono::seconds timeout) {
  std::string last;
  const bool ok = WaitFor(
      [&] {
        HttpReply r = Http(port, "GET", "/connectors/" + name + "/status");
        last = r.body;
        if (r.status != 200) return false;
        auto doc = r.Json();
        if (std::string(doc["connector"]["state"].GetString()) != state) return false;
        if (doc["tasks"].Size() != tasks) return false;
        for (const auto& t : doc["tasks"].GetArray()) {
          if (std::string(t["state"].GetString()) != task_state) return false;
        }
        return true;
      },
      timeout);
  EXPECT_TRUE(ok) << "connector " << name << ", last status: " << last;
  return ok;
}

Properties DistributedWorkerProps(const std::string& bootstrap, const std::string& prefix, Peer peer) {
  const std::string replication_factor = peer == Peer::kMock ? "3" : "-1";
  return {{"bootstrap.servers", bootstrap},
          {"group.id", prefix + "-cluster"},
          {"config.storage.topic", prefix + "-configs"},
          {"offset.storage.topic", prefix + "-offsets"},
          {"status.storage.topic", prefix + "-status"},
          {"config.storage.replication.factor", replication_factor},
          {"offset.storage.replication.factor", replication_factor},
          {"status.storage.replication.factor", replication_factor},
          {"offset.storage.partitions", "5"},
          {"status.storage.partitions", "3"},
          {"offset.flush.interval.ms", "500"},
          // The mock's group rebalances wait session.timeout.ms - 1 s (mock-cluster.md): keep them short,
          // and let followers sync before the leader (the mock's sync-order trap).
          {"session.timeout.ms", "3500"},
          {"heartbeat.interval.ms", "500"},
          {"rebalance.timeout.ms", "10000"},
          {"scheduled.rebalance.max.delay.ms", "3000"},
          {"ferry.group.leader.sync.delay.ms", "300"},
          {"listeners", "http://127.0.0.1:0"},
          {"key.converter", "org.apache.kafka.connect.converters.ByteArrayConverter"},
          {"value.converter", "org.apache.kafka.connect.converters.ByteArrayConverter"}};
}

std::unique_ptr<InProcessWorker> InProcessWorker::Start(const Properties& props,
                                                        std::optional<cutover::ClusterClients> clients) {
  auto config = worker::WorkerConfig::Parse(props, props.count("offset.storage.file.filename")
                                                       ? worker::WorkerMode::kStandalone
                                                       : worker::WorkerMode::kDistributed);
  EXPECT_TRUE(config.ok()) << config.error().ToString();
  if (!config.ok()) return nullptr;
  auto runtime = worker::WorkerRuntime::Create(*config);
  EXPECT_TRUE(runtime.ok()) << runtime.error().ToString();
  if (!runtime.ok()) return nullptr;
  auto w = std::unique_ptr<InProcessWorker>(new InProcessWorker());
  w->runtime_ = std::move(*runtime);
  rest::RestConfig rest_config;
  rest_config.host = "127.0.0.1";
  rest_config.port = 0;
  w->cutover_ = std::make_unique<cutover::CutoverService>(
      cutover::HerderFlows(w->runtime_->herder()), config->AdminProps(),
      clients ? *clients : cutover::KafkaClusterClients(std::chrono::seconds(10)), std::chrono::seconds(10),
      cutover::HerderTaskStates(w->runtime_->herder()));
  w->server_ = std::make_unique<rest::Server>(w->runtime_->herder(), rest_config, w->cutover_.get());
  auto port = w->server_->Start();
  EXPECT_TRUE(port.ok()) << port.error().ToString();
  if (!port.ok()) return nullptr;
  w->port_ = *port;
  config->SetBoundPort(*port);
  auto started = w->runtime_->Start(*config);
  EXPECT_TRUE(started.ok()) << started.error().ToString();
  if (!started.ok()) return nullptr;
  return w;
}

InProcessWorker::~InProcessWorker() { Stop(); }

void InProcessWorker::Stop() {
  if (server_) server_->Stop();
  if (runtime_) runtime_->Stop();
}

std::string WritePropertiesFile(const std::string& path, const Properties& props) {
  std::ofstream out(path);
  out << "# written by a Ferry test\n";
  for (const auto& [k, v] : props) out << k << "=" << v << "\n";
  return path;
}

CommandResult RunFerry(const std::vector<std::string>& args, std::chrono::seconds timeout, bool with_stderr) {
  CommandResult result;
  int out_pipe[2];
  if (pipe(out_pipe) != 0) return result;
  const pid_t pid = fork();
  if (pid < 0) return result;
  if (pid == 0) {
    dup2(out_pipe[1], STDOUT_FILENO);
    const int null = open("/dev/null", O_WRONLY);
    if (with_stderr) {
      dup2(out_pipe[1], STDERR_FILENO);
    } else if (null >= 0) {
      dup2(null, STDERR_FILENO);
    }
    close(out_pipe[0]);
    std::string binary = FERRY_BINARY;
    std::vector<std::string> copy = args;
    std::vector<char*> argv{binary.data()};
    for (std::string& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  close(out_pipe[1]);
  fcntl(out_pipe[0], F_SETFL, O_NONBLOCK);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  bool exited = false;
  while (!exited) {
    char buf[4096];
    ssize_t n;
    while ((n = read(out_pipe[0], buf, sizeof buf)) > 0) result.out.append(buf, static_cast<size_t>(n));
    exited = waitpid(pid, &status, WNOHANG) == pid;
    if (!exited && std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      close(out_pipe[0]);
      return result;
    }
    if (!exited) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  char buf[4096];
  ssize_t n;
  while ((n = read(out_pipe[0], buf, sizeof buf)) > 0) result.out.append(buf, static_cast<size_t>(n));
  close(out_pipe[0]);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

std::unique_ptr<WorkerProcess> WorkerProcess::Start(const std::vector<std::string>& args, const std::string& log_path) {
  int out_pipe[2];
  if (pipe(out_pipe) != 0) return nullptr;
  const pid_t pid = fork();
  if (pid < 0) return nullptr;
  if (pid == 0) {
    // Child: stdout to the pipe (the port line), stderr (glog) to the log file.
    dup2(out_pipe[1], STDOUT_FILENO);
    const int log = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (log >= 0) dup2(log, STDERR_FILENO);
    close(out_pipe[0]);
    std::vector<char*> argv;
    std::string binary = FERRY_BINARY;
    argv.push_back(binary.data());
    std::vector<std::string> copy = args;
    for (std::string& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  close(out_pipe[1]);
  auto process = std::unique_ptr<WorkerProcess>(new WorkerProcess());
  process->pid_ = pid;
  // Read until the port line, at most 60 s.
  fcntl(out_pipe[0], F_SETFL, O_NONBLOCK);
  std::string output;
  const std::regex port_line("REST API listening on port ([0-9]+)");
  std::smatch match;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    char buf[256];
    const ssize_t n = read(out_pipe[0], buf, sizeof buf);
    if (n > 0) output.append(buf, static_cast<size_t>(n));
    if (std::regex_search(output, match, port_line)) {
      process->port_ = std::stoi(match[1]);
      break;
    }
    if (n == 0) break;  // the child closed stdout: it exited
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  close(out_pipe[0]);
  EXPECT_GT(process->port_, 0) << "ferry did not report its port; see " << log_path;
  return process;
}

WorkerProcess::~WorkerProcess() {
  if (pid_ > 0) Kill9();
}

void WorkerProcess::Kill9() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

int WorkerProcess::Terminate(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  Kill9();
  return -1;
}

}  // namespace ferry::testing
