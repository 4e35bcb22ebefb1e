// `ferry demo` end to end, shortened: it must copy a live stream, cut a consumer group over mid-stream
// and pass its own verification.
#include "worker/demo.h"

#include <sstream>

#include <gtest/gtest.h>

namespace ferry::worker {
namespace {

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
}

}  // namespace
}  // namespace ferry::worker
