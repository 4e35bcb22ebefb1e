// MemoryLog: a Log in memory for unit tests, synchronous and deterministic, honouring Log's contract.
// Several MemoryLogs may share one MemoryTopic, as workers share a Kafka topic.
//
// Where Kafka is asynchronous, MemoryLog decides at fixed points:
// - Send() queues the record in this log's producer buffer (it is not in the topic yet);
// - Flush() appends the buffered records to the topic, then delivers every record of the topic this
//   log has not delivered yet (its own and other writers'), as a consumer that has caught up would;
// - ReadToEnd() and Start() deliver every record of the topic not delivered yet; Deliver() does so on
//   demand, standing in for the log thread tailing in the background.
// The callback runs on the calling thread, one at a time, in offset order.
// Failure injection: FailNextSend() fails one Send (nothing is queued); FailNextFlush() fails one
// Flush and drops what was buffered, as records whose delivery failed never reach the topic.
// Thread-safety: all methods may be called from any thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <glog/logging.h>

#include "worker/common/result.h"
#include "worker/kafka/log.h"

namespace ferry::testing {

// The records of one single-partition topic; offsets are indexes.
class MemoryTopic {
 public:
  // Appends as another writer would; returns the record's offset.
  int64_t Append(std::optional<std::string> key, std::optional<std::string> value) {
    std::lock_guard lock(mu_);
    kafka::LogRecord record{std::move(key), std::move(value), 0, static_cast<int64_t>(records_.size())};
    records_.push_back(std::move(record));
    return records_.back().offset;
  }
  std::vector<kafka::LogRecord> records() const {
    std::lock_guard lock(mu_);
    return records_;
  }
  size_t size() const {
    std::lock_guard lock(mu_);
    return records_.size();
  }
  // The record at `offset`, if the topic has it.
  std::optional<kafka::LogRecord> At(int64_t offset) const {
    std::lock_guard lock(mu_);
    if (offset < 0 || static_cast<size_t>(offset) >= records_.size()) return std::nullopt;
    return records_[static_cast<size_t>(offset)];
  }

 private:
  mutable std::mutex mu_;
  std::vector<kafka::LogRecord> records_;
};

class MemoryLog : public kafka::Log {
 public:
  MemoryLog() : topic_(std::make_shared<MemoryTopic>()) {}
  explicit MemoryLog(std::shared_ptr<MemoryTopic> topic) : topic_(std::move(topic)) {}
  MemoryLog(const MemoryLog&) = delete;
  MemoryLog& operator=(const MemoryLog&) = delete;

  Result<> Start(RecordCallback on_record, std::chrono::milliseconds) override {
    CHECK(on_record) << "MemoryLog::Start needs a record callback";
    {
      std::lock_guard lock(mu_);
      CHECK(!started_) << "MemoryLog::Start called twice";
      started_ = true;
      if (stopped_) return Error::Internal("memory log stopped");
      on_record_ = std::move(on_record);
    }
    Deliver();
    return Ok();
  }

  Result<> Send(const std::optional<std::string>& key, const std::optional<std::string>& value) override {
    std::lock_guard lock(mu_);
    if (!started_ || stopped_) return Error::Internal("memory log is not running");
    if (send_failure_) return *std::exchange(send_failure_, std::nullopt);
    buffered_.emplace_back(key, value);
    ++sends_;
    return Ok();
  }

  Result<> Flush(std::chrono::milliseconds) override {
    {
      std::lock_guard lock(mu_);
      if (!started_ || stopped_) return Error::Internal("memory log is not running");
      auto buffered = std::exchange(buffered_, {});
      if (flush_failure_) return *std::exchange(flush_failure_, std::nullopt);
      for (auto& [key, value] : buffered) topic_->Append(std::move(key), std::move(value));
    }
    Deliver();
    return Ok();
  }

  Result<> ReadToEnd(std::chrono::milliseconds) override {
    {
      std::lock_guard lock(mu_);
      if (!started_ || stopped_) return Error::Internal("memory log is not running");
      if (read_failure_) return *std::exchange(read_failure_, std::nullopt);
    }
    Deliver();
    return Ok();
  }

  void Stop() override {
    std::lock_guard deliver_lock(deliver_mu_);  // waits for a delivery in progress
    std::lock_guard lock(mu_);
    stopped_ = true;
  }

  // Delivers every record of the topic not delivered yet (the log thread catching up).
  void Deliver() {
    std::lock_guard deliver_lock(deliver_mu_);  // callbacks one at a time
    while (true) {
      RecordCallback callback;
      {
        std::lock_guard lock(mu_);
        if (!started_ || stopped_) return;
        callback = on_record_;
      }
      std::optional<kafka::LogRecord> record = topic_->At(delivered_);
      if (!record) return;
      ++delivered_;
      callback(*record);
    }
  }

  void FailNextSend(Error error) {
    std::lock_guard lock(mu_);
    send_failure_ = std::move(error);
  }
  void FailNextFlush(Error error) {
    std::lock_guard lock(mu_);
    flush_failure_ = std::move(error);
  }
  void FailNextReadToEnd(Error error) {
    std::lock_guard lock(mu_);
    read_failure_ = std::move(error);
  }

  MemoryTopic& topic() { return *topic_; }
  const std::shared_ptr<MemoryTopic>& shared_topic() const { return topic_; }
  std::vector<kafka::LogRecord> records() const { return topic_->records(); }
  size_t buffered() const {
    std::lock_guard lock(mu_);
    return buffered_.size();
  }
  int64_t sends() const {
    std::lock_guard lock(mu_);
    return sends_;
  }

 private:
  const std::shared_ptr<MemoryTopic> topic_;
  std::mutex deliver_mu_;
  int64_t delivered_ = 0;  // deliver_mu_; next topic offset to deliver
  mutable std::mutex mu_;
  RecordCallback on_record_;  // mu_
  bool started_ = false;      // mu_
  bool stopped_ = false;      // mu_
  std::vector<std::pair<std::optional<std::string>, std::optional<std::string>>> buffered_;  // mu_
  std::optional<Error> send_failure_;   // mu_
  std::optional<Error> flush_failure_;  // mu_
  std::optional<Error> read_failure_;   // mu_
  int64_t sends_ = 0;                   // mu_
};

}  // namespace ferry::testing
