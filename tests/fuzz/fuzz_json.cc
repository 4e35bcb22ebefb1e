// Fuzz target: JSON text as REST bodies and internal records bring it (worker/common/json.h): the
// nesting pre-scan, Parse with the flags Ferry uses, writing back, and the UTF-8 helpers. Checks that
// what parses writes out as JSON that parses to the same text again, and that ValidUtf8 always gives
// valid UTF-8.
#include <cstddef>
#include <cstdint>
#include <string>

#include <glog/logging.h>

#include "tests/fuzz/fuzz_input.h"
#include "worker/common/json.h"

namespace {

template <unsigned kFlags>
void ParseAndRewrite(std::string_view text) {
  auto doc = ferry::json::Parse<kFlags>(text, "fuzz input");
  if (!doc.ok()) return;
  const std::string written = ferry::json::Write(*doc);
  auto again = ferry::json::Parse(written, "rewritten fuzz input");
  CHECK(again.ok()) << "Ferry's own JSON does not parse: " << again.error().ToString();
  CHECK_EQ(ferry::json::Write(*again), written);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = ferry::fuzz::AsText(data, size);
  (void)ferry::json::FindExcessNesting(text);
  ParseAndRewrite<rapidjson::kParseDefaultFlags>(text);
  ParseAndRewrite<rapidjson::kParseFullPrecisionFlag | rapidjson::kParseStopWhenDoneFlag>(text);
  const std::string valid = ferry::json::ValidUtf8(text);
  CHECK(ferry::json::IsValidUtf8(valid));
  CHECK_EQ(ferry::json::IsValidUtf8(text), valid == text);
  const std::string quoted = ferry::json::Quote(valid);
  auto parsed = ferry::json::Parse(quoted, "quoted fuzz input");
  CHECK(parsed.ok() && parsed->IsString()) << quoted;
  CHECK_EQ(std::string(parsed->GetString(), parsed->GetStringLength()), valid);
  return 0;
}
