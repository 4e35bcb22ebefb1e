#include "worker/demo.h"

#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <iomanip>
#include <map>
#include <random>
#include <sstream>
#include <thread>
#include <vector>

#include <glog/logging.h>
#include <librdkafka/rdkafka.h>

#include "connectors/replication_policy.h"
#include "tasks/offset_sync_store.h"
#include "worker/common/metrics.h"
#include "worker/cutover/service.h"
#include "worker/demo_act.h"
#include "worker/herder.h"
#include "worker/kafka/admin.h"
#include "worker/kafka/client.h"
#include "worker/kafka/kafka_log.h"
#include "worker/kafka/mock_cluster.h"
#include "worker/kafka/record_io.h"
#include "worker/runtime.h"
#include "worker/worker_config.h"

namespace ferry::worker {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr const char* kSourceAlias = "onprem";
constexpr const char* kTargetAlias = "cloud";
constexpr const char* kGroup = "billing";
constexpr const char* kConnector = "demo-mirror";
constexpr const char* kTopicNames[] = {"orders", "payments", "clicks", "shipments", "returns", "audit"};
constexpr milliseconds kAdminTimeout{30000};

std::string TopicName(int i) {
  constexpr int kNamed = sizeof(kTopicNames) / sizeof(kTopicNames[0]);
  return i < kNamed ? kTopicNames[i] : "topic" + std::to_string(i);
}

// The run's names. On the embedded clusters the plain ones; on clusters the user named, each with a
// suffix new to the run, so that nothing there is reused or touched.
struct DemoNames {
  std::string suffix;  // "" on the embedded clusters
  std::string alias;   // the source cluster's alias: remote topics are <alias>.<topic>
  std::string target_alias;  // names the offset-syncs topic (mm2-offset-syncs.<target alias>.internal)
  std::string group;
  std::vector<std::string> topics;

  static DemoNames Make(int topics, bool unique) {
    DemoNames names;
    if (unique) {
      std::random_device random;
      char suffix[9];
      std::snprintf(suffix, sizeof suffix, "%08x", static_cast<unsigned>(random()));
      names.suffix = suffix;
    }
    auto name = [&](const std::string& base) { return names.suffix.empty() ? base : base + "-" + names.suffix; };
    names.alias = name(kSourceAlias);
    names.target_alias = name(kTargetAlias);
    names.group = name(kGroup);
    for (int t = 0; t < topics; ++t) names.topics.push_back(name(TopicName(t)));
    return names;
  }
};

struct RecordShape {
  int value_bytes = 0;
  std::string origin;     // a header naming the source cluster
  int64_t base_time = 0;  // CreateTime of record 0: the run's start, so a broker's time retention keeps them
};

kafka::Record DemoRecord(int64_t seq, const RecordShape& shape) {
  kafka::Record r;
  r.key = "key-" + std::to_string(seq % 10007);
  std::string value = "event-" + std::to_string(seq) + ":";
  value.resize(static_cast<size_t>(shape.value_bytes), static_cast<char>('a' + seq % 26));
  r.value = std::move(value);
  r.headers = {{"seq", std::to_string(seq)}, {"origin", shape.origin}};
  r.timestamp = shape.base_time + seq;
  return r;
}

// Makes the run's topics on one cluster: on the mock directly; on Kafka through the Admin API with
// the broker's default replication factor, refusing a topic that already exists (the demo writes only
// to topics it made), then waiting until the cluster's metadata shows every partition.
class TopicMaker {
 public:
  explicit TopicMaker(kafka::MockCluster& mock) : mock_(&mock), bootstrap_(mock.bootstrap_servers()) {}
  static Result<std::unique_ptr<TopicMaker>> ForKafka(const std::string& bootstrap) {
    auto admin = kafka::RdKafkaAdmin::Create({{"bootstrap.servers", bootstrap}}, kAdminTimeout);
    if (!admin.ok()) return admin.error();
    auto client = kafka::NewClient(RD_KAFKA_PRODUCER, {{"bootstrap.servers", bootstrap}});
    if (!client.ok()) return client.error();
    return std::unique_ptr<TopicMaker>(new TopicMaker(bootstrap, std::move(*admin), std::move(*client)));
  }

  // `configs` apply on Kafka only (the mock has no topic configs).
  Result<> Create(const std::string& topic, int partitions, const Properties& configs = {}) {
    if (mock_ != nullptr) return mock_->CreateTopic(topic, partitions);
    auto answers = admin_->CreateTopics({kafka::NewTopic{topic, partitions, -1, configs}});
    if (!answers.ok()) return answers.error();
    const Result<kafka::TopicCreation>& answer = answers->at(topic);
    if (!answer.ok()) return answer.error();
    if (*answer == kafka::TopicCreation::kAlreadyExisted) {
      return Error::Conflict("topic '" + topic + "' already exists on " + bootstrap_ +
                             ": the demo writes only to topics it made (run it again for new names)");
    }
    created_.push_back(topic);
    // CreateTopics answers once the controller has the topic; the brokers learn of it a moment later.
    const auto deadline = Clock::now() + kAdminTimeout;
    for (;;) {
      auto count = kafka::PartitionCount(client_.get(), topic, milliseconds(5000));
      if (count.ok() && *count == partitions) return Ok();
      if (Clock::now() >= deadline) {
        return Error::Timeout("topic '" + topic + "' was created on " + bootstrap_ + " but its " +
                              std::to_string(partitions) + " partitions are not in the metadata after 30 s");
      }
      std::this_thread::sleep_for(milliseconds(100));
    }
  }
  const std::vector<std::string>& created() const { return created_; }

 private:
  TopicMaker(std::string bootstrap, kafka::AdminPtr admin, kafka::HandlePtr client)
      : bootstrap_(std::move(bootstrap)), admin_(std::move(admin)), client_(std::move(client)) {}

  kafka::MockCluster* mock_ = nullptr;
  std::string bootstrap_;
  kafka::AdminPtr admin_;
  kafka::HandlePtr client_;
  std::vector<std::string> created_;
};

// Writes a paced stream round-robin over the partitions until told to stop.
class LiveProducer {
 public:
  LiveProducer(kafka::RecordWriter& writer, std::vector<TopicPartition> partitions, const DemoOptions& options,
               RecordShape shape)
      : writer_(writer), partitions_(std::move(partitions)), options_(options), shape_(std::move(shape)) {
    thread_ = std::thread([this] { Run(); });
  }
  ~LiveProducer() { Stop(); }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  int64_t sent() const { return sent_.load(); }
  // Of the records sent, those of topic number `t` (records go round-robin over the partitions, topic
  // by topic): counted, not estimated.
  int64_t sent_to_topic(int t, int partitions_per_topic) const {
    const int64_t all = static_cast<int64_t>(partitions_.size()), per = partitions_per_topic, n = sent();
    return n / all * per + std::clamp<int64_t>(n % all - t * per, 0, per);
  }
  const std::optional<Error>& error() const { return error_; }

 private:
  void Run() {
    const auto start = Clock::now();
    while (!stop_ && Clock::now() - start < options_.produce_for) {
      const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
      const auto due = static_cast<int64_t>(elapsed * options_.records_per_second) + 1;
      for (int64_t seq = sent_; seq < due && !stop_; ++seq) {
        const TopicPartition& tp = partitions_[static_cast<size_t>(seq) % partitions_.size()];
        if (auto r = writer_.Send(tp.topic, tp.partition, DemoRecord(seq, shape_)); !r.ok()) {
          error_ = r.error();
          return;
        }
        sent_ = seq + 1;
      }
      std::this_thread::sleep_for(milliseconds(2));
    }
  }

  kafka::RecordWriter& writer_;
  std::vector<TopicPartition> partitions_;
  DemoOptions options_;
  RecordShape shape_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> sent_{0};
  std::optional<Error> error_;
  std::thread thread_;
};


// The clusters of the run: embedded, or the user's; and on each the maker of the run's topics.
struct DemoClusters {
  std::unique_ptr<kafka::MockCluster> mock_source, mock_target;
  std::unique_ptr<TopicMaker> source_topics, target_topics;
  ActClusters act;
};

Result<std::unique_ptr<DemoClusters>> OpenClusters(const DemoOptions& options, bool real) {
  auto c = std::make_unique<DemoClusters>();
  c->act = ActClusters{options.source_bootstrap, options.target_bootstrap, real};
  if (real) {
    auto maker = TopicMaker::ForKafka(c->act.source);
    if (!maker.ok()) return maker.error();
    c->source_topics = std::move(*maker);
    maker = TopicMaker::ForKafka(c->act.target);
    if (!maker.ok()) return maker.error();
    c->target_topics = std::move(*maker);
    return c;
  }
  auto source = kafka::MockCluster::Start(3);
  if (!source.ok()) return source.error();
  auto target = kafka::MockCluster::Start(3);
  if (!target.ok()) return target.error();
  c->mock_source = std::move(*source);
  c->mock_target = std::move(*target);
  c->act.source = c->mock_source->bootstrap_servers();
  c->act.target = c->mock_target->bootstrap_servers();
  c->source_topics = std::make_unique<TopicMaker>(*c->mock_source);
  c->target_topics = std::make_unique<TopicMaker>(*c->mock_target);
  return c;
}

// The standalone worker the mirror runs in, its cutover service and its REST server; stopped in
// that order. Its offset file lives in a directory of the run's own, removed at the end.
struct DemoWorker {
  std::string dir;
  std::unique_ptr<WorkerRuntime> runtime;
  std::unique_ptr<cutover::CutoverService> cutover;
  std::unique_ptr<DemoRestServer> rest;

  ~DemoWorker() {
    rest.reset();
    if (runtime) runtime->Stop();
    cutover.reset();
    std::error_code ignored;
    if (!dir.empty()) std::filesystem::remove_all(dir, ignored);
  }
  Herder& herder() { return runtime->herder(); }
};

Result<std::unique_ptr<DemoWorker>> StartWorker(const DemoOptions& options, const ActClusters& clusters,
                                                cutover::ClusterClients clients) {
  auto w = std::make_unique<DemoWorker>();
  char dir[] = "/tmp/ferry-demo-XXXXXX";
  if (mkdtemp(dir) == nullptr) return Error::Internal("cannot make a directory for the demo worker's offset file");
  w->dir = dir;
  const Properties props = {{"bootstrap.servers", clusters.target},
                            {"offset.storage.file.filename", w->dir + "/offsets"},
                            {"offset.flush.interval.ms", "500"},  // positions and offset syncs every 0.5 s
                            {"listeners", "http://127.0.0.1:" + std::to_string(options.rest_port)},
                            {"key.converter", "org.apache.kafka.connect.converters.ByteArrayConverter"},
                            {"value.converter", "org.apache.kafka.connect.converters.ByteArrayConverter"}};
  auto config = WorkerConfig::Parse(props, WorkerMode::kStandalone);
  if (!config.ok()) return config.error();
  auto runtime = WorkerRuntime::Create(*config);
  if (!runtime.ok()) return runtime.error();
  w->runtime = std::move(*runtime);
  w->cutover = std::make_unique<cutover::CutoverService>(cutover::HerderFlows(w->herder()), config->AdminProps(),
                                                         std::move(clients), kAdminTimeout,
                                                         cutover::HerderTaskStates(w->herder()));
  // As `ferry standalone`: the REST server first, since the worker's id names its bound port.
  auto rest = options.rest(w->herder(), *w->cutover, options.rest_port);
  if (!rest.ok()) return rest.error();
  w->rest = std::move(*rest);
  config->SetBoundPort(w->rest->port());
  FERRY_RETURN_IF_ERROR(w->runtime->Start(*config));
  return w;
}

std::string Joined(const std::vector<std::string>& names, const std::string& separator = ", ") {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : separator) + n;
  return out;
}

// MM2's MirrorSourceConnector over the run's topics, one task. Its remote topics and offset-syncs
// topic exist already (made by the demo), so the replication factors only matter to a topic the
// connector would make: the brokers' default.
Properties MirrorConfig(const DemoNames& names, const ActClusters& clusters) {
  Properties config = {{"name", kConnector},
                       {"connector.class", "MirrorSourceConnector"},
                       {"source.cluster.alias", names.alias},
                       {"target.cluster.alias", names.target_alias},
                       {"source.cluster.bootstrap.servers", clusters.source},
                       {"target.cluster.bootstrap.servers", clusters.target},
                       {"topics", Joined(names.topics, ",")},
                       {"tasks.max", "1"},
                       {"refresh.topics.enabled", "false"},
                       {"sync.topic.configs.enabled", "false"},
                       {"sync.topic.acls.enabled", "false"},
                       {"replication.factor", "-1"},
                       {"offset-syncs.topic.replication.factor", "-1"}};
  // The mock broker holds an empty fetch for the full wait; a short wait keeps the live lag low.
  if (!clusters.real) config["source.consumer.fetch.wait.max.ms"] = "50";
  return config;
}

// The connector's or its task's failure, if it failed.
std::optional<Error> MirrorFailure(Herder& herder) {
  auto status = herder.GetConnectorStatus(kConnector);
  if (!status.ok()) return std::nullopt;  // not known yet
  auto failed = [](const StateInfo& s) { return s.state == "FAILED"; };
  if (failed(status->connector)) {
    return Error::Internal("the mirror connector failed: " + status->connector.trace.value_or("(no trace)"));
  }
  for (const TaskStateInfo& task : status->tasks) {
    if (failed(task.state)) {
      return Error::Internal("the mirror task failed: " + task.state.trace.value_or("(no trace)"));
    }
  }
  return std::nullopt;
}

// What the running task has copied of each topic, as the worker's GET /metrics says it, beside what
// the producer sent.
std::vector<TopicProgress> Progress(Herder& herder, const LiveProducer& producer, const DemoNames& names,
                                    const connectors::ReplicationPolicy& policy, int partitions) {
  metrics::Exposition exposition;
  herder.CollectMetrics(exposition);
  const std::map<std::string, CopiedFigures> figures = ReadCopiedFigures(exposition.Text());
  std::vector<TopicProgress> out;
  for (size_t t = 0; t < names.topics.size(); ++t) {
    TopicProgress p{names.topics[t], producer.sent_to_topic(static_cast<int>(t), partitions), {}};
    if (auto f = figures.find(policy.FormatRemoteTopic(names.alias, names.topics[t])); f != figures.end()) {
      p.figures = f->second;
    }
    out.push_back(std::move(p));
  }
  return out;
}

int64_t Copied(const std::vector<TopicProgress>& topics) {
  int64_t copied = 0;
  for (const TopicProgress& t : topics) copied += t.figures.copied;
  return copied;
}

struct Copy {
  double seconds = 0;  // from the mirror's start until it had copied every record the source acknowledged
  int64_t records = 0;
};

// The run's live part: the producer writes for the set time while the mirror copies and the board
// shows it; then the producer stops and the mirror catches up.
Result<Copy> Watch(const DemoOptions& options, DemoWorker& worker, kafka::RecordWriter& writer,
                     LiveProducer& producer, const DemoNames& names, const connectors::ReplicationPolicy& policy,
                     CutoverAct* act, std::ostream& out) {
  ProgressBoard board(options.progress, out);
  const auto started = Clock::now();
  auto since_start = [&] { return std::chrono::duration<double>(Clock::now() - started).count(); };
  bool producing = true, moved = false;
  auto mark_cutover = [&] {
    if (!act || moved) return;
    if (auto summary = act->moved()) {
      moved = true;
      board.Event(since_start(), "CUTOVER: group '" + names.group + "' moved to the target at partition:source->"
                                 "target offset " + *summary);
    }
  };
  std::optional<double> caught_up_at;
  std::vector<TopicProgress> topics;
  // On a slow machine the group may move only after the mirror caught up: the board waits for it.
  const auto deadline = started + options.produce_for + milliseconds(60000);
  while (Clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(250));
    if (auto failure = MirrorFailure(worker.herder())) return *failure;
    if (producer.error()) return *producer.error();
    if (producing && producer.sent() > 0 && Clock::now() - started >= options.produce_for) {
      producer.Stop();
      FERRY_RETURN_IF_ERROR(writer.Flush(milliseconds(30000)));
      producing = false;
      board.Event(since_start(), "the producer stopped after " + Grouped(writer.delivered()) +
                                     " records; the mirror catches up");
    }
    mark_cutover();
    topics = Progress(worker.herder(), producer, names, policy, options.partitions);
    if (!producing && !caught_up_at && Copied(topics) >= writer.delivered()) caught_up_at = since_start();
    const std::string phase = producing      ? "live: the producer writes, the mirror copies"
                              : caught_up_at ? "caught up, the group's cutover under way"
                                             : "catching up";
    if (caught_up_at && (!act || moved || act->done())) break;
    board.Update(since_start(), phase, topics, act ? act->Whereabouts() : "");
  }
  mark_cutover();
  const double seconds = caught_up_at.value_or(since_start());
  board.Finish(since_start(), caught_up_at ? "caught up" : "stopped at the deadline", topics,
               act ? act->Whereabouts() : "");
  producer.Stop();
  if (Copied(topics) != writer.delivered()) {
    return Error::Timeout("the mirror copied " + std::to_string(Copied(topics)) + " of " +
                          std::to_string(writer.delivered()) + " records before the deadline");
  }
  return Copy{seconds, Copied(topics)};
}

// The exact offset map as the task wrote it to its offset-syncs topic, read until it says every
// record up to `last` (per partition) was copied. The task syncs its last copies at each offset
// commit (every 0.5 s here).
Result<std::unique_ptr<tasks::OffsetSyncStore>> ReadOffsetSyncs(const std::string& bootstrap, const std::string& topic,
                                                                const std::map<TopicPartition, int64_t>& last) {
  kafka::KafkaLogOptions options;
  options.topic = topic;
  options.consumer = options.producer = {{"bootstrap.servers", bootstrap}};
  auto store = std::make_unique<tasks::OffsetSyncStore>(std::move(options));
  FERRY_RETURN_IF_ERROR(store->Start(kAdminTimeout));
  const auto deadline = Clock::now() + kAdminTimeout;
  for (;;) {
    auto missing = std::find_if(last.begin(), last.end(), [&](const auto& entry) {
      return entry.second >= 0 && !store->Translate(entry.first, SourceOffset(entry.second));
    });
    if (missing == last.end()) return store;
    if (Clock::now() >= deadline) {
      return Error::Timeout("the offset syncs in " + topic + " do not cover offset " + std::to_string(missing->second) +
                            " of " + missing->first.ToString() + " 30 s after the mirror copied it");
    }
    std::this_thread::sleep_for(milliseconds(200));
    FERRY_RETURN_IF_ERROR(store->ReadToEnd(kAdminTimeout));
  }
}

// Every record on the target, key by key and offset by offset, and the offset map's translation of
// every source offset to where its record landed; the act's group's reading. Fills the report.
Result<> VerifyCopy(const ActClusters& clusters, const std::vector<TopicPartition>& partitions, const DemoNames& names,
                    const connectors::ReplicationPolicy& policy, const CutoverAct* act, DemoReport& report) {
  std::map<TopicPartition, std::vector<kafka::Record>> source, target;
  std::map<TopicPartition, int64_t> last;
  for (const TopicPartition& tp : partitions) {
    auto src = kafka::ReadPartition(clusters.source, tp, milliseconds(60000));
    if (!src.ok()) return src.error();
    const TopicPartition remote{policy.FormatRemoteTopic(names.alias, tp.topic), tp.partition};
    auto tgt = kafka::ReadPartition(clusters.target, remote, milliseconds(60000));
    if (!tgt.ok()) return tgt.error();
    FERRY_RETURN_IF_ERROR(kafka::VerifyMirrored(tp, *src, *tgt));
    last[tp] = src->empty() ? -1 : src->back().offset;
    for (const kafka::Record& r : *src) {
      report.bytes += static_cast<int64_t>(r.key.value_or("").size() + r.value.value_or("").size());
    }
    source[tp] = std::move(*src);
    target[tp] = std::move(*tgt);
  }
  const std::string syncs_topic = policy.OffsetSyncsTopic(names.target_alias);
  auto syncs = ReadOffsetSyncs(clusters.source, syncs_topic, last);
  if (!syncs.ok()) return syncs.error();
  for (const TopicPartition& tp : partitions) {
    const auto& src = source[tp];
    const auto& tgt = target[tp];
    for (size_t i = 0; i < src.size(); ++i) {
      auto translated = (*syncs)->Translate(tp, SourceOffset(src[i].offset));
      if (translated != TargetOffset(tgt[i].offset)) {
        return Error::Corrupt("the offset map in " + syncs_topic + " does not translate source offset " +
                              std::to_string(src[i].offset) + " of " + tp.ToString() + " to " +
                              std::to_string(tgt[i].offset));
      }
    }
    ++report.verified_partitions;
  }
  report.offset_syncs = (*syncs)->syncs_read();
  (*syncs)->Stop();
  if (act) {
    std::map<TopicPartition, std::vector<kafka::Record>> act_topic;
    for (const auto& [tp, records] : source) {
      if (tp.topic == names.topics.front()) act_topic[tp] = records;
    }
    FERRY_RETURN_IF_ERROR(act->Verify(act_topic));
    report.group_records_on_source = act->read_on_source();
    report.group_records_on_target = act->read_on_target();
  }
  return Ok();
}

void PrintReport(const DemoOptions& options, const ActClusters& clusters, const DemoReport& report,
                 const std::string& first_topic, const CutoverAct* act, std::ostream& out) {
  const bool real = clusters.real;
  out << std::fixed << std::setprecision(1) << "\nreport\n"
      << "  clusters           source " << clusters.source << ", target " << clusters.target
      << (real ? " (Kafka)" : " (embedded mock clusters)") << "\n"
      << "  mirror             MirrorSourceConnector '" << kConnector << "' in a standalone worker, REST API and "
      << "status page on http://127.0.0.1:" << report.rest_port << "\n"
      << "  records copied     " << report.records << "\n"
      << "  data copied        " << report.bytes / 1e6 << " MB (keys and values)\n"
      << "  elapsed            " << report.seconds << " s (producer ran "
      << std::chrono::duration<double>(options.produce_for).count() << " s)\n"
      << "  throughput         " << report.records / report.seconds << " records/s\n"
      << "  offset syncs       " << report.offset_syncs << " read back from the offset-syncs topic\n"
      << "  verification       PASSED: " << report.verified_partitions
      << " partitions identical record by record, offsets map exactly\n";
  if (act) {
    out << "  cutover act        group '" << report.group << "' read " << report.group_records_on_source
        << " records on the source, was cut over (partition:source->target offset " << act->summary() << ") and read "
        << report.group_records_on_target << " on the target\n"
        << "                     PASSED: every record of " << first_topic << " read exactly once, in order: "
        << "0 lost, 0 duplicated\n"
        << "                     refused while the group still read on the source: " << act->refusal() << "\n"
        << (real ? "                     (the group's state came from the brokers: DescribeGroups)\n"
                 : "                     (the mock cluster cannot describe groups: the demo tells the cutover where "
                   "its consumer runs)\n");
  }
  if (real) {
    out << "  topics made        on the source: " << Joined(report.source_topics_created) << "\n"
        << "                     on the target: " << Joined(report.target_topics_created) << "\n"
        << "                     left in place (the demo deletes nothing); group '" << report.group
        << "' has committed offsets on both clusters\n";
  }
}

Result<> CheckOptions(const DemoOptions& options, bool real) {
  if (real && (options.source_bootstrap.empty() || options.target_bootstrap.empty())) {
    return Error::InvalidConfig("--bootstrap-source, --bootstrap-target",
                                "name both clusters, or neither for the embedded ones");
  }
  if (real && options.source_bootstrap == options.target_bootstrap) {
    return Error::InvalidConfig("--bootstrap-target", "the target must be another cluster than the source");
  }
  if (options.topics < 1 || options.partitions < 1 || options.records_per_second < 1 ||
      options.produce_for <= milliseconds(0)) {
    return Error::InvalidConfig("--demo_topics, --demo_partitions, --demo_rate, --demo_seconds", "must be positive");
  }
  if (options.rest_port < 0 || options.rest_port > 65535) {
    return Error::InvalidConfig("--demo_rest_port", "must be a port number (0: an ephemeral port)");
  }
  return Ok();
}

}  // namespace

Result<DemoReport> RunDemo(const DemoOptions& options, std::ostream& out) {
  const bool real = !options.source_bootstrap.empty() || !options.target_bootstrap.empty();
  FERRY_RETURN_IF_ERROR(CheckOptions(options, real));
  CHECK(options.rest) << "RunDemo needs a REST server starter";

  auto opened = OpenClusters(options, real);
  if (!opened.ok()) return opened.error();
  DemoClusters& c = **opened;
  const ActClusters& clusters = c.act;
  const DemoNames names = DemoNames::Make(options.topics, real);
  auto policy = std::make_shared<connectors::DefaultReplicationPolicy>();
  const std::string first_topic = names.topics.front();

  out << "ferry demo: source cluster " << clusters.source << ", target cluster " << clusters.target
      << (real ? " (Kafka clusters named on the command line)" : " (embedded)") << "\n";
  if (real) out << "this run makes its own topics (names ending in -" << names.suffix << ") and deletes nothing\n";
  std::vector<TopicPartition> partitions;
  for (const std::string& topic : names.topics) {
    FERRY_RETURN_IF_ERROR(c.source_topics->Create(topic, options.partitions));
    FERRY_RETURN_IF_ERROR(c.target_topics->Create(policy->FormatRemoteTopic(names.alias, topic), options.partitions));
    for (int p = 0; p < options.partitions; ++p) partitions.push_back({topic, p});
  }
  const Properties compacted = {{"cleanup.policy", "compact"}};
  FERRY_RETURN_IF_ERROR(c.source_topics->Create(policy->OffsetSyncsTopic(names.target_alias), 1, compacted));
  if (options.cutover) FERRY_RETURN_IF_ERROR(c.target_topics->Create(cutover::JournalTopic(names.alias), 1, compacted));

  GroupWhereabouts where;
  auto worker = StartWorker(options, clusters, DemoClusterClients(clusters, names.group, where));
  if (!worker.ok()) return worker.error();
  DemoReport report;
  report.rest_port = (*worker)->rest->port();
  out << "status page:  http://127.0.0.1:" << report.rest_port << "/ui  (the worker's REST API and GET /metrics "
      << "on the same port, while the demo runs)\n";
  auto put = (*worker)->herder().PutConnectorConfig(kConnector, MirrorConfig(names, clusters), std::nullopt, false);
  if (!put.ok()) return put.error();
  out << "mirroring " << options.topics << " topics x " << options.partitions << " partitions (" << names.alias
      << ".<topic> on the target) with MirrorSourceConnector '" << kConnector << "' while a producer writes "
      << options.records_per_second << " records/s for " << std::chrono::duration<double>(options.produce_for).count()
      << " s\n";

  auto writer = kafka::RecordWriter::Create(clusters.source);
  if (!writer.ok()) return writer.error();
  std::unique_ptr<CutoverAct> act;
  if (options.cutover) {
    act = std::make_unique<CutoverAct>(clusters, *(*worker)->cutover, where, policy, names.alias, names.group,
                                       first_topic, options.partitions, options.produce_for / 2);
    act->Start();
    out << "consumer group '" << names.group << "' reads " << first_topic << " on the source and is cut over to "
        << policy->FormatRemoteTopic(names.alias, first_topic) << " on the target half-way through the stream\n";
  }
  const RecordShape shape{options.value_bytes, names.alias,
                          std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count()};
  LiveProducer producer(**writer, partitions, options, shape);
  auto copy = Watch(options, **worker, **writer, producer, names, *policy, act.get(), out);
  if (!copy.ok()) return copy.error();
  if (act) {
    act->Finish();
    FERRY_RETURN_IF_ERROR(act->Wait());
  }

  out << "verifying every record, key by key and offset by offset...\n";
  FERRY_RETURN_IF_ERROR(VerifyCopy(clusters, partitions, names, *policy, act.get(), report));
  report.records = copy->records;
  report.seconds = copy->seconds;
  report.group = names.group;
  report.source_topics_created = c.source_topics->created();
  report.target_topics_created = c.target_topics->created();
  PrintReport(options, clusters, report, first_topic, act.get(), out);
  return report;
}

}  // namespace ferry::worker
