// Takeover between the real MirrorMaker 2 (from the Kafka release's Maven jars) and Ferry, on two
// real clusters A and B, while a producer keeps writing to A and a consumer group on A reads and
// commits. In both of MM2's forms: its dedicated mode and `ferry mirror-maker` on one mm2.properties;
// and a Kafka Connect distributed worker running MM2's source and checkpoint connectors and `ferry
// distributed` on the same worker file (one worker group, one set of Connect topics).
//
//   1. MM2 mirrors A->B (3 partitions, 2 tasks) with checkpoints and group offset sync (1 s intervals);
//   2. MM2 is stopped (SIGTERM) mid-stream and Ferry continues from what MM2 stored;
//   3. Ferry is stopped (the producer paused) and MM2 continues from what Ferry stored;
//   4. MM2 is stopped mid-stream and Ferry continues again;
//   5. Ferry is stopped mid-stream and MM2 continues again; at the end the group reads everything.
//
// Checked: B's copy equals A's partitions record by record (key, value, order): nothing copied twice,
// nothing skipped; the checkpoints and the group's offsets synced on B never go backwards and never
// pass the record the group reads next; each phase's mirror continues them. Into phases 2-4 the group
// commits, while no mirror runs, the offset of the last record the stopped mirror copied: only the
// stopped mirror's offset syncs cover it (the next one's first sync is past it), so the checkpoint
// the next mirror writes for it shows that MM2 reads Ferry's syncs, and Ferry MM2's.
//
// Nothing here depends on the bytes of either's records beyond MM2's formats (tasks/mirror_records.h
// decodes checkpoints as MM2 does); a checkpoint's writer is told by its time, inside one phase.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tasks/mirror_records.h"
#include "tests/support/java_mirror_maker.h"
#include "tests/support/two_clusters.h"
#include "tests/support/worker_harness.h"

namespace ferry::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr int kPartitions = 3;

// A loopback port the kernel just handed out and released (for the Java worker's REST listener).
int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

int64_t NowMs() {
  return std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Writes to every partition of `topic` on its own thread, one record per partition per round (each
// round acknowledged before the next), keys unique per partition: "p<partition>-<n>".
class Producer {
 public:
  // `first`: the number of the first round (a producer started later continues the keys).
  Producer(std::string bootstrap, std::string topic, int64_t first = 0)
      : bootstrap_(std::move(bootstrap)), topic_(std::move(topic)), first_(first) {
    thread_ = std::thread([this] { Run(); });
  }
  ~Producer() { Stop(); }
  // Stops after the round under way; returns once everything sent is acknowledged.
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  std::string error() {
    std::lock_guard<std::mutex> lock(mu_);
    return error_;
  }
  int64_t rounds() const { return rounds_; }
  int64_t next() const { return first_ + rounds_; }

 private:
  void Run() {
    auto writer = kafka::RecordWriter::Create(bootstrap_, {{"linger.ms", "1"}});
    if (!writer.ok()) return Fail(writer.error().ToString());
    for (int64_t n = first_; !stop_; ++n) {
      for (int p = 0; p < kPartitions; ++p) {
        Record r;
        r.key = "p" + std::to_string(p) + "-" + std::to_string(n);
        r.value = "value-" + std::to_string(n) + "-" + std::string(static_cast<size_t>(20 + n % 40), 'a' + n % 26);
        r.timestamp = NowMs();
        if (auto sent = (*writer)->Send(topic_, p, r); !sent.ok()) return Fail(sent.error().ToString());
      }
      if (auto flushed = (*writer)->Flush(seconds(30)); !flushed.ok()) return Fail(flushed.error().ToString());
      ++rounds_;
      std::this_thread::sleep_for(milliseconds(20));
    }
  }
  void Fail(const std::string& why) {
    std::lock_guard<std::mutex> lock(mu_);
    error_ = why;
  }

  const std::string bootstrap_;
  const std::string topic_;
  const int64_t first_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> rounds_{0};
  std::mutex mu_;
  std::string error_;
  std::thread thread_;
};

// The application: reads `topic` as `group` (from its committed offsets), `batch` records of each
// partition at a time, and commits after each read. With a small batch it is slower than the
// producer, so its offsets trail the copies; with a large one it catches up.
class Consumer {
 public:
  Consumer(std::string bootstrap, std::string group, std::string topic, size_t batch = 2)
      : bootstrap_(std::move(bootstrap)), group_(std::move(group)), topic_(std::move(topic)), batch_(batch) {
    thread_ = std::thread([this] { Run(); });
  }
  ~Consumer() { Stop(); }
  // Returns once the last commit is done and the client closed.
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  std::string error() {
    std::lock_guard<std::mutex> lock(mu_);
    return error_;
  }
  int64_t commits() const { return commits_; }

 private:
  void Run() {
    // A reader per partition, so that every partition advances (one reader of all would take its
    // few records from whichever partition the fetch answered first).
    std::vector<std::unique_ptr<kafka::GroupReader>> readers;
    for (int p = 0; p < kPartitions; ++p) {
      auto reader = kafka::GroupReader::Create(bootstrap_, group_, topic_, {p});
      if (!reader.ok()) return Fail(reader.error().ToString());
      readers.push_back(std::move(*reader));
    }
    while (!stop_) {
      for (auto& reader : readers) {
        auto read = reader->Poll(batch_, milliseconds(300));
        if (!read.ok()) return Fail(read.error().ToString());
        if (read->empty()) continue;
        if (auto committed = reader->Commit(); !committed.ok()) return Fail(committed.error().ToString());
        ++commits_;
      }
      std::this_thread::sleep_for(milliseconds(batch_ < 100 ? 250 : 50));
    }
  }
  void Fail(const std::string& why) {
    std::lock_guard<std::mutex> lock(mu_);
    error_ = why;
  }

  const std::string bootstrap_;
  const std::string group_;
  const std::string topic_;
  const size_t batch_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> commits_{0};
  std::mutex mu_;
  std::string error_;
  std::thread thread_;
};

// Reads the group's committed offsets on B every 200 ms, on a client of its own: what group offset
// sync wrote, as a consumer starting there would see it.
class SyncedOffsetsWatch {
 public:
  struct Sample {
    int64_t at_ms;
    int64_t offset;
  };
  SyncedOffsetsWatch(const std::string& bootstrap, std::string group, std::vector<TopicPartition> partitions)
      : group_(std::move(group)), partitions_(std::move(partitions)) {
    auto admin = kafka::RdKafkaAdmin::Create({{"bootstrap.servers", bootstrap}}, seconds(10));
    if (admin.ok()) admin_ = std::move(*admin);
    thread_ = std::thread([this] { Run(); });
  }
  ~SyncedOffsetsWatch() { Stop(); }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  std::map<int32_t, std::vector<Sample>> samples() {
    std::lock_guard<std::mutex> lock(mu_);
    return samples_;
  }
  // The latest offset seen for every partition, -1 where none yet.
  std::map<int32_t, int64_t> latest() {
    std::lock_guard<std::mutex> lock(mu_);
    std::map<int32_t, int64_t> out;
    for (const auto& tp : partitions_) {
      auto it = samples_.find(tp.partition);
      out[tp.partition] = it == samples_.end() || it->second.empty() ? -1 : it->second.back().offset;
    }
    return out;
  }

 private:
  void Run() {
    while (!stop_ && admin_ != nullptr) {
      auto listed = admin_->ListConsumerGroupOffsets(group_, partitions_);
      if (listed.ok()) {
        const int64_t now = NowMs();
        std::lock_guard<std::mutex> lock(mu_);
        for (const auto& [tp, offset] : *listed) {
          auto& history = samples_[tp.partition];
          if (history.empty() || history.back().offset != offset.offset) history.push_back({now, offset.offset});
        }
      }
      std::this_thread::sleep_for(milliseconds(200));
    }
  }

  const std::string group_;
  const std::vector<TopicPartition> partitions_;
  std::unique_ptr<kafka::RdKafkaAdmin> admin_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::map<int32_t, std::vector<Sample>> samples_;
  std::thread thread_;
};

struct TimedCheckpoint {
  tasks::Checkpoint checkpoint;
  int64_t written_ms;  // the record's timestamp
  int64_t at;          // its offset in the checkpoints topic
};

// Which mirror ran when: [start_ms, end_ms).
struct Phase {
  std::string name;  // "MM2", "Ferry", "MM2 again"
  bool ferry = false;
  int64_t start_ms = 0;
  int64_t end_ms = std::numeric_limits<int64_t>::max();
  std::map<int32_t, int64_t> copied_before;  // per partition: records on B when it started
};

class Mm2TakeoverOnRealKafkaTest : public TwoClustersTest {
 protected:
  Mm2TakeoverOnRealKafkaTest() : TwoClustersTest(Peer::kRealKafka) {}

  void SetUp() override {
    TwoClustersTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    dir_ = ::testing::TempDir() + "/ferry-mm2-takeover-" + std::to_string(getpid()) + "-" + UniqueName("t");
    std::filesystem::create_directories(dir_);
    if (KafkaJarsDir().empty()) GTEST_SKIP() << "no Kafka jars (tests/kafka/kafka_cluster.py fetch failed)";
  }

  // The group's checkpoints so far, in the order written.
  std::vector<TimedCheckpoint> Checkpoints() {
    std::vector<TimedCheckpoint> out;
    auto records = kafka::ReadPartition(target().bootstrap_servers(), {a_ + ".checkpoints.internal", 0}, seconds(10));
    if (!records.ok()) return out;
    for (const auto& record : *records) {
      if (!record.key || !record.value) continue;
      auto c = tasks::Checkpoint::Decode(*record.key, *record.value);
      if (c.ok() && c->group == group_) out.push_back({*c, record.timestamp, record.offset});
    }
    return out;
  }

  // For failure messages: the offset syncs of `partition` in A's offset-syncs topic whose upstream
  // offset is in [from, to], in the order written, each with its writer (Ferry's carry headers).
  std::string OffsetSyncs(int32_t partition, int64_t from, int64_t to) {
    std::ostringstream out;
    auto records = kafka::ReadPartition(source().bootstrap_servers(), {"mm2-offset-syncs." + b_ + ".internal", 0},
                                        seconds(10));
    if (!records.ok()) return records.error().ToString();
    out << "offset syncs of " << topic_ << "-" << partition << " for " << from << ".." << to << ":";
    for (const auto& record : *records) {
      if (!record.key || !record.value) continue;
      auto sync = tasks::OffsetSyncRecord::Decode(*record.key, *record.value);
      if (!sync.ok() || sync->topic != topic_ || sync->partition != partition) continue;
      if (sync->upstream_offset < from || sync->upstream_offset > to) continue;
      const bool by_ferry = std::any_of(record.headers.begin(), record.headers.end(),
                                        [](const kafka::Header& h) { return h.name.rfind("ferry.", 0) == 0; });
      out << "\n  at " << record.offset << " t=" << record.timestamp << " " << sync->upstream_offset << "->"
          << sync->downstream_offset << (by_ferry ? " (Ferry)" : " (MM2)") << " key " << record.key->size() << " bytes";
    }
    return out.str();
  }

  std::map<int32_t, int64_t> CopiedCounts() {
    std::map<int32_t, int64_t> out;
    for (int p = 0; p < kPartitions; ++p) out[p] = static_cast<int64_t>(CountRecords(target(), {remote_, p}));
    return out;
  }

  std::string Logs() const { return " (logs in " + dir_ + ")"; }

  enum class Form { kDedicated, kConnectWorker };

  // The five phases (file comment), with MM2 and Ferry in `form`: MM2's dedicated mode and `ferry
  // mirror-maker` on one mm2.properties, or a Kafka Connect worker running MM2's connectors and
  // `ferry distributed`, in one worker group on one set of Connect topics.
  void RunTakeover(Form form) {
    const auto test_started = std::chrono::steady_clock::now();
    a_ = UniqueName("A");
    b_ = UniqueName("B");
    topic_ = UniqueName("orders");
    remote_ = a_ + "." + topic_;
    group_ = UniqueName("app");
    ASSERT_TRUE(source().CreateTopic(topic_, kPartitions).ok());

    // The group has read a little of every partition before any mirror starts (MM2 checkpoints only
    // groups with offsets on its topics).
    auto producer = std::make_unique<Producer>(source().bootstrap_servers(), topic_);
    ASSERT_TRUE(WaitFor([&] { return producer->rounds() >= 20; }, seconds(30))) << producer->error();
    {
      kafka::GroupOffsets start;
      for (int p = 0; p < kPartitions; ++p) start[{topic_, p}] = {5, ""};
      ASSERT_TRUE(source().admin().AlterConsumerGroupOffsets(group_, start).ok());
    }
    auto consumer = std::make_unique<Consumer>(source().bootstrap_servers(), group_, topic_);
    std::vector<TopicPartition> remote_partitions;
    for (int p = 0; p < kPartitions; ++p) remote_partitions.push_back({remote_, p});
    SyncedOffsetsWatch synced(target().bootstrap_servers(), group_, remote_partitions);

    const std::string file = dir_ + "/mm2.properties";
    std::ofstream(file) << "clusters = " << a_ << ", " << b_ << "\n"
                        << a_ << ".bootstrap.servers = " << source().bootstrap_servers() << "\n"
                        << b_ << ".bootstrap.servers = " << target().bootstrap_servers() << "\n"
                        << a_ << "->" << b_ << ".enabled = true\n"
                        << a_ << "->" << b_ << ".topics = " << topic_ << "\n"
                        << a_ << "->" << b_ << ".groups = " << group_ << "\n"
                        << a_ << "->" << b_ << ".tasks.max = 2\n"
                        << a_ << "->" << b_ << ".emit.checkpoints.enabled = true\n"
                        << a_ << "->" << b_ << ".emit.checkpoints.interval.seconds = 1\n"
                        << a_ << "->" << b_ << ".sync.group.offsets.enabled = true\n"
                        << a_ << "->" << b_ << ".sync.group.offsets.interval.seconds = 1\n"
                        << a_ << "->" << b_ << ".sync.topic.acls.enabled = false\n"
                        << b_ << "->" << a_ << ".emit.heartbeats.enabled = false\n"
                        // The workers' offset commits (and with them MM2's and Ferry's syncs of the
                        // last copied records) every second.
                        << b_ << ".offset.flush.interval.ms = 1000\n"
                        << "replication.factor = 1\n"
                        << "checkpoints.topic.replication.factor = 1\n"
                        << "heartbeats.topic.replication.factor = 1\n"
                        << "offset-syncs.topic.replication.factor = 1\n"
                        << "offset.storage.replication.factor = 1\n"
                        << "status.storage.replication.factor = 1\n"
                        << "config.storage.replication.factor = 1\n";

    // The Connect-worker form: one worker group on B, on one set of Connect topics; the Java worker
    // on a port of its own, Ferry on one it picks. MM2's two connectors, created once over the Java
    // worker's REST API, with the file's settings.
    const std::string worker_prefix = UniqueName("mm2-connect");
    const int java_port = FreePort();
    auto worker_file = [&](const std::string& name, const std::string& listener) {
      const std::string path = dir_ + "/" + name;
      std::ofstream(path) << "bootstrap.servers = " << target().bootstrap_servers() << "\n"
                          << "group.id = " << worker_prefix << "\n"
                          << "config.storage.topic = " << worker_prefix << "-configs\n"
                          << "offset.storage.topic = " << worker_prefix << "-offsets\n"
                          << "status.storage.topic = " << worker_prefix << "-status\n"
                          << "config.storage.replication.factor = 1\n"
                          << "offset.storage.replication.factor = 1\n"
                          << "status.storage.replication.factor = 1\n"
                          << "key.converter = org.apache.kafka.connect.converters.ByteArrayConverter\n"
                          << "value.converter = org.apache.kafka.connect.converters.ByteArrayConverter\n"
                          << "header.converter = org.apache.kafka.connect.converters.ByteArrayConverter\n"
                          << "offset.flush.interval.ms = 1000\n"
                          << "scheduled.rebalance.max.delay.ms = 3000\n"
                          << "listeners = " << listener << "\n";
      return path;
    };
    const std::string java_worker_file = worker_file("connect-java.properties",
                                                     "http://127.0.0.1:" + std::to_string(java_port));
    const std::string ferry_worker_file = worker_file("connect-ferry.properties", "http://127.0.0.1:0");
    const std::string common = "\"source.cluster.alias\":\"" + a_ + "\",\"target.cluster.alias\":\"" + b_ +
                               "\",\"source.cluster.bootstrap.servers\":\"" + source().bootstrap_servers() +
                               "\",\"target.cluster.bootstrap.servers\":\"" + target().bootstrap_servers() +
                               "\",\"topics\":\"" + topic_ + "\"";
    const std::string source_connector =
        "{\"name\":\"mirror-source\",\"config\":{\"connector.class\":"
        "\"org.apache.kafka.connect.mirror.MirrorSourceConnector\"," + common +
        ",\"tasks.max\":\"2\",\"sync.topic.acls.enabled\":\"false\",\"replication.factor\":\"1\","
        "\"offset-syncs.topic.replication.factor\":\"1\"}}";
    const std::string checkpoint_connector =
        "{\"name\":\"mirror-checkpoint\",\"config\":{\"connector.class\":"
        "\"org.apache.kafka.connect.mirror.MirrorCheckpointConnector\"," + common +
        ",\"groups\":\"" + group_ + "\",\"emit.checkpoints.enabled\":\"true\","
        "\"emit.checkpoints.interval.seconds\":\"1\",\"sync.group.offsets.enabled\":\"true\","
        "\"sync.group.offsets.interval.seconds\":\"1\",\"checkpoints.topic.replication.factor\":\"1\"}}";
    const bool connect = form == Form::kConnectWorker;
    const std::string ferry_what = connect ? "ferry distributed" : "ferry mirror-maker";

    std::vector<Phase> phases;
    std::unique_ptr<JavaMirrorMaker> mm2;
    std::unique_ptr<WorkerProcess> ferry;
    auto start_phase = [&](const std::string& name, bool is_ferry) {
      Phase phase;
      phase.name = name;
      phase.ferry = is_ferry;
      phase.copied_before = CopiedCounts();
      phase.start_ms = NowMs();
      if (is_ferry) {
        ferry = connect ? WorkerProcess::Start({"distributed", ferry_worker_file}, dir_ + "/ferry.log")
                        : WorkerProcess::Start({"mirror-maker", file}, dir_ + "/ferry.log");
        ASSERT_NE(ferry, nullptr) << ferry_what << " did not start" << Logs();
      } else {
        mm2 = connect ? JavaMirrorMaker::StartConnectWorker(java_worker_file, dir_ + "/mm2.log")
                      : JavaMirrorMaker::Start(file, dir_ + "/mm2.log");
        ASSERT_NE(mm2, nullptr);
        if (connect && phases.empty()) {
          // The first time: MM2's connectors, once the worker serves its REST API.
          ASSERT_TRUE(WaitFor([&] { return HttpOnce(java_port, "GET", "/connectors").status == 200; }, seconds(90)))
              << "the Connect worker does not serve REST\n" << mm2->LogTail();
          for (const std::string* body : {&source_connector, &checkpoint_connector}) {
            const HttpReply reply = Http(java_port, "POST", "/connectors", *body);
            ASSERT_EQ(reply.status, 201) << reply.body << "\n" << mm2->LogTail();
          }
        }
      }
      phases.push_back(phase);
    };
    auto stop_phase = [&] {
      const auto stopping = std::chrono::steady_clock::now();
      if (phases.back().ferry) {
        EXPECT_EQ(ferry->Terminate(), 0) << ferry_what << " did not stop cleanly" << Logs();
        ferry.reset();
      } else {
        ASSERT_TRUE(mm2->Running()) << "MM2 exited by itself\n" << mm2->LogTail();
        const int status = mm2->Stop();
        EXPECT_EQ(status, 143) << "MM2 did not stop on SIGTERM in 30 s\n" << mm2->LogTail();
      }
      phases.back().end_ms = NowMs();
      std::cout << "[ phase    ] " << phases.back().name << " stopped in "
                << std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - stopping).count()
                << " ms" << std::endl;
    };
    // While the mirror of the current phase runs: records copied past `floor`, the group's offsets
    // synced on B past `synced_floor`, a checkpoint of the phase for every partition.
    auto wait_for_progress = [&](const std::map<int32_t, int64_t>& floor, const std::map<int32_t, int64_t>& synced_floor,
                                 seconds timeout, bool need_checkpoints = true) {
      const Phase& phase = phases.back();
      const bool progressed = WaitFor(
          [&] {
            const auto copied = CopiedCounts();
            const auto latest = synced.latest();
            for (int p = 0; p < kPartitions; ++p) {
              if (copied.at(p) < floor.at(p) + 100 || latest.at(p) <= synced_floor.at(p)) return false;
            }
            if (!need_checkpoints) return true;
            std::map<int32_t, bool> checkpointed;
            for (const auto& c : Checkpoints()) {
              if (c.written_ms >= phase.start_ms) checkpointed[c.checkpoint.partition] = true;
            }
            return checkpointed.size() == kPartitions;
          },
          timeout);
      std::ostringstream why;
      why << phase.name << " made no progress in " << timeout.count() << " s: copied";
      for (const auto& [p, n] : CopiedCounts()) why << " " << p << ":" << n;
      why << ", synced";
      for (const auto& [p, n] : synced.latest()) why << " " << p << ":" << n;
      const auto latest = synced.latest();
      for (int p = 0; p < kPartitions; ++p) {
        if (latest.at(p) <= synced_floor.at(p) + 1) why << "\n" << OffsetSyncs(p, latest.at(p) - 300, latest.at(p) + 300);
      }
      if (!phase.ferry && mm2) why << "\n" << mm2->LogTail(20);
      EXPECT_TRUE(progressed) << why.str() << Logs();
      return progressed;
    };
    // At a switch, no mirror running: the group has read every record the stopped mirror copied but
    // the last. Returns the offsets committed.
    auto commit_at_last_copied = [&] {
      const auto copied = CopiedCounts();
      std::vector<TopicPartition> parts;
      for (int p = 0; p < kPartitions; ++p) parts.push_back({topic_, p});
      auto before = source().admin().ListConsumerGroupOffsets(group_, parts);
      EXPECT_TRUE(before.ok());
      kafka::GroupOffsets offsets;
      std::map<int32_t, int64_t> out;
      for (int p = 0; p < kPartitions; ++p) {
        out[p] = copied.at(p) - 1;
        if (before.ok() && before->count({topic_, p})) {
          EXPECT_LT(before->at({topic_, p}).offset, out[p]) << "the consumer caught up with the mirror on " << p;
        }
        offsets[{topic_, p}] = {out[p], ""};
      }
      EXPECT_TRUE(source().admin().AlterConsumerGroupOffsets(group_, offsets).ok());
      return out;
    };
    // The checkpoint the phase's mirror writes for `committed`, which only the previous mirror's syncs
    // can translate; waits for it and checks it.
    auto expect_checkpoint_from_previous_syncs = [&](const std::map<int32_t, int64_t>& committed) {
      const Phase& phase = phases.back();
      std::map<int32_t, TimedCheckpoint> found;
      WaitFor(
          [&] {
            for (const auto& c : Checkpoints()) {
              if (c.written_ms >= phase.start_ms &&
                  c.checkpoint.upstream_offset == committed.at(c.checkpoint.partition)) {
                found.emplace(c.checkpoint.partition, c);
              }
            }
            return found.size() == kPartitions;
          },
          seconds(90));
      for (int p = 0; p < kPartitions; ++p) {
        // The record after the last one the previous mirror copied is the first this one copies.
        EXPECT_EQ(phase.copied_before.at(p), committed.at(p) + 1);
        auto it = found.find(p);
        if (it == found.end()) {
          ADD_FAILURE() << phase.name << " wrote no checkpoint for offset " << committed.at(p) << " of partition " << p
                        << ", which only the previous mirror's offset syncs cover" << Logs();
          continue;
        }
        // The record at `committed` landed at the same offset (B's copy starts at 0 and equals A's).
        EXPECT_EQ(it->second.checkpoint.downstream_offset, committed.at(p))
            << phase.name << "'s checkpoint of partition " << p << " from the previous mirror's syncs\n"
            << OffsetSyncs(p, committed.at(p) - 400, committed.at(p) + 3);
        std::cout << "[ phase    ] " << phase.name << " checkpointed " << p << ":" << committed.at(p) << " -> "
                  << it->second.checkpoint.downstream_offset << " from the previous mirror's syncs" << std::endl;
      }
    };
    auto no_floor = [] {
      std::map<int32_t, int64_t> m;
      for (int p = 0; p < kPartitions; ++p) m[p] = -1;
      return m;
    };

    // All of A's records so far on B, the copies' positions stored and their syncs written (a commit
    // of the worker, every second).
    auto wait_until_all_copied = [&](const std::string& who) {
      std::map<int32_t, int64_t> ends;
      for (int p = 0; p < kPartitions; ++p) ends[p] = source().WatermarksOf({topic_, p}).high;
      const bool copied = WaitFor(
          [&] {
            const auto counts = CopiedCounts();
            for (int p = 0; p < kPartitions; ++p) {
              if (counts.at(p) < ends.at(p)) return false;
            }
            return true;
          },
          seconds(60));
      EXPECT_TRUE(copied) << who << " did not copy A's last records" << Logs();
      std::this_thread::sleep_for(milliseconds(2500));
      return ends;
    };

    // 1. MM2, while the producer writes and the group reads.
    ASSERT_NO_FATAL_FAILURE(start_phase("MM2", false));
    ASSERT_TRUE(wait_for_progress(no_floor(), no_floor(), seconds(120)));

    // 2. MM2 is stopped mid-stream, and Ferry continues.
    consumer->Stop();
    ASSERT_NO_FATAL_FAILURE(stop_phase());
    auto committed = commit_at_last_copied();
    ASSERT_NO_FATAL_FAILURE(start_phase("Ferry", true));
    expect_checkpoint_from_previous_syncs(committed);
    consumer = std::make_unique<Consumer>(source().bootstrap_servers(), group_, topic_);
    ASSERT_TRUE(wait_for_progress(phases.back().copied_before, committed, seconds(90)));

    // 3. Ferry is stopped and MM2 continues. Quietly: MM2's sync store keeps the newest syncs and
    // older ones only at power-of-two distances, so once MM2 has written syncs of its own past the
    // group's offset it would translate that offset through some much older sync; the check that MM2
    // reads Ferry's last sync needs MM2 to translate before it copies anything.
    consumer->Stop();
    producer->Stop();
    const int64_t next_round = producer->next();  // after Stop(): the round under way counts
    wait_until_all_copied("Ferry");
    ASSERT_NO_FATAL_FAILURE(stop_phase());
    committed = commit_at_last_copied();
    ASSERT_NO_FATAL_FAILURE(start_phase("MM2 again", false));
    expect_checkpoint_from_previous_syncs(committed);
    producer = std::make_unique<Producer>(source().bootstrap_servers(), topic_, next_round);
    consumer = std::make_unique<Consumer>(source().bootstrap_servers(), group_, topic_);
    ASSERT_TRUE(wait_for_progress(phases.back().copied_before, no_floor(), seconds(60)));

    // 4. MM2 is stopped mid-stream again, and Ferry continues from what MM2 stored this time.
    consumer->Stop();
    ASSERT_NO_FATAL_FAILURE(stop_phase());
    committed = commit_at_last_copied();
    ASSERT_NO_FATAL_FAILURE(start_phase("Ferry again", true));
    expect_checkpoint_from_previous_syncs(committed);
    consumer = std::make_unique<Consumer>(source().bootstrap_servers(), group_, topic_);
    ASSERT_TRUE(wait_for_progress(phases.back().copied_before, committed, seconds(60)));

    // 5. Ferry is stopped mid-stream, the group still reading, and MM2 continues. Its checkpoints of
    // the trailing group may stand still (the sync store, above) until the group reaches the end.
    ASSERT_NO_FATAL_FAILURE(stop_phase());
    ASSERT_NO_FATAL_FAILURE(start_phase("MM2 a third time", false));
    ASSERT_TRUE(wait_for_progress(phases.back().copied_before, no_floor(), seconds(60), false));

    // The end: the producer stops, MM2 copies the rest, the group reads to the end; MM2's checkpoint
    // and the group's offset on B reach the end of every partition.
    producer->Stop();
    consumer->Stop();
    EXPECT_EQ(producer->error(), "");
    EXPECT_EQ(consumer->error(), "");
    const auto ends = wait_until_all_copied("MM2");
    consumer = std::make_unique<Consumer>(source().bootstrap_servers(), group_, topic_, 1000);
    std::vector<TopicPartition> source_partitions;
    for (int p = 0; p < kPartitions; ++p) source_partitions.push_back({topic_, p});
    EXPECT_TRUE(WaitFor(
        [&] {
          auto offsets = source().admin().ListConsumerGroupOffsets(group_, source_partitions);
          if (!offsets.ok()) return false;
          for (int p = 0; p < kPartitions; ++p) {
            if (!offsets->count({topic_, p}) || offsets->at({topic_, p}).offset < ends.at(p)) return false;
          }
          return true;
        },
        seconds(60)))
        << "the group did not read to the end";
    consumer->Stop();
    EXPECT_EQ(consumer->error(), "");
    const bool at_end = WaitFor(
        [&] {
          const auto latest = synced.latest();
          for (int p = 0; p < kPartitions; ++p) {
            if (latest.at(p) != ends.at(p)) return false;
          }
          return true;
        },
        seconds(60));
    std::ostringstream synced_now;
    for (const auto& [p, n] : synced.latest()) synced_now << " " << p << ":" << n << "/" << ends.at(p);
    EXPECT_TRUE(at_end) << "the group's offsets on B did not reach the end:" << synced_now.str() << Logs();
    ASSERT_NO_FATAL_FAILURE(stop_phase());
    synced.Stop();
    std::map<int32_t, std::vector<Record>> source_records;
    for (int p = 0; p < kPartitions; ++p) source_records[p] = Read(source(), {topic_, p});

    // Every record exactly once, in order.
    for (int p = 0; p < kPartitions; ++p) {
      const auto& src = source_records[p];
      const auto copy = Read(target(), {remote_, p});
      std::map<std::string, int64_t> source_offset_of;
      for (const auto& r : src) source_offset_of[*r.key] = r.offset;
      ASSERT_EQ(source_offset_of.size(), src.size()) << "keys repeat on A's partition " << p << " (the test's producers)";
      int64_t duplicates = 0;
      int64_t next = 0;  // the source offset the next copied record must come from
      std::string first_problem;
      for (const auto& r : copy) {
        auto it = r.key ? source_offset_of.find(*r.key) : source_offset_of.end();
        if (it == source_offset_of.end()) {
          if (first_problem.empty()) first_problem = "B offset " + std::to_string(r.offset) + " is no record of A";
          continue;
        }
        if (it->second < next) {
          ++duplicates;
          if (first_problem.empty()) {
            first_problem = "B offset " + std::to_string(r.offset) + " copies A offset " + std::to_string(it->second) +
                            " again";
          }
          continue;
        }
        if (it->second > next && first_problem.empty()) {
          first_problem = "A offsets " + std::to_string(next) + ".." + std::to_string(it->second - 1) + " skipped";
        }
        next = it->second + 1;
      }
      EXPECT_EQ(duplicates, 0) << "partition " << p << ": " << first_problem;
      EXPECT_TRUE(first_problem.empty()) << "partition " << p << ": " << first_problem;
      auto exact = kafka::VerifyMirrored({topic_, p}, src, copy);
      EXPECT_TRUE(exact.ok()) << exact.error().ToString();
      std::cout << "[ copy     ] partition " << p << ": " << src.size() << " records on A, " << copy.size() << " on B (";
      for (const auto& phase : phases) {
        std::cout << (&phase == &phases.front() ? "" : ", ") << phase.name << " from " << phase.copied_before.at(p);
      }
      std::cout << ")" << std::endl;
    }

    // Checkpoints: each phase wrote some; per partition they never go backwards and never pass the
    // record the group reads next (B's copy equals A's, so that record is at the same offset).
    const auto checkpoints = Checkpoints();
    std::map<int32_t, TimedCheckpoint> previous;
    std::map<std::string, int> per_phase;
    for (const auto& c : checkpoints) {
      const auto& cp = c.checkpoint;
      EXPECT_EQ(cp.topic, remote_);
      EXPECT_LE(cp.downstream_offset, cp.upstream_offset) << "checkpoint at " << c.at << " skips records";
      auto phase = std::find_if(phases.begin(), phases.end(),
                                [&](const Phase& ph) { return c.written_ms >= ph.start_ms && c.written_ms < ph.end_ms; });
      EXPECT_NE(phase, phases.end()) << "checkpoint at " << c.at << " written between phases";
      if (phase != phases.end()) {
        ++per_phase[phase->name];
        // Ferry's map is exact for what it copied itself.
        if (phase->ferry && cp.upstream_offset >= phase->copied_before.at(cp.partition)) {
          EXPECT_EQ(cp.downstream_offset, cp.upstream_offset) << "Ferry's checkpoint at " << c.at;
        }
      }
      if (auto prev = previous.find(cp.partition); prev != previous.end()) {
        EXPECT_GE(cp.upstream_offset, prev->second.checkpoint.upstream_offset) << "checkpoint at " << c.at;
        EXPECT_GE(cp.downstream_offset, prev->second.checkpoint.downstream_offset)
            << "checkpoint at " << c.at << " (partition " << cp.partition << ") goes back from "
            << prev->second.checkpoint.downstream_offset << " (at " << prev->second.at << ") to " << cp.downstream_offset;
      }
      previous[cp.partition] = c;
    }
    for (const auto& phase : phases) {
      EXPECT_GT(per_phase[phase.name], 0) << phase.name << " wrote no checkpoint";
      std::cout << "[ ckpts    ] " << phase.name << ": " << per_phase[phase.name] << " checkpoints" << std::endl;
    }

    // The group's offsets on B: never backwards, advanced in every phase.
    const auto samples = synced.samples();
    for (int p = 0; p < kPartitions; ++p) {
      const auto it = samples.find(p);
      ASSERT_NE(it, samples.end()) << "no offset of partition " << p << " synced on B";
      std::map<std::string, int64_t> highest;
      for (size_t i = 0; i < it->second.size(); ++i) {
        const auto& s = it->second[i];
        if (i > 0) {
          EXPECT_GE(s.offset, it->second[i - 1].offset) << "the group's offset on B went back, partition " << p;
        }
        for (const auto& phase : phases) {
          if (s.at_ms >= phase.start_ms && s.at_ms < phase.end_ms) highest[phase.name] = s.offset;
        }
      }
      int64_t before = -1;
      for (const auto& phase : phases) {
        const int64_t reached = highest.count(phase.name) ? highest.at(phase.name) : -1;
        EXPECT_GT(reached, before) << "the group's offset on B did not advance while " << phase.name
                                   << " ran, partition " << p;
        before = std::max(before, reached);
      }
    }

    const auto took = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - test_started);
    std::cout << "[ took     ] " << took.count() << " ms" << std::endl;
  }

  std::string a_, b_, topic_, remote_, group_, dir_;
};

TEST_F(Mm2TakeoverOnRealKafkaTest, FerryContinuesWhereMm2StoppedAndMm2WhereFerryStopped) {
  RunTakeover(Form::kDedicated);
}

TEST_F(Mm2TakeoverOnRealKafkaTest, FerryDistributedContinuesWhereMm2sConnectWorkerStoppedAndBack) {
  RunTakeover(Form::kConnectWorker);
}

}  // namespace
}  // namespace ferry::testing
