// The Kafka side of ferry.resume.mode=exact (resume_point.h): a PartitionReader over a librdkafka
// consumer, and PlanResumes, which reads the offset-syncs topic once and decides every partition of
// a starting mirror task.
// Thread-safety: not thread-safe; used by one thread while a task starts.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "tasks/resume_point.h"
#include "worker/kafka/handles.h"
#include "worker/kafka/kafka_log.h"

namespace ferry::tasks {

// Reads partitions with an assigned consumer (no group membership, no commits). Each call waits at
// most `timeout`; a read that does not finish in time is an error, never a short answer.
class KafkaPartitionReader : public PartitionReader {
 public:
  // `props`: the cluster's consumer settings (bootstrap.servers, security, isolation.level).
  static Result<std::unique_ptr<KafkaPartitionReader>> Create(const Properties& props, const std::string& client_id,
                                                              std::chrono::milliseconds timeout);
  ~KafkaPartitionReader() override;

  Result<kafka::Watermarks> Marks(const TopicPartition& tp) override;
  Result<std::vector<kafka::Record>> Read(const TopicPartition& tp, int64_t from, int64_t end, size_t max) override;
  // Whether `topic` exists on the cluster (metadata).
  Result<bool> HasTopic(const std::string& topic);

 private:
  KafkaPartitionReader(kafka::HandlePtr rk, std::chrono::milliseconds timeout) : rk_(std::move(rk)), timeout_(timeout) {}

  kafka::HandlePtr rk_;
  const std::chrono::milliseconds timeout_;
  TopicPartition at_;    // the partition assigned ...
  int64_t next_ = -1;    // ... and the offset the consumer reads next (-1: none assigned)
};

struct ResumePlanConfig {
  ResumeMode mode = ResumeMode::kCommitted;
  int64_t max_compare = kDefaultResumeMaxCompare;
  std::string task_name;        // for logs and client ids
  Properties source_consumer;   // the mirror's source consumer settings (its isolation level)
  Properties target_consumer;   // the target cluster's
  // The offset-syncs topic and the consumer settings of the cluster holding it; nullopt when the
  // task writes no syncs (emit.offset-syncs.enabled=false): then nothing can be proven.
  std::optional<kafka::KafkaLogOptions> syncs;
  std::chrono::milliseconds timeout{10000};  // per read
};

// For each partition (the stored next offset, or kFromLogStart where none), where it resumes, each
// copied to the same partition of `remote_topic(tp.topic)`. Logs each fallback once, as a warning.
std::map<TopicPartition, Resume> PlanResumes(const ResumePlanConfig& config,
                                             const std::map<TopicPartition, int64_t>& stored,
                                             const std::function<std::string(const std::string&)>& remote_topic);

}  // namespace ferry::tasks
