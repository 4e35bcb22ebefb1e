// MM2's internal record formats, byte for byte (MM2's Heartbeat, Checkpoint and OffsetSync classes): Heartbeat,
// Checkpoint and OffsetSync keys and values, big-endian, strings as INT16 length + UTF-8. Decoders
// read the declared fields and ignore trailing bytes, as MM2's do; short or malformed input is a
// kCorrupt error, never a crash.
#pragma once

#include <cstdint>
#include <string>

#include "worker/common/result.h"

namespace ferry::tasks {

struct Heartbeat {
  std::string source_alias;
  std::string target_alias;
  int64_t timestamp_ms = 0;
  bool operator==(const Heartbeat&) const = default;

  std::string EncodeKey() const;
  std::string EncodeValue() const;  // version 0
  static Result<Heartbeat> Decode(const std::string& key, const std::string& value);
};

struct Checkpoint {
  std::string group;
  std::string topic;  // the target (remote) topic
  int32_t partition = 0;
  int64_t upstream_offset = 0;
  int64_t downstream_offset = 0;
  std::string metadata;
  bool operator==(const Checkpoint&) const = default;

  std::string EncodeKey() const;
  std::string EncodeValue() const;  // version 0
  static Result<Checkpoint> Decode(const std::string& key, const std::string& value);
};

struct OffsetSyncRecord {
  std::string topic;  // the source topic
  int32_t partition = 0;
  int64_t upstream_offset = 0;
  int64_t downstream_offset = 0;
  bool operator==(const OffsetSyncRecord&) const = default;

  std::string EncodeKey() const;
  // Ferry's key: MM2's, then the run's slot (INT32), so a compacted topic keeps each run's last
  // sync (OffsetSyncSchedule); MM2's readers, and Decode, ignore the trailing bytes.
  std::string EncodeRunKey(uint32_t run_slot) const;
  std::string EncodeValue() const;  // no version prefix
  static Result<OffsetSyncRecord> Decode(const std::string& key, const std::string& value);
};

}  // namespace ferry::tasks
