// Verify: proves that a mirrored copy of a source partition is faithful before anyone trusts it (cuts
// consumers over, or deletes the source). It reads a source offset range and, for every source record,
// the target record the exact offset map says it landed at, and compares them record by record: key,
// value, headers (names, values, null values, order) and CreateTime. It also returns a SHA-256 digest
// of each side's compared records, so a verification can be recorded and checked again later.
//
// Target records no source record translates to are not the mirror's copies (records that were on the
// target before the mirror started, or a stretch copied twice after a restart) and are skipped.
// Both partitions are streamed through two assigned consumers: memory is bounded by the consumers'
// fetch queues, never by the partition size. Every wait is bounded by the caller's timeout.
//
// A content difference is a finding, not a failure: it is reported in `first_mismatch` (the scan goes
// on to the end of the range, so `records` and the digests always cover the whole range). An Error
// means the verification could not be done: brokers unreachable, a timeout, a range outside the log.
// Thread-safety: VerifyPartition is a free function; concurrent calls share nothing.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "worker/common/result.h"
#include "worker/common/types.h"

namespace ferry::cutover {

// Translates a source offset of the verified partition to the target offset where that source record
// landed (the exact offset map: tasks::OffsetMap::Translate). nullopt: not copied.
using PartitionTranslator = std::function<std::optional<TargetOffset>(SourceOffset)>;

struct VerifyRequest {
  TopicPartition source;     // e.g. {"orders", 0}
  TopicPartition target;     // e.g. {"A.orders", 0}
  int64_t source_start = 0;  // compare the source records with offsets in [source_start, source_end)
  int64_t source_end = 0;    // at most the source high watermark
  PartitionTranslator translate;
};

struct Mismatch {
  int64_t source_offset = -1;  // -1 when the difference has no source side
  int64_t target_offset = -1;  // -1 when no target record exists where one was expected
  // "key differs", "value differs", "headers differ", "timestamp differs", "missing on the target",
  // "not translated", "translated out of order".
  std::string what;
};

struct PartitionVerification {
  TopicPartition source, target;
  int64_t source_start = 0, source_end = 0;
  int64_t target_start = -1, target_end = -1;  // first translated offset, last + 1; -1 if none
  int64_t records = 0;                         // source records compared
  std::string source_digest, target_digest;    // hex SHA-256 over the compared records' content, in order
  std::optional<Mismatch> first_mismatch;

  bool ok() const { return !first_mismatch && source_digest == target_digest; }
};

// Compares `request.source` over [source_start, source_end) with its copy in `request.target`.
// `source_consumer` and `target_consumer` are librdkafka settings (at least bootstrap.servers);
// group.id, commits, offset reset and EOF reporting are set here. `timeout` bounds the whole call.
// Errors: kInvalidConfig (bad range or settings), kKafka (unreachable, or a position outside the log:
// kafka_err OFFSET_OUT_OF_RANGE), kDataLoss (the source log shrank under the range), kTimeout.
[[nodiscard]] Result<PartitionVerification> VerifyPartition(const Properties& source_consumer,
                                                            const Properties& target_consumer,
                                                            const VerifyRequest& request,
                                                            std::chrono::milliseconds timeout);

}  // namespace ferry::cutover
