#include "worker/common/metrics.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "worker/common/sampled_stat.h"

namespace ferry::metrics {
namespace {

TEST(MetricsTest, NamesFollowStrimzisExporterRules) {
  EXPECT_EQ(JmxName(MBean::kMirrorSourceConnector, "record-count"),
            "kafka_connect_mirror_mirrorsourceconnector_record_count");
  EXPECT_EQ(JmxName(MBean::kMirrorSourceConnector, "replication-latency-ms-max"),
            "kafka_connect_mirror_mirrorsourceconnector_replication_latency_ms_max");
  EXPECT_EQ(JmxName(MBean::kMirrorCheckpointConnector, "checkpoint-latency-ms-avg"),
            "kafka_connect_mirror_mirrorcheckpointconnector_checkpoint_latency_ms_avg");
  EXPECT_EQ(JmxName(MBean::kConnectWorker, "connector-running-task-count"),
            "kafka_connect_worker_connector_running_task_count");
  EXPECT_EQ(JmxName(MBean::kConnectWorkerRebalance, "completed-rebalances-total"),
            "kafka_connect_worker_rebalance_completed_rebalances_total");
  EXPECT_EQ(JmxName(MBean::kConnectorTask, "offset-commit-avg-time-ms"),
            "kafka_connect_connector_task_offset_commit_avg_time_ms");
  EXPECT_EQ(JmxName(MBean::kConnector, "status"), "kafka_connect_connector_status");
}

TEST(MetricsTest, SafeNameLowersReplacesAndSquashes) {
  EXPECT_EQ(SafeName("Kafka.Connect--Mirror"), "kafka_connect_mirror");
  EXPECT_EQ(SafeName("a b:c"), "a_b:c");
}

TEST(MetricsTest, OneFamilyPerNameWithHelpAndTypeOnce) {
  Exposition out;
  out.Add("b_total", "B things.", Type::kCounter, {{"x", "1"}}, 3);
  out.Add("a_gauge", "A.", Type::kGauge, {}, 1.5);
  out.Add("b_total", "B things.", Type::kCounter, {{"x", "2"}}, 4);
  EXPECT_EQ(out.families(), 2u);
  EXPECT_EQ(out.Text(),
            "# HELP a_gauge A.\n"
            "# TYPE a_gauge gauge\n"
            "a_gauge 1.5\n"
            "# HELP b_total B things.\n"
            "# TYPE b_total counter\n"
            "b_total{x=\"1\"} 3\n"
            "b_total{x=\"2\"} 4\n");
}

TEST(MetricsTest, EscapesLabelValuesAndHelp) {
  Exposition out;
  out.Add("m", "Line one\nback\\slash \"quoted\"", Type::kUntyped,
          {{"group", "a\"b\\c\nd"}, {"bad", std::string("x\xff", 2)}}, 0);
  EXPECT_EQ(out.Text(),
            "# HELP m Line one\\nback\\\\slash \"quoted\"\n"
            "# TYPE m untyped\n"
            "m{group=\"a\\\"b\\\\c\\nd\",bad=\"x\xEF\xBF\xBD\"} 0\n");
}

TEST(MetricsTest, FormatsValues) {
  EXPECT_EQ(FormatValue(0), "0");
  EXPECT_EQ(FormatValue(-12), "-12");
  EXPECT_EQ(FormatValue(1234567890123.0), "1234567890123");
  EXPECT_EQ(FormatValue(0.25), "0.25");
  EXPECT_EQ(FormatValue(1e300), "1e+300");
  EXPECT_EQ(FormatValue(std::numeric_limits<double>::quiet_NaN()), "NaN");
  EXPECT_EQ(FormatValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatValue(-std::numeric_limits<double>::infinity()), "-Inf");
}

TEST(MetricsTest, BaseLabelsComeFirst) {
  Exposition out;
  out.set_base_labels({{"flow", "A->B"}});
  out.Add("m", "M.", Type::kGauge, {{"x", "1"}}, 1);
  EXPECT_EQ(out.Text(), "# HELP m M.\n# TYPE m gauge\nm{flow=\"A->B\",x=\"1\"} 1\n");
}

TEST(MetricsTest, NothingToShowIsEmpty) { EXPECT_EQ(Exposition().Text(), ""); }

TEST(MetricsDeathTest, OneNameHasOneType) {
  Exposition out;
  out.Add("m", "M.", Type::kGauge, {}, 1);
  EXPECT_DEATH(out.Add("m", "M.", Type::kCounter, {}, 1), "added as counter and as gauge");
  EXPECT_DEATH(out.Add("bad-name", "M.", Type::kGauge, {}, 1), "invalid metric name");
  EXPECT_DEATH(out.Add("m", "M.", Type::kGauge, {{"__x", "1"}}, 1), "invalid label name");
}

TEST(SampledStatTest, WindowsAsKafkaSamplesThem) {
  SampledStat stat;
  SampledStat::Measure none = stat.At(1000);
  EXPECT_EQ(none.count, 0);
  EXPECT_TRUE(std::isnan(none.max) && std::isnan(none.min) && std::isnan(none.avg));
  EXPECT_EQ(none.rate, 0);
  EXPECT_EQ(stat.last(), 0);

  stat.Record(10, 1000);
  stat.Record(30, 2000);
  SampledStat::Measure m = stat.At(2000);
  EXPECT_EQ(m.count, 2);
  EXPECT_EQ(m.min, 10);
  EXPECT_EQ(m.max, 30);
  EXPECT_EQ(m.avg, 20);
  EXPECT_DOUBLE_EQ(m.rate, 40.0 / 31.0);  // 1 s passed, counted as 31 s (one window more)
  EXPECT_EQ(stat.last(), 30);

  stat.Record(5, 31'000);  // a new window; the first stays for another 30 s
  m = stat.At(31'000);
  EXPECT_EQ(m.count, 3);
  EXPECT_EQ(m.min, 5);
  EXPECT_DOUBLE_EQ(m.rate, 45.0 / 30.0);

  m = stat.At(61'000);  // the first window (from 1000) has aged out
  EXPECT_EQ(m.count, 1);
  EXPECT_EQ(m.max, 5);
  m = stat.At(91'000);  // and the second
  EXPECT_EQ(m.count, 0);
  EXPECT_TRUE(std::isnan(m.max));
  EXPECT_EQ(stat.last(), 5);
}

}  // namespace
}  // namespace ferry::metrics
