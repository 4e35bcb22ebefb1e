#include "tasks/mirror_records.h"

namespace ferry::tasks {
namespace {

void PutInt(std::string& out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void PutString(std::string& out, const std::string& s) {
  CHECK_LE(s.size(), 32767u) << "MM2 strings hold at most 32767 bytes";
  PutInt(out, s.size(), 2);
  out += s;
}

// Reads big-endian fields from a byte string; the first short read sets an error.
class Reader {
 public:
  Reader(const std::string& bytes, const char* what) : bytes_(bytes), what_(what) {}
  uint64_t Int(int n) {
    if (!Need(static_cast<size_t>(n))) return 0;
    uint64_t v = 0;
    for (int i = 0; i < n; ++i) v = (v << 8) | static_cast<uint8_t>(bytes_[pos_++]);
    return v;
  }
  int16_t Int16() { return static_cast<int16_t>(Int(2)); }
  int32_t Int32() { return static_cast<int32_t>(Int(4)); }
  int64_t Int64() { return static_cast<int64_t>(Int(8)); }
  std::string String() {
    const int16_t len = Int16();
    if (len < 0) {
      Fail("negative string length");
      return {};
    }
    if (!Need(static_cast<size_t>(len))) return {};
    std::string s = bytes_.substr(pos_, static_cast<size_t>(len));
    pos_ += static_cast<size_t>(len);
    return s;
  }
  Result<> status() const {
    if (error_.empty()) return Ok();
    return Error::Corrupt(std::string(what_) + ": " + error_);
  }

 private:
  bool Need(size_t n) {
    if (!error_.empty()) return false;
    if (bytes_.size() - pos_ < n) {
      Fail("too short (" + std::to_string(bytes_.size()) + " bytes)");
      return false;
    }
    return true;
  }
  void Fail(std::string why) {
    if (error_.empty()) error_ = std::move(why);
  }
  const std::string& bytes_;
  const char* what_;
  size_t pos_ = 0;
  std::string error_;
};

}  // namespace

std::string Heartbeat::EncodeKey() const {
  std::string out;
  PutString(out, source_alias);
  PutString(out, target_alias);
  return out;
}

std::string Heartbeat::EncodeValue() const {
  std::string out;
  PutInt(out, 0, 2);
  PutInt(out, static_cast<uint64_t>(timestamp_ms), 8);
  return out;
}

Result<Heartbeat> Heartbeat::Decode(const std::string& key, const std::string& value) {
  Heartbeat h;
  Reader k(key, "heartbeat key");
  h.source_alias = k.String();
  h.target_alias = k.String();
  FERRY_RETURN_IF_ERROR(k.status());
  Reader v(value, "heartbeat value");
  v.Int16();  // version: every version starts with the v0 fields
  h.timestamp_ms = v.Int64();
  FERRY_RETURN_IF_ERROR(v.status());
  return h;
}

std::string Checkpoint::EncodeKey() const {
  std::string out;
  PutString(out, group);
  PutString(out, topic);
  PutInt(out, static_cast<uint32_t>(partition), 4);
  return out;
}

std::string Checkpoint::EncodeValue() const {
  std::string out;
  PutInt(out, 0, 2);
  PutInt(out, static_cast<uint64_t>(upstream_offset), 8);
  PutInt(out, static_cast<uint64_t>(downstream_offset), 8);
  PutString(out, metadata);
  return out;
}

Result<Checkpoint> Checkpoint::Decode(const std::string& key, const std::string& value) {
  Checkpoint c;
  Reader k(key, "checkpoint key");
  c.group = k.String();
  c.topic = k.String();
  c.partition = k.Int32();
  FERRY_RETURN_IF_ERROR(k.status());
  Reader v(value, "checkpoint value");
  v.Int16();
  c.upstream_offset = v.Int64();
  c.downstream_offset = v.Int64();
  c.metadata = v.String();
  FERRY_RETURN_IF_ERROR(v.status());
  return c;
}

std::string OffsetSyncRecord::EncodeKey() const {
  std::string out;
  PutString(out, topic);
  PutInt(out, static_cast<uint32_t>(partition), 4);
  return out;
}

std::string OffsetSyncRecord::EncodeRunKey(uint32_t run_slot) const {
  std::string out = EncodeKey();
  PutInt(out, run_slot, 4);
  return out;
}

std::string OffsetSyncRecord::EncodeValue() const {
  std::string out;
  PutInt(out, static_cast<uint64_t>(upstream_offset), 8);
  PutInt(out, static_cast<uint64_t>(downstream_offset), 8);
  return out;
}

Result<OffsetSyncRecord> OffsetSyncRecord::Decode(const std::string& key, const std::string& value) {
  OffsetSyncRecord s;
  Reader k(key, "offset sync key");
  s.topic = k.String();
  s.partition = k.Int32();
  FERRY_RETURN_IF_ERROR(k.status());
  Reader v(value, "offset sync value");
  s.upstream_offset = v.Int64();
  s.downstream_offset = v.Int64();
  FERRY_RETURN_IF_ERROR(v.status());
  return s;
}

}  // namespace ferry::tasks
