#include "tasks/mirror_source_task.h"

#include <set>

#include <glog/logging.h>

#include "connectors/mirror_client_config.h"
#include "connectors/mirror_task_keys.h"
#include "connectors/replication_policy.h"
#include "tasks/mirror_source_metrics.h"
#include "tasks/resume_reader.h"
#include "worker/common/json.h"

namespace ferry::tasks {

// How long an offset commit waits for the syncs covering its positions.
constexpr std::chrono::milliseconds kSyncFlushTimeout{5000};
// How long a start waits to learn its source topics' IDs (said by its offset syncs).
constexpr std::chrono::milliseconds kTopicIdTimeout{5000};

std::string MirrorSourcePartitionJson(const std::string& alias, const TopicPartition& tp) {
  // Member order as MM2 writes it (Java HashMap order of its keys): cluster, partition, topic.
  return "{\"cluster\":" + json::Quote(alias) + ",\"partition\":" + std::to_string(tp.partition) +
         ",\"topic\":" + json::Quote(tp.topic) + "}";
}

namespace {

}  // namespace

Result<int64_t> NextOffsetFromStored(const std::string& offset_json, const TopicPartition& tp) {
  auto doc = json::Parse(offset_json, "stored offset of " + tp.ToString());
  if (!doc.ok()) return doc.error();
  if (!doc->IsObject() || !doc->HasMember("offset") || !(*doc)["offset"].IsInt64()) {
    return Error::Corrupt("stored offset of " + tp.ToString() + " is not {\"offset\":<number>}: " + offset_json);
  }
  return (*doc)["offset"].GetInt64() + 1;
}

Result<> MirrorSourceTask::Start(const Properties& config, TaskContext& context) {
  Result<> started = StartUnnamed(config, context);
  if (!started.ok()) return connectors::NameFailedCluster(started.error(), config);
  return started;
}

Result<> MirrorSourceTask::StartUnnamed(const Properties& config, TaskContext& context) {
  auto get = [&](const char* key) -> std::string {
    auto it = config.find(key);
    return it == config.end() ? "" : it->second;
  };
  source_alias_ = get(connectors::kSourceClusterAlias);
  if (source_alias_.empty()) return Error::InvalidConfig(connectors::kSourceClusterAlias, "missing");
  auto partitions = connectors::ParseTopicPartitions(get(connectors::kTaskAssignedPartitions));
  if (!partitions.ok()) return partitions.error();
  auto policy = connectors::MakeReplicationPolicy(config);
  if (!policy.ok()) return policy.error();
  policy_ = *policy;
  target_alias_ = get("target.cluster.alias");
  if (target_alias_.empty()) target_alias_ = "target";  // MM2's default

  MirrorTaskConfig mirror;
  mirror.name = "mirror-" + source_alias_ + "-task-" + get(connectors::kTaskIndex);
  mirror.source_alias = source_alias_;
  mirror.target_alias = target_alias_;
  mirror.policy = *policy;
  mirror.source_consumer = connectors::ClientProps(config, connectors::Cluster::kSource, connectors::ClientRole::kConsumer);
  mirror.target_producer = connectors::ClientProps(config, connectors::Cluster::kTarget, connectors::ClientRole::kProducer);
  if (!mirror.target_producer.count("bootstrap.servers")) {
    // As in Connect: the worker's own producer writes to the worker's cluster.
    Properties merged = context.WorkerProducerProps();
    for (const auto& [k, v] : mirror.target_producer) merged[k] = v;
    mirror.target_producer = std::move(merged);
  }
  mirror.skip_lost_records = get(connectors::kSkipLostRecords) == "true";
  std::set<std::string> remote_topics;
  for (const TopicPartition& tp : *partitions) {
    int64_t start = kFromLogStart;
    if (auto stored = context.ReadOffset(MirrorSourcePartitionJson(source_alias_, tp))) {
      auto next = NextOffsetFromStored(*stored, tp);
      if (!next.ok()) return next.error();
      start = *next;
    }
    mirror.start_offsets[tp] = start;
    remote_topics.insert(mirror.policy->FormatRemoteTopic(source_alias_, tp.topic));
  }
  active_topics_.assign(remote_topics.begin(), remote_topics.end());
  std::map<TopicPartition, int64_t> resumed_at = mirror.start_offsets;
  FERRY_RETURN_IF_ERROR(PlanStart(config, context, mirror));
  for (const auto& [tp, resume] : resumes_) {
    // With nothing stored, an exact resume starts where the syncs read end, and says so.
    if (resume.mode == ResumeMode::kExact && resumed_at[tp] < 0) resumed_at[tp] = resume.synced_next_source;
  }
  FERRY_RETURN_IF_ERROR(StartOffsetSyncs(config, **policy, context, resumed_at));
  auto task = MirrorTask::Start(std::move(mirror), offset_syncs_.get());
  if (!task.ok()) return task.error();
  task_ = std::move(*task);
  return Ok();
}

Result<> MirrorSourceTask::PlanStart(const Properties& config, TaskContext& context, MirrorTaskConfig& mirror) {
  auto get = [&](const char* key, const char* fallback) {
    auto it = config.find(key);
    return it == config.end() ? std::string(fallback) : it->second;
  };
  ResumePlanConfig plan;
  auto mode = ParseResumeMode(get(kResumeModeConfig, ""));
  if (!mode.ok()) return mode.error();
  plan.mode = *mode;
  try {
    plan.max_compare = std::stoll(get(kResumeMaxCompareConfig, std::to_string(kDefaultResumeMaxCompare).c_str()));
  } catch (const std::exception&) {  // user input: never escapes
    return Error::InvalidConfig(kResumeMaxCompareConfig, "not a number");
  }
  plan.task_name = mirror.name;
  plan.source_consumer = mirror.source_consumer;
  auto with_worker_defaults = [&](Properties props) {
    if (props.count("bootstrap.servers")) return props;
    Properties merged = context.WorkerProducerProps();
    for (const auto& [k, v] : props) merged[k] = v;
    return merged;
  };
  using connectors::Cluster;
  using connectors::ClientRole;
  plan.target_consumer = with_worker_defaults(connectors::ClientProps(config, Cluster::kTarget, ClientRole::kConsumer));
  // Every record on the target, another producer's aborted ones included: they must fail the proof.
  plan.target_consumer["isolation.level"] = "read_uncommitted";
  if (get("emit.offset-syncs.enabled", "true") != "false") {
    const bool on_source = get("offset-syncs.topic.location", "source") == "source";
    kafka::KafkaLogOptions syncs;
    syncs.topic = policy_->OffsetSyncsTopic(on_source ? target_alias_ : source_alias_);
    syncs.consumer = on_source ? connectors::ClientProps(config, Cluster::kSource, ClientRole::kConsumer)
                               : with_worker_defaults(connectors::ClientProps(config, Cluster::kTarget, ClientRole::kConsumer));
    syncs.producer = syncs.consumer;  // only read
    plan.syncs = std::move(syncs);
  }
  resumes_ = PlanResumes(plan, mirror.start_offsets,
                         [&](const std::string& topic) { return policy_->FormatRemoteTopic(source_alias_, topic); });
  for (const auto& [tp, resume] : resumes_) {
    if (resume.mode != ResumeMode::kExact) continue;
    mirror.start_offsets[tp] = resume.next_source;
    mirror.proven_copies[tp] = resume.copies;
  }
  return Ok();
}

Result<> MirrorSourceTask::StartOffsetSyncs(const Properties& config, const connectors::ReplicationPolicy& policy,
                                            TaskContext& context, const std::map<TopicPartition, int64_t>& resumed_at) {
  auto get = [&](const char* key, const char* fallback) {
    auto it = config.find(key);
    return it == config.end() ? std::string(fallback) : it->second;
  };
  if (get("emit.offset-syncs.enabled", "true") == "false") return Ok();
  OffsetSyncWriterConfig sync;
  const bool on_source = get("offset-syncs.topic.location", "source") == "source";
  // MM2 names the topic after the *other* cluster: on the source it is keyed by the target alias.
  sync.topic = policy.OffsetSyncsTopic(on_source ? get("target.cluster.alias", "target") : source_alias_);
  sync.writer_name = "mirror-" + source_alias_ + "-task-" + get(connectors::kTaskIndex, "0");
  sync.resumed_at = resumed_at;  // kFromLogStart where nothing was stored: not said
  // The source topics' IDs, so a reader tells a topic deleted and made again (offsets reused) from
  // the one these syncs map. Without them the syncs say none, as MM2's.
  std::set<std::string> topics;
  for (const auto& [tp, position] : resumed_at) topics.insert(tp.topic);
  auto ids = context.TopicIds(connectors::ClientProps(config, connectors::Cluster::kSource, connectors::ClientRole::kAdmin),
                              {topics.begin(), topics.end()}, kTopicIdTimeout);
  if (ids.ok()) {
    sync.topic_ids = std::move(*ids);
  } else {
    LOG(WARNING) << sync.writer_name << ": the offset syncs name no source topic ID (a topic deleted and made "
                 << "again will not be told apart by them): " << ids.error().message();
  }
  sync.producer = connectors::ClientProps(config, on_source ? connectors::Cluster::kSource : connectors::Cluster::kTarget,
                                          connectors::ClientRole::kProducer);
  if (!sync.producer.count("bootstrap.servers") && !on_source) {
    Properties merged = context.WorkerProducerProps();
    for (const auto& [k, v] : sync.producer) merged[k] = v;
    sync.producer = std::move(merged);
  }
  try {
    sync.offset_lag_max = std::stoll(get("offset.lag.max", "100"));
  } catch (const std::exception&) {  // user input: never escapes
    return Error::InvalidConfig("offset.lag.max", "not a number");
  }
  auto writer = OffsetSyncWriter::Create(std::move(sync));
  if (!writer.ok()) return writer.error();
  offset_syncs_ = std::move(*writer);
  return Ok();
}

void MirrorSourceTask::Stop() {
  if (task_) task_->Stop();  // the worker's last Commit then syncs and offers the final positions
}

void MirrorSourceTask::Commit() {
  if (!task_ || !offset_syncs_) return;
  // Positions first: the writer has seen every record they cover (the task reports progress to the
  // writer before it publishes positions), so the syncs written below cover them.
  std::map<TopicPartition, int64_t> positions = task_->CommittedOffsets();
  offset_syncs_->Commit();
  Result<> written = offset_syncs_->Flush(kSyncFlushTimeout);
  std::lock_guard lock(mu_);
  if (sync_failure_) return;  // a lost sync stays lost: later positions would outrun it
  if (written.ok()) {
    synced_positions_ = std::move(positions);
  } else if (written.error().code() == ErrorCode::kTimeout) {
    LOG(WARNING) << "offset syncs still in flight; positions held back until they are written: "
                 << written.error().message();
  } else if (!sync_failure_) {
    LOG(ERROR) << "offset syncs lost, failing the task: " << written.error().message();
    sync_failure_ = written.error();
  }
}

std::vector<SourceOffsetRecord> MirrorSourceTask::Offsets() const {
  std::vector<SourceOffsetRecord> out;
  if (!task_) return out;
  std::map<TopicPartition, int64_t> positions;
  if (offset_syncs_) {
    std::lock_guard lock(mu_);
    positions = synced_positions_;
  } else {
    positions = task_->CommittedOffsets();
  }
  for (const auto& [tp, next] : positions) {
    if (next <= 0) continue;  // nothing copied and nothing stored before
    out.push_back({MirrorSourcePartitionJson(source_alias_, tp), "{\"offset\":" + std::to_string(next - 1) + "}"});
  }
  return out;
}

std::vector<std::string> MirrorSourceTask::ActiveTopics() const { return active_topics_; }

void MirrorSourceTask::CollectMetrics(metrics::Exposition& out, int64_t now_ms, const metrics::Labels& task) const {
  if (!task_) return;
  const MirrorTaskStats stats = task_->Stats();
  AddMirrorSourceMetrics(stats, source_alias_, target_alias_, *policy_, now_ms, out);
  if (offset_syncs_) AddOffsetSyncMetrics(offset_syncs_->Progress(), source_alias_, target_alias_, *policy_, now_ms, out);
  AddSourceTaskMetrics(stats, task, now_ms, out);
  for (const auto& [tp, resume] : resumes_) {  // how the partitions resumed (docs/exactly-once.md)
    const metrics::Labels labels = {{"source", source_alias_}, {"target", target_alias_},
                                    {"topic", policy_->FormatRemoteTopic(source_alias_, tp.topic)},
                                    {"partition", std::to_string(tp.partition)}};
    out.Add("ferry_mirror_resume_exact",
            "1 when the task resumed the partition at the record after its last copy on the target (proven by "
            "comparison, ferry.resume.mode=exact), 0 when at the stored position.",
            metrics::Type::kGauge, labels, resume.mode == ResumeMode::kExact ? 1 : 0);
    if (resume.duplicates < 0) continue;  // not counted (committed mode, or unknown)
    out.Add("ferry_mirror_resume_duplicates_total",
            "Target records past the stored position's copy that the task copies again since it resumed at the "
            "stored position (at most: another producer's records count too). 0 after an exact resume.",
            metrics::Type::kCounter, labels, static_cast<double>(resume.duplicates));
  }
}

std::string MirrorSourceTask::SyncWriterId() const { return offset_syncs_ ? offset_syncs_->writer_id() : ""; }

std::optional<Error> MirrorSourceTask::failure() const {
  {
    std::lock_guard lock(mu_);
    if (sync_failure_) return sync_failure_;
  }
  return task_ ? task_->failure() : std::nullopt;
}

}  // namespace ferry::tasks
