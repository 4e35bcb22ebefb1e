#include "worker/file_log.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <map>
#include <utility>
#include <vector>

#include <glog/logging.h>

namespace ferry::worker {

namespace {

// Owns a file descriptor.
class ScopedFd {
 public:
  ScopedFd() = default;
  explicit ScopedFd(int fd) : fd_(fd) {}
  ~ScopedFd() { reset(); }
  ScopedFd(ScopedFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  ScopedFd& operator=(ScopedFd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

constexpr std::array<uint32_t, 256> MakeCrcTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  return table;
}
constexpr std::array<uint32_t, 256> kCrcTable = MakeCrcTable();

// CRC-32 (IEEE 802.3), as zlib's crc32().
uint32_t Crc32(const char* data, size_t size) {
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < size; ++i) c = kCrcTable[(c ^ static_cast<uint8_t>(data[i])) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

void PutU32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

uint32_t GetU32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return v;
}

void PutBytes(std::string& out, const std::optional<std::string>& bytes) {
  if (!bytes) {
    PutU32(out, 0xFFFFFFFFu);  // -1
    return;
  }
  PutU32(out, static_cast<uint32_t>(bytes->size()));
  out += *bytes;
}

std::string EncodeRecord(const std::optional<std::string>& key, const std::optional<std::string>& value) {
  std::string body;
  PutBytes(body, key);
  PutBytes(body, value);
  std::string record;
  record.reserve(8 + body.size());
  PutU32(record, static_cast<uint32_t>(body.size()));
  PutU32(record, Crc32(body.data(), body.size()));
  record += body;
  return record;
}

// Reads one length-prefixed field of a body; false if it does not fit.
bool GetBytes(const char* body, size_t size, size_t& pos, std::optional<std::string>& out) {
  if (size - pos < 4) return false;
  const uint32_t len = GetU32(body + pos);
  pos += 4;
  if (len == 0xFFFFFFFFu) {
    out.reset();
    return true;
  }
  if (len > size - pos) return false;
  out.emplace(body + pos, len);
  pos += len;
  return true;
}

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

std::string DirectoryOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// Makes a file's creation or rename durable.
void SyncDirectory(const std::string& path) {
  ScopedFd dir(::open(DirectoryOf(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() < 0 || ::fsync(dir.get()) != 0) {
    LOG(WARNING) << Errno("fsync the directory of " + path);
  }
}

Result<> WriteAll(int fd, const std::string& data, const std::string& path) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::Internal(Errno("write " + path));
    }
    done += static_cast<size_t>(n);
  }
  return Ok();
}

Result<std::string> ReadAll(int fd, const std::string& path) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return Error::Internal(Errno("stat " + path));
  std::string data;
  data.resize(static_cast<size_t>(st.st_size));
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::pread(fd, data.data() + done, data.size() - done, static_cast<off_t>(done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::Internal(Errno("read " + path));
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  data.resize(done);
  return data;
}

// Opens `path` (creating it) and takes its exclusive lock. Retries if the file was replaced (compacted
// by another process) between the open and the lock, so the lock always guards the current file.
Result<ScopedFd> OpenLocked(const std::string& path) {
  for (int attempt = 0; attempt < 5; ++attempt) {
    ScopedFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
    if (fd.get() < 0) return Error::Internal(Errno("open " + path));
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
      if (errno == EWOULDBLOCK) {
        return Error::Conflict("the file " + path + " is in use by another process (another worker?)");
      }
      return Error::Internal(Errno("lock " + path));
    }
    struct stat opened;
    struct stat current;
    if (::fstat(fd.get(), &opened) != 0) return Error::Internal(Errno("stat " + path));
    if (::stat(path.c_str(), &current) == 0 && current.st_ino == opened.st_ino && current.st_dev == opened.st_dev) {
      return fd;
    }
  }
  return Error::Conflict("the file " + path + " keeps being replaced by another process");
}

}  // namespace

FileLog::FileLog(std::string path) : path_(std::move(path)) { CHECK(!path_.empty()) << "FileLog needs a path"; }

FileLog::~FileLog() { Stop(); }

Result<> FileLog::Start(RecordCallback on_record, std::chrono::milliseconds) {
  CHECK(on_record) << "FileLog::Start needs a record callback";
  std::lock_guard lock(mu_);
  CHECK(!started_) << "FileLog::Start called twice for " << path_;
  started_ = true;
  if (stopped_) return Error::Internal("the log file " + path_ + " was stopped before it started");

  auto opened = OpenLocked(path_);
  if (!opened.ok()) return opened.error();
  ScopedFd fd = std::move(*opened);
  auto read = ReadAll(fd.get(), path_);
  if (!read.ok()) return read.error();
  const std::string& data = *read;

  // The header: absent or cut short means a file that never held a record.
  if (data.size() < kMagicSize) {
    if (data.compare(0, data.size(), kMagic, data.size()) != 0) {
      return Error::Corrupt(path_ + " is not a Ferry log file (it is too short and has no Ferry header)");
    }
    if (!data.empty()) LOG(WARNING) << "Rewriting the torn header of " << path_;
    if (::ftruncate(fd.get(), 0) != 0) return Error::Internal(Errno("truncate " + path_));
    FERRY_RETURN_IF_ERROR(WriteAll(fd.get(), std::string(kMagic, kMagicSize), path_));
    if (::fsync(fd.get()) != 0) return Error::Internal(Errno("fsync " + path_));
    SyncDirectory(path_);
    fd_ = fd.release();
    size_ = static_cast<int64_t>(kMagicSize);
    next_offset_ = 0;
    on_record_ = std::move(on_record);
    return Ok();
  }
  if (data.compare(0, kMagicSize, kMagic) != 0) {
    const bool java = static_cast<uint8_t>(data[0]) == 0xAC && static_cast<uint8_t>(data[1]) == 0xED;
    return Error::Corrupt(path_ + " is not a Ferry log file" +
                          std::string(java ? " (it looks like a Kafka Connect standalone offsets file, which is "
                                             "Java-serialized; give Ferry a file of its own)"
                                           : ""));
  }

  std::vector<kafka::LogRecord> records;
  size_t pos = kMagicSize;
  while (pos < data.size()) {
    const size_t left = data.size() - pos;
    std::string torn;
    uint32_t body_len = 0;
    if (left < 8) {
      torn = "its length and checksum are cut short";
    } else if ((body_len = GetU32(data.data() + pos)) > left - 8) {
      torn = "it ends " + std::to_string(body_len - (left - 8)) + " bytes short";
    } else if (Crc32(data.data() + pos + 8, body_len) != GetU32(data.data() + pos + 4)) {
      if (pos + 8 + body_len != data.size()) {
        return Error::Corrupt(path_ + ": the record at byte " + std::to_string(pos) +
                              " fails its checksum and more records follow; the file is damaged");
      }
      torn = "it fails its checksum";
    }
    if (!torn.empty()) {
      LOG(WARNING) << "Ignoring the last record of " << path_ << " (" << left << " bytes at byte " << pos
                   << "): " << torn << ", probably a write cut short by a crash";
      if (::ftruncate(fd.get(), static_cast<off_t>(pos)) != 0 || ::fsync(fd.get()) != 0) {
        return Error::Internal(Errno("cut the torn record off " + path_));
      }
      break;
    }
    const char* body = data.data() + pos + 8;
    size_t body_pos = 0;
    kafka::LogRecord record;
    if (!GetBytes(body, body_len, body_pos, record.key) || !GetBytes(body, body_len, body_pos, record.value) ||
        body_pos != body_len) {
      return Error::Corrupt(path_ + ": the record at byte " + std::to_string(pos) + " does not parse");
    }
    record.offset = static_cast<int64_t>(records.size());
    record.topic = path_;
    records.push_back(std::move(record));
    pos += 8 + body_len;
  }
  fd_ = fd.release();
  size_ = static_cast<int64_t>(pos);

  // Compact when most records are superseded: the file only ever grows otherwise.
  std::map<std::string, size_t> latest;
  for (size_t i = 0; i < records.size(); ++i) {
    if (records[i].key) latest[*records[i].key] = i;
  }
  std::vector<kafka::LogRecord> live;
  for (size_t i = 0; i < records.size(); ++i) {
    const kafka::LogRecord& r = records[i];
    if (!r.key || (latest[*r.key] == i && r.value)) live.push_back(r);
  }
  constexpr size_t kCompactMinRecords = 1000;
  if (records.size() >= kCompactMinRecords && live.size() * 2 < records.size()) {
    for (size_t i = 0; i < live.size(); ++i) live[i].offset = static_cast<int64_t>(i);
    if (auto compacted = Compact(live, records.size()); compacted.ok()) {
      records = std::move(live);
    } else {
      LOG(WARNING) << "Not compacting " << path_ << ": " << compacted.error().ToString();
    }
  }

  on_record_ = std::move(on_record);
  for (const kafka::LogRecord& r : records) on_record_(r);
  next_offset_ = static_cast<int64_t>(records.size());
  return Ok();
}

// Replaces the file by one holding only `live`: written to a temporary file, locked before anyone can
// find it under `path_`, fsynced, then renamed over `path_`. On failure nothing changed.
Result<> FileLog::Compact(const std::vector<kafka::LogRecord>& live, size_t total_records) {
  const std::string tmp_path = path_ + ".compacting";
  ScopedFd tmp(::open(tmp_path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644));
  if (tmp.get() < 0) return Error::Internal(Errno("open " + tmp_path));
  if (::flock(tmp.get(), LOCK_EX | LOCK_NB) != 0) return Error::Internal(Errno("lock " + tmp_path));
  std::string data(kMagic, kMagicSize);
  for (const kafka::LogRecord& r : live) data += EncodeRecord(r.key, r.value);
  Result<> written = WriteAll(tmp.get(), data, tmp_path);
  if (written.ok() && (::fsync(tmp.get()) != 0 || ::rename(tmp_path.c_str(), path_.c_str()) != 0)) {
    written = Error::Internal(Errno("replace " + path_ + " by its compacted copy"));
  }
  if (!written.ok()) {
    ::unlink(tmp_path.c_str());
    return written.error();
  }
  SyncDirectory(path_);
  LOG(INFO) << "Compacted " << path_ << ": kept " << live.size() << " of " << total_records << " records";
  ::close(fd_);  // the replaced file, and its lock
  fd_ = tmp.release();
  size_ = static_cast<int64_t>(data.size());
  return Ok();
}

Result<> FileLog::Send(const std::optional<std::string>& key, const std::optional<std::string>& value) {
  std::lock_guard lock(mu_);
  if (fd_ < 0) return Error::Internal("the log file " + path_ + " is not open");
  const std::string encoded = EncodeRecord(key, value);
  if (auto written = WriteAll(fd_, encoded, path_); !written.ok()) {
    // Never leave half a record behind: the next append would follow garbage.
    if (::ftruncate(fd_, static_cast<off_t>(size_)) != 0) {
      LOG(ERROR) << Errno("cut a failed write off " + path_) << "; the next Start will drop the torn record";
    }
    return written.error();
  }
  size_ += static_cast<int64_t>(encoded.size());
  kafka::LogRecord record{key, value, 0, next_offset_++, path_};
  on_record_(record);
  return Ok();
}

Result<> FileLog::Flush(std::chrono::milliseconds) {
  std::lock_guard lock(mu_);
  if (fd_ < 0) return Error::Internal("the log file " + path_ + " is not open");
  if (::fdatasync(fd_) != 0) return Error::Internal(Errno("fsync " + path_));
  return Ok();
}

Result<> FileLog::ReadToEnd(std::chrono::milliseconds) {
  std::lock_guard lock(mu_);
  if (fd_ < 0) return Error::Internal("the log file " + path_ + " is not open");
  return Ok();  // every record was delivered when it was appended
}

void FileLog::Stop() {
  std::lock_guard lock(mu_);
  stopped_ = true;
  if (fd_ >= 0) {
    ::close(fd_);  // also releases the lock
    fd_ = -1;
  }
}

}  // namespace ferry::worker
