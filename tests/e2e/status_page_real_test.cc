// The status page (GET /ui) in headless Chromium against a worker mirroring live data on real Kafka:
// the page loads without a console error (nor a failed load or a Content-Security-Policy violation),
// shows the mirror RUNNING with its task and worker, its throughput plot gains points while a producer
// writes, the group a checkpoint connector follows appears with its plan, and shows up as cut over once
// moved through the cutover route; the offset map's coverage of the topic is shown. Skipped only when
// no `chromium` is installed (`make deps` installs Debian's). With FERRY_UI_SCREENSHOT=<file.png> it
// also saves what the page shows, after a minute more with a burst of records (docs/status-page.png).
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include <gtest/gtest.h>

#include "tests/support/headless_chromium.h"
#include "tests/support/mirror_worker_test.h"
#include "worker/kafka/record_io.h"

namespace ferry::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class StatusPageFixture : public MirrorWorkerTest {
 protected:
  explicit StatusPageFixture(Peer peer)
      : MirrorWorkerTest(peer), group_(Name("billing")), mirror_(Name("mirror")), checkpoints_(Name("checkpoints")) {}

  void TearDown() override {
    stop_producing_ = true;
    if (producer_.joinable()) producer_.join();
    browser_.reset();
    worker_.reset();
  }

  // About 100 records a second to partition 0 of orders_ on the source (and on the target too with
  // `both`), stamped now, until TearDown; as fast as it can while burst_until_ is ahead.
  void StartProducing(bool both = false) {
    std::vector<std::string> clusters = {source().bootstrap_servers()};
    if (both) clusters.push_back(target().bootstrap_servers());
    producer_ = std::thread([this, clusters] {
      std::vector<std::unique_ptr<kafka::RecordWriter>> writers;
      for (const std::string& bootstrap : clusters) {
        auto writer = kafka::RecordWriter::Create(bootstrap, {{"linger.ms", "5"}});
        if (!writer.ok()) {
          produce_error_ = writer.error().ToString();
          return;
        }
        writers.push_back(std::move(*writer));
      }
      for (int64_t n = 0; !stop_producing_; ++n) {
        kafka::Record r;
        r.key = "k" + std::to_string(n);
        r.value = std::string(100, static_cast<char>('a' + n % 26));
        r.timestamp = std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
        for (auto& writer : writers) {
          if (auto sent = writer->Send(orders_, 0, r); !sent.ok()) {
            produce_error_ = sent.error().ToString();
            return;
          }
        }
        produced_ = n + 1;
        if (n % 10 == 9 && n >= burst_until_) std::this_thread::sleep_for(milliseconds(100));
      }
      for (auto& writer : writers) (void)writer->Flush(seconds(10));
    });
  }

  // What the page shows, for a failure's message.
  std::string Shown() {
    std::string out = browser_->Evaluate("document.querySelector('main').innerText").value_or("(no answer)");
    for (const std::string& line : browser_->console()) out += "\n  " + line;
    return out;
  }

  const std::string group_;
  const std::string mirror_;
  const std::string checkpoints_;
  std::unique_ptr<InProcessWorker> worker_;
  std::unique_ptr<HeadlessChromium> browser_;
  std::thread producer_;
  std::atomic<bool> stop_producing_{false};
  std::atomic<int64_t> produced_{0};
  std::atomic<int64_t> burst_until_{0};  // the producer does not pause until it has written this many
  std::string produce_error_;  // written by the producer thread, read after join
};

using StatusPageTest = OnPeers<StatusPageFixture>;
INSTANTIATE_TEST_SUITE_P(RealKafka, StatusPageTest, ::testing::Values(Peer::kRealKafka), PeerName);

TEST_P(StatusPageTest, ShowsTheMirrorRunningItsThroughputMovingAndACutover) {
  const std::string chromium = HeadlessChromium::Find();
  if (chromium.empty()) GTEST_SKIP() << "chromium is not installed (Debian's `chromium`; `make deps` installs it)";
  SetUpMirror(1);
  if (IsSkipped() || HasFatalFailure()) return;
  worker_ = InProcessWorker::Start(worker_props_, cutover::KafkaClusterClients(seconds(10)));
  ASSERT_NE(worker_, nullptr);
  const int port = worker_->port();
  Produce(source(), orders_, 0, MakeRecords(0, 100));
  ASSERT_EQ(Http(port, "PUT", "/connectors/" + mirror_ + "/config", MirrorConfig(1)).status, 201);
  ASSERT_TRUE(WaitForConnectorStatus(port, mirror_, "RUNNING", 1, "RUNNING"));
  StartProducing();
  // An application's group read 50 records on the source and stopped (no members left); MM2's
  // checkpoint connector follows it (the page finds the group in its checkpoint metrics) and reads
  // the offset map (the page's coverage panel).
  ASSERT_EQ(ConsumeAndCommit(source().bootstrap_servers(), group_, {orders_, 0}, 50).size(), 50u);
  const std::string checkpoints =
      "{\"connector.class\":\"MirrorCheckpointConnector\",\"source.cluster.alias\":\"A\",\"target.cluster.alias\":\"B\","
      "\"groups\":" + json::Quote(group_) + ",\"emit.checkpoints.interval.seconds\":\"1\","
      "\"source.cluster.bootstrap.servers\":" + json::Quote(source().bootstrap_servers()) + ","
      "\"target.cluster.bootstrap.servers\":" + json::Quote(target().bootstrap_servers()) + ReplicationFactors() + "}";
  ASSERT_EQ(Http(port, "PUT", "/connectors/" + checkpoints_ + "/config", checkpoints).status, 201);

  std::string error;
  browser_ = HeadlessChromium::Start(chromium, 1200, 1250, error);
  ASSERT_NE(browser_, nullptr) << error;
  const auto started = std::chrono::steady_clock::now();
  ASSERT_TRUE(browser_->Navigate("http://127.0.0.1:" + std::to_string(port) + "/ui"))
      << browser_->last_error();

  // The connector and its task RUNNING, on this worker.
  const std::string running =
      "[...document.querySelectorAll('#connectors tr')].some(r => r.textContent.includes(" + json::Quote(mirror_) +
      ") && r.querySelectorAll('.state-RUNNING').length === 2)";
  EXPECT_TRUE(browser_->WaitUntil(running, seconds(15))) << Shown();
  EXPECT_TRUE(browser_->WaitUntil("document.querySelector('#workers table') !== null", seconds(5))) << Shown();

  // The throughput plot's last point: records flow, and a later point follows.
  const std::string flowing = "(() => { const d = document.getElementById('plot-rate').dataset;"
                              " return Number(d.points) >= 2 && Number(d.lastValue) > 0; })()";
  ASSERT_TRUE(browser_->WaitUntil(flowing, seconds(20))) << Shown();
  // A number, as text JSON writes without quotes.
  const std::string first = browser_->Evaluate("Number(document.getElementById('plot-rate').dataset.lastTime)").value_or("0");
  const std::string moved = "(() => { const d = document.getElementById('plot-rate').dataset;"
                            " return Number(d.lastTime) > " + first + " && Number(d.lastValue) > 0 &&"
                            " document.querySelectorAll('#plot-rate path').length > 0; })()";
  EXPECT_TRUE(browser_->WaitUntil(moved, seconds(10))) << "last point at " << first << "\n" << Shown();
  EXPECT_TRUE(browser_->WaitUntil("document.getElementById('legend').textContent.includes(" +
                                      json::Quote(remote_orders_) + ")", seconds(5)))
      << Shown();

  // The group, on the source with a plan; then cut over through the route, and the page follows.
  const std::string group = "document.querySelector('#groups [data-group=' + JSON.stringify(" + json::Quote(group_) +
                            ") + ']')";
  EXPECT_TRUE(browser_->WaitUntil(group + "?.dataset.position === 'source' && " + group +
                                      ".textContent.includes('plan for a cutover')", seconds(40)))
      << Shown();
  HttpReply moved_group = Http(port, "POST", "/ferry/groups/" + group_ + "/cutover?wait_ms=30000");
  ASSERT_EQ(moved_group.status, 200) << moved_group.body;
  EXPECT_TRUE(browser_->WaitUntil(group + "?.dataset.position === 'target' && " + group +
                                      ".textContent.includes('cut over') && " + group +
                                      ".textContent.includes('plan for a rollback')", seconds(25)))
      << Shown();
  // The journal's state, from ferry_cutover_group_state in /metrics.
  EXPECT_TRUE(browser_->WaitUntil(group + "?.querySelector('.journal .state-done') !== null && " + group +
                                      ".querySelector('.journal').textContent.includes('cutover')", seconds(15)))
      << Shown();
  std::cout << "[ measure  ] from opening the page to the cutover shown: "
            << std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - started).count() << " ms"
            << std::endl;
  // The offset map's coverage of the topic: its one partition, mapped from the first copy.
  EXPECT_TRUE(browser_->WaitUntil("[...document.querySelectorAll('#coverage tr')].some(r => r.cells[0].textContent === " +
                                      json::Quote(remote_orders_) + " && r.cells[1].textContent === '1')", seconds(10)))
      << Shown();

  EXPECT_TRUE(browser_->page_errors().empty()) << "the page's errors:\n" << ::testing::PrintToString(browser_->page_errors())
                                               << "\n" << Shown();
  if (std::getenv("FERRY_UI_SCREENSHOT") != nullptr) {
    // For the picture: a minute more of history, with a burst of 30,000 records the mirror lags behind.
    std::this_thread::sleep_for(seconds(20));
    burst_until_ = produced_ + 30'000;
    std::this_thread::sleep_for(seconds(40));
  }
  const std::optional<std::string> png = browser_->Screenshot();
  ASSERT_TRUE(png) << browser_->last_error();
  EXPECT_EQ(png->substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  if (const char* path = std::getenv("FERRY_UI_SCREENSHOT")) {
    std::ofstream(path, std::ios::binary) << *png;
    std::cout << "[ saved    ] the page as " << path << std::endl;
  }
  stop_producing_ = true;
  producer_.join();
  EXPECT_EQ(produce_error_, "");
}

// `ferry mirror-maker` with two flows (A->B and B->A, MM2's two-way example): the page shows both
// flows' connectors and both remote topics in its plots, and says that no cutover routes are served.
TEST_P(StatusPageTest, ShowsEveryFlowOfMirrorMaker) {
  const std::string chromium = HeadlessChromium::Find();
  if (chromium.empty()) GTEST_SKIP() << "chromium is not installed (Debian's `chromium`; `make deps` installs it)";
  TwoClustersTest::SetUp();
  if (IsSkipped() || HasFatalFailure()) return;
  const std::string dir = ::testing::TempDir() + "/ferry-ui-mm-" + std::to_string(getpid()) + "-" + UniqueName("t");
  std::filesystem::create_directories(dir);
  const std::string a = UniqueName("A");
  const std::string b = UniqueName("B");
  ASSERT_TRUE(source().CreateTopic(orders_, 1, KeepRecords()).ok());
  ASSERT_TRUE(target().CreateTopic(orders_, 1, KeepRecords()).ok());
  Produce(source(), orders_, 0, MakeRecords(0, 300));
  Produce(target(), orders_, 0, MakeRecords(0, 200));
  const std::string file = dir + "/mm2.properties";
  std::ofstream(file) << "clusters = " << a << ", " << b << "\n"
                      << a << ".bootstrap.servers = " << source().bootstrap_servers() << "\n"
                      << b << ".bootstrap.servers = " << target().bootstrap_servers() << "\n"
                      << a << "->" << b << ".enabled = true\n" << a << "->" << b << ".topics = " << orders_ << "\n"
                      << b << "->" << a << ".enabled = true\n" << b << "->" << a << ".topics = " << orders_ << "\n"
                      << "replication.factor=1\ncheckpoints.topic.replication.factor=1\n"
                      << "heartbeats.topic.replication.factor=1\noffset-syncs.topic.replication.factor=1\n"
                      << "offset.storage.replication.factor=1\nstatus.storage.replication.factor=1\n"
                      << "config.storage.replication.factor=1\n";
  auto node = WorkerProcess::Start({"mirror-maker", file}, dir + "/node.log");
  ASSERT_NE(node, nullptr);
  // Both topics the busiest of their flows (the clusters' heartbeats topics of earlier runs are mirrored too).
  StartProducing(true);

  std::string error;
  browser_ = HeadlessChromium::Start(chromium, 1200, 1250, error);
  ASSERT_NE(browser_, nullptr) << error;
  ASSERT_TRUE(browser_->Navigate("http://127.0.0.1:" + std::to_string(node->port()) + "/ui")) << browser_->last_error();
  for (const std::string& flow : {a + "->" + b, b + "->" + a}) {
    // The flow's heading, then its table with the MirrorSourceConnector and its task RUNNING.
    const std::string shown =
        "(() => { const h = [...document.querySelectorAll('#connectors h3')].find(h => h.textContent === 'flow ' + " +
        json::Quote(flow) + "); const t = h && h.nextElementSibling;"
        " return !!t && [...t.querySelectorAll('tr')].some(r => r.textContent.includes('MirrorSourceConnector') &&"
        " r.querySelectorAll('.state-RUNNING').length >= 2); })()";
    EXPECT_TRUE(browser_->WaitUntil(shown, seconds(60))) << flow << "\n" << Shown();
  }
  for (const std::string& topic : {a + "->" + b + " " + a + "." + orders_, b + "->" + a + " " + b + "." + orders_}) {
    EXPECT_TRUE(browser_->WaitUntil("document.getElementById('legend').textContent.includes(" + json::Quote(topic) + ")",
                                    seconds(30)))
        << topic << "\n" << Shown();
  }
  EXPECT_TRUE(browser_->WaitUntil("document.getElementById('groups').textContent.includes('does not serve the cutover routes')",
                                  seconds(15)))
      << Shown();
  EXPECT_TRUE(browser_->page_errors().empty()) << "the page's errors:\n" << ::testing::PrintToString(browser_->page_errors())
                                               << "\n" << Shown();
  browser_.reset();
  EXPECT_EQ(node->Terminate(), 0);
  stop_producing_ = true;
  producer_.join();
  EXPECT_EQ(produce_error_, "");
}

}  // namespace
}  // namespace ferry::testing
