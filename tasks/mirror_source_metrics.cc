#include "tasks/mirror_source_metrics.h"

#include <algorithm>
#include <string_view>

namespace ferry::tasks {
namespace {

using metrics::MBean;
using metrics::Type;

// MM2's help texts (MirrorSourceMetrics).
constexpr std::string_view kRecordCount = "Number of source records replicated to the target cluster.";
constexpr std::string_view kRecordRate =
    "Average number of source records replicated to the target cluster per second.";
constexpr std::string_view kRecordAge = "The age of incoming source records when replicated to the target cluster.";
constexpr std::string_view kRecordAgeMax =
    "The max age of incoming source records when replicated to the target cluster.";
constexpr std::string_view kRecordAgeMin =
    "The min age of incoming source records when replicated to the target cluster.";
constexpr std::string_view kRecordAgeAvg =
    "The average age of incoming source records when replicated to the target cluster.";
constexpr std::string_view kByteCount = "Number of bytes replicated to the target cluster.";
constexpr std::string_view kByteRate = "Average number of bytes replicated per second.";
constexpr std::string_view kLatency = "Time it takes records to replicate from source to target cluster.";
constexpr std::string_view kLatencyMax = "Max time it takes records to replicate from source to target cluster.";
constexpr std::string_view kLatencyMin = "Min time it takes records to replicate from source to target cluster.";
constexpr std::string_view kLatencyAvg =
    "Average time it takes records to replicate from source to target cluster.";

}  // namespace

void AddMirrorSourceMetrics(const MirrorTaskStats& stats, const std::string& source_alias,
                            const std::string& target_alias, const connectors::ReplicationPolicy& policy,
                            int64_t now_ms, metrics::Exposition& out) {
  for (const auto& [tp, progress] : stats.partitions) {
    const PartitionMetrics& m = progress.metrics;
    const std::string remote = policy.FormatRemoteTopic(source_alias, tp.topic);
    const std::string partition = std::to_string(tp.partition);
    const metrics::Labels mm2 = {{"target", target_alias}, {"topic", remote}, {"partition", partition}};
    auto add = [&](std::string_view attribute, std::string_view help, double value) {
      out.Add(metrics::JmxName(MBean::kMirrorSourceConnector, attribute), help, Type::kGauge, mm2, value);
    };
    const metrics::SampledStat::Measure age = m.record_age_ms.At(now_ms);
    const metrics::SampledStat::Measure latency = m.replication_latency_ms.At(now_ms);
    add("record-count", kRecordCount, static_cast<double>(m.records));
    add("record-rate", kRecordRate, m.record_rate.At(now_ms).rate);
    add("record-age-ms", kRecordAge, m.record_age_ms.last());
    add("record-age-ms-max", kRecordAgeMax, age.max);
    add("record-age-ms-min", kRecordAgeMin, age.min);
    add("record-age-ms-avg", kRecordAgeAvg, age.avg);
    add("byte-count", kByteCount, static_cast<double>(m.value_bytes));
    add("byte-rate", kByteRate, m.byte_rate.At(now_ms).rate);
    add("replication-latency-ms", kLatency, m.replication_latency_ms.last());
    add("replication-latency-ms-max", kLatencyMax, latency.max);
    add("replication-latency-ms-min", kLatencyMin, latency.min);
    add("replication-latency-ms-avg", kLatencyAvg, latency.avg);

    const metrics::Labels ferry = {
        {"source", source_alias}, {"target", target_alias}, {"topic", remote}, {"partition", partition}};
    if (progress.source_high >= 0 && progress.committed >= 0) {
      const int64_t lag = std::max<int64_t>(0, progress.source_high - progress.committed);
      out.Add("ferry_mirror_lag_records",
              "Records in the source partition not yet copied: its end offset (high watermark, as last "
              "fetched) minus the next offset to copy.",
              Type::kGauge, ferry, static_cast<double>(lag));
      // The oldest waiting record's own timestamp is unknown until it is fetched: the last copied
      // record's age bounds it from above.
      if (lag == 0 || m.last_copied_timestamp_ms >= 0) {
        out.Add("ferry_mirror_lag_seconds",
                "How far behind in time the copy is: 0 when no record waits, else the age of the last record "
                "the target acknowledged (an upper bound).",
                Type::kGauge, ferry,
                lag == 0 ? 0.0 : static_cast<double>(now_ms - m.last_copied_timestamp_ms) / 1000.0);
      }
    }
    if (m.last_copied_timestamp_ms >= 0) {
      out.Add("ferry_mirror_last_copied_record_age_seconds",
              "Seconds since the timestamp (CreateTime) of the last record the target acknowledged.", Type::kGauge,
              ferry, static_cast<double>(now_ms - m.last_copied_timestamp_ms) / 1000.0);
    }
    out.Add("ferry_mirror_lost_records_total",
            "Source records deleted before they were copied and skipped (only with skip_lost_records; "
            "otherwise the task fails). Must stay 0.",
            Type::kCounter, ferry, static_cast<double>(m.lost_records));
  }
}

void AddOffsetSyncMetrics(const std::map<TopicPartition, OffsetSyncProgress>& progress,
                          const std::string& source_alias, const std::string& target_alias,
                          const connectors::ReplicationPolicy& policy, int64_t now_ms, metrics::Exposition& out) {
  for (const auto& [tp, p] : progress) {
    if (p.first_target < 0) continue;  // no sync of this writer yet
    const metrics::Labels labels = {{"source", source_alias},
                                    {"target", target_alias},
                                    {"topic", policy.FormatRemoteTopic(source_alias, tp.topic)},
                                    {"partition", std::to_string(tp.partition)}};
    if (p.acked_ms >= 0) {
      out.Add("ferry_mirror_offset_sync_age_seconds",
              "Seconds since the partition's last offset sync was acknowledged.", Type::kGauge, labels,
              // A sync acknowledged after the scrape read its clock is 0 s old, not negative.
              static_cast<double>(std::max<int64_t>(0, now_ms - p.acked_ms)) / 1000.0);
    }
    out.Add("ferry_mirror_offset_sync_pending_records",
            "Records copied after the one the last acknowledged offset sync maps (target offsets): copies the "
            "offset map cannot translate yet.",
            Type::kGauge, labels, static_cast<double>(p.pending()));
    out.Add("ferry_mirror_offset_sync_pending_seconds",
            "Seconds copies have waited for an acknowledged offset sync; 0 when none waits.", Type::kGauge, labels,
            p.pending_since_ms < 0 ? 0.0 : static_cast<double>(std::max<int64_t>(0, now_ms - p.pending_since_ms)) / 1000.0);
  }
}

void AddSourceTaskMetrics(const MirrorTaskStats& stats, const metrics::Labels& task, int64_t now_ms,
                          metrics::Exposition& out) {
  const metrics::SampledStat::Measure batches = stats.batch_size.At(now_ms);
  double write_rate = 0;
  for (const auto& [tp, progress] : stats.partitions) write_rate += progress.metrics.record_rate.At(now_ms).rate;
  // Connect's help texts (ConnectMetricsRegistry).
  out.Add(metrics::JmxName(MBean::kConnectorTask, "batch-size-avg"),
          "The average number of records in the batches the task has processed so far.", Type::kGauge, task,
          batches.avg);
  out.Add(metrics::JmxName(MBean::kConnectorTask, "batch-size-max"),
          "The number of records in the largest batch the task has processed so far.", Type::kGauge, task,
          batches.max);
  out.Add(metrics::JmxName(MBean::kSourceTask, "source-record-poll-total"),
          "The total number of records produced/polled (before transformation) by this task belonging to the "
          "named source connector in this worker.",
          Type::kGauge, task, static_cast<double>(stats.polled));
  out.Add(metrics::JmxName(MBean::kSourceTask, "source-record-poll-rate"),
          "The average per-second number of records produced/polled (before transformation) by this task "
          "belonging to the named source connector in this worker.",
          Type::kGauge, task, batches.rate);
  out.Add(metrics::JmxName(MBean::kSourceTask, "source-record-write-total"),
          "The number of records output from the transformations and written to Kafka for this task belonging "
          "to the named source connector in this worker, since the task was last restarted.",
          Type::kGauge, task, static_cast<double>(stats.records));
  out.Add(metrics::JmxName(MBean::kSourceTask, "source-record-write-rate"),
          "The average per-second number of records output from the transformations and written to Kafka for "
          "this task belonging to the named source connector in this worker.",
          Type::kGauge, task, write_rate);
}

}  // namespace ferry::tasks
