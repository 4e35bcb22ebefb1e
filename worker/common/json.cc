#include "worker/common/json.h"

#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace ferry::json {

std::string Write(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string Quote(std::string_view text) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
  return std::string(buffer.GetString(), buffer.GetSize());
}

namespace {

// The length of the well-formed UTF-8 sequence at the start of `s`, or 0 if there is none.
size_t Utf8SequenceLength(std::string_view s) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char lead = byte(0);
  if (lead < 0x80) return 1;
  size_t length = 0;
  unsigned char low = 0x80;  // the range of the second byte (RFC 3629's table)
  unsigned char high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;   // no overlong forms
    if (lead == 0xED) high = 0x9F;  // no surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;  // nothing past U+10FFFF
  } else {
    return 0;
  }
  if (s.size() < length || byte(1) < low || byte(1) > high) return 0;
  for (size_t i = 2; i < length; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xBF) return 0;
  }
  return length;
}

}  // namespace

std::string ValidUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    const size_t length = Utf8SequenceLength(text);
    if (length == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
      text.remove_prefix(1);
    } else {
      out.append(text.substr(0, length));
      text.remove_prefix(length);
    }
  }
  return out;
}

bool IsValidUtf8(std::string_view text) {
  while (!text.empty()) {
    const size_t length = Utf8SequenceLength(text);
    if (length == 0) return false;
    text.remove_prefix(length);
  }
  return true;
}

std::optional<size_t> FindExcessNesting(std::string_view text, size_t max_depth) {
  size_t depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;  // the escaped character cannot end the string
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        break;
      case '[':
      case '{':
        if (++depth > max_depth) return i;
        break;
      case ']':
      case '}':
        if (depth > 0) --depth;  // unbalanced: the parser will say so
        break;
      default:
        break;
    }
  }
  return std::nullopt;
}

namespace {

// Where the number at text[i] (a '-' or digit outside strings) ends, and whether RapidJSON cannot
// read it right: beyond what a double holds (more than 309 decimal digits before the point, or 309
// with leading digits above DBL_MAX's), or a zero with an exponent. Malformed numbers are left to the
// parser.
bool NumberOutOfRange(std::string_view text, size_t& i) {
  static constexpr std::string_view kMaxDigits = "17976931348623157";  // DBL_MAX = 1.7976931348623157e308
  if (text[i] == '-') ++i;
  int64_t int_digits = 0;      // significant digits before the point
  int64_t leading_zeros = 0;   // zeros after the point before the first significant digit (if none before)
  std::string significant;     // the first 17 significant digits
  bool seen_significant = false;
  bool after_point = false;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '.' && !after_point) {
      after_point = true;
      continue;
    }
    if (c < '0' || c > '9') break;
    if (c != '0') seen_significant = true;
    if (!seen_significant) {
      if (after_point) ++leading_zeros;
      continue;
    }
    if (!after_point) ++int_digits;
    if (significant.size() < kMaxDigits.size()) significant.push_back(c);
  }
  int64_t exponent = 0;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    bool negative = false;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) negative = text[i++] == '-';
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
      if (exponent < 1'000'000) exponent = exponent * 10 + (text[i] - '0');
    }
    if (negative) exponent = -exponent;
  }
  --i;  // the loop that called us steps over the last character
  // A zero with an exponent: RapidJSON's full-precision path reads "0e308" as -2.5e-29 and "0.0e-30"
  // as 8.9e248 (with undefined behaviour on the way: clz(0), negative shifts).
  if (!seen_significant) return exponent != 0;
  // The number is 0.<significant...> x 10^magnitude.
  const int64_t magnitude = (int_digits > 0 ? int_digits : -leading_zeros) + exponent;
  if (magnitude != 309) return magnitude > 309;
  significant.resize(kMaxDigits.size(), '0');
  return significant > kMaxDigits;
}

}  // namespace

std::optional<size_t> FindNumberOutOfRange(std::string_view text) {
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      const size_t start = i;
      if (NumberOutOfRange(text, i)) return start;
    }
  }
  return std::nullopt;
}

std::string OutOfRangeMessage(size_t offset) {
  return "a number beyond the range of a double (or a zero with an exponent) at offset " + std::to_string(offset);
}

std::string TooDeepMessage(size_t offset) {
  return "arrays and objects nest deeper than " + std::to_string(kMaxDepth) + " levels at offset " +
         std::to_string(offset);
}

Error ParseError(const rapidjson::Document& doc, const std::string& what) {
  return Error::Corrupt(what + " is not valid JSON: " + rapidjson::GetParseError_En(doc.GetParseError()) +
                        " at offset " + std::to_string(doc.GetErrorOffset()));
}

void StringMember(Writer& w, const char* key, std::string_view value) {
  w.Key(key);
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

void StringsMember(Writer& w, const char* key, const std::vector<std::string>& values) {
  w.Key(key);
  w.StartArray();
  for (const std::string& v : values) w.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size()));
  w.EndArray();
}

}  // namespace ferry::json
