#include "connectors/mirror_checkpoint_connector.h"

#include <algorithm>

#include <glog/logging.h>

#include "connectors/mirror_client_config.h"
#include "connectors/mirror_config.h"
#include "connectors/mirror_source_connector.h"
#include "connectors/mirror_task_keys.h"
#include "connectors/replication_policy.h"

namespace ferry::connectors {

MirrorCheckpointConnector::~MirrorCheckpointConnector() { Stop(); }

const ConfigDef& MirrorCheckpointConnector::Definition() const { return MirrorCheckpointConfigDef(); }

std::map<std::string, std::vector<std::string>> MirrorCheckpointConnector::ValidateAcrossKeys(
    const Properties& config) const {
  // MM2 3.9's MirrorCheckpointConfig.validate(): an enabled checkpoint connector needs checkpoints and
  // offset syncs.
  KeyErrors errors;
  if (RawValueIs(config, "enabled", "false")) return errors;
  if (RawValueIs(config, "emit.checkpoints.enabled", "false")) {
    errors["emit.checkpoints.enabled"].push_back(
        "MirrorCheckpointConnector can't run with emit.checkpoints.enabled set to false");
  }
  if (RawValueIs(config, "emit.offset-syncs.enabled", "false")) {
    errors["emit.offset-syncs.enabled"].push_back("MirrorCheckpointConnector can't run without offset syncs");
  }
  return errors;
}

std::vector<std::vector<std::string>> MirrorCheckpointConnector::Chunks(const std::vector<std::string>& items,
                                                                        size_t n) {
  std::vector<std::vector<std::string>> chunks;
  if (n == 0) return chunks;
  const size_t base = items.size() / n;
  const size_t extra = items.size() % n;
  size_t at = 0;
  for (size_t i = 0; i < n; ++i) {
    const size_t len = base + (i < extra ? 1 : 0);
    chunks.emplace_back(items.begin() + static_cast<long>(at), items.begin() + static_cast<long>(at + len));
    at += len;
  }
  return chunks;
}

Result<> MirrorCheckpointConnector::Start(const Properties& config, ConnectorContext& context) {
  Result<> started = StartUnnamed(config, context);
  if (!started.ok()) return connectors::NameFailedCluster(started.error(), config);
  return started;
}

Result<> MirrorCheckpointConnector::StartUnnamed(const Properties& given, ConnectorContext& context) {
  // The filters and the task configs see groups.blacklist / topics.blacklist as their new keys.
  const Properties config = TranslateMirrorAliases(given);
  auto parsed = MirrorCheckpointConfigDef().Parse(config);
  if (!parsed.ok()) return parsed.error();
  config_ = config;
  context_ = &context;
  active_ = parsed->GetBool("enabled") && parsed->GetBool("emit.checkpoints.enabled");
  if (!active_) return Ok();
  auto filter = RegexFilter::Make(parsed->GetList("groups"), "groups", parsed->GetList("groups.exclude"), "groups.exclude");
  if (!filter.ok()) return filter.error();
  filter_ = std::move(*filter);
  all_literal_ = true;
  for (const std::string& g : parsed->GetList("groups")) {
    // A name with no regex syntax stands for itself: no listing is needed to find it.
    if (g.find_first_of("\\^$.|?*+()[]{}") != std::string::npos) {
      all_literal_ = false;
    } else if (filter_->Matches(g)) {
      literal_groups_.push_back(g);
    }
  }
  const std::chrono::milliseconds timeout(parsed->GetLong("admin.timeout.ms"));
  Properties admin = ClientProps(config, Cluster::kSource, ClientRole::kAdmin);
  if (!admin.count("bootstrap.servers")) {
    return Error::InvalidConfig("source.cluster.bootstrap.servers", "missing: the source cluster must be named");
  }
  auto source = kafka::RdKafkaAdmin::Create(admin, timeout);
  if (!source.ok()) return source.error();
  source_ = std::move(*source);

  // The checkpoints topic, on the target, where MM2 creates it.
  auto policy = MakeReplicationPolicy(config);
  if (!policy.ok()) return policy.error();
  Properties target = ClientProps(config, Cluster::kTarget, ClientRole::kAdmin);
  if (target.count("bootstrap.servers")) {
    FERRY_RETURN_IF_ERROR(EnsureInternalTopic(
        target, (*policy)->CheckpointsTopic(parsed->GetString(kSourceClusterAlias)),
        static_cast<int>(parsed->GetLong("checkpoints.topic.replication.factor")), "checkpoints.topic.replication.factor",
        timeout));
  }

  auto groups = FindGroups();
  if (!groups.ok()) return groups.error();
  {
    std::lock_guard lock(mu_);
    groups_ = std::move(*groups);
    stopping_ = false;
  }
  if (parsed->GetBool("refresh.groups.enabled")) {
    const auto interval = std::chrono::seconds(std::max<int64_t>(1, parsed->GetLong("refresh.groups.interval.seconds")));
    refresher_ = std::thread([this, interval] { RefreshLoop(interval); });
  }
  return Ok();
}

Result<std::vector<std::string>> MirrorCheckpointConnector::FindGroups() {
  // Groups named literally need no ListGroups (nor its ACL); a group without offsets yields nothing.
  if (all_literal_) return literal_groups_;
  auto listed = source_->ListConsumerGroups();
  if (!listed.ok()) {
    if (listed.error().code() != ErrorCode::kUnsupported && listed.error().code() != ErrorCode::kKafka) {
      return listed.error();
    }
    LOG(WARNING) << "MirrorCheckpointConnector: cannot list the source's consumer groups ("
                 << listed.error().message() << "); checkpointing the groups named literally in 'groups'";
    return literal_groups_;
  }
  std::vector<std::string> groups;
  for (const kafka::GroupListing& g : *listed) {
    if (filter_->Matches(g.group_id)) groups.push_back(g.group_id);
  }
  std::sort(groups.begin(), groups.end());
  return groups;
}

void MirrorCheckpointConnector::RefreshLoop(std::chrono::seconds interval) {
  std::unique_lock lock(mu_);
  while (!wake_.wait_for(lock, interval, [this] { return stopping_; })) {
    lock.unlock();
    auto found = FindGroups();
    lock.lock();
    if (stopping_) break;  // Stop() cancelled the admin: the error, if any, is that
    if (!found.ok()) {
      LOG(WARNING) << "MirrorCheckpointConnector: group refresh failed, will retry: " << found.error().message();
      continue;
    }
    if (*found != groups_) {
      groups_ = std::move(*found);
      context_->RequestTaskReconfiguration();
    }
  }
}

Result<std::vector<Properties>> MirrorCheckpointConnector::TaskConfigs(int max_tasks) {
  std::vector<Properties> configs;
  if (!active_ || max_tasks < 1) return configs;
  std::vector<std::string> groups;
  {
    std::lock_guard lock(mu_);
    groups = groups_;
  }
  const auto chunks = Chunks(groups, std::min(static_cast<size_t>(max_tasks), groups.size()));
  for (size_t i = 0; i < chunks.size(); ++i) {
    Properties task = config_;
    task[kTaskClass] = kMirrorCheckpointTaskClass;
    std::string list;
    for (const std::string& g : chunks[i]) list += (list.empty() ? "" : ",") + g;
    task[kTaskAssignedGroups] = list;
    task[kTaskIndex] = std::to_string(i);
    configs.push_back(std::move(task));
  }
  return configs;
}

void MirrorCheckpointConnector::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  // A refresh may be waiting on a source that is gone (admin.timeout.ms): it ends now.
  if (source_) source_->Cancel();
  if (refresher_.joinable()) refresher_.join();
  source_.reset();
}

}  // namespace ferry::connectors
