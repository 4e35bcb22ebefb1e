#include <chrono>
#include <iostream>

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

// The offset map's coverage per source partition, labelled with the remote topic: a partition read
// whole, one whose older syncs were skipped (compacted), one two writers copied at once.
TEST(MirrorCheckpointMetricsTest, OffsetMapCoveragePerSourcePartition) {
  const TopicPartition whole{"orders", 0}, compacted{"orders", 1}, contested{"orders", 2};
  OffsetMap map;
  map.OnSyncRead({whole, SourceOffset(0), TargetOffset(0), true, "w"});
  map.OnSyncRead({whole, SourceOffset(99), TargetOffset(99), true, "w"});
  map.OnSyncRead({compacted, SourceOffset(500), TargetOffset(20), true, "w"}, /*syncs_skipped=*/true);
  map.OnSyncRead({compacted, SourceOffset(510), TargetOffset(30), true, "w"});
  // As OffsetMapTest's: A copied 0..49, B took over at 30, then a late sync of A.
  map.OnSyncRead({contested, SourceOffset(0), TargetOffset(0), true, "A"});
  map.OnSyncRead({contested, SourceOffset(49), TargetOffset(49), true, "A"});
  map.OnSyncRead({contested, SourceOffset(30), TargetOffset(50), true, "B"});
  map.OnSyncRead({contested, SourceOffset(59), TargetOffset(79), true, "B"});
  map.OnSyncRead({contested, SourceOffset(60), TargetOffset(80), true, "A"});
  ASSERT_EQ(map.Covered(contested)->contested_from, 30);
  metrics::Exposition out;
  AddOffsetMapMetrics(map, 9, "A", "B", connectors::DefaultReplicationPolicy(), out);
  const std::string text = out.Text();
  auto labels = [](int p) {
    return "{source=\"A\",target=\"B\",topic=\"A.orders\",partition=\"" + std::to_string(p) + "\"}";
  };
  auto has = [&](const std::string& sample) {
    EXPECT_NE(text.find(sample + "\n"), std::string::npos) << sample << " in\n" << text;
  };
  has("ferry_offset_map_first_source_offset" + labels(0) + " 0");
  has("ferry_offset_map_next_source_offset" + labels(0) + " 100");
  has("ferry_offset_map_complete_history" + labels(0) + " 1");
  has("ferry_offset_map_contested_records" + labels(0) + " 0");
  has("ferry_offset_map_runs" + labels(0) + " 1");
  has("ferry_offset_map_first_source_offset" + labels(1) + " 500");
  has("ferry_offset_map_next_source_offset" + labels(1) + " 511");
  has("ferry_offset_map_complete_history" + labels(1) + " 0");
  // From B's start (30) to the copied-up-to point: the stretch stays contested until a later writer restarts.
  has("ferry_offset_map_contested_records" + labels(2) + " 30");
  has("ferry_offset_map_runs" + labels(2) + " 2");
  has("ferry_offset_map_next_source_offset" + labels(2) + " 60");
  has("# TYPE ferry_offset_map_syncs_read_total counter");
  has("ferry_offset_map_syncs_read_total{source=\"A\",target=\"B\"} 9");
  EXPECT_EQ(out.families(), 6u);

  // A second checkpoint task of the flow on the same worker (its own copy of the same map) adds
  // nothing: a series twice would make the whole scrape invalid. Another flow's map is shown.
  AddOffsetMapMetrics(map, 9, "A", "B", connectors::DefaultReplicationPolicy(), out);
  EXPECT_EQ(out.Text(), text);
  AddOffsetMapMetrics(map, 9, "A", "C", connectors::DefaultReplicationPolicy(), out);
  EXPECT_NE(out.Text().find("ferry_offset_map_runs{source=\"A\",target=\"C\",topic=\"A.orders\",partition=\"0\"} 1\n"),
            std::string::npos);

  // An empty map: only the count of syncs read.
  metrics::Exposition empty;
  AddOffsetMapMetrics(OffsetMap(), 0, "A", "B", connectors::DefaultReplicationPolicy(), empty);
  EXPECT_EQ(empty.Text(),
            "# HELP ferry_offset_map_syncs_read_total Offset syncs read from the offset-syncs topic.\n"
            "# TYPE ferry_offset_map_syncs_read_total counter\n"
            "ferry_offset_map_syncs_read_total{source=\"A\",target=\"B\"} 0\n");
}

// What a scrape pays for a large map: 1,000 partitions of 10 runs each, formatted whole.
TEST(MirrorCheckpointMetricsTest, AMapOfAThousandPartitionsIsCheapToShow) {
  OffsetMap map;
  for (int p = 0; p < 1000; ++p) {
    const TopicPartition tp{"t" + std::to_string(p % 100), p / 100};
    for (int64_t run = 0; run < 10; ++run) {
      map.OnSyncRead({tp, SourceOffset(run * 100), TargetOffset(run * 110), true, "w"});
      map.OnSyncRead({tp, SourceOffset(run * 100 + 99), TargetOffset(run * 110 + 99), true, "w"});
    }
  }
  const auto start = std::chrono::steady_clock::now();
  metrics::Exposition out;
  AddOffsetMapMetrics(map, 20000, "A", "B", connectors::DefaultReplicationPolicy(), out);
  const std::string text = out.Text();
  const auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  std::cout << "[ measure  ] offset map metrics of 1,000 partitions: " << ms << " ms, " << text.size() << " bytes"
            << std::endl;
  EXPECT_NE(text.find("ferry_offset_map_runs{source=\"A\",target=\"B\",topic=\"A.t7\",partition=\"3\"} 10\n"),
            std::string::npos);
  EXPECT_LT(ms, 5000) << "a scrape must stay cheap (bound loose for sanitizer builds)";
}

}  // namespace
}  // namespace ferry::tasks
