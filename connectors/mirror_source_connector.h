// MirrorSourceConnector (MM2's name and config): finds the source topics to mirror (`topics` /
// `topics.exclude`, never internal topics or topics that came from the target: cycle detection),
// creates their remote topics on the target (partition counts, filtered configs) and grows them, and
// deals their partitions round-robin over at most `tasks.max` MirrorSourceTasks. One scheduler thread
// then, as MM2's: every `refresh.topics.interval.seconds` looks again (new task configs when the set
// changed), every `sync.topic.configs.interval.seconds` syncs topic configs, every
// `sync.topic.acls.interval.seconds` syncs topic ACLs.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "connectors/connector.h"
#include "connectors/config_property_filter.h"
#include "connectors/filters.h"
#include "connectors/replication_policy.h"
#include "connectors/topic_config_sync.h"
#include "worker/kafka/admin.h"

namespace ferry::connectors {

inline constexpr const char* kMirrorSourceConnectorClass = "org.apache.kafka.connect.mirror.MirrorSourceConnector";

// The internal topic `name` of one of the three MM2 connectors (offset syncs, checkpoints,
// heartbeats), made on the cluster of `admin_props` as MM2's MirrorUtils.createCompactedTopic makes
// it: one partition, compacted; an existing topic is left as it is. `property` is the setting named
// in error messages. The outcome goes through AcceptInternalTopicOutcome.
Result<> EnsureInternalTopic(const Properties& admin_props, const std::string& name, int replication_factor,
                             const std::string& property, std::chrono::milliseconds timeout);

// MM2's rule for `created`, the outcome of making the internal topic `topic`: a creation refused for
// lack of rights (kForbidden: topic or cluster authorization) or of broker support (kUnsupported)
// means the topic was made out of band, so it logs one WARNING and succeeds. Any other error (a
// timeout, an invalid replication factor, ...) is returned, naming the topic.
Result<> AcceptInternalTopicOutcome(const std::string& topic, const Result<>& created);

class MirrorSourceConnector : public Connector {
 public:
  ~MirrorSourceConnector() override;

  const ConfigDef& Definition() const override;
  // MM2 3.9's checks: exactly.once.support=required needs a read_committed source consumer;
  // emit.offset-syncs.enabled=false rules out offset-syncs.topic.* and offset-syncs-* keys.
  std::map<std::string, std::vector<std::string>> ValidateAcrossKeys(const Properties& config) const override;
  Result<> Start(const Properties& config, ConnectorContext& context) override;
  Result<std::vector<Properties>> TaskConfigs(int max_tasks) override;
  void Stop() override;

  // Deals `partitions` over `n` tasks: round-robin the first time; afterwards sticky, so a task whose
  // partitions did not change keeps its config (and keeps running): vanished partitions are dropped,
  // new ones go to the smallest tasks, and only as many move as balance (sizes within one) needs.
  static std::vector<std::vector<TopicPartition>> Split(const std::vector<std::vector<TopicPartition>>& previous,
                                                        const std::vector<TopicPartition>& partitions, size_t n);

  // True if a mirror to `target_alias` copies `topic`: selected by `filter` (heartbeats topics always
  // are), not internal, and not come from the target (mirroring it there again would loop).
  static bool Replicates(const ReplicationPolicy& policy, const RegexFilter& filter, const std::string& target_alias,
                         const std::string& topic);
  // True if `topic` came from the cluster `target_alias` (mirroring it there again would loop).
  static bool IsCycle(const ReplicationPolicy& policy, const std::string& target_alias, const std::string& topic);

 private:
  // Start, its client configuration failures not yet naming their cluster (NameFailedCluster).
  Result<> StartUnnamed(const Properties& config, ConnectorContext& context);
  Result<std::vector<TopicPartition>> FindPartitions();
  bool ShouldReplicate(const std::string& topic) const;
  void Schedule();  // the scheduler thread
  bool Stopping();  // Stop() was called: a pass's errors are the cancelled admins'
  void RefreshTopics();
  void SyncConfigs();
  void SyncAcls();

  Properties config_;
  ConnectorContext* context_ = nullptr;
  bool enabled_ = true;
  std::string target_alias_;
  std::shared_ptr<const ReplicationPolicy> policy_;
  std::optional<RegexFilter> filter_;
  std::chrono::milliseconds admin_timeout_{60000};
  std::unique_ptr<kafka::Admin> source_;
  std::unique_ptr<kafka::Admin> target_;
  std::optional<TopicSyncOptions> sync_options_;
  std::optional<std::chrono::seconds> refresh_every_, configs_every_, acls_every_;  // nullopt: off
  bool acls_unsupported_logged_ = false;

  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;                   // guarded by mu_
  std::vector<TopicPartition> partitions_;  // guarded by mu_
  std::vector<std::vector<TopicPartition>> split_;  // the last task split handed out; mu_
  std::thread scheduler_;
};

}  // namespace ferry::connectors
