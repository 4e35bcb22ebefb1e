// Consumer-group cutover end to end: a Ferry worker mirrors source -> target, an application's group
// consumes on the source and commits, the group is cut over (and rolled back) through the worker's REST
// API while producers keep writing, and the same application resumes on the other cluster. What it read
// on both clusters must be the source records exactly once, in order.
//
// On both peers. On real Kafka everything is the real path, the group's state included (DescribeGroups
// through GroupStateGuard and RdKafkaAdmin), and active members are real consumers that joined the
// group (tests/support/group_member.h). The 2.0.2 mock cannot describe groups (librdkafka aborts the
// client when asked), so there whether a group has active members comes from GroupStatesFromTest (tests
// named ...WithFakeGroupState, suite CutoverOnMockTest); every other call (offsets, topics, records,
// the offset-syncs topic, the journal) is the real path. The real group-state check meeting the mock is
// tested through `ferry cutover` at the end. tests/e2e/live_cutover_test.cc moves a group of two live
// members back and forth on real Kafka.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <functional>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <utility>

#include <gtest/gtest.h>

#include "tasks/mirror_records.h"
#include "tasks/mirror_source_task.h"
#include "tasks/offset_sync_writer.h"
#include "tests/support/group_member.h"
#include "tests/support/mirror_worker_test.h"
#include "worker/common/json.h"
#include "worker/cutover/service.h"
#include "worker/kafka/admin.h"
#include "worker/kafka/client.h"

namespace ferry::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Group members per (cluster bootstrap, group), as the test says they are.
class GroupStatesFromTest {
 public:
  void Set(const std::string& bootstrap, const std::string& group, int members) {
    std::lock_guard lock(mu_);
    members_[{bootstrap, group}] = members;
  }
  int Get(const std::string& bootstrap, const std::string& group) {
    std::lock_guard lock(mu_);
    auto it = members_.find({bootstrap, group});
    return it == members_.end() ? 0 : it->second;
  }

 private:
  std::mutex mu_;
  std::map<std::pair<std::string, std::string>, int> members_;
};

// The real Admin, but the group's state comes from the test.
class FakeGroupStateAdmin : public kafka::ForwardingAdmin {
 public:
  FakeGroupStateAdmin(kafka::AdminPtr admin, std::string bootstrap, std::shared_ptr<GroupStatesFromTest> states)
      : ForwardingAdmin(std::move(admin)), bootstrap_(std::move(bootstrap)), states_(std::move(states)) {}
  Result<kafka::GroupDescription> DescribeConsumerGroupState(const std::string& group) override {
    const int members = states_->Get(bootstrap_, group);
    return kafka::GroupDescription{group, members > 0 ? kafka::GroupState::kStable : kafka::GroupState::kEmpty, members,
                                   false};
  }

 private:
  std::string bootstrap_;
  std::shared_ptr<GroupStatesFromTest> states_;
};

// Kafka's own Java consumer (ConsoleConsumer from the test clusters' jars) in the group, speaking the
// `consumer` group protocol of KIP-848 (Kafka 4.0+), which librdkafka 2.0.2 cannot. A child process:
// SIGTERM makes it leave the group; it is killed if it has not exited 30 s later.
class JavaConsumer {
 public:
  static std::unique_ptr<JavaConsumer> Start(const std::string& bootstrap, const std::string& group,
                                             const std::string& topic, const std::string& log_path) {
    const std::string libs = KafkaLibs();
    if (libs.empty()) {
      ADD_FAILURE() << "tests/kafka/kafka_cluster.py fetch named no jars directory";
      return nullptr;
    }
    std::vector<std::string> args = {"java", "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", libs + "/*",
                                      "org.apache.kafka.tools.consumer.ConsoleConsumer", "--bootstrap-server", bootstrap,
                                      "--topic", topic, "--group", group, "--consumer-property", "group.protocol=consumer"};
    const pid_t pid = fork();
    if (pid < 0) {
      ADD_FAILURE() << "fork failed";
      return nullptr;
    }
    if (pid == 0) {
      const int log = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (log >= 0) {
        dup2(log, STDOUT_FILENO);
        dup2(log, STDERR_FILENO);
      }
      std::vector<char*> argv;
      for (std::string& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execvp("java", argv.data());
      _exit(127);
    }
    return std::unique_ptr<JavaConsumer>(new JavaConsumer(pid));
  }
  ~JavaConsumer() { Stop(); }
  JavaConsumer(const JavaConsumer&) = delete;
  JavaConsumer& operator=(const JavaConsumer&) = delete;

  void Stop() {
    if (pid_ < 0) return;
    kill(pid_, SIGTERM);
    int status = 0;
    const auto deadline = std::chrono::steady_clock::now() + seconds(30);
    while (waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(milliseconds(50));
    }
    pid_ = -1;
  }

 private:
  explicit JavaConsumer(pid_t pid) : pid_(pid) {}

  // The jars directory of the Kafka release the test clusters run (cached after the first fetch).
  static std::string KafkaLibs() {
    const std::string command = "python3 " FERRY_SOURCE_DIR "/tests/kafka/kafka_cluster.py fetch 2>/dev/null";
    FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) return "";
    std::string out;
    char buf[512];
    while (fgets(buf, sizeof buf, pipe) != nullptr) out += buf;
    pclose(pipe);
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    const size_t last = out.rfind('\n');
    return last == std::string::npos ? out : out.substr(last + 1);
  }

  pid_t pid_;
};

// The commit of a move reaches the broker, but its answer is lost (once): the move must undo it there.
class LostCommitAnswerAdmin : public kafka::ForwardingAdmin {
 public:
  LostCommitAnswerAdmin(kafka::AdminPtr admin, std::shared_ptr<std::atomic<int>> failures)
      : ForwardingAdmin(std::move(admin)), failures_(std::move(failures)) {}
  Result<> AlterConsumerGroupOffsets(const std::string& group, const kafka::GroupOffsets& offsets) override {
    auto done = ForwardingAdmin::AlterConsumerGroupOffsets(group, offsets);
    if (done.ok() && !offsets.empty() && failures_->fetch_sub(1) > 0) {
      return Error(ErrorCode::kTimeout, "alter offsets of group '" + group + "': the answer was lost (test)", true);
    }
    return done;
  }

 private:
  std::shared_ptr<std::atomic<int>> failures_;
};

// Records with unique keys, so "exactly once" is checked key by key. Their timestamps are recent: a
// real broker's time retention would delete records stamped years ago at its next check.
std::vector<Record> Keyed(int partition, int64_t first, int64_t count, size_t value_bytes = 50) {
  static const int64_t kBase =
      std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  std::vector<Record> out;
  for (int64_t i = first; i < first + count; ++i) {
    Record r;
    r.key = "p" + std::to_string(partition) + "-" + std::to_string(i);
    r.value = std::string(value_bytes, static_cast<char>('a' + i % 26));
    r.timestamp = kBase + i;
    out.push_back(std::move(r));
  }
  return out;
}

class CutoverFixture : public MirrorWorkerTest {
 protected:
  explicit CutoverFixture(Peer peer = Peer::kMock) : MirrorWorkerTest(peer), app_(Name("app")) {}

  void SetUp() override {
    SetUpMirror(2);
    if (IsSkipped() || HasFatalFailure()) return;
    // The journal's topic too on the mock (no CreateTopics); a real broker's is made by the worker.
    if (!real_kafka()) {
      ASSERT_TRUE(target().CreateTopic(cutover::JournalTopic("A"), 1).ok());
    }
    states_ = std::make_shared<GroupStatesFromTest>();
  }

  // On real Kafka, Ferry's own clients: the group's state is the broker's (wrapped by wrap_admin_ if
  // a test sets it). On the mock, the test's.
  cutover::ClusterClients Clients() {
    cutover::ClusterClients clients = cutover::KafkaClusterClients(seconds(10));
    if (real_kafka()) {
      if (wrap_admin_) {
        clients.make_admin = [make = clients.make_admin, wrap = wrap_admin_](const Properties& props)
            -> Result<std::unique_ptr<kafka::Admin>> {
          auto admin = make(props);
          if (!admin.ok()) return admin.error();
          return wrap(std::move(*admin), props.at("bootstrap.servers"));
        };
      }
      return clients;
    }
    clients.make_admin = [states = states_](const Properties& props) -> Result<std::unique_ptr<kafka::Admin>> {
      auto admin = kafka::RdKafkaAdmin::Create(props, seconds(10));
      if (!admin.ok()) return admin.error();
      return std::unique_ptr<kafka::Admin>(
          std::make_unique<FakeGroupStateAdmin>(std::move(*admin), props.at("bootstrap.servers"), states));
    };
    return clients;
  }

  std::unique_ptr<InProcessWorker> StartWorker() { return InProcessWorker::Start(worker_props_, Clients()); }

  // A worker running mirror_, once it has copied everything on the source; nullptr on failure.
  std::unique_ptr<InProcessWorker> StartMirroring() {
    auto worker = StartWorker();
    if (worker == nullptr) return nullptr;
    EXPECT_EQ(Http(worker->port(), "PUT", "/connectors/" + mirror_ + "/config", MirrorConfig(2)).status, 201);
    for (int p = 0; p < 2; ++p) {
      WaitMirrored(p, 0);
      if (::testing::Test::HasFailure()) return nullptr;
    }
    return worker;
  }

  // Wraps the Admin of the target cluster only, with `wrap`, for workers started after this call.
  void WrapTargetAdmin(std::function<std::unique_ptr<kafka::Admin>(std::unique_ptr<kafka::Admin>)> wrap) {
    wrap_admin_ = [wrap, target_bootstrap = target().bootstrap_servers()](std::unique_ptr<kafka::Admin> admin,
                                                                          const std::string& bootstrap) {
      return bootstrap == target_bootstrap ? wrap(std::move(admin)) : std::move(admin);
    };
  }

  // A mirroring worker; the group committed 40 and 60 on the source and already has 20 on the target
  // for partition 1 (behind the translation), none for partition 0.
  std::unique_ptr<InProcessWorker> StartWithTheGroupPartlyOnTheTarget() {
    for (int p = 0; p < 2; ++p) Produce(source(), orders_, p, Keyed(p, 0, 100));
    auto worker = StartMirroring();
    if (worker == nullptr) return nullptr;
    ConsumeAndCommit(source().bootstrap_servers(), app_, {orders_, 0}, 40);
    ConsumeAndCommit(source().bootstrap_servers(), app_, {orders_, 1}, 60);
    EXPECT_TRUE(target().admin().AlterConsumerGroupOffsets(app_, {{{remote_orders_, 1}, {20, ""}}}).ok());
    return worker;
  }

  // After a failed move: the target holds what it held before (20 on partition 1, nothing on 0) and
  // the group is on the source.
  void ExpectTheTargetAsBeforeAndTheGroupOnTheSource(InProcessWorker& worker) {
    auto on_target = target().admin().ListConsumerGroupOffsets(app_, {{remote_orders_, 0}, {remote_orders_, 1}});
    ASSERT_TRUE(on_target.ok()) << on_target.error().ToString();
    EXPECT_EQ(on_target->count({remote_orders_, 0}), 0u) << "no offset where the group had none";
    ASSERT_EQ(on_target->count({remote_orders_, 1}), 1u);
    EXPECT_EQ(on_target->at({remote_orders_, 1}).offset, 20) << "the previous offset";
    HttpReply status = Http(worker.port(), "GET", GroupPath("status"));
    ASSERT_EQ(status.status, 200) << status.body;
    EXPECT_EQ(std::string(status.Json()["position"].GetString()), "source") << status.body;
  }

  // Waits until remote_orders_-p holds every record of orders_-p (plus `base` that were there before).
  void WaitMirrored(int p, size_t base) {
    ASSERT_TRUE(WaitFor([&] { return Read(target(), {remote_orders_, p}).size() == Read(source(), {orders_, p}).size() + base; },
                        seconds(60)))
        << "partition " << p;
  }

  HttpReply Post(InProcessWorker& w, const std::string& path) { return Http(w.port(), "POST", path); }
  std::string GroupPath(const std::string& what) { return "/ferry/groups/" + app_ + "/" + what; }

  std::string Outcome(const HttpReply& reply) {
    auto doc = reply.Json();
    const rapidjson::Value& report = doc.HasMember("report") ? doc["report"] : doc;
    return report.HasMember("outcome") ? report["outcome"].GetString() : "";
  }

  // Keys of what the group read, in order, against the source's keys from `first_offset` on.
  void ExpectExactlyOnce(int p, const std::vector<Record>& read, int64_t first_offset) {
    std::vector<std::optional<std::string>> expected, got;
    for (const Record& r : Read(source(), {orders_, p})) {
      if (r.offset >= first_offset) expected.push_back(r.key);
    }
    for (const Record& r : read) got.push_back(r.key);
    ASSERT_EQ(got.size(), expected.size()) << "partition " << p << ": records read in all vs the source";
    for (size_t i = 0; i < got.size(); ++i) {
      ASSERT_EQ(got[i], expected[i]) << "partition " << p << ", record " << i << " of the group's reading";
    }
  }

  // `members` active members of app_ on `cluster`, consuming `topic`, until the returned object goes:
  // on the mock the test says so; on real Kafka they are consumers that joined the group (and never
  // commit), started and waited for until each owns a partition.
  struct Active {
    std::function<void()> end;
    std::vector<std::unique_ptr<GroupMember>> members;
    ~Active() {
      members.clear();  // each leaves the group
      if (end) end();
    }
  };
  std::unique_ptr<Active> MakeActive(TestCluster& cluster, const std::string& topic, int members) {
    auto active = std::make_unique<Active>();
    if (!real_kafka()) {
      states_->Set(cluster.bootstrap_servers(), app_, members);
      active->end = [states = states_, bootstrap = cluster.bootstrap_servers(), group = app_] { states->Set(bootstrap, group, 0); };
      return active;
    }
    GroupMember::Options options;
    options.commit = false;
    for (int i = 0; i < members; ++i) {
      active->members.push_back(GroupMember::Start(cluster.bootstrap_servers(), app_, topic, nullptr, options));
      if (active->members.back() == nullptr) return active;
    }
    EXPECT_TRUE(WaitFor([&] {
      return std::all_of(active->members.begin(), active->members.end(), [](const auto& m) { return m->assigned(); });
    }, seconds(30))) << "the members did not join the group";
    return active;
  }

  // The log start of orders_-1 moved past records before anything was mirrored; returns the new start.
  // The mock drops old batches past its fixed 5 MiB retention; real Kafka is told to (DeleteRecords).
  int64_t ProduceWithMovedLogStart() {
    std::vector<Record> first = Keyed(1, 0, 700, real_kafka() ? 50 : 10000);  // on the mock 7 MB
    Produce(source(), orders_, 1, first);
    if (real_kafka()) {
      auto deleted = source().DeleteRecordsBefore({orders_, 1}, 400);
      EXPECT_TRUE(deleted.ok()) << deleted.error().ToString();
    }
    return source().WatermarksOf({orders_, 1}).low;
  }

  void LiveCutoverResumesOnTheTargetAtExactlyTheNextRecord();
  void RollbackThenASecondCutoverKeepEveryRecordExactlyOnce();
  void RefusalsNameTheReasonAndChangeNothing();

  const std::string app_;
  const std::string mirror_ = Name("mirror-a");
  std::function<std::unique_ptr<kafka::Admin>(std::unique_ptr<kafka::Admin>, const std::string& bootstrap)> wrap_admin_;
  std::shared_ptr<GroupStatesFromTest> states_;
};

void CutoverFixture::LiveCutoverResumesOnTheTargetAtExactlyTheNextRecord() {
  // Partition 0's copy does not start at offset 0 on the target (a non-zero offset delta); partition
  // 1's source log start has moved before anything was mirrored.
  Produce(target(), remote_orders_, 0, Keyed(9, 0, 30));
  const int64_t p1_start = ProduceWithMovedLogStart();
  Produce(source(), orders_, 0, Keyed(0, 0, 300));
  Produce(source(), orders_, 1, Keyed(1, 700, 300));
  ASSERT_GT(p1_start, 0) << "the oldest records of " << orders_ << "-1 should be gone";

  std::vector<Record> read[2];
  {
    auto worker = StartWorker();
    ASSERT_NE(worker, nullptr);
    ASSERT_EQ(Http(worker->port(), "PUT", "/connectors/" + mirror_ + "/config", MirrorConfig(2)).status, 201);
    WaitMirrored(0, 30);
    WaitMirrored(1, 0);
    // The application reads part of each partition on the source and commits.
    read[0] = ConsumeAndCommit(source().bootstrap_servers(), app_, {orders_, 0}, 120);
    read[1] = ConsumeAndCommit(source().bootstrap_servers(), app_, {orders_, 1}, 150);
    ASSERT_EQ(read[0].size(), 120u);
    ASSERT_EQ(read[1].size(), 150u);
  }  // the worker stops: the cutover below runs on a restarted worker, from the offset-syncs topic

  // Producers keep writing to the source throughout.
  std::atomic<bool> stop{false};
  std::thread producer([&] {
    auto writer = kafka::RecordWriter::Create(source().bootstrap_servers());
    ASSERT_TRUE(writer.ok());
    for (int64_t i = 1000; i < 1400 && !stop; ++i) {
      for (int p = 0; p < 2; ++p) ASSERT_TRUE((*writer)->Send(orders_, p, Keyed(p, i, 1)[0]).ok());
      if (i % 20 == 0) {
        ASSERT_TRUE((*writer)->Flush(seconds(10)).ok());
        std::this_thread::sleep_for(milliseconds(50));
      }
    }
    ASSERT_TRUE((*writer)->Flush(seconds(10)).ok());
  });
  auto worker = StartWorker();
  ASSERT_NE(worker, nullptr);
  HttpReply plan = Http(worker->port(), "GET", GroupPath("plan"));
  EXPECT_EQ(plan.status, 200) << plan.body;
  HttpReply moved = Post(*worker, GroupPath("cutover?wait_ms=60000"));
  EXPECT_EQ(moved.status, 200) << moved.body;
  EXPECT_EQ(Outcome(moved), "moved");
  producer.join();
  ASSERT_EQ(moved.status, 200);
  WaitMirrored(0, 30);
  WaitMirrored(1, 0);

  // The same application, now on the target's copy, reads the rest.
  for (int p = 0; p < 2; ++p) {
    for (Record& r : ConsumeAndCommit(target().bootstrap_servers(), app_, {remote_orders_, p}, 100000)) {
      read[p].push_back(std::move(r));
    }
  }
  ExpectExactlyOnce(0, read[0], 0);
  ExpectExactlyOnce(1, read[1], p1_start);

  HttpReply status = Http(worker->port(), "GET", GroupPath("status"));
  ASSERT_EQ(status.status, 200) << status.body;
  EXPECT_EQ(std::string(status.Json()["position"].GetString()), "target") << status.body;
  HttpReply verify = Http(worker->port(), "GET", "/ferry/topics/" + orders_ + "/verify");
  ASSERT_EQ(verify.status, 200) << verify.body;
  EXPECT_TRUE(verify.Json()["ok"].GetBool()) << verify.body;
  stop = true;
}

void CutoverFixture::RollbackThenASecondCutoverKeepEveryRecordExactlyOnce() {
  for (int p = 0; p < 2; ++p) Produce(source(), orders_, p, Keyed(p, 0, 200));
  auto worker = StartMirroring();
  ASSERT_NE(worker, nullptr);
  std::vector<Record> read[2];
  auto consume = [&](TestCluster& cluster, const std::string& topic, size_t n) {
    for (int p = 0; p < 2; ++p) {
      for (Record& r : ConsumeAndCommit(cluster.bootstrap_servers(), app_, {topic, p}, n)) read[p].push_back(std::move(r));
    }
  };
  consume(source(), orders_, 50);
  HttpReply first = Post(*worker, GroupPath("cutover?wait_ms=30000"));
  ASSERT_EQ(Outcome(first), "moved") << first.body;
  consume(target(), remote_orders_, 70);

  HttpReply back_plan = Http(worker->port(), "GET", GroupPath("plan?direction=rollback"));
  ASSERT_EQ(back_plan.status, 200) << back_plan.body;
  // The target's positions map back once the mirror has synced its last copies (every offset flush).
  if (!back_plan.Json()["ready"].GetBool()) {
    EXPECT_TRUE(WaitFor([&] {
      back_plan = Http(worker->port(), "GET", GroupPath("plan?direction=rollback"));
      return back_plan.status == 200 && back_plan.Json()["ready"].GetBool();
    }, seconds(30))) << back_plan.body;
  }
  HttpReply back = Post(*worker, GroupPath("rollback?wait_ms=30000"));
  ASSERT_EQ(back.status, 200) << back.body;
  auto admin = kafka::RdKafkaAdmin::Create({{"bootstrap.servers", source().bootstrap_servers()}}, seconds(10));
  ASSERT_TRUE(admin.ok());
  auto on_source = (*admin)->ListConsumerGroupOffsets(app_, {{orders_, 0}, {orders_, 1}});
  ASSERT_TRUE(on_source.ok());
  EXPECT_EQ(on_source->at({orders_, 0}).offset, 120);
  EXPECT_EQ(on_source->at({orders_, 1}).offset, 120);

  consume(source(), orders_, 30);
  for (int p = 0; p < 2; ++p) Produce(source(), orders_, p, Keyed(p, 200, 50));  // more arrives meanwhile
  HttpReply again = Post(*worker, GroupPath("cutover?wait_ms=30000"));
  ASSERT_EQ(Outcome(again), "moved") << again.body;
  WaitMirrored(0, 0);
  WaitMirrored(1, 0);
  consume(target(), remote_orders_, 100000);
  ExpectExactlyOnce(0, read[0], 0);
  ExpectExactlyOnce(1, read[1], 0);
}

void CutoverFixture::RefusalsNameTheReasonAndChangeNothing() {
  for (int p = 0; p < 2; ++p) Produce(source(), orders_, p, Keyed(p, 0, 100));
  auto worker = StartMirroring();
  ASSERT_NE(worker, nullptr);
  ConsumeAndCommit(source().bootstrap_servers(), app_, {orders_, 0}, 40);
  auto target_admin = kafka::RdKafkaAdmin::Create({{"bootstrap.servers", target().bootstrap_servers()}}, seconds(10));
  ASSERT_TRUE(target_admin.ok());
  auto target_offsets = [&] { return *(*target_admin)->ListConsumerGroupOffsets(app_, {{remote_orders_, 0}, {remote_orders_, 1}}); };

  EXPECT_EQ(Post(*worker, "/ferry/groups/" + Name("nobody") + "/cutover").status, 404);
  EXPECT_EQ(Post(*worker, GroupPath("cutover?connector=nope")).status, 404);
  EXPECT_EQ(Post(*worker, GroupPath("cutover?wait_ms=soon")).status, 400);

  // Active members on the source, then on the target: refused, naming the cluster.
  const int members = real_kafka() ? 2 : 3;
  {
    auto active = MakeActive(source(), orders_, members);
    ASSERT_FALSE(HasFailure());
    HttpReply refused = Post(*worker, GroupPath("cutover"));
    EXPECT_EQ(refused.status, 409) << refused.body;
    EXPECT_NE(refused.body.find("has " + std::to_string(members) + " active member(s) on cluster A"), std::string::npos)
        << refused.body;
    HttpReply plan = Http(worker->port(), "GET", GroupPath("plan"));
    ASSERT_EQ(plan.status, 200) << plan.body;
    EXPECT_EQ(plan.Json()["from_group"]["members"].GetInt(), members) << plan.body;
    EXPECT_EQ(std::string(plan.Json()["from_group"]["state"].GetString()), "Stable") << plan.body;
  }
  {
    auto active = MakeActive(target(), remote_orders_, 1);
    ASSERT_FALSE(HasFailure());
    HttpReply refused = Post(*worker, GroupPath("cutover"));
    EXPECT_EQ(refused.status, 409) << refused.body;
    EXPECT_NE(refused.body.find("has 1 active member(s) on cluster B"), std::string::npos) << refused.body;
    EXPECT_EQ(refused.body.find("on cluster A"), std::string::npos) << "the source's members have left: " << refused.body;
  }
  EXPECT_TRUE(target_offsets().empty()) << "a refused cutover writes nothing";

  // The mirror is paused and the group committed past what it copied.
  const std::string connector = "/connectors/" + mirror_;
  ASSERT_EQ(Http(worker->port(), "PUT", connector + "/pause").status, 202);
  ASSERT_TRUE(WaitFor([&] { return Http(worker->port(), "GET", connector + "/status").body.find("PAUSED") != std::string::npos; }, seconds(30)));
  Produce(source(), orders_, 1, Keyed(1, 100, 50));
  ConsumeAndCommit(source().bootstrap_servers(), app_, {orders_, 1}, 130);
  HttpReply behind = Post(*worker, GroupPath("cutover"));
  EXPECT_EQ(behind.status, 409) << behind.body;
  EXPECT_NE(behind.body.find(orders_ + "-1: not replicated yet: the mirror has copied up to offset 100, the group committed 130"),
            std::string::npos) << behind.body;
  EXPECT_TRUE(target_offsets().empty()) << "a refused cutover writes nothing";

  // The group already read further on the target than the translation.
  ASSERT_TRUE((*target_admin)->AlterConsumerGroupOffsets(app_, {{{remote_orders_, 0}, {90, ""}}}).ok());
  ASSERT_EQ(Http(worker->port(), "PUT", connector + "/resume").status, 202);
  HttpReply ahead = Post(*worker, GroupPath("cutover?wait_ms=30000"));
  EXPECT_EQ(ahead.status, 409) << ahead.body;
  EXPECT_NE(ahead.body.find("the group already committed " + remote_orders_ + "-0@90, past 40"), std::string::npos) << ahead.body;
  EXPECT_EQ(target_offsets().at({remote_orders_, 0}).offset, 90);
  EXPECT_EQ(target_offsets().count({remote_orders_, 1}), 0u);
}

using CutoverOnMockTest = CutoverFixture;

TEST_F(CutoverOnMockTest, LiveCutoverResumesOnTheTargetAtExactlyTheNextRecordWithFakeGroupState) {
  LiveCutoverResumesOnTheTargetAtExactlyTheNextRecord();
}

TEST_F(CutoverOnMockTest, RollbackThenASecondCutoverKeepEveryRecordExactlyOnceWithFakeGroupState) {
  RollbackThenASecondCutoverKeepEveryRecordExactlyOnce();
}

TEST_F(CutoverOnMockTest, RefusalsNameTheReasonAndChangeNothingWithFakeGroupState) {
  RefusalsNameTheReasonAndChangeNothing();
}

// The same on real Kafka, where the group's state is the broker's.
using CutoverTest = OnPeers<CutoverFixture>;
INSTANTIATE_TEST_SUITE_P(RealKafka, CutoverTest, ::testing::Values(Peer::kRealKafka), PeerName);

TEST_P(CutoverTest, LiveCutoverResumesOnTheTargetAtExactlyTheNextRecord) {
  LiveCutoverResumesOnTheTargetAtExactlyTheNextRecord();
}

TEST_P(CutoverTest, RollbackThenASecondCutoverKeepEveryRecordExactlyOnce) {
  RollbackThenASecondCutoverKeepEveryRecordExactlyOnce();
}

TEST_P(CutoverTest, RefusalsWhileRealMembersAreActiveOnEitherSideAndOtherReasonsChangeNothing) {
  RefusalsNameTheReasonAndChangeNothing();
}

TEST_P(CutoverTest, RefusedWhileConsumersOfKafkasConsumerProtocolHoldTheGroup) {
  // Kafka's classic DescribeGroups answers "Dead, 0 members" for a KIP-848 group with live consumers;
  // without looking further the cutover would move the group under a consumer still reading the source.
  for (int p = 0; p < 2; ++p) Produce(source(), orders_, p, Keyed(p, 0, 100));
  auto worker = StartMirroring();
  ASSERT_NE(worker, nullptr);
  ConsumeAndCommit(source().bootstrap_servers(), app_, {orders_, 0}, 40);
  const auto started = std::chrono::steady_clock::now();
  auto java = JavaConsumer::Start(source().bootstrap_servers(), app_, orders_,
                                  ::testing::TempDir() + app_ + "-java-consumer.log");
  ASSERT_NE(java, nullptr);
  // It reads everything (auto commits) once it has joined.
  auto committed_all = [&] {
    auto offsets = source().admin().ListConsumerGroupOffsets(app_, {{orders_, 0}, {orders_, 1}});
    return offsets.ok() && offsets->count({orders_, 0}) && offsets->at({orders_, 0}).offset == 100 &&
           offsets->count({orders_, 1}) && offsets->at({orders_, 1}).offset == 100;
  };
  ASSERT_TRUE(WaitFor(committed_all, seconds(90))) << "the Java consumer did not join and commit";
  std::cout << "[ measure  ] Java consumer started, joined and committed (ms): "
            << std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - started).count() << std::endl;

  HttpReply refused = Post(*worker, GroupPath("cutover"));
  EXPECT_EQ(refused.status, 409) << refused.body;
  EXPECT_NE(refused.body.find("group '" + app_ + "' is Stable on cluster A: it has consumers of Kafka's consumer "
                              "protocol (KIP-848)"),
            std::string::npos)
      << refused.body;
  HttpReply plan = Http(worker->port(), "GET", GroupPath("plan"));
  ASSERT_EQ(plan.status, 200) << plan.body;
  EXPECT_NE(plan.body.find("\"from_group\":{\"state\":\"Stable\",\"members\":null}"), std::string::npos) << plan.body;
  auto on_target = target().admin().ListConsumerGroupOffsets(app_, {{remote_orders_, 0}, {remote_orders_, 1}});
  ASSERT_TRUE(on_target.ok());
  EXPECT_TRUE(on_target->empty()) << "a refused cutover writes nothing";

  // Once it has left, the group is Empty and moves, at the offsets the Java consumer committed.
  java->Stop();
  HttpReply moved = Post(*worker, GroupPath("cutover?wait_ms=30000"));
  ASSERT_EQ(moved.status, 200) << moved.body;
  EXPECT_NE(moved.body.find("\"from_group\":{\"state\":\"Empty\",\"members\":null}"), std::string::npos) << moved.body;
  on_target = target().admin().ListConsumerGroupOffsets(app_, {{remote_orders_, 0}, {remote_orders_, 1}});
  ASSERT_TRUE(on_target.ok());
  EXPECT_EQ(on_target->at({remote_orders_, 0}).offset, 100);
  EXPECT_EQ(on_target->at({remote_orders_, 1}).offset, 100);
}

// The mirror's file for `ferry cutover`.
std::string MirrorFile(const std::string& name, const std::string& source, const std::string& target,
                       const std::string& topic) {
  const std::string file = ::testing::TempDir() + "ferry-cutover-" + name + ".properties";
  WritePropertiesFile(file, {{"name", name},
                             {"connector.class", "MirrorSourceConnector"},
                             {"source.cluster.alias", "A"},
                             {"target.cluster.alias", "B"},
                             {"source.cluster.bootstrap.servers", source},
                             {"target.cluster.bootstrap.servers", target},
                             {"topics", topic}});
  return file;
}

TEST_F(CutoverOnMockTest, FerryCutoverCommandVerifiesTheCopyAndMeetsTheMockWithoutDescribeGroups) {
  for (int p = 0; p < 2; ++p) Produce(source(), orders_, p, Keyed(p, 0, 100));
  auto worker = StartMirroring();
  ASSERT_NE(worker, nullptr);
  ConsumeAndCommit(source().bootstrap_servers(), app_, {orders_, 0}, 40);
  // Wait until the mirror's last copies are in the offset-syncs topic (synced at each offset flush).
  ASSERT_TRUE(WaitFor([&] { return Http(worker->port(), "GET", GroupPath("plan")).body.find("\"replicated_to\":100") != std::string::npos; }, seconds(30)));
  const std::string file = MirrorFile(mirror_, source().bootstrap_servers(), target().bootstrap_servers(), orders_);

  CommandResult verify = RunFerry({"cutover", "verify", file, orders_});
  EXPECT_EQ(verify.exit_code, 0) << verify.out;
  EXPECT_NE(verify.out.find("\"ok\":true"), std::string::npos) << verify.out;
  EXPECT_NE(verify.out.find("\"records\":100"), std::string::npos) << verify.out;

  // The real group-state check asks the mock for its APIs and finds no DescribeGroups: a blocker,
  // where librdkafka alone would have aborted the process.
  CommandResult plan = RunFerry({"cutover", "plan", file, app_});
  EXPECT_EQ(plan.exit_code, 0) << plan.out;
  EXPECT_NE(plan.out.find("does not serve DescribeGroups"), std::string::npos) << plan.out;
  EXPECT_NE(plan.out.find("\"translated\":40"), std::string::npos) << plan.out;
  CommandResult move = RunFerry({"cutover", "cutover", file, app_});
  EXPECT_EQ(move.exit_code, 1) << move.out;
  EXPECT_NE(move.out.find("\"outcome\":\"refused\""), std::string::npos) << move.out;
  CommandResult unknown = RunFerry({"cutover", "status", file, "nobody"});
  EXPECT_EQ(unknown.exit_code, 1) << unknown.out;
}

TEST_P(CutoverTest, FerryCutoverCommandReadsTheGroupStateFromTheBrokerAndMoves) {
  for (int p = 0; p < 2; ++p) Produce(source(), orders_, p, Keyed(p, 0, 100));
  auto worker = StartMirroring();
  ASSERT_NE(worker, nullptr);
  ConsumeAndCommit(source().bootstrap_servers(), app_, {orders_, 0}, 40);
  ASSERT_TRUE(WaitFor([&] { return Http(worker->port(), "GET", GroupPath("plan")).body.find("\"replicated_to\":100") != std::string::npos; }, seconds(30)));
  const std::string file = MirrorFile(mirror_, source().bootstrap_servers(), target().bootstrap_servers(), orders_);

  CommandResult verify = RunFerry({"cutover", "verify", file, orders_});
  EXPECT_EQ(verify.exit_code, 0) << verify.out;
  EXPECT_NE(verify.out.find("\"ok\":true"), std::string::npos) << verify.out;
  EXPECT_NE(verify.out.find("\"records\":100"), std::string::npos) << verify.out;

  CommandResult plan = RunFerry({"cutover", "plan", file, app_});
  EXPECT_EQ(plan.exit_code, 0) << plan.out;
  EXPECT_NE(plan.out.find("\"from_group\":{\"state\":\"Empty\",\"members\":0}"), std::string::npos) << plan.out;
  EXPECT_NE(plan.out.find("\"ready\":true"), std::string::npos) << plan.out;
  EXPECT_NE(plan.out.find("\"translated\":40"), std::string::npos) << plan.out;

  // With the worker's file, the command reads the mirror's tasks from the worker cluster's topics: a
  // paused task blocks the plan, as on the worker's REST API.
  const std::string worker_file = ::testing::TempDir() + "ferry-cutover-worker-" + mirror_ + ".properties";
  WritePropertiesFile(worker_file, worker_props_);
  ASSERT_EQ(Http(worker->port(), "PUT", "/connectors/" + mirror_ + "/pause").status, 202);
  ASSERT_TRUE(WaitForConnectorStatus(worker->port(), mirror_, "PAUSED", 2, "PAUSED"));
  CommandResult paused = RunFerry({"cutover", "plan", file, app_, "--worker_config=" + worker_file});
  EXPECT_EQ(paused.exit_code, 0) << paused.out;
  EXPECT_NE(paused.out.find("\"ready\":false"), std::string::npos) << paused.out;
  EXPECT_NE(paused.out.find("the mirror's task copying " + orders_ + "-0 is PAUSED"), std::string::npos) << paused.out;
  ASSERT_EQ(Http(worker->port(), "PUT", "/connectors/" + mirror_ + "/resume").status, 202);
  ASSERT_TRUE(WaitForConnectorStatus(worker->port(), mirror_, "RUNNING", 2, "RUNNING"));
  CommandResult running = RunFerry({"cutover", "plan", file, app_, "--worker_config=" + worker_file});
  EXPECT_NE(running.out.find("\"ready\":true"), std::string::npos) << running.out;

  CommandResult move = RunFerry({"cutover", "cutover", file, app_, "--worker_config=" + worker_file}, seconds(60),
                                /*with_stderr=*/true);
  EXPECT_EQ(move.exit_code, 0) << move.out;
  EXPECT_NE(move.out.find("\"outcome\":\"moved\""), std::string::npos) << move.out;
  CommandResult status = RunFerry({"cutover", "status", file, app_});
  EXPECT_EQ(status.exit_code, 0) << status.out;
  EXPECT_NE(status.out.find("\"position\":\"target\""), std::string::npos) << status.out;
  CommandResult unknown = RunFerry({"cutover", "status", file, Name("nobody")});
  EXPECT_EQ(unknown.exit_code, 1) << unknown.out;
}

TEST_P(CutoverTest, ACommitWhoseAnswerIsLostIsUndoneOnTheBrokerAndTheGroupStaysOnTheSource) {
  // The undo deletes offsets written where the group had none (OffsetDelete), which the mock lacks.
  auto failures = std::make_shared<std::atomic<int>>(0);
  WrapTargetAdmin([failures](std::unique_ptr<kafka::Admin> admin) {
    return std::unique_ptr<kafka::Admin>(std::make_unique<LostCommitAnswerAdmin>(std::move(admin), failures));
  });
  auto worker = StartWithTheGroupPartlyOnTheTarget();
  ASSERT_NE(worker, nullptr);

  *failures = 1;
  HttpReply failed = Post(*worker, GroupPath("cutover?wait_ms=30000"));
  EXPECT_EQ(failed.status, 500) << failed.body;
  EXPECT_EQ(Outcome(failed), "failed") << failed.body;
  EXPECT_NE(failed.body.find("\"restored\":true"), std::string::npos) << failed.body;
  // The offset written where the group had none is deleted; the previous one is put back.
  ExpectTheTargetAsBeforeAndTheGroupOnTheSource(*worker);

  // Moved again, it goes through.
  HttpReply moved = Post(*worker, GroupPath("cutover?wait_ms=30000"));
  ASSERT_EQ(moved.status, 200) << moved.body;
  auto on_target = target().admin().ListConsumerGroupOffsets(app_, {{remote_orders_, 0}, {remote_orders_, 1}});
  ASSERT_TRUE(on_target.ok());
  EXPECT_EQ(on_target->at({remote_orders_, 0}).offset, 40);
  EXPECT_EQ(on_target->at({remote_orders_, 1}).offset, 60);
}

TEST_P(CutoverTest, WithoutOffsetSyncsTheBrokersTimestampLookupTranslatesApproximatelyOnlyWhenAllowed) {
  // The remote topic was filled by something other than this mirror (no offset syncs for it), after
  // 10 records of its own: only a timestamp look-up (ListOffsets by time, which the mock cannot
  // answer) can place the group, and it is approximate.
  ASSERT_TRUE(source().CreateTopic("mm2-offset-syncs.B.internal", 1, {{"cleanup.policy", "compact"}}).ok());
  Produce(source(), orders_, 0, Keyed(0, 0, 100));
  Produce(target(), remote_orders_, 0, Keyed(9, 0, 10));  // older timestamps than every copy
  Produce(target(), remote_orders_, 0, Keyed(0, 0, 100));
  ConsumeAndCommit(source().bootstrap_servers(), app_, {orders_, 0}, 40);
  const std::string file = MirrorFile(mirror_, source().bootstrap_servers(), target().bootstrap_servers(), orders_);

  CommandResult plan = RunFerry({"cutover", "plan", file, app_});
  EXPECT_EQ(plan.exit_code, 0) << plan.out;
  EXPECT_NE(plan.out.find("\"translated\":50,\"translation\":\"approximate\""), std::string::npos) << plan.out;
  EXPECT_NE(plan.out.find("the translation is approximate (by timestamp): allow it explicitly"), std::string::npos)
      << plan.out;
  CommandResult refused = RunFerry({"cutover", "cutover", file, app_});
  EXPECT_EQ(refused.exit_code, 1) << refused.out;
  EXPECT_NE(refused.out.find("\"outcome\":\"refused\""), std::string::npos) << refused.out;
  EXPECT_TRUE(target().admin().ListConsumerGroupOffsets(app_, {{remote_orders_, 0}})->empty());

  CommandResult moved = RunFerry({"cutover", "cutover", file, app_, "--allow_approximate"});
  EXPECT_EQ(moved.exit_code, 0) << moved.out;
  EXPECT_NE(moved.out.find("\"outcome\":\"moved\""), std::string::npos) << moved.out;
  auto on_target = target().admin().ListConsumerGroupOffsets(app_, {{remote_orders_, 0}});
  ASSERT_TRUE(on_target.ok());
  ASSERT_EQ(on_target->count({remote_orders_, 0}), 1u);
  EXPECT_EQ(on_target->at({remote_orders_, 0}).offset, 50) << "the copy of source offset 40";
}

TEST_P(CutoverTest, ACommitRefusedBecauseAConsumerJoinedMeanwhileChangesNothingAndSaysSo) {
  // Kafka refuses an admin commit to a group with members (UNKNOWN_MEMBER_ID), and refuses to delete
  // offsets of a topic a member reads (GROUP_SUBSCRIBED_TO_TOPIC): nothing was written, so nothing
  // needs undoing, and the group is still whole on the source.
  std::unique_ptr<GroupMember> late;
  const std::string target_bootstrap = target().bootstrap_servers();
  auto join = [&] {
    GroupMember::Options never_commits;
    never_commits.commit = false;
    late = GroupMember::Start(target_bootstrap, app_, remote_orders_, nullptr, never_commits);
    ASSERT_NE(late, nullptr);
    ASSERT_TRUE(WaitFor([&] { return late->assigned(); }, seconds(30)));
  };
  WrapTargetAdmin([join](std::unique_ptr<kafka::Admin> admin) {
    return std::unique_ptr<kafka::Admin>(std::make_unique<BeforeCommitAdmin>(std::move(admin), join));
  });
  auto worker = StartWithTheGroupPartlyOnTheTarget();
  ASSERT_NE(worker, nullptr);

  HttpReply failed = Post(*worker, GroupPath("cutover?wait_ms=30000"));
  EXPECT_EQ(failed.status, 500) << failed.body;
  EXPECT_EQ(Outcome(failed), "failed") << failed.body;
  EXPECT_NE(failed.body.find("UNKNOWN_MEMBER_ID"), std::string::npos) << failed.body;
  EXPECT_NE(failed.body.find("\"restored\":true"), std::string::npos) << failed.body;
  ExpectTheTargetAsBeforeAndTheGroupOnTheSource(*worker);
  ASSERT_NE(late, nullptr);
  late->Stop();
}

TEST_P(CutoverTest, ATaskRestartedBelowWhatItCopiedBlocksTheMoveUntilItsSyncsShowTheRecopy) {
  // Issue "Exactness", item 6. The mirror copied 0..99 and a group committed 60 on the source: its
  // copy is target 60. The connector is stopped, its stored position moved back to 39, and the
  // syncs topic made to refuse records; resumed, the task (a new sync writer) copies 40..99 again
  // (to 100..159) but no sync of it reaches the map, which still shows the old writer's run. Its
  // answer for 60, target 60, would make the group read 60..99 twice; while the task runs below what
  // the syncs show copied (or fails, its syncs lost), no plan is ready. Once the syncs topic takes
  // records again and the task restarts, it copies 40..99 a third time and syncs it: the move lands
  // on the newest copy.
  const TopicPartition tp{orders_, 0};
  const TopicPartition remote{remote_orders_, 0};
  Produce(source(), orders_, 0, Keyed(0, 0, 100));
  // A target alias of its own, so the offset-syncs topic this test makes refuse records is its own.
  const std::string alias = Name("B");
  const std::string syncs_topic = "mm2-offset-syncs." + alias + ".internal";
  std::string config = MirrorConfig(2);
  const std::string b = "\"target.cluster.alias\":\"B\"";
  ASSERT_NE(config.find(b), std::string::npos);
  config.replace(config.find(b), b.size(), "\"target.cluster.alias\":\"" + alias + "\"");
  auto worker = StartWorker();
  ASSERT_NE(worker, nullptr);
  const int port = worker->port();
  const std::string connector = "/connectors/" + mirror_;
  ASSERT_EQ(Http(port, "PUT", connector + "/config", config).status, 201);
  for (int p = 0; p < 2; ++p) WaitMirrored(p, 0);
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_EQ(ConsumeAndCommit(source().bootstrap_servers(), app_, tp, 60).size(), 60u);
  ASSERT_TRUE(WaitFor([&] { return Http(port, "GET", GroupPath("plan")).body.find("\"translated\":60") != std::string::npos; },
                      seconds(30)))
      << Http(port, "GET", GroupPath("plan")).body;

  ASSERT_EQ(Http(port, "PUT", connector + "/stop").status, 204);
  ASSERT_TRUE(WaitForConnectorStatus(port, mirror_, "STOPPED", 0, ""));
  auto refuse = source().admin().AlterTopicConfigs({{syncs_topic, {{"cleanup.policy", "compact"}, {"max.message.bytes", "1"}}}});
  ASSERT_TRUE(refuse.ok() && refuse->at(syncs_topic).ok()) << "could not make the syncs topic refuse records";
  HttpReply altered = Http(port, "PATCH", connector + "/offsets",
                           "{\"offsets\":[{\"partition\":" + tasks::MirrorSourcePartitionJson("A", tp) +
                               ",\"offset\":{\"offset\":39}}]}");
  ASSERT_EQ(altered.status, 200) << altered.body;
  ASSERT_EQ(Http(port, "PUT", connector + "/resume").status, 202);
  ASSERT_TRUE(WaitFor([&] { return Read(target(), remote).size() == 160u; }, seconds(60)))
      << "40..99 not copied again: " << Read(target(), remote).size() << " records on the target";
  // The task runs (or has failed at its offset commit, its syncs lost): no plan is ready, ever.
  std::set<std::string> blockers;
  for (int i = 0; i < 10; ++i) {
    HttpReply plan = Http(port, "GET", GroupPath("plan"));
    ASSERT_EQ(plan.status, 200) << plan.body;
    const auto doc = plan.Json();
    ASSERT_FALSE(doc["ready"].GetBool()) << "a move would read 60..99 twice: " << plan.body;
    for (const auto& b : doc["blockers"].GetArray()) blockers.insert(b.GetString());
    std::this_thread::sleep_for(milliseconds(300));
  }
  std::string shown;
  for (const std::string& b : blockers) shown += "\n  " + b;
  std::cout << "[ measure  ] restarted below the copied point, blockers seen:" << shown << std::endl;

  // The syncs topic takes records again; the failed task restarts from 39 and copies 40..99 again.
  auto writable = source().admin().AlterTopicConfigs({{syncs_topic, {{"cleanup.policy", "compact"}, {"max.message.bytes", "1048588"}}}});
  ASSERT_TRUE(writable.ok() && writable->at(syncs_topic).ok());
  std::this_thread::sleep_for(seconds(1));  // the broker applies the config
  ASSERT_TRUE(WaitFor([&] { return Http(port, "GET", connector + "/status").body.find("\"state\":\"FAILED\"") !=
                                   std::string::npos; }, seconds(30)))
      << "the task whose syncs were lost did not fail: " << Http(port, "GET", connector + "/status").body;
  ASSERT_EQ(Http(port, "POST", connector + "/restart?includeTasks=true&onlyFailed=true").status / 100, 2);
  ASSERT_TRUE(WaitForConnectorStatus(port, mirror_, "RUNNING", 2, "RUNNING"));
  ASSERT_TRUE(WaitFor([&] { return Read(target(), remote).size() >= 220u; }, seconds(60)))
      << Read(target(), remote).size() << " records on the target";
  HttpReply moved = Http(port, "POST", GroupPath("cutover?wait_ms=30000"));
  ASSERT_EQ(moved.status, 200) << moved.body;
  // The truth from both logs: the newest copy of source 60 (60, 120, 180, and one more per restart
  // from 39 that a task whose syncs failed may have made).
  const std::vector<Record> src = Read(source(), tp);
  std::vector<int64_t> copies_of_60;
  for (const Record& t : Read(target(), remote)) {
    if (t.SameContent(src[60])) copies_of_60.push_back(t.offset);
  }
  ASSERT_GE(copies_of_60.size(), 3u);
  EXPECT_NE(moved.body.find("\"translated\":" + std::to_string(copies_of_60.back()) + ",\"translation\":\"exact\""),
            std::string::npos)
      << moved.body;
}

TEST_P(CutoverTest, AGroupAtACommitMarkerResumesAtTheNewestCopyAfterTheMirrorResumedFromThatMarker) {
  // Issue "Exactness", item 1. A mirror task restarted from a stored position that is a commit
  // marker's offset (its offset flush followed a transaction's last record) copies the next
  // transaction again. The offset map used to take a run's length from where the next run's copies
  // start, so the old copies of the next transaction counted as the first run's own: a group committed
  // at the marker was sent to those OLD copies and read the transaction twice on the target. Ferry's
  // syncs now say where each run ends (header ferry.run-ends): the marker is a gap, answered with the
  // NEWEST copy of the record after it. Real markers, real Kafka, the worker's REST API throughout.
  const TopicPartition tp{orders_, 0};
  const TopicPartition remote{remote_orders_, 0};
  // Two committed transactions of 10 records: 0-9, the marker at 10, 11-20, the marker at 21.
  ProduceTransactions(source(), tp, {{Keyed(0, 0, 10), true}, {Keyed(0, 10, 10), true}});
  ASSERT_FALSE(HasFatalFailure());
  const std::vector<Record> src = Read(source(), tp);
  ASSERT_EQ(src.size(), 20u);
  const int64_t first_txn_last = src[9].offset;
  const int64_t marker = first_txn_last + 1;  // where an application that read the first transaction commits
  const Record& after_marker = src[10];       // the second transaction's first record
  ASSERT_GT(after_marker.offset, marker) << "offset " << marker << " should be the first transaction's commit marker";

  auto worker = StartMirroring();  // both transactions copied
  ASSERT_NE(worker, nullptr);
  const int port = worker->port();
  const std::string connector = "/connectors/" + mirror_;
  auto stored_offset = [&] { return StoredSourceOffset(port, mirror_, {orders_, 0}); };

  // Stopped (KIP-875), the task has stored the second transaction's last record. The stored position
  // is moved back to the first transaction's last record, as an offset flush right after it leaves
  // it: resumed, the task starts at the marker and copies the second transaction again.
  ASSERT_EQ(Http(port, "PUT", connector + "/stop").status, 204);
  ASSERT_TRUE(WaitForConnectorStatus(port, mirror_, "STOPPED", 0, ""));
  // GET reads the offsets topic to its end first (as Connect does): each answer is the latest write.
  EXPECT_EQ(stored_offset(), src.back().offset);
  HttpReply altered = Http(port, "PATCH", connector + "/offsets",
                           "{\"offsets\":[{\"partition\":" + tasks::MirrorSourcePartitionJson("A", tp) +
                               ",\"offset\":{\"offset\":" + std::to_string(first_txn_last) + "}}]}");
  ASSERT_EQ(altered.status, 200) << altered.body;
  EXPECT_EQ(stored_offset(), first_txn_last) << "the alteration just answered";
  ASSERT_EQ(Http(port, "PUT", connector + "/resume").status, 202);
  ASSERT_TRUE(WaitForConnectorStatus(port, mirror_, "RUNNING", 2, "RUNNING"));
  ASSERT_TRUE(WaitFor([&] { return Read(target(), remote).size() == 30u; }, seconds(60)))
      << "the second transaction was not copied again: " << Read(target(), remote).size() << " records on the target";
  const std::vector<Record> tgt = Read(target(), remote);

  // Brute force from both logs: every target offset holding a copy of each source record.
  std::map<int64_t, std::vector<int64_t>> copies;  // source offset -> target offsets, oldest first
  for (const Record& s : src) {
    for (const Record& t : tgt) {
      if (t.SameContent(s)) copies[s.offset].push_back(t.offset);
    }
  }
  int copied_twice = 0;
  for (const Record& s : src) {
    const size_t expected = s.offset > marker ? 2 : 1;
    EXPECT_EQ(copies[s.offset].size(), expected) << "copies of source offset " << s.offset;
    if (copies[s.offset].size() == 2) ++copied_twice;
  }
  ASSERT_EQ(copied_twice, 10) << "the target holds the second transaction twice";
  const int64_t old_copy = copies[after_marker.offset].front();
  const int64_t newest_copy = copies[after_marker.offset].back();
  ASSERT_NE(old_copy, newest_copy);

  // The restarted task's syncs are written before the move reads the map: its last one is the
  // newest copy of the second transaction's last record (synced at its offset flush).
  const std::string syncs_topic = "mm2-offset-syncs.B.internal";
  std::vector<std::string> syncs_seen;
  ASSERT_TRUE(WaitFor([&] {
    syncs_seen.clear();
    bool last_synced = false;
    for (const Record& r : Read(source(), {syncs_topic, 0})) {
      if (!r.key || !r.value) continue;
      auto sync = tasks::OffsetSyncRecord::Decode(*r.key, *r.value);
      if (!sync.ok() || sync->topic != orders_ || sync->partition != 0) continue;
      bool run_ends = false;
      for (const auto& h : r.headers) run_ends |= h.name == tasks::kRunEndsHeader;
      syncs_seen.push_back(std::to_string(sync->upstream_offset) + "->" + std::to_string(sync->downstream_offset) +
                           (run_ends ? "" : " (no run-ends header)"));
      last_synced |= sync->upstream_offset == src.back().offset && sync->downstream_offset == tgt.back().offset;
    }
    return last_synced;
  }, seconds(30))) << "no sync of the re-copied transaction's last record";
  for (const std::string& s : syncs_seen) {
    EXPECT_EQ(s.find("no run-ends header"), std::string::npos) << "every Ferry sync says its writer reports run ends";
  }

  // The application read the first transaction on the source and committed the marker's offset;
  // it has no members.
  ASSERT_EQ(ConsumeAndCommit(source().bootstrap_servers(), app_, tp, 10).size(), 10u);
  auto committed = source().admin().ListConsumerGroupOffsets(app_, {tp});
  ASSERT_TRUE(committed.ok()) << committed.error().ToString();
  ASSERT_EQ(committed->at(tp).offset, marker);

  std::cout << "[ measure  ] source records 0.." << src.back().offset << ", marker at " << marker
            << ", first record after it " << after_marker.offset << "; target holds " << tgt.size() << " records, "
            << copied_twice << " copied twice; the copies of " << after_marker.offset << " at " << old_copy
            << " (old) and " << newest_copy << " (newest); syncs of " << tp << ":";
  for (const std::string& s : syncs_seen) std::cout << " " << s;
  std::cout << std::endl;

  // The plan translates the marker exactly, to the newest copy.
  HttpReply plan = Http(port, "GET", GroupPath("plan"));
  ASSERT_EQ(plan.status, 200) << plan.body;
  {
    auto doc = plan.Json();
    EXPECT_TRUE(doc["ready"].GetBool()) << plan.body;
    bool found = false;
    for (const auto& p : doc["partitions"].GetArray()) {
      if (p["from_topic"].GetString() != orders_ || p["from_partition"].GetInt() != 0) continue;
      found = true;
      EXPECT_EQ(p["committed"].GetInt64(), marker) << plan.body;
      EXPECT_EQ(std::string(p["translation"].GetString()), "exact") << plan.body;
      ASSERT_TRUE(p["translated"].IsInt64()) << plan.body;
      EXPECT_EQ(p["translated"].GetInt64(), newest_copy) << "not the old copy at " << old_copy << ": " << plan.body;
    }
    EXPECT_TRUE(found) << plan.body;
  }

  HttpReply moved = Post(*worker, GroupPath("cutover?wait_ms=30000"));
  ASSERT_EQ(moved.status, 200) << moved.body;
  EXPECT_EQ(Outcome(moved), "moved") << moved.body;
  auto on_target = target().admin().ListConsumerGroupOffsets(app_, {remote});
  ASSERT_TRUE(on_target.ok()) << on_target.error().ToString();
  ASSERT_EQ(on_target->count(remote), 1u);
  EXPECT_EQ(on_target->at(remote).offset, newest_copy) << "the old copy is at " << old_copy;
  EXPECT_NE(on_target->at(remote).offset, old_copy) << "the group would read the second transaction twice";

  // The application resumes on the target and reads every record after the marker exactly once.
  ExpectExactlyOnce(0, ConsumeAndCommit(target().bootstrap_servers(), app_, remote, 100000), marker);

  HttpReply status = Http(port, "GET", GroupPath("status"));
  ASSERT_EQ(status.status, 200) << status.body;
  EXPECT_EQ(std::string(status.Json()["position"].GetString()), "target") << status.body;
  // Verify skips the older copies (no source record translates to them) and finds the copy faithful.
  HttpReply verify = Http(port, "GET", "/ferry/topics/" + orders_ + "/verify?partition=0");
  ASSERT_EQ(verify.status, 200) << verify.body;
  EXPECT_TRUE(verify.Json()["ok"].GetBool()) << verify.body;
}

// Issue #20, item 4: positions an application keeps outside consumer groups (a Flink or Spark
// checkpoint) translated through the exact map, over the worker's REST API and with `ferry translate`.
// Each exact answer is checked against the logs: the target record at the translated offset is the
// copy of the source record at the asked one.
TEST_P(CutoverTest, PositionsKeptOutsideGroupsTranslateToTheirCopiesOverRestAndTheCommand) {
  Produce(target(), remote_orders_, 0, Keyed(9, 0, 30));  // the copies of partition 0 start at 30
  for (int p = 0; p < 2; ++p) Produce(source(), orders_, p, Keyed(p, 0, 100));
  auto worker = StartWorker();
  ASSERT_NE(worker, nullptr);
  ASSERT_EQ(Http(worker->port(), "PUT", "/connectors/" + mirror_ + "/config", MirrorConfig(2)).status, 201);
  WaitMirrored(0, 30);
  WaitMirrored(1, 0);
  const std::vector<Record> src[2] = {Read(source(), {orders_, 0}), Read(source(), {orders_, 1})};
  const std::vector<Record> tgt[2] = {Read(target(), {remote_orders_, 0}), Read(target(), {remote_orders_, 1})};

  auto position = [](const std::string& topic, int p, int64_t offset) {
    return "{\"topic\":" + json::Quote(topic) + ",\"partition\":" + std::to_string(p) + ",\"offset\":" +
           std::to_string(offset) + "}";
  };
  auto translate = [&](const std::string& direction, const std::vector<std::string>& positions) {
    std::string body = "{\"direction\":\"" + direction + "\",\"positions\":[";
    for (size_t i = 0; i < positions.size(); ++i) body += (i ? "," : "") + positions[i];
    return Http(worker->port(), "POST", "/ferry/translate?connector=" + mirror_, body + "]}");
  };
  // The last copies are synced at the task's next offset flush: until then the end is "not_yet".
  HttpReply reply;
  ASSERT_TRUE(WaitFor([&] {
    reply = translate("forward", {position(orders_, 0, 100), position(orders_, 1, 100)});
    return reply.status == 200 && reply.body.find("not_yet") == std::string::npos;
  }, seconds(30))) << reply.body;

  const std::vector<int64_t> asked = {0, 1, 37, 99, 100};
  std::vector<std::string> forward;
  for (int p = 0; p < 2; ++p) {
    for (int64_t offset : asked) forward.push_back(position(orders_, p, offset));
  }
  forward.push_back(position(orders_, 5, 0));         // orders_ has 2 partitions
  forward.push_back(position(remote_orders_, 0, 3));  // a target topic, asked forward
  reply = translate("forward", forward);
  ASSERT_EQ(reply.status, 200) << reply.body;
  auto answer = reply.Json();
  ASSERT_EQ(answer["positions"].Size(), forward.size()) << reply.body;
  std::vector<std::string> backward;
  for (int p = 0; p < 2; ++p) {
    for (size_t i = 0; i < asked.size(); ++i) {
      const rapidjson::Value& a = answer["positions"][static_cast<rapidjson::SizeType>(p * asked.size() + i)];
      ASSERT_STREQ(a["answer"].GetString(), "exact") << json::Write(a);
      ASSERT_STREQ(a["translated"]["topic"].GetString(), remote_orders_.c_str());
      const int64_t t = a["translated"]["offset"].GetInt64();
      if (asked[i] < static_cast<int64_t>(src[p].size())) {
        const Record& copy = tgt[p][static_cast<size_t>(t)];
        EXPECT_TRUE(copy.SameContent(src[p][static_cast<size_t>(asked[i])]))
            << "the copy of " << orders_ << "-" << p << "@" << asked[i] << " is not at " << t;
      } else {
        EXPECT_EQ(t, static_cast<int64_t>(tgt[p].size())) << "past the last record: the target's end";
      }
      backward.push_back(position(remote_orders_, p, t));
    }
  }
  for (size_t i = 2 * asked.size(); i < forward.size(); ++i) {
    const rapidjson::Value& a = answer["positions"][static_cast<rapidjson::SizeType>(i)];
    EXPECT_STREQ(a["answer"].GetString(), "untranslatable") << json::Write(a);
    EXPECT_TRUE(a["translated"].IsNull());
    EXPECT_EQ(a["reasons"].Size(), 1u) << json::Write(a);
  }

  // And back: each copy's position maps to the source record it copies.
  reply = translate("backward", backward);
  ASSERT_EQ(reply.status, 200) << reply.body;
  answer = reply.Json();
  for (int p = 0; p < 2; ++p) {
    for (size_t i = 0; i < asked.size(); ++i) {
      const rapidjson::Value& a = answer["positions"][static_cast<rapidjson::SizeType>(p * asked.size() + i)];
      EXPECT_STREQ(a["answer"].GetString(), "exact") << json::Write(a);
      EXPECT_EQ(a["translated"]["offset"].GetInt64(), asked[i]) << json::Write(a);
    }
  }

  // Bad requests are refused with what was expected; nothing is translated.
  EXPECT_EQ(Http(worker->port(), "POST", "/ferry/translate", "{\"positions\":[{\"topic\":\"x\"}]}").status, 400);
  EXPECT_EQ(translate("sideways", {position(orders_, 0, 1)}).status, 400);
  EXPECT_EQ(translate("forward", {position(orders_, 0, -1)}).status, 400);
  EXPECT_EQ(Http(worker->port(), "POST", "/ferry/translate?connector=nope", "{\"positions\":[]}").status, 404);

  // The command line: the same JSON; exit 0 only when every position translated exactly.
  const std::string file = MirrorFile(mirror_, source().bootstrap_servers(), target().bootstrap_servers(), orders_);
  CommandResult exact = RunFerry({"translate", "forward", file, orders_ + ":0:37", orders_ + ":1:99"});
  EXPECT_EQ(exact.exit_code, 0) << exact.out;
  EXPECT_NE(exact.out.find("\"offset\":37,\"answer\":\"exact\",\"translated\":{\"topic\":\"" + remote_orders_ +
                           "\",\"partition\":0,\"offset\":67}"),
            std::string::npos)
      << exact.out;
  CommandResult back = RunFerry({"translate", "backward", file, remote_orders_ + ":0:67"});
  EXPECT_EQ(back.exit_code, 0) << back.out;
  EXPECT_NE(back.out.find("\"translated\":{\"topic\":\"" + orders_ + "\",\"partition\":0,\"offset\":37}"),
            std::string::npos)
      << back.out;
  CommandResult unmirrored = RunFerry({"translate", "forward", file, orders_ + ":5:0"});
  EXPECT_EQ(unmirrored.exit_code, 1) << unmirrored.out;
  EXPECT_NE(unmirrored.out.find("\"answer\":\"untranslatable\""), std::string::npos) << unmirrored.out;
  CommandResult malformed = RunFerry({"translate", "forward", file, orders_ + ":0"}, seconds(60), /*with_stderr=*/true);
  EXPECT_EQ(malformed.exit_code, 1) << malformed.out;
  EXPECT_NE(malformed.out.find("is not TOPIC:PARTITION:OFFSET"), std::string::npos) << malformed.out;
}

}  // namespace
}  // namespace ferry::testing
