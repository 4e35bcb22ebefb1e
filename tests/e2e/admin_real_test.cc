// RdKafkaAdmin on real Kafka, where a broker can stall (GC, a loaded machine) while Ferry's admin calls
// wait on it. Each test starts a one-node cluster of its own and freezes its JVM with SIGSTOP, so the
// suite's shared clusters are never disturbed.
#include "worker/kafka/admin.h"

#include <dirent.h>
#include <signal.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "tests/support/two_clusters.h"

namespace ferry::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// The pid of the JVM of node 1 of launched cluster `name`, found by its command line (which names
// the node's folder), or -1.
pid_t NodePid(const std::string& name) {
  const std::string needle = "/" + name + "/node-1/";
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return -1;
  pid_t found = -1;
  while (dirent* entry = readdir(proc)) {
    const std::string pid = entry->d_name;
    if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream file("/proc/" + pid + "/cmdline");
    const std::string cmdline((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    if (cmdline.find(needle) != std::string::npos && cmdline.find("java") != std::string::npos) {
      found = static_cast<pid_t>(std::stol(pid));
      break;
    }
  }
  closedir(proc);
  return found;
}

// SIGSTOPs a process for its lifetime; SIGCONT at Resume() or destruction, whichever comes first.
class Frozen {
 public:
  explicit Frozen(pid_t pid) : pid_(pid) { frozen_ = pid_ > 0 && kill(pid_, SIGSTOP) == 0; }
  ~Frozen() { Resume(); }
  Frozen(const Frozen&) = delete;
  Frozen& operator=(const Frozen&) = delete;
  bool frozen() const { return frozen_; }
  void Resume() {
    if (frozen_) kill(pid_, SIGCONT);
    frozen_ = false;
  }

 private:
  pid_t pid_;
  bool frozen_ = false;
};

class AdminOnRealKafkaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    FERRY_REQUIRE_REAL_KAFKA("target");
    name_ = UniqueName("stall");
    auto launched = LaunchedKafka::Start(name_, 1);
    ASSERT_TRUE(launched.ok()) << launched.error().ToString();
    kafka_ = std::move(*launched);
    pid_ = NodePid(name_);
    ASSERT_GT(pid_, 0) << "no JVM found for cluster " << name_;
  }

  std::string name_;
  std::unique_ptr<LaunchedKafka> kafka_;
  pid_t pid_ = -1;
};

// librdkafka 2.0.2 aborts the process (rdkafka_queue.h:1038, `eonce->refcnt > 0`) when a
// coordinator-based admin call (ListConsumerGroupOffsets, AlterConsumerGroupOffsets,
// DescribeConsumerGroupState, one per round) times out before its request was
// sent, i.e. while the FindCoordinator it waits on is unanswered, and the coordinator answers after.
// The broker is frozen across the call's timeout and thawed; the process must live on, and the same
// Admin must answer once the broker does. Right after the thaw the broker may answer NOT_COORDINATOR,
// which a producer-type admin handle of librdkafka 2.0.2 turns into a segfault (see admin.cc).
TEST_F(AdminOnRealKafkaTest, CoordinatorCallTimingOutBeforeItsRequestIsSentDoesNotAbort) {
  const std::string topic = UniqueName("offsets");
  ASSERT_TRUE(kafka_->cluster().CreateTopic(topic, 1).ok());
  for (int round = 0; round < 3; ++round) {
    const std::string group = UniqueName("group") + "-" + std::to_string(round);
    auto admin = kafka::RdKafkaAdmin::Create({{"bootstrap.servers", kafka_->cluster().bootstrap_servers()}},
                                             milliseconds(1500));
    ASSERT_TRUE(admin.ok()) << admin.error().ToString();
    ASSERT_TRUE((*admin)->ListTopics().ok());  // connected; the group's coordinator is not known yet
    {
      Frozen frozen(pid_);
      ASSERT_TRUE(frozen.frozen());
      const auto start = std::chrono::steady_clock::now();
      // Each coordinator call in turn: offsets listed, committed, the group described.
      std::optional<Error> error;
      if (round == 0) {
        auto offsets = (*admin)->ListConsumerGroupOffsets(group, {{topic, 0}});
        if (!offsets.ok()) error = offsets.error();
      } else if (round == 1) {
        auto altered = (*admin)->AlterConsumerGroupOffsets(group, {{{topic, 0}, {1, ""}}});
        if (!altered.ok()) error = altered.error();
      } else {
        auto described = (*admin)->DescribeConsumerGroupState(group);
        if (!described.ok()) error = described.error();
      }
      // Within its timeout, the retired handle's destruction included.
      EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(5));
      ASSERT_TRUE(error.has_value()) << "round " << round << " was answered by a frozen broker";
      EXPECT_EQ(error->code(), ErrorCode::kTimeout) << error->ToString();
      EXPECT_EQ((*admin)->RetiredHandlesForTest(), 1);  // the unanswered op's handle is gone
      std::this_thread::sleep_for(milliseconds(500));
    }  // thawed: the FindCoordinator answer arrives now
    bool answered = WaitFor(
        [&] {
          auto offsets = (*admin)->ListConsumerGroupOffsets(group, {{topic, 0}});
          return offsets.ok();
        },
        seconds(30));
    EXPECT_TRUE(answered) << "round " << round;
    // Every coordinator call works on the thawed broker.
    EXPECT_TRUE((*admin)->AlterConsumerGroupOffsets(group, {{{topic, 0}, {5, "m"}}}).ok());
    auto offsets = (*admin)->ListConsumerGroupOffsets(group, {{topic, 0}});
    ASSERT_TRUE(offsets.ok()) << offsets.error().ToString();
    EXPECT_EQ(offsets->at({topic, 0}), (kafka::OffsetAndMetadata{5, "m"}));
    auto described = (*admin)->DescribeConsumerGroupState(group);
    ASSERT_TRUE(described.ok()) << described.error().ToString();
    EXPECT_EQ(described->state, kafka::GroupState::kEmpty);
    EXPECT_TRUE((*admin)->DeleteConsumerGroupOffsets(group, {{topic, 0}}).ok());
    offsets = (*admin)->ListConsumerGroupOffsets(group, {{topic, 0}});
    ASSERT_TRUE(offsets.ok()) << offsets.error().ToString();
    EXPECT_TRUE(offsets->empty());
  }
}

}  // namespace
}  // namespace ferry::testing
