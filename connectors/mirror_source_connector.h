// MirrorSourceConnector (MM2's name and config): finds the source topics to mirror (`topics` /
// `topics.exclude`, never internal topics or topics that came from the target: cycle detection), and
// deals their partitions round-robin over at most `tasks.max` MirrorSourceTasks. Every
// `refresh.topics.interval.seconds` it looks again and asks for new task configs when the set changed.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "connectors/connector.h"
#include "connectors/filters.h"
#include "connectors/replication_policy.h"
#include "worker/kafka/handles.h"

namespace ferry::connectors {

inline constexpr const char* kMirrorSourceConnectorClass = "org.apache.kafka.connect.mirror.MirrorSourceConnector";

class MirrorSourceConnector : public Connector {
 public:
  ~MirrorSourceConnector() override;

  const ConfigDef& Definition() const override;
  Result<> Start(const Properties& config, ConnectorContext& context) override;
  Result<std::vector<Properties>> TaskConfigs(int max_tasks) override;
  void Stop() override;

  // True if `topic` came from the cluster `target_alias` (mirroring it there again would loop).
  static bool IsCycle(const ReplicationPolicy& policy, const std::string& target_alias, const std::string& topic);

 private:
  Result<std::vector<TopicPartition>> FindPartitions();
  void RefreshLoop(std::chrono::seconds interval);

  Properties config_;
  ConnectorContext* context_ = nullptr;
  bool enabled_ = true;
  std::string target_alias_;
  std::shared_ptr<const ReplicationPolicy> policy_;
  std::optional<RegexFilter> filter_;
  std::chrono::milliseconds admin_timeout_{60000};
  kafka::HandlePtr source_;  // for metadata only

  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;                   // guarded by mu_
  std::vector<TopicPartition> partitions_;  // guarded by mu_
  std::thread refresher_;
};

}  // namespace ferry::connectors
