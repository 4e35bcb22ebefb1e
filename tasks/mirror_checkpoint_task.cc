#include "tasks/mirror_checkpoint_task.h"

#include <algorithm>
#include <tuple>

#include <glog/logging.h>

#include "connectors/mirror_client_config.h"
#include "connectors/mirror_config.h"
#include "connectors/mirror_task_keys.h"
#include "worker/common/json.h"
#include "worker/kafka/client.h"

namespace ferry::tasks {
namespace {

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A checkpoint in flight: the delivery report's opaque.
struct PendingCheckpoint {
  std::string group;
  TopicPartition tp;  // the remote topic-partition
  int64_t made_ms;
};

constexpr std::chrono::milliseconds kAdminTimeout{30000};

// Copied source offsets two writers contest: the contested stretch is open-ended until a later
// writer's restart, so it counts up to the copied-up-to point.
int64_t Contested(const OffsetMap::Coverage& c) {
  if (c.contested_from < 0) return 0;
  return std::max<int64_t>(0, std::min(c.contested_until, c.next_source.value) - c.contested_from);
}

Properties WithWorkerDefaults(Properties props, TaskContext& context) {
  if (props.count("bootstrap.servers")) return props;
  Properties merged = context.WorkerProducerProps();
  for (const auto& [k, v] : props) merged[k] = v;
  return merged;
}

std::vector<std::string> SplitList(const std::string& list) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < list.size()) {
    size_t comma = list.find(',', start);
    if (comma == std::string::npos) comma = list.size();
    if (comma > start) out.push_back(list.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

}  // namespace

MirrorCheckpointTask::~MirrorCheckpointTask() { Stop(); }

Result<> MirrorCheckpointTask::Start(const Properties& config, TaskContext& context) {
  Result<> started = StartUnnamed(config, context);
  if (!started.ok()) return connectors::NameFailedCluster(started.error(), config);
  return started;
}

Result<> MirrorCheckpointTask::StartUnnamed(const Properties& given, TaskContext& context) {
  // Task configs written by MM2 itself may still carry topics.blacklist: read it as topics.exclude.
  const Properties config = connectors::TranslateMirrorAliases(given);
  auto parsed = connectors::MirrorCheckpointConfigDef().Parse(config);
  if (!parsed.ok()) return parsed.error();
  const std::string source_alias = parsed->GetString(connectors::kSourceClusterAlias);
  const std::string target_alias = parsed->GetString("target.cluster.alias");
  source_alias_ = source_alias;
  target_alias_ = target_alias;
  auto assigned = config.find(connectors::kTaskAssignedGroups);
  groups_ = SplitList(assigned == config.end() ? "" : assigned->second);
  emit_interval_ = std::chrono::seconds(std::max<int64_t>(1, parsed->GetLong("emit.checkpoints.interval.seconds")));
  sync_group_offsets_ = parsed->GetBool("sync.group.offsets.enabled");
  sync_interval_ = std::chrono::seconds(std::max<int64_t>(1, parsed->GetLong("sync.group.offsets.interval.seconds")));
  auto policy = connectors::MakeReplicationPolicy(config);
  if (!policy.ok()) return policy.error();
  auto filter = connectors::RegexFilter::Make(parsed->GetList("topics"), "topics", parsed->GetList("topics.exclude"),
                                              "topics.exclude");
  if (!filter.ok()) return filter.error();
  checkpoints_topic_ = (*policy)->CheckpointsTopic(source_alias);
  policy_ = *policy;

  using connectors::ClientProps;
  using connectors::ClientRole;
  using connectors::Cluster;
  const Properties source_admin = ClientProps(config, Cluster::kSource, ClientRole::kAdmin);
  const Properties target_admin = WithWorkerDefaults(ClientProps(config, Cluster::kTarget, ClientRole::kAdmin), context);
  auto sa = kafka::RdKafkaAdmin::Create(source_admin, kAdminTimeout);
  if (!sa.ok()) return sa.error();
  source_admin_ = std::move(*sa);
  auto ta = kafka::RdKafkaAdmin::Create(target_admin, kAdminTimeout);
  if (!ta.ok()) return ta.error();
  target_admin_ = std::move(*ta);

  const bool syncs_on_source = parsed->GetString("offset-syncs.topic.location") == "source";
  kafka::KafkaLogOptions log;
  log.topic = (*policy)->OffsetSyncsTopic(syncs_on_source ? target_alias : source_alias);
  log.consumer = syncs_on_source ? ClientProps(config, Cluster::kSource, ClientRole::kConsumer)
                                 : WithWorkerDefaults(ClientProps(config, Cluster::kTarget, ClientRole::kConsumer), context);
  log.producer = log.consumer;  // the store only reads
  // The store is read on the task's thread (Run): the offset-syncs topic may not exist yet (the
  // source connector makes it), and waiting for it here would hold the worker's deciding thread.
  syncs_ = std::make_unique<OffsetSyncStore>(std::move(log));

  OffsetSyncStore* store = syncs_.get();
  checkpointer_ = std::make_unique<GroupCheckpointer>(
      *source_admin_, *target_admin_,
      [store](const TopicPartition& tp, SourceOffset offset) { return store->Translate(tp, offset); }, *policy,
      source_alias, target_alias, std::move(*filter));

  Properties producer = WithWorkerDefaults(ClientProps(config, Cluster::kTarget, ClientRole::kProducer), context);
  producer["client.id"] = source_alias + "->" + target_alias + "|checkpoints-producer";
  auto rk = kafka::NewClient(RD_KAFKA_PRODUCER, producer, [this](rd_kafka_conf_t* conf) {
    rd_kafka_conf_set_dr_msg_cb(conf, &MirrorCheckpointTask::OnDelivery);
    rd_kafka_conf_set_opaque(conf, this);
  });
  if (!rk.ok()) return rk.error();
  producer_ = std::move(*rk);
  thread_ = std::thread([this] { Run(); });
  return Ok();
}

void MirrorCheckpointTask::Run() {
  if (auto started = syncs_->Start(kAdminTimeout); !started.ok()) {
    if (Stopping()) return;  // Stop() stopped the store under way: not a failure
    LOG(ERROR) << "checkpoints " << checkpoints_topic_ << ": cannot read the offset syncs: " << started.error().message();
    std::lock_guard lock(mu_);
    failure_ = started.error();
    return;
  }
  auto next_emit = std::chrono::steady_clock::now() + emit_interval_;
  auto next_sync = std::chrono::steady_clock::now() + sync_interval_;
  std::unique_lock lock(mu_);
  while (!stop_) {
    wake_.wait_until(lock, std::min(next_emit, next_sync), [this] { return stop_; });
    if (stop_) break;
    const auto now = std::chrono::steady_clock::now();
    if (now < next_emit) continue;
    const bool sync = sync_group_offsets_ && now >= next_sync;
    lock.unlock();
    EmitOnce(sync);
    lock.lock();
    next_emit = now + emit_interval_;
    if (sync) next_sync = now + sync_interval_;
  }
  lock.unlock();
  if (rd_kafka_flush(producer_.get(), 5000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    rd_kafka_purge(producer_.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    // Serve the purged checkpoints' reports, which own their opaques.
    for (int i = 0; i < 50 && rd_kafka_outq_len(producer_.get()) > 0; ++i) rd_kafka_poll(producer_.get(), 100);
    rd_kafka_poll(producer_.get(), 0);
  }
}

bool MirrorCheckpointTask::Stopping() const {
  std::lock_guard lock(mu_);
  return stop_;
}

void MirrorCheckpointTask::EmitOnce(bool sync_groups) {
  // Between calls to the clusters it looks whether Stop() was called; Stop() also cancels the
  // admins and stops the offset-syncs store, so a call under way ends then too.
  if (auto r = syncs_->ReadToEnd(kAdminTimeout); !r.ok()) {
    if (Stopping()) return;
    LOG(WARNING) << "checkpoints: offset syncs not read to the end, translating with what is known: " << r.error().message();
  }
  for (const std::string& group : groups_) {
    if (Stopping()) return;
    auto changed = checkpointer_->ChangedCheckpoints(group);
    if (Stopping()) return;  // an error now is the cancelled admins'
    if (!changed.ok() && changed.error().code() == ErrorCode::kForbidden) {
      // An ACL (GROUP_AUTHORIZATION_FAILED, TOPIC_AUTHORIZATION_FAILED): said once as an error, not
      // every round; the other groups go on, as in MM2, and a grant takes effect at the next round.
      if (denied_groups_.insert(group).second) {
        LOG(ERROR) << "checkpoints of group " << group << " are not emitted: " << changed.error().message()
                   << "; grant DESCRIBE on the group (and READ on its topics) to this connector's principal";
      }
      continue;
    }
    if (!changed.ok()) {
      // Transient (a broker away, a timeout): the next round tries again.
      LOG(WARNING) << "checkpoints of group " << group << " skipped this round: " << changed.error().message();
      continue;
    }
    denied_groups_.erase(group);
    for (const Checkpoint& c : *changed) {
      const std::string key = c.EncodeKey();
      const std::string value = c.EncodeValue();
      auto pending = std::make_unique<PendingCheckpoint>(PendingCheckpoint{group, {c.topic, c.partition}, WallMs()});
      rd_kafka_resp_err_t err = rd_kafka_producev(
          producer_.get(), RD_KAFKA_V_TOPIC(checkpoints_topic_.c_str()), RD_KAFKA_V_PARTITION(0),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(key.data(), key.size()),
          RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()), RD_KAFKA_V_OPAQUE(pending.get()),
          RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) pending.release();  // OnDelivery deletes it
      if (err) {
        LOG(WARNING) << "checkpoint of " << group << " " << c.topic << "-" << c.partition << " not queued: " << rd_kafka_err2str(err);
        continue;
      }
      ++written_;
      std::lock_guard lock(mu_);
      emitted_.insert({group, TopicPartition{c.topic, c.partition}});
    }
    if (sync_groups && !Stopping()) {
      auto all = checkpointer_->Checkpoints(group);
      if (!all.ok()) continue;
      auto report = checkpointer_->SyncGroupOffsets(group, *all);
      if (Stopping()) return;
      if (!report.ok()) {
        LOG(WARNING) << "offsets of group " << group << " not synced to the target: " << report.error().message();
      } else if (report->skipped_active) {
        VLOG(1) << "group " << group << " is active on the target; its offsets are left alone";
      }
    }
  }
  rd_kafka_flush(producer_.get(), 10000);
}

void MirrorCheckpointTask::OnDelivery(rd_kafka_t*, const rd_kafka_message_t* rkmessage, void* opaque) {
  // Served on the task's thread (rd_kafka_flush, rd_kafka_poll).
  std::unique_ptr<PendingCheckpoint> pending(static_cast<PendingCheckpoint*>(rkmessage->_private));
  if (pending == nullptr || rkmessage->err) return;
  auto* task = static_cast<MirrorCheckpointTask*>(opaque);
  const int64_t now_ms = WallMs();
  std::lock_guard lock(task->mu_);
  task->latencies_[{pending->group, pending->tp}].Record(static_cast<double>(now_ms - pending->made_ms), now_ms);
}

void MirrorCheckpointTask::CollectMetrics(metrics::Exposition& out, int64_t now_ms, const metrics::Labels&) const {
  {
    std::lock_guard lock(mu_);
    AddCheckpointMetrics(latencies_, source_alias_, target_alias_, now_ms, out);
  }
  // The map has its own lock, taken per partition; the store reads on its own thread meanwhile.
  if (syncs_) AddOffsetMapMetrics(syncs_->map(), syncs_->syncs_read(), source_alias_, target_alias_, *policy_, out);
}

void AddOffsetMapMetrics(const OffsetMap& map, int64_t syncs_read, const std::string& source_alias,
                         const std::string& target_alias, const connectors::ReplicationPolicy& policy,
                         metrics::Exposition& out) {
  using metrics::Type;
  // Every checkpoint task of a flow reads the same offset syncs (a connector's tasks split its groups,
  // not its syncs): on a worker running several, the first shows the map, so no series comes twice.
  bool shown = false;
  out.ForEachSample("ferry_offset_map_syncs_read_total", [&](const metrics::Labels& labels, double) {
    const auto has = [&](const char* name, const std::string& value) {
      return std::find(labels.begin(), labels.end(), std::pair<std::string, std::string>{name, value}) != labels.end();
    };
    shown = shown || (has("source", source_alias) && has("target", target_alias));
  });
  if (shown) return;
  out.Add("ferry_offset_map_syncs_read_total", "Offset syncs read from the offset-syncs topic.", Type::kCounter,
          {{"source", source_alias}, {"target", target_alias}}, static_cast<double>(syncs_read));
  for (const TopicPartition& tp : map.Partitions()) {
    const std::optional<OffsetMap::Coverage> c = map.Covered(tp);
    if (!c) continue;  // nothing copied known
    const metrics::Labels labels = {{"source", source_alias},
                                    {"target", target_alias},
                                    {"topic", policy.FormatRemoteTopic(source_alias, tp.topic)},
                                    {"partition", std::to_string(tp.partition)}};
    out.Add("ferry_offset_map_first_source_offset",
            "The first source offset the offset map knows a copy of: groups committed below it are not translated.",
            Type::kGauge, labels, static_cast<double>(c->first_source.value));
    out.Add("ferry_offset_map_next_source_offset",
            "Every source record below this offset has been copied and translates (the copied-up-to point).",
            Type::kGauge, labels, static_cast<double>(c->next_source.value));
    out.Add("ferry_offset_map_complete_history",
            "1 when the offset map holds the partition's syncs from its first one, 0 when older ones are gone.",
            Type::kGauge, labels, c->complete_history ? 1.0 : 0.0);
    out.Add("ferry_offset_map_contested_records",
            "Source offsets two writers copied at once, which never translate.", Type::kGauge, labels,
            static_cast<double>(Contested(*c)));
    out.Add("ferry_offset_map_runs", "Runs of consecutive copies the offset map holds for the partition.",
            Type::kGauge, labels, static_cast<double>(map.sync_count(tp)));
  }
}

void AddCheckpointMetrics(const CheckpointLatencies& latencies, const std::string& source_alias,
                          const std::string& target_alias, int64_t now_ms, metrics::Exposition& out) {
  using metrics::MBean;
  for (const auto& [key, stat] : latencies) {
    const auto& [group, tp] = key;
    const metrics::Labels labels = {{"source", source_alias}, {"target", target_alias}, {"group", group},
                                    {"topic", tp.topic}, {"partition", std::to_string(tp.partition)}};
    const metrics::SampledStat::Measure m = stat.At(now_ms);
    // MM2's help texts (MirrorCheckpointMetrics).
    for (const auto& [attribute, help, value] : {
             std::tuple{"checkpoint-latency-ms", "Time it takes consumer group offsets to replicate from source to target cluster.", stat.last()},
             std::tuple{"checkpoint-latency-ms-max", "Max time it takes consumer group offsets to replicate from source to target cluster.", m.max},
             std::tuple{"checkpoint-latency-ms-min", "Min time it takes consumer group offsets to replicate from source to target cluster.", m.min},
             std::tuple{"checkpoint-latency-ms-avg", "Average time it takes consumer group offsets to replicate from source to target cluster.", m.avg}}) {
      out.Add(metrics::JmxName(MBean::kMirrorCheckpointConnector, attribute), help, metrics::Type::kGauge, labels,
              value);
    }
  }
}

void MirrorCheckpointTask::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  // The thread may be waiting on a cluster that is gone (30 s per admin call or offset-syncs read):
  // the admins' calls end now, and stopping the store ends its start or read under way, so the join
  // is prompt. The thread uses the store no more than its failing calls once stop_ is set.
  if (source_admin_) source_admin_->Cancel();
  if (target_admin_) target_admin_->Cancel();
  if (syncs_) syncs_->Stop();
  if (thread_.joinable()) thread_.join();
}

std::vector<SourceOffsetRecord> MirrorCheckpointTask::Offsets() const {
  // MM2's checkpoint source partitions, with their constant offset.
  std::lock_guard lock(mu_);
  std::vector<SourceOffsetRecord> out;
  for (const auto& [group, tp] : emitted_) {
    out.push_back({"{\"partition\":" + std::to_string(tp.partition) + ",\"topic\":" + json::Quote(tp.topic) +
                       ",\"group\":" + json::Quote(group) + "}",
                   "{\"offset\":0}"});
  }
  return out;
}

}  // namespace ferry::tasks
