// Issue #16, mode 2 on real brokers: ferry.resume.mode=exact. A MirrorSourceTask is driven as the
// worker drives it (Start, Commit then Offsets stored at an "offset flush", Stop), its stored
// positions kept in memory (MemoryOffsets). A crash after copying past the last offset commit is
// reproduced honestly: the task is stopped (its producer drains: the copies land) and destroyed
// without the final commit, so its stored position lags what the target holds and the offset syncs
// after that commit are partly written, partly not. Then both logs are read record by record.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tasks/mirror_source_task.h"
#include "tasks/offset_sync_store.h"
#include "tests/support/mirror_worker_test.h"
#include "tests/support/worker_harness.h"
#include "worker/common/metrics.h"

namespace ferry::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

// The worker's offset store, in memory: what Offsets() said at the last "offset flush".
class MemoryOffsets : public tasks::TaskContext {
 public:
  explicit MemoryOffsets(Properties worker_producer) : worker_producer_(std::move(worker_producer)) {}
  std::optional<std::string> ReadOffset(const std::string& partition_json) override {
    auto it = stored_.find(partition_json);
    return it == stored_.end() ? std::nullopt : std::optional<std::string>(it->second);
  }
  const Properties& WorkerProducerProps() override { return worker_producer_; }
  void Flush(tasks::MirrorSourceTask& task) {  // the worker's offset commit
    task.Commit();
    for (const auto& o : task.Offsets()) stored_[o.partition_json] = o.offset_json;
  }
  // Flushes until `tp`'s stored next offset is `next`: the target shows a copy a moment before the
  // task has handled its acknowledgement.
  bool FlushUntil(tasks::MirrorSourceTask& task, const TopicPartition& tp, int64_t next) {
    return WaitFor([&] {
      Flush(task);
      auto stored = ReadOffset(tasks::MirrorSourcePartitionJson("A", tp));
      if (!stored) return false;
      auto stored_next = tasks::NextOffsetFromStored(*stored, tp);
      return stored_next.ok() && *stored_next == next;
    }, seconds(30));
  }

 private:
  Properties worker_producer_;
  std::map<std::string, std::string> stored_;
};

// A sample of `name` for partition 0 in the task's metrics; -1 when there is none.
double Metric(const tasks::MirrorSourceTask& task, const std::string& name) {
  metrics::Exposition out;
  task.CollectMetrics(out, 0, {{"connector", "mirror"}, {"task", "0"}});
  double value = -1;
  out.ForEachSample(name, [&](const metrics::Labels&, double v) { value = v; });
  return value;
}

class ExactResumeFixture : public MirrorWorkerTest {
 protected:
  explicit ExactResumeFixture(Peer peer) : MirrorWorkerTest(peer), alias_(Name("eo")) {}

  void SetUp() override {
    SetUpMirror(1);
    if (IsSkipped() || HasFatalFailure()) return;
    // A target alias, and so an offset-syncs topic, of the test's own.
    ASSERT_TRUE(source().CreateTopic("mm2-offset-syncs." + alias_ + ".internal", 1).ok());
  }

  // `lag_max`: offset.lag.max; large, syncs are written only at offset commits and run starts.
  Properties TaskConfig(const std::string& mode, int64_t lag_max) {
    return {{"source.cluster.alias", "A"},
            {"target.cluster.alias", alias_},
            {"source.cluster.bootstrap.servers", source().bootstrap_servers()},
            {"target.cluster.bootstrap.servers", target().bootstrap_servers()},
            {"task.assigned.partitions", orders_ + "-0"},
            {"task.index", "0"},
            {"source.consumer.fetch.wait.max.ms", "50"},
            {"offset.lag.max", std::to_string(lag_max)},
            {"ferry.resume.mode", mode}};
  }

  // Starts a task; nullptr (and a failure) if it cannot. `start_ms`: how long Start() took.
  std::unique_ptr<tasks::MirrorSourceTask> StartTask(MemoryOffsets& offsets, const std::string& mode,
                                                     int64_t* start_ms = nullptr, int64_t lag_max = 10,
                                                     const Properties& extra = {}) {
    auto task = std::make_unique<tasks::MirrorSourceTask>();
    Properties config = TaskConfig(mode, lag_max);
    for (const auto& [k, v] : extra) config[k] = v;
    const auto begin = Clock::now();
    auto started = task->Start(config, offsets);
    if (start_ms) *start_ms = std::chrono::duration_cast<milliseconds>(Clock::now() - begin).count();
    if (!started.ok()) {
      ADD_FAILURE() << started.error().ToString();
      return nullptr;
    }
    return task;
  }

  // Every source record, once, in order, at consecutive target offsets: key by key, offset by offset.
  void ExpectExactlyOnce() {
    const auto src = Read(source(), {orders_, 0});
    const auto tgt = Read(target(), {remote_orders_, 0});
    ASSERT_EQ(tgt.size(), src.size());
    for (size_t i = 0; i < src.size(); ++i) {
      ASSERT_TRUE(tgt[i].SameContent(src[i])) << "target offset " << tgt[i].offset << " vs source " << src[i].offset;
      ASSERT_EQ(tgt[i].offset, tgt.front().offset + static_cast<int64_t>(i));
    }
  }

  // The map as the offset-syncs topic gives it (what a cutover translates through).
  std::unique_ptr<tasks::OffsetSyncStore> ReadMap() {
    kafka::KafkaLogOptions log;
    log.topic = "mm2-offset-syncs." + alias_ + ".internal";
    log.consumer = {{"bootstrap.servers", source().bootstrap_servers()}};
    log.producer = log.consumer;
    auto store = std::make_unique<tasks::OffsetSyncStore>(std::move(log));
    auto started = store->Start(seconds(30));
    EXPECT_TRUE(started.ok()) << started.error().ToString();
    store->Stop();
    return store;
  }

  const std::string alias_;
};

using ExactResumeTest = OnPeers<ExactResumeFixture>;
INSTANTIATE_TEST_SUITE_P(RealKafka, ExactResumeTest, ::testing::Values(Peer::kRealKafka), PeerName);

TEST_P(ExactResumeTest, TenCrashesUnderALiveProducerLeaveEveryRecordOnceAndTheMapExact) {
  // Syncs only at offset commits (and run starts): each crash leaves copies no sync names.
  constexpr int64_t kLagMax = 100000;
  // The live producer: unique keys, 20 records every 20 ms, until told to stop.
  std::atomic<bool> stop{false};
  std::atomic<int64_t> produced{0};
  std::thread producer([&] {
    auto writer = kafka::RecordWriter::Create(source().bootstrap_servers());
    ASSERT_TRUE(writer.ok()) << writer.error().ToString();
    const int64_t base = std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    for (int64_t i = 0; !stop.load() && i < 200000;) {
      for (int j = 0; j < 20; ++j, ++i) {
        Record r;
        r.key = "k-" + std::to_string(i);
        r.value = std::string(60, static_cast<char>('a' + i % 26));
        r.timestamp = base + i;
        r.headers = {{"n", std::to_string(i)}};
        ASSERT_TRUE((*writer)->Send(orders_, 0, r).ok());
      }
      ASSERT_TRUE((*writer)->Flush(seconds(30)).ok());
      produced = i;
      std::this_thread::sleep_for(milliseconds(20));
    }
  });
  MemoryOffsets offsets({{"bootstrap.servers", target().bootstrap_servers()}});
  std::mt19937 random(16);
  std::vector<int64_t> start_ms;
  int exact = 0;
  int64_t past_commit = 0;  // records copied after the last stored position, summed over the crashes
  int64_t past_sync = 0;    // ... and after the last offset sync: what only the comparison proves
  const auto deadline = Clock::now() + seconds(150);
  for (int crash = 0; crash < 10 && Clock::now() < deadline; ++crash) {
    int64_t ms = 0;
    auto task = StartTask(offsets, "exact", &ms, kLagMax);
    ASSERT_NE(task, nullptr);
    if (crash > 0) {
      start_ms.push_back(ms);
      exact += Metric(*task, "ferry_mirror_resume_exact") == 1;
      EXPECT_EQ(Metric(*task, "ferry_mirror_resume_duplicates_total"), 0) << "restart " << crash;
    }
    std::this_thread::sleep_for(milliseconds(200 + random() % 400));
    offsets.Flush(*task);  // an offset flush mid-run ...
    std::this_thread::sleep_for(milliseconds(200 + random() % 400));
    task->Stop();          // ... then a crash: the copies land, their position is never stored
    ASSERT_FALSE(task->failure()) << task->failure()->ToString();
    const auto stored = tasks::NextOffsetFromStored(
        offsets.ReadOffset(tasks::MirrorSourcePartitionJson("A", {orders_, 0})).value_or("{\"offset\":-1}"), {orders_, 0});
    const auto copied = static_cast<int64_t>(CountRecords(target(), {remote_orders_, 0}));
    past_commit += copied - *stored;
    const auto covered = ReadMap()->map().Covered({orders_, 0});
    ASSERT_TRUE(covered);
    past_sync += copied - covered->next_target.value;
  }
  stop = true;
  producer.join();
  // The last start copies the rest; a clean stop.
  int64_t ms = 0;
  auto task = StartTask(offsets, "exact", &ms, kLagMax);
  ASSERT_NE(task, nullptr);
  start_ms.push_back(ms);
  exact += Metric(*task, "ferry_mirror_resume_exact") == 1;
  ASSERT_TRUE(WaitFor([&] { return CountRecords(target(), {remote_orders_, 0}) >= static_cast<size_t>(produced.load()); },
                      seconds(60)));
  offsets.Flush(*task);
  task->Stop();
  offsets.Flush(*task);
  task.reset();

  EXPECT_EQ(exact, 10) << "every restart should have resumed exactly";
  EXPECT_GT(past_commit, 0) << "no crash left copies past its stored position: the test proves nothing";
  EXPECT_GT(past_sync, 0) << "no crash left copies past its last offset sync: the comparison was never needed";
  ExpectExactlyOnce();

  // A group at any source offset, translated through the map, lands on that record's copy.
  auto store = ReadMap();
  const auto covered = store->map().Covered({orders_, 0});
  ASSERT_TRUE(covered);
  EXPECT_TRUE(covered->complete_history);
  EXPECT_EQ(covered->contested_from, -1);
  EXPECT_EQ(covered->next_source.value, produced.load());
  for (int64_t c = 0; c < covered->next_source.value; ++c) {
    auto t = store->map().Forward({orders_, 0}, SourceOffset(c));
    ASSERT_TRUE(t && t->exact()) << "source offset " << c;
    ASSERT_EQ(t->offset.value, c) << "source offset " << c;  // one for one from 0 on both sides
  }
  std::sort(start_ms.begin(), start_ms.end());
  std::cout << "exact resume: " << produced.load() << " records, " << past_commit
            << " copied past a stored position and not copied again, " << past_sync
            << " of them past the last offset sync (compared); Start() took " << start_ms.front() << " .. "
            << start_ms.back() << " ms (median " << start_ms[start_ms.size() / 2] << ")\n";
}

TEST_P(ExactResumeTest, AnotherProducerOnTheTargetFallsBackToTheStoredPositionAndCountsTheDuplicates) {
  Produce(source(), orders_, 0, MakeRecords(0, 50));
  MemoryOffsets offsets({{"bootstrap.servers", target().bootstrap_servers()}});
  auto task = StartTask(offsets, "exact");
  ASSERT_NE(task, nullptr);
  EXPECT_EQ(Metric(*task, "ferry_mirror_resume_exact"), 0);  // nothing to resume from
  ASSERT_TRUE(WaitFor([&] { return CountRecords(target(), {remote_orders_, 0}) == 50; }, seconds(30)));
  ASSERT_TRUE(offsets.FlushUntil(*task, {orders_, 0}, 50));
  Produce(source(), orders_, 0, MakeRecords(50, 50));
  ASSERT_TRUE(WaitFor([&] { return CountRecords(target(), {remote_orders_, 0}) == 100; }, seconds(30)));
  task->Stop();  // copied 50..99, never stored
  task.reset();
  Record foreign;
  foreign.key = "not-a-copy";
  foreign.value = "x";
  foreign.timestamp = 1;
  Produce(target(), remote_orders_, 0, {foreign});

  int64_t committed_ms = 0, exact_ms = 0;
  task = StartTask(offsets, "exact", &exact_ms);
  ASSERT_NE(task, nullptr);
  EXPECT_EQ(Metric(*task, "ferry_mirror_resume_exact"), 0);
  // Target end 101 minus where the stored position's record (50) landed (50): at most 51 again.
  EXPECT_EQ(Metric(*task, "ferry_mirror_resume_duplicates_total"), 51);
  ASSERT_TRUE(WaitFor([&] { return CountRecords(target(), {remote_orders_, 0}) == 151; }, seconds(30)));
  offsets.Flush(*task);
  task->Stop();
  task.reset();
  // 0..99, the foreign record, then 50..99 again: the 50 duplicates the fallback said (at most 51).
  const auto src = Read(source(), {orders_, 0});
  const auto tgt = Read(target(), {remote_orders_, 0});
  ASSERT_EQ(tgt.size(), 151u);
  for (size_t i = 0; i < 100; ++i) ASSERT_TRUE(tgt[i].SameContent(src[i])) << i;
  ASSERT_TRUE(tgt[100].SameContent(foreign));
  for (size_t i = 101; i < 151; ++i) ASSERT_TRUE(tgt[i].SameContent(src[i - 51])) << i;

  // The cost of a start: committed mode reads nothing, exact read the syncs and compared.
  task = StartTask(offsets, "committed", &committed_ms);
  ASSERT_NE(task, nullptr);
  EXPECT_EQ(Metric(*task, "ferry_mirror_resume_exact"), 0);
  EXPECT_EQ(Metric(*task, "ferry_mirror_resume_duplicates_total"), -1);  // not counted in committed mode
  task->Stop();
  std::cout << "start of one partition: committed " << committed_ms << " ms, exact (fell back after comparing) "
            << exact_ms << " ms\n";
}

// Syncs only at offset commits and run starts; no offset commit after the first 100 records. The
// first restart compares the 20000 copies past the last sync (and takes the time below); the second,
// limited to 10000, has 35000 to compare and falls back without reading them, saying so.
TEST_P(ExactResumeTest, AStretchPastTheLastSyncBeyondTheCompareLimitFallsBackAndOneWithinItResumesExactly) {
  constexpr int64_t kLagMax = 1000000;
  MemoryOffsets offsets({{"bootstrap.servers", target().bootstrap_servers()}});
  auto copied = [&](size_t n) {
    return WaitFor([&] { return CountRecords(target(), {remote_orders_, 0}) == n; }, seconds(90));
  };
  auto task = StartTask(offsets, "exact", nullptr, kLagMax);
  ASSERT_NE(task, nullptr);
  Produce(source(), orders_, 0, MakeRecords(0, 100));
  ASSERT_TRUE(copied(100));
  ASSERT_TRUE(offsets.FlushUntil(*task, {orders_, 0}, 100));  // synced up to 99
  Produce(source(), orders_, 0, MakeRecords(100, 20000));
  ASSERT_TRUE(copied(20100));
  task->Stop();
  task.reset();

  int64_t ms = 0;
  task = StartTask(offsets, "exact", &ms, kLagMax);
  ASSERT_NE(task, nullptr);
  EXPECT_EQ(Metric(*task, "ferry_mirror_resume_exact"), 1);
  EXPECT_EQ(Metric(*task, "ferry_mirror_resume_duplicates_total"), 0);
  std::cout << "exact resume of one partition comparing 20001 target records: Start() took " << ms << " ms\n";
  Produce(source(), orders_, 0, MakeRecords(20100, 15000));
  ASSERT_TRUE(copied(35100));
  task->Stop();  // its syncs name only its first proven copy: the next start compares from there
  task.reset();

  task = StartTask(offsets, "exact", &ms, kLagMax, {{"ferry.resume.max.compare.records", "10000"}});
  ASSERT_NE(task, nullptr);
  EXPECT_EQ(Metric(*task, "ferry_mirror_resume_exact"), 0);
  EXPECT_EQ(Metric(*task, "ferry_mirror_resume_duplicates_total"), 35000);  // resumes at 100, whose copy is at 100
  std::cout << "falling back past the compare limit: Start() took " << ms << " ms\n";
  task->Stop();
}

// The issue's own case: a `ferry distributed` worker process killed with SIGKILL mid-stream, ten
// times, under a live producer, with ferry.resume.mode=exact on the connector (offset flushes every
// 500 ms, so each kill leaves copies past the stored position). Then every source record is on the
// target exactly once, key by key and offset by offset.
TEST_P(ExactResumeTest, TenKill9sOfAWorkerUnderALiveProducerLeaveEveryRecordOnce) {
  const std::string dir = ::testing::TempDir() + "/ferry-exact-kill9-" + std::to_string(getpid());
  std::filesystem::create_directories(dir);
  const std::string worker_file = WritePropertiesFile(dir + "/worker.properties", worker_props_);
  // The test's own target alias, so an offset-syncs topic of its own.
  std::string config = MirrorConfig(1);
  const std::string b = "\"target.cluster.alias\":\"B\"";
  ASSERT_NE(config.find(b), std::string::npos);
  config.replace(config.find(b), b.size(), "\"target.cluster.alias\":" + json::Quote(alias_));
  config.insert(config.rfind('}'), ",\"ferry.resume.mode\":\"exact\"");

  std::atomic<bool> stop{false};
  std::atomic<int64_t> produced{0};
  std::thread producer([&] {
    auto writer = kafka::RecordWriter::Create(source().bootstrap_servers());
    ASSERT_TRUE(writer.ok()) << writer.error().ToString();
    for (int64_t i = 0; !stop.load() && i < 200000;) {
      for (int j = 0; j < 20; ++j, ++i) {
        Record r;
        r.key = "k-" + std::to_string(i);
        r.value = std::string(60, static_cast<char>('a' + i % 26));
        r.timestamp = 1700000000000 + i;
        ASSERT_TRUE((*writer)->Send(orders_, 0, r).ok());
      }
      ASSERT_TRUE((*writer)->Flush(seconds(30)).ok());
      produced = i;
      std::this_thread::sleep_for(milliseconds(20));
    }
  });
  const std::string connector = Name("mirror");
  const auto deadline = Clock::now() + seconds(300);
  int kills = 0;
  for (; kills < 10 && Clock::now() < deadline; ++kills) {
    auto worker = WorkerProcess::Start({"distributed", worker_file}, dir + "/worker" + std::to_string(kills) + ".log");
    ASSERT_GT(worker->port(), 0);
    if (kills == 0) {
      HttpReply put = Http(worker->port(), "PUT", "/connectors/" + connector + "/config", config);
      ASSERT_EQ(put.status, 201) << put.body;
      // Its first offset flush (and the syncs before it) before the first kill: killed earlier, a
      // worker leaves neither a stored position nor a sync, and its successor can only start over
      // from the log start (a fallback, said, with an unknown count).
      ASSERT_TRUE(WaitFor([&] { return StoredSourceOffset(worker->port(), connector, {orders_, 0}).has_value(); },
                          seconds(60)));
    }
    // Killed once it has copied some 500 records more than there were at its start.
    const size_t at_start = CountRecords(target(), {remote_orders_, 0});
    EXPECT_TRUE(WaitFor([&] { return CountRecords(target(), {remote_orders_, 0}) >= at_start + 500; }, seconds(60)))
        << "worker " << kills << " copied nothing";
    worker->Kill9();
  }
  stop = true;
  producer.join();
  auto worker = WorkerProcess::Start({"distributed", worker_file}, dir + "/worker-last.log");
  ASSERT_GT(worker->port(), 0);
  EXPECT_TRUE(WaitFor([&] { return CountRecords(target(), {remote_orders_, 0}) >= static_cast<size_t>(produced.load()); },
                      seconds(90)));
  std::this_thread::sleep_for(seconds(2));  // anything copied twice would land by now
  EXPECT_EQ(worker->Terminate(), 0);
  EXPECT_EQ(kills, 10);
  ExpectExactlyOnce();
  std::cout << "[ report   ] " << kills << " kill -9s under a live producer, " << produced.load()
            << " records: each once on the target\n";
}

}  // namespace
}  // namespace ferry::testing
