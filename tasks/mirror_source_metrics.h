// The metrics of a MirrorSourceTask, as GET /metrics shows them (docs/operations.md): MM2's
// MirrorSourceMetrics per topic-partition under the names Strimzi's exporter rules give them
// (kafka_connect_mirror_mirrorsourceconnector_*{target,topic,partition}, `topic` being the remote
// topic as in MM2), and Ferry's own per partition (ferry_mirror_*{source,target,topic,partition}).
// One series per assigned partition and metric: the cardinality is bounded by the partitions the
// task copies.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "connectors/replication_policy.h"
#include "tasks/mirror_task.h"
#include "tasks/offset_sync_writer.h"
#include "worker/common/metrics.h"

namespace ferry::tasks {

void AddMirrorSourceMetrics(const MirrorTaskStats& stats, const std::string& source_alias,
                            const std::string& target_alias, const connectors::ReplicationPolicy& policy,
                            int64_t now_ms, metrics::Exposition& out);

// Ferry's offset-sync metrics per partition (ferry_mirror_offset_sync_{age_seconds,pending_records,
// pending_seconds}{source,target,topic,partition}) from what the task's OffsetSyncWriter knows.
void AddOffsetSyncMetrics(const std::map<TopicPartition, OffsetSyncProgress>& progress,
                          const std::string& source_alias, const std::string& target_alias,
                          const connectors::ReplicationPolicy& policy, int64_t now_ms, metrics::Exposition& out);

// Connect's per-task metrics that a source task's numbers answer, labelled with `task` ({connector,
// task}): batch-size-avg/max (kafka_connect_connector_task_*) and source-record-poll/write-total and
// -rate (kafka_connect_source_task_*; written = acknowledged by the target).
void AddSourceTaskMetrics(const MirrorTaskStats& stats, const metrics::Labels& task, int64_t now_ms,
                          metrics::Exposition& out);

}  // namespace ferry::tasks
