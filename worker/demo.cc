#include "worker/demo.h"

#include <atomic>
#include <iomanip>
#include <thread>
#include <vector>

#include "tasks/mirror_task.h"
#include "tasks/offset_map.h"
#include "worker/kafka/mock_cluster.h"
#include "worker/kafka/record_io.h"

namespace ferry::worker {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr const char* kSourceAlias = "onprem";
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

  out << "verifying every record, key by key and offset by offset...\n";
  DemoReport report;
  for (const TopicPartition& tp : partitions) {
    auto src = kafka::ReadPartition((*source)->bootstrap_servers(), tp, milliseconds(60000));
    if (!src.ok()) return src.error();
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
  return report;
}

}  // namespace ferry::worker
