#include "worker/cutover/service.h"

#include <algorithm>

#include <glog/logging.h>

#include "connectors/filters.h"
#include "connectors/mirror_client_config.h"
#include "connectors/mirror_config.h"
#include "connectors/mirror_source_connector.h"
#include "connectors/mirror_task_keys.h"
#include "connectors/registry.h"
#include "connectors/replication_policy.h"
#include "tasks/mirror_source_task.h"
#include "tasks/offset_sync_store.h"
#include "worker/common/json.h"
#include "worker/cutover/group_state_guard.h"
#include "worker/group/topic_ids.h"
#include "worker/config_store.h"
#include "worker/herder.h"
#include "worker/offset_store.h"
#include "worker/status_store.h"
#include "worker/worker_config.h"
#include "worker/kafka/kafka_log.h"
#include "worker/kafka/topics.h"

namespace ferry::cutover {

using connectors::ClientProps;
using connectors::ClientRole;
using connectors::Cluster;

struct CutoverService::Session {
  std::string name;
  Properties config;
  Properties source_consumer, target_consumer, target_producer, target_admin_props;
  std::unique_ptr<kafka::Admin> source_admin, target_admin;
  std::unique_ptr<PartitionProbe> source_probe, target_probe;
  std::unique_ptr<tasks::OffsetSyncStore> syncs;
  std::unique_ptr<kafka::KafkaLog> journal_log;
  std::unique_ptr<CutoverJournal> journal;
  std::unique_ptr<GroupCutover> cutover;  // last: goes first, it uses everything above
  std::function<bool(const std::string&)> replicates;
  std::string source_alias, target_alias;
  std::shared_ptr<const connectors::ReplicationPolicy> policy;
};

ClusterClients KafkaClusterClients(std::chrono::milliseconds timeout) {
  ClusterClients clients;
  clients.make_admin = [timeout](const Properties& props) -> Result<std::unique_ptr<kafka::Admin>> {
    auto admin = kafka::RdKafkaAdmin::Create(props, timeout);
    if (!admin.ok()) return admin.error();
    return std::unique_ptr<kafka::Admin>(std::make_unique<GroupStateGuard>(std::move(*admin), props, timeout));
  };
  clients.make_probe = [timeout](const Properties& props) -> Result<std::unique_ptr<PartitionProbe>> {
    auto probe = KafkaProbe::Create(props, timeout);
    if (!probe.ok()) return probe.error();
    return std::unique_ptr<PartitionProbe>(std::move(*probe));
  };
  return clients;
}

FlowLookup HerderFlows(worker::Herder& herder) {
  auto is_mirror = [](const Properties& config) {
    auto it = config.find("connector.class");
    if (it == config.end()) return false;
    const connectors::PluginDesc* plugin = connectors::Registry::Builtin().Find(it->second);
    return plugin != nullptr && plugin->class_name == connectors::kMirrorSourceConnectorClass;
  };
  return [&herder, is_mirror](const std::optional<std::string>& connector) -> Result<std::pair<std::string, Properties>> {
    if (connector) {
      auto config = herder.GetConnectorConfig(*connector);
      if (!config.ok()) return config.error();
      if (!is_mirror(*config)) {
        return Error::BadRequest("connector '" + *connector + "' is not a MirrorSourceConnector: only a mirror's "
                                 "offset map can translate a group's offsets");
      }
      auto resolved = herder.ResolveConfig(*config);  // its clients need what the references name
      if (!resolved.ok()) return resolved.error();
      return std::make_pair(*connector, std::move(*resolved));
    }
    auto names = herder.Connectors();
    if (!names.ok()) return names.error();
    std::vector<std::pair<std::string, Properties>> mirrors;
    for (const std::string& name : *names) {
      auto config = herder.GetConnectorConfig(name);
      if (config.ok() && is_mirror(*config)) mirrors.emplace_back(name, std::move(*config));
    }
    if (mirrors.empty()) return Error::NotFound("no MirrorSourceConnector runs on this worker");
    if (mirrors.size() > 1) {
      std::string list;
      for (const auto& m : mirrors) list += (list.empty() ? "" : ", ") + m.first;
      return Error::BadRequest("more than one mirror runs on this worker; name one with ?connector=: " + list);
    }
    auto resolved = herder.ResolveConfig(mirrors.front().second);  // its clients need what the references name
    if (!resolved.ok()) return resolved.error();
    return std::make_pair(mirrors.front().first, std::move(*resolved));
  };
}

std::string JournalTopic(const std::string& source_alias) { return "ferry-cutovers." + source_alias + ".internal"; }

bool VerifyReport::ok() const {
  return std::all_of(partitions.begin(), partitions.end(), [](const PartitionVerification& p) { return p.ok(); });
}

Result<MirrorTaskStateMap> MirrorTaskStatesOf(const MirrorTaskFacts& facts) {
  std::map<TopicPartition, int64_t> resumes_at;  // by the stored positions' partitions
  for (const auto& [partition_json, offset_json] : facts.stored) {
    auto partition = json::Parse(partition_json, "a stored source partition");
    if (!partition.ok() || !partition->IsObject() || !partition->HasMember("topic") ||
        !(*partition)["topic"].IsString() || !partition->HasMember("partition") || !(*partition)["partition"].IsInt()) {
      continue;  // not a MirrorSourceConnector's partition
    }
    const TopicPartition tp{(*partition)["topic"].GetString(), (*partition)["partition"].GetInt()};
    auto next = tasks::NextOffsetFromStored(offset_json, tp);
    if (!next.ok()) return next.error();
    resumes_at[tp] = *next;
  }
  MirrorTaskStateMap states;
  for (size_t task = 0; task < facts.task_configs.size(); ++task) {
    const Properties& config = facts.task_configs[task];
    auto assigned = config.find(connectors::kTaskAssignedPartitions);
    if (assigned == config.end()) continue;
    auto partitions = connectors::ParseTopicPartitions(assigned->second);
    if (!partitions.ok()) return partitions.error();
    MirrorTaskState state{"UNASSIGNED"};
    if (auto status = facts.status(static_cast<int32_t>(task))) state = *status;
    for (const TopicPartition& tp : *partitions) {
      states[tp] = state;
      if (auto r = resumes_at.find(tp); r != resumes_at.end()) states[tp].resumes_at = r->second;
    }
  }
  return states;
}

MirrorTaskStates HerderTaskStates(worker::Herder& herder) {
  return [&herder](const std::string& connector) -> Result<MirrorTaskStateMap> {
    auto tasks = herder.GetTaskConfigs(connector);
    if (!tasks.ok()) return tasks.error();
    auto stored = herder.GetOffsets(connector);
    if (!stored.ok()) return stored.error();
    MirrorTaskFacts facts;
    for (const worker::ConnectorOffset& o : *stored) {
      if (o.offset_json) facts.stored[o.partition_json] = *o.offset_json;
    }
    std::map<int32_t, ConnectorTaskId> ids;
    for (const worker::TaskInfo& task : *tasks) {
      if (task.id.task < 0) continue;
      if (facts.task_configs.size() <= static_cast<size_t>(task.id.task)) facts.task_configs.resize(task.id.task + 1);
      facts.task_configs[task.id.task] = task.config;
      ids[task.id.task] = task.id;
    }
    facts.status = [&herder, &ids](int32_t task) -> std::optional<MirrorTaskState> {
      auto id = ids.find(task);
      if (id == ids.end()) return std::nullopt;
      auto status = herder.GetTaskStatus(id->second);
      if (!status.ok()) return std::nullopt;
      return MirrorTaskState{status->state.state, status->state.sync_writer};
    };
    return MirrorTaskStatesOf(facts);
  };
}

MirrorTaskStates ConnectTopicsTaskStates(const worker::WorkerConfig& config, std::chrono::milliseconds timeout) {
  return [config, timeout](const std::string& connector) -> Result<MirrorTaskStateMap> {
    // Read-only: the stores are read to their ends and nothing is written.
    auto options = [&](const std::string& topic, const std::string& partitioner) {
      kafka::KafkaLogOptions o;
      o.topic = topic;
      o.producer = config.ProducerProps();
      o.consumer = config.ConsumerProps();
      o.partitioner = partitioner;
      return o;
    };
    kafka::KafkaLog config_log(options(config.config_topic, ""));
    kafka::KafkaLog status_log(options(config.status_topic, worker::OffsetStore::kPartitioner));
    kafka::KafkaLog offset_log(options(config.offset_topic, worker::OffsetStore::kPartitioner));
    worker::ConfigStore configs(config_log);
    worker::StatusStore statuses(status_log);
    worker::OffsetStore offsets(offset_log);
    FERRY_RETURN_IF_ERROR(configs.Start(timeout));
    FERRY_RETURN_IF_ERROR(statuses.Start(timeout));
    FERRY_RETURN_IF_ERROR(offsets.Start(timeout));
    const worker::ClusterConfigState snapshot = configs.Snapshot();
    auto state = snapshot.connectors.find(connector);
    if (state == snapshot.connectors.end()) {
      return Error::NotFound("connector " + connector + " is not in the worker cluster's config topic " +
                             config.config_topic);
    }
    MirrorTaskFacts facts;
    facts.task_configs = state->second.task_configs;
    facts.stored = offsets.Offsets(connector);
    facts.status = [&](int32_t task) -> std::optional<MirrorTaskState> {
      auto status = statuses.GetTask({connector, task});
      if (!status) return std::nullopt;
      return MirrorTaskState{status->state, status->sync_writer};
    };
    return MirrorTaskStatesOf(facts);  // the logs stop as they go out of scope
  };
}

CutoverService::CutoverService(FlowLookup flows, Properties worker_defaults, ClusterClients clients,
                               std::chrono::milliseconds timeout, MirrorTaskStates task_states)
    : flows_(std::move(flows)),
      worker_defaults_(std::move(worker_defaults)),
      clients_(std::move(clients)),
      timeout_(timeout),
      task_states_(std::move(task_states)) {}

CutoverService::~CutoverService() {
  std::lock_guard lock(journals_mu_);
  journals_.clear();  // before the sessions go
}

Result<std::unique_ptr<CutoverService::Session>> CutoverService::Open(const std::string& name,
                                                                      const Properties& given) {
  // The mirror's filters see MM2's deprecated keys (topics.blacklist, ...) as their new names, as it does.
  const Properties config = connectors::TranslateMirrorAliases(given);
  auto parsed = connectors::MirrorSourceConfigDef().Parse(config);
  if (!parsed.ok()) return parsed.error();
  auto policy = connectors::MakeReplicationPolicy(config);
  if (!policy.ok()) return policy.error();
  auto filter = connectors::RegexFilter::Make(parsed->GetList("topics"), "topics", parsed->GetList("topics.exclude"),
                                              "topics.exclude");
  if (!filter.ok()) return filter.error();
  auto s = std::make_unique<Session>();
  s->name = name;
  s->config = given;
  s->policy = *policy;
  s->source_alias = parsed->GetString(connectors::kSourceClusterAlias);
  const std::string target_alias = parsed->GetString("target.cluster.alias");
  s->replicates = [policy = *policy, filter = std::move(*filter), target_alias](const std::string& topic) {
    return connectors::MirrorSourceConnector::Replicates(*policy, filter, target_alias, topic);
  };

  // As Connect does, a cluster the config does not name is the worker's own.
  auto props = [&](Cluster cluster, ClientRole role) -> Result<Properties> {
    Properties p = ClientProps(config, cluster, role);
    if (p.count("bootstrap.servers")) return p;
    if (cluster == Cluster::kSource || !worker_defaults_.count("bootstrap.servers")) {
      return Error::InvalidConfig(cluster == Cluster::kSource ? "source.cluster.bootstrap.servers"
                                                              : "target.cluster.bootstrap.servers",
                                  "missing in the config of mirror '" + name + "'");
    }
    Properties merged = worker_defaults_;
    for (const auto& [k, v] : p) merged[k] = v;
    return merged;
  };
  auto source_admin = props(Cluster::kSource, ClientRole::kAdmin);
  if (!source_admin.ok()) return source_admin.error();
  auto target_admin = props(Cluster::kTarget, ClientRole::kAdmin);
  if (!target_admin.ok()) return target_admin.error();
  auto source_consumer = props(Cluster::kSource, ClientRole::kConsumer);
  if (!source_consumer.ok()) return source_consumer.error();
  auto target_consumer = props(Cluster::kTarget, ClientRole::kConsumer);
  if (!target_consumer.ok()) return target_consumer.error();
  auto target_producer = props(Cluster::kTarget, ClientRole::kProducer);
  if (!target_producer.ok()) return target_producer.error();
  s->source_consumer = *source_consumer;
  s->target_consumer = *target_consumer;
  s->target_producer = *target_producer;
  s->target_admin_props = *target_admin;
  s->target_alias = target_alias;

  auto admin = clients_.make_admin(*source_admin);
  if (!admin.ok()) return admin.error();
  s->source_admin = std::move(*admin);
  admin = clients_.make_admin(*target_admin);
  if (!admin.ok()) return admin.error();
  s->target_admin = std::move(*admin);
  auto probe = clients_.make_probe(*source_consumer);
  if (!probe.ok()) return probe.error();
  s->source_probe = std::move(*probe);
  probe = clients_.make_probe(*target_consumer);
  if (!probe.ok()) return probe.error();
  s->target_probe = std::move(*probe);

  // The exact map, from the offset-syncs topic where MM2 keeps it.
  const bool syncs_on_source = parsed->GetString("offset-syncs.topic.location") == "source";
  kafka::KafkaLogOptions syncs;
  syncs.topic = s->policy->OffsetSyncsTopic(syncs_on_source ? target_alias : s->source_alias);
  syncs.consumer = syncs_on_source ? *source_consumer : *target_consumer;
  // Only read, but a KafkaLog has a producer too: given consumer settings, librdkafka warns about each.
  auto syncs_producer = syncs_on_source ? props(Cluster::kSource, ClientRole::kProducer) : target_producer;
  if (!syncs_producer.ok()) return syncs_producer.error();
  syncs.producer = *syncs_producer;
  s->syncs = std::make_unique<tasks::OffsetSyncStore>(std::move(syncs));
  FERRY_RETURN_IF_ERROR(s->syncs->Start(timeout_));

  kafka::TopicSpec spec;
  spec.name = JournalTopic(s->source_alias);
  spec.partitions = 1;
  spec.configs = {{"cleanup.policy", "compact"}};
  spec.exact_partitions = true;
  spec.property = "the cutover journal of mirror '" + name + "'";
  FERRY_RETURN_IF_ERROR(kafka::EnsureTopic(*target_admin, spec, timeout_));
  kafka::KafkaLogOptions journal;
  journal.topic = spec.name;
  journal.consumer = *target_consumer;
  journal.producer = *target_producer;
  s->journal_log = std::make_unique<kafka::KafkaLog>(std::move(journal));
  s->journal = std::make_unique<CutoverJournal>(*s->journal_log);
  FERRY_RETURN_IF_ERROR(s->journal->Start(timeout_));

  Flow flow{name, s->source_alias, target_alias, s->policy, s->replicates};
  if (task_states_) flow.task_states = [states = task_states_, name] { return states(name); };
  const auto ids_timeout = std::min<std::chrono::milliseconds>(timeout_, std::chrono::seconds(10));
  flow.source_topic_ids = [props = *source_admin, ids_timeout](const std::vector<std::string>& topics) {
    return group::LookupTopicIds(props, topics, ids_timeout);
  };
  tasks::OffsetSyncStore* store = s->syncs.get();
  const auto timeout = timeout_;
  s->cutover = std::make_unique<GroupCutover>(
      std::move(flow), FlowClusters{*s->source_admin, *s->target_admin, *s->source_probe, *s->target_probe},
      store->map(), [store, timeout] { return store->ReadToEnd(timeout); }, *s->journal, timeout_);
  LOG(INFO) << "cutover: opened mirror '" << name << "' (offset syncs: " << store->syncs_read() << " read)";
  return s;
}

Result<CutoverService::Session*> CutoverService::SessionFor(const std::optional<std::string>& connector) {
  auto flow = flows_(connector);
  if (!flow.ok()) return flow.error();
  auto& session = sessions_[flow->first];
  if (!session || session->config != flow->second) {
    {
      std::lock_guard journals(journals_mu_);
      journals_.erase(flow->first);
    }
    session.reset();  // a changed config: the old clients go first
    auto opened = Open(flow->first, flow->second);
    if (!opened.ok()) {
      sessions_.erase(flow->first);
      return opened.error();
    }
    session = std::move(*opened);
    std::lock_guard journals(journals_mu_);
    journals_[flow->first] = session->journal.get();
  }
  return session.get();
}

Result<GroupPlan> CutoverService::Plan(const std::optional<std::string>& connector, const std::string& group,
                                       Direction direction, const MoveOptions& options) {
  std::lock_guard lock(mu_);
  auto session = SessionFor(connector);
  if (!session.ok()) return session.error();
  return (*session)->cutover->Plan(group, direction, options);
}

Result<MoveReport> CutoverService::Move(const std::optional<std::string>& connector, const std::string& group,
                                        Direction direction, const MoveOptions& options) {
  std::lock_guard lock(mu_);
  auto session = SessionFor(connector);
  if (!session.ok()) return session.error();
  return (*session)->cutover->Move(group, direction, options);
}

Result<GroupStatus> CutoverService::Status(const std::optional<std::string>& connector, const std::string& group) {
  std::lock_guard lock(mu_);
  auto session = SessionFor(connector);
  if (!session.ok()) return session.error();
  return (*session)->cutover->Status(group);
}

Result<PositionsReport> CutoverService::Translate(const std::optional<std::string>& connector,
                                                  const std::vector<std::pair<TopicPartition, int64_t>>& positions,
                                                  Direction direction) {
  std::lock_guard lock(mu_);
  auto session = SessionFor(connector);
  if (!session.ok()) return session.error();
  return (*session)->cutover->TranslatePositions(positions, direction);
}

Result<VerifyReport> CutoverService::Verify(const std::optional<std::string>& connector, const std::string& topic,
                                            std::optional<int32_t> partition) {
  std::lock_guard lock(mu_);
  auto found = SessionFor(connector);
  if (!found.ok()) return found.error();
  Session& s = **found;
  FERRY_RETURN_IF_ERROR(s.syncs->ReadToEnd(timeout_));
  auto topics = s.source_admin->ListTopics();
  if (!topics.ok()) return topics.error();
  auto it = topics->find(topic);
  if (it == topics->end() || !s.replicates(topic)) {
    return Error::NotFound("topic '" + topic + "' is not mirrored by '" + s.name + "'");
  }
  const int count = it->second;
  if (partition && (*partition < 0 || *partition >= count)) {
    return Error::NotFound("topic '" + topic + "' has no partition " + std::to_string(*partition));
  }
  // Reading every copied record takes a while; the whole verification of one partition gets longer.
  const auto verify_timeout = std::max<std::chrono::milliseconds>(timeout_, std::chrono::minutes(10));
  const tasks::OffsetMap& map = s.syncs->map();
  VerifyReport report;
  report.connector = s.name;
  for (int p = partition.value_or(0); p < (partition ? *partition + 1 : count); ++p) {
    const TopicPartition source{topic, p};
    const TopicPartition target{s.policy->FormatRemoteTopic(s.source_alias, topic), p};
    auto watermarks = s.source_probe->Watermarks(source);
    if (!watermarks.ok()) return watermarks.error();
    // What is still on the source of what was copied (retention may have removed the oldest).
    const auto covered = map.Covered(source);
    const int64_t start = covered ? std::max(watermarks->low, covered->first_source.value) : 0;
    const int64_t end = covered ? std::max(start, std::min(covered->next_source.value, watermarks->high)) : 0;
    if (start == end) {
      report.partitions.push_back(PartitionVerification{source, target, start, end, -1, -1, 0, {}, {}, {}});
      continue;
    }
    VerifyRequest request{source, target, start, end,
                          [&map, source](SourceOffset o) { return map.Translate(source, o); }};
    auto verified = VerifyPartition(s.source_consumer, s.target_consumer, request, verify_timeout);
    if (!verified.ok()) return verified.error();
    report.partitions.push_back(std::move(*verified));
  }
  return report;
}

Result<> CutoverService::WithFlow(const std::optional<std::string>& connector,
                                  const std::function<Result<>(const FlowAccess&)>& use) {
  std::lock_guard lock(mu_);
  auto found = SessionFor(connector);
  if (!found.ok()) return found.error();
  Session& s = **found;
  return use(FlowAccess{s.name, s.source_alias, s.target_alias, *s.source_admin, *s.source_probe, s.target_admin_props,
                        s.target_consumer, s.target_producer});
}

void CutoverService::CollectMetrics(metrics::Exposition& out) const {
  // Two mirrors may read one journal (the same source alias and target): each group once.
  std::map<std::pair<std::string, std::string>, CutoverGroupState> groups;  // by (connector, group)
  {
    std::lock_guard lock(journals_mu_);
    for (const auto& [name, journal] : journals_) {
      journal->ForEachLatest([&groups, &name = name](const JournalEntry& e) {
        const std::string& connector = e.connector.empty() ? name : e.connector;
        groups[{connector, e.group}] = CutoverGroupState{connector, e.group, e.direction, e.state, e.time_ms};
      });
    }
  }
  std::vector<CutoverGroupState> states;
  states.reserve(groups.size());
  for (auto& [key, state] : groups) states.push_back(std::move(state));
  AddCutoverMetrics(states, out);
}

void AddCutoverMetrics(const std::vector<CutoverGroupState>& groups, metrics::Exposition& out) {
  for (const CutoverGroupState& g : groups) {
    out.Add("ferry_cutover_group_state", "The group's latest cutover journal entry (1): its direction and state.",
            metrics::Type::kGauge,
            {{"connector", g.connector}, {"group", g.group}, {"direction", DirectionName(g.direction)},
             {"state", StateName(g.state)}},
            1);
    out.Add("ferry_cutover_group_last_move_timestamp_seconds",
            "When the group's latest cutover journal entry was written (Unix time).", metrics::Type::kGauge,
            {{"connector", g.connector}, {"group", g.group}}, static_cast<double>(g.time_ms) / 1000.0);
  }
}

}  // namespace ferry::cutover
