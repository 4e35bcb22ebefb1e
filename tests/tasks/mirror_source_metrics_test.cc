#include "tasks/mirror_source_metrics.h"

#include <gtest/gtest.h>

namespace ferry::tasks {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;

MirrorTaskStats TwoPartitions() {
  MirrorTaskStats stats;
  PartitionProgress& p0 = stats.partitions[TopicPartition{"orders", 0}];
  p0.committed = 120;
  p0.source_high = 150;
  p0.metrics.records = 120;
  p0.metrics.value_bytes = 12'000;
  p0.metrics.last_copied_timestamp_ms = kNow - 2500;
  for (int i = 0; i < 120; ++i) {
    p0.metrics.record_rate.Record(1, kNow - 1000);
    p0.metrics.byte_rate.Record(100, kNow - 1000);
  }
  p0.metrics.record_age_ms.Record(40, kNow - 1000);
  p0.metrics.record_age_ms.Record(20, kNow - 900);
  p0.metrics.replication_latency_ms.Record(50, kNow - 1000);
  p0.metrics.replication_latency_ms.Record(70, kNow - 900);
  PartitionProgress& p1 = stats.partitions[TopicPartition{"orders", 1}];
  p1.metrics.lost_records = 7;  // nothing copied, watermark unknown
  return stats;
}

std::string Text(const MirrorTaskStats& stats) {
  metrics::Exposition out;
  AddMirrorSourceMetrics(stats, "A", "B", connectors::DefaultReplicationPolicy(), kNow, out);
  return out.Text();
}

TEST(MirrorSourceMetricsTest, Mm2NamesAndLabelsPerPartition) {
  const std::string text = Text(TwoPartitions());
  const std::string p0 = "{target=\"B\",topic=\"A.orders\",partition=\"0\"}";
  EXPECT_NE(text.find("# TYPE kafka_connect_mirror_mirrorsourceconnector_record_count gauge\n"), std::string::npos);
  EXPECT_NE(text.find("kafka_connect_mirror_mirrorsourceconnector_record_count" + p0 + " 120\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("kafka_connect_mirror_mirrorsourceconnector_byte_count" + p0 + " 12000\n"), std::string::npos);
  // 120 records one second ago: Kafka's Rate divides by at least one window more (31 s).
  EXPECT_NE(text.find("kafka_connect_mirror_mirrorsourceconnector_record_rate" + p0 + " " +
                      metrics::FormatValue(120.0 / 31.0) + "\n"),
            std::string::npos);
  EXPECT_NE(text.find("kafka_connect_mirror_mirrorsourceconnector_record_age_ms" + p0 + " 20\n"), std::string::npos);
  EXPECT_NE(text.find("kafka_connect_mirror_mirrorsourceconnector_record_age_ms_max" + p0 + " 40\n"), std::string::npos);
  EXPECT_NE(text.find("kafka_connect_mirror_mirrorsourceconnector_record_age_ms_min" + p0 + " 20\n"), std::string::npos);
  EXPECT_NE(text.find("kafka_connect_mirror_mirrorsourceconnector_record_age_ms_avg" + p0 + " 30\n"), std::string::npos);
  EXPECT_NE(text.find("kafka_connect_mirror_mirrorsourceconnector_replication_latency_ms" + p0 + " 70\n"),
            std::string::npos);
  EXPECT_NE(text.find("kafka_connect_mirror_mirrorsourceconnector_replication_latency_ms_avg" + p0 + " 60\n"),
            std::string::npos);
  // A partition with nothing recorded: counts 0, windowed stats NaN (as Kafka's Min/Max/Avg).
  const std::string p1 = "{target=\"B\",topic=\"A.orders\",partition=\"1\"}";
  EXPECT_NE(text.find("kafka_connect_mirror_mirrorsourceconnector_record_count" + p1 + " 0\n"), std::string::npos);
  EXPECT_NE(text.find("kafka_connect_mirror_mirrorsourceconnector_record_age_ms_max" + p1 + " NaN\n"),
            std::string::npos);
}

TEST(MirrorSourceMetricsTest, FerrysLagAgeAndLostRecords) {
  const std::string text = Text(TwoPartitions());
  const std::string p0 = "{source=\"A\",target=\"B\",topic=\"A.orders\",partition=\"0\"}";
  const std::string p1 = "{source=\"A\",target=\"B\",topic=\"A.orders\",partition=\"1\"}";
  EXPECT_NE(text.find("ferry_mirror_lag_records" + p0 + " 30\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("ferry_mirror_lag_records" + p1), std::string::npos) << "lag unknown: no sample";
  EXPECT_NE(text.find("ferry_mirror_last_copied_record_age_seconds" + p0 + " 2.5\n"), std::string::npos);
  EXPECT_EQ(text.find("ferry_mirror_last_copied_record_age_seconds" + p1), std::string::npos);
  EXPECT_NE(text.find("# TYPE ferry_mirror_lost_records_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("ferry_mirror_lost_records_total" + p0 + " 0\n"), std::string::npos);
  EXPECT_NE(text.find("ferry_mirror_lost_records_total" + p1 + " 7\n"), std::string::npos);
}

// Lag in seconds: the last copied record's age while records wait, 0 when none does, no sample
// while the lag or (with records waiting) the last copy is unknown.
TEST(MirrorSourceMetricsTest, LagInSecondsIsTheLastCopysAgeWhileRecordsWait) {
  MirrorTaskStats stats = TwoPartitions();
  PartitionProgress& caught_up = stats.partitions[TopicPartition{"orders", 2}];
  caught_up.committed = caught_up.source_high = 500;
  caught_up.metrics.last_copied_timestamp_ms = kNow - 3'600'000;  // a quiet source, not a late copy
  PartitionProgress& nothing_copied = stats.partitions[TopicPartition{"orders", 3}];
  nothing_copied.committed = 10;  // a stored position, nothing copied by this task yet
  nothing_copied.source_high = 20;
  const std::string text = Text(stats);
  auto series = [](int p) {
    return "ferry_mirror_lag_seconds{source=\"A\",target=\"B\",topic=\"A.orders\",partition=\"" +
           std::to_string(p) + "\"}";
  };
  EXPECT_NE(text.find("# TYPE ferry_mirror_lag_seconds gauge\n"), std::string::npos) << text;
  EXPECT_NE(text.find(series(0) + " 2.5\n"), std::string::npos) << text;
  EXPECT_EQ(text.find(series(1)), std::string::npos) << "lag unknown";
  EXPECT_NE(text.find(series(2) + " 0\n"), std::string::npos) << "nothing waits";
  EXPECT_NE(text.find("ferry_mirror_last_copied_record_age_seconds{source=\"A\",target=\"B\",topic=\"A.orders\","
                      "partition=\"2\"} 3600\n"),
            std::string::npos);
  EXPECT_EQ(text.find(series(3)), std::string::npos) << "records wait, none copied: unknown";
}

// The offset-sync metrics from the writer's progress: the age of the last acknowledged sync, and
// the copies past it and for how long; a partition without a sync of this writer has none.
TEST(MirrorSourceMetricsTest, OffsetSyncAgeAndPendingCopiesPerPartition) {
  std::map<TopicPartition, OffsetSyncProgress> progress;
  OffsetSyncProgress& synced = progress[TopicPartition{"orders", 0}];  // every copy covered
  synced.first_target = 0;
  synced.acked_target = 99;
  synced.acked_ms = kNow - 1500;
  synced.copied_target = 100;
  OffsetSyncProgress& waiting = progress[TopicPartition{"orders", 1}];  // 40 copies past the last sync
  waiting.first_target = 1000;
  waiting.acked_target = 1059;
  waiting.acked_ms = kNow - 700'000;
  waiting.copied_target = 1100;
  waiting.pending_since_ms = kNow - 650'000;
  OffsetSyncProgress& unacked = progress[TopicPartition{"orders", 2}];  // its first sync not acknowledged
  unacked.first_target = 5;
  unacked.copied_target = 8;
  unacked.pending_since_ms = kNow - 2000;
  progress[TopicPartition{"orders", 3}].copied_target = 7;  // told of copies, never of a run: nothing
  OffsetSyncProgress& just_acked = progress[TopicPartition{"orders", 4}];  // acknowledged after the scrape's clock read
  just_acked.first_target = 0;
  just_acked.acked_target = 9;
  just_acked.acked_ms = kNow + 10;
  just_acked.copied_target = 10;
  metrics::Exposition out;
  AddOffsetSyncMetrics(progress, "A", "B", connectors::DefaultReplicationPolicy(), kNow, out);
  const std::string text = out.Text();
  auto labels = [](int p) {
    return "{source=\"A\",target=\"B\",topic=\"A.orders\",partition=\"" + std::to_string(p) + "\"}";
  };
  const std::string age = "ferry_mirror_offset_sync_age_seconds";
  const std::string records = "ferry_mirror_offset_sync_pending_records";
  const std::string seconds = "ferry_mirror_offset_sync_pending_seconds";
  EXPECT_NE(text.find(age + labels(0) + " 1.5\n"), std::string::npos) << text;
  EXPECT_NE(text.find(records + labels(0) + " 0\n"), std::string::npos);
  EXPECT_NE(text.find(seconds + labels(0) + " 0\n"), std::string::npos);
  EXPECT_NE(text.find(age + labels(1) + " 700\n"), std::string::npos);
  EXPECT_NE(text.find(records + labels(1) + " 40\n"), std::string::npos);
  EXPECT_NE(text.find(seconds + labels(1) + " 650\n"), std::string::npos);
  EXPECT_EQ(text.find(age + labels(2)), std::string::npos) << "no sync acknowledged: no age";
  EXPECT_NE(text.find(records + labels(2) + " 3\n"), std::string::npos) << "all of its copies wait";
  EXPECT_NE(text.find(seconds + labels(2) + " 2\n"), std::string::npos);
  EXPECT_EQ(text.find(labels(3)), std::string::npos);
  EXPECT_NE(text.find(age + labels(4) + " 0\n"), std::string::npos) << "never negative (was -0.01 on real Kafka)";
  EXPECT_EQ(out.families(), 3u);
}

TEST(MirrorSourceMetricsTest, OneSeriesPerAssignedPartitionAndMetric) {
  const std::string text = Text(TwoPartitions());
  size_t series = 0;
  size_t families = 0;
  for (size_t pos = 0; pos < text.size();) {
    size_t end = text.find('\n', pos);
    if (text.compare(pos, 7, "# TYPE ") == 0) ++families;
    else if (text[pos] != '#') ++series;
    pos = end + 1;
  }
  EXPECT_EQ(families, 12u + 4u);
  EXPECT_EQ(series, 2 * 12u + 1 + 1 + 1 + 2);  // lag (records, seconds) and age only where known
}

TEST(MirrorSourceMetricsTest, ConnectsTaskMetricsFromTheTasksNumbers) {
  MirrorTaskStats stats = TwoPartitions();
  stats.records = 120;
  stats.polled = 130;
  stats.batch_size.Record(100, kNow - 1000);
  stats.batch_size.Record(30, kNow - 500);
  metrics::Exposition out;
  AddSourceTaskMetrics(stats, {{"connector", "mirror"}, {"task", "3"}}, kNow, out);
  const std::string text = out.Text();
  const std::string task = "{connector=\"mirror\",task=\"3\"}";
  EXPECT_NE(text.find("kafka_connect_connector_task_batch_size_avg" + task + " 65\n"), std::string::npos) << text;
  EXPECT_NE(text.find("kafka_connect_connector_task_batch_size_max" + task + " 100\n"), std::string::npos);
  EXPECT_NE(text.find("kafka_connect_source_task_source_record_poll_total" + task + " 130\n"), std::string::npos);
  EXPECT_NE(text.find("kafka_connect_source_task_source_record_poll_rate" + task + " " +
                      metrics::FormatValue(130.0 / 31.0) + "\n"),
            std::string::npos);
  EXPECT_NE(text.find("kafka_connect_source_task_source_record_write_total" + task + " 120\n"), std::string::npos);
  EXPECT_NE(text.find("kafka_connect_source_task_source_record_write_rate" + task + " " +
                      metrics::FormatValue(120.0 / 31.0) + "\n"),
            std::string::npos);
  EXPECT_EQ(out.families(), 6u);
}

}  // namespace
}  // namespace ferry::tasks
