// MirrorCheckpointConnector (MM2's name and config): finds the source consumer groups to checkpoint
// (`groups` / `groups.exclude`, refreshed every `refresh.groups.interval.seconds`) and splits them in
// contiguous chunks over at most `tasks.max` MirrorCheckpointTasks, as MM2 does. When `groups` holds
// only plain names they are used as they are, without listing; where the source cannot list groups
// (ListGroups denied), the plain names among the patterns are used.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "connectors/connector.h"
#include "connectors/filters.h"
#include "worker/kafka/admin.h"

namespace ferry::connectors {

inline constexpr const char* kMirrorCheckpointConnectorClass =
    "org.apache.kafka.connect.mirror.MirrorCheckpointConnector";

class MirrorCheckpointConnector : public Connector {
 public:
  ~MirrorCheckpointConnector() override;

  const ConfigDef& Definition() const override;
  std::map<std::string, std::vector<std::string>> ValidateAcrossKeys(const Properties& config) const override;
  Result<> Start(const Properties& config, ConnectorContext& context) override;
  Result<std::vector<Properties>> TaskConfigs(int max_tasks) override;
  void Stop() override;

  // MM2's ConnectorUtils.groupPartitions: `n` contiguous chunks, the first `size % n` one longer.
  static std::vector<std::vector<std::string>> Chunks(const std::vector<std::string>& items, size_t n);

 private:
  // Start, its client configuration failures not yet naming their cluster (NameFailedCluster).
  Result<> StartUnnamed(const Properties& config, ConnectorContext& context);
  Result<std::vector<std::string>> FindGroups();
  void RefreshLoop(std::chrono::seconds interval);

  Properties config_;
  ConnectorContext* context_ = nullptr;
  bool active_ = false;  // enabled and emitting checkpoints
  std::vector<std::string> literal_groups_;
  bool all_literal_ = false;  // `groups` names groups, with no patterns
  std::optional<RegexFilter> filter_;
  std::unique_ptr<kafka::Admin> source_;

  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;            // mu_
  std::vector<std::string> groups_;  // mu_
  std::thread refresher_;
};

}  // namespace ferry::connectors
