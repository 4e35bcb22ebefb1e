// `ferry demo` end to end, shortened: it must copy a live stream, cut a consumer group over mid-stream
// and pass its own verification; on the embedded clusters, and as `ferry demo --bootstrap-source …
// --bootstrap-target …` on real Kafka clusters, where it makes its own topics.
#include "worker/demo.h"

#include <regex>
#include <sstream>

#include <gtest/gtest.h>

#include "tests/support/two_clusters.h"
#include "tests/support/worker_harness.h"

namespace ferry::worker {
namespace {

using std::chrono::seconds;

TEST(DemoTest, MirrorsALiveStreamAndVerifiesEveryRecord) {
  DemoOptions options;
  options.produce_for = std::chrono::milliseconds(2000);
  options.records_per_second = 5000;
  options.progress = false;
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
}

TEST(DemoTest, OneNamedClusterWithoutTheOtherIsRefusedBeforeAnythingStarts) {
  DemoOptions options;
  options.source_bootstrap = "127.0.0.1:1";
  options.progress = false;
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
