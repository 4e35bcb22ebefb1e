#include "worker/group/wire.h"

#include <limits>

namespace ferry::group {

namespace {

template <typename T>
void PutBigEndian(std::string& out, T v) {
  using U = std::make_unsigned_t<T>;
  const U u = static_cast<U>(v);
  for (int shift = (sizeof(T) - 1) * 8; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((u >> shift) & 0xff));
  }
}

template <typename T>
T GetBigEndian(std::string_view b) {
  using U = std::make_unsigned_t<T>;
  U u = 0;
  for (char c : b) u = static_cast<U>((u << 8) | static_cast<unsigned char>(c));
  return static_cast<T>(u);
}

}  // namespace

// ---- Writer ----

void Writer::Int8(int8_t v) { out_.push_back(static_cast<char>(v)); }
void Writer::Int16(int16_t v) { PutBigEndian(out_, v); }
void Writer::Int32(int32_t v) { PutBigEndian(out_, v); }
void Writer::Int64(int64_t v) { PutBigEndian(out_, v); }

void Writer::UnsignedVarint(uint32_t v) {
  while ((v & ~0x7fu) != 0) {
    out_.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out_.push_back(static_cast<char>(v));
}

void Writer::String(std::string_view s) {
  CHECK_LE(s.size(), static_cast<size_t>(std::numeric_limits<int16_t>::max())) << "STRING too long";
  Int16(static_cast<int16_t>(s.size()));
  out_.append(s);
}

void Writer::NullableString(const std::optional<std::string>& s) {
  if (!s) return Int16(-1);
  String(*s);
}

void Writer::Bytes(std::string_view b) {
  CHECK_LE(b.size(), static_cast<size_t>(std::numeric_limits<int32_t>::max())) << "BYTES too long";
  Int32(static_cast<int32_t>(b.size()));
  out_.append(b);
}

void Writer::NullableBytes(const std::optional<std::string>& b) {
  if (!b) return Int32(-1);
  Bytes(*b);
}

void Writer::ArrayLength(int32_t n) {
  CHECK_GE(n, -1) << "array length";
  Int32(n);
}

void Writer::CompactString(std::string_view s) {
  CHECK_LT(s.size(), static_cast<size_t>(std::numeric_limits<int32_t>::max())) << "COMPACT_STRING too long";
  UnsignedVarint(static_cast<uint32_t>(s.size()) + 1);
  out_.append(s);
}

void Writer::CompactNullableString(const std::optional<std::string>& s) {
  if (!s) return UnsignedVarint(0);
  CompactString(*s);
}

void Writer::CompactBytes(std::string_view b) { CompactString(b); }

void Writer::CompactNullableBytes(const std::optional<std::string>& b) { CompactNullableString(b); }

void Writer::CompactArrayLength(int32_t n) {
  CHECK_GE(n, -1) << "array length";
  UnsignedVarint(static_cast<uint32_t>(n + 1));
}

// ---- Reader ----

void Reader::Fail(std::string why) {
  if (failed_) return;
  failed_ = true;
  failure_ = std::move(why) + " at byte " + std::to_string(pos_) + " of " + std::to_string(data_.size());
}

bool Reader::Take(size_t n, const char* type, std::string_view* out) {
  if (failed_) return false;
  if (data_.size() - pos_ < n) {
    Fail(std::string("short read of ") + type + " (" + std::to_string(n) + " bytes wanted, " +
         std::to_string(data_.size() - pos_) + " left)");
    return false;
  }
  *out = data_.substr(pos_, n);
  pos_ += n;
  return true;
}

int8_t Reader::Int8() {
  std::string_view b;
  return Take(1, "INT8", &b) ? static_cast<int8_t>(b[0]) : 0;
}

int16_t Reader::Int16() {
  std::string_view b;
  return Take(2, "INT16", &b) ? GetBigEndian<int16_t>(b) : 0;
}

int32_t Reader::Int32() {
  std::string_view b;
  return Take(4, "INT32", &b) ? GetBigEndian<int32_t>(b) : 0;
}

int64_t Reader::Int64() {
  std::string_view b;
  return Take(8, "INT64", &b) ? GetBigEndian<int64_t>(b) : 0;
}

uint32_t Reader::UnsignedVarint() {
  uint32_t value = 0;
  for (int i = 0; i < 5; ++i) {
    std::string_view b;
    if (!Take(1, "UNSIGNED_VARINT", &b)) return 0;
    const uint32_t byte = static_cast<unsigned char>(b[0]);
    if (i == 4 && (byte & 0xf0) != 0) {  // the fifth byte holds only the top 4 bits
      Fail("UNSIGNED_VARINT overflows 32 bits");
      return 0;
    }
    value |= (byte & 0x7f) << (7 * i);
    if ((byte & 0x80) == 0) return value;
  }
  Fail("UNSIGNED_VARINT longer than 5 bytes");
  return 0;
}

std::optional<std::string> Reader::ReadLengthPrefixed(int64_t len, const char* type) {
  if (failed_) return std::nullopt;
  if (len < -1) {
    Fail(std::string("negative ") + type + " length " + std::to_string(len));
    return std::nullopt;
  }
  if (len == -1) return std::nullopt;
  std::string_view b;
  if (!Take(static_cast<size_t>(len), type, &b)) return std::nullopt;
  return std::string(b);
}

std::string Reader::String() {
  const int16_t len = Int16();
  if (ok() && len < 0) {
    Fail("null or negative STRING length " + std::to_string(len));
    return {};
  }
  return ReadLengthPrefixed(len, "STRING").value_or("");
}

std::optional<std::string> Reader::NullableString() {
  const int16_t len = Int16();
  return ReadLengthPrefixed(len, "NULLABLE_STRING");
}

std::string Reader::Bytes() {
  const int32_t len = Int32();
  if (ok() && len < 0) {
    Fail("null or negative BYTES length " + std::to_string(len));
    return {};
  }
  return ReadLengthPrefixed(len, "BYTES").value_or("");
}

std::optional<std::string> Reader::NullableBytes() {
  const int32_t len = Int32();
  return ReadLengthPrefixed(len, "NULLABLE_BYTES");
}

int32_t Reader::ArrayLength() {
  const int32_t n = Int32();
  if (!ok()) return 0;
  if (n < -1) {
    Fail("negative ARRAY length " + std::to_string(n));
    return 0;
  }
  if (n > 0 && static_cast<size_t>(n) > remaining()) {
    Fail("ARRAY length " + std::to_string(n) + " exceeds the remaining bytes");
    return 0;
  }
  return n;
}

std::string Reader::CompactString() {
  const uint32_t n = UnsignedVarint();
  if (ok() && n == 0) {
    Fail("null COMPACT_STRING");
    return {};
  }
  return ReadLengthPrefixed(static_cast<int64_t>(n) - 1, "COMPACT_STRING").value_or("");
}

std::optional<std::string> Reader::CompactNullableString() {
  const uint32_t n = UnsignedVarint();
  if (!ok()) return std::nullopt;
  return ReadLengthPrefixed(static_cast<int64_t>(n) - 1, "COMPACT_NULLABLE_STRING");
}

std::string Reader::CompactBytes() {
  const uint32_t n = UnsignedVarint();
  if (ok() && n == 0) {
    Fail("null COMPACT_BYTES");
    return {};
  }
  return ReadLengthPrefixed(static_cast<int64_t>(n) - 1, "COMPACT_BYTES").value_or("");
}

std::optional<std::string> Reader::CompactNullableBytes() {
  const uint32_t n = UnsignedVarint();
  if (!ok()) return std::nullopt;
  return ReadLengthPrefixed(static_cast<int64_t>(n) - 1, "COMPACT_NULLABLE_BYTES");
}

int32_t Reader::CompactArrayLength() {
  const uint32_t n = UnsignedVarint();
  if (!ok()) return 0;
  if (n == 0) return -1;
  if (n - 1 > remaining()) {
    Fail("COMPACT_ARRAY length " + std::to_string(n - 1) + " exceeds the remaining bytes");
    return 0;
  }
  return static_cast<int32_t>(n - 1);
}

void Reader::SkipTaggedFields() {
  const uint32_t count = UnsignedVarint();
  if (ok() && count > remaining()) {  // every field takes at least two bytes
    Fail("tagged-field count " + std::to_string(count) + " exceeds the remaining bytes");
    return;
  }
  for (uint32_t i = 0; i < count && ok(); ++i) {
    UnsignedVarint();  // tag
    const uint32_t size = UnsignedVarint();
    std::string_view skipped;
    Take(size, "tagged field", &skipped);
  }
}

Result<> Reader::status(std::string_view what) const {
  if (!failed_) return Ok();
  return Error::Corrupt(std::string(what) + ": " + failure_);
}

Result<> Reader::Finish(std::string_view what) const {
  FERRY_RETURN_IF_ERROR(status(what));
  if (pos_ != data_.size()) {
    return Error::Corrupt(std::string(what) + ": " + std::to_string(data_.size() - pos_) +
                          " unexpected trailing bytes after byte " + std::to_string(pos_));
  }
  return Ok();
}

// ---- Headers ----

void WriteRequestHeader(Writer& w, const RequestHeader& header, int header_version) {
  CHECK(header_version == 1 || header_version == 2) << "request header v" << header_version;
  w.Int16(header.api_key);
  w.Int16(header.api_version);
  w.Int32(header.correlation_id);
  w.NullableString(header.client_id);  // classic even in v2, so any broker can read it
  if (header_version >= 2) w.EmptyTaggedFields();
}

Result<RequestHeader> ReadRequestHeader(Reader& r, int header_version) {
  CHECK(header_version == 1 || header_version == 2) << "request header v" << header_version;
  RequestHeader header;
  header.api_key = r.Int16();
  header.api_version = r.Int16();
  header.correlation_id = r.Int32();
  header.client_id = r.NullableString();
  if (header_version >= 2) r.SkipTaggedFields();
  FERRY_RETURN_IF_ERROR(r.status("request header"));
  return header;
}

void WriteResponseHeader(Writer& w, int32_t correlation_id, int header_version) {
  CHECK(header_version == 0 || header_version == 1) << "response header v" << header_version;
  w.Int32(correlation_id);
  if (header_version >= 1) w.EmptyTaggedFields();
}

Result<int32_t> ReadResponseHeader(Reader& r, int header_version) {
  CHECK(header_version == 0 || header_version == 1) << "response header v" << header_version;
  const int32_t correlation_id = r.Int32();
  if (header_version >= 1) r.SkipTaggedFields();
  FERRY_RETURN_IF_ERROR(r.status("response header"));
  return correlation_id;
}

}  // namespace ferry::group
