#include "worker/file_log.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace ferry::worker {
namespace {

using std::chrono::seconds;

class FileLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string dir_template = ::testing::TempDir() + "/ferry-file-log-XXXXXX";
    ASSERT_NE(mkdtemp(dir_template.data()), nullptr);
    dir_ = dir_template;
    path_ = dir_ + "/offsets.log";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Starts a log on path_ and returns what it replayed.
  std::vector<kafka::LogRecord> Replay(Result<>* started = nullptr) {
    FileLog log(path_);
    std::vector<kafka::LogRecord> records;
    auto result = log.Start([&](const kafka::LogRecord& r) { records.push_back(r); }, seconds(1));
    if (started != nullptr) *started = result;
    EXPECT_TRUE(started != nullptr || result.ok()) << result.error().ToString();
    return records;
  }

  std::string ReadFile() const {
    std::ifstream in(path_, std::ios::binary);
    std::stringstream data;
    data << in.rdbuf();
    return data.str();
  }
  void WriteFile(const std::string& data) const {
    std::ofstream out(path_, std::ios::binary | std::ios::trunc);
    out << data;
  }
  int64_t FileSize() const { return static_cast<int64_t>(std::filesystem::file_size(path_)); }

  std::string dir_;
  std::string path_;
};

TEST_F(FileLogTest, WritesAreDeliveredAtOnceAndReplayedAfterARestart) {
  const std::vector<std::pair<std::optional<std::string>, std::optional<std::string>>> written = {
      {"k1", "v1"},
      {std::nullopt, "no key"},
      {"k2", std::nullopt},  // a tombstone
      {"k3", std::string()},
      {std::string("b\0n", 3), std::string(70000, 'x')},
  };
  {
    FileLog log(path_);
    std::vector<kafka::LogRecord> seen;
    ASSERT_TRUE(log.Start([&](const kafka::LogRecord& r) { seen.push_back(r); }, seconds(1)).ok());
    EXPECT_TRUE(seen.empty());
    for (const auto& [key, value] : written) {
      ASSERT_TRUE(log.Send(key, value).ok());
      ASSERT_EQ(seen.back().key, key);  // delivered by Send itself
    }
    EXPECT_TRUE(log.Flush(seconds(1)).ok());
    EXPECT_TRUE(log.ReadToEnd(seconds(1)).ok());
    ASSERT_EQ(seen.size(), written.size());
  }
  auto replayed = Replay();
  ASSERT_EQ(replayed.size(), written.size());
  for (size_t i = 0; i < written.size(); ++i) {
    EXPECT_EQ(replayed[i].key, written[i].first);
    EXPECT_EQ(replayed[i].value, written[i].second);
    EXPECT_EQ(replayed[i].offset, static_cast<int64_t>(i));
  }
}

TEST_F(FileLogTest, ARecordCutShortByACrashIsIgnoredAndCutOff) {
  {
    FileLog log(path_);
    ASSERT_TRUE(log.Start([](const kafka::LogRecord&) {}, seconds(1)).ok());
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(log.Send("k" + std::to_string(i), "value-" + std::to_string(i)).ok());
  }
  const std::string whole = ReadFile();
  ASSERT_EQ(truncate(path_.c_str(), static_cast<off_t>(whole.size() - 3)), 0);  // a torn last write

  auto replayed = Replay();
  ASSERT_EQ(replayed.size(), 2u);
  EXPECT_EQ(replayed[1].value, "value-1");

  // The torn bytes were cut off, so a new append is readable after them.
  {
    FileLog log(path_);
    ASSERT_TRUE(log.Start([](const kafka::LogRecord&) {}, seconds(1)).ok());
    ASSERT_TRUE(log.Send("k9", "after the crash").ok());
  }
  replayed = Replay();
  ASSERT_EQ(replayed.size(), 3u);
  EXPECT_EQ(replayed[2].key, "k9");
  EXPECT_EQ(replayed[2].value, "after the crash");
}

TEST_F(FileLogTest, ATornLengthOrChecksumAtTheEndIsIgnored) {
  {
    FileLog log(path_);
    ASSERT_TRUE(log.Start([](const kafka::LogRecord&) {}, seconds(1)).ok());
    ASSERT_TRUE(log.Send("k", "v").ok());
  }
  const std::string good = ReadFile();
  WriteFile(good + std::string("\x05\x00\x00", 3));  // half a length field
  EXPECT_EQ(Replay().size(), 1u);
  EXPECT_EQ(ReadFile(), good);

  // A complete-looking last record whose bytes never made it (zeros) fails its checksum.
  WriteFile(good + std::string("\x0a\x00\x00\x00\x00\x00\x00\x00", 8) + std::string(10, '\0'));
  EXPECT_EQ(Replay().size(), 1u);
  EXPECT_EQ(ReadFile(), good);
}

TEST_F(FileLogTest, DamageFollowedByMoreRecordsIsAnError) {
  {
    FileLog log(path_);
    ASSERT_TRUE(log.Start([](const kafka::LogRecord&) {}, seconds(1)).ok());
    ASSERT_TRUE(log.Send("first", "1111").ok());
    ASSERT_TRUE(log.Send("second", "2222").ok());
  }
  std::string data = ReadFile();
  const size_t at = data.find("1111");
  ASSERT_NE(at, std::string::npos);
  data[at] = '9';
  WriteFile(data);
  Result<> started;
  auto replayed = Replay(&started);
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.error().code(), ErrorCode::kCorrupt);
  EXPECT_NE(started.error().message().find("checksum"), std::string::npos) << started.error().message();
  EXPECT_TRUE(replayed.empty()) << "nothing is delivered from a damaged file";
}

TEST_F(FileLogTest, AFileThatIsNotAFerryLogIsRefused) {
  const char java[] = "\xac\xed\x00\x05sr\x00\x11java.util.HashMap";  // Java serialization
  WriteFile(std::string(java, sizeof(java) - 1));
  Result<> started;
  Replay(&started);
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.error().code(), ErrorCode::kCorrupt);
  EXPECT_NE(started.error().message().find("Kafka Connect standalone offsets file"), std::string::npos)
      << started.error().message();
}

TEST_F(FileLogTest, ATornHeaderIsRewritten) {
  WriteFile("FERR");
  EXPECT_TRUE(Replay().empty());
  EXPECT_EQ(ReadFile(), "FERRYLG1");
}

TEST_F(FileLogTest, OnlyOneProcessMayUseTheFile) {
  FileLog first(path_);
  ASSERT_TRUE(first.Start([](const kafka::LogRecord&) {}, seconds(1)).ok());
  FileLog second(path_);
  auto started = second.Start([](const kafka::LogRecord&) {}, seconds(1));
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.error().code(), ErrorCode::kConflict);
  first.Stop();
  FileLog third(path_);
  EXPECT_TRUE(third.Start([](const kafka::LogRecord&) {}, seconds(1)).ok());
}

TEST_F(FileLogTest, StartCompactsAFileOfMostlySupersededRecords) {
  {
    FileLog log(path_);
    ASSERT_TRUE(log.Start([](const kafka::LogRecord&) {}, seconds(1)).ok());
    for (int i = 0; i < 2000; ++i) ASSERT_TRUE(log.Send("k" + std::to_string(i % 10), "v" + std::to_string(i)).ok());
    ASSERT_TRUE(log.Send("k3", std::nullopt).ok());  // deleted: gone after compaction
    ASSERT_TRUE(log.Send(std::nullopt, "keyless").ok());
  }
  const int64_t before = FileSize();
  auto replayed = Replay();
  ASSERT_EQ(replayed.size(), 10u);  // k0..k9 but k3, plus the keyless record
  std::map<std::string, std::string> latest;
  for (const kafka::LogRecord& r : replayed) {
    if (r.key) latest[*r.key] = *r.value;
  }
  EXPECT_EQ(latest.size(), 9u);
  EXPECT_EQ(latest.count("k3"), 0u);
  EXPECT_EQ(latest["k7"], "v1997");
  EXPECT_LT(FileSize(), before / 10);
  EXPECT_FALSE(std::filesystem::exists(path_ + ".compacting"));
  // The compacted file replays the same, and stays appendable.
  {
    FileLog log(path_);
    std::vector<kafka::LogRecord> again;
    ASSERT_TRUE(log.Start([&](const kafka::LogRecord& r) { again.push_back(r); }, seconds(1)).ok());
    EXPECT_EQ(again.size(), 10u);
    ASSERT_TRUE(log.Send("k3", "back").ok());
  }
  EXPECT_EQ(Replay().size(), 11u);
}

TEST_F(FileLogTest, NothingWorksAfterStop) {
  FileLog log(path_);
  ASSERT_TRUE(log.Start([](const kafka::LogRecord&) {}, seconds(1)).ok());
  log.Stop();
  log.Stop();
  EXPECT_FALSE(log.Send("k", "v").ok());
  EXPECT_FALSE(log.Flush(seconds(1)).ok());
  EXPECT_FALSE(log.ReadToEnd(seconds(1)).ok());
}

TEST_F(FileLogTest, AFileInAMissingDirectoryIsAnError) {
  FileLog log(dir_ + "/missing/offsets.log");
  auto started = log.Start([](const kafka::LogRecord&) {}, seconds(1));
  ASSERT_FALSE(started.ok());
  EXPECT_NE(started.error().message().find("missing/offsets.log"), std::string::npos);
}

}  // namespace
}  // namespace ferry::worker
