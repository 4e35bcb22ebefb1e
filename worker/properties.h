// Reading Java `.properties` text the way java.util.Properties.load does (the reader of Java 9 and
// later, which Kafka runs on; compared with Java 17 on 20,000 random texts), so that a Kafka Connect
// or MirrorMaker 2 worker file works unchanged:
//  - a line whose first non-blank character is `#` or `!` is a comment (it never continues);
//  - blank lines are skipped; leading blanks (space, tab, form feed) of every line are dropped;
//  - a line ending in an odd number of backslashes continues on the next line, whose leading
//    blanks are dropped (an empty continuation line ends the entry);
//  - the key ends at the first unescaped `=`, `:` or blank; blanks around the separator, and one
//    `=` or `:` after blanks, are skipped; everything else is the value (trailing blanks kept);
//  - escapes: \t \n \r \f, \uXXXX (written out as UTF-8, surrogate pairs combined), and a backslash
//    before any other character stands for that character (`\=`, `\:`, `\ `, `\#`, `\\`);
//  - a line holding only a backslash joins nothing: the next line starts afresh (Java 9+);
//  - line ends are \n, \r or \r\n; a repeated key: the last one wins.
// Differences from Java, on purpose: bytes are kept as they are (Java's InputStream loader reads
// ISO-8859-1, which would garble UTF-8), and a lone UTF-16 surrogate from \u becomes U+FFFD.
// The only error is a malformed \u escape (fewer than four hex digits), which names its line.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "worker/common/result.h"
#include "worker/common/types.h"

namespace ferry::worker {

// One entry of a properties file, with the 1-based line on which it starts.
struct PropertyLine {
  std::string key;
  std::string value;
  int line = 0;

  bool operator==(const PropertyLine&) const = default;
};

// Every entry in file order; a key set twice appears twice (the later one is what counts).
Result<std::vector<PropertyLine>> ParsePropertiesWithLines(std::string_view text);

// The entries as a map; a key set twice keeps its last value.
Result<Properties> ParseProperties(std::string_view text);

// The same for a file. Errors name the file: "<path>: line 3: ..." for bad content, kNotFound when it
// does not exist, kInvalidConfig when it cannot be read (permissions, a directory) or is over 16 MiB.
Result<std::vector<PropertyLine>> LoadPropertiesFileWithLines(const std::string& path);
Result<Properties> LoadPropertiesFile(const std::string& path);

// The line of the last entry for `key` (the one that counts), or 0 if it is not there.
int LineOf(const std::vector<PropertyLine>& lines, const std::string& key);

}  // namespace ferry::worker
