#include "worker/demo.h"

#include <algorithm>
#include <atomic>
#include <iomanip>
#include <map>
#include <sstream>
#include <thread>
#include <vector>

#include "tasks/mirror_task.h"
#include "tasks/offset_map.h"
#include "worker/cutover/group_cutover.h"
#include "worker/cutover/service.h"
#include "worker/kafka/admin.h"
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

std::string TopicName(int i) {
  constexpr int kNamed = sizeof(kTopicNames) / sizeof(kTopicNames[0]);
  return i < kNamed ? kTopicNames[i] : "topic" + std::to_string(i);
}

kafka::Record DemoRecord(int64_t seq, int value_bytes) {
  kafka::Record r;
  r.key = "key-" + std::to_string(seq % 10007);
  std::string value = "event-" + std::to_string(seq) + ":";
  value.resize(static_cast<size_t>(value_bytes), static_cast<char>('a' + seq % 26));
  r.value = std::move(value);
  r.headers = {{"seq", std::to_string(seq)}, {"origin", std::string(kSourceAlias)}};
  r.timestamp = 1700000000000 + seq;
  return r;
}

// Writes a paced stream round-robin over the partitions until told to stop.
class LiveProducer {
 public:
  LiveProducer(kafka::RecordWriter& writer, std::vector<TopicPartition> partitions, const DemoOptions& options)
      : writer_(writer), partitions_(std::move(partitions)), options_(options) {
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
        if (auto r = writer_.Send(tp.topic, tp.partition, DemoRecord(seq, options_.value_bytes)); !r.ok()) {
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
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> sent_{0};
  std::optional<Error> error_;
  std::thread thread_;
};


// The real Admin, except that whether the demo's group has members comes from the demo itself: the
// mock cluster cannot describe groups (librdkafka 2.0.2 aborts when asked), and the demo knows where
// its consumer runs.
class DemoGroupState : public kafka::ForwardingAdmin {
 public:
  DemoGroupState(kafka::AdminPtr admin, const std::atomic<bool>& consuming_here)
      : ForwardingAdmin(std::move(admin)), consuming_here_(consuming_here) {}
  Result<kafka::GroupDescription> DescribeConsumerGroupState(const std::string& group) override {
    const int members = group == kGroup && consuming_here_ ? 1 : 0;
    return kafka::GroupDescription{group, members ? kafka::GroupState::kStable : kafka::GroupState::kEmpty, members,
                                   false};
  }

 private:
  const std::atomic<bool>& consuming_here_;
};

// The cutover act: the consumer group `billing` reads the first topic live on the source, stops
// half-way through the stream, is cut over through the exact offset map while the producer keeps
// writing, and reads on from the target copy until the mirror has caught up. Everything it read, on
// both clusters, is checked against the source: every record exactly once, in order.
class CutoverAct {
 public:
  CutoverAct(const kafka::MockCluster& source, kafka::MockCluster& target, const tasks::OffsetMap& map,
             std::shared_ptr<const connectors::ReplicationPolicy> policy, std::string topic, int partitions,
             std::chrono::milliseconds switch_after)
      : source_(source), target_(target), map_(map), policy_(std::move(policy)), topic_(std::move(topic)),
        partitions_(partitions), switch_after_(switch_after) {}
  ~CutoverAct() {
    Finish();
    if (thread_.joinable()) thread_.join();
  }

  Result<> Start() {
    FERRY_RETURN_IF_ERROR(target_.CreateTopic(cutover::JournalTopic(kSourceAlias), 1));
    thread_ = std::thread([this] { result_ = Run(); });
    return Ok();
  }
  void Finish() { finish_ = true; }  // the mirror has caught up: read to the end and stop
  Result<> Wait() {
    if (thread_.joinable()) thread_.join();
    return result_;
  }
  const std::string& summary() const { return summary_; }
  int64_t read_on_source() const { return on_source_; }
  int64_t read_on_target() const { return on_target_; }

  // Compares what the group read with the source partitions, record by record.
  Result<> Verify(const std::map<TopicPartition, std::vector<kafka::Record>>& source_records) const {
    for (int p = 0; p < partitions_; ++p) {
      const auto& src = source_records.at({topic_, p});
      const auto& got = read_[static_cast<size_t>(p)];
      for (size_t i = 0; i < std::max(src.size(), got.size()); ++i) {
        if (i >= got.size() || i >= src.size() || !src[i].SameContent(got[i])) {
          return Error::Corrupt("group '" + std::string(kGroup) + "' on " + topic_ + "-" + std::to_string(p) +
                                ": its record #" + std::to_string(i) + " is " +
                                (i < got.size() ? got[i].Describe() : "missing") + ", the source's is " +
                                (i < src.size() ? src[i].Describe() : "none (read twice?)"));
        }
      }
    }
    return Ok();
  }

 private:
  // Reads `topic` of `cluster` as the group until `done` says so; returns when it has committed.
  Result<> Consume(const kafka::MockCluster& cluster, const std::string& topic, const std::function<bool(bool)>& done,
                   std::atomic<int64_t>& count) {
    std::vector<int32_t> all;
    for (int p = 0; p < partitions_; ++p) all.push_back(p);
    auto reader = kafka::GroupReader::Create(cluster.bootstrap_servers(), kGroup, topic, all);
    if (!reader.ok()) return reader.error();
    for (bool at_end = false; !done(at_end);) {
      auto batch = (*reader)->Poll(500, milliseconds(200));
      if (!batch.ok()) return batch.error();
      at_end = batch->size() < 500;
      for (auto& r : *batch) read_[static_cast<size_t>(r.partition)].push_back(std::move(r.record));
      count += static_cast<int64_t>(batch->size());
      FERRY_RETURN_IF_ERROR((*reader)->Commit());  // as an application commits what it processed
    }
    return Ok();
  }

  Result<> Run() {
    read_.resize(static_cast<size_t>(partitions_));
    on_source_here_ = true;
    const auto switch_at = Clock::now() + switch_after_;
    // Switch half-way, once the group has read (and committed) on every partition.
    auto read_everywhere = [&] {
      return std::all_of(read_.begin(), read_.end(), [](const auto& records) { return !records.empty(); });
    };
    FERRY_RETURN_IF_ERROR(Consume(source_, topic_,
                                  [&](bool) {
                                    return Clock::now() >= switch_at &&
                                           (read_everywhere() || Clock::now() >= switch_at + milliseconds(30000));
                                  },
                                  on_source_));
    on_source_here_ = false;  // the application stopped on the source

    // The cutover: the same code as POST /ferry/groups/billing/cutover, on the demo's live offset map.
    auto source_admin = kafka::RdKafkaAdmin::Create({{"bootstrap.servers", source_.bootstrap_servers()}}, milliseconds(10000));
    if (!source_admin.ok()) return source_admin.error();
    auto target_admin = kafka::RdKafkaAdmin::Create({{"bootstrap.servers", target_.bootstrap_servers()}}, milliseconds(10000));
    if (!target_admin.ok()) return target_admin.error();
    DemoGroupState source_state(std::move(*source_admin), on_source_here_);
    DemoGroupState target_state(std::move(*target_admin), on_target_here_);
    auto source_probe = cutover::KafkaProbe::Create({{"bootstrap.servers", source_.bootstrap_servers()}}, milliseconds(10000));
    if (!source_probe.ok()) return source_probe.error();
    auto target_probe = cutover::KafkaProbe::Create({{"bootstrap.servers", target_.bootstrap_servers()}}, milliseconds(10000));
    if (!target_probe.ok()) return target_probe.error();
    kafka::KafkaLogOptions journal_log;
    journal_log.topic = cutover::JournalTopic(kSourceAlias);
    journal_log.consumer = journal_log.producer = {{"bootstrap.servers", target_.bootstrap_servers()}};
    kafka::KafkaLog log(journal_log);
    cutover::CutoverJournal journal(log);
    FERRY_RETURN_IF_ERROR(journal.Start(milliseconds(30000)));
    cutover::Flow flow{"demo-mirror", kSourceAlias, kTargetAlias, policy_,
                       [this](const std::string& t) { return t == topic_; }};
    cutover::GroupCutover cutover(std::move(flow), {source_state, target_state, **source_probe, **target_probe}, map_,
                                  nullptr, journal);
    cutover::MoveOptions options;
    options.wait = milliseconds(30000);  // the mirror copies past the group's offsets meanwhile
    auto report = cutover.Move(kGroup, cutover::Direction::kCutover, options);
    if (!report.ok()) return report.error();
    if (report->outcome != cutover::MoveReport::Outcome::kMoved) {
      return Error::Conflict("the cutover of group '" + std::string(kGroup) + "' did not happen: " + cutover::ToJson(*report));
    }
    std::ostringstream os;
    for (const cutover::PartitionPlan& p : report->plan.partitions) {
      os << (os.tellp() > 0 ? ", " : "") << p.from.partition << ":" << p.committed << "->" << *p.translated;
    }
    summary_ = os.str();

    on_target_here_ = true;
    const std::string remote = policy_->FormatRemoteTopic(kSourceAlias, topic_);
    FERRY_RETURN_IF_ERROR(Consume(target_, remote, [&](bool at_end) { return finish_ && at_end; }, on_target_));
    on_target_here_ = false;
    log.Stop();
    return Ok();
  }

  const kafka::MockCluster& source_;
  kafka::MockCluster& target_;
  const tasks::OffsetMap& map_;
  std::shared_ptr<const connectors::ReplicationPolicy> policy_;
  const std::string topic_;
  const int partitions_;
  const std::chrono::milliseconds switch_after_;
  std::atomic<bool> finish_{false};
  std::atomic<bool> on_source_here_{false}, on_target_here_{false};
  std::atomic<int64_t> on_source_{0}, on_target_{0};
  std::vector<std::vector<kafka::Record>> read_;  // per partition, in the order the group read them
  std::string summary_;
  Result<> result_ = Ok();
  std::thread thread_;
};

}  // namespace

Result<DemoReport> RunDemo(const DemoOptions& options, std::ostream& out) {
  auto source = kafka::MockCluster::Start(3);
  if (!source.ok()) return source.error();
  auto target = kafka::MockCluster::Start(3);
  if (!target.ok()) return target.error();
  auto policy = std::make_shared<connectors::DefaultReplicationPolicy>();

  std::vector<TopicPartition> partitions;
  for (int t = 0; t < options.topics; ++t) {
    const std::string topic = TopicName(t);
    FERRY_RETURN_IF_ERROR((*source)->CreateTopic(topic, options.partitions));
    FERRY_RETURN_IF_ERROR((*target)->CreateTopic(policy->FormatRemoteTopic(kSourceAlias, topic), options.partitions));
    for (int p = 0; p < options.partitions; ++p) partitions.push_back({topic, p});
  }
  out << "ferry demo: source cluster " << (*source)->bootstrap_servers() << ", target cluster "
      << (*target)->bootstrap_servers() << "\n"
      << "mirroring " << options.topics << " topics x " << options.partitions << " partitions ("
      << kSourceAlias << ".<topic> on the target) while a producer writes "
      << options.records_per_second << " records/s for "
      << std::chrono::duration<double>(options.produce_for).count() << " s\n";

  auto writer = kafka::RecordWriter::Create((*source)->bootstrap_servers());
  if (!writer.ok()) return writer.error();
  tasks::OffsetMap offset_map;
  tasks::MirrorTaskConfig config;
  config.name = "demo-mirror";
  config.source_alias = kSourceAlias;
  // The mock broker holds an empty fetch for the full wait; a short wait keeps the live lag low.
  config.source_consumer = {{"bootstrap.servers", (*source)->bootstrap_servers()}, {"fetch.wait.max.ms", "50"}};
  config.target_producer = {{"bootstrap.servers", (*target)->bootstrap_servers()}};
  config.policy = policy;
  for (const TopicPartition& tp : partitions) config.start_offsets[tp] = tasks::kFromLogStart;

  std::unique_ptr<CutoverAct> act;
  if (options.cutover) {
    act = std::make_unique<CutoverAct>(**source, **target, offset_map, policy, TopicName(0), options.partitions,
                                       options.produce_for / 2);
    FERRY_RETURN_IF_ERROR(act->Start());
    out << "consumer group '" << kGroup << "' reads " << TopicName(0) << " on the source and is cut over to "
        << policy->FormatRemoteTopic(kSourceAlias, TopicName(0)) << " on the target half-way through the stream\n";
  }

  const auto started = Clock::now();
  LiveProducer producer(**writer, partitions, options);
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
    auto src = kafka::ReadPartition((*source)->bootstrap_servers(), tp, milliseconds(60000));
    if (!src.ok()) return src.error();
    if (act && tp.topic == TopicName(0)) act_topic[tp] = *src;
    const TopicPartition remote{policy->FormatRemoteTopic(kSourceAlias, tp.topic), tp.partition};
    auto tgt = kafka::ReadPartition((*target)->bootstrap_servers(), remote, milliseconds(60000));
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
  out << std::fixed << std::setprecision(1) << "\nreport\n"
      << "  records copied     " << report.records << "\n"
      << "  data copied        " << report.bytes / 1e6 << " MB (keys and values)\n"
      << "  elapsed            " << report.seconds << " s (producer ran "
      << std::chrono::duration<double>(options.produce_for).count() << " s)\n"
      << "  throughput         " << report.records / report.seconds << " records/s\n"
      << "  offset syncs       " << report.offset_syncs << " (one per partition per change of offset delta)\n"
      << "  verification       PASSED: " << report.verified_partitions
      << " partitions identical record by record, offsets map exactly\n";
  if (act) {
    out << "  cutover act        group '" << kGroup << "' read " << report.group_records_on_source
        << " records on the source, was cut over (partition:source->target offset " << act->summary() << ") and read "
        << report.group_records_on_target << " on the target\n"
        << "                     PASSED: every record of " << TopicName(0) << " read exactly once, in order: "
        << "0 lost, 0 duplicated\n"
        << "                     (the mock cluster cannot describe groups: the demo tells the cutover where its "
           "consumer runs)\n";
  }
  return report;
}

}  // namespace ferry::worker
