#include "worker/properties.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace ferry::worker {
namespace {

struct Case {
  const char* name;
  std::string text;
  std::vector<PropertyLine> want;
};

// How java.util.Properties.load (Java 9 and later) reads each text; every case was run through Java 17's
// Properties.load as well, with the same result (lone surrogates aside, see properties.h).
const std::vector<Case>& Cases() {
  static const std::vector<Case> cases = {
      {"equals", "a=b", {{"a", "b", 1}}},
      {"equals with blanks", "a = b", {{"a", "b", 1}}},
      {"colon", "a:b", {{"a", "b", 1}}},
      {"colon with blanks", "a  : b", {{"a", "b", 1}}},
      {"space separates", "a b", {{"a", "b", 1}}},
      {"tab separates", "a\tb", {{"a", "b", 1}}},
      {"form feed separates", "a\fb", {{"a", "b", 1}}},
      {"trailing blanks of the value are kept", "a   =   b  ", {{"a", "b  ", 1}}},
      {"key only", "a", {{"a", "", 1}}},
      {"key and separator only", "a=", {{"a", "", 1}}},
      {"empty key", "=b", {{"", "b", 1}}},
      {"second separator belongs to the value", "a = = b", {{"a", "= b", 1}}},
      {"blank then equals is one separator", "a b = c", {{"a", "b = c", 1}}},
      {"leading blanks dropped", "  \t\f a=1", {{"a", "1", 1}}},
      {"comments and blank lines", "  # comment\n! other\n\n   \na=1", {{"a", "1", 5}}},
      {"hash inside a value is not a comment", "a=1 # not a comment", {{"a", "1 # not a comment", 1}}},
      {"escaped hash starts a key", "\\#a=1", {{"#a", "1", 1}}},
      {"continuation drops leading blanks", "a=b\\\n   c", {{"a", "bc", 1}}},
      {"continuation of a key", "key\\\n  part=v", {{"keypart", "v", 1}}},
      {"empty continuation line ends the entry", "a=b\\\n\nc=d", {{"a", "b", 1}, {"c", "d", 3}}},
      {"blank continuation line ends the entry", "a=b\\\n   \nc=d", {{"a", "b", 1}, {"c", "d", 3}}},
      {"even backslashes do not continue", "a=b\\\\\nc=d", {{"a", "b\\", 1}, {"c", "d", 2}}},
      {"odd backslashes continue", "a=b\\\\\\\nc", {{"a", "b\\c", 1}}},
      {"continuation at end of text", "a=b\\", {{"a", "b", 1}}},
      {"continuation then end of text", "a=b\\\n", {{"a", "b", 1}}},
      {"comment lines never continue", "# comment \\\na=1", {{"a", "1", 2}}},
      {"continued line may start with a hash", "a=1\\\n#b", {{"a", "1#b", 1}}},
      {"continuation of a continuation", "a=1\\\n   \\\n  x", {{"a", "1x", 1}}},
      {"CRLF continuation", "a=b\\\r\n  c\r\nd=e", {{"a", "bc", 1}, {"d", "e", 3}}},
      {"all line ends", "a=1\r\nb=2\rc=3\nd=4", {{"a", "1", 1}, {"b", "2", 2}, {"c", "3", 3}, {"d", "4", 4}}},
      {"escaped equals in key", "a\\=b=c", {{"a=b", "c", 1}}},
      {"escaped colon in key", "a\\:b:c", {{"a:b", "c", 1}}},
      {"escaped space in key", "a\\ b c", {{"a b", "c", 1}}},
      {"escaped blank starts the value", "a=  \\  b", {{"a", "  b", 1}}},
      {"control escapes", "k=\\t\\n\\r\\f", {{"k", "\t\n\r\f", 1}}},
      {"other escapes stand for the character", "k=\\z\\\\\\=", {{"k", "z\\=", 1}}},
      {"unicode escapes become UTF-8", "k=\\u0041\\u00e9\\u20AC", {{"k", "A\xC3\xA9\xE2\x82\xAC", 1}}},
      {"surrogate pair", "k=\\uD83D\\uDE00", {{"k", "\xF0\x9F\x98\x80", 1}}},
      {"lone surrogate", "k=\\uD83Dx", {{"k", "\xEF\xBF\xBDx", 1}}},
      {"unicode escape in key", "\\u0041b=1", {{"Ab", "1", 1}}},
      {"UTF-8 bytes pass through", "k=\xC3\xA9t\xC3\xA9", {{"k", "\xC3\xA9t\xC3\xA9", 1}}},
      {"a lone backslash line: the next line starts afresh", "\\\nx=1", {{"x", "1", 2}}},
      {"a lone backslash line: the next line may be a comment", "  \\\n#x=1\ny=2", {{"y", "2", 3}}},
      {"a lone backslash at the end is an empty entry", "a=1\n\\", {{"a", "1", 1}, {"", "", 2}}},
      {"a lone backslash line at the end is an empty entry", "\\\n", {{"", "", 1}}},
      {"but not with CRLF (as Java's reader does)", "\\\r\n", {}},
      {"repeated key kept in order", "a=1\na=2", {{"a", "1", 1}, {"a", "2", 2}}},
      {"empty text", "", {}},
      {"only blank lines and comments", "\n\n   \n#x\n", {}},
      {"windows file", "# c\r\nbootstrap.servers=localhost:9092\r\n\r\ngroup.id=g\r\n",
       {{"bootstrap.servers", "localhost:9092", 2}, {"group.id", "g", 4}}},
  };
  return cases;
}

TEST(PropertiesTest, ParsesLikeJava) {
  for (const Case& c : Cases()) {
    SCOPED_TRACE(c.name);
    Result<std::vector<PropertyLine>> got = ParsePropertiesWithLines(c.text);
    ASSERT_TRUE(got.ok()) << got.error().ToString();
    EXPECT_EQ(*got, c.want);
  }
}

TEST(PropertiesTest, MapKeepsTheLastValue) {
  Result<Properties> props = ParseProperties("a=1\nb=2\na=3\n");
  ASSERT_TRUE(props.ok());
  EXPECT_EQ(*props, (Properties{{"a", "3"}, {"b", "2"}}));
}

TEST(PropertiesTest, LineOfFindsTheEntryThatCounts) {
  Result<std::vector<PropertyLine>> lines = ParsePropertiesWithLines("a=1\n\nb=2\na=3\n");
  ASSERT_TRUE(lines.ok());
  EXPECT_EQ(LineOf(*lines, "a"), 4);
  EXPECT_EQ(LineOf(*lines, "b"), 3);
  EXPECT_EQ(LineOf(*lines, "c"), 0);
}

TEST(PropertiesTest, MalformedUnicodeEscapeNamesTheLine) {
  struct Bad {
    std::string text;
    std::string message;
  };
  const std::vector<Bad> bad = {
      {"a=\\u12", "line 1: malformed \\uxxxx encoding in the value of 'a'"},
      {"x=1\n\n\\u00zz=2", "line 3: malformed \\uxxxx encoding in the key"},
      {"x=1\nsecret=abc\\\n  \\uGHIJ", "line 2: malformed \\uxxxx encoding in the value of 'secret'"},
  };
  for (const Bad& b : bad) {
    SCOPED_TRACE(b.text);
    Result<Properties> got = ParseProperties(b.text);
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.error().code(), ErrorCode::kInvalidConfig);
    EXPECT_EQ(got.error().message(), b.message);
  }
}

TEST(PropertiesTest, ErrorDoesNotQuoteTheValue) {
  Result<Properties> got = ParseProperties("ssl.key.password=hunter2\\u00");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().message().find("hunter2"), std::string::npos) << got.error().message();
}

class PropertiesFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ferry-properties-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    for (const std::string& f : files_) std::remove(f.c_str());
    rmdir(dir_.c_str());
  }
  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << text;
    files_.push_back(path);
    return path;
  }

  std::string dir_;
  std::vector<std::string> files_;
};

TEST_F(PropertiesFileTest, LoadsAFile) {
  const std::string path = Write("worker.properties", "# Kafka\nbootstrap.servers=localhost:9092\ngroup.id = g\n");
  Result<Properties> props = LoadPropertiesFile(path);
  ASSERT_TRUE(props.ok()) << props.error().ToString();
  EXPECT_EQ(*props, (Properties{{"bootstrap.servers", "localhost:9092"}, {"group.id", "g"}}));
  Result<std::vector<PropertyLine>> lines = LoadPropertiesFileWithLines(path);
  ASSERT_TRUE(lines.ok());
  EXPECT_EQ(LineOf(*lines, "group.id"), 3);
}

TEST_F(PropertiesFileTest, MissingFileIsNotFoundAndNamesIt) {
  const std::string path = dir_ + "/absent.properties";
  Result<Properties> props = LoadPropertiesFile(path);
  ASSERT_FALSE(props.ok());
  EXPECT_EQ(props.error().code(), ErrorCode::kNotFound);
  EXPECT_NE(props.error().message().find(path), std::string::npos) << props.error().message();
}

TEST_F(PropertiesFileTest, DirectoryIsAnErrorNamingIt) {
  Result<Properties> props = LoadPropertiesFile(dir_);
  ASSERT_FALSE(props.ok());
  EXPECT_EQ(props.error().code(), ErrorCode::kInvalidConfig);
  EXPECT_NE(props.error().message().find(dir_), std::string::npos) << props.error().message();
}

TEST_F(PropertiesFileTest, UnreadableFileIsAnError) {
  // A path through a file (ENOTDIR) cannot be opened, whoever runs the test.
  const std::string through = Write("plain.properties", "a=1\n") + "/child";
  Result<Properties> props = LoadPropertiesFile(through);
  ASSERT_FALSE(props.ok());
  EXPECT_EQ(props.error().code(), ErrorCode::kInvalidConfig);
  EXPECT_NE(props.error().message().find(through), std::string::npos) << props.error().message();
  if (geteuid() == 0) return;  // root reads a file without permissions
  const std::string locked = Write("locked.properties", "a=1\n");
  ASSERT_EQ(chmod(locked.c_str(), 0), 0);
  props = LoadPropertiesFile(locked);
  ASSERT_FALSE(props.ok());
  EXPECT_EQ(props.error().code(), ErrorCode::kInvalidConfig);
  EXPECT_NE(props.error().message().find(locked), std::string::npos);
}

TEST_F(PropertiesFileTest, BadContentNamesFileAndLine) {
  const std::string path = Write("bad.properties", "a=1\nb=\\u4\n");
  Result<Properties> props = LoadPropertiesFile(path);
  ASSERT_FALSE(props.ok());
  EXPECT_EQ(props.error().message(), path + ": line 2: malformed \\uxxxx encoding in the value of 'b'");
}

TEST_F(PropertiesFileTest, EmptyFileHasNoEntries) {
  Result<Properties> props = LoadPropertiesFile(Write("empty.properties", ""));
  ASSERT_TRUE(props.ok());
  EXPECT_TRUE(props->empty());
}

}  // namespace
}  // namespace ferry::worker
