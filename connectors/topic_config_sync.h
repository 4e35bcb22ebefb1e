// Remote topic creation, partition growth and topic config sync: MirrorSourceConnector's admin passes
// over a source and a target cluster, one call each, with MM2's rules (MirrorSourceConnector's).
// Each pass reads both clusters, decides with the pure functions below, writes to the target only,
// and returns what it changed. Running a pass again with nothing changed on the source changes
// nothing and reports nothing (idempotent).
//
// Errors: a pass fails as a whole (Result error) only when it cannot start, i.e. a cluster cannot be
// listed or described at all. A failure for one topic (creation refused, configs not described or
// not altered) is recorded in SyncReport::errors, naming the topic, and the pass goes on with the
// other topics; MM2 likewise logs such failures and carries on. The caller logs the report once.
// Thread-safety: free functions over the Admins given; as safe as those are.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "connectors/config_property_filter.h"
#include "connectors/replication_policy.h"
#include "worker/common/result.h"
#include "worker/kafka/admin.h"

namespace ferry::connectors {

// What a sync pass changed on the target, and what it could not do. Shared by the ACL pass
// (tasks/acl_sync.h).
struct SyncReport {
  struct TopicCreated {
    std::string topic;  // the remote topic
    int partitions = 0;
    int replication_factor = 0;
    Properties configs;
  };
  struct PartitionsGrown {
    std::string topic;
    int from = 0;
    int to = 0;
  };
  struct ConfigsAltered {
    std::string topic;
    Properties set;                  // overrides added or changed, with their new values
    std::vector<std::string> reset;  // overrides removed: the target's default applies again
  };

  std::vector<TopicCreated> created;
  std::vector<std::string> already_existed;  // created by someone else between listing and creation
  std::vector<PartitionsGrown> grown;
  std::vector<ConfigsAltered> altered;
  std::vector<kafka::AclBinding> acls_created;
  std::vector<Error> errors;  // per topic (or ACL); each message names it

  // True if the target was changed.
  bool changed() const { return !created.empty() || !grown.empty() || !altered.empty() || !acls_created.empty(); }
  // One line for the log: "created 2 topic(s) [A.orders(3), A.users(1)], grew ..., 1 error(s): ...".
  std::string ToString() const;
};

// Which source topics a flow mirrors and what they are called on the target.
struct MirrorTopics {
  std::string source_alias;
  std::shared_ptr<const ReplicationPolicy> policy;
  // MM2's shouldReplicateTopic: (topic filter accepts it or it is a heartbeats topic) and it is not
  // internal and not a cycle. The connector passes its own.
  std::function<bool(const std::string& source_topic)> should_replicate;

  std::string RemoteTopic(const std::string& source_topic) const {
    return policy->FormatRemoteTopic(source_alias, source_topic);
  }
};

struct TopicSyncOptions {
  MirrorTopics topics;
  int replication_factor = 2;  // `replication.factor` of newly created remote topics (-1: broker default)
  ConfigPropertyFilter config_filter;
};

// (1) For every selected source topic: create its remote topic on the target with the source's
// partition count, `replication_factor` and the source's configs as ConfigsForCreation selects them;
// if the remote topic has fewer partitions than the source topic, grow it to the source's count.
// Never shrinks, never deletes. Run at connector start and on every topic refresh.
Result<SyncReport> SyncRemoteTopics(kafka::Admin& source, kafka::Admin& target, const TopicSyncOptions& options);

// CreateTopics, where a topic the target refuses for a config it does not know ("Unknown topic config
// name", INVALID_CONFIG: e.g. message.format.version from a Kafka 3.x source into Kafka 4) is created
// again without that config, with a warning naming it. Other answers are returned as they came.
Result<kafka::TopicResults<kafka::TopicCreation>> CreateDroppingUnknownConfigs(kafka::Admin& target,
                                                                             std::vector<kafka::NewTopic> topics);

// (2) For every selected source topic whose remote topic exists: make the remote topic's overrides
// agree with the source's configs (see PlanConfigAlteration). Run every
// `sync.topic.configs.interval.seconds` when `sync.topic.configs.enabled`.
Result<SyncReport> SyncTopicConfigs(kafka::Admin& source, kafka::Admin& target, const TopicSyncOptions& options);

// --- The decisions, apart from the I/O ---

// MM2's filter on source entries, common to creation and sync: not read-only, not sensitive, not a
// static broker config, has a value, and the property filter lets the name through.
bool IsReplicableEntry(const std::string& name, const kafka::ConfigEntry& entry,
                       const ConfigPropertyFilter& filter);

// The configs a new remote topic gets: replicable source entries that are not at Kafka's default,
// plus those that are when the filter says so (`use.defaults.from=source`). MM2's
// targetConfig(config, incremental=false).
Properties ConfigsForCreation(const kafka::TopicConfigs& source, const ConfigPropertyFilter& filter);

// What config sync does to one remote topic, with MM2's IncrementalAlterConfigs semantics (its
// default, and the only mode of MM2 4.0), for the configs the target's Kafka knows (a name absent
// from `target` is left out: Kafka 4 has no message.format.version): each replicable source entry that is not at its default is
// SET on the target; one at its default is SET too with `use.defaults.from=source`, else its target
// override is DELETEd so the target's default applies; every other target override (e.g. an
// excluded property set on the target) is left alone.
// librdkafka 2.0.2 has only the legacy AlterConfigs, which replaces a topic's whole set of overrides,
// so the plan carries that whole resulting set (`overrides`): the target's current overrides
// (DYNAMIC_TOPIC_CONFIG entries) with the SETs and DELETEs applied. nullopt when nothing would change.
// An Error when the plan cannot be applied safely: a target override whose value is hidden
// (sensitive) would be lost by the full replace. As with any read-modify-write over AlterConfigs, an
// override changed on the target between the describe and the alter is overwritten.
struct ConfigAlteration {
  Properties overrides;  // the topic's complete overrides after the change (what AlterConfigs gets)
  Properties set;
  std::vector<std::string> reset;
};
Result<std::optional<ConfigAlteration>> PlanConfigAlteration(const kafka::TopicConfigs& source,
                                                             const kafka::TopicConfigs& target,
                                                             const ConfigPropertyFilter& filter);

// The Error `error` with `context` in front of its message (code, retriable flag and Kafka code kept).
Error WithContext(const std::string& context, const Error& error);

}  // namespace ferry::connectors
