// Plain record reading and writing, for `ferry demo`, tests and benchmarks: write records with keys,
// headers and timestamps; read a partition back completely; compare a mirrored copy to its source.
// The replication data path itself lives in tasks/ and does not use these.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "worker/common/result.h"
#include "worker/common/types.h"
#include "worker/kafka/handles.h"

namespace ferry::kafka {

struct Header {
  std::string name;
  std::optional<std::string> value;  // nullopt: a null header value
  bool operator==(const Header&) const = default;
};

struct Record {
  std::optional<std::string> key;    // nullopt: a null key
  std::optional<std::string> value;  // nullopt: a tombstone
  std::vector<Header> headers;
  int64_t timestamp = 0;  // CreateTime, ms since the epoch
  int64_t offset = -1;    // where the record was read from; -1 for records to write

  // Same key, value, headers and timestamp; offsets are not compared.
  bool SameContent(const Record& other) const {
    return key == other.key && value == other.value && headers == other.headers &&
           timestamp == other.timestamp;
  }
  std::string Describe() const;  // short, for error messages
};

// A consumed message as a Record: key, value, headers (copied), timestamp (0 where the message has
// none, as a copy of it would be produced with) and offset.
Record RecordFromMessage(const rd_kafka_message_t* msg);

// An idempotent, acks=all producer for test and demo traffic.
class RecordWriter {
 public:
  static Result<std::unique_ptr<RecordWriter>> Create(const std::string& bootstrap_servers,
                                                      const Properties& extra = {});
  ~RecordWriter();
  RecordWriter(const RecordWriter&) = delete;
  RecordWriter& operator=(const RecordWriter&) = delete;

  // Queues a record for an explicit partition; waits while the local queue is full.
  Result<> Send(const std::string& topic, int32_t partition, const Record& record);
  // Waits until everything sent is acknowledged; fails if any record failed.
  Result<> Flush(std::chrono::milliseconds timeout);
  int64_t delivered() const { return delivered_; }

 private:
  explicit RecordWriter(HandlePtr rk) : rk_(std::move(rk)) {}
  static void OnDelivery(rd_kafka_t* rk, const rd_kafka_message_t* msg, void* opaque);

  HandlePtr rk_;
  int64_t delivered_ = 0;
  std::optional<Error> first_failure_;
};

// An application's consumer with manual commits, for the demo and tests: each partition of `topic`
// starts at `group`'s committed offset (or the log start) and Commit() commits the offset after the
// last record read. kAssigned reads `partitions` as the group without joining it (the mock's
// rebalances take seconds and it cannot describe groups); kJoined subscribes to the whole topic as a
// member, so the broker sees it while it reads, and leaves the group when destroyed.
class GroupReader {
 public:
  enum class Membership { kAssigned, kJoined };
  static Result<std::unique_ptr<GroupReader>> Create(const std::string& bootstrap_servers, const std::string& group,
                                                     const std::string& topic, const std::vector<int32_t>& partitions,
                                                     Membership membership = Membership::kAssigned);
  ~GroupReader();
  GroupReader(const GroupReader&) = delete;
  GroupReader& operator=(const GroupReader&) = delete;

  struct Read {
    int32_t partition = 0;
    Record record;
  };
  // Reads at most `max` records, returning early once every partition is at its end; waits at most
  // `timeout` in all.
  Result<std::vector<Read>> Poll(size_t max, std::chrono::milliseconds timeout);
  Result<> Commit();  // the next offset of every partition read from
  // The offset after the last record read of `partition`, or the end offset it last reached; -1
  // before either. A short or empty Poll says nothing of it: a member still joining its group reads
  // nothing for a while.
  int64_t position(int32_t partition) const;

 private:
  GroupReader(HandlePtr rk, std::string topic, size_t partitions)
      : rk_(std::move(rk)), topic_(std::move(topic)), partitions_(partitions) {}

  HandlePtr rk_;
  std::string topic_;
  size_t partitions_;
  std::map<int32_t, int64_t> next_;  // partition -> offset after the last record read
  std::map<int32_t, int64_t> eof_;   // partition -> the end offset last reached
  std::map<int32_t, bool> at_end_;
};

// Reads `tp` from its low watermark up to the high watermark as of the call: the committed records
// (read_committed), so a transactional log yields fewer records than its offsets span.
Result<std::vector<Record>> ReadPartition(const std::string& bootstrap_servers, const TopicPartition& tp,
                                          std::chrono::milliseconds timeout);

// Checks that `target` is a faithful, gap-free copy of `source`: same length, same content record by
// record, target offsets consecutive. The error names the first differing source offset.
Result<> VerifyMirrored(const TopicPartition& tp, const std::vector<Record>& source,
                        const std::vector<Record>& target);

}  // namespace ferry::kafka
