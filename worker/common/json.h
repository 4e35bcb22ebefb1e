// Small JSON helpers over RapidJSON: compact text as Kafka Connect (Jackson) writes it, and parsing
// that reports errors as values.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "worker/common/result.h"

namespace ferry::json {

// How deeply arrays and objects may nest in JSON Ferry reads from outside (REST bodies, internal
// topics). RapidJSON's parser, its Document's destructor and its writers recurse once per level, so
// an unbounded depth is a stack overflow; nothing Connect or MM2 writes comes near this.
inline constexpr size_t kMaxDepth = 64;

// Compact JSON text of `value` (no spaces), members in their stored order.
std::string Write(const rapidjson::Value& value);
// A JSON string literal, with quotes and escapes.
std::string Quote(std::string_view text);

// `text` with every byte that is not part of a well-formed UTF-8 sequence replaced by U+FFFD, so
// that text from outside (a path segment) can be quoted in JSON, which must be UTF-8.
std::string ValidUtf8(std::string_view text);
// Whether `text` is well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF).
bool IsValidUtf8(std::string_view text);

// The offset at which `text` opens its (max_depth + 1)-th nested array or object, if it does; a
// linear scan without recursion, to run before the parser. Brackets inside strings do not count.
std::optional<size_t> FindExcessNesting(std::string_view text, size_t max_depth = kMaxDepth);

// The offset of the first number in `text` (outside strings) that RapidJSON (Debian's 1.1) cannot
// read right, if there is one; a linear scan to run before the parser. Numbers no double holds
// (beyond +-DBL_MAX) it reads as infinity, which its writer cannot write (Ferry's JSON came out cut
// short), or, with kParseFullPrecisionFlag, as a wrong finite value ("21474836471e308" as -6.6e-299);
// a zero with an exponent it reads with full precision as garbage ("0.0e-30" as 8.9e248). Found by
// tests/fuzz/fuzz_json.
std::optional<size_t> FindNumberOutOfRange(std::string_view text);
std::string OutOfRangeMessage(size_t offset);

// Members of an object being written with a RapidJSON writer: `"key":"value"` and `"key":[...]`.
using Writer = rapidjson::Writer<rapidjson::StringBuffer>;
void StringMember(Writer& w, const char* key, std::string_view value);
void StringsMember(Writer& w, const char* key, const std::vector<std::string>& values);

// Error text for JSON nested deeper than kMaxDepth at `offset`.
std::string TooDeepMessage(size_t offset);

// Parses `text` with RapidJSON's `kFlags`, refusing nesting deeper than kMaxDepth; `what` names it in
// the error ("offset of mirror-a", "status record at connect-status partition 0 offset 7"). Numbers
// are read at full precision by default: RapidJSON's fast path can be one ULP off, so a number read and
// written again changed (found by tests/fuzz/fuzz_json: 1.2345678901234297e29 came back ...95e29).
template <unsigned kFlags = rapidjson::kParseFullPrecisionFlag>
Result<rapidjson::Document> Parse(std::string_view text, const std::string& what);

// The error of a failed parse of `what` (for Parse's callers and instantiations).
Error ParseError(const rapidjson::Document& doc, const std::string& what);

template <unsigned kFlags>
Result<rapidjson::Document> Parse(std::string_view text, const std::string& what) {
  if (std::optional<size_t> offset = FindExcessNesting(text)) {
    return Error::Corrupt(what + " is not valid JSON: " + TooDeepMessage(*offset));
  }
  if (std::optional<size_t> offset = FindNumberOutOfRange(text)) {
    return Error::Corrupt(what + " is not valid JSON: " + OutOfRangeMessage(*offset));
  }
  rapidjson::Document doc;
  doc.Parse<kFlags>(text.data(), text.size());
  if (doc.HasParseError()) return ParseError(doc, what);
  return doc;
}

}  // namespace ferry::json
