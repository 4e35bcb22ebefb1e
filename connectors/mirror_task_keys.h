// The contract between MM2's connectors and their tasks: task classes and task config keys, with
// MM2's names and formats, so task configs written by MM2 into a config topic run under Ferry.
#pragma once

#include <string>
#include <vector>

#include "worker/common/result.h"
#include "worker/common/types.h"

namespace ferry::connectors {

inline constexpr const char* kMirrorSourceTaskClass = "org.apache.kafka.connect.mirror.MirrorSourceTask";
inline constexpr const char* kMirrorHeartbeatTaskClass = "org.apache.kafka.connect.mirror.MirrorHeartbeatTask";
inline constexpr const char* kMirrorCheckpointTaskClass = "org.apache.kafka.connect.mirror.MirrorCheckpointTask";
inline constexpr const char* kTaskAssignedPartitions = "task.assigned.partitions";
inline constexpr const char* kTaskIndex = "task.index";
inline constexpr const char* kTaskAssignedGroups = "task.assigned.groups";
// Ferry's own: skip (log, count) records the source deleted before they were copied, instead of failing.
inline constexpr const char* kSkipLostRecords = "ferry.skip.lost.records";

// `topic-partition` lists as MM2 writes them; parsing splits each item at its last '-'.
Result<std::vector<TopicPartition>> ParseTopicPartitions(const std::string& list);
std::string FormatTopicPartitions(const std::vector<TopicPartition>& partitions);

}  // namespace ferry::connectors
