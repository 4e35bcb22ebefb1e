// Percent-encoding of a URL path segment (RFC 3986): what a worker puts in the paths it requests
// (a connector name, an MM2 cluster alias), so that '/' or a space stays inside its segment.
// Thread-safety: a pure function.
#pragma once

#include <string>
#include <string_view>

namespace ferry {

// Every byte but the unreserved characters (letters, digits, '-', '.', '_', '~') as %XX.
std::string EncodePathSegment(std::string_view segment);

}  // namespace ferry
