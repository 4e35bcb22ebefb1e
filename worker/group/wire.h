// A small codec for the Kafka wire protocol: the primitive types of `Type.java`, in their classic and
// flexible (KIP-482) forms, and the request/response headers. Enough for the group APIs Ferry speaks
// itself (the message schemas are Kafka's clients/src/main/resources/common/message/*.json).
//
// Writer appends; it cannot fail. Reader is sticky: the first short or malformed read puts it in a
// failed state, every later read returns a zero value and reads nothing, and status() reports the
// first failure as a kCorrupt Error. A Reader never reads past its buffer, and an array or string
// length that cannot fit in the remaining bytes fails at once (no allocation from a peer's length).
// Thread-safety: values; one thread at a time per object.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "worker/common/result.h"

namespace ferry::group {

class Writer {
 public:
  void Int8(int8_t v);
  void Int16(int16_t v);
  void Int32(int32_t v);
  void Int64(int64_t v);
  void Bool(bool v) { Int8(v ? 1 : 0); }
  void UnsignedVarint(uint32_t v);

  // Classic forms: INT16 length for strings, INT32 for bytes and arrays; -1 = null.
  void String(std::string_view s);
  void NullableString(const std::optional<std::string>& s);
  void Bytes(std::string_view b);
  void NullableBytes(const std::optional<std::string>& b);
  void ArrayLength(int32_t n);  // -1 = null array

  // Compact forms: UNSIGNED_VARINT length + 1; 0 = null.
  void CompactString(std::string_view s);
  void CompactNullableString(const std::optional<std::string>& s);
  void CompactBytes(std::string_view b);
  void CompactNullableBytes(const std::optional<std::string>& b);
  void CompactArrayLength(int32_t n);  // -1 = null array

  // Ferry writes no tagged fields: an empty section is one 0x00 byte.
  void EmptyTaggedFields() { UnsignedVarint(0); }
  void Raw(std::string_view b) { out_.append(b); }

  const std::string& data() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

class Reader {
 public:
  // The reader borrows `data`, which must outlive it.
  explicit Reader(std::string_view data) : data_(data) {}
  explicit Reader(const std::string& data) : data_(data) {}
  explicit Reader(std::string&&) = delete;  // would dangle

  int8_t Int8();
  int16_t Int16();
  int32_t Int32();
  int64_t Int64();
  bool Bool() { return Int8() != 0; }  // any non-zero byte is true
  uint32_t UnsignedVarint();

  std::string String();  // a null (-1) STRING is malformed
  std::optional<std::string> NullableString();
  std::string Bytes();
  std::optional<std::string> NullableBytes();
  // The element count of an ARRAY; -1 for a null array. A count that cannot fit in the remaining
  // bytes (every element takes at least one) fails the reader and returns 0.
  int32_t ArrayLength();

  std::string CompactString();
  std::optional<std::string> CompactNullableString();
  std::string CompactBytes();
  std::optional<std::string> CompactNullableBytes();
  int32_t CompactArrayLength();  // -1 for a null array

  // Skips a tagged-field section: all tags are unknown to Ferry.
  void SkipTaggedFields();
  // Consumes everything left (e.g. fields of a newer version we do not know).

  bool ok() const { return !failed_; }
  size_t remaining() const { return failed_ ? 0 : data_.size() - pos_; }
  size_t position() const { return pos_; }
  // Ok, or the first failure as kCorrupt ("<what>: short read at byte N ...").
  Result<> status(std::string_view what) const;
  // status(), and also fails if bytes are left over.
  Result<> Finish(std::string_view what) const;

  // Marks the reader failed with `why` (for checks a caller makes on decoded values).
  void Fail(std::string why);

 private:
  bool Take(size_t n, const char* type, std::string_view* out);
  std::optional<std::string> ReadLengthPrefixed(int64_t len, const char* type);

  std::string_view data_;
  size_t pos_ = 0;
  bool failed_ = false;
  std::string failure_;
};

// Request header v1 (non-flexible API versions) or v2 (flexible): the ClientId is a classic
// NULLABLE_STRING in both; v2 adds an empty tagged-field section.
struct RequestHeader {
  int16_t api_key = 0;
  int16_t api_version = 0;
  int32_t correlation_id = 0;
  std::optional<std::string> client_id;
};
void WriteRequestHeader(Writer& w, const RequestHeader& header, int header_version);
Result<RequestHeader> ReadRequestHeader(Reader& r, int header_version);

// Response header v0 (CorrelationId) or v1 (CorrelationId + tagged fields). Returns the correlation id.
void WriteResponseHeader(Writer& w, int32_t correlation_id, int header_version);
Result<int32_t> ReadResponseHeader(Reader& r, int header_version);

}  // namespace ferry::group
