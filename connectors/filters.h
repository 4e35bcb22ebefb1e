// MM2's default topic and group filters: a name is selected when one of the include patterns matches
// it whole and none of the exclude patterns does (DefaultTopicFilter, DefaultGroupFilter).
// Thread-safety: immutable; safe from any thread.
#pragma once

#include <regex>
#include <string>
#include <vector>

#include "worker/common/result.h"

namespace ferry::connectors {

class RegexFilter {
 public:
  // Patterns use Java's syntax where it agrees with ECMAScript (all MM2 defaults do). An invalid
  // pattern is an InvalidConfig error naming `include_key` or `exclude_key`.
  static Result<RegexFilter> Make(const std::vector<std::string>& include, const std::string& include_key,
                                  const std::vector<std::string>& exclude, const std::string& exclude_key);

  bool Matches(const std::string& name) const;

 private:
  std::vector<std::regex> include_;
  std::vector<std::regex> exclude_;
};

}  // namespace ferry::connectors
