// The ferry command: Connect's `distributed` and `standalone` workers, and `demo`.
//   ferry distributed worker.properties
//   ferry standalone worker.properties connector1.properties [connector2.properties ...]
//   ferry demo [--bootstrap-source=HOST:PORT --bootstrap-target=HOST:PORT] [--demo_seconds=N ...]
//   ferry cutover plan|cutover|rollback|status|verify mirror.properties group-or-topic [flags]
//   ferry translate forward|backward mirror.properties TOPIC:PARTITION:OFFSET...
//   ferry mirror-maker mm2.properties [--clusters C1 [C2 ...]]
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <gflags/gflags.h>
#include <glog/logging.h>
#include <librdkafka/rdkafka.h>

#include "connectors/registry.h"

#include "rest/server.h"
#include "worker/cutover/service.h"
#include "worker/demo.h"
#include "worker/mirror_maker.h"
#include "worker/properties.h"
#include "worker/runtime.h"
#include "worker/worker_config.h"

DEFINE_int32(demo_seconds, 8, "ferry demo: how long the producer writes");
DEFINE_int32(demo_rate, 25000, "ferry demo: records per second the producer writes");
DEFINE_int32(demo_topics, 3, "ferry demo: topics to mirror");
DEFINE_int32(demo_partitions, 4, "ferry demo: partitions per topic");
DEFINE_string(bootstrap_source, "", "ferry demo: run on this Kafka cluster as the source (host:port,...) instead of "
              "the embedded clusters; needs --bootstrap-target. The demo makes its own topics, with names new to "
              "each run, and deletes nothing; its report lists what it made");
DEFINE_string(bootstrap_target, "", "ferry demo: the Kafka cluster to mirror to (host:port,...); needs "
              "--bootstrap-source");
DEFINE_int32(demo_rest_port, 0, "ferry demo: the loopback port of the demo worker's REST API, GET /metrics and "
             "status page (/ui); 0: a free port, printed when the demo starts");
DEFINE_bool(allow_approximate, false, "ferry cutover: accept translations found by timestamp");
DEFINE_int64(wait_ms, 0, "ferry cutover: how long a move waits for the mirror to copy past the group");
DEFINE_string(direction, "cutover", "ferry cutover plan: 'cutover' or 'rollback'");
DEFINE_int32(partition, -1, "ferry cutover verify: one partition (-1: all)");
DEFINE_string(clusters, "", "ferry mirror-maker: serve only the flows into these clusters (comma-separated; "
              "further aliases may follow as arguments, as MM2's --clusters C1 C2)");
DEFINE_string(worker_config, "", "ferry cutover: a worker file whose cluster is the mirror's target if the "
              "mirror's config names none; a distributed worker's file also lets a move check the mirror's "
              "tasks (their statuses and stored positions in the worker cluster's topics)");

namespace {

using ferry::Error;
using ferry::Result;
namespace worker = ferry::worker;

constexpr const char* kUsage =
    "usage: ferry <command> [args] [flags]\n"
    "commands:\n"
    "  distributed worker.properties                 run a worker of a Connect cluster\n"
    "  standalone worker.properties connector.properties...  run a standalone worker\n"
    "  mirror-maker mm2.properties [--clusters C...] run MM2's dedicated mode on the same file\n"
    "  demo                                          mirror a live stream between two embedded clusters\n"
    "                                                and verify every record; on your own Kafka clusters\n"
    "                                                with --bootstrap-source H:P --bootstrap-target H:P\n"
    "  cutover ACTION mirror.properties NAME         move a consumer group between the mirror's clusters\n"
    "                                                (ACTION: plan, cutover, rollback, status with a group\n"
    "                                                NAME; verify with a topic NAME); see docs/cutover.md\n"
    "  translate forward|backward mirror.properties TOPIC:PARTITION:OFFSET...\n"
    "                                                translate positions kept outside consumer groups\n"
    "                                                through the mirror's exact offset map\n";

// The demo worker's REST server: the same routes as a worker's (Connect's API, /ferry/, /metrics, /ui).
class DemoRest : public worker::DemoRestServer {
 public:
  DemoRest(worker::Herder& herder, ferry::rest::RestConfig config, ferry::cutover::CutoverService& cutover)
      : server_(herder, std::move(config), &cutover) {}
  Result<int> Start() {
    auto port = server_.Start();
    if (port.ok()) port_ = *port;
    return port;
  }
  int port() const override { return port_; }

 private:
  ferry::rest::Server server_;  // stops when destroyed
  int port_ = 0;
};

Result<std::unique_ptr<worker::DemoRestServer>> StartDemoRest(worker::Herder& herder,
                                                              ferry::cutover::CutoverService& cutover, int port) {
  ferry::rest::RestConfig config;
  config.host = "127.0.0.1";
  config.port = port;
  auto server = std::make_unique<DemoRest>(herder, std::move(config), cutover);
  auto started = server->Start();
  if (!started.ok()) return started.error();
  return std::unique_ptr<worker::DemoRestServer>(std::move(server));
}

int Demo() {
  worker::DemoOptions options;
  // Redrawn in place on a terminal; plain lines, at most one a second, in a log or a pipe.
  options.progress = isatty(STDOUT_FILENO) ? worker::ProgressMode::kLive : worker::ProgressMode::kPlain;
  if (options.progress == worker::ProgressMode::kLive && isatty(STDERR_FILENO)) {
    // The worker's log lines would break the board's redrawing: they go to glog's files, errors
    // still to the terminal too.
    if (FLAGS_log_dir.empty()) {
      const char* tmp = getenv("TMPDIR");
      FLAGS_log_dir = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
    }
    FLAGS_logtostderr = false;
    std::cout << "ferry demo: the worker's log is " << FLAGS_log_dir << "/ferry.INFO" << std::endl;
  }
  options.rest = StartDemoRest;
  options.rest_port = FLAGS_demo_rest_port;
  options.produce_for = std::chrono::seconds(FLAGS_demo_seconds);
  options.records_per_second = FLAGS_demo_rate;
  options.topics = FLAGS_demo_topics;
  options.partitions = FLAGS_demo_partitions;
  options.source_bootstrap = FLAGS_bootstrap_source;
  options.target_bootstrap = FLAGS_bootstrap_target;
  auto report = worker::RunDemo(options, std::cout);
  if (!report.ok()) {
    std::cout << "\nferry demo FAILED: " << report.error().ToString() << "\n";
    return 1;
  }
  return 0;
}

// The service behind the /ferry/ REST routes, on the mirror whose MirrorSourceConnector config is in
// `mirror_file`; `--worker_config` adds the worker's cluster defaults and, for a distributed worker, its
// tasks' states; without them, `checks_tasks` (an action that would check them) warns, naming `command`.
Result<std::unique_ptr<ferry::cutover::CutoverService>> OpenCutoverService(const std::string& mirror_file,
                                                                          bool checks_tasks, const std::string& command) {
  namespace cutover = ferry::cutover;
  auto mirror = worker::LoadPropertiesFile(mirror_file);
  if (!mirror.ok()) return mirror.error();
  const std::string name = mirror->count("name") ? mirror->at("name") : "mirror";
  ferry::Properties defaults;
  cutover::MirrorTaskStates task_states;
  // The worker file's config.providers resolve the mirror file's `${...}` references (none without it).
  std::shared_ptr<const worker::ConfigProviders> providers = std::make_shared<const worker::ConfigProviders>();
  if (!FLAGS_worker_config.empty()) {
    auto props = worker::LoadPropertiesFile(FLAGS_worker_config);
    if (!props.ok()) return props.error();
    // A distributed worker's file (it names a group) also names the topics that hold the tasks'
    // statuses and stored positions.
    const bool distributed = props->count("group.id") > 0;
    auto config = worker::WorkerConfig::Parse(*props, distributed ? worker::WorkerMode::kDistributed
                                                                  : worker::WorkerMode::kStandalone);
    if (!config.ok()) return config.error();
    defaults = config->AdminProps();
    providers = config->config_providers;
    if (distributed) task_states = cutover::ConnectTopicsTaskStates(*config, std::chrono::seconds(30));
  }
  if (!task_states && checks_tasks) {
    LOG(WARNING) << command << ": without a distributed worker's file (--worker_config) the mirror's tasks are not "
                 << "seen: a task not running, or restarted below what it copied, is not checked";
  }
  auto resolved = providers->Resolve(*mirror);
  if (!resolved.ok()) return resolved.error();
  cutover::FlowLookup flows = [name, config = *resolved](const std::optional<std::string>&) -> Result<std::pair<std::string, ferry::Properties>> {
    return std::make_pair(name, config);
  };
  return std::make_unique<cutover::CutoverService>(flows, defaults, cutover::KafkaClusterClients(std::chrono::seconds(30)),
                                                   std::chrono::seconds(30), task_states);
}

// `ferry cutover ACTION mirror.properties NAME`: the same code as the worker's /ferry/ REST routes.
// Prints the JSON answer; exits 0 when the action succeeded (a plan was made, a group moved, a copy
// verified), 1 otherwise.
int Cutover(const std::vector<std::string>& args) {
  namespace cutover = ferry::cutover;
  auto fail = [](const Error& error) {
    std::cerr << "ferry cutover: " << error.ToString() << "\n";
    return 1;
  };
  const std::string& action = args[1];
  auto opened = OpenCutoverService(args[2], action == "cutover" || action == "rollback", "ferry cutover");
  if (!opened.ok()) return fail(opened.error());
  cutover::CutoverService& service = **opened;
  cutover::MoveOptions options;
  options.allow_approximate = FLAGS_allow_approximate;
  options.wait = std::chrono::milliseconds(std::max<int64_t>(0, FLAGS_wait_ms));
  const std::string& target = args[3];
  if (action == "plan") {
    if (FLAGS_direction != "cutover" && FLAGS_direction != "rollback") {
      return fail(Error::BadRequest("--direction must be 'cutover' or 'rollback'"));
    }
    auto plan = service.Plan(std::nullopt, target, FLAGS_direction == "cutover" ? cutover::Direction::kCutover
                                                                                : cutover::Direction::kRollback, options);
    if (!plan.ok()) return fail(plan.error());
    std::cout << cutover::ToJson(*plan) << std::endl;
    return 0;
  }
  if (action == "cutover" || action == "rollback") {
    auto report = service.Move(std::nullopt, target, action == "cutover" ? cutover::Direction::kCutover
                                                                         : cutover::Direction::kRollback, options);
    if (!report.ok()) return fail(report.error());
    std::cout << cutover::ToJson(*report) << std::endl;
    return report->outcome == cutover::MoveReport::Outcome::kMoved ? 0 : 1;
  }
  if (action == "status") {
    auto status = service.Status(std::nullopt, target);
    if (!status.ok()) return fail(status.error());
    std::cout << cutover::ToJson(*status) << std::endl;
    return 0;
  }
  if (action == "verify") {
    auto report = service.Verify(std::nullopt, target, FLAGS_partition < 0 ? std::nullopt : std::optional<int32_t>(FLAGS_partition));
    if (!report.ok()) return fail(report.error());
    std::cout << cutover::ToJson(*report) << std::endl;
    return report->ok() ? 0 : 1;
  }
  std::cerr << "ferry cutover: unknown action '" << action << "'\n" << kUsage;
  return 2;
}

// `ferry translate forward|backward mirror.properties TOPIC:PARTITION:OFFSET...`: positions kept outside
// consumer groups (each the next record to read), translated through the mirror's offset map as
// POST /ferry/translate does. Prints its JSON answer; exits 0 when every position translated exactly,
// 1 otherwise (the answer says which did not, and why).
int Translate(const std::vector<std::string>& args) {
  namespace cutover = ferry::cutover;
  auto fail = [](const Error& error) {
    std::cerr << "ferry translate: " << error.ToString() << "\n";
    return 1;
  };
  if (args[1] != "forward" && args[1] != "backward") {
    return fail(Error::BadRequest("the direction must be 'forward' (source to target) or 'backward', not '" +
                                  args[1] + "'"));
  }
  std::vector<std::pair<ferry::TopicPartition, int64_t>> positions;
  for (size_t i = 3; i < args.size(); ++i) {
    // Topic names cannot hold ':' (Kafka allows [a-zA-Z0-9._-]), so the last two fields are numbers.
    const std::string& arg = args[i];
    const size_t second = arg.rfind(':');
    const size_t first = second == std::string::npos || second == 0 ? std::string::npos : arg.rfind(':', second - 1);
    int32_t partition = -1;
    int64_t offset = -1;
    auto whole = [](std::string_view text, auto& out) {
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
      return ec == std::errc() && end == text.data() + text.size() && out >= 0;
    };
    if (first == std::string::npos || first == 0 ||
        !whole(std::string_view(arg).substr(first + 1, second - first - 1), partition) ||
        !whole(std::string_view(arg).substr(second + 1), offset)) {
      return fail(Error::BadRequest("'" + arg + "' is not TOPIC:PARTITION:OFFSET (OFFSET: the next record to read)"));
    }
    positions.push_back({{arg.substr(0, first), partition}, offset});
  }
  auto service = OpenCutoverService(args[2], true, "ferry translate");
  if (!service.ok()) return fail(service.error());
  auto report = (*service)->Translate(std::nullopt, positions,
                                      args[1] == "forward" ? cutover::Direction::kCutover : cutover::Direction::kRollback);
  if (!report.ok()) return fail(report.error());
  std::cout << cutover::ToJson(*report) << std::endl;
  for (const cutover::PartitionPlan& p : report->positions) {
    if (cutover::PositionAnswerOf(p) != cutover::PositionAnswer::kExact) return 1;
  }
  return 0;
}

// SIGTERM and SIGINT, blocked in every thread and taken by a thread of their own from the moment a
// command starts, so that a stop asked for during a long start-up is not left pending until the
// worker is up (it used to join its group and start every task first, 11-13 s). The start checks
// stop_requested() between its steps and stops there. A step that does not end within
// kStartAbortGrace (a cluster that cannot be reached holds one for 30 s) is not waited for: the
// process exits with 128 + the signal, which loses nothing (a task commits a position only once the
// target acknowledged the records before it, so the worker continues as after kill -9).
class StopSignals {
 public:
  static constexpr auto kStartAbortGrace = std::chrono::seconds(2);

  StopSignals() {
    sigemptyset(&signals_);
    sigaddset(&signals_, SIGTERM);
    sigaddset(&signals_, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals_, nullptr);  // before any other thread starts: they inherit it
    std::thread([this] { Run(); }).detach();  // blocked in sigwait until the process ends
  }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  bool stop_requested() const { return signal_.load() != 0; }
  // The start is over (up, or stopping on request): from now on a signal is only reported by Wait().
  void StartEnded() {
    std::lock_guard lock(mu_);
    start_ended_ = true;
    cv_.notify_all();
  }
  // Blocks until a signal has arrived; returns it.
  int Wait() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return signal_.load() != 0; });
    return signal_.load();
  }

 private:
  void Run() {
    int signal = 0;
    sigwait(&signals_, &signal);
    std::unique_lock lock(mu_);
    signal_ = signal;
    cv_.notify_all();
    if (start_ended_) return;
    LOG(INFO) << "signal " << signal << " during start-up: stopping the start";
    if (cv_.wait_for(lock, kStartAbortGrace, [this] { return start_ended_; })) return;
    LOG(WARNING) << "signal " << signal << " during start-up: the start did not reach a point to stop at within "
                 << kStartAbortGrace.count() << " s; exiting now";
    std::cerr << "ferry: stopped during start-up (signal " << signal << ")" << std::endl;
    google::FlushLogFiles(google::GLOG_INFO);
    _exit(128 + signal);
  }

  sigset_t signals_;
  std::atomic<int> signal_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  bool start_ended_ = false;  // mu_
};

// What `ferry --version` prints after "ferry version ".
std::string VersionText() {
  const std::string commit = worker::BuildCommit();
  return std::string(ferry::connectors::kFerryVersion) + (commit.empty() ? "" : " (commit " + commit + ")") +
         ", librdkafka " + rd_kafka_version_str();
}

// A command's start failure: logged, and one line on stderr; exit code 1.
int StartFailed(const std::string& command, const Error& error) {
  LOG(ERROR) << command << " cannot start: " << error.ToString();
  std::cerr << command << ": " << error.message() << "\n";
  return 1;
}

// Runs a worker until SIGTERM or SIGINT. Signals are blocked in every thread and taken here.
int RunWorker(worker::WorkerMode mode, const std::string& worker_file, const std::vector<std::string>& connector_files) {
  StopSignals signals;

  auto fail = [](const Error& error) { return StartFailed("ferry", error); };
  auto props = worker::LoadPropertiesFile(worker_file);
  if (!props.ok()) return fail(props.error());
  auto config = worker::WorkerConfig::Parse(*props, mode);
  if (!config.ok()) return fail(config.error());
  std::vector<ferry::Properties> connectors;
  for (const std::string& file : connector_files) {
    auto c = worker::LoadPropertiesFile(file);
    if (!c.ok()) return fail(c.error());
    if (!c->count("name")) return fail(Error::InvalidConfig("name", "missing in " + file));
    connectors.push_back(std::move(*c));
  }

  auto runtime = worker::WorkerRuntime::Create(*config);
  if (!runtime.ok()) return fail(runtime.error());
  // The REST server comes first, as in Connect: the worker id needs its bound port, and until the
  // herder has read the stores GET /health answers 503 "starting".
  const ferry::rest::RestConfig rest_config = ferry::rest::RestConfig::ForWorker(*config);
  ferry::cutover::CutoverService cutover(ferry::cutover::HerderFlows((*runtime)->herder()), config->AdminProps(),
                                        ferry::cutover::KafkaClusterClients(std::chrono::seconds(30)),
                                        std::chrono::seconds(30),
                                        ferry::cutover::HerderTaskStates((*runtime)->herder()));
  ferry::rest::Server server((*runtime)->herder(), rest_config, &cutover);
  // Between the steps of the start: true (after stopping what runs) when a stop was asked for.
  auto stopped_during_start = [&]() {
    if (!signals.stop_requested()) return false;
    signals.StartEnded();
    server.Stop();
    (*runtime)->Stop();
    LOG(INFO) << "stopped during start-up";
    return true;
  };
  auto port = server.Start();
  if (!port.ok()) return fail(port.error());
  worker::SetDefaultRestClientTls(server.client_tls());  // task configs sent to an https leader
  config->SetBoundPort(*port);
  if (stopped_during_start()) return 0;
  if (auto ensured = (*runtime)->EnsureInternalTopics(*config); !ensured.ok()) {
    if (stopped_during_start()) return 0;
    server.Stop();
    return fail(ensured.error());
  }
  if (stopped_during_start()) return 0;
  if (auto started = (*runtime)->StartHerder(*config); !started.ok()) {
    if (stopped_during_start()) return 0;
    server.Stop();
    return fail(started.error());
  }
  for (const ferry::Properties& c : connectors) {
    if (stopped_during_start()) return 0;
    auto put = (*runtime)->herder().PutConnectorConfig(c.at("name"), c, std::nullopt, true);
    if (!put.ok()) {
      server.Stop();
      (*runtime)->Stop();
      return fail(put.error());
    }
  }
  if (stopped_during_start()) return 0;
  signals.StartEnded();
  LOG(INFO) << "ferry worker " << config->WorkerId() << " is up; REST API on " << rest_config.host << ":" << *port;
  std::cout << "ferry: REST API listening on port " << *port << std::endl;
  for (int admin_port : server.admin_ports()) std::cout << "ferry: REST admin listening on port " << admin_port << std::endl;

  // Waits first: a LOG line takes its time when it starts, and the stop is logged when it comes.
  const int received = signals.Wait();
  LOG(INFO) << "signal " << received << ": stopping";
  server.Stop();
  (*runtime)->Stop();
  return 0;
}

// `ferry mirror-maker mm2.properties [--clusters C1 C2 ...]`, as connect-mirror-maker.sh: one herder
// per flow of the file, all served by one REST server, until SIGTERM or SIGINT.
int RunMirrorMaker(const std::string& file, const std::vector<std::string>& clusters) {
  StopSignals signals;

  auto fail = [](const Error& error) { return StartFailed("ferry mirror-maker", error); };
  auto lines = worker::LoadPropertiesFileWithLines(file);
  if (!lines.ok()) return fail(lines.error());
  auto plan = worker::BuildMirrorMakerPlan(*lines, clusters, file);
  if (!plan.ok()) return fail(plan.error());
  for (const std::string& warning : plan->warnings) LOG(WARNING) << warning;
  auto mm = worker::MirrorMaker::Create(*plan);
  if (!mm.ok()) return fail(mm.error());
  std::vector<ferry::rest::Server::Namespace> namespaces;
  for (worker::MirrorMaker::Flow* flow : (*mm)->flows()) {
    namespaces.push_back({flow->rest_namespace, &flow->runtime->herder()});
  }
  const ferry::rest::RestConfig rest_config = ferry::rest::RestConfig::ForWorker((*mm)->rest_config());
  ferry::rest::Server server(std::move(namespaces), rest_config);
  auto port = server.Start();
  if (!port.ok()) return fail(port.error());
  worker::SetDefaultRestClientTls(server.client_tls());
  if (auto started = (*mm)->Start(*port); !started.ok()) {
    server.Stop();
    if (signals.stop_requested()) return 0;
    return fail(started.error());
  }
  signals.StartEnded();
  if (signals.stop_requested()) {
    server.Stop();
    (*mm)->Stop();
    return 0;
  }
  std::cout << "ferry: REST API listening on port " << *port << std::endl;
  for (worker::MirrorMaker::Flow* flow : (*mm)->flows()) {
    std::cout << "ferry: flow " << flow->plan.Name() << " in group " << flow->config.group_id << ", REST under "
              << flow->rest_namespace << (flow->started ? "" : " (not started yet: its cluster cannot be reached)")
              << std::endl;
  }
  // Waits first: a LOG line takes its time when it starts, and the stop is logged when it comes.
  const int received = signals.Wait();
  LOG(INFO) << "signal " << received << ": stopping";
  server.Stop();
  (*mm)->Stop();
  return 0;
}

// MM2's --clusters: the flag's comma-separated aliases and any further arguments.
std::vector<std::string> MirrorMakerClusters(const std::vector<std::string>& extra) {
  std::vector<std::string> out;
  std::string list = FLAGS_clusters;
  for (size_t start = 0; start <= list.size() && !list.empty();) {
    size_t comma = list.find(',', start);
    if (comma == std::string::npos) comma = list.size();
    if (comma > start) out.push_back(list.substr(start, comma - start));
    start = comma + 1;
  }
  out.insert(out.end(), extra.begin(), extra.end());
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  gflags::SetUsageMessage(kUsage);
  gflags::SetVersionString(VersionText());
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  FLAGS_logtostderr = true;
  google::InitGoogleLogging(argv[0]);
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::cerr << kUsage;
    return 2;
  }
  if (args[0] == "demo") return Demo();
  if (args[0] == "cutover" && args.size() == 4) return Cutover(args);
  if (args[0] == "translate" && args.size() >= 4) return Translate(args);
  if (args[0] == "mirror-maker" && args.size() >= 2) {
    if (FLAGS_clusters.empty() && args.size() > 2) {
      std::cerr << "ferry mirror-maker: unexpected arguments after the file (use --clusters C1 C2 ...)\n" << kUsage;
      return 2;
    }
    return RunMirrorMaker(args[1], MirrorMakerClusters({args.begin() + 2, args.end()}));
  }
  if (args[0] == "distributed" && args.size() == 2) return RunWorker(worker::WorkerMode::kDistributed, args[1], {});
  if (args[0] == "standalone" && args.size() >= 2) {
    return RunWorker(worker::WorkerMode::kStandalone, args[1], {args.begin() + 2, args.end()});
  }
  std::cerr << "ferry: unknown command or wrong arguments: '" << args[0] << "'\n" << kUsage;
  return 2;
}
