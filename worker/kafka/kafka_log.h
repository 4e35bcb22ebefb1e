// KafkaLog: a Log over every partition of one Kafka topic, as Connect's KafkaBasedLog. Its own
// consumer thread reads each partition from the beginning (assigned, never committing offsets) and
// keeps tailing; its own producer (acks=all) writes. "The end" is the topic's high watermarks at the
// moment Start() or ReadToEnd() is called.
// Thread-safety: all methods may be called from any thread, except that the record callback must not
// call Start(), ReadToEnd() or Stop() (it runs on the log thread those wait for).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "worker/common/result.h"
#include "worker/common/types.h"
#include "worker/kafka/handles.h"
#include "worker/kafka/log.h"

namespace ferry::kafka {

struct KafkaLogOptions {
  std::string topic;
  // Client settings; both need bootstrap.servers (and any security settings).
  Properties producer;  // acks=all is always set
  // enable.partition.eof, enable.auto.commit and enable.auto.offset.store are always set; group.id
  // defaults to "ferry-log-<topic>" (librdkafka needs one to assign; it is never joined or committed)
  // and auto.offset.reset to earliest. isolation.level stays librdkafka's read_committed: records of
  // aborted transactions are never applied, and without transactions it reads what Connect reads.
  Properties consumer;
  // The producer's partitioner for keyed records; empty: librdkafka's default (consistent_random).
  // The offsets (and status) topics must use "murmur2_random", the partitioner of Java's producer,
  // so that a key lands in the partition where Kafka Connect put it.
  std::string partitioner;
  // How long Send() waits while the producer's local queue is full.
  std::chrono::milliseconds send_queue_timeout{30000};
  // How long Stop() lets queued records go out before it drops them.
  std::chrono::milliseconds stop_flush_timeout{5000};
};

class KafkaLog : public Log {
 public:
  explicit KafkaLog(KafkaLogOptions options);
  ~KafkaLog() override;  // Stop()s
  KafkaLog(const KafkaLog&) = delete;
  KafkaLog& operator=(const KafkaLog&) = delete;

  // Creates the clients and the thread and reads to the end. The topic must exist (kafka/topics.h),
  // or appear before `timeout` passes (Start waits for it, as Connect's KafkaBasedLog does);
  // on failure nothing keeps running. Start may be called once.
  Result<> Start(RecordCallback on_record, std::chrono::milliseconds timeout) override;
  Result<> Send(const std::optional<std::string>& key, const std::optional<std::string>& value) override;
  Result<> Flush(std::chrono::milliseconds timeout) override;
  Result<> ReadToEnd(std::chrono::milliseconds timeout) override;
  // Joins the thread (bounded by the poll wakeup), lets queued records go out for at most
  // `stop_flush_timeout`, then closes both clients. A Start or ReadToEnd waiting on the cluster on
  // another thread ends within seconds (each wait looks every 2 s whether the log was stopped) and
  // fails, so a log whose cluster has vanished stops promptly.
  void Stop() override;

  const std::string& topic() const { return options_.topic; }
  int partition_count() const;

 private:
  static void OnDelivery(rd_kafka_t* rk, const rd_kafka_message_t* rkmessage, void* opaque);
  void Run(std::stop_token stop);
  // The end offset of each partition now (high watermark, or last stable offset for read_committed).
  // The end offset of every partition, retried while a new topic's partitions settle.
  Result<std::vector<int64_t>> QueryEnds(std::chrono::milliseconds timeout);
  Result<std::vector<int64_t>> QueryEndsOnce(std::chrono::milliseconds timeout);
  Result<> WaitForPositions(const std::vector<int64_t>& ends, std::chrono::steady_clock::time_point deadline);
  void ShutDownClients();

  const KafkaLogOptions options_;
  RecordCallback on_record_;  // set by Start, then read only by the log thread

  // Client lifetimes: Send/Flush/ReadToEnd use them under a shared lock, Stop destroys them under
  // the exclusive one. Destruction order: the consumer queue, rd_kafka_consumer_close, the consumer.
  std::mutex stop_mu_;  // serializes Start's setup and Stop, so Stop returns only when all is down
  mutable std::shared_mutex handles_mu_;
  HandlePtr producer_;
  HandlePtr consumer_;
  QueuePtr consumer_queue_;

  std::mutex delivery_mu_;
  std::optional<Error> first_send_error_;  // delivery_mu_

  mutable std::mutex mu_;
  std::condition_variable position_cv_;
  std::vector<int64_t> positions_;  // mu_; next offset the callback has not yet seen, per partition
  bool started_ = false;            // mu_
  bool stopped_ = false;            // mu_

  std::jthread thread_;  // last: stopped first
};

}  // namespace ferry::kafka
