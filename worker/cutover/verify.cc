#include "worker/cutover/verify.h"

#include <algorithm>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include <glog/logging.h>
#include <openssl/evp.h>

#include "worker/kafka/client.h"
#include "worker/kafka/handles.h"

namespace ferry::cutover {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kPollWait(100);  // how long one poll may block before the deadline is checked again

milliseconds Remaining(Clock::time_point deadline) {
  return std::max(milliseconds(0), std::chrono::duration_cast<milliseconds>(deadline - Clock::now()));
}

// A record's content, viewed in place in the consumed message (no copy).
struct HeaderView {
  std::string_view name;
  std::optional<std::string_view> value;  // nullopt: a null header value
  bool operator==(const HeaderView&) const = default;
};

struct RecordView {
  std::optional<std::string_view> key;    // nullopt: a null key
  std::optional<std::string_view> value;  // nullopt: a tombstone
  std::vector<HeaderView> headers;
  int64_t timestamp = -1;
};

std::optional<std::string_view> Bytes(const void* data, size_t len) {
  if (data == nullptr) return std::nullopt;
  return std::string_view(static_cast<const char*>(data), len);
}

RecordView View(rd_kafka_message_t* msg) {
  RecordView r;
  r.key = Bytes(msg->key, msg->key_len);
  r.value = Bytes(msg->payload, msg->len);
  rd_kafka_timestamp_type_t type;
  r.timestamp = rd_kafka_message_timestamp(msg, &type);
  rd_kafka_headers_t* hdrs = nullptr;  // owned by the message
  if (rd_kafka_message_headers(msg, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    const char* name;
    const void* value;
    size_t size;
    for (size_t i = 0; rd_kafka_header_get_all(hdrs, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
         ++i) {
      r.headers.push_back({name, Bytes(value, size)});
    }
  }
  return r;
}

// The first difference between a source record and its copy, or nullptr.
const char* Difference(const RecordView& source, const RecordView& target) {
  if (source.key != target.key) return "key differs";
  if (source.value != target.value) return "value differs";
  if (source.headers != target.headers) return "headers differ";
  if (source.timestamp != target.timestamp) return "timestamp differs";
  return nullptr;
}

struct DigestCtxFree {
  void operator()(EVP_MD_CTX* ctx) const noexcept { EVP_MD_CTX_free(ctx); }
};
using DigestCtxPtr = std::unique_ptr<EVP_MD_CTX, DigestCtxFree>;

// SHA-256 over a canonical, length-prefixed encoding of records, so that no two different record
// sequences encode to the same bytes (a null and an empty value, a header moved between records).
class RecordDigest {
 public:
  static Result<RecordDigest> Create() {
    DigestCtxPtr ctx(EVP_MD_CTX_new());
    // Fails only when OpenSSL itself is unusable (no memory, a provider configuration without SHA-256).
    if (ctx == nullptr || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
      return Error::Internal("cannot initialise a SHA-256 digest (OpenSSL)");
    }
    return RecordDigest(std::move(ctx));
  }

  void Add(const RecordView& r) {
    buf_.clear();
    PutBytes(r.key);
    PutBytes(r.value);
    PutU64(r.headers.size());
    for (const HeaderView& h : r.headers) {
      PutBytes(h.name);
      PutBytes(h.value);
    }
    PutU64(static_cast<uint64_t>(r.timestamp));
    CHECK_EQ(EVP_DigestUpdate(ctx_.get(), buf_.data(), buf_.size()), 1) << "SHA-256 update on a live context";
  }

  std::string HexFinish() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    CHECK_EQ(EVP_DigestFinal_ex(ctx_.get(), md, &len), 1) << "SHA-256 final on a live context";
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(2 * len);
    for (unsigned int i = 0; i < len; ++i) {
      hex.push_back(kHex[md[i] >> 4]);
      hex.push_back(kHex[md[i] & 0xf]);
    }
    return hex;
  }

 private:
  explicit RecordDigest(DigestCtxPtr ctx) : ctx_(std::move(ctx)) {}

  void PutU64(uint64_t v) {  // big-endian
    for (int shift = 56; shift >= 0; shift -= 8) buf_.push_back(static_cast<char>((v >> shift) & 0xff));
  }
  void PutBytes(std::optional<std::string_view> bytes) {
    buf_.push_back(bytes ? 1 : 0);
    if (!bytes) return;
    PutU64(bytes->size());
    buf_.append(*bytes);
  }

  DigestCtxPtr ctx_;
  std::string buf_;  // one record's encoding, reused
};

// One partition read in order by an assigned consumer: no group membership, nothing committed.
class PartitionReader {
 public:
  static Result<std::unique_ptr<PartitionReader>> Open(const std::string& side, const Properties& settings,
                                                       const TopicPartition& tp) {
    if (!settings.contains("bootstrap.servers")) {
      return Error::InvalidConfig(side + " bootstrap.servers", "missing");
    }
    Properties props = settings;
    props.emplace("client.id", "ferry-verify-" + side);
    // Forced: a group id only because assign() needs one; no commits; a position below the log start
    // is an error, not a silent jump; the end of the partition is reported so nothing waits for it.
    props["group.id"] = "ferry-verify";
    props["enable.auto.commit"] = "false";
    props["enable.auto.offset.store"] = "false";
    props["auto.offset.reset"] = "error";
    props["enable.partition.eof"] = "true";
    auto rk = kafka::NewClient(RD_KAFKA_CONSUMER, props);
    if (!rk.ok()) return rk.error();
    return std::unique_ptr<PartitionReader>(new PartitionReader(side + " " + tp.ToString(), tp, std::move(*rk)));
  }

  ~PartitionReader() {
    if (rd_kafka_resp_err_t err = rd_kafka_consumer_close(rk_.get())) {
      LOG(WARNING) << "verify: closing the " << what_ << " consumer: " << rd_kafka_err2str(err);
    }
  }
  PartitionReader(const PartitionReader&) = delete;
  PartitionReader& operator=(const PartitionReader&) = delete;

  const std::string& what() const { return what_; }  // "source orders-0"

  Result<kafka::Watermarks> Watermarks(Clock::time_point deadline) {
    const milliseconds wait = Remaining(deadline);
    if (wait.count() == 0) return Error::Timeout("verify: no time left to query the " + what_ + " watermarks");
    auto marks = kafka::QueryWatermarks(rk_.get(), tp_, wait);
    if (!marks.ok()) {
      const Error& e = marks.error();
      return Error(e.code(), "verify: " + what_ + ": " + e.message(), e.retriable(), e.kafka_err());
    }
    return marks;
  }

  Result<> Assign(int64_t offset) {
    kafka::PartitionsPtr parts(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(parts.get(), tp_.topic.c_str(), tp_.partition)->offset = offset;
    if (rd_kafka_resp_err_t err = rd_kafka_assign(rk_.get(), parts.get())) {
      return Error::Kafka("verify: assign " + what_, err);
    }
    return Ok();
  }

  // What one poll brought: a record, the end of the readable partition (the offset after its last
  // record), or neither (nothing within the wait, or a transient error librdkafka retries by itself).
  struct Event {
    kafka::MessagePtr record;
    std::optional<int64_t> end;
  };

  Result<Event> Poll(Clock::time_point deadline) {
    const milliseconds wait = std::min(kPollWait, Remaining(deadline));
    kafka::MessagePtr msg(rd_kafka_consumer_poll(rk_.get(), static_cast<int>(wait.count())));
    Event event;
    if (msg == nullptr) return event;
    if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      event.end = msg->offset;
      return event;
    }
    if (msg->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      event.record = std::move(msg);
      return event;
    }
    if (rd_kafka_resp_err_t fatal = rd_kafka_fatal_error(rk_.get(), nullptr, 0)) {
      return Error::Kafka("verify: " + what_ + " consumer", fatal);
    }
    switch (msg->err) {
      case RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET:
      case RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE:
        return Error(ErrorCode::kKafka, "verify: " + what_ + ": " + rd_kafka_message_errstr(msg.get()), false,
                     RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE);
      case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
      case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
      case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
      case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
        return Error::Kafka("verify: read " + what_, msg->err);
      default:
        // Transient (a broker down, a leader moving): kept for the timeout message, which is where it
        // matters if it does not go away.
        last_transient_ = rd_kafka_message_errstr(msg.get());
        return event;
    }
  }

  const std::string& last_transient() const { return last_transient_; }

 private:
  PartitionReader(std::string what, TopicPartition tp, kafka::HandlePtr rk)
      : what_(std::move(what)), tp_(std::move(tp)), rk_(std::move(rk)) {}

  std::string what_;
  TopicPartition tp_;
  kafka::HandlePtr rk_;
  std::string last_transient_;
};

Error OutOfRange(const std::string& message) {
  return Error(ErrorCode::kKafka, message, false, RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE);
}

// One verification: streams the source range, fetches each record's copy, compares and digests both.
class Verifier {
 public:
  Verifier(const VerifyRequest& request, Clock::time_point deadline, PartitionReader& source,
           PartitionReader& target, RecordDigest source_digest, RecordDigest target_digest)
      : request_(request),
        deadline_(deadline),
        source_(source),
        target_(target),
        source_digest_(std::move(source_digest)),
        target_digest_(std::move(target_digest)),
        name_("verify " + request.source.ToString() + " -> " + request.target.ToString()) {
    out_.source = request.source;
    out_.target = request.target;
    out_.source_start = request.source_start;
    out_.source_end = request.source_end;
  }

  Result<PartitionVerification> Run() {
    auto marks = source_.Watermarks(deadline_);
    if (!marks.ok()) return marks.error();
    const int64_t start = request_.source_start, end = request_.source_end;
    if (end > marks->high) {
      return OutOfRange(name_ + ": the range " + Range() + " ends beyond the source high watermark " +
                        std::to_string(marks->high));
    }
    if (start < end && start < marks->low) {
      return OutOfRange(name_ + ": the range " + Range() + " starts below the source log start " +
                        std::to_string(marks->low) + " (those records were deleted)");
    }
    if (start < end) FERRY_RETURN_IF_ERROR(source_.Assign(start));
    while (source_next_ < end) {
      if (Clock::now() >= deadline_) return TimedOut();
      auto event = source_.Poll(deadline_);
      if (!event.ok()) return event.error();
      if (event->end) {
        if (*event->end >= end) break;  // the rest of the range is a gap (transaction markers)
        FERRY_RETURN_IF_ERROR(CheckSourceNotTruncated());
        continue;  // readable only up to an open transaction: wait (bounded) for it to end
      }
      if (event->record == nullptr) continue;
      if (event->record->offset >= end) break;
      source_next_ = event->record->offset + 1;
      FERRY_RETURN_IF_ERROR(CompareOne(event->record.get()));
    }
    out_.source_digest = source_digest_.HexFinish();
    out_.target_digest = target_digest_.HexFinish();
    if (out_.first_mismatch) {
      const Mismatch& m = *out_.first_mismatch;
      // A finding for the caller to act on, not an error: logged as the summary line it is.
      LOG(INFO) << name_ << " " << Range() << ": " << out_.records << " records compared; first mismatch at source "
                << m.source_offset << ", target " << m.target_offset << ": " << m.what;
    } else {
      LOG(INFO) << name_ << " " << Range() << ": " << out_.records << " records identical, target "
                << out_.target_start << ".." << out_.target_end << ", sha256 " << out_.source_digest;
    }
    return std::move(out_);
  }

 private:
  std::string Range() const {
    return "[" + std::to_string(request_.source_start) + ", " + std::to_string(request_.source_end) + ")";
  }

  void Note(int64_t source_offset, int64_t target_offset, std::string what) {
    if (!out_.first_mismatch) out_.first_mismatch = Mismatch{source_offset, target_offset, std::move(what)};
  }

  Result<> CompareOne(rd_kafka_message_t* source_record) {
    const int64_t s = source_record->offset;
    const RecordView source_view = View(source_record);
    ++out_.records;
    source_digest_.Add(source_view);
    const std::optional<TargetOffset> translated = request_.translate(SourceOffset(s));
    if (!translated) {
      Note(s, -1, "not translated");
      return Ok();
    }
    const int64_t t = translated->value;
    // Copies land in source order, one target record each; anything else is a broken map, and the
    // target reader cannot go back to check it.
    if (t <= last_target_) {
      Note(s, t, "translated out of order");
      return Ok();
    }
    last_target_ = t;
    if (out_.target_start < 0) out_.target_start = t;
    out_.target_end = t + 1;
    auto copy = TargetRecordAt(t);
    if (!copy.ok()) return copy.error();
    if (*copy == nullptr) {
      Note(s, -1, "missing on the target");
      return Ok();
    }
    const RecordView target_view = View(copy->get());
    target_digest_.Add(target_view);
    if (const char* what = Difference(source_view, target_view)) Note(s, t, what);
    return Ok();
  }

  // The target record at offset `t` (rising from call to call), or nullptr when there is none: the
  // partition ends before it, or it is a gap. Records before `t` are not copies and are skipped.
  Result<kafka::MessagePtr> TargetRecordAt(int64_t t) {
    if (!target_assigned_) {
      auto marks = target_.Watermarks(deadline_);
      if (!marks.ok()) return marks.error();
      if (t < marks->low) {
        return OutOfRange(name_ + ": the copy of the first source record is at target offset " + std::to_string(t) +
                          ", below the target log start " + std::to_string(marks->low) + " (deleted)");
      }
      // Beyond the end the record is missing; starting at the end makes the reader say so at once.
      FERRY_RETURN_IF_ERROR(target_.Assign(std::min(t, marks->high)));
      target_assigned_ = true;
    }
    while (true) {
      if (pending_target_ != nullptr) {
        if (pending_target_->offset == t) return std::move(pending_target_);
        if (pending_target_->offset > t) return kafka::MessagePtr();  // a gap where the copy should be
        pending_target_.reset();                                      // not a copy: skipped
      }
      // Everything readable has been delivered and nothing at or after t was among it. A live target
      // is judged as of this moment: records written after the end was seen count as missing.
      if (target_end_) return kafka::MessagePtr();
      if (Clock::now() >= deadline_) return TimedOut();
      auto event = target_.Poll(deadline_);
      if (!event.ok()) return event.error();
      if (event->end) target_end_ = event->end;
      if (event->record != nullptr) {
        target_end_.reset();
        target_next_ = event->record->offset + 1;
        pending_target_ = std::move(event->record);
      }
    }
  }

  // An end of the source below the range means its high watermark went down (an unclean leader
  // election truncated the log) unless an open transaction holds the readable end back.
  Result<> CheckSourceNotTruncated() {
    auto marks = source_.Watermarks(deadline_);
    if (!marks.ok()) return marks.error();
    if (marks->high >= request_.source_end) return Ok();
    return Error(ErrorCode::kDataLoss, name_ + ": the source log now ends at " + std::to_string(marks->high) +
                                           ", inside the range " + Range() + " (truncated)");
  }

  Error TimedOut() const {
    std::string message = name_ + ": timed out after comparing " + std::to_string(out_.records) +
                          " records; the source reached offset " + std::to_string(source_next_) + " of " +
                          Range();
    if (target_next_ >= 0) message += ", the target offset " + std::to_string(target_next_);
    for (const PartitionReader* reader : {&source_, &target_}) {
      if (!reader->last_transient().empty()) {
        message += "; last " + reader->what() + " error: " + reader->last_transient();
      }
    }
    return Error::Timeout(std::move(message));
  }

  const VerifyRequest& request_;
  const Clock::time_point deadline_;
  PartitionReader& source_;
  PartitionReader& target_;
  RecordDigest source_digest_;
  RecordDigest target_digest_;
  const std::string name_;  // "verify orders-0 -> A.orders-0", for messages

  PartitionVerification out_;
  int64_t source_next_ = request_.source_start;  // the range is compared up to here (exclusive)
  int64_t last_target_ = -1;                     // the last translated target offset
  bool target_assigned_ = false;
  kafka::MessagePtr pending_target_;  // read ahead: a target record at or after the next one wanted
  std::optional<int64_t> target_end_;  // set while the target reader sits at the end of its partition
  int64_t target_next_ = -1;           // the offset after the last target record read, for messages
};

}  // namespace

Result<PartitionVerification> VerifyPartition(const Properties& source_consumer, const Properties& target_consumer,
                                              const VerifyRequest& request, milliseconds timeout) {
  CHECK(request.translate) << "VerifyRequest.translate must be set";
  const Clock::time_point deadline = Clock::now() + timeout;
  if (request.source_start < 0 || request.source_end < request.source_start) {
    return Error::BadRequest("verify " + request.source.ToString() + ": invalid source range [" +
                             std::to_string(request.source_start) + ", " + std::to_string(request.source_end) +
                             ")");
  }
  auto source_digest = RecordDigest::Create();
  if (!source_digest.ok()) return source_digest.error();
  auto target_digest = RecordDigest::Create();
  if (!target_digest.ok()) return target_digest.error();
  auto source = PartitionReader::Open("source", source_consumer, request.source);
  if (!source.ok()) return source.error();
  auto target = PartitionReader::Open("target", target_consumer, request.target);
  if (!target.ok()) return target.error();
  Verifier verifier(request, deadline, **source, **target, std::move(*source_digest), std::move(*target_digest));
  return verifier.Run();
}

}  // namespace ferry::cutover
