// Runs every curl command of docs/rest.md, in order, against a real Ferry worker on mock clusters:
// the documentation is the test. Each command must answer 2xx.
#include <cstdio>
#include <fstream>
#include <regex>
#include <sstream>

#include <gtest/gtest.h>

#include "tests/support/two_clusters.h"
#include "tests/support/worker_harness.h"

namespace ferry::testing {
namespace {

std::vector<std::string> CurlCommands(const std::string& markdown_path) {
  std::ifstream in(markdown_path);
  std::vector<std::string> commands;
  std::string line;
  bool in_sh = false;
  while (std::getline(in, line)) {
    if (line.rfind("```", 0) == 0) {
      in_sh = !in_sh && line == "```sh";
      continue;
    }
    if (in_sh && line.rfind("curl ", 0) == 0) commands.push_back(line);
  }
  return commands;
}

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) s.replace(at, from.size(), to);
  return s;
}

// Runs a shell command; returns its output.
std::string RunShell(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  pclose(pipe);
  return out;
}

class RestDocTest : public TwoClustersTest {};

TEST_F(RestDocTest, EveryCurlExampleOfTheDocsAnswers2xx) {
  ASSERT_TRUE(target().CreateTopic("d-configs", 1).ok());
  ASSERT_TRUE(target().CreateTopic("d-offsets", 5).ok());
  ASSERT_TRUE(target().CreateTopic("d-status", 3).ok());
  ASSERT_TRUE(source().CreateTopic("orders", 2).ok());
  ASSERT_TRUE(target().CreateTopic("A.orders", 2).ok());
  ASSERT_TRUE(source().CreateTopic("mm2-offset-syncs.B.internal", 1).ok());
  auto worker = InProcessWorker::Start(DistributedWorkerProps(target().bootstrap_servers(), "d"));
  ASSERT_NE(worker, nullptr);

  const auto commands = CurlCommands(std::string(FERRY_SOURCE_DIR) + "/docs/rest.md");
  ASSERT_GE(commands.size(), 30u) << "docs/rest.md lost its examples";
  for (const std::string& doc_command : commands) {
    std::string command = Replace(doc_command, "http://localhost:8083", "http://127.0.0.1:" + std::to_string(worker->port()));
    command = Replace(command, "SOURCE_BOOTSTRAP", source().bootstrap_servers());
    command = Replace(command, "TARGET_BOOTSTRAP", target().bootstrap_servers());
    // The mock cluster has no config/ACL admin API; a short admin timeout keeps its refusals quick.
    command = Replace(command, "\"topics\":\"orders\"", "\"topics\":\"orders\",\"admin.timeout.ms\":\"1000\"");
    const std::string output = RunShell(command + " --max-time 60 -w '\\n%{http_code}'");
    const std::string status = output.substr(output.rfind('\n') + 1);
    EXPECT_EQ(status[0], '2') << doc_command << "\nanswered " << status << ": " << output;
  }
}

}  // namespace
}  // namespace ferry::testing
