// The status page's files (rest/ui/), compiled into the binary: CMake turns each into bytes in a
// generated source (rest/ui/embed.cmake), so `ferry` serves them without reading files at run time.
#pragma once

#include <string_view>
#include <vector>

namespace ferry::rest {

struct UiAsset {
  std::string_view name;   // the file's name in rest/ui/, e.g. "index.html"
  std::string_view bytes;
};

const std::vector<UiAsset>& UiAssets();

}  // namespace ferry::rest
