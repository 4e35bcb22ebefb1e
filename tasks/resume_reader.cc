#include "tasks/resume_reader.h"

#include <glog/logging.h>

#include "tasks/mirror_task.h"
#include "tasks/offset_sync_store.h"
#include "worker/kafka/client.h"

namespace ferry::tasks {
namespace {

using Clock = std::chrono::steady_clock;

// Every partition resumes at its stored position, for `reason`.
std::map<TopicPartition, Resume> AllFallBack(const std::map<TopicPartition, int64_t>& stored, const std::string& reason) {
  std::map<TopicPartition, Resume> out;
  for (const auto& [tp, next] : stored) {
    Resume& r = out[tp];
    r.next_source = next >= 0 ? next : -1;
    r.duplicates = -1;
    r.reason = reason;
  }
  return out;
}

}  // namespace

Result<std::unique_ptr<KafkaPartitionReader>> KafkaPartitionReader::Create(const Properties& props,
                                                                          const std::string& client_id,
                                                                          std::chrono::milliseconds timeout) {
  Properties p = props;
  p["client.id"] = client_id;
  p["group.id"] = client_id;  // needed to assign(); never joined or committed
  p["enable.auto.commit"] = "false";
  p["enable.auto.offset.store"] = "false";
  p["enable.partition.eof"] = "true";
  p["auto.offset.reset"] = "error";  // a record deleted under the reader is an error, never skipped
  auto rk = kafka::NewClient(RD_KAFKA_CONSUMER, p);
  if (!rk.ok()) return rk.error();
  return std::unique_ptr<KafkaPartitionReader>(new KafkaPartitionReader(std::move(*rk), timeout));
}

KafkaPartitionReader::~KafkaPartitionReader() { rd_kafka_consumer_close(rk_.get()); }

Result<kafka::Watermarks> KafkaPartitionReader::Marks(const TopicPartition& tp) {
  return kafka::QueryWatermarks(rk_.get(), tp, timeout_);
}

Result<bool> KafkaPartitionReader::HasTopic(const std::string& topic) {
  auto count = kafka::PartitionCount(rk_.get(), topic, timeout_);
  if (count.ok()) return true;
  if (count.error().code() == ErrorCode::kNotFound) return false;
  return count.error();
}

Result<std::vector<kafka::Record>> KafkaPartitionReader::Read(const TopicPartition& tp, int64_t from, int64_t end,
                                                              size_t max) {
  std::vector<kafka::Record> out;
  if (from >= end || max == 0) return out;
  if (next_ != from || !(at_ == tp)) {
    kafka::PartitionsPtr parts(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(parts.get(), tp.topic.c_str(), tp.partition)->offset = from;
    next_ = -1;
    if (rd_kafka_resp_err_t err = rd_kafka_assign(rk_.get(), parts.get())) return Error::Kafka("assign " + tp.ToString(), err);
    at_ = tp;
    next_ = from;
  }
  const auto deadline = Clock::now() + timeout_;
  while (out.size() < max && next_ < end) {
    if (Clock::now() > deadline) {
      const int64_t at = next_;
      next_ = -1;
      return Error::Timeout("reading " + tp.ToString() + " stopped at offset " + std::to_string(at) + " of " +
                            std::to_string(end));
    }
    kafka::MessagePtr msg(rd_kafka_consumer_poll(rk_.get(), 100));
    if (msg == nullptr) continue;
    if (msg->rkt == nullptr || tp.topic != rd_kafka_topic_name(msg->rkt) || msg->partition != tp.partition) {
      if (msg->err && msg->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        LOG(WARNING) << "resume reader: " << rd_kafka_message_errstr(msg.get());
      }
      continue;
    }
    if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      // The log ends below `end` for now (read_committed stops at an open transaction): wait.
      if (msg->offset >= end) break;
      continue;
    }
    if (msg->err) {
      const int64_t at = next_;
      next_ = -1;
      return Error::Kafka("read " + tp.ToString() + "@" + std::to_string(at), msg->err);
    }
    if (msg->offset >= end) {
      next_ = -1;  // past what is asked: the next call assigns again
      break;
    }
    out.push_back(kafka::RecordFromMessage(msg.get()));
    next_ = msg->offset + 1;
  }
  return out;
}

std::map<TopicPartition, Resume> PlanResumes(const ResumePlanConfig& config,
                                             const std::map<TopicPartition, int64_t>& stored,
                                             const std::function<std::string(const std::string&)>& remote_topic) {
  if (config.mode == ResumeMode::kCommitted) return AllFallBack(stored, "ferry.resume.mode=committed");
  if (!config.syncs) return AllFallBack(stored, "the task writes no offset syncs (emit.offset-syncs.enabled=false)");
  auto fail = [&](const std::string& why) {
    LOG(WARNING) << config.task_name << ": cannot resume exactly, resuming at the stored positions: " << why;
    return AllFallBack(stored, why);
  };
  auto source = KafkaPartitionReader::Create(config.source_consumer, config.task_name + "|resume-source", config.timeout);
  if (!source.ok()) return fail(source.error().message());
  auto target = KafkaPartitionReader::Create(config.target_consumer, config.task_name + "|resume-target", config.timeout);
  if (!target.ok()) return fail(target.error().message());
  auto syncs_reader = KafkaPartitionReader::Create(config.syncs->consumer, config.task_name + "|resume-syncs", config.timeout);
  if (!syncs_reader.ok()) return fail(syncs_reader.error().message());
  auto exists = (*syncs_reader)->HasTopic(config.syncs->topic);
  if (!exists.ok()) return fail("looking up the offset-syncs topic: " + exists.error().message());
  if (!*exists) return fail("no offset-syncs topic " + config.syncs->topic + " yet");
  syncs_reader->reset();

  OffsetSyncStore store(*config.syncs);
  if (auto read = store.Start(config.timeout); !read.ok()) return fail("reading the offset syncs: " + read.error().message());
  store.Stop();

  std::map<TopicPartition, Resume> out;
  for (const auto& [tp, next] : stored) {
    ResumeFacts facts;
    facts.committed = next >= 0 ? next : -1;
    if (auto covered = store.map().Covered(tp)) {
      facts.synced_source = covered->next_source.value - 1;
      facts.synced_target = covered->next_target.value - 1;
      facts.contested = covered->contested_from >= 0;
    }
    if (facts.committed >= 0) {
      auto lands = store.map().Forward(tp, SourceOffset(facts.committed));
      if (lands && lands->exact()) facts.committed_lands_at = lands->offset.value;
    }
    const TopicPartition remote{remote_topic(tp.topic), tp.partition};
    Resume r = DecideResume(config.mode, tp, remote, facts, **source, **target, config.max_compare);
    if (r.mode == ResumeMode::kExact) {
      LOG(INFO) << config.task_name << ": " << tp << " resumes exactly: " << r.reason;
    } else {
      LOG(WARNING) << config.task_name << ": " << tp << " cannot resume exactly (" << r.reason
                   << "); resuming at the stored position "
                   << (r.next_source >= 0 ? std::to_string(r.next_source) : std::string("(none: the log start)")) << ", "
                   << (r.duplicates >= 0 ? std::to_string(r.duplicates) + " target records will be copied again, at most"
                                         : std::string("an unknown number of records may be copied again"));
    }
    out.emplace(tp, std::move(r));
  }
  return out;
}

}  // namespace ferry::tasks
