// The migration's stage machine (worker/migration/) against a fake mirror (FakeFlow: groups, their
// positions, the source's ends, the verification) and memory logs, where a test must pick each
// moment: a worker dying between a move and its record, a producer writing during the fence, two
// workers storing one version. The hooks' runner is real (commands, timeouts). On real Kafka:
// tests/e2e/migration_real_test.cc.
#include <algorithm>
#include <map>
#include <set>

#include <gtest/gtest.h>
#include <httplib.h>

#include <thread>

#include "tests/fakes/memory_log.h"
#include "worker/migration/hooks.h"
#include "worker/migration/service.h"
#include "worker/migration/store.h"

namespace ferry::migration {
namespace {

using std::chrono::milliseconds;

// A mirror with groups that commit on the source; a move puts a group on the target.
class FakeFlow : public FlowOps {
 public:
  std::shared_ptr<testing::MemoryTopic> plans = std::make_shared<testing::MemoryTopic>();
  std::map<std::string, std::set<std::string>> groups;  // group -> topics it consumes on the source
  std::set<std::string> on_target;
  std::set<std::string> active;              // groups with members: a move is refused
  std::map<std::string, int64_t> mirror_lag;  // topic -> source end less replicated_to
  std::map<std::string, std::map<int32_t, int64_t>> ends;
  std::vector<std::string> moves;  // every MoveGroup, in order
  int verifies = 0;

  Result<FlowNames> Names(const std::optional<std::string>& connector) override {
    if (connector && *connector != "mirror") return Error::NotFound("no connector " + *connector);
    return FlowNames{"mirror", "A", "B"};
  }
  Result<std::unique_ptr<kafka::Log>> OpenPlanLog(const FlowNames&) override {
    return std::unique_ptr<kafka::Log>(std::make_unique<testing::MemoryLog>(plans));
  }
  Result<std::map<std::string, std::set<std::string>>> GroupsConsuming(const std::string&,
                                                                       const std::vector<std::string>& topics,
                                                                       const std::vector<std::string>& only) override {
    std::map<std::string, std::set<std::string>> out;
    for (const auto& [group, consumed] : groups) {
      if (!only.empty() && std::find(only.begin(), only.end(), group) == only.end()) continue;
      for (const std::string& t : topics) {
        if (consumed.count(t)) out[group].insert(t);
      }
    }
    return out;
  }
  cutover::GroupPlan PlanOf(const std::string& group) {
    cutover::GroupPlan plan;
    plan.group = group;
    for (const std::string& topic : groups[group]) {
      cutover::PartitionPlan p;
      p.from = {topic, 0};
      p.to = {"A." + topic, 0};
      p.source_end = 100;
      p.replicated_to = 100 - mirror_lag[topic];
      p.committed = 50;
      p.translated = 50;
      p.translation = cutover::Translation::kExact;
      plan.partitions.push_back(p);
    }
    if (active.count(group)) plan.blockers.push_back("group '" + group + "' has 1 active member(s) on cluster A");
    return plan;
  }
  Result<cutover::GroupPlan> PlanGroup(const std::string&, const std::string& group, const cutover::MoveOptions&) override {
    return PlanOf(group);
  }
  Result<cutover::MoveReport> MoveGroup(const std::string&, const std::string& group, const cutover::MoveOptions&) override {
    moves.push_back(group);
    cutover::MoveReport report;
    report.plan = PlanOf(group);
    report.outcome = report.plan.ready() ? cutover::MoveReport::Outcome::kMoved : cutover::MoveReport::Outcome::kRefused;
    if (report.plan.ready()) on_target.insert(group);
    return report;
  }
  Result<cutover::GroupStatus> GroupStatus(const std::string&, const std::string& group) override {
    cutover::GroupStatus status;
    status.group = group;
    status.position = on_target.count(group) ? "target" : "source";
    return status;
  }
  Result<std::map<int32_t, int64_t>> SourceEnds(const std::string&, const std::string& topic) override {
    auto it = ends.find(topic);
    if (it == ends.end()) return Error::NotFound("no topic " + topic);
    return it->second;
  }
  Result<cutover::VerifyReport> Verify(const std::string&, const std::string& topic) override {
    ++verifies;
    cutover::VerifyReport report;
    for (const auto& [p, end] : ends[topic]) {
      cutover::PartitionVerification v;
      v.source = {topic, p};
      v.target = {"A." + topic, p};
      v.source_end = end;
      v.records = end;
      v.source_digest = v.target_digest = "digest-" + topic;
      report.partitions.push_back(v);
    }
    return report;
  }
  std::vector<std::string> Writers(const std::string&, const std::string& topic, const std::vector<int32_t>& partitions) override {
    return {"producer id 7 on " + topic + "-" + std::to_string(partitions.at(0))};
  }
};

class MigrationTest : public ::testing::Test {
 protected:
  MigrationTest() {
    flow_.groups = {{"billing", {"orders"}}, {"audit", {"orders", "payments"}}, {"ledger", {"payments"}}};
    flow_.ends = {{"orders", {{0, 100}, {1, 100}}}, {"payments", {{0, 40}}}};
  }
  std::unique_ptr<MigrationService> NewWorker() {
    return std::make_unique<MigrationService>(flow_, milliseconds(1000), [this] { return now_; },
                                              [this](const HookSpec& spec, const HookVariables& vars) {
                                                hooks_run_.push_back(vars.at("event") + ":" +
                                                                     (vars.count("group") ? vars.at("group") : vars.count("topic") ? vars.at("topic") : vars.at("migration")));
                                                HookOutcome out;
                                                out.event = vars.at("event");
                                                out.ok = !fail_hooks_;
                                                out.exit_status = fail_hooks_ ? 1 : 0;
                                                out.error = fail_hooks_ ? "exit status 1" : "";
                                                (void)spec;
                                                return out;
                                              });
  }
  CreateRequest Request() {
    auto r = ParseCreateRequest(R"({"name":"m1","topics":["orders","payments"],)"
                                R"("gates":{"max_lag":10,"fence_quiet_ms":1000},)"
                                R"("hooks":{"group_moved":{"command":["announce","{group}"]},"topic_done":{"url":"http://127.0.0.1:1/x"}}})");
    EXPECT_TRUE(r.ok()) << r.error().ToString();
    return *r;
  }
  AdvanceReport Advance(MigrationService& s, bool dry_run = false) {
    auto r = s.Advance(std::nullopt, "m1", {dry_run, milliseconds(0)});
    EXPECT_TRUE(r.ok()) << r.error().ToString();
    return r.ok() ? *r : AdvanceReport{};
  }
  static std::string Blockers(const AdvanceReport& r) {
    std::string out;
    for (const std::string& b : r.blockers) out += b + "\n";
    return out;
  }
  const TopicStage& Topic(const Migration& m, const std::string& name) {
    return *std::find_if(m.topics.begin(), m.topics.end(), [&](const TopicStage& t) { return t.topic == name; });
  }

  FakeFlow flow_;
  int64_t now_ = 1'000'000;
  bool fail_hooks_ = false;
  std::vector<std::string> hooks_run_;
};

TEST_F(MigrationTest, EveryStageWithFakeClustersRunsInOrderAndStopsAtEachGate) {
  auto worker = NewWorker();
  auto created = worker->Create(Request(), false);
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  // audit consumes both topics: it moves with the first (a move takes all its partitions).
  const Migration& m = created->migration;
  ASSERT_EQ(Topic(m, "orders").groups.size(), 2u);
  EXPECT_EQ(Topic(m, "payments").groups.size(), 2u);
  EXPECT_EQ(m.version, 1);

  flow_.active = {"billing"};
  AdvanceReport r = Advance(*worker);
  EXPECT_EQ(flow_.moves, std::vector<std::string>{"audit"});
  EXPECT_NE(Blockers(r).find("group billing: group 'billing' has 1 active member(s) on cluster A"), std::string::npos)
      << Blockers(r);
  EXPECT_EQ(Topic(r.migration, "orders").stage, Stage::kGroups);
  flow_.active.clear();
  r = Advance(*worker);
  EXPECT_EQ(flow_.moves, (std::vector<std::string>{"audit", "billing"}));
  EXPECT_EQ(Topic(r.migration, "orders").stage, Stage::kProducers);
  EXPECT_NE(Blockers(r).find("waiting for the operator to confirm that its producers write to cluster B"),
            std::string::npos) << Blockers(r);
  EXPECT_EQ(hooks_run_, (std::vector<std::string>{"group_moved:audit", "group_moved:billing"}));

  // Payments' producers cannot be confirmed before its groups moved.
  EXPECT_EQ(worker->ConfirmProducers(std::nullopt, "m1", "payments").error().code(), ErrorCode::kConflict);
  ASSERT_TRUE(worker->ConfirmProducers(std::nullopt, "m1", "orders").ok());
  r = Advance(*worker);  // the fence starts
  EXPECT_EQ(Topic(r.migration, "orders").stage, Stage::kFence);
  EXPECT_NE(Blockers(r).find("must stand still for 1000 ms"), std::string::npos) << Blockers(r);
  now_ += 600;
  r = Advance(*worker);
  EXPECT_NE(Blockers(r).find("stood still for 600 of 1000 ms"), std::string::npos) << Blockers(r);
  now_ += 400;
  r = Advance(*worker);  // fence, verification, done; payments' groups: ledger moves
  EXPECT_EQ(Topic(r.migration, "orders").stage, Stage::kDone);
  EXPECT_EQ(Topic(r.migration, "orders").verified.size(), 2u);
  EXPECT_EQ(flow_.moves, (std::vector<std::string>{"audit", "billing", "ledger"}));
  EXPECT_EQ(Topic(r.migration, "payments").stage, Stage::kProducers);

  ASSERT_TRUE(worker->ConfirmProducers(std::nullopt, "m1", "payments").ok());
  Advance(*worker);
  now_ += 1000;
  r = Advance(*worker);
  EXPECT_TRUE(r.migration.done()) << Blockers(r);
  EXPECT_EQ(flow_.verifies, 2);
  EXPECT_EQ(hooks_run_, (std::vector<std::string>{"group_moved:audit", "group_moved:billing", "topic_done:orders",
                                                  "group_moved:ledger", "topic_done:payments"}));
  // Advancing a finished migration changes nothing.
  const int64_t version = r.migration.version;
  r = Advance(*worker);
  EXPECT_EQ(r.migration.version, version);
  EXPECT_NE(r.actions.back().find("the mirror 'mirror' still runs"), std::string::npos);
}

TEST_F(MigrationTest, AnAdvanceWithFakeClustersWaitsForGatesButNotForAnAct) {
  auto worker = NewWorker();
  ASSERT_TRUE(worker->Create(Request(), false).ok());
  flow_.active = {"billing"};  // its consumers must stop: waiting does not help
  auto started = std::chrono::steady_clock::now();
  auto r = worker->Advance(std::nullopt, "m1", {false, milliseconds(5000)});
  ASSERT_TRUE(r.ok());
  EXPECT_LT(std::chrono::steady_clock::now() - started, milliseconds(2000));
  flow_.active.clear();
  flow_.mirror_lag["orders"] = 50;  // the lag gate: waited for, until the wait ends
  started = std::chrono::steady_clock::now();
  r = worker->Advance(std::nullopt, "m1", {false, milliseconds(1200)});
  ASSERT_TRUE(r.ok());
  EXPECT_GE(std::chrono::steady_clock::now() - started, milliseconds(700));
  EXPECT_NE(Blockers(*r).find("the mirror is 50 records behind"), std::string::npos) << Blockers(*r);
}

TEST_F(MigrationTest, AMoveTheWorkerDidNotRecordWithFakeClustersIsReadFromTheJournalNotMadeAgain) {
  ASSERT_TRUE(NewWorker()->Create(Request(), false).ok());
  // The worker moved audit and died before storing it: the cutover journal says it is on the target.
  flow_.on_target.insert("audit");
  flow_.active = {"billing"};
  auto second = NewWorker();  // another worker, reading the stored plan
  AdvanceReport r = Advance(*second);
  EXPECT_TRUE(flow_.moves.empty());
  const TopicStage& orders = Topic(r.migration, "orders");
  auto audit = std::find_if(orders.groups.begin(), orders.groups.end(), [](const GroupStage& g) { return g.group == "audit"; });
  EXPECT_EQ(audit->state, "moved");
  EXPECT_NE(r.actions.front().find("already on the target (cutover journal)"), std::string::npos);
  // Where it stopped is stored for GET.
  auto got = second->Get(std::nullopt, "m1");
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(Topic(*got, "orders").blockers.empty());
}

TEST_F(MigrationTest, AProducerLeftBehindWithFakeClustersHoldsTheFenceAndIsNamed) {
  auto worker = NewWorker();
  ASSERT_TRUE(worker->Create(Request(), false).ok());
  Advance(*worker);
  ASSERT_TRUE(worker->ConfirmProducers(std::nullopt, "m1", "orders").ok());
  Advance(*worker);
  now_ += 900;
  flow_.ends["orders"][1] = 130;  // still written to
  AdvanceReport r = Advance(*worker);
  EXPECT_NE(Blockers(r).find("a producer still writes to cluster A (900 ms): orders-1 grew by 30 records (to 130); "
                             "producer id 7 on orders-1"),
            std::string::npos) << Blockers(r);
  now_ += 999;
  r = Advance(*worker);
  EXPECT_EQ(Topic(r.migration, "orders").stage, Stage::kFence) << "the quiet period starts again at the last write";
  now_ += 1;
  r = Advance(*worker);
  EXPECT_EQ(Topic(r.migration, "orders").stage, Stage::kDone) << Blockers(r);
}

TEST_F(MigrationTest, TheLagGateWithFakeClustersHoldsAGroupWhileTheMirrorIsBehind) {
  auto worker = NewWorker();
  ASSERT_TRUE(worker->Create(Request(), false).ok());
  flow_.mirror_lag["orders"] = 11;
  AdvanceReport r = Advance(*worker);
  EXPECT_TRUE(flow_.moves.empty());
  EXPECT_NE(Blockers(r).find("orders-0: the mirror is 11 records behind the source end 100 (gate max_lag 10)"),
            std::string::npos) << Blockers(r);
  flow_.mirror_lag["orders"] = 10;
  Advance(*worker);
  EXPECT_EQ(flow_.moves.size(), 2u);
}

TEST_F(MigrationTest, DryRunsWithFakeClustersStoreNothingAndShowEveryBlocker) {
  auto worker = NewWorker();
  flow_.active = {"billing"};
  auto dry = worker->Create(Request(), true);
  ASSERT_TRUE(dry.ok()) << dry.error().ToString();
  EXPECT_EQ(flow_.plans->size(), 0u);
  EXPECT_NE(Blockers(*dry).find("group billing: group 'billing' has 1 active member(s)"), std::string::npos);
  EXPECT_EQ(dry->actions, (std::vector<std::string>{"would cut group audit over (2 partitions, every one translated exact)",
                                                    "would run hook group_moved for group audit"}))
      << dry->actions.size();
  ASSERT_TRUE(worker->Create(Request(), false).ok());
  const size_t stored = flow_.plans->size();
  AdvanceReport r = Advance(*worker, /*dry_run=*/true);
  EXPECT_TRUE(flow_.moves.empty());
  EXPECT_TRUE(hooks_run_.empty());
  EXPECT_EQ(flow_.plans->size(), stored);
  EXPECT_FALSE(r.blockers.empty());
  // A name is taken once.
  EXPECT_EQ(worker->Create(Request(), false).error().code(), ErrorCode::kConflict);
}

TEST_F(MigrationTest, AFailedHookWithFakeClustersBlocksAndRunsAgainAtTheNextAdvance) {
  auto worker = NewWorker();
  ASSERT_TRUE(worker->Create(Request(), false).ok());
  fail_hooks_ = true;
  AdvanceReport r = Advance(*worker);
  EXPECT_EQ(Topic(r.migration, "orders").stage, Stage::kGroups);
  EXPECT_NE(Blockers(r).find("hook group_moved for group audit failed: exit status 1"), std::string::npos);
  fail_hooks_ = false;
  r = Advance(*worker);
  EXPECT_EQ(Topic(r.migration, "orders").stage, Stage::kProducers);
  EXPECT_EQ(std::count(hooks_run_.begin(), hooks_run_.end(), "group_moved:audit"), 2);
}

TEST(MigrationStoreTest, TwoWorkersStoringOneVersionWithMemoryLogsOneWinsTheOtherIsToldItLost) {
  auto topic = std::make_shared<testing::MemoryTopic>();
  testing::MemoryLog log_a(topic), log_b(topic);
  MigrationStore a(log_a, "a"), b(log_b, "b");
  ASSERT_TRUE(a.Start(milliseconds(100)).ok());
  ASSERT_TRUE(b.Start(milliseconds(100)).ok());
  Migration m;
  m.name = "m1";
  m.topics.push_back(TopicStage{});
  ASSERT_TRUE(a.CompareAndSet(m, milliseconds(100)).ok());
  Migration from_a = m, from_b = m;  // both read version 1
  from_a.topics[0].producers_moved_by = "operator";
  from_b.topics[0].stage = Stage::kDone;
  ASSERT_TRUE(a.CompareAndSet(from_a, milliseconds(100)).ok());
  auto lost = b.CompareAndSet(from_b, milliseconds(100));
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(lost.error().code(), ErrorCode::kConflict);
  for (MigrationStore* store : {&a, &b}) {
    auto stored = store->Get("m1", milliseconds(100));
    ASSERT_TRUE(stored.ok() && *stored);
    EXPECT_EQ((*stored)->version, 2);
    EXPECT_EQ((*stored)->topics[0].producers_moved_by, "operator");
    EXPECT_EQ((*stored)->topics[0].stage, Stage::kGroups);
  }
  // A store started later reads the same history the same way.
  testing::MemoryLog log_c(topic);
  MigrationStore c(log_c, "c");
  ASSERT_TRUE(c.Start(milliseconds(100)).ok());
  EXPECT_EQ((*c.Get("m1", milliseconds(100)))->topics[0].producers_moved_by, "operator");
}

TEST(MigrationPlanTest, APlanSurvivesItsJsonAndABadRequestIsNamed) {
  Migration m;
  m.name = "m";
  m.version = 3;
  m.hooks["topic_done"] = HookSpec{{"/bin/true"}, "", 500};
  TopicStage t;
  t.topic = "orders";
  t.stage = Stage::kFence;
  t.fence_ends = {{0, 5}, {1, 7}};
  t.fence_since_ms = 42;
  GroupStage g;
  g.group = "billing";
  g.state = "moved";
  g.hook = HookOutcome{"group_moved", "billing", true, 0, std::nullopt, "done\n", "", 1, 2};
  t.groups.push_back(g);
  t.verified.push_back({0, 0, 5, 5, "s", "t"});
  m.topics.push_back(t);
  auto back = Migration::FromJson(m.ToJson());
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_EQ(back->ToJson(), m.ToJson());
  EXPECT_EQ(ParseCreateRequest(R"({"name":"x","topics":[]})").error().message(),
            "\"topics\" must be a non-empty array of the source topics to move, in order");
  EXPECT_NE(ParseCreateRequest(R"({"name":"x","topics":["a"],"hooks":{"later":{"command":["x"]}}})").error().message().find(
                "unknown hook event 'later'"),
            std::string::npos);
  EXPECT_NE(ParseCreateRequest(R"({"name":"x","topics":["a"],"hooks":{"topic_done":{"command":["x"],"url":"http://a"}}})")
                .error().message().find("exactly one of a command and a url"),
            std::string::npos);
}

TEST(MigrationHookTest, ACommandRunsWithoutAShellWithinItsTimeoutAndItsOutcomeIsBounded) {
  HookOutcome ok = RunHook(HookSpec{{"/bin/echo", "consumers of {group} now read cluster {target_alias}", "$HOME"}, "", 5000},
                           {{"event", "group_moved"}, {"group", "billing"}, {"target_alias", "B"}});
  EXPECT_TRUE(ok.ok) << ok.error;
  EXPECT_EQ(ok.exit_status, 0);
  EXPECT_EQ(ok.output, "consumers of billing now read cluster B $HOME\n");  // no shell: $HOME stays
  EXPECT_EQ(ok.subject, "billing");

  HookOutcome env = RunHook(HookSpec{{"/usr/bin/env"}, "", 5000}, {{"group", "billing"}});
  EXPECT_NE(env.output.find("FERRY_GROUP=billing"), std::string::npos);

  HookOutcome failed = RunHook(HookSpec{{"/bin/false"}, "", 5000}, {});
  EXPECT_FALSE(failed.ok);
  EXPECT_EQ(failed.exit_status, 1);

  HookOutcome slow = RunHook(HookSpec{{"/bin/sleep", "30"}, "", 200}, {});
  EXPECT_FALSE(slow.ok);
  EXPECT_EQ(slow.error, "timed out after 200 ms; killed");
  EXPECT_LT(slow.duration_ms, 5000);

  HookOutcome missing = RunHook(HookSpec{{"/nonexistent/hook"}, "", 5000}, {});
  EXPECT_EQ(missing.exit_status, 127);

  HookOutcome big = RunHook(HookSpec{{"/usr/bin/head", "-c", "100000", "/dev/zero"}, "", 5000}, {});
  EXPECT_TRUE(big.ok);
  EXPECT_EQ(big.output.size(), kMaxHookOutput);

  HookOutcome refused = RunHook(HookSpec{{}, "http://127.0.0.1:1/hook", 2000}, {});
  EXPECT_FALSE(refused.ok);
  EXPECT_FALSE(refused.http_status.has_value());
}


TEST(MigrationHookTest, AnHttpHookIsPostedTheVariablesAndItsStatusDecides) {
  httplib::Server server;
  std::string path, body;
  server.Post(R"(/hooks/(.*))", [&](const httplib::Request& req, httplib::Response& res) {
    path = req.path;
    body = req.body;
    res.status = req.path.find("fail") != std::string::npos ? 503 : 200;
    res.set_content("noted", "text/plain");
  });
  const int port = server.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  std::thread serving([&] { server.listen_after_bind(); });
  for (int i = 0; i < 500 && !server.is_running(); ++i) std::this_thread::sleep_for(milliseconds(10));
  ASSERT_TRUE(server.is_running());
  const std::string base = "http://127.0.0.1:" + std::to_string(port) + "/hooks/";
  HookOutcome ok = RunHook(HookSpec{{}, base + "{group}", 5000}, {{"event", "group_moved"}, {"group", "a b/c"}});
  EXPECT_TRUE(ok.ok) << ok.error;
  EXPECT_EQ(ok.http_status, 200);
  EXPECT_EQ(ok.output, "noted");
  EXPECT_EQ(path, "/hooks/a b/c");  // sent percent-encoded (a%20b%2Fc), decoded by the server
  EXPECT_EQ(body, R"({"event":"group_moved","group":"a b/c"})");
  HookOutcome failed = RunHook(HookSpec{{}, base + "fail", 5000}, {});
  EXPECT_FALSE(failed.ok);
  EXPECT_EQ(failed.http_status, 503);
  EXPECT_EQ(failed.error, "HTTP status 503");
  server.stop();
  serving.join();
}

}  // namespace
}  // namespace ferry::migration
