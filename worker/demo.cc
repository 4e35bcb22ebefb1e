#include "worker/demo.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <functional>
#include <iomanip>
#include <map>
#include <random>
#include <sstream>
#include <thread>
#include <vector>

#include <librdkafka/rdkafka.h>

#include "tasks/mirror_task.h"
#include "tasks/offset_map.h"
#include "worker/cutover/group_cutover.h"
#include "worker/cutover/group_state_guard.h"
#include "worker/cutover/service.h"
#include "worker/kafka/admin.h"
#include "worker/kafka/client.h"
#include "worker/kafka/kafka_log.h"
#include "worker/kafka/mock_cluster.h"
#include "worker/kafka/record_io.h"

namespace ferry::worker {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr const char* kSourceAlias = "onprem";
constexpr const char* kTargetAlias = "cloud";
constexpr const char* kGroup = "billing";
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


// The real Admin, except that whether the demo's group has members comes from the demo itself: the
// mock cluster cannot describe groups (librdkafka 2.0.2 aborts when asked), and the demo knows where
// its consumer runs. On Kafka clusters the demo uses the brokers' answer instead (GroupStateGuard).
class DemoGroupState : public kafka::ForwardingAdmin {
 public:
  DemoGroupState(kafka::AdminPtr admin, std::string group, const std::atomic<bool>& consuming_here)
      : ForwardingAdmin(std::move(admin)), group_(std::move(group)), consuming_here_(consuming_here) {}
  Result<kafka::GroupDescription> DescribeConsumerGroupState(const std::string& group) override {
    const int members = group == group_ && consuming_here_ ? 1 : 0;
    return kafka::GroupDescription{group, members ? kafka::GroupState::kStable : kafka::GroupState::kEmpty, members,
                                   false};
  }

 private:
  const std::string group_;
  const std::atomic<bool>& consuming_here_;
};

// The two clusters as the cutover act sees them.
struct ActClusters {
  std::string source;
  std::string target;
  bool real = false;  // Kafka clusters: the group's state is the brokers' (DescribeGroups)
};

// The cutover act: the consumer group reads the first topic live on the source. Half-way through the
// stream a cutover is planned while it still reads (it must be refused: the group is active), then the
// application stops, the group is cut over through the exact offset map while the producer keeps
// writing, and it reads on from the target copy until the mirror has caught up. Everything it read, on
// both clusters, is checked against the source: every record exactly once, in order.
class CutoverAct {
 public:
  CutoverAct(ActClusters clusters, const tasks::OffsetMap& map, std::shared_ptr<const connectors::ReplicationPolicy> policy,
             std::string alias, std::string group, std::string topic, int partitions, std::chrono::milliseconds switch_after)
      : clusters_(std::move(clusters)), map_(map), policy_(std::move(policy)), alias_(std::move(alias)),
        group_(std::move(group)), topic_(std::move(topic)), partitions_(partitions), switch_after_(switch_after) {}
  ~CutoverAct() {
    Finish();
    if (thread_.joinable()) thread_.join();
  }

  // The journal topic (cutover::JournalTopic(alias)) must exist on the target.
  void Start() {
    thread_ = std::thread([this] { result_ = Run(); });
  }
  void Finish() { finish_ = true; }  // the mirror has caught up: read to the end and stop
  Result<> Wait() {
    if (thread_.joinable()) thread_.join();
    return result_;
  }
  const std::string& summary() const { return summary_; }
  const std::string& refusal() const { return refusal_; }
  int64_t read_on_source() const { return on_source_; }
  int64_t read_on_target() const { return on_target_; }

  // Compares what the group read with the source partitions, record by record.
  Result<> Verify(const std::map<TopicPartition, std::vector<kafka::Record>>& source_records) const {
    for (int p = 0; p < partitions_; ++p) {
      const auto& src = source_records.at({topic_, p});
      const auto& got = read_[static_cast<size_t>(p)];
      for (size_t i = 0; i < std::max(src.size(), got.size()); ++i) {
        if (i >= got.size() || i >= src.size() || !src[i].SameContent(got[i])) {
          return Error::Corrupt("group '" + group_ + "' on " + topic_ + "-" + std::to_string(p) +
                                ": its record #" + std::to_string(i) + " is " +
                                (i < got.size() ? got[i].Describe() : "missing") + ", the source's is " +
                                (i < src.size() ? src[i].Describe() : "none (read twice?)") + " (it read " +
                                std::to_string(on_source_) + " records on the source and " +
                                std::to_string(on_target_) + " on the target; cut over at partition:source->target " +
                                (summary_.empty() ? "none" : summary_) + ")");
        }
      }
    }
    return Ok();
  }

 private:
  // On Kafka a member of the group, so that the brokers see it while it reads (and a cutover planned
  // meanwhile is refused); on the mock, whose coordinator makes a first join wait 3 s and cannot
  // describe groups, a reader of the group's assigned partitions.
  Result<std::unique_ptr<kafka::GroupReader>> NewConsumer(const std::string& bootstrap, const std::string& topic) {
    std::vector<int32_t> all;
    for (int p = 0; p < partitions_; ++p) all.push_back(p);
    return kafka::GroupReader::Create(bootstrap, group_, topic, all,
                                      clusters_.real ? kafka::GroupReader::Membership::kJoined
                                                     : kafka::GroupReader::Membership::kAssigned);
  }

  // Reads `topic` of `bootstrap` as the group until `done` says so; returns when it has committed and
  // its consumer is closed.
  Result<> Consume(const std::string& bootstrap, const std::string& topic,
                   const std::function<bool(const kafka::GroupReader&, bool)>& done,
                   std::atomic<int64_t>& count) {
    auto consumer = NewConsumer(bootstrap, topic);
    if (!consumer.ok()) return consumer.error();
    for (bool at_end = false; !done(**consumer, at_end);) {
      auto batch = (*consumer)->Poll(500, milliseconds(200));
      if (!batch.ok()) return batch.error();
      at_end = batch->size() < 500;
      for (auto& r : *batch) read_[static_cast<size_t>(r.partition)].push_back(std::move(r.record));
      count += static_cast<int64_t>(batch->size());
      FERRY_RETURN_IF_ERROR((*consumer)->Commit());  // as an application commits what it processed
    }
    return Ok();
  }

  // The end offset of every partition of `topic` on the target.
  Result<std::vector<int64_t>> TargetEnds(const std::string& topic) const {
    auto client = kafka::NewClient(RD_KAFKA_CONSUMER, {{"bootstrap.servers", clusters_.target}});
    if (!client.ok()) return client.error();
    std::vector<int64_t> ends;
    for (int p = 0; p < partitions_; ++p) {
      auto w = kafka::QueryWatermarks(client->get(), {topic, p}, milliseconds(10000));
      if (!w.ok()) return w.error();
      ends.push_back(w->high);
    }
    return ends;
  }

  Result<kafka::AdminPtr> GroupStateAdmin(const std::string& bootstrap, const std::atomic<bool>& consuming_here) {
    const Properties props = {{"bootstrap.servers", bootstrap}};
    auto admin = kafka::RdKafkaAdmin::Create(props, milliseconds(10000));
    if (!admin.ok()) return admin.error();
    if (clusters_.real) return kafka::AdminPtr(std::make_unique<cutover::GroupStateGuard>(std::move(*admin), props, milliseconds(10000)));
    return kafka::AdminPtr(std::make_unique<DemoGroupState>(std::move(*admin), group_, consuming_here));
  }

  Result<> Run() {
    read_.resize(static_cast<size_t>(partitions_));

    // The cutover: the same code as POST /ferry/groups/<group>/cutover, on the demo's live offset map.
    auto source_state = GroupStateAdmin(clusters_.source, on_source_here_);
    if (!source_state.ok()) return source_state.error();
    auto target_state = GroupStateAdmin(clusters_.target, on_target_here_);
    if (!target_state.ok()) return target_state.error();
    auto source_probe = cutover::KafkaProbe::Create({{"bootstrap.servers", clusters_.source}}, milliseconds(10000));
    if (!source_probe.ok()) return source_probe.error();
    auto target_probe = cutover::KafkaProbe::Create({{"bootstrap.servers", clusters_.target}}, milliseconds(10000));
    if (!target_probe.ok()) return target_probe.error();
    kafka::KafkaLogOptions journal_log;
    journal_log.topic = cutover::JournalTopic(alias_);
    journal_log.consumer = journal_log.producer = {{"bootstrap.servers", clusters_.target}};
    kafka::KafkaLog log(journal_log);
    cutover::CutoverJournal journal(log);
    FERRY_RETURN_IF_ERROR(journal.Start(milliseconds(30000)));
    cutover::Flow flow{"demo-mirror", alias_, kTargetAlias, policy_, [this](const std::string& t) { return t == topic_; }};
    cutover::GroupCutover cutover(std::move(flow), {**source_state, **target_state, **source_probe, **target_probe},
                                  map_, nullptr, journal);
    auto result = Act(cutover, **source_state);
    log.Stop();
    return result;
  }

  Result<> Act(cutover::GroupCutover& cutover, kafka::Admin& source_state) {
    on_source_here_ = true;
    const auto switch_at = Clock::now() + switch_after_;
    // Switch half-way, once the group has read (and committed) on every partition.
    auto read_everywhere = [&] {
      return std::all_of(read_.begin(), read_.end(), [](const auto& records) { return !records.empty(); });
    };
    // While the application still reads, a cutover must be refused.
    std::optional<Error> refusal_check;
    auto refused_while_active = [&]() -> Result<> {
      auto plan = cutover.Plan(group_, cutover::Direction::kCutover);
      if (!plan.ok()) return plan.error();
      const bool active = plan->from_group && plan->from_group->active();
      auto blocker = std::find_if(plan->blockers.begin(), plan->blockers.end(),
                                  [](const std::string& b) { return b.find("active member") != std::string::npos; });
      if (!active || plan->ready() || blocker == plan->blockers.end()) {
        return Error::Conflict("a cutover planned while group '" + group_ + "' was reading on the source was not "
                               "refused for its active member: " + cutover::ToJson(*plan));
      }
      refusal_ = *blocker;
      return Ok();
    };
    FERRY_RETURN_IF_ERROR(Consume(clusters_.source, topic_,
                                  [&](const kafka::GroupReader&, bool) {
                                    if (refusal_check) return true;
                                    if (Clock::now() < switch_at ||
                                        (!read_everywhere() && Clock::now() < switch_at + milliseconds(30000))) {
                                      return false;
                                    }
                                    if (auto r = refused_while_active(); !r.ok()) refusal_check = r.error();
                                    return true;
                                  },
                                  on_source_));
    on_source_here_ = false;  // the application stopped on the source
    if (refusal_check) return *refusal_check;

    // On Kafka the consumer's LeaveGroup has been answered; wait (bounded) until the broker shows it.
    const auto left_by = Clock::now() + milliseconds(15000);
    for (;;) {
      auto state = source_state.DescribeConsumerGroupState(group_);
      if (state.ok() && !state->active()) break;
      if (Clock::now() >= left_by) {
        return Error::Timeout("group '" + group_ + "' still shows active members on the source 15 s after its "
                              "consumer closed" + (state.ok() ? "" : ": " + state.error().ToString()));
      }
      std::this_thread::sleep_for(milliseconds(100));
    }

    cutover::MoveOptions options;
    options.wait = milliseconds(30000);  // the mirror copies past the group's offsets meanwhile
    auto report = cutover.Move(group_, cutover::Direction::kCutover, options);
    if (!report.ok()) return report.error();
    if (report->outcome != cutover::MoveReport::Outcome::kMoved) {
      return Error::Conflict("the cutover of group '" + group_ + "' did not happen: " + cutover::ToJson(*report));
    }
    std::ostringstream os;
    for (const cutover::PartitionPlan& p : report->plan.partitions) {
      os << (os.tellp() > 0 ? ", " : "") << p.from.partition << ":" << p.committed << "->" << *p.translated;
    }
    summary_ = os.str();

    on_target_here_ = true;
    const std::string remote = policy_->FormatRemoteTopic(alias_, topic_);
    // Until the mirror has stopped and the group has read every copy: each partition's position at
    // the target's end as of then (a short poll alone proves nothing while the member joins).
    std::optional<std::vector<int64_t>> ends;
    Result<> ends_read = Ok();
    Clock::time_point read_by;
    FERRY_RETURN_IF_ERROR(Consume(clusters_.target, remote,
                                  [&](const kafka::GroupReader& reader, bool) {
                                    if (!finish_) return false;
                                    if (ends && Clock::now() > read_by) {
                                      ends_read = Error::Timeout("group '" + group_ + "' did not read to the end of " +
                                                                 remote + " within 60 s of the mirror's stop");
                                      return true;
                                    }
                                    if (!ends) {
                                      read_by = Clock::now() + std::chrono::seconds(60);
                                      auto read = TargetEnds(remote);
                                      if (!read.ok()) {
                                        ends_read = read.error();
                                        return true;
                                      }
                                      ends = std::move(*read);
                                    }
                                    for (int p = 0; p < partitions_; ++p) {
                                      if (reader.position(p) < (*ends)[static_cast<size_t>(p)]) return false;
                                    }
                                    return true;
                                  },
                                  on_target_));
    FERRY_RETURN_IF_ERROR(ends_read);
    on_target_here_ = false;
    return Ok();
  }

  const ActClusters clusters_;
  const tasks::OffsetMap& map_;
  std::shared_ptr<const connectors::ReplicationPolicy> policy_;
  const std::string alias_;
  const std::string group_;
  const std::string topic_;
  const int partitions_;
  const std::chrono::milliseconds switch_after_;
  std::atomic<bool> finish_{false};
  std::atomic<bool> on_source_here_{false}, on_target_here_{false};
  std::atomic<int64_t> on_source_{0}, on_target_{0};
  std::vector<std::vector<kafka::Record>> read_;  // per partition, in the order the group read them
  std::string summary_;
  std::string refusal_;  // why the cutover planned while the group read was refused
  Result<> result_ = Ok();
  std::thread thread_;
};

std::string Joined(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace

Result<DemoReport> RunDemo(const DemoOptions& options, std::ostream& out) {
  const bool real = !options.source_bootstrap.empty() || !options.target_bootstrap.empty();
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

  // The clusters: embedded, or the user's; on the user's the topics get names new to this run.
  std::unique_ptr<kafka::MockCluster> mock_source, mock_target;
  std::unique_ptr<TopicMaker> source_topics, target_topics;
  ActClusters clusters{options.source_bootstrap, options.target_bootstrap, real};
  if (real) {
    auto maker = TopicMaker::ForKafka(clusters.source);
    if (!maker.ok()) return maker.error();
    source_topics = std::move(*maker);
    maker = TopicMaker::ForKafka(clusters.target);
    if (!maker.ok()) return maker.error();
    target_topics = std::move(*maker);
  } else {
    auto source = kafka::MockCluster::Start(3);
    if (!source.ok()) return source.error();
    auto target = kafka::MockCluster::Start(3);
    if (!target.ok()) return target.error();
    mock_source = std::move(*source);
    mock_target = std::move(*target);
    clusters.source = mock_source->bootstrap_servers();
    clusters.target = mock_target->bootstrap_servers();
    source_topics = std::make_unique<TopicMaker>(*mock_source);
    target_topics = std::make_unique<TopicMaker>(*mock_target);
  }
  const DemoNames names = DemoNames::Make(options.topics, real);
  auto policy = std::make_shared<connectors::DefaultReplicationPolicy>();
  const std::string first_topic = names.topics.front();

  out << "ferry demo: source cluster " << clusters.source << ", target cluster " << clusters.target
      << (real ? " (Kafka clusters named on the command line)" : " (embedded)") << "\n";
  if (real) {
    out << "this run makes its own topics (names ending in -" << names.suffix << ") and deletes nothing\n";
  }
  std::vector<TopicPartition> partitions;
  for (const std::string& topic : names.topics) {
    FERRY_RETURN_IF_ERROR(source_topics->Create(topic, options.partitions));
    FERRY_RETURN_IF_ERROR(target_topics->Create(policy->FormatRemoteTopic(names.alias, topic), options.partitions));
    for (int p = 0; p < options.partitions; ++p) partitions.push_back({topic, p});
  }
  if (options.cutover) {
    FERRY_RETURN_IF_ERROR(target_topics->Create(cutover::JournalTopic(names.alias), 1, {{"cleanup.policy", "compact"}}));
  }
  out << "mirroring " << options.topics << " topics x " << options.partitions << " partitions ("
      << names.alias << ".<topic> on the target) while a producer writes "
      << options.records_per_second << " records/s for "
      << std::chrono::duration<double>(options.produce_for).count() << " s\n";

  auto writer = kafka::RecordWriter::Create(clusters.source);
  if (!writer.ok()) return writer.error();
  tasks::OffsetMap offset_map;
  tasks::MirrorTaskConfig config;
  config.name = "demo-mirror";
  config.source_alias = names.alias;
  config.source_consumer = {{"bootstrap.servers", clusters.source}};
  // The mock broker holds an empty fetch for the full wait; a short wait keeps the live lag low.
  if (!real) config.source_consumer["fetch.wait.max.ms"] = "50";
  config.target_producer = {{"bootstrap.servers", clusters.target}};
  config.policy = policy;
  for (const TopicPartition& tp : partitions) config.start_offsets[tp] = tasks::kFromLogStart;

  std::unique_ptr<CutoverAct> act;
  if (options.cutover) {
    act = std::make_unique<CutoverAct>(clusters, offset_map, policy, names.alias, names.group, first_topic,
                                       options.partitions, options.produce_for / 2);
    act->Start();
    out << "consumer group '" << names.group << "' reads " << first_topic << " on the source and is cut over to "
        << policy->FormatRemoteTopic(names.alias, first_topic) << " on the target half-way through the stream\n";
  }

  const auto started = Clock::now();
  const RecordShape shape{options.value_bytes, names.alias,
                          std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count()};
  LiveProducer producer(**writer, partitions, options, shape);
  auto task = tasks::MirrorTask::Start(config, &offset_map);
  if (!task.ok()) return task.error();

  auto print_progress = [&](const char* phase) {
    const auto stats = (*task)->Stats();
    const double secs = std::chrono::duration<double>(Clock::now() - started).count();
    out << "\r  " << phase << ": produced " << producer.sent() << ", copied " << stats.records << " ("
        << static_cast<int64_t>(stats.records / std::max(secs, 1e-3)) << " rec/s), lag " << stats.Lag()
        << "        " << std::flush;
  };
  bool producing = true;
  const auto deadline = started + options.produce_for + milliseconds(60000);
  while (Clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(250));
    if ((*task)->state() == tasks::MirrorTask::State::kFailed) return *(*task)->failure();
    if (producer.error()) return *producer.error();
    if (producing && producer.sent() > 0 && Clock::now() - started >= options.produce_for) {
      producer.Stop();
      FERRY_RETURN_IF_ERROR((*writer)->Flush(milliseconds(30000)));
      producing = false;
    }
    if (options.progress) print_progress(producing ? "live" : "catching up");
    if (!producing && (*task)->Stats().records >= (*writer)->delivered()) break;
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  if (options.progress) out << "\n";
  producer.Stop();
  (*task)->Stop();
  const auto stats = (*task)->Stats();
  if (stats.records != (*writer)->delivered()) {
    return Error::Timeout("mirror copied " + std::to_string(stats.records) + " of " +
                          std::to_string((*writer)->delivered()) + " records before the deadline");
  }

  if (act) {
    act->Finish();
    FERRY_RETURN_IF_ERROR(act->Wait());
  }

  out << "verifying every record, key by key and offset by offset...\n";
  DemoReport report;
  std::map<TopicPartition, std::vector<kafka::Record>> act_topic;  // the source records the group read
  for (const TopicPartition& tp : partitions) {
    auto src = kafka::ReadPartition(clusters.source, tp, milliseconds(60000));
    if (!src.ok()) return src.error();
    if (act && tp.topic == first_topic) act_topic[tp] = *src;
    const TopicPartition remote{policy->FormatRemoteTopic(names.alias, tp.topic), tp.partition};
    auto tgt = kafka::ReadPartition(clusters.target, remote, milliseconds(60000));
    if (!tgt.ok()) return tgt.error();
    FERRY_RETURN_IF_ERROR(kafka::VerifyMirrored(tp, *src, *tgt));
    for (size_t i = 0; i < src->size(); ++i) {
      auto translated = offset_map.Translate(tp, SourceOffset((*src)[i].offset));
      if (translated != TargetOffset((*tgt)[i].offset)) {
        return Error::Corrupt("offset map of " + tp.ToString() + " does not translate source offset " +
                              std::to_string((*src)[i].offset) + " to " + std::to_string((*tgt)[i].offset));
      }
    }
    ++report.verified_partitions;
  }
  if (act) {
    FERRY_RETURN_IF_ERROR(act->Verify(act_topic));
    report.group_records_on_source = act->read_on_source();
    report.group_records_on_target = act->read_on_target();
  }
  report.records = stats.records;
  report.bytes = stats.bytes;
  report.seconds = seconds;
  report.offset_syncs = stats.offset_syncs;
  report.group = names.group;
  report.source_topics_created = source_topics->created();
  report.target_topics_created = target_topics->created();
  out << std::fixed << std::setprecision(1) << "\nreport\n"
      << "  clusters           source " << clusters.source << ", target " << clusters.target
      << (real ? " (Kafka)" : " (embedded mock clusters)") << "\n"
      << "  records copied     " << report.records << "\n"
      << "  data copied        " << report.bytes / 1e6 << " MB (keys and values)\n"
      << "  elapsed            " << report.seconds << " s (producer ran "
      << std::chrono::duration<double>(options.produce_for).count() << " s)\n"
      << "  throughput         " << report.records / report.seconds << " records/s\n"
      << "  offset syncs       " << report.offset_syncs << " (one per partition per change of offset delta)\n"
      << "  verification       PASSED: " << report.verified_partitions
      << " partitions identical record by record, offsets map exactly\n";
  if (act) {
    out << "  cutover act        group '" << names.group << "' read " << report.group_records_on_source
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
        << "                     left in place (the demo deletes nothing); group '" << names.group
        << "' has committed offsets on both clusters\n";
  }
  return report;
}

}  // namespace ferry::worker
