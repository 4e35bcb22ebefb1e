#include "connectors/filters.h"

#include <algorithm>

namespace ferry::connectors {
namespace {

Result<std::vector<std::regex>> Compile(const std::vector<std::string>& patterns, const std::string& key) {
  std::vector<std::regex> compiled;
  for (const std::string& p : patterns) {
    try {
      compiled.emplace_back(p, std::regex::ECMAScript | std::regex::optimize);
    } catch (const std::regex_error& e) {  // user input: becomes a value, never escapes
      return Error::InvalidConfig(key, "'" + p + "' is not a valid regular expression: " + e.what());
    }
  }
  return compiled;
}

}  // namespace

Result<RegexFilter> RegexFilter::Make(const std::vector<std::string>& include, const std::string& include_key,
                                      const std::vector<std::string>& exclude, const std::string& exclude_key) {
  auto inc = Compile(include, include_key);
  if (!inc.ok()) return inc.error();
  auto exc = Compile(exclude, exclude_key);
  if (!exc.ok()) return exc.error();
  RegexFilter filter;
  filter.include_ = std::move(*inc);
  filter.exclude_ = std::move(*exc);
  return filter;
}

bool RegexFilter::Matches(const std::string& name) const {
  auto full = [&](const std::regex& r) { return std::regex_match(name, r); };
  return std::any_of(include_.begin(), include_.end(), full) &&
         std::none_of(exclude_.begin(), exclude_.end(), full);
}

}  // namespace ferry::connectors
