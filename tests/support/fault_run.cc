#include "tests/support/fault_run.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <regex>
#include <sstream>

#include <glog/logging.h>
#include <gtest/gtest.h>

#include "tests/support/test_cluster.h"
#include "tests/support/two_clusters.h"
#include "worker/common/json.h"
#include "worker/kafka/client.h"

namespace ferry::testing {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

namespace {

std::string Key(int partition, int64_t seq) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "p%d-%09lld", partition, static_cast<long long>(seq));
  return buf;
}

// The partition and sequence a key names; false for a key of another shape.
bool ParseKey(const std::string& key, int* partition, int64_t* seq) {
  long long s = 0;
  return std::sscanf(key.c_str(), "p%d-%lld", partition, &s) == 2 && (*seq = s, true);
}

int64_t NowMs() {
  return std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

bool FullLengthFaults() {
  const char* full = std::getenv("FERRY_FAULTS_FULL");
  return full != nullptr && std::string(full) == "1";
}

// --- LiveProducer ---

std::unique_ptr<LiveProducer> LiveProducer::Start(const std::string& bootstrap, const std::string& topic,
                                                  int partitions, int per_second, size_t value_bytes) {
  // Retry for as long as a broker may be away in a scenario, rather than fail records after 5 minutes.
  auto writer = kafka::RecordWriter::Create(bootstrap, {{"delivery.timeout.ms", "900000"}, {"linger.ms", "5"}});
  EXPECT_TRUE(writer.ok()) << writer.error().ToString();
  if (!writer.ok()) return nullptr;
  std::unique_ptr<LiveProducer> producer(new LiveProducer(std::move(*writer), topic, partitions, per_second, value_bytes));
  producer->thread_ = std::thread([p = producer.get()] { p->Run(); });
  return producer;
}

LiveProducer::LiveProducer(std::unique_ptr<kafka::RecordWriter> writer, std::string topic, int partitions,
                           int per_second, size_t value_bytes)
    : writer_(std::move(writer)), topic_(std::move(topic)), per_second_(per_second), value_bytes_(value_bytes),
      sent_(static_cast<size_t>(partitions), 0) {}

LiveProducer::~LiveProducer() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
}

void LiveProducer::Run() {
  const std::string padding(value_bytes_, 'x');
  const auto start = Clock::now();
  int64_t written = 0;
  while (!stop_.load()) {
    // Catch up with the schedule (per_second_ from the start), then sleep a little.
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    const auto due = static_cast<int64_t>(elapsed * per_second_);
    for (; written < due && !stop_.load(); ++written) {
      int partition = 0;
      int64_t seq = 0;
      {
        std::lock_guard lock(mu_);
        partition = static_cast<int>(written % static_cast<int64_t>(sent_.size()));
        seq = sent_[static_cast<size_t>(partition)];
      }
      kafka::Record record;
      record.key = Key(partition, seq);
      record.value = "seq=" + std::to_string(seq) + ";" + padding;
      record.headers = {{"fault-seq", std::to_string(seq)}};
      record.timestamp = NowMs();
      auto sent = writer_->Send(topic_, partition, record);  // waits while the local queue is full
      std::lock_guard lock(mu_);
      if (!sent.ok()) {
        if (!failure_) failure_ = sent.error();
        continue;  // the same sequence is tried again: keys stay gap-free
      }
      ++sent_[static_cast<size_t>(partition)];
    }
    std::this_thread::sleep_for(milliseconds(10));
  }
}

std::vector<int64_t> LiveProducer::Sent() const {
  std::lock_guard lock(mu_);
  return sent_;
}

Result<> LiveProducer::Stop() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
  {
    std::lock_guard lock(mu_);
    if (failure_) LOG(WARNING) << "the live producer retried a send: " << failure_->ToString();
  }
  return writer_->Flush(seconds(120));
}

// --- TopicTail ---

std::unique_ptr<TopicTail> TopicTail::Start(const std::string& bootstrap, const std::string& topic, int partitions) {
  auto rk = kafka::NewClient(RD_KAFKA_CONSUMER, {{"bootstrap.servers", bootstrap},
                                                 {"group.id", "ferry-fault-tail"},
                                                 {"enable.auto.commit", "false"},
                                                 {"enable.auto.offset.store", "false"},
                                                 {"auto.offset.reset", "earliest"},
                                                 {"fetch.wait.max.ms", "100"}});
  EXPECT_TRUE(rk.ok()) << rk.error().ToString();
  if (!rk.ok()) return nullptr;
  kafka::PartitionsPtr parts(rd_kafka_topic_partition_list_new(partitions));
  for (int p = 0; p < partitions; ++p) {
    rd_kafka_topic_partition_list_add(parts.get(), topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  }
  if (auto err = rd_kafka_assign(rk->get(), parts.get())) {
    ADD_FAILURE() << "assign " << topic << ": " << rd_kafka_err2str(err);
    return nullptr;
  }
  std::unique_ptr<TopicTail> tail(new TopicTail(std::move(*rk), partitions));
  tail->thread_ = std::thread([t = tail.get()] { t->Run(); });
  return tail;
}

TopicTail::TopicTail(kafka::HandlePtr rk, int partitions)
    : rk_(std::move(rk)), highest_(static_cast<size_t>(partitions), -1) {}

TopicTail::~TopicTail() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
  rd_kafka_consumer_close(rk_.get());
}

void TopicTail::Run() {
  while (!stop_.load()) {
    kafka::MessagePtr msg(rd_kafka_consumer_poll(rk_.get(), 100));
    if (msg == nullptr || msg->err || msg->key == nullptr) continue;  // errors: the consumer retries by itself
    int partition = 0;
    int64_t seq = 0;
    if (!ParseKey(std::string(static_cast<const char*>(msg->key), msg->key_len), &partition, &seq)) continue;
    std::lock_guard lock(mu_);
    if (partition >= 0 && static_cast<size_t>(partition) < highest_.size()) {
      highest_[static_cast<size_t>(partition)] = std::max(highest_[static_cast<size_t>(partition)], seq);
    }
  }
}

bool TopicTail::Reached(const std::vector<int64_t>& marks) const {
  std::lock_guard lock(mu_);
  for (size_t p = 0; p < marks.size() && p < highest_.size(); ++p) {
    if (highest_[p] < marks[p] - 1) return false;
  }
  return true;
}

double TopicTail::SecondsUntilReached(const std::vector<int64_t>& marks, Clock::time_point since,
                                      seconds timeout) const {
  if (!WaitFor([&] { return Reached(marks); }, timeout)) return -1;
  return std::chrono::duration<double>(Clock::now() - since).count();
}

// --- WorkerFleet ---

WorkerFleet::WorkerFleet(std::string dir, const Properties& props) : dir_(std::move(dir)) {
  std::filesystem::create_directories(dir_);
  props_file_ = WritePropertiesFile(dir_ + "/worker.properties", props);
}

int WorkerFleet::Add() {
  const std::string log = dir_ + "/worker" + std::to_string(workers_.size()) + ".log";
  auto process = WorkerProcess::Start({"distributed", props_file_}, log);
  if (process == nullptr || process->port() <= 0) return -1;
  workers_.push_back({std::move(process), log});
  return static_cast<int>(workers_.size()) - 1;
}

void WorkerFleet::Kill9(int index) {
  Worker& w = workers_.at(static_cast<size_t>(index));
  if (w.process) w.process->Kill9();
  w.process.reset();
}

std::vector<int> WorkerFleet::Live() const {
  std::vector<int> live;
  for (size_t i = 0; i < workers_.size(); ++i) {
    if (workers_[i].process) live.push_back(static_cast<int>(i));
  }
  return live;
}

std::string WorkerFleet::WorkerId(int index) const { return "127.0.0.1:" + std::to_string(port(index)); }

namespace {

// The newest "worker group: generation G" line of a worker's log: G, and whether it led that one.
std::pair<int64_t, bool> NewestGenerationIn(const std::string& log) {
  std::ifstream in(log);
  const std::regex line("worker group: generation ([0-9]+)( \\(leader\\))?");
  std::pair<int64_t, bool> newest{0, false};
  std::string text;
  std::smatch m;
  while (std::getline(in, text)) {
    if (text.find("worker group: generation") == std::string::npos) continue;
    if (std::regex_search(text, m, line)) newest = {std::stoll(m[1]), m[2].matched};
  }
  return newest;
}

}  // namespace

int WorkerFleet::Leader() const {
  int leader = -1;
  int64_t newest = 0;
  for (int i : Live()) {
    const auto [generation, leads] = NewestGenerationIn(workers_[static_cast<size_t>(i)].log);
    if (leads && generation > newest) {
      newest = generation;
      leader = i;
    }
  }
  return leader;
}

int64_t WorkerFleet::NewestGeneration() const {
  int64_t newest = 0;
  for (int i : Live()) newest = std::max(newest, NewestGenerationIn(workers_[static_cast<size_t>(i)].log).first);
  return newest;
}

int64_t WorkerFleet::CountInLog(int index, const std::string& text) const {
  std::ifstream in(workers_.at(static_cast<size_t>(index)).log);
  int64_t count = 0;
  std::string line;
  while (std::getline(in, line)) count += line.find(text) != std::string::npos ? 1 : 0;
  return count;
}

bool WorkerFleet::WaitRunning(const std::string& connector, size_t tasks, seconds timeout, std::string* last) {
  return WaitFor(
      [&] {
        const std::vector<int> live = Live();
        if (live.empty()) return false;
        std::map<std::string, int> by_worker;
        for (int i : live) by_worker[WorkerId(i)] = 0;
        HttpReply r = HttpOnce(port(live.front()), "GET", "/connectors/" + connector + "/status");
        *last = r.body;
        if (r.status != 200) return false;
        auto doc = r.Json();
        if (std::string(doc["connector"]["state"].GetString()) != "RUNNING" || doc["tasks"].Size() != tasks) {
          return false;
        }
        for (const auto& t : doc["tasks"].GetArray()) {
          if (std::string(t["state"].GetString()) != "RUNNING") return false;
          auto it = by_worker.find(t["worker_id"].GetString());
          if (it == by_worker.end()) return false;  // still placed on a dead worker
          ++it->second;
        }
        if (tasks >= by_worker.size()) {
          for (const auto& [id, n] : by_worker) {
            if (n == 0) return false;
          }
        }
        return true;
      },
      timeout);
}

int64_t RssKiB(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6));
  }
  return 0;
}

// --- the comparison ---

void TallyPartition(const std::vector<kafka::Record>& src, const std::vector<kafka::Record>& tgt,
                    const TopicPartition& tp, MirrorTally* tally) {
  std::map<std::string, size_t> index;  // key -> position in src
  for (size_t i = 0; i < src.size(); ++i) {
    if (src[i].key) index[*src[i].key] = i;
  }
  std::vector<bool> copied(src.size(), false);
  int64_t last_first_copy = -1;
  auto note = [&](const std::string& what) {
    if (tally->first_problem.empty()) tally->first_problem = tp.ToString() + ": " + what;
  };
  for (const auto& r : tgt) {
    auto it = r.key ? index.find(*r.key) : index.end();
    if (it == index.end()) {
      ++tally->foreign;
      note("target offset " + std::to_string(r.offset) + " has a key no source record has");
      continue;
    }
    const size_t i = it->second;
    if (!r.SameContent(src[i])) {
      ++tally->altered;
      note("target offset " + std::to_string(r.offset) + " differs from source offset " +
           std::to_string(src[i].offset));
    }
    if (copied[i]) {
      ++tally->duplicated;
      continue;
    }
    copied[i] = true;
    if (static_cast<int64_t>(i) < last_first_copy) {
      ++tally->out_of_order;
      note("source offset " + std::to_string(src[i].offset) + " first copied after a later one");
    }
    last_first_copy = std::max(last_first_copy, static_cast<int64_t>(i));
  }
  for (size_t i = 0; i < src.size(); ++i) {
    if (copied[i]) continue;
    ++tally->lost;
    note("source offset " + std::to_string(src[i].offset) + " (" + src[i].Describe() + ") is not on the target");
  }
  tally->source_records += static_cast<int64_t>(src.size());
  tally->target_records += static_cast<int64_t>(tgt.size());
}

MirrorTally CompareMirror(const std::string& source_bootstrap, const std::string& source_topic,
                          const std::string& target_bootstrap, const std::string& target_topic, int partitions) {
  MirrorTally tally;
  for (int p = 0; p < partitions; ++p) {
    auto src = kafka::ReadPartition(source_bootstrap, {source_topic, p}, seconds(120));
    auto tgt = kafka::ReadPartition(target_bootstrap, {target_topic, p}, seconds(120));
    EXPECT_TRUE(src.ok()) << src.error().ToString();
    EXPECT_TRUE(tgt.ok()) << tgt.error().ToString();
    if (!src.ok() || !tgt.ok()) {
      tally.first_problem = "could not read partition " + std::to_string(p);
      ++tally.lost;  // counted as a loss: the comparison could not vouch for it
      continue;
    }
    TallyPartition(*src, *tgt, {source_topic, p}, &tally);
  }
  return tally;
}

void ReportFault(const std::string& scenario, const MirrorTally& tally, double recovery_s, const std::string& extra) {
  char recovery[32];
  std::snprintf(recovery, sizeof recovery, "%.1f", recovery_s);
  std::cout << "FAULT " << scenario << " lost=" << tally.lost << " duplicated=" << tally.duplicated
            << " recovery_s=" << recovery << (extra.empty() ? "" : " " + extra)
            << " (source " << tally.source_records << " records, target " << tally.target_records << ")"
            << std::endl;
  EXPECT_EQ(tally.lost, 0) << tally.first_problem;
  EXPECT_EQ(tally.altered, 0) << tally.first_problem;
  EXPECT_EQ(tally.out_of_order, 0) << tally.first_problem;
  EXPECT_EQ(tally.foreign, 0) << tally.first_problem;
  EXPECT_GT(tally.source_records, 0) << "a scenario with no records shows nothing";
}

Properties FaultWorkerProps(const std::string& bootstrap, const std::string& prefix) {
  Properties props = DistributedWorkerProps(bootstrap, prefix, Peer::kRealKafka);
  props["session.timeout.ms"] = "10000";
  props["heartbeat.interval.ms"] = "3000";
  props["ferry.group.leader.sync.delay.ms"] = "0";  // Kafka's coordinator needs no delay (worker_cluster_test.cc)
  return props;
}

std::string FaultMirrorConfig(const std::string& source_bootstrap, const std::string& target_bootstrap,
                              const std::string& topic, int tasks, int replication) {
  const std::string factor = json::Quote(std::to_string(replication));
  return "{\"connector.class\":\"MirrorSourceConnector\",\"source.cluster.alias\":\"A\","
         "\"target.cluster.alias\":\"B\",\"source.cluster.bootstrap.servers\":" + json::Quote(source_bootstrap) +
         ",\"target.cluster.bootstrap.servers\":" + json::Quote(target_bootstrap) +
         ",\"topics\":" + json::Quote(topic) + ",\"tasks.max\":\"" + std::to_string(tasks) +
         "\",\"source.consumer.fetch.wait.max.ms\":\"50\",\"refresh.topics.enabled\":\"false\""
         ",\"sync.topic.configs.enabled\":\"false\",\"sync.topic.acls.enabled\":\"false\"" +
         ",\"replication.factor\":" + factor + ",\"offset-syncs.topic.replication.factor\":" + factor +
         ",\"checkpoints.topic.replication.factor\":" + factor + ",\"heartbeats.topic.replication.factor\":" + factor +
         "}";
}

}  // namespace ferry::testing
