#include "connectors/mirror_task_keys.h"

#include <stdexcept>

namespace ferry::connectors {

Result<std::vector<TopicPartition>> ParseTopicPartitions(const std::string& list) {
  std::vector<TopicPartition> out;
  size_t start = 0;
  while (start <= list.size() && !list.empty()) {
    size_t comma = list.find(',', start);
    if (comma == std::string::npos) comma = list.size();
    const std::string item = list.substr(start, comma - start);
    const size_t dash = item.rfind('-');
    if (dash == std::string::npos || dash == 0 || dash + 1 == item.size()) {
      return Error::InvalidConfig(kTaskAssignedPartitions, "'" + item + "' is not <topic>-<partition>");
    }
    int32_t partition = 0;
    try {
      size_t used = 0;
      partition = std::stoi(item.substr(dash + 1), &used);
      if (used != item.size() - dash - 1 || partition < 0) throw std::invalid_argument("partition");
    } catch (const std::exception&) {  // user input: never escapes
      return Error::InvalidConfig(kTaskAssignedPartitions, "'" + item + "' has no valid partition number");
    }
    out.push_back({item.substr(0, dash), partition});
    start = comma + 1;
  }
  return out;
}

std::string FormatTopicPartitions(const std::vector<TopicPartition>& partitions) {
  std::string out;
  for (const TopicPartition& tp : partitions) {
    if (!out.empty()) out += ",";
    out += tp.ToString();
  }
  return out;
}

}  // namespace ferry::connectors
