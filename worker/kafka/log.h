// Log: a key/value topic read from the start and then tailed, with writes whose effect can be awaited.
// The Connect config, offset and status stores sit on it. KafkaLog implements it on a compacted Kafka
// topic, FileLog on an append-only local file (standalone offsets), MemoryLog (tests/fakes) in memory.
// Thread-safety: all methods may be called from any thread; record callbacks run one at a time on
// the log's own thread, in offset order per partition.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "worker/common/result.h"

namespace ferry::kafka {

struct LogRecord {
  std::optional<std::string> key;
  std::optional<std::string> value;  // nullopt: a tombstone
  int32_t partition = 0;
  int64_t offset = -1;
  std::string topic = {};  // the topic (or file) it was read from, to name it in errors
  std::vector<std::pair<std::string, std::string>> headers = {};  // Kafka record headers, in order

  // "connect-status partition 0 offset 7": where this record is, for a message about it.
  std::string Where() const {
    return (topic.empty() ? std::string("log") : topic) + " partition " + std::to_string(partition) + " offset " +
           std::to_string(offset);
  }
};

class Log {
 public:
  using RecordCallback = std::function<void(const LogRecord&)>;

  virtual ~Log() = default;

  // Reads every record from the start to the end as of this call through `on_record`, then keeps
  // tailing in the background. Fails if the end is not reached within `timeout`.
  virtual Result<> Start(RecordCallback on_record, std::chrono::milliseconds timeout) = 0;
  // Queues a record; its outcome is reported by the next Flush().
  virtual Result<> Send(const std::optional<std::string>& key, const std::optional<std::string>& value) = 0;
  // Waits until every record sent so far is durably written; the first failure since the last
  // Flush, if any.
  virtual Result<> Flush(std::chrono::milliseconds timeout) = 0;
  // Waits until the callback has seen every record written before this call (by anyone).
  virtual Result<> ReadToEnd(std::chrono::milliseconds timeout) = 0;
  // Stops tailing; idempotent. No callback runs after it returns.
  virtual void Stop() = 0;
};

}  // namespace ferry::kafka
