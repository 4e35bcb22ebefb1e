// The `ferry` command as an operator meets it (issue 13): its version, a stop asked for while it is
// still starting, and the start-up error when its Kafka cluster cannot be reached.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include "connectors/registry.h"
#include "tests/support/worker_harness.h"

namespace ferry::worker {
namespace {

using Clock = std::chrono::steady_clock;

// A worker file whose cluster refuses every connection (nothing listens on port 1).
std::string UnreachableWorkerFile(const std::string& name) {
  const std::string path = ::testing::TempDir() + name;
  return ferry::testing::WritePropertiesFile(path, {{"bootstrap.servers", "127.0.0.1:1"},
                                                    {"group.id", "unreachable"},
                                                    {"config.storage.topic", "unreachable-configs"},
                                                    {"offset.storage.topic", "unreachable-offsets"},
                                                    {"status.storage.topic", "unreachable-status"},
                                                    {"listeners", "http://127.0.0.1:0"}});
}

TEST(CommandLineTest, VersionNamesFerrysAndLibrdkafkasVersions) {
  const ferry::testing::CommandResult result = ferry::testing::RunFerry({"--version"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_NE(result.out.find(std::string("ferry version ") + connectors::kFerryVersion), std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find(std::string("librdkafka ") + rd_kafka_version_str()), std::string::npos) << result.out;
}

// SIGTERM while the worker was still starting waited for the whole start (11-13 s on a reachable
// cluster, 30 s when it cannot be reached).
TEST(CommandLineTest, SigtermDuringStartUpStopsPromptly) {
  // The ferry binary sits at the top of the build directory, this test binary in tests/.
  const std::filesystem::path ferry =
      std::filesystem::read_symlink("/proc/self/exe").parent_path().parent_path() / "ferry";
  ASSERT_TRUE(std::filesystem::exists(ferry)) << ferry;
  const std::string file = UnreachableWorkerFile("sigterm-during-start.properties");
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    execl(ferry.c_str(), ferry.c_str(), "distributed", file.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  std::this_thread::sleep_for(std::chrono::seconds(1));  // well into the 30 s first contact
  const auto signalled = Clock::now();
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  int status = 0;
  pid_t done = 0;
  while ((done = waitpid(pid, &status, WNOHANG)) == 0 && Clock::now() - signalled < std::chrono::seconds(20)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const auto took = Clock::now() - signalled;
  if (done == 0) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
  }
  EXPECT_LT(took, std::chrono::seconds(4))
      << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms";
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 128 + SIGTERM);
}

TEST(CommandLineTest, AnUnreachableClusterAtStartUpIsNamedWithItsKey) {
  const ferry::testing::CommandResult result = ferry::testing::RunFerry(
      {"distributed", UnreachableWorkerFile("unreachable.properties")}, std::chrono::seconds(90), /*with_stderr=*/true);
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.out.find("ferry: cannot reach the worker's Kafka cluster at bootstrap.servers=127.0.0.1:1: "
                            "finding or creating the config.storage.topic 'unreachable-configs' did not succeed "
                            "within 30 s ("),
            std::string::npos)
      << result.out.substr(result.out.size() > 2000 ? result.out.size() - 2000 : 0);
}

}  // namespace
}  // namespace ferry::worker
