// OffsetStore keeps source connectors' offsets in the Connect offsets topic format: key
// `["<connector>",<partition JSON>]`, value `<offset JSON>` (null: deleted), both compact JSON, so
// offsets written by Kafka Connect (MM2) are found by Ferry and the other way round. Partition and
// offset JSON are passed in the exact bytes the connector builds (member order matters: the topic is
// keyed by bytes). The Kafka log's producer must partition with murmur2, as Java's does.
// Thread-safety: all methods may be called from any thread.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "worker/common/result.h"
#include "worker/kafka/log.h"

namespace ferry::worker {

class OffsetStore {
 public:
  // The producer partitioner an offsets KafkaLog must use (KafkaLogOptions::partitioner): Java's.
  static constexpr const char* kPartitioner = "murmur2_random";

  explicit OffsetStore(kafka::Log& log);
  OffsetStore(const OffsetStore&) = delete;
  OffsetStore& operator=(const OffsetStore&) = delete;

  Result<> Start(std::chrono::milliseconds timeout);
  void Stop();

  // Reads the topic to its end, so that Get() and Offsets() reflect every write made before the call
  // (by this worker or another), as Connect does before it hands offsets to a task.
  Result<> Refresh(std::chrono::milliseconds timeout);

  // The offset JSON stored for one partition of `connector`, if any.
  std::optional<std::string> Get(const std::string& connector, const std::string& partition_json) const;
  // Every partition of `connector` with its offset JSON (deleted ones excluded).
  std::map<std::string, std::string> Offsets(const std::string& connector) const;
  // Writes the offsets (nullopt: delete that partition's offset) and waits until they are durable.
  // Partition and offset JSON must be JSON objects (as Connect requires), else nothing is written.
  // Get() sees them once the log has read them back (at once for a MemoryLog or FileLog; after
  // Refresh() for a KafkaLog).
  Result<> Put(const std::string& connector,
               const std::vector<std::pair<std::string, std::optional<std::string>>>& offsets,
               std::chrono::milliseconds timeout);

  // `["<connector>",<partition JSON>]`, the key bytes Connect writes.
  static std::string Key(const std::string& connector, const std::string& partition_json);

 private:
  void OnRecord(const kafka::LogRecord& record);

  kafka::Log& log_;
  mutable std::mutex mu_;
  std::map<std::string, std::map<std::string, std::string>> offsets_;  // connector -> partition -> offset; mu_
};

}  // namespace ferry::worker
