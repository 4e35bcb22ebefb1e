// `ferry demo` end to end, shortened: it must copy a live stream, cut a consumer group over mid-stream
// and pass its own verification; on the embedded clusters, and as `ferry demo --bootstrap-source …
// --bootstrap-target …` on real Kafka clusters, where it makes its own topics. While it runs, its
// worker's REST API and metrics answer on the address it prints; its progress comes as plain lines
// when its output is not a terminal.
#include "worker/demo.h"

#include <atomic>
#include <regex>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "rest/server.h"
#include "tests/support/two_clusters.h"
#include "tests/support/worker_harness.h"

namespace ferry::worker {
namespace {

using std::chrono::seconds;
using ferry::testing::HttpOnce;

// What the prober beside the demo worker's REST server saw (it outlives the server).
struct Probed {
  std::atomic<int> root_status{0};
  std::atomic<int> ui_status{0};
  std::atomic<bool> metrics_showed_copies{false};
  std::string root_body, metrics_body;  // the last answers; written by the prober until it ends
};

// The demo worker's REST server as `ferry demo` starts it, with a prober beside it: from the moment
// the server is up, it asks the server for GET /, GET /ui and GET /metrics until the mirror's copy shows in
// the metrics, i.e. while the demo runs.
class ProbedRest : public DemoRestServer {
 public:
  ProbedRest(Herder& herder, cutover::CutoverService& cutover, Probed& probed)
      : server_(herder, Config(), &cutover), probed_(probed) {}
  ~ProbedRest() override {
    stop_ = true;
    if (prober_.joinable()) prober_.join();
  }
  Result<int> Start() {
    auto port = server_.Start();
    if (!port.ok()) return port;
    port_ = *port;
    prober_ = std::thread([this] { Probe(); });
    return port;
  }
  int port() const override { return port_; }

 private:
  static rest::RestConfig Config() {
    rest::RestConfig config;
    config.host = "127.0.0.1";
    config.port = 0;
    return config;
  }
  void Probe() {
    const std::regex copied(
        "kafka_connect_mirror_mirrorsourceconnector_record_count\\{[^}]*topic=\"onprem\\.orders\"[^}]*\\} [1-9]");
    for (int i = 0; i < 600 && !stop_ && !probed_.metrics_showed_copies; ++i) {  // 60 s at most
      const ferry::testing::HttpReply root = HttpOnce(port_, "GET", "/");
      const ferry::testing::HttpReply metrics = HttpOnce(port_, "GET", "/metrics");
      const ferry::testing::HttpReply ui = HttpOnce(port_, "GET", "/ui");
      if (root.status != 0) probed_.root_status = root.status;
      if (ui.status != 0) probed_.ui_status = ui.body.find("<html") != std::string::npos ? ui.status : -ui.status;
      probed_.root_body = root.body;
      probed_.metrics_body = metrics.body;
      if (metrics.status == 200 && std::regex_search(metrics.body, copied)) probed_.metrics_showed_copies = true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

  rest::Server server_;
  Probed& probed_;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread prober_;
};

TEST(DemoTest, MirrorsALiveStreamAndVerifiesEveryRecord) {
  DemoOptions options;
  options.produce_for = std::chrono::milliseconds(3000);
  options.records_per_second = 5000;
  options.progress = ProgressMode::kPlain;
  Probed probed;
  bool started_rest = false;
  options.rest = [&](Herder& herder, cutover::CutoverService& cutover,
                     int port) -> Result<std::unique_ptr<DemoRestServer>> {
    EXPECT_EQ(port, 0);
    auto server = std::make_unique<ProbedRest>(herder, cutover, probed);
    auto started = server->Start();
    if (!started.ok()) return started.error();
    started_rest = true;
    return std::unique_ptr<DemoRestServer>(std::move(server));
  };
  std::ostringstream out;
  auto report = RunDemo(options, out);
  ASSERT_TRUE(report.ok()) << report.error().ToString() << "\n" << out.str();
  EXPECT_GT(report->records, 5000);
  EXPECT_EQ(report->verified_partitions, 12);
  EXPECT_NE(out.str().find("verification       PASSED"), std::string::npos) << out.str();
  // The cutover act: the group read on both clusters, and every record exactly once.
  EXPECT_GT(report->group_records_on_source, 0);
  EXPECT_GT(report->group_records_on_target, 0);
  EXPECT_NE(out.str().find("PASSED: every record of orders read exactly once"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("refused while the group still read on the source: group 'billing' has 1 active member(s)"),
            std::string::npos)
      << out.str();
  EXPECT_TRUE(report->source_topics_created.empty()) << "nothing to list on the embedded clusters";

  // The status page's address was printed, and the worker answered on it while the mirror copied.
  ASSERT_TRUE(started_rest);
  EXPECT_NE(out.str().find("status page:  http://127.0.0.1:" + std::to_string(report->rest_port) + "/ui"),
            std::string::npos)
      << out.str();
  EXPECT_EQ(probed.root_status, 200) << probed.root_body;
  EXPECT_EQ(probed.ui_status, 200) << "GET /ui did not answer the status page (negative: an answer without <html)";
  EXPECT_TRUE(probed.metrics_showed_copies) << "no copies of onprem.orders in GET /metrics during the run:\n"
                                            << probed.metrics_body;

  // Not a terminal: plain lines, no escape codes, at most one progress line a second; the cutover
  // marked where it happened.
  const std::string& text = out.str();
  EXPECT_EQ(text.find('\x1b'), std::string::npos) << text;
  EXPECT_EQ(text.find('\r'), std::string::npos) << text;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(text, m, std::regex(">> T\\+[0-9.]+ s  CUTOVER: group 'billing' moved to the target")))
      << text;
  // (The last line, "caught up", comes whenever the copy is complete.)
  const std::regex progress_line("\n  T\\+([0-9.]+) s (live: the producer writes, the mirror copies|catching up): "
                                 "orders ([0-9,]+)/([0-9,]+) copied, [0-9,]+ rec/s, lag ");
  int lines = 0;
  double last = -1;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), progress_line); it != std::sregex_iterator(); ++it) {
    const double at = std::stod((*it)[1]);
    EXPECT_GE(at - last, 0.89) << "two progress lines within a second (times rounded to 0.1 s):\n" << text;
    last = at;
    ++lines;
  }
  EXPECT_GE(lines, 3) << text;
  EXPECT_LE(lines, static_cast<int>(report->seconds) + 2) << text;
  EXPECT_NE(text.find("caught up: orders"), std::string::npos) << text;
}

TEST(DemoProgressTest, CopiedFiguresAreTheExpositionsSumsPerRemoteTopic) {
  const std::string text =
      "# HELP kafka_connect_mirror_mirrorsourceconnector_record_count Records.\n"
      "# TYPE kafka_connect_mirror_mirrorsourceconnector_record_count gauge\n"
      "kafka_connect_mirror_mirrorsourceconnector_record_count{target=\"cloud\",topic=\"onprem.orders\",partition=\"0\"} 120\n"
      "kafka_connect_mirror_mirrorsourceconnector_record_count{target=\"cloud\",topic=\"onprem.orders\",partition=\"1\"} 30\n"
      "kafka_connect_mirror_mirrorsourceconnector_record_count{target=\"cloud\",topic=\"onprem.clicks\",partition=\"0\"} 7\n"
      "kafka_connect_mirror_mirrorsourceconnector_record_rate{target=\"cloud\",topic=\"onprem.orders\",partition=\"0\"} 99\n"
      "ferry_mirror_lag_records{source=\"onprem\",target=\"cloud\",topic=\"onprem.orders\",partition=\"0\"} 5\n"
      "ferry_mirror_lag_records{source=\"onprem\",target=\"cloud\",topic=\"onprem.orders\",partition=\"1\"} 2\n"
      "ferry_mirror_lag_records{source=\"on\\\"prem\",target=\"cloud\",topic=\"a\\\\b\",partition=\"1\"} 4\n";
  const std::map<std::string, CopiedFigures> figures = ReadCopiedFigures(text);
  ASSERT_EQ(figures.size(), 3u);
  EXPECT_EQ(figures.at("onprem.orders").copied, 150);
  EXPECT_EQ(figures.at("onprem.orders").lag, 7);
  EXPECT_EQ(figures.at("onprem.clicks").copied, 7);
  EXPECT_EQ(figures.at("onprem.clicks").lag, std::nullopt) << "no lag sample yet: unknown, not 0";
  EXPECT_EQ(figures.at("a\\b").lag, 4) << "escaped label values";
}

TEST(DemoProgressTest, ATerminalBoardIsRedrawnInPlaceAndAnEventStaysAboveIt) {
  std::ostringstream out;
  ProgressBoard board(ProgressMode::kLive, out);
  std::vector<TopicProgress> topics = {{"orders", 1000, {400, 600}}, {"payments", 1000, {1000, 0}}};
  board.Update(1.0, "live", topics, "group 'billing' reads orders on the source");
  const std::string first = out.str();
  EXPECT_EQ(first.find("\x1b[3F"), std::string::npos) << "nothing to move over yet";
  EXPECT_NE(first.find("orders   [##########--------------]         400 of 1,000"), std::string::npos) << first;
  EXPECT_NE(first.find("lag 600"), std::string::npos) << first;
  board.Update(1.5, "live", topics, "");
  EXPECT_EQ(out.str().substr(first.size(), 4), "\x1b[4F") << "back over the 4 lines drawn";
  board.Event(2.0, "CUTOVER: group 'billing' moved");
  EXPECT_NE(out.str().find(">> T+2.0 s  CUTOVER"), std::string::npos) << out.str();
  topics[0].figures.copied = 900;
  board.Update(2.5, "live", topics, "");
  const std::string last = out.str().substr(out.str().rfind(">> T+2.0 s"));
  EXPECT_EQ(last.find("\x1b[3F"), std::string::npos) << "the event line is not drawn over: " << last;
  // 500 records in the second between 1.5 s and 2.5 s.
  EXPECT_NE(last.find("900 of 1,000       copied       500 rec/s"), std::string::npos) << last;
}

TEST(DemoProgressTest, PlainLinesComeAtMostOnceASecondAndTheLastAlways) {
  std::ostringstream out;
  ProgressBoard board(ProgressMode::kPlain, out);
  std::vector<TopicProgress> topics = {{"orders", 100, {50, std::nullopt}}};
  for (int i = 0; i <= 10; ++i) board.Update(0.25 * i, "live", topics, "");  // 0 .. 2.5 s
  board.Finish(2.6, "caught up", topics, "");
  const std::string text = out.str();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 4) << text;  // at 0, 1, 2 s and the last
  EXPECT_NE(text.find("  T+2.6 s caught up: orders 50/100 copied, 0 rec/s, lag -;"), std::string::npos) << text;
  EXPECT_EQ(text.find('\x1b'), std::string::npos) << text;
}

TEST(DemoTest, OneNamedClusterWithoutTheOtherIsRefusedBeforeAnythingStarts) {
  DemoOptions options;
  options.source_bootstrap = "127.0.0.1:1";
  options.progress = ProgressMode::kOff;
  std::ostringstream out;
  auto report = RunDemo(options, out);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.error().code(), ErrorCode::kInvalidConfig) << report.error().ToString();
  EXPECT_NE(report.error().ToString().find("--bootstrap-target"), std::string::npos) << report.error().ToString();
  EXPECT_EQ(out.str(), "");
}

class DemoOnRealKafkaTest : public ferry::testing::TwoClustersTest {
 protected:
  DemoOnRealKafkaTest() : TwoClustersTest(ferry::testing::Peer::kRealKafka) {}
};

TEST_F(DemoOnRealKafkaTest, FerryDemoOnNamedClustersMakesItsOwnTopicsAndPassesItsVerification) {
  const ferry::testing::CommandResult run =
      ferry::testing::RunFerry({"demo", "--bootstrap-source=" + source().bootstrap_servers(),
                                "--bootstrap-target=" + target().bootstrap_servers(), "--demo_seconds=3",
                                "--demo_rate=3000"},
                               seconds(240), /*with_stderr=*/false);  // the report only: logs would interleave
  ASSERT_EQ(run.exit_code, 0) << run.out;
  const std::string& out = run.out;
  EXPECT_NE(out.find("(Kafka clusters named on the command line)"), std::string::npos) << out;
  EXPECT_NE(out.find("verification       PASSED: 12 partitions identical"), std::string::npos) << out;
  EXPECT_NE(out.find("(the group's state came from the brokers: DescribeGroups)"), std::string::npos) << out;
  // Not a terminal: plain progress lines, the cutover marked, the status page's address printed.
  EXPECT_EQ(out.find('\x1b'), std::string::npos) << out;
  EXPECT_TRUE(std::regex_search(out, std::regex("\n  T\\+[0-9.]+ s live: the producer writes, the mirror copies: orders-")))
      << out;
  EXPECT_TRUE(std::regex_search(out, std::regex(">> T\\+[0-9.]+ s  CUTOVER: group 'billing-"))) << out;
  EXPECT_TRUE(std::regex_search(out, std::regex("status page:  http://127\\.0\\.0\\.1:[0-9]+/ui"))) << out;

  // Every name of the run carries its suffix; the report lists the topics it made.
  std::smatch m;
  ASSERT_TRUE(std::regex_search(out, m, std::regex("names ending in -([0-9a-f]{8})"))) << out;
  const std::string suffix = m[1];
  const std::string orders = "orders-" + suffix;
  const std::string remote = "onprem-" + suffix + "." + orders;
  EXPECT_NE(out.find("PASSED: every record of " + orders + " read exactly once"), std::string::npos) << out;
  EXPECT_NE(out.find("refused while the group still read on the source: group 'billing-" + suffix +
                     "' has 1 active member(s)"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("on the source: " + orders + ", payments-" + suffix + ", clicks-" + suffix), std::string::npos)
      << out;
  EXPECT_NE(out.find("on the target: " + remote), std::string::npos) << out;
  EXPECT_NE(out.find("ferry-cutovers.onprem-" + suffix + ".internal"), std::string::npos) << out;

  // The topics are there, left in place, and the copy holds what the source holds.
  for (int p = 0; p < 4; ++p) {
    const kafka::Watermarks src = source().WatermarksOf({orders, p});
    const kafka::Watermarks tgt = target().WatermarksOf({remote, p});
    EXPECT_GT(src.high, 0) << orders << "-" << p;
    EXPECT_EQ(tgt.high - tgt.low, src.high - src.low) << remote << "-" << p;
  }
}

}  // namespace
}  // namespace ferry::worker
