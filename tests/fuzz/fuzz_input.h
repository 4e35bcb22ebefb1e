// Helpers shared by the fuzz targets (tests/fuzz/README in docs/testing.md): splitting one fuzz input
// into the several byte strings a target needs, with separators a seed file can be written with.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::fuzz {

inline std::string_view AsText(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// `text` cut at every `separator` (an empty text gives one empty piece).
inline std::vector<std::string_view> SplitOn(std::string_view text, std::string_view separator) {
  std::vector<std::string_view> pieces;
  for (;;) {
    const size_t at = text.find(separator);
    if (at == std::string_view::npos) {
      pieces.push_back(text);
      return pieces;
    }
    pieces.push_back(text.substr(0, at));
    text.remove_prefix(at + separator.size());
  }
}

}  // namespace ferry::fuzz
