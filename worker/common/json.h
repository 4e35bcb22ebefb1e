// Small JSON helpers over RapidJSON: compact text as Kafka Connect (Jackson) writes it, and parsing
// that reports errors as values.
#pragma once

#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "worker/common/result.h"

namespace ferry::json {

// Compact JSON text of `value` (no spaces), members in their stored order.
std::string Write(const rapidjson::Value& value);
// A JSON string literal, with quotes and escapes.
std::string Quote(std::string_view text);
// Parses `text`; `what` names it in the error ("offset of mirror-a", "REST body").
Result<rapidjson::Document> Parse(std::string_view text, const std::string& what);

}  // namespace ferry::json
