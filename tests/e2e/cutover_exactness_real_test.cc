// Issue #21, "Exactness that proves itself": each exactness case of docs/cutover.md reproduced on
// real brokers (the suite's shared Kafka clusters), with a Ferry worker mirroring, the group's state
// read from the broker, and the move made through the worker's REST API. Each test reads both logs
// record by record and checks Ferry's plan, and what the group then reads, against that truth.
//
// The cases (the issue's numbering): 7, source offsets reused (the topic deleted and made again,
// ending below the copied point, or refilled past it: told by its topic ID);
// 8, the destination's records deleted below the translation (DeleteRecords); 9, a rollback over a
// stretch the mirror copied twice; 10a, a consumer committing on the side the group leaves between
// the plan and the commit; 6, the partition's mirror task not running; 2, the offset-syncs topic
// refusing the task's syncs; 3, two writers copying one partition at once; 4, a compacted
// offset-syncs topic; 10b, records deleted before the mirror copied them. Item 1 is
// RealKafka/CutoverTest.AGroupAtACommitMarker... in cutover_test.cc. The same decisions are
// unit-tested against fakes in tests/cutover/.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "tasks/mirror_records.h"
#include "tasks/mirror_source_task.h"
#include "tasks/offset_sync_writer.h"
#include "tests/support/mirror_worker_test.h"
#include "worker/common/json.h"
#include "worker/cutover/service.h"
#include "worker/group/topic_ids.h"
#include "worker/kafka/admin.h"
#include "worker/kafka/client.h"
#include "worker/kafka/handles.h"

namespace ferry::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

int64_t MsSince(Clock::time_point start) {
  return std::chrono::duration_cast<milliseconds>(Clock::now() - start).count();
}

// Records with unique keys `tag`-i and recent timestamps (time retention would delete old ones).
std::vector<Record> Keyed(const std::string& tag, int64_t first, int64_t count) {
  static const int64_t kBase =
      std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  std::vector<Record> out;
  for (int64_t i = first; i < first + count; ++i) {
    Record r;
    r.key = tag + "-" + std::to_string(i);
    r.value = std::string(40, static_cast<char>('a' + i % 26));
    r.timestamp = kBase + i;
    out.push_back(std::move(r));
  }
  return out;
}

// Source offset -> the target offsets holding a copy of it (oldest first), by content: the truth
// read from both logs, record by record.
std::map<int64_t, std::vector<int64_t>> CopiesOf(const std::vector<Record>& src, const std::vector<Record>& tgt) {
  std::map<int64_t, std::vector<int64_t>> copies;
  for (const Record& s : src) {
    for (const Record& t : tgt) {
      if (t.SameContent(s)) copies[s.offset].push_back(t.offset);
    }
  }
  return copies;
}

class CutoverExactnessFixture : public MirrorWorkerTest {
 protected:
  explicit CutoverExactnessFixture(Peer peer) : MirrorWorkerTest(peer), app_(Name("app")) {}

  void SetUp() override { SetUpMirror(1); }

  // Ferry's own clients; the target's Admin wrapped by wrap_target_ if a test sets it.
  cutover::ClusterClients Clients() {
    cutover::ClusterClients clients = cutover::KafkaClusterClients(seconds(10));
    if (wrap_target_) {
      clients.make_admin = [make = clients.make_admin, wrap = wrap_target_,
                            target = target().bootstrap_servers()](const Properties& props)
          -> Result<std::unique_ptr<kafka::Admin>> {
        auto admin = make(props);
        if (!admin.ok()) return admin.error();
        if (props.at("bootstrap.servers") != target) return std::move(*admin);
        return wrap(std::move(*admin));
      };
    }
    return clients;
  }

  // A worker mirroring orders_ (one partition, one task) with `config` (default MirrorConfig(1)),
  // once the target holds `expected` records; nullptr on failure.
  std::unique_ptr<InProcessWorker> StartMirroring(size_t expected, const std::string& config = "") {
    auto worker = InProcessWorker::Start(worker_props_, Clients());
    if (worker == nullptr) return nullptr;
    HttpReply put = Http(worker->port(), "PUT", Connector() + "/config", config.empty() ? MirrorConfig(1) : config);
    EXPECT_EQ(put.status, 201) << put.body;
    if (!WaitFor([&] { return Read(target(), remote_).size() == expected; }, seconds(60))) {
      ADD_FAILURE() << "the target holds " << Read(target(), remote_).size() << " records, not " << expected;
      return nullptr;
    }
    return worker;
  }

  // Waits until the map (the offset-syncs topic, as the worker reads it) covers the source up to
  // `next_source`, as the plan's replicated_to says.
  void WaitSyncedTo(InProcessWorker& w, int64_t next_source, const std::string& direction = "cutover") {
    HttpReply plan;
    const bool synced = WaitFor([&] {
      plan = Http(w.port(), "GET", GroupPath("plan?direction=" + direction));
      if (plan.status != 200) return false;
      auto p = Partition(plan);
      return p && (*p)["replicated_to"].IsInt64() && (*p)["replicated_to"].GetInt64() == next_source;
    }, seconds(30));
    ASSERT_TRUE(synced) << "the map does not cover " << next_source << ": " << plan.body;
  }

  // The plan's (or a report's plan's) only partition, as JSON.
  std::optional<rapidjson::Document> Partition(const HttpReply& reply) {
    auto doc = reply.Json();
    const rapidjson::Value* plan = &doc;
    if (doc.HasMember("report")) plan = &doc["report"];
    if (plan->HasMember("plan")) plan = &(*plan)["plan"];
    if (!plan->HasMember("partitions") || (*plan)["partitions"].Size() != 1) return std::nullopt;
    rapidjson::Document out;
    out.CopyFrom((*plan)["partitions"][0], out.GetAllocator());
    return out;
  }

  std::string Outcome(const HttpReply& reply) {
    auto doc = reply.Json();
    const rapidjson::Value& report = doc.HasMember("report") ? doc["report"] : doc;
    return report.HasMember("outcome") ? report["outcome"].GetString() : "";
  }

  kafka::GroupOffsets OffsetsOn(TestCluster& cluster, const TopicPartition& tp) {
    auto offsets = cluster.admin().ListConsumerGroupOffsets(app_, {tp});
    EXPECT_TRUE(offsets.ok()) << offsets.error().ToString();
    return offsets.ok() ? *offsets : kafka::GroupOffsets{};
  }

  std::string Position(InProcessWorker& w) {
    HttpReply status = Http(w.port(), "GET", GroupPath("status"));
    if (status.status != 200) return "status " + std::to_string(status.status) + ": " + status.body;
    return status.Json()["position"].GetString();
  }

  // The connector's stored source position for orders_-0 (GET .../offsets), if any.
  std::optional<int64_t> StoredOffset(InProcessWorker& w) { return StoredSourceOffset(w.port(), mirror_, {orders_, 0}); }

  // Ferry's offset syncs of orders_-0 in `syncs_topic` on the source: (upstream, downstream).
  std::vector<std::pair<int64_t, int64_t>> SyncsOf(const std::string& syncs_topic) {
    std::vector<std::pair<int64_t, int64_t>> out;
    if (CountRecords(source(), {syncs_topic, 0}) == 0) return out;
    for (const Record& r : Read(source(), {syncs_topic, 0})) {
      if (!r.key || !r.value) continue;
      auto sync = tasks::OffsetSyncRecord::Decode(*r.key, *r.value);
      if (sync.ok() && sync->topic == orders_ && sync->partition == 0) {
        out.emplace_back(sync->upstream_offset, sync->downstream_offset);
      }
    }
    return out;
  }

  // Real clusters only: deletes `topic` (librdkafka's DeleteTopics; the Admin interface has none).
  void DeleteTopic(TestCluster& cluster, const std::string& topic) {
    auto client = kafka::NewClient(RD_KAFKA_PRODUCER, {{"bootstrap.servers", cluster.bootstrap_servers()}});
    ASSERT_TRUE(client.ok()) << client.error().ToString();
    rd_kafka_DeleteTopic_t* del = rd_kafka_DeleteTopic_new(topic.c_str());
    kafka::QueuePtr queue(rd_kafka_queue_new(client->get()));
    rd_kafka_DeleteTopics(client->get(), &del, 1, nullptr, queue.get());
    rd_kafka_DeleteTopic_destroy(del);
    kafka::EventPtr event(rd_kafka_queue_poll(queue.get(), 30000));
    ASSERT_TRUE(event) << "DeleteTopics timed out";
    ASSERT_EQ(rd_kafka_event_error(event.get()), RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_event_error_string(event.get());
    size_t n = 0;
    const rd_kafka_topic_result_t** results =
        rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(event.get()), &n);
    for (size_t i = 0; i < n; ++i) {
      ASSERT_EQ(rd_kafka_topic_result_error(results[i]), RD_KAFKA_RESP_ERR_NO_ERROR)
          << rd_kafka_topic_result_error_string(results[i]);
    }
  }

  // MirrorConfig(1) with the target alias `alias` (so a syncs topic of the test's own; empty: "B")
  // and the JSON members `extra` added.
  std::string MirrorConfigWith(const std::string& alias, const std::string& extra = "") {
    std::string config = MirrorConfig(1);
    const std::string b = "\"target.cluster.alias\":\"B\"";
    const size_t at = config.find(b);
    EXPECT_NE(at, std::string::npos) << config;
    if (!alias.empty() && at != std::string::npos) {
      config.replace(at, b.size(), "\"target.cluster.alias\":" + json::Quote(alias));
    }
    if (!extra.empty()) config.insert(config.rfind('}'), "," + extra);
    return config;
  }

  // The syncs of orders_-0 in `syncs_topic` (source), as written: where, what, and Ferry's headers.
  struct SyncRead {
    int64_t at = -1;  // offset in the syncs topic
    int64_t upstream = -1;
    int64_t downstream = -1;
    std::string writer;  // ferry.writer
    std::string lost;    // ferry.lost
    std::string topic_id;  // ferry.topic-id
  };
  std::vector<SyncRead> SyncRecordsOf(const std::string& syncs_topic) {
    std::vector<SyncRead> out;
    if (CountRecords(source(), {syncs_topic, 0}) == 0) return out;
    for (const Record& r : Read(source(), {syncs_topic, 0})) {
      if (!r.key || !r.value) continue;
      auto sync = tasks::OffsetSyncRecord::Decode(*r.key, *r.value);
      if (!sync.ok() || sync->topic != orders_ || sync->partition != 0) continue;
      SyncRead s{r.offset, sync->upstream_offset, sync->downstream_offset, "", "", ""};
      for (const auto& h : r.headers) {
        if (h.name == tasks::kWriterHeader) s.writer = h.value.value_or("");
        if (h.name == tasks::kLostHeader) s.lost = h.value.value_or("");
        if (h.name == tasks::kTopicIdHeader) s.topic_id = h.value.value_or("");
      }
      out.push_back(std::move(s));
    }
    return out;
  }

  // The source's topic ID of orders_ now (Ferry's own Metadata client); "" if it has none.
  std::string SourceTopicId() {
    auto ids = group::LookupTopicIds({{"bootstrap.servers", source().bootstrap_servers()}}, {orders_}, seconds(10));
    EXPECT_TRUE(ids.ok()) << ids.error().ToString();
    return ids.ok() && ids->count(orders_) ? ids->at(orders_) : "";
  }

  std::string Connector() const { return "/connectors/" + mirror_; }
  std::string GroupPath(const std::string& what) const { return "/ferry/groups/" + app_ + "/" + what; }

  const std::string app_;
  const std::string mirror_ = Name("mirror");
  const TopicPartition tp_{orders_, 0};
  const TopicPartition remote_{remote_orders_, 0};
  std::function<std::unique_ptr<kafka::Admin>(std::unique_ptr<kafka::Admin>)> wrap_target_;
};

using CutoverExactnessTest = OnPeers<CutoverExactnessFixture>;
INSTANTIATE_TEST_SUITE_P(RealKafka, CutoverExactnessTest, ::testing::Values(Peer::kRealKafka), PeerName);

TEST_P(CutoverExactnessTest, ASourceTopicMadeAgainBelowTheCopiedPointBlocksTheMove) {
  // Item 7. The mirror copied source offsets 0..99; the topic is deleted and made again and holds 30
  // new records at offsets 0..29, reusing offsets the map's answers belong to.
  Produce(source(), orders_, 0, Keyed("old", 0, 100));
  auto worker = StartMirroring(100);
  ASSERT_NE(worker, nullptr);
  ConsumeAndCommit(source().bootstrap_servers(), app_, tp_, 1);  // only so that the plan has a group
  WaitSyncedTo(*worker, 100);

  DeleteTopic(source(), orders_);
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_TRUE(WaitFor([&] { return source().CreateTopic(orders_, 1, KeepRecords()).ok(); }, seconds(30)))
      << "could not make " << orders_ << " again";
  Produce(source(), orders_, 0, Keyed("new", 0, 30));
  // Kafka dropped the group's offsets with the old topic: the application reads 20 new records.
  ASSERT_EQ(ConsumeAndCommit(source().bootstrap_servers(), app_, tp_, 20).size(), 20u);
  ASSERT_EQ(OffsetsOn(source(), tp_).at(tp_).offset, 20);

  // The truth: no new source record has a copy on the target, and the target offset the old map
  // would give for 20 (a delta of 0) holds the OLD record 20.
  const std::vector<Record> src = Read(source(), tp_);
  const std::vector<Record> tgt = Read(target(), remote_);
  ASSERT_EQ(src.size(), 30u);
  ASSERT_EQ(tgt.size(), 100u);
  const auto copies = CopiesOf(src, tgt);
  EXPECT_TRUE(copies.empty()) << "new records were copied";
  EXPECT_EQ(*tgt[20].key, "old-20");
  EXPECT_EQ(*src[20].key, "new-20");

  HttpReply plan = Http(worker->port(), "GET", GroupPath("plan"));
  ASSERT_EQ(plan.status, 200) << plan.body;
  EXPECT_FALSE(plan.Json()["ready"].GetBool()) << plan.body;
  const std::string reason = orders_ + "-0: the source partition ends at 30, below the offset 100 the mirror copied "
                             "up to: its offsets were reused (topic re-created or log truncated)";
  EXPECT_NE(plan.body.find(reason), std::string::npos) << plan.body;
  auto p = Partition(plan);
  ASSERT_TRUE(p) << plan.body;
  EXPECT_EQ((*p)["source_end"].GetInt64(), 30) << plan.body;
  EXPECT_EQ((*p)["replicated_to"].GetInt64(), 100) << plan.body;

  const auto started = Clock::now();
  HttpReply refused = Http(worker->port(), "POST", GroupPath("cutover?wait_ms=5000"));
  const int64_t took = MsSince(started);
  EXPECT_EQ(refused.status, 409) << refused.body;
  EXPECT_NE(refused.body.find(reason), std::string::npos) << refused.body;
  EXPECT_TRUE(OffsetsOn(target(), remote_).empty()) << "a refused move writes nothing";
  std::cout << "[ measure  ] reused offsets: the move with wait_ms=5000 refused after " << took << " ms; task "
            << Http(worker->port(), "GET", Connector() + "/status").body << std::endl;
}

TEST_P(CutoverExactnessTest, ASourceTopicMadeAgainAndRefilledPastTheCopiedPointIsToldByItsTopicId) {
  // Item 7, past the old end. The mirror copied source offsets 0..99 and its syncs name the topic's
  // ID; paused, the topic is deleted and made again and refilled with 130 new records at 0..129:
  // the source now ends past the copied-up-to point, so only the topic ID tells that the map's
  // answers belong to the old records. Resumed, the task learns the new ID, resumes at its stored
  // position 100 and copies the new 100..129: the map drops the old topic's history.
  Produce(source(), orders_, 0, Keyed("old", 0, 100));
  auto worker = StartMirroring(100);
  ASSERT_NE(worker, nullptr);
  const int port = worker->port();
  ConsumeAndCommit(source().bootstrap_servers(), app_, tp_, 1);  // only so that the plan has a group
  WaitSyncedTo(*worker, 100);
  ASSERT_TRUE(WaitFor([&] { return StoredOffset(*worker) == 99; }, seconds(30))) << "0..99 not stored";
  const std::string old_id = SourceTopicId();
  ASSERT_FALSE(old_id.empty());
  const auto old_syncs = SyncRecordsOf("mm2-offset-syncs.B.internal");
  ASSERT_FALSE(old_syncs.empty());
  for (const SyncRead& sync : old_syncs) EXPECT_EQ(sync.topic_id, old_id) << "the sync at " << sync.at;

  ASSERT_EQ(Http(port, "PUT", Connector() + "/pause").status, 202);
  ASSERT_TRUE(WaitForConnectorStatus(port, mirror_, "PAUSED", 1, "PAUSED"));
  DeleteTopic(source(), orders_);
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_TRUE(WaitFor([&] { return source().CreateTopic(orders_, 1, KeepRecords()).ok(); }, seconds(30)))
      << "could not make " << orders_ << " again";
  Produce(source(), orders_, 0, Keyed("new", 0, 130));
  const std::string new_id = SourceTopicId();
  ASSERT_FALSE(new_id.empty());
  ASSERT_NE(new_id, old_id);
  // Kafka dropped the group's offsets with the old topic: the application reads 50 new records.
  ASSERT_EQ(ConsumeAndCommit(source().bootstrap_servers(), app_, tp_, 50).size(), 50u);
  ASSERT_EQ(OffsetsOn(source(), tp_).at(tp_).offset, 50);

  // The truth: no new record has a copy; the target offset the old map gives for 50 (a delta of 0)
  // holds the OLD record 50.
  std::vector<Record> src = Read(source(), tp_);
  std::vector<Record> tgt = Read(target(), remote_);
  ASSERT_EQ(src.size(), 130u);
  ASSERT_EQ(tgt.size(), 100u);
  EXPECT_TRUE(CopiesOf(src, tgt).empty()) << "new records were copied";
  EXPECT_EQ(*tgt[50].key, "old-50");
  EXPECT_EQ(*src[50].key, "new-50");

  const std::string reason = orders_ + "-0: source topic " + orders_ + " was deleted and re-created: its topic ID is now " +
                             new_id + ", the offset syncs up to offset 100 are of topic ID " + old_id +
                             ": the copies on the target are of the old topic's records, whose offsets the new topic "
                             "reuses, and cannot be translated";
  HttpReply plan = Http(port, "GET", GroupPath("plan"));
  ASSERT_EQ(plan.status, 200) << plan.body;
  EXPECT_FALSE(plan.Json()["ready"].GetBool()) << plan.body;
  EXPECT_NE(plan.body.find(reason), std::string::npos) << plan.body;
  auto p = Partition(plan);
  ASSERT_TRUE(p) << plan.body;
  EXPECT_EQ((*p)["source_end"].GetInt64(), 130) << "past the copied point: the offsets alone do not tell";
  EXPECT_EQ((*p)["replicated_to"].GetInt64(), 100) << plan.body;
  EXPECT_FALSE(p->HasMember("translated") && (*p)["translated"].IsInt64()) << plan.body;
  // The task is paused too, which a wait would clear; the re-created topic no wait clears.
  const auto started = Clock::now();
  HttpReply refused = Http(port, "POST", GroupPath("cutover?wait_ms=5000"));
  const int64_t took = MsSince(started);
  EXPECT_EQ(refused.status, 409) << refused.body;
  EXPECT_NE(refused.body.find(reason), std::string::npos) << refused.body;
  EXPECT_LT(took, 4000) << "the move waited for what no wait brings back";
  EXPECT_TRUE(OffsetsOn(target(), remote_).empty()) << "a refused move writes nothing";

  // Resumed: the task resumes at 100 on the new topic and syncs its new ID.
  ASSERT_EQ(Http(port, "PUT", Connector() + "/resume").status, 202);
  ASSERT_TRUE(WaitFor([&] { return Read(target(), remote_).size() == 130u; }, seconds(60)))
      << "the target holds " << Read(target(), remote_).size() << " records, not 130";
  WaitSyncedTo(*worker, 130);
  bool new_synced = false;
  for (const SyncRead& sync : SyncRecordsOf("mm2-offset-syncs.B.internal")) {
    if (sync.upstream >= 100 && sync.at > old_syncs.back().at) {
      EXPECT_EQ(sync.topic_id, new_id) << "the sync at " << sync.at;
      new_synced = true;
    }
  }
  EXPECT_TRUE(new_synced) << "no sync of the resumed task";
  src = Read(source(), tp_);
  tgt = Read(target(), remote_);
  const auto copies = CopiesOf(src, tgt);
  ASSERT_EQ(copies.size(), 30u) << "the new 100..129, once each";
  EXPECT_EQ(copies.count(50), 0u);
  ASSERT_EQ(copies.at(110), std::vector<int64_t>{110});

  // A group at 50: its records were never copied (the task resumed at 100), and the old copies no
  // longer answer: refused, not "exact" at the old record.
  plan = Http(port, "GET", GroupPath("plan"));
  ASSERT_EQ(plan.status, 200) << plan.body;
  EXPECT_FALSE(plan.Json()["ready"].GetBool()) << plan.body;
  EXPECT_NE(plan.body.find("records from offset 50 on were never mirrored (the mirror's first copy is offset 100)"),
            std::string::npos) << plan.body;
  EXPECT_EQ(plan.body.find("re-created"), std::string::npos) << plan.body;
  // A group at 110 moves exactly to the copy of the new record 110.
  ASSERT_EQ(ConsumeAndCommit(source().bootstrap_servers(), app_, tp_, 60).size(), 60u);
  plan = Http(port, "GET", GroupPath("plan"));
  ASSERT_EQ(plan.status, 200) << plan.body;
  EXPECT_TRUE(plan.Json()["ready"].GetBool()) << plan.body;
  p = Partition(plan);
  ASSERT_TRUE(p) << plan.body;
  EXPECT_EQ((*p)["translated"].GetInt64(), 110) << plan.body;
  EXPECT_EQ(std::string((*p)["translation"].GetString()), "exact") << plan.body;
  std::cout << "[ measure  ] re-created topic refilled past the old end (IDs " << old_id << " -> " << new_id
            << "): the move with wait_ms=5000 refused after " << took << " ms" << std::endl;
}

TEST_P(CutoverExactnessTest, RecordsDeletedOnTheTargetBelowTheTranslationBlockTheMoveAndNoWaitClearsIt) {
  // Item 8. The target held 10 records of its own first (a delta of 10); source 40 is copied at 50,
  // and DeleteRecords moves the target's log start to 60.
  Produce(target(), remote_orders_, 0, Keyed("other", 0, 10));
  Produce(source(), orders_, 0, Keyed("src", 0, 100));
  auto worker = StartMirroring(110);
  ASSERT_NE(worker, nullptr);
  ASSERT_EQ(ConsumeAndCommit(source().bootstrap_servers(), app_, tp_, 40).size(), 40u);
  WaitSyncedTo(*worker, 100);

  const auto copies = CopiesOf(Read(source(), tp_), Read(target(), remote_));
  ASSERT_EQ(copies.at(40), std::vector<int64_t>{50}) << "the truth: source 40 is copied at 50 only";
  HttpReply before = Http(worker->port(), "GET", GroupPath("plan"));
  ASSERT_EQ(before.status, 200) << before.body;
  EXPECT_TRUE(before.Json()["ready"].GetBool()) << before.body;
  EXPECT_EQ((*Partition(before))["translated"].GetInt64(), 50) << before.body;

  ASSERT_TRUE(target().DeleteRecordsBefore(remote_, 60).ok());
  const std::vector<Record> tgt = Read(target(), remote_);
  ASSERT_FALSE(tgt.empty());
  EXPECT_EQ(tgt.front().offset, 60) << "the truth: the copy of source 40 is gone";

  HttpReply plan = Http(worker->port(), "GET", GroupPath("plan"));
  ASSERT_EQ(plan.status, 200) << plan.body;
  EXPECT_FALSE(plan.Json()["ready"].GetBool()) << plan.body;
  const std::string reason = orders_ + "-0: the translated offset 50 is below the log start 60 of " + remote_orders_ +
                             "-0: the records from there on were deleted";
  EXPECT_NE(plan.body.find(reason), std::string::npos) << plan.body;

  // No wait clears it: a move given 20 s is refused at once.
  const auto started = Clock::now();
  HttpReply refused = Http(worker->port(), "POST", GroupPath("cutover?wait_ms=20000"));
  const int64_t took = MsSince(started);
  EXPECT_EQ(refused.status, 409) << refused.body;
  EXPECT_NE(refused.body.find(reason), std::string::npos) << refused.body;
  EXPECT_LT(took, 10000) << "the move waited for what no wait brings back";
  EXPECT_TRUE(OffsetsOn(target(), remote_).empty()) << "a refused move writes nothing";
  EXPECT_EQ(Position(*worker), "source");
  std::cout << "[ measure  ] deleted destination records: refused after " << took << " ms" << std::endl;
}

TEST_P(CutoverExactnessTest, RollbackOverAStretchCopiedTwiceIsApproximateAndReadsAgainWhatItSays) {
  // Item 9. The mirror copies source 0..99 to target 0..99, is stopped, its stored position moved
  // back to 49 (KIP-875), and resumed: it copies 50..99 again, to target 100..149. A group that read
  // target 0..79 on the target (old copies of 50..79 among them) is rolled back.
  Produce(source(), orders_, 0, Keyed("src", 0, 100));
  auto worker = StartMirroring(100);
  ASSERT_NE(worker, nullptr);
  const int port = worker->port();
  ASSERT_EQ(Http(port, "PUT", Connector() + "/stop").status, 204);
  ASSERT_TRUE(WaitForConnectorStatus(port, mirror_, "STOPPED", 0, ""));
  HttpReply altered = Http(port, "PATCH", Connector() + "/offsets",
                           "{\"offsets\":[{\"partition\":" + tasks::MirrorSourcePartitionJson("A", tp_) +
                               ",\"offset\":{\"offset\":49}}]}");
  ASSERT_EQ(altered.status, 200) << altered.body;
  ASSERT_EQ(Http(port, "PUT", Connector() + "/resume").status, 202);
  ASSERT_TRUE(WaitForConnectorStatus(port, mirror_, "RUNNING", 1, "RUNNING"));
  ASSERT_TRUE(WaitFor([&] { return Read(target(), remote_).size() == 150u; }, seconds(60)))
      << Read(target(), remote_).size() << " records on the target";

  // The truth from both logs: 0..49 copied once, 50..99 twice (old at 50..99, newest at 100..149).
  const std::vector<Record> src = Read(source(), tp_);
  const std::vector<Record> tgt = Read(target(), remote_);
  const auto copies = CopiesOf(src, tgt);
  for (const Record& s : src) {
    const std::vector<int64_t> expected =
        s.offset < 50 ? std::vector<int64_t>{s.offset} : std::vector<int64_t>{s.offset, s.offset + 50};
    ASSERT_EQ(copies.count(s.offset) ? copies.at(s.offset) : std::vector<int64_t>{}, expected)
        << "copies of source " << s.offset;
  }

  // The application reads target 0..79 and commits 80 there; it never committed on the source.
  std::vector<Record> on_target = ConsumeAndCommit(target().bootstrap_servers(), app_, remote_, 80);
  ASSERT_EQ(on_target.size(), 80u);
  ASSERT_EQ(OffsetsOn(target(), remote_).at(remote_).offset, 80);
  // What it read, as source offsets (by content): 0..79.
  std::vector<int64_t> read_sources;
  for (const Record& r : on_target) {
    for (const Record& s : src) {
      if (s.SameContent(r)) read_sources.push_back(s.offset);
    }
  }
  ASSERT_EQ(read_sources.size(), 80u);
  for (int64_t i = 0; i < 80; ++i) ASSERT_EQ(read_sources[static_cast<size_t>(i)], i);

  // The map shows the re-copy once the restarted task's syncs are written: the first of its run
  // (50 -> 100) at once, the last copied record (99 -> 149) at its next offset flush. Until then the
  // map cannot know of the re-copy (docs/cutover.md, "Not checked yet").
  ASSERT_TRUE(WaitFor([&] {
    bool first = false, last = false;
    for (const auto& [up, down] : SyncsOf("mm2-offset-syncs.B.internal")) {
      first |= up == 50 && down == 100;
      last |= up == 99 && down == 149;
    }
    return first && last;
  }, seconds(30))) << "the restarted task's syncs were not written";
  HttpReply plan = Http(port, "GET", GroupPath("plan?direction=rollback"));
  ASSERT_EQ(plan.status, 200) << plan.body;
  auto p = Partition(plan);
  ASSERT_TRUE(p) << plan.body;
  EXPECT_EQ((*p)["committed"].GetInt64(), 80) << plan.body;
  EXPECT_EQ((*p)["translated"].GetInt64(), 50) << "the first re-copied record: " << plan.body;
  EXPECT_EQ(std::string((*p)["translation"].GetString()), "approximate") << plan.body;
  ASSERT_TRUE(p->HasMember("note") && (*p)["note"].IsString()) << plan.body;
  const std::string note = (*p)["note"].GetString();
  EXPECT_NE(note.find("it reads their sources again from 50"), std::string::npos) << note;
  EXPECT_NE(plan.body.find(remote_orders_ + "-0: the translation is approximate (records read again): allow it "
                                            "explicitly"),
            std::string::npos)
      << plan.body;

  HttpReply refused = Http(port, "POST", GroupPath("rollback?wait_ms=0"));
  EXPECT_EQ(refused.status, 409) << refused.body;
  EXPECT_FALSE(OffsetsOn(source(), tp_).count(tp_)) << "a refused move writes nothing";

  HttpReply moved = Http(port, "POST", GroupPath("rollback?allow_approximate=true&wait_ms=30000"));
  ASSERT_EQ(moved.status, 200) << moved.body;
  EXPECT_EQ(Outcome(moved), "moved") << moved.body;
  EXPECT_EQ(OffsetsOn(source(), tp_).at(tp_).offset, 50);
  EXPECT_EQ(Position(*worker), "source");

  // Back on the source, the application reads 50..99: nothing skipped, and read twice exactly the
  // records the note names, from 50 up to the last one it read on the target (79).
  std::vector<Record> on_source = ConsumeAndCommit(source().bootstrap_servers(), app_, tp_, 1000);
  ASSERT_EQ(on_source.size(), 50u);
  std::map<int64_t, int> times_read;
  for (int64_t s : read_sources) ++times_read[s];
  for (const Record& r : on_source) ++times_read[r.offset];
  std::vector<int64_t> twice;
  for (const Record& s : src) {
    ASSERT_GE(times_read[s.offset], 1) << "source " << s.offset << " skipped";
    if (times_read[s.offset] == 2) twice.push_back(s.offset);
  }
  ASSERT_EQ(twice.size(), 30u);
  EXPECT_EQ(twice.front(), 50);
  EXPECT_EQ(twice.back(), 79);
  std::cout << "[ measure  ] rollback over a re-copied stretch: target 80 -> source 50 (approximate); read twice: "
            << twice.front() << ".." << twice.back() << "; note: " << note << std::endl;
}

TEST_P(CutoverExactnessTest, AConsumerCommittingOnTheSourceBetweenPlanAndCommitUndoesTheMove) {
  // Item 10a. The group committed 40 on the source; while the move commits, a real consumer of the
  // group reads 10 more on the source and commits 50 there. The move must be undone, not leave the
  // group at the copy of 40 on the target (it would read 40..49 twice).
  Produce(target(), remote_orders_, 0, Keyed("other", 0, 10));  // a delta of 10
  Produce(source(), orders_, 0, Keyed("src", 0, 100));
  std::atomic<int> read_meanwhile{-1};
  const std::string source_bootstrap = source().bootstrap_servers();
  wrap_target_ = [&, source_bootstrap](std::unique_ptr<kafka::Admin> admin) {
    return std::unique_ptr<kafka::Admin>(std::make_unique<BeforeCommitAdmin>(std::move(admin), [&, source_bootstrap] {
      read_meanwhile = static_cast<int>(ConsumeAndCommit(source_bootstrap, app_, tp_, 10).size());
    }));
  };
  auto worker = StartMirroring(110);
  ASSERT_NE(worker, nullptr);
  std::vector<Record> read = ConsumeAndCommit(source().bootstrap_servers(), app_, tp_, 40);
  ASSERT_EQ(read.size(), 40u);
  WaitSyncedTo(*worker, 100);

  HttpReply failed = Http(worker->port(), "POST", GroupPath("cutover?wait_ms=30000"));
  EXPECT_EQ(read_meanwhile.load(), 10) << "the consumer did not run between plan and commit";
  EXPECT_EQ(failed.status, 500) << failed.body;
  EXPECT_EQ(Outcome(failed), "failed") << failed.body;
  EXPECT_NE(failed.body.find("the group committed " + orders_ + "-0@50 on cluster A after the plan read " + orders_ +
                             "-0@40: a consumer ran there meanwhile"),
            std::string::npos)
      << failed.body;
  EXPECT_NE(failed.body.find("\"restored\":true"), std::string::npos) << failed.body;
  // The truth: the group is at 50 on the source, and has nothing on the target (the offset written
  // where it had none was deleted).
  EXPECT_EQ(OffsetsOn(source(), tp_).at(tp_).offset, 50);
  EXPECT_TRUE(OffsetsOn(target(), remote_).empty()) << "the move was not undone";
  EXPECT_EQ(Position(*worker), "source");

  // Moved again, it lands on the copy of 50 (60 by both logs), and the group reads everything once.
  const auto copies = CopiesOf(Read(source(), tp_), Read(target(), remote_));
  ASSERT_EQ(copies.at(50), std::vector<int64_t>{60});
  HttpReply moved = Http(worker->port(), "POST", GroupPath("cutover?wait_ms=30000"));
  ASSERT_EQ(moved.status, 200) << moved.body;
  EXPECT_EQ(OffsetsOn(target(), remote_).at(remote_).offset, 60);
  for (int64_t i = 40; i < 50; ++i) read.push_back(Keyed("src", i, 1)[0]);  // what the consumer meanwhile read
  for (Record& r : ConsumeAndCommit(target().bootstrap_servers(), app_, remote_, 1000)) read.push_back(std::move(r));
  ASSERT_EQ(read.size(), 100u);
  for (size_t i = 0; i < read.size(); ++i) ASSERT_EQ(*read[i].key, "src-" + std::to_string(i));
}

TEST_P(CutoverExactnessTest, APausedMirrorTaskBlocksTheMoveUntilItRuns) {
  // Item 6. The connector is paused: its task is PAUSED, so the move waits; resumed, it moves to the
  // copy the logs show.
  Produce(target(), remote_orders_, 0, Keyed("other", 0, 10));  // a delta of 10
  Produce(source(), orders_, 0, Keyed("src", 0, 100));
  auto worker = StartMirroring(110);
  ASSERT_NE(worker, nullptr);
  const int port = worker->port();
  std::vector<Record> read = ConsumeAndCommit(source().bootstrap_servers(), app_, tp_, 40);
  ASSERT_EQ(read.size(), 40u);
  WaitSyncedTo(*worker, 100);

  ASSERT_EQ(Http(port, "PUT", Connector() + "/pause").status, 202);
  ASSERT_TRUE(WaitForConnectorStatus(port, mirror_, "PAUSED", 1, "PAUSED"));
  Produce(source(), orders_, 0, Keyed("src", 100, 20));  // not copied while paused

  const std::string reason = orders_ + "-0: the mirror's task copying " + orders_ +
                             "-0 is PAUSED: when it runs again it may copy records again past the translated offset; "
                             "move once it runs";
  HttpReply plan = Http(port, "GET", GroupPath("plan"));
  ASSERT_EQ(plan.status, 200) << plan.body;
  EXPECT_FALSE(plan.Json()["ready"].GetBool()) << plan.body;
  EXPECT_NE(plan.body.find(reason), std::string::npos) << plan.body;
  EXPECT_EQ((*Partition(plan))["translated"].GetInt64(), 50) << plan.body;
  HttpReply refused = Http(port, "POST", GroupPath("cutover"));
  EXPECT_EQ(refused.status, 409) << refused.body;
  EXPECT_NE(refused.body.find(reason), std::string::npos) << refused.body;
  EXPECT_TRUE(OffsetsOn(target(), remote_).empty()) << "a refused move writes nothing";

  // A move that waits: the connector is resumed 2 s into it.
  std::thread resume([&] {
    std::this_thread::sleep_for(seconds(2));
    EXPECT_EQ(Http(port, "PUT", Connector() + "/resume").status, 202);
  });
  const auto started = Clock::now();
  HttpReply moved = Http(port, "POST", GroupPath("cutover?wait_ms=30000"));
  const int64_t took = MsSince(started);
  resume.join();
  ASSERT_EQ(moved.status, 200) << moved.body;
  EXPECT_EQ(Outcome(moved), "moved") << moved.body;
  EXPECT_GE(took, 2000) << "moved before the task ran";

  ASSERT_TRUE(WaitFor([&] { return Read(target(), remote_).size() == 130u; }, seconds(60)));
  const auto copies = CopiesOf(Read(source(), tp_), Read(target(), remote_));
  ASSERT_EQ(copies.at(40), std::vector<int64_t>{50}) << "the truth: source 40 is copied at 50 only";
  EXPECT_EQ(OffsetsOn(target(), remote_).at(remote_).offset, 50);
  for (Record& r : ConsumeAndCommit(target().bootstrap_servers(), app_, remote_, 1000)) read.push_back(std::move(r));
  ASSERT_EQ(read.size(), 120u);
  for (size_t i = 0; i < read.size(); ++i) ASSERT_EQ(*read[i].key, "src-" + std::to_string(i));
  std::cout << "[ measure  ] paused task: the move waited " << took << " ms (resumed after 2000 ms)" << std::endl;
}

// Found by this test on Kafka 4.1 (issue #21, item 2): when the sync of the last copied record
// failed (MESSAGE_TOO_LARGE), MirrorSourceTask::Commit failed the task, but the worker's next offset
// commit found nothing left to write (the writer counts a sync as written once queued), Flush()
// succeeded, and the position of those unsynced copies was stored: stored 149, last sync 99. The
// restarted task resumed at 150, and a group at 120 was planned "exact" at 150, 30 records skipped.
// A task whose sync was lost now stores no later position.
TEST_P(CutoverExactnessTest, SyncsThatCannotBeWrittenFailTheTaskAndNoStoredPositionOutrunsThem) {
  // Item 2. The mirror's offset-syncs topic (of its own: a target alias of its own) is made to
  // refuse every record (max.message.bytes=1, MESSAGE_TOO_LARGE) after the first 100 records are
  // copied and synced; 50 more are written. The task may copy them, but its syncs fail: the task
  // must fail, and the stored position must not pass the last record the syncs topic shows.
  const std::string alias = Name("B");
  const std::string syncs_topic = "mm2-offset-syncs." + alias + ".internal";
  std::string config = MirrorConfig(1);
  const std::string b = "\"target.cluster.alias\":\"B\"";
  ASSERT_NE(config.find(b), std::string::npos);
  config.replace(config.find(b), b.size(), "\"target.cluster.alias\":" + json::Quote(alias));
  Produce(source(), orders_, 0, Keyed("src", 0, 100));
  auto worker = StartMirroring(100, config);
  ASSERT_NE(worker, nullptr);
  const int port = worker->port();
  ASSERT_TRUE(WaitFor([&] {
    auto syncs = SyncsOf(syncs_topic);
    return !syncs.empty() && syncs.back().first == 99 && StoredOffset(*worker) == 99;
  }, seconds(30))) << "the first 100 records were not synced and stored";

  auto refuse = source().admin().AlterTopicConfigs({{syncs_topic, {{"max.message.bytes", "1"}}}});
  ASSERT_TRUE(refuse.ok()) << refuse.error().ToString();
  ASSERT_TRUE(refuse->at(syncs_topic).ok()) << refuse->at(syncs_topic).error().ToString();
  std::this_thread::sleep_for(seconds(1));  // the broker applies the config
  // One committed transaction: source 100..149, its commit marker at 150.
  ProduceTransactions(source(), tp_, {{Keyed("src", 100, 50), true}});
  ASSERT_FALSE(HasFatalFailure());

  std::string status;
  const bool failed = WaitFor([&] {
    status = Http(port, "GET", Connector() + "/status").body;
    return status.find("FAILED") != std::string::npos;
  }, seconds(30));
  EXPECT_TRUE(failed) << "the task did not fail: " << status;
  std::this_thread::sleep_for(seconds(2));  // any offset flush that would store a position runs

  // The truth: what the syncs topic shows, what was copied, what is stored.
  int64_t last_synced = -1;
  for (const auto& s : SyncsOf(syncs_topic)) last_synced = std::max(last_synced, s.first);
  const std::optional<int64_t> stored = StoredOffset(*worker);
  const size_t copied = Read(target(), remote_).size();
  ASSERT_TRUE(stored.has_value());
  std::cout << "[ measure  ] unwritable syncs: target holds " << copied << " records, last sync of source "
            << last_synced << ", stored position " << *stored << "; status " << status << std::endl;
  EXPECT_LE(*stored, last_synced) << "a stored position outran the syncs: a restart resumes past copies the map "
                                     "cannot see";

  // What that costs: the syncs topic writable again, the task restarted (from 150, the marker), 10
  // more records (151..160) copied at 150..159: a new offset delta, so a new run whose first sync
  // says the last one ended at its last sync (99). A group committed at 120 on the source must
  // resume at the copy of 120, or be refused.
  auto writable = source().admin().AlterTopicConfigs({{syncs_topic, {{"max.message.bytes", "1048588"}}}});
  ASSERT_TRUE(writable.ok() && writable->at(syncs_topic).ok());
  std::this_thread::sleep_for(seconds(1));
  ASSERT_EQ(Http(port, "POST", Connector() + "/tasks/0/restart").status, 204);
  ASSERT_TRUE(WaitForConnectorStatus(port, mirror_, "RUNNING", 1, "RUNNING"));
  Produce(source(), orders_, 0, Keyed("src", 150, 10));
  ASSERT_TRUE(WaitFor([&] { return Read(target(), remote_).size() >= 160u; }, seconds(60)));
  ASSERT_EQ(ConsumeAndCommit(source().bootstrap_servers(), app_, tp_, 120).size(), 120u);
  ASSERT_TRUE(WaitFor([&] {
    for (const auto& s : SyncsOf(syncs_topic)) {
      if (s.first >= 150) return true;
    }
    return false;
  }, seconds(30))) << "the restarted task wrote no sync";
  const auto copies = CopiesOf(Read(source(), tp_), Read(target(), remote_));
  ASSERT_TRUE(copies.count(120));
  const int64_t truth = copies.at(120).back();
  HttpReply plan = Http(port, "GET", GroupPath("plan"));
  ASSERT_EQ(plan.status, 200) << plan.body;
  auto p = Partition(plan);
  ASSERT_TRUE(p) << plan.body;
  std::cout << "[ measure  ] after the restart: source 120 is copied at " << truth << "; the plan: " << plan.body
            << std::endl;
  if (plan.Json()["ready"].GetBool()) {
    EXPECT_EQ((*p)["translated"].GetInt64(), truth) << "the group would skip or re-read records: " << plan.body;
  }
}


TEST_P(CutoverExactnessTest, TwoWorkersCopyingOnePartitionAtOnceRefuseTheStretchBothCopied) {
  // Item 3, with two real writers, not a replayed sync: a second worker, of a Connect cluster of its
  // own (its own group, config and status topics) but sharing the first one's offset storage topic,
  // is given the same connector: its task resumes at the stored position (100) while the first
  // worker's task still runs, as a worker cut off from its group would. Both copy 100..149, each
  // writing its syncs (ferry.writer says which). A group below the second writer's start is still
  // exact; a group in the stretch both copied is refused, allow_approximate or not. Then the second
  // worker stops and the first one's task restarts (a third writer, from 150): a group past that
  // restart point translates exactly again.
  const std::string alias = Name("B");
  const std::string syncs_topic = "mm2-offset-syncs." + alias + ".internal";
  const std::string config = MirrorConfigWith(alias);
  Produce(target(), remote_orders_, 0, Keyed("other", 0, 10));  // a delta of 10
  Produce(source(), orders_, 0, Keyed("src", 0, 100));
  auto worker = StartMirroring(110, config);
  ASSERT_NE(worker, nullptr);
  const int port = worker->port();
  ASSERT_TRUE(WaitFor([&] { return StoredOffset(*worker) == 99; }, seconds(30))) << "0..99 not stored";
  const auto first_syncs = SyncRecordsOf(syncs_topic);
  ASSERT_FALSE(first_syncs.empty());
  const std::string first_writer = first_syncs.front().writer;
  ASSERT_FALSE(first_writer.empty()) << "a Ferry sync without " << tasks::kWriterHeader;

  Properties props = worker_props_;
  const std::string prefix = Name("w2");
  props["group.id"] = prefix + "-cluster";
  props["config.storage.topic"] = prefix + "-configs";
  props["status.storage.topic"] = prefix + "-status";  // offset.storage.topic: the first worker's
  auto second = InProcessWorker::Start(props, Clients());
  ASSERT_NE(second, nullptr);
  HttpReply put = Http(second->port(), "PUT", Connector() + "/config", config);
  ASSERT_EQ(put.status, 201) << put.body;
  ASSERT_TRUE(WaitForConnectorStatus(second->port(), mirror_, "RUNNING", 1, "RUNNING"));
  ASSERT_TRUE(WaitForConnectorStatus(port, mirror_, "RUNNING", 1, "RUNNING"));

  // 100..149 in five batches, 0.7 s apart: both tasks copy each, and sync it at their offset flushes
  // (every 0.5 s), so their syncs interleave in the syncs topic.
  for (int64_t b = 0; b < 5; ++b) {
    Produce(source(), orders_, 0, Keyed("src", 100 + 10 * b, 10));
    std::this_thread::sleep_for(milliseconds(700));
  }
  ASSERT_TRUE(WaitFor([&] { return Read(target(), remote_).size() == 210u; }, seconds(60)))
      << "the target holds " << Read(target(), remote_).size() << " records, not 110 + 2 x 50";
  // The syncs topic shows the takeover, and a sync of the first writer after it.
  std::string second_writer;
  int64_t takeover = -1;
  std::vector<SyncRead> syncs;
  ASSERT_TRUE(WaitFor([&] {
    syncs = SyncRecordsOf(syncs_topic);
    second_writer.clear();
    for (const SyncRead& s : syncs) {
      if (second_writer.empty() && s.writer != first_writer) {
        second_writer = s.writer;
        takeover = s.upstream;
      } else if (!second_writer.empty() && s.writer == first_writer) {
        return true;
      }
    }
    std::this_thread::sleep_for(milliseconds(100));
    return false;
  }, seconds(30))) << "no sync of the first writer after the second one's first";
  std::string written;
  for (const SyncRead& s : syncs) {
    written += " " + std::to_string(s.upstream) + "->" + std::to_string(s.downstream) + "(" +
               (s.writer == first_writer ? "1" : s.writer == second_writer ? "2" : "?") + ")";
  }

  // The truth from both logs: source 0..99 copied once (at 10..109); from the takeover on, twice.
  const auto copies = CopiesOf(Read(source(), tp_), Read(target(), remote_));
  ASSERT_GE(takeover, 100) << written;
  ASSERT_LE(takeover, 110) << "the second task started late: " << written;
  for (int64_t s = 0; s < 150; ++s) {
    ASSERT_TRUE(copies.count(s)) << "source " << s << " not copied";
    ASSERT_EQ(copies.at(s).size(), s < takeover ? 1u : 2u) << "copies of source " << s << ":" << written;
  }
  ASSERT_EQ(copies.at(50), std::vector<int64_t>{60});

  // A group at 50, below the takeover: exact, at the only copy of 50.
  ASSERT_EQ(ConsumeAndCommit(source().bootstrap_servers(), app_, tp_, 50).size(), 50u);
  HttpReply plan = Http(port, "GET", GroupPath("plan"));
  ASSERT_EQ(plan.status, 200) << plan.body;
  auto p = Partition(plan);
  ASSERT_TRUE(p) << plan.body;
  EXPECT_TRUE(plan.Json()["ready"].GetBool()) << plan.body;
  EXPECT_EQ((*p)["translated"].GetInt64(), 60) << plan.body;
  EXPECT_EQ(std::string((*p)["translation"].GetString()), "exact") << plan.body;

  // A group at 120, in the stretch both copied: refused, whatever allow_approximate says.
  ASSERT_EQ(ConsumeAndCommit(source().bootstrap_servers(), app_, tp_, 70).size(), 70u);
  ASSERT_EQ(OffsetsOn(source(), tp_).at(tp_).offset, 120);
  const std::string reason = orders_ + "-0: two writers copied this partition at once from source offset " +
                             std::to_string(takeover);
  for (const char* query : {"plan", "plan?allow_approximate=true"}) {
    plan = Http(port, "GET", GroupPath(query));
    ASSERT_EQ(plan.status, 200) << plan.body;
    EXPECT_FALSE(plan.Json()["ready"].GetBool()) << query << ": " << plan.body;
    EXPECT_NE(plan.body.find(reason), std::string::npos) << query << ": " << plan.body << "\nsyncs:" << written;
  }
  HttpReply refused = Http(port, "POST", GroupPath("cutover?allow_approximate=true&wait_ms=0"));
  EXPECT_EQ(refused.status, 409) << refused.body;
  EXPECT_TRUE(OffsetsOn(target(), remote_).empty()) << "a refused move writes nothing";
  std::cout << "[ measure  ] two writers: takeover at source " << takeover << "; syncs (upstream->downstream(writer)):"
            << written << std::endl;

  // The extra writer stops; the first worker's task restarts (a new writer, from 150). A group at
  // 155 translates exactly again; the stretch both copied stays refused.
  second.reset();  // stops it
  ASSERT_EQ(Http(port, "POST", Connector() + "/tasks/0/restart").status, 204);
  ASSERT_TRUE(WaitForConnectorStatus(port, mirror_, "RUNNING", 1, "RUNNING"));
  Produce(source(), orders_, 0, Keyed("src", 150, 10));
  ASSERT_TRUE(WaitFor([&] { return Read(target(), remote_).size() == 220u; }, seconds(60)))
      << "the target holds " << Read(target(), remote_).size() << " records, not 220";
  WaitSyncedTo(*worker, 160);
  ASSERT_FALSE(HasFatalFailure());
  const auto after = CopiesOf(Read(source(), tp_), Read(target(), remote_));
  ASSERT_EQ(after.at(155), std::vector<int64_t>{215}) << "the truth: source 155 is copied once, at 215";
  ASSERT_EQ(ConsumeAndCommit(source().bootstrap_servers(), app_, tp_, 35).size(), 35u);
  ASSERT_EQ(OffsetsOn(source(), tp_).at(tp_).offset, 155);
  plan = Http(port, "GET", GroupPath("plan"));
  ASSERT_EQ(plan.status, 200) << plan.body;
  p = Partition(plan);
  ASSERT_TRUE(p) << plan.body;
  EXPECT_TRUE(plan.Json()["ready"].GetBool()) << plan.body;
  EXPECT_EQ((*p)["translated"].GetInt64(), 215) << plan.body;
  EXPECT_EQ(std::string((*p)["translation"].GetString()), "exact") << plan.body;
  HttpReply moved = Http(port, "POST", GroupPath("cutover?wait_ms=30000"));
  ASSERT_EQ(moved.status, 200) << moved.body;
  std::vector<Record> rest = ConsumeAndCommit(target().bootstrap_servers(), app_, remote_, 1000);
  ASSERT_EQ(rest.size(), 5u);
  for (size_t i = 0; i < rest.size(); ++i) EXPECT_EQ(*rest[i].key, "src-" + std::to_string(155 + i));
}

TEST_P(CutoverExactnessTest, ACompactedOffsetSyncsTopicKeepsEveryRunOfFerrysSyncs) {
  // Item 4. The mirror's offset-syncs topic (of its own: a target alias of its own) is made up front,
  // compacted as MM2 makes it, with segments that roll after 100 ms and a cleaner that takes any
  // dirty segment. The mirror copies 0..39 and then four transactions, 0.3 s apart (a run each, the
  // markers shifting the delta); the broker's cleaner then keeps only the last sync of the partition
  // below the active segment. Then the topic stops rolling (segment.ms a week) and a fifth
  // transaction is copied: its syncs stay. The worker's cutover reader opens at its first request,
  // after the compaction, so it reads the compacted topic from its start.
  const std::string alias = Name("B");
  const std::string syncs_topic = "mm2-offset-syncs." + alias + ".internal";
  const Properties compacted{{"cleanup.policy", "compact"},
                             {"segment.ms", "100"},
                             {"min.cleanable.dirty.ratio", "0.01"},
                             {"delete.retention.ms", "100"}};
  auto created = source().CreateTopic(syncs_topic, 1, compacted);
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  Produce(target(), remote_orders_, 0, Keyed("other", 0, 10));  // a delta of 10
  Produce(source(), orders_, 0, Keyed("src", 0, 40));
  auto worker = StartMirroring(50, MirrorConfigWith(alias));
  ASSERT_NE(worker, nullptr);
  const int port = worker->port();

  // Waits until the mirror copied every source record and synced the last one.
  size_t copied = 50;
  auto copy_and_sync = [&](int64_t first_key, int64_t count) {
    ProduceTransactions(source(), tp_, {{Keyed("src", first_key, count), true}});
    ASSERT_FALSE(HasFatalFailure());
    copied += static_cast<size_t>(count);
    const int64_t last = Read(source(), tp_).back().offset;
    ASSERT_TRUE(WaitFor([&] {
      auto syncs = SyncRecordsOf(syncs_topic);
      return Read(target(), remote_).size() == copied && !syncs.empty() && syncs.back().upstream == last;
    }, seconds(30))) << "source up to " << last << " not copied and synced";
  };
  int64_t key = 40;
  for (int i = 0; i < 4; ++i, key += 20) {
    std::this_thread::sleep_for(milliseconds(300));
    copy_and_sync(key, 20);
    ASSERT_FALSE(HasFatalFailure());
  }
  const int64_t written = source().WatermarksOf({syncs_topic, 0}).high;

  // The broker's cleaner (log.cleaner.backoff.ms=1000 on the test clusters) removes older syncs.
  const auto started = Clock::now();
  std::vector<SyncRead> kept;
  const bool cleaned = WaitFor([&] {
    kept = SyncRecordsOf(syncs_topic);
    if (!kept.empty() && kept.front().at > 0) return true;
    std::this_thread::sleep_for(milliseconds(200));
    return false;
  }, seconds(60));
  const int64_t clean_ms = MsSince(started);
  ASSERT_TRUE(cleaned) << "the cleaner removed no sync in 60 s: " << kept.size() << " of " << written << " kept";
  Properties frozen = compacted;
  frozen["segment.ms"] = "604800000";
  auto freeze = source().admin().AlterTopicConfigs({{syncs_topic, frozen}});
  ASSERT_TRUE(freeze.ok() && freeze->at(syncs_topic).ok()) << "could not stop the topic rolling";
  std::this_thread::sleep_for(seconds(1));  // the broker applies the config

  copy_and_sync(key, 20);  // a fifth run, its syncs in the active segment, never cleaned
  ASSERT_FALSE(HasFatalFailure());
  kept = SyncRecordsOf(syncs_topic);
  ASSERT_FALSE(kept.empty());
  ASSERT_GT(kept.front().at, 0) << "the compacted syncs came back?";
  std::string shown;
  for (const SyncRead& s : kept) {
    shown += " @" + std::to_string(s.at) + ":" + std::to_string(s.upstream) + "->" + std::to_string(s.downstream);
  }
  const int64_t first_kept = kept.front().upstream;
  std::cout << "[ measure  ] compacted offset syncs: cleaned after " << clean_ms << " ms; " << written
            << " written before, kept now:" << shown << std::endl;

  // The truth from both logs: every source record copied once; the group's at 20 was copied too.
  const std::vector<Record> src = Read(source(), tp_);
  const auto copies = CopiesOf(src, Read(target(), remote_));
  for (const Record& s : src) ASSERT_EQ(copies.count(s.offset) ? copies.at(s.offset).size() : 0u, 1u) << s.offset;
  ASSERT_EQ(copies.at(20), std::vector<int64_t>{30});
  ASSERT_GT(first_kept, 20) << shown;

  // Ferry keys each run's syncs apart, so the cleaner kept the last sync of every run: a group at
  // 20, below the first sync kept, is exact at its copy (before, it was refused; under MM2's one key
  // per partition, only the last run would be left).
  ASSERT_LT(kept.size(), static_cast<size_t>(written)) << "nothing compacted";
  ASSERT_EQ(ConsumeAndCommit(source().bootstrap_servers(), app_, tp_, 20).size(), 20u);
  HttpReply plan = Http(port, "GET", GroupPath("plan"));
  ASSERT_EQ(plan.status, 200) << plan.body;
  auto p = Partition(plan);
  ASSERT_TRUE(p) << plan.body;
  EXPECT_TRUE(plan.Json()["ready"].GetBool()) << plan.body << "\nsyncs kept:" << shown;
  EXPECT_EQ((*p)["translated"].GetInt64(), 30) << plan.body;
  EXPECT_EQ(std::string((*p)["translation"].GetString()), "exact") << plan.body;

  // A group inside the fifth run: exact, at the copy both logs show.
  ASSERT_EQ(ConsumeAndCommit(source().bootstrap_servers(), app_, tp_, 110).size(), 110u);
  const int64_t committed = OffsetsOn(source(), tp_).at(tp_).offset;
  ASSERT_GT(committed, kept.back().upstream - 20) << "not inside the fifth run";
  ASSERT_TRUE(copies.count(committed)) << committed;
  plan = Http(port, "GET", GroupPath("plan"));
  ASSERT_EQ(plan.status, 200) << plan.body;
  p = Partition(plan);
  ASSERT_TRUE(p) << plan.body;
  EXPECT_TRUE(plan.Json()["ready"].GetBool()) << plan.body << "\nsyncs kept:" << shown;
  EXPECT_EQ((*p)["translated"].GetInt64(), copies.at(committed).front()) << plan.body;
  EXPECT_EQ(std::string((*p)["translation"].GetString()), "exact") << plan.body;

  // Back from the target (rollback), a group inside the first run, whose first sync is gone: exact
  // at the source record of target 25. (The group's offsets on the source go first: a group that
  // read further there is not moved back.)
  auto forgotten = source().admin().DeleteConsumerGroupOffsets(app_, {tp_});
  ASSERT_TRUE(forgotten.ok()) << forgotten.error().ToString();
  ASSERT_EQ(ConsumeAndCommit(target().bootstrap_servers(), app_, remote_, 25).size(), 25u);
  plan = Http(port, "GET", GroupPath("plan?direction=rollback"));
  ASSERT_EQ(plan.status, 200) << plan.body;
  p = Partition(plan);
  ASSERT_TRUE(p) << plan.body;
  EXPECT_TRUE(plan.Json()["ready"].GetBool()) << plan.body << "\nsyncs kept:" << shown;
  EXPECT_EQ((*p)["translated"].GetInt64(), 15) << plan.body;
  EXPECT_EQ(std::string((*p)["translation"].GetString()), "exact") << plan.body;
}

TEST_P(CutoverExactnessTest, RecordsDeletedBeforeTheMirrorCopiedThemAreSkippedAndNamed) {
  // Item 10b. With ferry.skip.lost.records=true the mirror copies 0..99 (at 10..109) and is stopped;
  // 100..149 are written, the group reads to 115 on the source, and DeleteRecords moves the source's
  // log start to 130. Resumed, the task finds 100..129 gone, skips them and copies 130..149 (at
  // 110..129); the group, committed inside the deleted range, moves to the copy of 130 and the plan
  // names 115..129 as never to be read.
  Produce(target(), remote_orders_, 0, Keyed("other", 0, 10));  // a delta of 10
  Produce(source(), orders_, 0, Keyed("src", 0, 100));
  auto worker = StartMirroring(110, MirrorConfigWith("", "\"ferry.skip.lost.records\":\"true\""));
  ASSERT_NE(worker, nullptr);
  const int port = worker->port();
  ASSERT_TRUE(WaitFor([&] { return StoredOffset(*worker) == 99; }, seconds(30))) << "0..99 not stored";
  ASSERT_EQ(Http(port, "PUT", Connector() + "/stop").status, 204);
  ASSERT_TRUE(WaitForConnectorStatus(port, mirror_, "STOPPED", 0, ""));

  Produce(source(), orders_, 0, Keyed("src", 100, 50));
  ASSERT_EQ(ConsumeAndCommit(source().bootstrap_servers(), app_, tp_, 115).size(), 115u);
  ASSERT_TRUE(source().DeleteRecordsBefore(tp_, 130).ok());
  ASSERT_EQ(Http(port, "PUT", Connector() + "/resume").status, 202);
  ASSERT_TRUE(WaitForConnectorStatus(port, mirror_, "RUNNING", 1, "RUNNING"));
  ASSERT_TRUE(WaitFor([&] { return Read(target(), remote_).size() == 130u; }, seconds(60)))
      << "the target holds " << Read(target(), remote_).size() << " records, not 130";
  WaitSyncedTo(*worker, 150);
  ASSERT_FALSE(HasFatalFailure());

  // The truth from both logs: the source starts at 130; 130 is copied at 110, nothing of 100..129.
  const std::vector<Record> src = Read(source(), tp_);
  ASSERT_FALSE(src.empty());
  ASSERT_EQ(src.front().offset, 130);
  const std::vector<Record> tgt = Read(target(), remote_);
  const auto copies = CopiesOf(src, tgt);
  ASSERT_EQ(copies.at(130), std::vector<int64_t>{110});
  for (const Record& t : tgt) {
    for (int64_t k = 100; k < 130; ++k) ASSERT_NE(*t.key, "src-" + std::to_string(k)) << "a deleted record copied";
  }
  bool named = false;
  for (const SyncRead& s : SyncRecordsOf("mm2-offset-syncs.B.internal")) {
    named |= s.upstream == 130 && s.lost == "100-130";
  }
  EXPECT_TRUE(named) << "no sync of 130 with " << tasks::kLostHeader << ": 100-130";

  ASSERT_EQ(OffsetsOn(source(), tp_).at(tp_).offset, 115);
  HttpReply plan = Http(port, "GET", GroupPath("plan"));
  ASSERT_EQ(plan.status, 200) << plan.body;
  auto p = Partition(plan);
  ASSERT_TRUE(p) << plan.body;
  EXPECT_TRUE(plan.Json()["ready"].GetBool()) << plan.body;
  EXPECT_EQ((*p)["translated"].GetInt64(), 110) << plan.body;
  EXPECT_EQ(std::string((*p)["translation"].GetString()), "exact") << plan.body;
  ASSERT_TRUE(p->HasMember("note") && (*p)["note"].IsString()) << plan.body;
  const std::string note = (*p)["note"].GetString();
  EXPECT_NE(note.find("source records 115..129 were deleted before the mirror copied them"), std::string::npos)
      << note;

  HttpReply moved = Http(port, "POST", GroupPath("cutover?wait_ms=30000"));
  ASSERT_EQ(moved.status, 200) << moved.body;
  EXPECT_EQ(OffsetsOn(target(), remote_).at(remote_).offset, 110);
  std::vector<Record> rest = ConsumeAndCommit(target().bootstrap_servers(), app_, remote_, 1000);
  ASSERT_EQ(rest.size(), 20u);
  for (size_t i = 0; i < rest.size(); ++i) EXPECT_EQ(*rest[i].key, "src-" + std::to_string(130 + i));
  std::cout << "[ measure  ] lost records: group at 115 -> target 110 (the copy of 130); note: " << note << std::endl;
}

TEST_P(CutoverExactnessTest, AnExactResumeBelowWhatTheTargetHoldsCopiesNothingAgainAndTheMoveLandsOnTheCopy) {
  // Issue #16 mode 2 through a worker: ferry.resume.mode=exact reaches the task from the connector's
  // config. The mirror copies 0..99, is stopped, its stored position moved back to 49 (KIP-875), and
  // resumed: the task proves 99's copy is the target's last record and resumes at 100, where the
  // default mode copies 50..99 again (RollbackOverAStretchCopiedTwice... above). Then 100..119 flow,
  // and a group at 60 moves through the map to 60's copy, and reads from there every record once.
  Produce(source(), orders_, 0, Keyed("src", 0, 100));
  auto worker = StartMirroring(100, MirrorConfigWith("", "\"ferry.resume.mode\":\"exact\""));
  ASSERT_NE(worker, nullptr);
  const int port = worker->port();
  ASSERT_EQ(Http(port, "PUT", Connector() + "/stop").status, 204);
  ASSERT_TRUE(WaitForConnectorStatus(port, mirror_, "STOPPED", 0, ""));
  HttpReply altered = Http(port, "PATCH", Connector() + "/offsets",
                           "{\"offsets\":[{\"partition\":" + tasks::MirrorSourcePartitionJson("A", tp_) +
                               ",\"offset\":{\"offset\":49}}]}");
  ASSERT_EQ(altered.status, 200) << altered.body;
  ASSERT_EQ(Http(port, "PUT", Connector() + "/resume").status, 202);
  ASSERT_TRUE(WaitForConnectorStatus(port, mirror_, "RUNNING", 1, "RUNNING"));
  // This test's partition only: MM2's connector also mirrors any `heartbeats` topic of the shared
  // source, whose remote topic other tests' mirrors of alias A write too (that one falls back).
  const std::string series = "ferry_mirror_resume_exact{source=\"A\",target=\"B\",topic=\"" + remote_.topic +
                             "\",partition=\"0\"}";
  HttpReply metrics = Http(port, "GET", "/metrics");
  ASSERT_TRUE(WaitFor([&] {
    metrics = Http(port, "GET", "/metrics");
    return metrics.body.find(series) != std::string::npos;
  }, seconds(30))) << metrics.body;
  const size_t at = metrics.body.find(series);
  const std::string line = metrics.body.substr(at, metrics.body.find('\n', at) - at);
  EXPECT_EQ(line.substr(line.rfind(' ') + 1), "1") << line;

  Produce(source(), orders_, 0, Keyed("src", 100, 20));
  ASSERT_TRUE(WaitFor([&] { return Read(target(), remote_).size() == 120u; }, seconds(60)))
      << Read(target(), remote_).size() << " records on the target";
  std::this_thread::sleep_for(seconds(2));
  const std::vector<Record> src = Read(source(), tp_);
  const std::vector<Record> tgt = Read(target(), remote_);
  ASSERT_EQ(tgt.size(), 120u) << "records copied again after the exact resume";
  const auto copies = CopiesOf(src, tgt);
  for (const Record& s : src) {
    ASSERT_EQ(copies.count(s.offset) ? copies.at(s.offset) : std::vector<int64_t>{}, std::vector<int64_t>{s.offset})
        << "copies of source " << s.offset;
  }

  ASSERT_EQ(ConsumeAndCommit(source().bootstrap_servers(), app_, tp_, 60).size(), 60u);
  WaitSyncedTo(*worker, 120);
  if (HasFatalFailure()) return;
  HttpReply plan = Http(port, "GET", GroupPath("plan"));
  ASSERT_EQ(plan.status, 200) << plan.body;
  EXPECT_TRUE(plan.Json()["ready"].GetBool()) << plan.body;
  auto p = Partition(plan);
  ASSERT_TRUE(p) << plan.body;
  EXPECT_EQ((*p)["translated"].GetInt64(), 60) << plan.body;
  EXPECT_EQ(std::string((*p)["translation"].GetString()), "exact") << plan.body;
  HttpReply moved = Http(port, "POST", GroupPath("cutover?wait_ms=30000"));
  ASSERT_EQ(moved.status, 200) << moved.body;
  EXPECT_EQ(Outcome(moved), "moved") << moved.body;
  ASSERT_EQ(OffsetsOn(target(), remote_).at(remote_).offset, 60);
  const std::vector<Record> read = ConsumeAndCommit(target().bootstrap_servers(), app_, remote_, 1000);
  ASSERT_EQ(read.size(), 60u);
  for (size_t i = 0; i < read.size(); ++i) ASSERT_TRUE(read[i].SameContent(src[60 + i])) << i;
}

}  // namespace
}  // namespace ferry::testing
