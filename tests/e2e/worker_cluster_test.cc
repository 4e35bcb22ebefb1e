// Ferry workers as one Connect cluster (the group `group.id`, protocol type "connect"): the leader
// spreads connectors and tasks, a worker that leaves hands its work over, and the mirrored data stays
// complete and exact through it, on Kafka's group coordinator. (The mock's coordinator, which completes
// a sync on the leader's SyncGroup alone and aborted under these tests once, is covered by
// tests/group/group_member_mock_test.cc.) On real brokers the leader syncs at once, and the test
// brokers start a group's first rebalance without delay (group.initial.rebalance.delay.ms=0).
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>

#include "tests/support/mirror_worker_test.h"
#include "worker/request_signature.h"

namespace ferry::testing {
namespace {

using std::chrono::seconds;

class WorkerClusterFixture : public MirrorWorkerTest {
 protected:
  explicit WorkerClusterFixture(Peer peer = Peer::kRealKafka) : MirrorWorkerTest(peer), events_(Name("events")) {}

  void SetUp() override {
    SetUpMirror(6);
    if (IsSkipped() || HasFatalFailure()) return;
    // Kafka's coordinator hands a late follower the stored assignment: no reason to hold the leader.
    worker_props_["ferry.group.leader.sync.delay.ms"] = "0";
  }

  // A second mirrored topic, for tests with two connectors.
  void CreateEvents() {
    ASSERT_TRUE(source().CreateTopic(events_, 6, KeepRecords()).ok());
    ASSERT_TRUE(target().CreateTopic(remote_events_, 6, KeepRecords()).ok());
  }

  // Task count per worker id once the connector and its 6 tasks are RUNNING, or nothing.
  std::map<std::string, int> RunningTasksByWorker(int port) {
    HttpReply r = Http(port, "GET", "/connectors/mirror-a/status");
    if (r.status != 200) return {};
    auto doc = r.Json();
    if (std::string(doc["connector"]["state"].GetString()) != "RUNNING" || doc["tasks"].Size() != 6) return {};
    std::map<std::string, int> by_worker;
    for (const auto& t : doc["tasks"].GetArray()) {
      if (std::string(t["state"].GetString()) != "RUNNING") return {};
      ++by_worker[t["worker_id"].GetString()];
    }
    return by_worker;
  }

  // Waits until the 6 tasks run spread as evenly as they divide over exactly `workers` workers.
  bool WaitBalanced(int port, size_t workers, std::map<std::string, int>* seen) {
    const int fewest = static_cast<int>(6 / workers);
    const int most = fewest + (6 % workers == 0 ? 0 : 1);
    return WaitFor(
        [&] {
          *seen = RunningTasksByWorker(port);
          if (seen->size() != workers) return false;
          for (const auto& [w, n] : *seen) {
            if (n < fewest || n > most) return false;
          }
          return true;
        },
        seconds(90));
  }

  void ExpectExactCopies() {
    for (int p = 0; p < 6; ++p) {
      const TopicPartition tp{orders_, p};
      ASSERT_TRUE(WaitFor([&] { return Read(target(), {remote_orders_, p}).size() >= Read(source(), tp).size(); }, seconds(60)));
      auto verified = kafka::VerifyMirrored(tp, Read(source(), tp), Read(target(), {remote_orders_, p}));
      EXPECT_TRUE(verified.ok()) << verified.error().ToString();
    }
  }

  // After a crash the records copied since the last offset flush are copied again: every source
  // record must be on the target, in order, and the extra copies are only counted.
  void ExpectNothingLost() {
    int64_t duplicates = 0;
    for (int p = 0; p < 6; ++p) {
      const TopicPartition tp{orders_, p};
      size_t copied = 0, written = 0;
      ASSERT_TRUE(WaitFor(
          [&] {
            copied = Read(target(), {remote_orders_, p}).size();
            written = Read(source(), tp).size();
            return copied >= written;
          },
          seconds(60)))
          << tp << ": " << copied << " records on the target, " << written << " on the source";
      const auto src = Read(source(), tp);
      const auto tgt = Read(target(), {remote_orders_, p});
      size_t next = 0;  // src as a subsequence of tgt
      for (const auto& r : tgt) {
        if (next < src.size() && r.SameContent(src[next])) ++next;
      }
      EXPECT_EQ(next, src.size()) << tp << ": source record " << next << " is missing on the target";
      duplicates += static_cast<int64_t>(tgt.size()) - static_cast<int64_t>(src.size());
    }
    std::cout << "[ report   ] records copied twice after the crash: " << duplicates << "\n";
  }

  // How many times each task was started: its RUNNING records in the status topic, each written by
  // the worker that started it.
  std::map<int, int> TaskStarts(const std::string& connector = "mirror-a") {
    const std::string prefix = "status-task-" + connector + "-";
    std::map<int, int> starts;
    for (int p = 0; p < 3; ++p) {
      for (const auto& r : Read(target(), {worker_prefix_ + "-status", p})) {
        if (!r.key || !r.value || r.key->rfind(prefix, 0) != 0) continue;
        if (r.value->find("\"state\":\"RUNNING\"") == std::string::npos) continue;
        ++starts[std::stoi(r.key->substr(prefix.size()))];
      }
    }
    return starts;
  }

  // Three workers share the 6 tasks (every record copied exactly), then one stops cleanly and the two
  // others take its tasks (again exactly).
  void ShareThenLeave(const Properties& props) {
    std::vector<std::unique_ptr<InProcessWorker>> workers;
    for (int i = 0; i < 3; ++i) {
      workers.push_back(InProcessWorker::Start(props));
      ASSERT_NE(workers.back(), nullptr);
    }
    for (int p = 0; p < 6; ++p) Produce(source(), orders_, p, MakeRecords(p * 10000, 200));
    // Any worker takes the request; the config topic carries it to all.
    ASSERT_EQ(Http(workers[1]->port(), "PUT", "/connectors/mirror-a/config", MirrorConfig(6)).status, 201);
    std::map<std::string, int> seen;
    ASSERT_TRUE(WaitBalanced(workers[0]->port(), 3, &seen)) << "tasks per worker: " << seen.size();
    ExpectExactCopies();
    // Every worker answers for the whole cluster.
    for (auto& w : workers) EXPECT_EQ(RunningTasksByWorker(w->port()), seen);

    // A worker leaves (a clean stop): its tasks move to the two others, and data keeps flowing.
    workers[2]->Stop();
    for (int p = 0; p < 6; ++p) Produce(source(), orders_, p, MakeRecords(p * 10000 + 200, 200));
    ASSERT_TRUE(WaitBalanced(workers[0]->port(), 2, &seen)) << "tasks per worker: " << seen.size();
    ExpectExactCopies();
  }

  // Task id -> worker id, from GET status.
  std::map<int, std::string> Owners(int port, const std::string& connector = "mirror-a") {
    std::map<int, std::string> owners;
    HttpReply r = Http(port, "GET", "/connectors/" + connector + "/status");
    if (r.status != 200) return owners;
    auto doc = r.Json();
    for (const auto& t : doc["tasks"].GetArray()) owners[t["id"].GetInt()] = t["worker_id"].GetString();
    return owners;
  }

  const std::string events_;
  const std::string remote_events_ = "A." + events_;
};

using WorkerClusterTest = OnPeers<WorkerClusterFixture>;
FERRY_INSTANTIATE_ON_REAL_KAFKA(WorkerClusterTest);

TEST_P(WorkerClusterTest, WritesAndRestartsOnAFollowerGoThroughTheLeaderAndRestartsReachEachWorker) {
  std::vector<std::unique_ptr<InProcessWorker>> workers;
  for (int i = 0; i < 2; ++i) workers.push_back(InProcessWorker::Start(worker_props_));
  for (auto& w : workers) ASSERT_NE(w, nullptr);
  auto url = [](InProcessWorker& w) { return "http://127.0.0.1:" + std::to_string(w.port()) + "/"; };
  ASSERT_TRUE(WaitFor(
      [&] {
        auto a = workers[0]->herder().LeaderUrl();
        auto b = workers[1]->herder().LeaderUrl();
        return a && b && *a == *b;
      },
      seconds(60)));
  InProcessWorker& follower = *workers[*workers[0]->herder().LeaderUrl() == url(*workers[0]) ? 1 : 0];
  InProcessWorker& leader = *workers[*workers[0]->herder().LeaderUrl() == url(*workers[0]) ? 0 : 1];

  // Created through the follower: the leader writes it, the answer comes back as the leader gave it.
  HttpReply created = Http(follower.port(), "POST", "/connectors", "{\"name\":\"mirror-a\",\"config\":" + MirrorConfig(6) + "}");
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(std::string(created.Json()["name"].GetString()), "mirror-a");
  EXPECT_EQ(Http(leader.port(), "GET", "/connectors").body, "[\"mirror-a\"]");
  // A hop that was itself forwarded does not forward again.
  HttpReply loop = Http(follower.port(), "DELETE", "/connectors/mirror-a?forward=false");
  EXPECT_EQ(loop.status, 409) << loop.body;
  EXPECT_NE(loop.body.find("conflicting operation"), std::string::npos) << loop.body;

  // A restart through the follower: the leader writes Connect's restart-connector record, and each
  // worker restarts the instances it runs.
  std::map<std::string, int> seen;
  ASSERT_TRUE(WaitBalanced(leader.port(), 2, &seen));
  const std::map<int, int> starts = TaskStarts();
  HttpReply restart = Http(follower.port(), "POST", "/connectors/mirror-a/restart?includeTasks=true");
  ASSERT_EQ(restart.status, 202) << restart.body;
  EXPECT_NE(restart.body.find("RESTARTING"), std::string::npos) << restart.body;
  EXPECT_TRUE(WaitFor(
      [&] {
        const auto now = TaskStarts();
        for (const auto& [task, n] : starts) {
          if (!now.count(task) || now.at(task) != n + 1) return false;
        }
        return !RunningTasksByWorker(leader.port()).empty();
      },
      seconds(60)))
      << "every task restarted once, on its own worker";

  EXPECT_EQ(Http(follower.port(), "DELETE", "/connectors/mirror-a").status, 204);
  EXPECT_TRUE(WaitFor([&] { return Http(leader.port(), "GET", "/connectors").body == "[]"; }, seconds(30)));
}

TEST_P(WorkerClusterTest, TaskConfigsReachTheConfigTopicOnlyThroughTheLeaderAndTaskRestartsReachTheTasksWorker) {
  CreateEvents();
  // A short key lifetime: the leader rotates its session key several times during the test, and the
  // follower's signed requests keep getting through.
  Properties props = worker_props_;
  props["inter.worker.key.ttl.ms"] = "3000";
  std::vector<std::unique_ptr<InProcessWorker>> workers;
  for (int i = 0; i < 2; ++i) workers.push_back(InProcessWorker::Start(props));
  for (auto& w : workers) ASSERT_NE(w, nullptr);
  auto url = [](InProcessWorker& w) { return "http://127.0.0.1:" + std::to_string(w.port()) + "/"; };
  ASSERT_TRUE(WaitFor([&] { return workers[0]->herder().LeaderUrl() && workers[1]->herder().LeaderUrl(); }, seconds(60)));
  const bool first_leads = *workers[0]->herder().LeaderUrl() == url(*workers[0]);
  InProcessWorker& leader = *workers[first_leads ? 0 : 1];
  InProcessWorker& follower = *workers[first_leads ? 1 : 0];

  // A config change starts a rebalance; until it is done, writes answer 409 (Connect's
  // RebalanceNeededException), and a client retries.
  ASSERT_EQ(Http(leader.port(), "PUT", "/connectors/mirror-a/config", MirrorConfig(6)).status, 201);
  HttpReply stale = HttpOnce(leader.port(), "PUT", "/connectors/mirror-b/config", MirrorConfig(6, events_));
  EXPECT_EQ(stale.status, 409) << stale.body;
  EXPECT_NE(stale.body.find("stale configuration"), std::string::npos) << stale.body;
  ASSERT_EQ(Http(leader.port(), "PUT", "/connectors/mirror-b/config", MirrorConfig(6, events_)).status, 201);

  // Two connectors on two workers: one connector runs on the follower, which sends its task configs
  // to the leader to write. Both end with their 6 tasks running.
  std::map<std::string, std::string> connector_worker;
  ASSERT_TRUE(WaitFor(
      [&] {
        for (const char* name : {"mirror-a", "mirror-b"}) {
          HttpReply r = Http(follower.port(), "GET", std::string("/connectors/") + name + "/status");
          if (r.status != 200) return false;
          auto doc = r.Json();
          if (std::string(doc["connector"]["state"].GetString()) != "RUNNING" || doc["tasks"].Size() != 6) return false;
          for (const auto& t : doc["tasks"].GetArray()) {
            if (std::string(t["state"].GetString()) != "RUNNING") return false;
          }
          connector_worker[name] = doc["connector"]["worker_id"].GetString();
        }
        return true;
      },
      seconds(90)));
  EXPECT_NE(connector_worker["mirror-a"], connector_worker["mirror-b"]) << "one connector instance on each worker";

  // The leader's session key is in the config topic (never shown in REST); internal requests must
  // carry a signature made with it.
  std::set<std::string> keys;  // distinct session-key records: one per rotation
  for (const auto& r : Read(target(), {worker_prefix_ + "-configs", 0})) {
    if (r.key && *r.key == "session-key" && r.value) keys.insert(*r.value);
  }
  EXPECT_GE(keys.size(), 2u) << "the leader rotates its key every inter.worker.key.ttl.ms";
  httplib::Client leader_http("127.0.0.1", leader.port());
  const std::string body = "[{\"task.index\":\"0\"}]";
  auto unsigned_post = leader_http.Post("/connectors/mirror-a/tasks", body, "application/json");
  ASSERT_TRUE(unsigned_post);
  EXPECT_EQ(unsigned_post->status, 400) << unsigned_post->body;
  EXPECT_NE(unsigned_post->body.find("missing required signature"), std::string::npos) << unsigned_post->body;
  httplib::Headers forged{{std::string(worker::kSignatureHeader), Base64Encode(std::string(32, 'x'))},
                          {std::string(worker::kSignatureAlgorithmHeader), "HmacSHA256"}};
  auto forged_post = leader_http.Post("/connectors/mirror-a/tasks", forged, body, "application/json");
  ASSERT_TRUE(forged_post);
  EXPECT_EQ(forged_post->status, 403) << forged_post->body;
  EXPECT_EQ(Http(leader.port(), "GET", "/connectors/mirror-a/tasks").Json().Size(), 6u) << "nothing written";

  // A task's restart sent to a worker that does not run it reaches the one that does, once. A task
  // that moved shows its new worker once its start there ends (tasks start on threads of their own,
  // as in Connect): wait until mirror-b's tasks show both workers.
  std::map<int, std::string> owners;
  ASSERT_TRUE(WaitFor(
      [&] {
        owners = Owners(leader.port(), "mirror-b");
        std::set<std::string> running_on;
        for (const auto& [id, owner] : owners) running_on.insert(owner);
        return owners.size() == 6 && running_on.size() == 2;
      },
      seconds(60)))
      << "mirror-b's 6 tasks should run on both workers";
  const std::string follower_id = "127.0.0.1:" + std::to_string(follower.port());
  for (InProcessWorker* via : {&leader, &follower}) {
    const bool via_leader = via == &leader;
    int task = -1;
    for (const auto& [id, owner] : owners) {
      if ((owner == follower_id) == via_leader) task = id;  // a task the receiving worker does not run
    }
    ASSERT_GE(task, 0);
    const std::map<int, int> before = TaskStarts("mirror-b");
    HttpReply restarted = Http(via->port(), "POST", "/connectors/mirror-b/tasks/" + std::to_string(task) + "/restart");
    EXPECT_EQ(restarted.status, 204) << restarted.body;
    EXPECT_TRUE(WaitFor([&] { return TaskStarts("mirror-b")[task] == before.at(task) + 1; }, seconds(30)))
        << "task " << task << " restarted through the " << (via_leader ? "leader" : "follower");
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    std::map<int, int> after = TaskStarts("mirror-b");
    for (const auto& [id, n] : before) EXPECT_EQ(after[id], n + (id == task ? 1 : 0)) << "task " << id;
  }
}

TEST_P(WorkerClusterTest, AFourthWorkerTakesItsShareOfTwoConnectorsAndTheTasksThatStayAreNotRestarted) {
  CreateEvents();
  const std::vector<std::string> names = {"mirror-a", "mirror-b"};
  std::vector<std::unique_ptr<InProcessWorker>> workers;
  for (int i = 0; i < 3; ++i) workers.push_back(InProcessWorker::Start(worker_props_));
  for (auto& w : workers) ASSERT_NE(w, nullptr);
  for (int p = 0; p < 6; ++p) {
    Produce(source(), orders_, p, MakeRecords(p * 10000, 200));
    Produce(source(), events_, p, MakeRecords(500000 + p * 10000, 200));
  }
  ASSERT_EQ(Http(workers[0]->port(), "PUT", "/connectors/mirror-a/config", MirrorConfig(6)).status, 201);
  ASSERT_EQ(Http(workers[1]->port(), "PUT", "/connectors/mirror-b/config", MirrorConfig(6, events_)).status, 201);

  // The 12 tasks RUNNING, spread over exactly `count` workers as evenly as they divide.
  auto spread = [&](size_t count) {
    return WaitFor(
        [&] {
          std::map<std::string, int> by_worker;
          for (const std::string& name : names) {
            HttpReply r = Http(workers[0]->port(), "GET", "/connectors/" + name + "/status");
            if (r.status != 200) return false;
            auto doc = r.Json();
            if (doc["tasks"].Size() != 6) return false;
            for (const auto& t : doc["tasks"].GetArray()) {
              if (std::string(t["state"].GetString()) != "RUNNING") return false;
              ++by_worker[t["worker_id"].GetString()];
            }
          }
          if (by_worker.size() != count) return false;
          for (const auto& [w, n] : by_worker) {
            if (n != static_cast<int>(12 / count)) return false;
          }
          return true;
        },
        seconds(120));
  };
  ASSERT_TRUE(spread(3)) << "12 tasks over 3 workers: 4 each";
  std::map<std::string, std::map<int, std::string>> before;
  std::map<std::string, std::map<int, int>> starts_before;
  for (const std::string& name : names) {
    before[name] = Owners(workers[0]->port(), name);
    starts_before[name] = TaskStarts(name);
  }

  workers.push_back(InProcessWorker::Start(worker_props_));
  ASSERT_NE(workers.back(), nullptr);
  for (int p = 0; p < 6; ++p) {
    Produce(source(), orders_, p, MakeRecords(p * 10000 + 200, 200));
    Produce(source(), events_, p, MakeRecords(500000 + p * 10000 + 200, 200));
  }
  ASSERT_TRUE(spread(4)) << "12 tasks over 4 workers: 3 each";
  int moved = 0;
  for (const std::string& name : names) {
    const std::map<int, std::string> after = Owners(workers[0]->port(), name);
    const std::map<int, int> starts_after = TaskStarts(name);
    for (const auto& [task, owner] : after) {
      if (owner != before[name].at(task)) {
        ++moved;
        EXPECT_EQ(starts_after.at(task), starts_before[name].at(task) + 1) << name << "-" << task << " moved: started once more";
      } else {
        EXPECT_EQ(starts_after.at(task), starts_before[name].at(task)) << name << "-" << task << " stayed: it must not restart";
      }
    }
  }
  EXPECT_EQ(moved, 3) << "the new worker takes its share (12 tasks / 4 workers), nothing else moves";
  std::cout << "[ report   ] a fourth worker joined: " << moved << " of 12 tasks moved, the other " << 12 - moved
            << " kept running without a restart\n";
  ExpectExactCopies();
  for (int p = 0; p < 6; ++p) {
    const TopicPartition tp{events_, p};
    ASSERT_TRUE(WaitFor([&] { return Read(target(), {remote_events_, p}).size() >= Read(source(), tp).size(); }, seconds(60)));
    auto verified = kafka::VerifyMirrored(tp, Read(source(), tp), Read(target(), {remote_events_, p}));
    EXPECT_TRUE(verified.ok()) << verified.error().ToString();
  }
}

// Four `ferry` processes, one killed with kill -9 while producers write (the setup in which the mock's
// coordinator once aborted: tests/group/group_member_mock_test.cc has the cause).
TEST_P(WorkerClusterTest, AKilledWorkersTasksMoveAfterTheScheduledDelayAndNoRecordIsLost) {
  const std::string dir = ::testing::TempDir() + "/ferry-cluster-" + std::to_string(getpid()) + "-" + worker_prefix_;
  std::filesystem::create_directories(dir);
  const std::string file = WritePropertiesFile(dir + "/worker.properties", worker_props_);
  std::vector<std::unique_ptr<WorkerProcess>> workers;
  for (int i = 0; i < 4; ++i) {
    workers.push_back(WorkerProcess::Start({"distributed", file}, dir + "/worker" + std::to_string(i) + ".log"));
    ASSERT_NE(workers.back(), nullptr);
    ASSERT_GT(workers.back()->port(), 0);
  }
  for (int p = 0; p < 6; ++p) Produce(source(), orders_, p, MakeRecords(p * 10000, 300));
  ASSERT_EQ(Http(workers[0]->port(), "PUT", "/connectors/mirror-a/config", MirrorConfig(6)).status, 201);
  std::map<std::string, int> seen;
  ASSERT_TRUE(WaitBalanced(workers[0]->port(), 4, &seen));
  // Producers keep writing while a worker dies.
  std::thread writer([&] {
    for (int round = 0; round < 4; ++round) {
      for (int p = 0; p < 6; ++p) Produce(source(), orders_, p, MakeRecords(p * 10000 + 300 + round * 100, 100));
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
  });
  workers[3]->Kill9();
  writer.join();
  // Evicted after session.timeout.ms, its work placed after scheduled.rebalance.max.delay.ms.
  ASSERT_TRUE(WaitBalanced(workers[0]->port(), 3, &seen));
  ExpectNothingLost();
}

TEST_P(WorkerClusterTest, ThreeWorkersShareTheTasksAndALeavingWorkersTasksMoveWithNoRecordLost) {
  ShareThenLeave(worker_props_);
}

// Connect's eager protocol (`default`): a member stops everything it runs before each rejoin, so every
// task restarts in each round; the work is shared and moves all the same, and nothing is lost.
TEST_P(WorkerClusterTest, UnderTheEagerProtocolThreeWorkersShareTheTasksAndALeavingWorkersTasksMove) {
  Properties props = worker_props_;
  props["connect.protocol"] = "eager";
  ShareThenLeave(props);
  if (HasFatalFailure()) return;
  for (const auto& [task, starts] : TaskStarts()) {
    EXPECT_GE(starts, 2) << "task " << task << ": stopped and started again when the worker left";
  }
}

}  // namespace
}  // namespace ferry::testing
