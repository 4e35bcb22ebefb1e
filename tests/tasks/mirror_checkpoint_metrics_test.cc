#include <gtest/gtest.h>

#include "tasks/mirror_checkpoint_task.h"

namespace ferry::tasks {
namespace {

TEST(MirrorCheckpointMetricsTest, LatencyPerGroupAndPartitionUnderMm2sNames) {
  constexpr int64_t kNow = 1'700'000'000'000;
  CheckpointLatencies latencies;
  latencies[{"billing", TopicPartition{"A.orders", 0}}].Record(12, kNow - 2000);
  latencies[{"billing", TopicPartition{"A.orders", 0}}].Record(8, kNow - 1000);
  latencies[{"audit \"x\"", TopicPartition{"A.orders", 3}}].Record(5, kNow - 100'000);  // aged out
  metrics::Exposition out;
  AddCheckpointMetrics(latencies, "A", "B", kNow, out);
  const std::string text = out.Text();
  const std::string billing = "{source=\"A\",target=\"B\",group=\"billing\",topic=\"A.orders\",partition=\"0\"}";
  const std::string audit = "{source=\"A\",target=\"B\",group=\"audit \\\"x\\\"\",topic=\"A.orders\",partition=\"3\"}";
  const std::string name = "kafka_connect_mirror_mirrorcheckpointconnector_checkpoint_latency_ms";
  EXPECT_NE(text.find("# TYPE " + name + " gauge\n"), std::string::npos) << text;
  EXPECT_NE(text.find(name + billing + " 8\n"), std::string::npos) << text;
  EXPECT_NE(text.find(name + "_max" + billing + " 12\n"), std::string::npos);
  EXPECT_NE(text.find(name + "_min" + billing + " 8\n"), std::string::npos);
  EXPECT_NE(text.find(name + "_avg" + billing + " 10\n"), std::string::npos);
  EXPECT_NE(text.find(name + audit + " 5\n"), std::string::npos) << "the last value stays";
  EXPECT_NE(text.find(name + "_max" + audit + " NaN\n"), std::string::npos) << "nothing in the windows";
  EXPECT_EQ(out.families(), 4u);
}

}  // namespace
}  // namespace ferry::tasks
