// ReplicationPolicy names remote topics the way MM2 does, so a Ferry mirror and an MM2 mirror agree on
// every topic name: DefaultReplicationPolicy (`<source alias><separator><topic>`) and
// IdentityReplicationPolicy (names unchanged), as MM2's classes of those names name them.
// Thread-safety: immutable after construction; safe from any thread.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "worker/common/result.h"
#include "worker/common/types.h"

namespace ferry::connectors {

// MM2's config keys and class names for policies.
inline constexpr const char* kReplicationPolicyClass = "replication.policy.class";
inline constexpr const char* kReplicationPolicySeparator = "replication.policy.separator";
inline constexpr const char* kInternalTopicSeparatorEnabled =
    "replication.policy.internal.topic.separator.enabled";
inline constexpr const char* kSourceClusterAlias = "source.cluster.alias";
inline constexpr const char* kDefaultReplicationPolicyClass =
    "org.apache.kafka.connect.mirror.DefaultReplicationPolicy";
inline constexpr const char* kIdentityReplicationPolicyClass =
    "org.apache.kafka.connect.mirror.IdentityReplicationPolicy";

class ReplicationPolicy {
 public:
  virtual ~ReplicationPolicy() = default;

  // The name `topic` of cluster `source_alias` has on the target.
  virtual std::string FormatRemoteTopic(const std::string& source_alias, const std::string& topic) const = 0;
  // The alias of the cluster a remote topic came from; nullopt for a local topic.
  virtual std::optional<std::string> TopicSource(const std::string& topic) const = 0;
  // The remote topic's name one hop upstream; nullopt for a local topic.
  virtual std::optional<std::string> UpstreamTopic(const std::string& topic) const = 0;

  // Follows UpstreamTopic until it ends: `B.A.orders` -> `orders`.
  std::string OriginalTopic(const std::string& topic) const;

  std::string HeartbeatsTopic() const { return "heartbeats"; }
  std::string CheckpointsTopic(const std::string& cluster_alias) const;
  std::string OffsetSyncsTopic(const std::string& cluster_alias) const;
  bool IsHeartbeatsTopic(const std::string& topic) const;
  bool IsCheckpointsTopic(const std::string& topic) const;
  bool IsMM2InternalTopic(const std::string& topic) const;
  // MM2-internal, or a Kafka-internal name (`__…`, `.…`, `…-internal`, `….internal`).
  bool IsInternalTopic(const std::string& topic) const;

 protected:
  ReplicationPolicy(std::string separator, bool internal_separator_enabled);
  const std::string& separator() const { return separator_; }

 private:
  std::string InternalSeparator() const { return internal_separator_enabled_ ? separator_ : "."; }

  std::string separator_;
  bool internal_separator_enabled_;
};

class DefaultReplicationPolicy : public ReplicationPolicy {
 public:
  explicit DefaultReplicationPolicy(std::string separator = ".", bool internal_separator_enabled = true);

  std::string FormatRemoteTopic(const std::string& source_alias, const std::string& topic) const override;
  std::optional<std::string> TopicSource(const std::string& topic) const override;
  std::optional<std::string> UpstreamTopic(const std::string& topic) const override;
};

// Keeps topic names; heartbeats topics still follow the default rule so that replication hops stay
// visible. With it a topic's source is the configured source alias (MM2 has no cycle detection here).
class IdentityReplicationPolicy : public DefaultReplicationPolicy {
 public:
  explicit IdentityReplicationPolicy(std::optional<std::string> source_cluster_alias,
                                     std::string separator = ".", bool internal_separator_enabled = true);

  std::string FormatRemoteTopic(const std::string& source_alias, const std::string& topic) const override;
  std::optional<std::string> TopicSource(const std::string& topic) const override;
  std::optional<std::string> UpstreamTopic(const std::string& topic) const override;

 private:
  std::optional<std::string> source_cluster_alias_;
};

// Builds the policy named by MM2's keys (`replication.policy.class` by full or simple class name,
// `replication.policy.separator`, `replication.policy.internal.topic.separator.enabled`,
// `source.cluster.alias`), with MM2's defaults. Errors name the offending key.
Result<std::shared_ptr<const ReplicationPolicy>> MakeReplicationPolicy(const Properties& props);

}  // namespace ferry::connectors
