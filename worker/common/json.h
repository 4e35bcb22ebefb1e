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

// Members of an object being written with a RapidJSON writer: `"key":"value"` and `"key":[...]`.
using Writer = rapidjson::Writer<rapidjson::StringBuffer>;
void StringMember(Writer& w, const char* key, std::string_view value);
void StringsMember(Writer& w, const char* key, const std::vector<std::string>& values);

// Error text for JSON nested deeper than kMaxDepth at `offset`.
std::string TooDeepMessage(size_t offset);

// Parses `text` with RapidJSON's `kFlags`, refusing nesting deeper than kMaxDepth; `what` names it in
// the error ("offset of mirror-a", "status record at connect-status partition 0 offset 7").
template <unsigned kFlags = rapidjson::kParseDefaultFlags>
Result<rapidjson::Document> Parse(std::string_view text, const std::string& what);

// The error of a failed parse of `what` (for Parse's callers and instantiations).
Error ParseError(const rapidjson::Document& doc, const std::string& what);

template <unsigned kFlags>
Result<rapidjson::Document> Parse(std::string_view text, const std::string& what) {
  if (std::optional<size_t> offset = FindExcessNesting(text)) {
    return Error::Corrupt(what + " is not valid JSON: " + TooDeepMessage(*offset));
  }
  rapidjson::Document doc;
  doc.Parse<kFlags>(text.data(), text.size());
  if (doc.HasParseError()) return ParseError(doc, what);
  return doc;
}

}  // namespace ferry::json
