#include "connectors/mirror_source_connector.h"

#include <algorithm>

#include "connectors/mirror_client_config.h"
#include "connectors/mirror_config.h"
#include "connectors/mirror_task_keys.h"
#include "worker/kafka/client.h"
#include "worker/kafka/topics.h"

namespace ferry::connectors {

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

Result<> MirrorSourceConnector::Start(const Properties& config, ConnectorContext& context) {
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
  if (!enabled_) return Ok();

  Properties admin = ClientProps(config, Cluster::kSource, ClientRole::kAdmin);
  if (!admin.count("bootstrap.servers")) {
    return Error::InvalidConfig("source.cluster.bootstrap.servers", "missing: the source cluster must be named");
  }
  admin["client.id"] = parsed->GetString(kSourceClusterAlias) + "->" + target_alias_ + "|" +
                       config.at("name") + "|replication-source-admin";
  auto source = kafka::NewClient(RD_KAFKA_PRODUCER, admin);
  if (!source.ok()) return source.error();
  source_ = std::move(*source);
  if (parsed->GetBool("emit.offset-syncs.enabled")) {
    // MM2 creates it (one partition, compacted) where offset-syncs.topic.location says.
    const bool on_source = parsed->GetString("offset-syncs.topic.location") == "source";
    Properties where = on_source ? admin : ClientProps(config, Cluster::kTarget, ClientRole::kAdmin);
    if (!where.count("bootstrap.servers")) {
      return Error::InvalidConfig("target.cluster.bootstrap.servers", "needed for offset-syncs.topic.location=target");
    }
    kafka::TopicSpec spec;
    spec.name = policy_->OffsetSyncsTopic(on_source ? target_alias_ : parsed->GetString(kSourceClusterAlias));
    spec.partitions = 1;
    spec.replication_factor = static_cast<int>(parsed->GetLong("offset-syncs.topic.replication.factor"));
    spec.configs = {{"cleanup.policy", "compact"}};
    spec.property = "offset-syncs.topic.location";
    FERRY_RETURN_IF_ERROR(kafka::EnsureTopic(where, spec, admin_timeout_));
  }
  auto partitions = FindPartitions();
  if (!partitions.ok()) return partitions.error();
  {
    std::lock_guard lock(mu_);
    partitions_ = std::move(*partitions);
    stopping_ = false;
  }
  if (parsed->GetBool("refresh.topics.enabled")) {
    const auto interval = std::chrono::seconds(std::max<int64_t>(1, parsed->GetLong("refresh.topics.interval.seconds")));
    refresher_ = std::thread([this, interval] { RefreshLoop(interval); });
  }
  return Ok();
}

Result<std::vector<TopicPartition>> MirrorSourceConnector::FindPartitions() {
  // All topics: a request for named topics would auto-create them on some brokers.
  const rd_kafka_metadata_t* raw = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_metadata(source_.get(), 1, nullptr, &raw, static_cast<int>(admin_timeout_.count()));
  if (err) return Error::Kafka("list source topics", err);
  kafka::MetadataPtr md(raw);
  std::vector<TopicPartition> found;
  for (int t = 0; t < md->topic_cnt; ++t) {
    const rd_kafka_metadata_topic_t& topic = md->topics[t];
    if (topic.err) continue;
    const std::string name = topic.topic;
    const bool selected = filter_->Matches(name) || policy_->IsHeartbeatsTopic(name);
    if (!selected || policy_->IsInternalTopic(name) || IsCycle(*policy_, target_alias_, name)) continue;
    for (int p = 0; p < topic.partition_cnt; ++p) found.push_back({name, topic.partitions[p].id});
  }
  std::sort(found.begin(), found.end());
  return found;
}

void MirrorSourceConnector::RefreshLoop(std::chrono::seconds interval) {
  std::unique_lock lock(mu_);
  while (!wake_.wait_for(lock, interval, [this] { return stopping_; })) {
    lock.unlock();
    auto found = FindPartitions();
    lock.lock();
    if (!found.ok()) {
      LOG(WARNING) << "MirrorSourceConnector: topic refresh failed, will retry: " << found.error().message();
      continue;
    }
    if (*found != partitions_) {
      LOG(INFO) << "MirrorSourceConnector: source partitions changed (" << partitions_.size() << " -> "
                << found->size() << "); requesting new task configs";
      partitions_ = std::move(*found);
      context_->RequestTaskReconfiguration();
    }
  }
}

Result<std::vector<Properties>> MirrorSourceConnector::TaskConfigs(int max_tasks) {
  std::vector<Properties> configs;
  if (!enabled_ || max_tasks < 1) return configs;
  std::vector<TopicPartition> partitions;
  {
    std::lock_guard lock(mu_);
    partitions = partitions_;
  }
  const size_t n = std::min(static_cast<size_t>(max_tasks), partitions.size());
  std::vector<std::vector<TopicPartition>> split(n);
  for (size_t i = 0; i < partitions.size(); ++i) split[i % n].push_back(partitions[i]);
  for (size_t i = 0; i < n; ++i) {
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
  if (refresher_.joinable()) refresher_.join();
  source_.reset();
}

}  // namespace ferry::connectors
