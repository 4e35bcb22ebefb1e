#include "tasks/mirror_heartbeat_task.h"

#include <chrono>

#include "connectors/mirror_client_config.h"
#include "connectors/replication_policy.h"
#include "tasks/mirror_records.h"
#include "worker/common/json.h"
#include "worker/kafka/client.h"

namespace ferry::tasks {
namespace {

std::string Get(const Properties& config, const char* key, const std::string& fallback) {
  auto it = config.find(key);
  return it == config.end() || it->second.empty() ? fallback : it->second;
}

}  // namespace

MirrorHeartbeatTask::~MirrorHeartbeatTask() { Stop(); }

Result<> MirrorHeartbeatTask::Start(const Properties& config, TaskContext& context) {
  Result<> started = StartUnnamed(config, context);
  if (!started.ok()) return connectors::NameFailedCluster(started.error(), config);
  return started;
}

Result<> MirrorHeartbeatTask::StartUnnamed(const Properties& config, TaskContext& context) {
  source_alias_ = Get(config, connectors::kSourceClusterAlias, "");
  if (source_alias_.empty()) return Error::InvalidConfig(connectors::kSourceClusterAlias, "missing");
  target_alias_ = Get(config, "target.cluster.alias", "target");
  const std::string interval = Get(config, "emit.heartbeats.interval.seconds", "1");
  try {
    interval_ = std::chrono::seconds(std::stoll(interval));
  } catch (const std::exception&) {  // user input: never escapes
    return Error::InvalidConfig("emit.heartbeats.interval.seconds", "'" + interval + "' is not a number");
  }
  if (interval_.count() <= 0) return Error::InvalidConfig("emit.heartbeats.interval.seconds", "must be positive");
  auto policy = connectors::MakeReplicationPolicy(config);
  if (!policy.ok()) return policy.error();
  topic_ = (*policy)->HeartbeatsTopic();

  Properties props = connectors::ClientProps(config, connectors::Cluster::kTarget, connectors::ClientRole::kProducer);
  if (!props.count("bootstrap.servers")) {
    Properties merged = context.WorkerProducerProps();
    for (const auto& [k, v] : props) merged[k] = v;
    props = std::move(merged);
  }
  props["client.id"] = source_alias_ + "->" + target_alias_ + "|heartbeats-producer";
  auto producer = kafka::NewClient(RD_KAFKA_PRODUCER, props, [this](rd_kafka_conf_t* conf) {
    rd_kafka_conf_set_dr_msg_cb(conf, &OnDelivery);
    rd_kafka_conf_set_opaque(conf, this);
  });
  if (!producer.ok()) return producer.error();
  producer_ = std::move(*producer);
  thread_ = std::thread([this] { Run(); });
  return Ok();
}

void MirrorHeartbeatTask::OnDelivery(rd_kafka_t*, const rd_kafka_message_t* msg, void* opaque) {
  auto* self = static_cast<MirrorHeartbeatTask*>(opaque);
  if (msg->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    ++self->sent_;
    return;
  }
  std::lock_guard lock(self->mu_);
  if (!self->failure_ && msg->err != RD_KAFKA_RESP_ERR__PURGE_QUEUE && msg->err != RD_KAFKA_RESP_ERR__PURGE_INFLIGHT) {
    self->failure_ = Error::Kafka("write heartbeat to " + self->topic_, msg->err);
    LOG(ERROR) << "heartbeat task " << self->source_alias_ << "->" << self->target_alias_
               << " failed: " << self->failure_->message();
  }
}

void MirrorHeartbeatTask::Run() {
  auto next = std::chrono::steady_clock::now();
  for (;;) {
    {
      std::unique_lock lock(mu_);
      // Serve delivery reports while waiting for the next beat.
      while (!stop_ && std::chrono::steady_clock::now() < next) {
        lock.unlock();
        rd_kafka_poll(producer_.get(), 0);
        lock.lock();
        wake_.wait_until(lock, std::min(next, std::chrono::steady_clock::now() + std::chrono::milliseconds(100)));
      }
      if (stop_ || failure_) break;
    }
    const int64_t now_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    const Heartbeat beat{source_alias_, target_alias_, now_ms};
    const std::string key = beat.EncodeKey();
    const std::string value = beat.EncodeValue();
    rd_kafka_resp_err_t err = rd_kafka_producev(
        producer_.get(), RD_KAFKA_V_TOPIC(topic_.c_str()), RD_KAFKA_V_PARTITION(0),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(key.data(), key.size()),
        RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()), RD_KAFKA_V_TIMESTAMP(now_ms),
        RD_KAFKA_V_END);
    if (err) {
      std::lock_guard lock(mu_);
      failure_ = Error::Kafka("write heartbeat to " + topic_, err);
      LOG(ERROR) << "heartbeat task failed: " << failure_->message();
      break;
    }
    next += interval_;
  }
  // Deliver what is in flight (bounded), then drop the rest.
  rd_kafka_flush(producer_.get(), 5000);
  rd_kafka_purge(producer_.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
  rd_kafka_poll(producer_.get(), 0);
}

void MirrorHeartbeatTask::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::vector<SourceOffsetRecord> MirrorHeartbeatTask::Offsets() const {
  // MM2's heartbeat source partition and its constant offset.
  return {{"{\"sourceClusterAlias\":" + json::Quote(source_alias_) + ",\"targetClusterAlias\":" +
               json::Quote(target_alias_) + "}",
           "{\"offset\":0}"}};
}

std::optional<Error> MirrorHeartbeatTask::failure() const {
  std::lock_guard lock(mu_);
  return failure_;
}

}  // namespace ferry::tasks
