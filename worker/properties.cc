#include "worker/properties.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <optional>

namespace ferry::worker {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\f'; }
bool IsLineEnd(char c) { return c == '\n' || c == '\r'; }

// A logical line: natural lines joined at their continuation backslashes, with the backslash and the
// leading blanks of each continuation line removed. Escapes are still in place.
struct LogicalLine {
  std::string text;
  int line = 0;  // where it starts
};

// Reads logical lines off a text, skipping comments and blank lines, counting natural lines.
class LineReader {
 public:
  explicit LineReader(std::string_view in) : in_(in) {}

  std::optional<LogicalLine> Next() {
    while (true) {
      SkipBlanks();
      if (pos_ >= in_.size()) return std::nullopt;
      const char c = in_[pos_];
      if (IsLineEnd(c)) {  // a blank line
        ConsumeLineEnd();
        continue;
      }
      if (c == '#' || c == '!') {  // a comment: to the end of this natural line, never continued
        while (pos_ < in_.size() && !IsLineEnd(in_[pos_])) ++pos_;
        ConsumeLineEnd();
        continue;
      }
      LogicalLine out;
      out.line = line_;
      bool restart = false;
      while (true) {
        const size_t start = pos_;
        while (pos_ < in_.size() && !IsLineEnd(in_[pos_])) ++pos_;
        const std::string_view segment = in_.substr(start, pos_ - start);
        size_t backslashes = 0;
        while (backslashes < segment.size() && segment[segment.size() - 1 - backslashes] == '\\') {
          ++backslashes;
        }
        const bool continues = backslashes % 2 == 1;
        out.text.append(segment.substr(0, continues ? segment.size() - 1 : segment.size()));
        const size_t line_end = ConsumeLineEnd();
        if (!continues) break;
        if (out.text.empty()) {
          // Nothing but a backslash so far. As in Java 9 and later, the next natural line starts
          // afresh (it may be blank or a comment), except that Java's reader, seeing the text end
          // right after a one-character line end (or no line end), yields an empty entry.
          if (pos_ >= in_.size() && line_end <= 1) break;
          restart = true;
          break;
        }
        // The next natural line continues this one; its leading blanks go. If it is empty (or the
        // text ends), the entry ends here, as in Java.
        SkipBlanks();
        if (pos_ >= in_.size()) break;
        if (IsLineEnd(in_[pos_])) {
          ConsumeLineEnd();
          break;
        }
      }
      if (restart) continue;
      return out;
    }
  }

 private:
  void SkipBlanks() {
    while (pos_ < in_.size() && IsBlank(in_[pos_])) ++pos_;
  }
  // Consumes one line end (\n, \r or \r\n) if there is one; how many characters it had.
  size_t ConsumeLineEnd() {
    const size_t start = pos_;
    if (pos_ >= in_.size()) return 0;
    if (in_[pos_] == '\r') {
      ++pos_;
      if (pos_ < in_.size() && in_[pos_] == '\n') ++pos_;
      ++line_;
    } else if (in_[pos_] == '\n') {
      ++pos_;
      ++line_;
    }
    return pos_ - start;
  }

  std::string_view in_;
  size_t pos_ = 0;
  int line_ = 1;
};

void AppendUtf8(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Reads the four hex digits of a \u escape starting at s[i]; nullopt if they are not there.
std::optional<uint32_t> ReadHex4(std::string_view s, size_t i) {
  if (i + 4 > s.size()) return std::nullopt;
  uint32_t v = 0;
  for (size_t k = 0; k < 4; ++k) {
    const int d = HexDigit(s[i + k]);
    if (d < 0) return std::nullopt;
    v = (v << 4) | static_cast<uint32_t>(d);
  }
  return v;
}

// Resolves the escapes of a key or a value. `what` names it in an error ("the key", "the value of
// 'x'"); the text itself is never quoted, as it may be a secret.
Result<std::string> Unescape(std::string_view s, int line, const std::string& what) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const char c = s[i++];
    if (c != '\\') {
      out.push_back(c);
      continue;
    }
    if (i >= s.size()) break;  // a lone trailing backslash stands for nothing
    const char e = s[i++];
    switch (e) {
      case 't': out.push_back('\t'); break;
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case 'f': out.push_back('\f'); break;
      case 'u': {
        const std::optional<uint32_t> unit = ReadHex4(s, i);
        if (!unit) {
          return Error(ErrorCode::kInvalidConfig,
                       "line " + std::to_string(line) + ": malformed \\uxxxx encoding in " + what);
        }
        i += 4;
        uint32_t cp = *unit;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          // A high surrogate: combine it with a following \u low surrogate into one code point.
          std::optional<uint32_t> low;
          if (i + 1 < s.size() && s[i] == '\\' && s[i + 1] == 'u') low = ReadHex4(s, i + 2);
          if (low && *low >= 0xDC00 && *low <= 0xDFFF) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (*low - 0xDC00);
            i += 6;
          } else {
            cp = 0xFFFD;
          }
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
          cp = 0xFFFD;  // a low surrogate on its own
        }
        AppendUtf8(cp, out);
        break;
      }
      default: out.push_back(e); break;
    }
  }
  return out;
}

// Splits a logical line into key and value, as Properties.load does.
Result<PropertyLine> SplitEntry(const LogicalLine& ll) {
  const std::string_view s = ll.text;
  size_t key_end = 0;
  size_t value_start = s.size();
  bool has_separator = false;
  bool escaped = false;
  for (; key_end < s.size(); ++key_end) {
    const char c = s[key_end];
    if (!escaped && (c == '=' || c == ':')) {
      value_start = key_end + 1;
      has_separator = true;
      break;
    }
    if (!escaped && IsBlank(c)) {
      value_start = key_end + 1;
      break;
    }
    escaped = c == '\\' ? !escaped : false;
  }
  // Blanks after the key, and at most one `=` or `:` among them if none was seen yet.
  while (value_start < s.size()) {
    const char c = s[value_start];
    if (!IsBlank(c)) {
      if (has_separator || (c != '=' && c != ':')) break;
      has_separator = true;
    }
    ++value_start;
  }
  PropertyLine entry;
  entry.line = ll.line;
  Result<std::string> key = Unescape(s.substr(0, key_end), ll.line, "the key");
  if (!key.ok()) return key.error();
  Result<std::string> value =
      Unescape(s.substr(value_start), ll.line, "the value of '" + *key + "'");
  if (!value.ok()) return value.error();
  entry.key = std::move(key).value();
  entry.value = std::move(value).value();
  return entry;
}

// A worker, connector or MM2 file is a few KiB; past this it is not one (or /dev/zero), and reading
// on would only grow memory.
constexpr size_t kMaxFileBytes = 16 << 20;

// The whole file as bytes, at most kMaxFileBytes.
Result<std::string> ReadFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    return Error(err == ENOENT ? ErrorCode::kNotFound : ErrorCode::kInvalidConfig,
                 "cannot open " + path + ": " + std::strerror(err));
  }
  std::string data;
  char buf[64 * 1024];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return Error(ErrorCode::kInvalidConfig, "cannot read " + path + ": " + std::strerror(err));
    }
    if (n == 0) break;
    data.append(buf, static_cast<size_t>(n));
    if (data.size() > kMaxFileBytes) {
      ::close(fd);
      return Error(ErrorCode::kInvalidConfig, path + " is larger than " + std::to_string(kMaxFileBytes >> 20) +
                                                  " MiB; a properties file is expected to be far smaller");
    }
  }
  ::close(fd);
  return data;
}

}  // namespace

Result<std::vector<PropertyLine>> ParsePropertiesWithLines(std::string_view text) {
  std::vector<PropertyLine> entries;
  LineReader reader(text);
  while (std::optional<LogicalLine> ll = reader.Next()) {
    Result<PropertyLine> entry = SplitEntry(*ll);
    if (!entry.ok()) return entry.error();
    entries.push_back(std::move(entry).value());
  }
  return entries;
}

Result<Properties> ParseProperties(std::string_view text) {
  Result<std::vector<PropertyLine>> entries = ParsePropertiesWithLines(text);
  if (!entries.ok()) return entries.error();
  Properties props;
  for (PropertyLine& e : *entries) props[e.key] = std::move(e.value);
  return props;
}

Result<std::vector<PropertyLine>> LoadPropertiesFileWithLines(const std::string& path) {
  Result<std::string> data = ReadFile(path);
  if (!data.ok()) return data.error();
  Result<std::vector<PropertyLine>> entries = ParsePropertiesWithLines(*data);
  if (!entries.ok()) {
    return Error(entries.error().code(), path + ": " + entries.error().message());
  }
  return entries;
}

Result<Properties> LoadPropertiesFile(const std::string& path) {
  Result<std::vector<PropertyLine>> entries = LoadPropertiesFileWithLines(path);
  if (!entries.ok()) return entries.error();
  Properties props;
  for (PropertyLine& e : *entries) props[e.key] = std::move(e.value);
  return props;
}

int LineOf(const std::vector<PropertyLine>& lines, const std::string& key) {
  for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
    if (it->key == key) return it->line;
  }
  return 0;
}

}  // namespace ferry::worker
