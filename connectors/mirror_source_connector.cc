#include "connectors/mirror_source_connector.h"

#include <algorithm>
#include <set>

#include "connectors/mirror_client_config.h"
#include "connectors/mirror_config.h"
#include "connectors/acl_sync.h"
#include "connectors/mirror_task_keys.h"
#include "worker/kafka/topics.h"

namespace ferry::connectors {

namespace {

// A sync pass that changed something is worth an INFO line; one with errors a WARNING.
void LogReport(const SyncReport& report) {
  if (!report.errors.empty()) {
    LOG(WARNING) << "MirrorSourceConnector: " << report.ToString();
  } else if (report.changed()) {
    LOG(INFO) << "MirrorSourceConnector: " << report.ToString();
  }
}

}  // namespace

Result<> EnsureInternalTopic(const Properties& admin_props, const std::string& name, int replication_factor,
                             const std::string& property, std::chrono::milliseconds timeout) {
  kafka::TopicSpec spec;
  spec.name = name;
  spec.partitions = 1;
  spec.replication_factor = replication_factor;
  spec.configs = {{"cleanup.policy", "compact"}};
  spec.property = property;
  return AcceptInternalTopicOutcome(name, kafka::EnsureTopic(admin_props, spec, timeout));
}

Result<> AcceptInternalTopicOutcome(const std::string& topic, const Result<>& created) {
  if (created.ok()) return Ok();
  const Error& error = created.error();
  // EnsureTopic reports a refused creation as kKafka with the broker's code; classify that code as
  // the Admin calls do.
  const Error classified = error.code() == ErrorCode::kKafka && error.kafka_err() != RD_KAFKA_RESP_ERR_NO_ERROR
                               ? kafka::AdminError("CreateTopics", error.kafka_err())
                               : error;
  if (classified.code() == ErrorCode::kForbidden || classified.code() == ErrorCode::kUnsupported) {
    // As MM2: an administrator may have made it, or the broker auto-creates it; if not, the task
    // writing to it fails.
    LOG(WARNING) << "Internal topic '" << topic << "' was not created (" << classified.message()
                 << "); assuming it exists, as MM2 does";
    return Ok();
  }
  if (error.message().find("'" + topic + "'") != std::string::npos) return error;
  return Error(error.code(), "internal topic '" + topic + "': " + error.message(), error.retriable(),
               error.kafka_err());
}

MirrorSourceConnector::~MirrorSourceConnector() { Stop(); }

const ConfigDef& MirrorSourceConnector::Definition() const { return MirrorSourceConfigDef(); }

bool MirrorSourceConnector::IsCycle(const ReplicationPolicy& policy, const std::string& target_alias,
                                    const std::string& topic) {
  std::string current = topic;
  for (int hop = 0; hop < 64; ++hop) {  // names are finite; the bound only guards a broken policy
    const auto source = policy.TopicSource(current);
    if (!source) return false;
    if (*source == target_alias) return true;
    const auto upstream = policy.UpstreamTopic(current);
    if (!upstream || *upstream == current) return false;
    current = *upstream;
  }
  return false;
}

std::map<std::string, std::vector<std::string>> MirrorSourceConnector::ValidateAcrossKeys(
    const Properties& config) const {
  // MM2 3.9's MirrorSourceConnector.validate(); unlike the checkpoint connector's, it runs even when
  // `enabled` is false.
  KeyErrors errors;
  if (RawValueIs(config, "exactly.once.support", "required")) {
    // Without read_committed the consumer hands over records of aborted transactions too.
    const Properties consumer = ClientProps(config, Cluster::kSource, ClientRole::kConsumer);
    auto isolation = consumer.find("isolation.level");
    if (isolation == consumer.end() || isolation->second != "read_committed") {
      errors["exactly.once.support"].push_back(
          "MirrorSourceConnector can only provide exactly-once guarantees when its source consumer is configured "
          "with isolation.level set to 'read_committed'; otherwise, records from aborted and uncommitted "
          "transactions will be replicated from the source cluster to the target cluster.");
    }
  }
  if (RawValueIs(config, "emit.offset-syncs.enabled", "false")) {
    // Settings for the offset-syncs topic or its clients contradict turning offset syncs off.
    const bool offset_syncs_configured = std::any_of(config.begin(), config.end(), [](const auto& kv) {
      return kv.first.starts_with("offset-syncs-") || kv.first.starts_with("offset-syncs.topic.");
    });
    if (offset_syncs_configured) {
      errors["emit.offset-syncs.enabled"].push_back(
          "MirrorSourceConnector can't setup offset-syncs feature while emit.offset-syncs.enabled set to false");
    }
  }
  return errors;
}

Result<> MirrorSourceConnector::Start(const Properties& config, ConnectorContext& context) {
  Result<> started = StartUnnamed(config, context);
  if (!started.ok()) return connectors::NameFailedCluster(started.error(), config);
  return started;
}

Result<> MirrorSourceConnector::StartUnnamed(const Properties& given, ConnectorContext& context) {
  // Filters and task configs see the deprecated aliases (topics.blacklist, ...) as their new keys.
  const Properties config = TranslateMirrorAliases(given);
  auto parsed = MirrorSourceConfigDef().Parse(config);
  if (!parsed.ok()) return parsed.error();
  config_ = config;
  context_ = &context;
  enabled_ = parsed->GetBool("enabled");
  target_alias_ = parsed->GetString("target.cluster.alias");
  admin_timeout_ = std::chrono::milliseconds(parsed->GetLong("admin.timeout.ms"));
  auto policy = MakeReplicationPolicy(config);
  if (!policy.ok()) return policy.error();
  policy_ = *policy;
  auto filter = RegexFilter::Make(parsed->GetList("topics"), "topics", parsed->GetList("topics.exclude"), "topics.exclude");
  if (!filter.ok()) return filter.error();
  filter_ = std::move(*filter);
  auto config_filter = ConfigPropertyFilter::FromConfig(config);
  if (!config_filter.ok()) return config_filter.error();
  if (!enabled_) return Ok();

  const std::string source_alias = parsed->GetString(kSourceClusterAlias);
  const std::string client_base = source_alias + "->" + target_alias_ + "|" + config.at("name") + "|";
  Properties source_admin = ClientProps(config, Cluster::kSource, ClientRole::kAdmin);
  Properties target_admin = ClientProps(config, Cluster::kTarget, ClientRole::kAdmin);
  if (!source_admin.count("bootstrap.servers")) {
    return Error::InvalidConfig("source.cluster.bootstrap.servers", "missing: the source cluster must be named");
  }
  if (!target_admin.count("bootstrap.servers")) {
    return Error::InvalidConfig("target.cluster.bootstrap.servers", "missing: remote topics are made on the target");
  }
  source_admin["client.id"] = client_base + "replication-source-admin";
  target_admin["client.id"] = client_base + "replication-target-admin";
  auto source = kafka::RdKafkaAdmin::Create(source_admin, admin_timeout_);
  if (!source.ok()) return source.error();
  source_ = std::move(*source);
  auto target = kafka::RdKafkaAdmin::Create(target_admin, admin_timeout_);
  if (!target.ok()) return target.error();
  target_ = std::move(*target);

  if (parsed->GetBool("emit.offset-syncs.enabled")) {
    // MM2 creates it (one partition, compacted) where offset-syncs.topic.location says.
    const bool on_source = parsed->GetString("offset-syncs.topic.location") == "source";
    FERRY_RETURN_IF_ERROR(EnsureInternalTopic(
        on_source ? source_admin : target_admin, policy_->OffsetSyncsTopic(on_source ? target_alias_ : source_alias),
        static_cast<int>(parsed->GetLong("offset-syncs.topic.replication.factor")), "offset-syncs.topic.location",
        admin_timeout_));
  }

  sync_options_ = TopicSyncOptions{MirrorTopics{source_alias, policy_, [this](const std::string& t) { return ShouldReplicate(t); }},
                                   parsed->GetInt("replication.factor"), std::move(*config_filter)};
  // Remote topics exist before any task produces to them: the partitions are listed first, so that
  // the sync's own listing, later, holds every topic the tasks get (one made in between included).
  auto partitions = FindPartitions();
  if (!partitions.ok()) return partitions.error();
  auto synced = SyncRemoteTopics(*source_, *target_, *sync_options_);
  if (!synced.ok()) return synced.error();
  if (!synced->errors.empty()) return synced->errors.front();
  LogReport(*synced);
  {
    std::lock_guard lock(mu_);
    partitions_ = std::move(*partitions);
    stopping_ = false;
  }
  auto every = [&](const char* enabled, const char* interval) -> std::optional<std::chrono::seconds> {
    if (!parsed->GetBool(enabled)) return std::nullopt;
    return std::chrono::seconds(std::max<int64_t>(1, parsed->GetLong(interval)));
  };
  refresh_every_ = every("refresh.topics.enabled", "refresh.topics.interval.seconds");
  configs_every_ = every("sync.topic.configs.enabled", "sync.topic.configs.interval.seconds");
  acls_every_ = every("sync.topic.acls.enabled", "sync.topic.acls.interval.seconds");
  if (refresh_every_ || configs_every_ || acls_every_) scheduler_ = std::thread([this] { Schedule(); });
  return Ok();
}

bool MirrorSourceConnector::Replicates(const ReplicationPolicy& policy, const RegexFilter& filter,
                                       const std::string& target_alias, const std::string& topic) {
  return (filter.Matches(topic) || policy.IsHeartbeatsTopic(topic)) && !policy.IsInternalTopic(topic) &&
         !IsCycle(policy, target_alias, topic);
}

bool MirrorSourceConnector::ShouldReplicate(const std::string& topic) const {
  return Replicates(*policy_, *filter_, target_alias_, topic);
}

Result<std::vector<TopicPartition>> MirrorSourceConnector::FindPartitions() {
  auto topics = source_->ListTopics();
  if (!topics.ok()) return topics.error();
  std::vector<TopicPartition> found;
  for (const auto& [name, count] : *topics) {
    if (!ShouldReplicate(name)) continue;
    for (int p = 0; p < count; ++p) found.push_back({name, p});
  }
  std::sort(found.begin(), found.end());
  return found;
}

void MirrorSourceConnector::Schedule() {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  // As MM2: config and ACL syncs run at once, the topic refresh first after one interval.
  std::optional<Clock::time_point> next_refresh, next_configs, next_acls;
  if (refresh_every_) next_refresh = start + *refresh_every_;
  if (configs_every_) next_configs = start;
  if (acls_every_) next_acls = start;
  std::unique_lock lock(mu_);
  while (!stopping_) {
    Clock::time_point due = Clock::time_point::max();
    for (const auto& next : {next_refresh, next_configs, next_acls}) {
      if (next) due = std::min(due, *next);
    }
    if (wake_.wait_until(lock, due, [this] { return stopping_; })) break;
    const auto now = Clock::now();
    lock.unlock();
    // Stop() cancels both admins, so a pass under way ends at its next admin call; no other pass
    // starts once stopping is asked.
    if (next_refresh && now >= *next_refresh && !Stopping()) {
      RefreshTopics();
      next_refresh = now + *refresh_every_;
    }
    if (next_configs && now >= *next_configs && !Stopping()) {
      SyncConfigs();
      next_configs = now + *configs_every_;
    }
    if (next_acls && now >= *next_acls && !Stopping()) {
      SyncAcls();
      next_acls = now + *acls_every_;
    }
    lock.lock();
  }
}

bool MirrorSourceConnector::Stopping() {
  std::lock_guard lock(mu_);
  return stopping_;
}

void MirrorSourceConnector::RefreshTopics() {
  // As at start: the partitions first, then the remote topics, so that no task gets a partition
  // whose remote topic the sync has not seen (a task fails to start on a missing remote topic).
  auto found = FindPartitions();
  if (Stopping()) return;  // its errors are those of the cancelled admins
  if (!found.ok()) {
    LOG(WARNING) << "MirrorSourceConnector: topic refresh failed, will retry: " << found.error().message();
    return;
  }
  auto synced = SyncRemoteTopics(*source_, *target_, *sync_options_);
  if (Stopping()) return;
  if (!synced.ok()) {
    LOG(WARNING) << "MirrorSourceConnector: remote topic sync failed, will retry: " << synced.error().message();
    return;
  }
  LogReport(*synced);
  std::lock_guard lock(mu_);
  if (*found != partitions_) {
    LOG(INFO) << "MirrorSourceConnector: source partitions changed (" << partitions_.size() << " -> "
              << found->size() << "); requesting new task configs";
    partitions_ = std::move(*found);
    context_->RequestTaskReconfiguration();
  }
}

void MirrorSourceConnector::SyncConfigs() {
  auto synced = SyncTopicConfigs(*source_, *target_, *sync_options_);
  if (Stopping()) return;
  if (!synced.ok()) {
    LOG(WARNING) << "MirrorSourceConnector: topic config sync failed, will retry: " << synced.error().message();
  } else {
    LogReport(*synced);
  }
}

void MirrorSourceConnector::SyncAcls() {
  auto synced = SyncTopicAcls(*source_, *target_, sync_options_->topics);
  if (Stopping()) return;
  if (!synced.ok()) {
    if (synced.error().code() == ErrorCode::kUnsupported) {
      if (!acls_unsupported_logged_) {
        LOG(INFO) << "MirrorSourceConnector: the source has no authorizer, so there are no ACLs to sync ("
                  << synced.error().message() << "); set sync.topic.acls.enabled=false to stop trying";
        acls_unsupported_logged_ = true;
      }
      return;
    }
    LOG(WARNING) << "MirrorSourceConnector: topic ACL sync failed, will retry: " << synced.error().message();
  } else {
    LogReport(*synced);
  }
}

std::vector<std::vector<TopicPartition>> MirrorSourceConnector::Split(
    const std::vector<std::vector<TopicPartition>>& previous, const std::vector<TopicPartition>& partitions, size_t n) {
  std::vector<std::vector<TopicPartition>> split(n);
  if (n == 0) return split;
  if (previous.size() != n) {
    for (size_t i = 0; i < partitions.size(); ++i) split[i % n].push_back(partitions[i]);
    return split;
  }
  const std::set<TopicPartition> live(partitions.begin(), partitions.end());
  std::set<TopicPartition> placed;
  for (size_t t = 0; t < n; ++t) {
    for (const TopicPartition& tp : previous[t]) {
      if (live.count(tp) && placed.insert(tp).second) split[t].push_back(tp);
    }
  }
  auto smallest = [&] {
    return std::min_element(split.begin(), split.end(), [](const auto& a, const auto& b) { return a.size() < b.size(); });
  };
  auto largest = [&] {
    return std::max_element(split.begin(), split.end(), [](const auto& a, const auto& b) { return a.size() < b.size(); });
  };
  for (const TopicPartition& tp : partitions) {
    if (!placed.count(tp)) smallest()->push_back(tp);
  }
  while (largest()->size() > smallest()->size() + 1) {
    auto from = largest();
    auto to = smallest();
    to->push_back(from->back());
    from->pop_back();
  }
  for (auto& task : split) std::sort(task.begin(), task.end());
  return split;
}

Result<std::vector<Properties>> MirrorSourceConnector::TaskConfigs(int max_tasks) {
  std::vector<Properties> configs;
  if (!enabled_ || max_tasks < 1) return configs;
  std::vector<std::vector<TopicPartition>> split;
  {
    std::lock_guard lock(mu_);
    split_ = Split(split_, partitions_, std::min(static_cast<size_t>(max_tasks), partitions_.size()));
    split = split_;
  }
  for (size_t i = 0; i < split.size(); ++i) {
    Properties task = config_;
    task[kTaskClass] = kMirrorSourceTaskClass;
    task[kTaskAssignedPartitions] = FormatTopicPartitions(split[i]);
    task[kTaskIndex] = std::to_string(i);
    configs.push_back(std::move(task));
  }
  return configs;
}

void MirrorSourceConnector::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  // The scheduler may be waiting on a cluster that is gone (admin.timeout.ms per call): its admin
  // calls end now, so the join below is prompt.
  if (source_) source_->Cancel();
  if (target_) target_->Cancel();
  if (scheduler_.joinable()) scheduler_.join();
  source_.reset();
  target_.reset();
}

}  // namespace ferry::connectors
