#include "worker/runtime.h"

#include <glog/logging.h>

#include "worker/file_log.h"
#include "worker/group/security.h"
#include "worker/kafka/client.h"
#include "worker/kafka/topics.h"
#include "worker/kafka/kafka_log.h"
#include "worker/memory_log.h"

namespace ferry::worker {
namespace {

constexpr std::chrono::milliseconds kAdminTimeout{30000};

kafka::KafkaLogOptions LogOptions(const WorkerConfig& config, const std::string& topic, const std::string& role,
                           const std::string& partitioner) {
  kafka::KafkaLogOptions options;
  options.topic = topic;
  const std::string base = config.group_id + "-" + (config.client_id.empty() ? "" : config.client_id + "-");
  options.producer = config.ProducerProps();
  options.producer["client.id"] = base + role;
  options.consumer = config.ConsumerProps();
  options.consumer["client.id"] = base + role;
  options.partitioner = partitioner;
  return options;
}

kafka::TopicSpec Spec(const std::string& topic, int partitions, int replication_factor, Properties settings,
                      bool exact, const char* property) {
  settings["cleanup.policy"] = "compact";
  return {topic, partitions, replication_factor, std::move(settings), exact, property};
}

// The Kafka cluster id for GET /, best effort: an empty id is shown when the cluster does not tell.
std::string ClusterId(const Properties& admin_props) {
  auto rk = kafka::NewClient(RD_KAFKA_PRODUCER, admin_props);
  if (!rk.ok()) return "";
  // Up to 5 s, in slices: a client whose login or certificate is refused (kafka::ConfigFailure)
  // gives up at once; the start then fails on it, saying why.
  char* id = nullptr;
  for (int slice = 0; slice < 10 && id == nullptr && !kafka::ConfigFailure(rk->get()); ++slice) {
    id = rd_kafka_clusterid(rk->get(), 500);
  }
  if (id == nullptr) return "";
  std::string out(id);
  rd_kafka_mem_free(rk->get(), id);
  return out;
}

// How this worker joins its Connect cluster: the group client connects with the admin client's
// settings (security.protocol, ssl.*, sasl.*), so a secured cluster is joined as librdkafka's clients
// reach it. Settings the group client cannot honour fail the start, naming the key.
Result<std::optional<WorkerGroupConfig>> GroupConfig(const WorkerConfig& config) {
  const Properties admin = config.AdminProps();
  Result<std::shared_ptr<const group::ClientSecurity>> security = group::ClientSecurity::FromProperties(admin);
  if (!security.ok()) {
    const Error& e = security.error();
    return Error(e.code(), "the worker group client cannot use the worker's Kafka settings: " + e.message(),
                 e.retriable(), e.kafka_err());
  }
  auto protocols = group::ParseConnectProtocol(config.connect_protocol);
  if (!protocols.ok()) return Error::InvalidConfig(WorkerConfig::kConnectProtocol, protocols.error().message());
  WorkerGroupConfig group;
  const std::string servers = admin.count("bootstrap.servers") ? admin.at("bootstrap.servers") : "";
  for (size_t start = 0; start < servers.size();) {
    size_t comma = servers.find(',', start);
    if (comma == std::string::npos) comma = servers.size();
    std::string server = servers.substr(start, comma - start);
    server.erase(0, server.find_first_not_of(' '));
    server.erase(server.find_last_not_of(' ') + 1);
    if (!server.empty()) group.bootstrap_servers.push_back(server);
    start = comma + 1;
  }
  group.group_id = config.group_id;
  group.security = std::move(*security);
  group.protocol = *protocols;
  group.session_timeout = std::chrono::milliseconds(config.session_timeout_ms);
  group.heartbeat_interval = std::chrono::milliseconds(config.heartbeat_interval_ms);
  group.rebalance_timeout = std::chrono::milliseconds(config.rebalance_timeout_ms);
  group.scheduled_rebalance_max_delay_ms = config.scheduled_rebalance_max_delay_ms;
  group.leader_sync_delay = std::chrono::milliseconds(config.leader_sync_delay_ms);
  return std::optional<WorkerGroupConfig>(std::move(group));
}

}  // namespace

std::string BuildCommit() {
#ifdef FERRY_COMMIT
  return FERRY_COMMIT;
#else
  return "";
#endif
}

Result<std::unique_ptr<WorkerRuntime>> WorkerRuntime::Create(const WorkerConfig& config,
                                                             const std::string& rest_namespace) {
  std::unique_ptr<WorkerRuntime> rt(new WorkerRuntime());
  rt->distributed_ = config.mode == WorkerMode::kDistributed;
  if (rt->distributed_) {
    rt->config_log_ = std::make_unique<kafka::KafkaLog>(LogOptions(config, config.config_topic, "configs", ""));
    // Keyed by bytes and partitioned like Java's producer, so Connect's and Ferry's records meet.
    rt->offset_log_ = std::make_unique<kafka::KafkaLog>(LogOptions(config, config.offset_topic, "offsets", "murmur2_random"));
    rt->status_log_ = std::make_unique<kafka::KafkaLog>(LogOptions(config, config.status_topic, "statuses", "murmur2_random"));
  } else {
    rt->config_log_ = std::make_unique<MemoryLog>("standalone config log");
    rt->offset_log_ = std::make_unique<FileLog>(config.offset_file);
    rt->status_log_ = std::make_unique<MemoryLog>("standalone status log");
  }
  rt->configs_ = std::make_unique<ConfigStore>(*rt->config_log_);
  rt->offsets_ = std::make_unique<OffsetStore>(*rt->offset_log_);
  rt->statuses_ = std::make_unique<StatusStore>(*rt->status_log_);
  HerderConfig hc;
  hc.topic_tracking = config.topic_tracking_enable;
  hc.topic_tracking_allow_reset = config.topic_tracking_allow_reset;
  hc.worker_producer_props = config.ProducerProps();
  hc.config_providers = config.config_providers;
  hc.offset_flush_interval = std::chrono::milliseconds(config.offset_flush_interval_ms);
  hc.offset_flush_timeout = std::chrono::milliseconds(config.offset_flush_timeout_ms);
  hc.kafka_cluster_id = ClusterId(config.AdminProps());
  hc.rest_namespace = rest_namespace;
  hc.rest_scheme = config.advertised_scheme;
  hc.inter_worker_key_ttl = std::chrono::milliseconds(config.inter_worker_key_ttl_ms);
  hc.inter_worker_key_algorithm = config.inter_worker_key_algorithm;
  hc.inter_worker_signature_algorithm = config.inter_worker_signature_algorithm;
  hc.inter_worker_verification_algorithms = config.inter_worker_verification_algorithms;
  if (rt->distributed_) {
    auto group = GroupConfig(config);
    if (!group.ok()) return group.error();
    hc.group = std::move(*group);
  }
  if (std::string commit = BuildCommit(); !commit.empty()) hc.commit = std::move(commit);
  rt->herder_ = std::make_unique<ConnectHerder>(std::move(hc), *rt->configs_, *rt->offsets_, *rt->statuses_);
  return rt;
}

WorkerRuntime::~WorkerRuntime() { Stop(); }

Result<> WorkerRuntime::Start(const WorkerConfig& config) {
  FERRY_RETURN_IF_ERROR(EnsureInternalTopics(config));
  return StartHerder(config);
}

Result<> WorkerRuntime::EnsureInternalTopics(const WorkerConfig& config) {
  if (!distributed_) return Ok();
  const Properties admin = config.AdminProps();
  // The first contact with the cluster: when it fails, say which cluster, which key names it and what
  // was being tried, not only librdkafka's "Broker transport failure".
  auto ensure = [&](const kafka::TopicSpec& spec, const char* key, const std::string& topic) -> Result<> {
    Result<> ensured = kafka::EnsureTopic(admin, spec, kAdminTimeout);
    if (ensured.ok() || (ensured.error().code() != ErrorCode::kKafka && ensured.error().code() != ErrorCode::kTimeout)) {
      return ensured;
    }
    const Error& e = ensured.error();
    return Error(e.code(),
                 "cannot reach the worker's Kafka cluster at " + std::string(WorkerConfig::kBootstrapServers) + "=" +
                     config.bootstrap_servers + ": finding or creating the " + key + " '" + topic +
                     "' did not succeed within " + std::to_string(kAdminTimeout.count() / 1000) + " s (" +
                     e.message() + ")",
                 e.retriable(), e.kafka_err());
  };
  FERRY_RETURN_IF_ERROR(ensure(Spec(config.config_topic, 1, config.config_replication_factor,
                                    config.config_topic_settings, true, WorkerConfig::kConfigTopic),
                               WorkerConfig::kConfigTopic, config.config_topic));
  FERRY_RETURN_IF_ERROR(ensure(Spec(config.offset_topic, config.offset_partitions, config.offset_replication_factor,
                                    config.offset_topic_settings, false, WorkerConfig::kOffsetTopic),
                               WorkerConfig::kOffsetTopic, config.offset_topic));
  FERRY_RETURN_IF_ERROR(ensure(Spec(config.status_topic, config.status_partitions, config.status_replication_factor,
                                    config.status_topic_settings, false, WorkerConfig::kStatusTopic),
                               WorkerConfig::kStatusTopic, config.status_topic));
  return Ok();
}

Result<> WorkerRuntime::StartHerder(const WorkerConfig& config) { return herder_->Start(config.WorkerId()); }

void WorkerRuntime::Stop() {
  if (herder_) herder_->Stop();
}

}  // namespace ferry::worker
