// RdKafkaAdmin against librdkafka's mock cluster, for what the 2.0.2 mock serves: topic listing and
// a group's committed offsets (OffsetCommit/OffsetFetch, for a group named literally). For the rest
// the mock has no handler; CreateTopics is checked to fail clearly and in bounded time. Never called
// here: DescribeConsumerGroupState (aborts the process against the mock) and ListConsumerGroups
// (answers kUnsupported, but librdkafka 2.0.2 then leaks an allocation that LeakSanitizer reports).
// The sync logic runs against FakeAdmin in tests/tasks/.
#include "worker/kafka/admin.h"

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/fakes/fake_admin.h"
#include "worker/kafka/mock_cluster.h"

namespace ferry::kafka {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using Clock = std::chrono::steady_clock;

class RdKafkaAdminWithMockClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto cluster = MockCluster::Start(3);
    ASSERT_TRUE(cluster.ok()) << cluster.error().ToString();
    cluster_ = std::move(*cluster);
  }

  std::unique_ptr<RdKafkaAdmin> MakeAdmin(milliseconds timeout) {
    auto admin = RdKafkaAdmin::Create({{"bootstrap.servers", cluster_->bootstrap_servers()}}, timeout);
    CHECK(admin.ok()) << admin.error().ToString();
    return std::move(*admin);
  }

  std::unique_ptr<MockCluster> cluster_;
};

TEST_F(RdKafkaAdminWithMockClusterTest, ListTopicsGivesPartitionCounts) {
  ASSERT_TRUE(cluster_->CreateTopic("orders", 3).ok());
  ASSERT_TRUE(cluster_->CreateTopic("users", 1).ok());
  auto admin = MakeAdmin(seconds(10));

  auto topics = admin->ListTopics();

  ASSERT_TRUE(topics.ok()) << topics.error().ToString();
  EXPECT_EQ(topics->at("orders"), 3);
  EXPECT_EQ(topics->at("users"), 1);
  // A listing creates nothing, even on a cluster that auto-creates named topics.
  EXPECT_EQ(topics->size(), 2u);
}

TEST_F(RdKafkaAdminWithMockClusterTest, GroupOffsetsRoundTripForALiteralGroup) {
  ASSERT_TRUE(cluster_->CreateTopic("orders", 3).ok());
  auto admin = MakeAdmin(seconds(10));
  const GroupOffsets written{{{"orders", 0}, {42, "meta-0"}}, {{"orders", 2}, {7, ""}}};

  Result<> altered = admin->AlterConsumerGroupOffsets("mirror-group", written);
  ASSERT_TRUE(altered.ok()) << altered.error().ToString();
  auto read = admin->ListConsumerGroupOffsets("mirror-group", {{"orders", 0}, {"orders", 1}, {"orders", 2}});

  ASSERT_TRUE(read.ok()) << read.error().ToString();
  EXPECT_EQ(*read, written);  // orders-1 has nothing committed, so no entry

  // A commit moves the offset; the metadata goes with it.
  ASSERT_TRUE(admin->AlterConsumerGroupOffsets("mirror-group", {{{"orders", 0}, {50, "meta-1"}}}).ok());
  auto again = admin->ListConsumerGroupOffsets("mirror-group", {{"orders", 0}});
  ASSERT_TRUE(again.ok()) << again.error().ToString();
  EXPECT_EQ(*again, (GroupOffsets{{{"orders", 0}, {50, "meta-1"}}}));
}

TEST_F(RdKafkaAdminWithMockClusterTest, UnknownGroupHasNoOffsets) {
  ASSERT_TRUE(cluster_->CreateTopic("orders", 2).ok());
  auto admin = MakeAdmin(seconds(10));
  auto read = admin->ListConsumerGroupOffsets("never-committed", {{"orders", 0}, {"orders", 1}});
  ASSERT_TRUE(read.ok()) << read.error().ToString();
  EXPECT_THAT(*read, IsEmpty());
}

TEST_F(RdKafkaAdminWithMockClusterTest, CreateTopicsFailsClearlyWithinItsTimeout) {
  auto admin = MakeAdmin(seconds(2));
  const auto start = Clock::now();

  auto created = admin->CreateTopics({{"A.orders", 3, 1, {{"cleanup.policy", "compact"}}}});

  const auto elapsed = Clock::now() - start;
  ASSERT_FALSE(created.ok()) << "the 2.0.2 mock has no CreateTopics handler";
  EXPECT_EQ(created.error().code(), ErrorCode::kTimeout) << created.error().ToString();
  EXPECT_TRUE(created.error().retriable());
  EXPECT_THAT(created.error().message(), HasSubstr("'A.orders'"));
  EXPECT_LT(elapsed, seconds(5));
}

// librdkafka 2.0.2 aborts the process (rdkafka_queue.h:1038) when a coordinator call's own timer fires
// while its FindCoordinator is unanswered and the answer comes after (see admin.cc). Every answer is
// delayed past the call's timeout here; the call must fail with kTimeout, leave the process alive
// once the late answers arrive, and the same Admin must work when the brokers answer in time again.
TEST_F(RdKafkaAdminWithMockClusterTest, CoordinatorCallTimingOutBeforeItsRequestIsSentDoesNotAbort) {
  ASSERT_TRUE(cluster_->CreateTopic("orders", 1).ok());
  auto admin = MakeAdmin(milliseconds(800));
  ASSERT_TRUE(admin->ListTopics().ok());  // connected; the group's coordinator is not known yet
  for (int32_t broker = 1; broker <= 3; ++broker) rd_kafka_mock_broker_set_rtt(cluster_->raw(), broker, 2500);
  const auto start = Clock::now();

  auto offsets = admin->ListConsumerGroupOffsets("late-group", {{"orders", 0}});

  EXPECT_LT(Clock::now() - start, seconds(2));
  ASSERT_FALSE(offsets.ok());
  EXPECT_EQ(offsets.error().code(), ErrorCode::kTimeout) << offsets.error().ToString();
  EXPECT_EQ(admin->RetiredHandlesForTest(), 1);
  std::this_thread::sleep_for(seconds(4));  // the delayed FindCoordinator answer arrives meanwhile
  for (int32_t broker = 1; broker <= 3; ++broker) rd_kafka_mock_broker_set_rtt(cluster_->raw(), broker, 0);
  ASSERT_TRUE(admin->AlterConsumerGroupOffsets("late-group", {{{"orders", 0}, {3, ""}}}).ok());
  auto again = admin->ListConsumerGroupOffsets("late-group", {{"orders", 0}});
  ASSERT_TRUE(again.ok()) << again.error().ToString();
  EXPECT_EQ(*again, (GroupOffsets{{{"orders", 0}, {3, ""}}}));
}

// Runs each of `calls` on a thread of its own, cancels `admin` after `before_cancel`, and expects
// every call to end within a second of it with kUnavailable.
void ExpectCancelEndsEveryCall(RdKafkaAdmin& admin, const std::vector<std::function<Result<>()>>& calls,
                               milliseconds before_cancel) {
  std::vector<std::optional<Result<>>> results(calls.size());
  std::vector<Clock::time_point> ended(calls.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < calls.size(); ++i) {
    threads.emplace_back([&, i] {
      results[i] = calls[i]();
      ended[i] = Clock::now();
    });
  }
  std::this_thread::sleep_for(before_cancel);
  const auto cancelled = Clock::now();
  admin.Cancel();
  for (std::thread& t : threads) t.join();
  for (size_t i = 0; i < calls.size(); ++i) {
    ASSERT_TRUE(results[i].has_value());
    ASSERT_FALSE(results[i]->ok()) << "call " << i << " was answered";
    EXPECT_EQ(results[i]->error().code(), ErrorCode::kUnavailable)
        << "call " << i << ": " << results[i]->error().ToString();
    EXPECT_THAT(results[i]->error().message(), HasSubstr("cancelled"));
    EXPECT_GE(ended[i], cancelled) << "call " << i << " ended before the cancel";
    EXPECT_LT(ended[i] - cancelled, seconds(1)) << "call " << i;
  }
  // Later calls fail at once, without reaching any cluster.
  const auto start = Clock::now();
  auto later = admin.ListTopics();
  ASSERT_FALSE(later.ok());
  EXPECT_EQ(later.error().code(), ErrorCode::kUnavailable);
  EXPECT_LT(Clock::now() - start, milliseconds(100));
}

// Every kind of call (broker, controller, all brokers, coordinator), each waiting for a cluster that
// is not there, with a timeout far away: Cancel() ends them all at once, and the admin (with the ops
// its calls walked away from still pending in librdkafka) is destroyed promptly, without an abort.
TEST(RdKafkaAdminTest, CancelEndsCallsWaitingForAClusterThatIsNotThere) {
  auto created = RdKafkaAdmin::Create({{"bootstrap.servers", "127.0.0.1:1"}}, seconds(60));
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  std::unique_ptr<RdKafkaAdmin> admin = std::move(*created);
  auto status = [](auto result) { return result.ok() ? Result<>() : Result<>(result.error()); };
  ExpectCancelEndsEveryCall(
      *admin,
      {[&] { return status(admin->ListTopics()); },
       [&] { return status(admin->CreateTopics({{"orders", 1, 1, {}}})); },
       [&] { return status(admin->DescribeTopicConfigs({"orders"})); },
       [&] { return status(admin->DescribeAcls({})); },
       [&] { return status(admin->ListConsumerGroups()); },
       [&] { return status(admin->ListConsumerGroupOffsets("g", {{"orders", 0}})); },
       [&] { return status(admin->AlterConsumerGroupOffsets("g", {{{"orders", 0}, {1, ""}}})); },
       [&] { return status(admin->DescribeConsumerGroupState("g")); }},
      seconds(1));
  const auto start = Clock::now();
  admin.reset();
  EXPECT_LT(Clock::now() - start, seconds(5));
}

// On the mock the brokers are up, but the controller calls wait for a controller it never names.
TEST_F(RdKafkaAdminWithMockClusterTest, CancelEndsCallsInFlight) {
  auto admin = MakeAdmin(seconds(60));
  ASSERT_TRUE(admin->ListTopics().ok());
  auto status = [](auto result) { return result.ok() ? Result<>() : Result<>(result.error()); };
  ExpectCancelEndsEveryCall(*admin,
                            {[&] { return status(admin->CreateTopics({{"orders", 1, 1, {}}})); },
                             [&] { return status(admin->DescribeTopicConfigs({"orders"})); },
                             [&] { return status(admin->AlterTopicConfigs({{"orders", {{"retention.ms", "1"}}}})); }},
                            seconds(1));
  EXPECT_EQ(admin->RetiredHandlesForTest(), 1);
  const auto start = Clock::now();
  admin.reset();
  EXPECT_LT(Clock::now() - start, seconds(5));
}

TEST(RdKafkaAdminTest, BadClientSettingIsAnError) {
  auto admin = RdKafkaAdmin::Create({{"bootstrap.servers", "127.0.0.1:1"}, {"no.such.setting", "1"}}, seconds(1));
  ASSERT_FALSE(admin.ok());
  EXPECT_EQ(admin.error().code(), ErrorCode::kInvalidConfig);
  EXPECT_THAT(admin.error().message(), HasSubstr("no.such.setting"));
}

TEST(AdminErrorTest, ClassifiesKafkaCodes) {
  EXPECT_EQ(AdminError("x", RD_KAFKA_RESP_ERR__TIMED_OUT).code(), ErrorCode::kTimeout);
  EXPECT_TRUE(AdminError("x", RD_KAFKA_RESP_ERR__TIMED_OUT).retriable());
  EXPECT_EQ(AdminError("x", RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART).code(), ErrorCode::kNotFound);
  EXPECT_EQ(AdminError("x", RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED).code(), ErrorCode::kForbidden);
  EXPECT_EQ(AdminError("x", RD_KAFKA_RESP_ERR_SECURITY_DISABLED).code(), ErrorCode::kUnsupported);
  const Error other = AdminError("create topic 'a'", RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR, "too many");
  EXPECT_EQ(other.code(), ErrorCode::kKafka);
  EXPECT_EQ(other.kafka_err(), RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR);
  EXPECT_FALSE(other.retriable());
  EXPECT_THAT(other.message(), HasSubstr("create topic 'a': "));
  EXPECT_THAT(other.message(), HasSubstr("INVALID_REPLICATION_FACTOR"));
  EXPECT_THAT(other.message(), HasSubstr("too many"));
}

// FakeAdmin keeps the Admin contract where the mock cannot show it.

TEST(FakeAdminTest, GroupOffsetsCannotBeAlteredWhileMembersAreActive) {
  testing::FakeAdmin admin;
  admin.SetGroup("live", GroupState::kStable, 2);
  auto refused = admin.AlterConsumerGroupOffsets("live", {{{"orders", 0}, {5, ""}}});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kafka_err(), RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID);
  EXPECT_THAT(admin.Committed("live"), IsEmpty());

  auto state = admin.DescribeConsumerGroupState("live");
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->members, 2);
  EXPECT_EQ(state->state, GroupState::kStable);
  EXPECT_STREQ(GroupStateName(state->state), "Stable");
  EXPECT_EQ(admin.DescribeConsumerGroupState("gone")->state, GroupState::kDead);
}

TEST(FakeAdminTest, ListsGroupsAndFiltersOffsetsByPartition) {
  testing::FakeAdmin admin;
  ASSERT_TRUE(admin.AlterConsumerGroupOffsets("idle", {{{"orders", 0}, {5, "m"}}, {{"orders", 1}, {6, ""}}}).ok());
  auto groups = admin.ListConsumerGroups();
  ASSERT_TRUE(groups.ok());
  ASSERT_EQ(groups->size(), 1u);
  EXPECT_EQ((*groups)[0].group_id, "idle");
  EXPECT_EQ(admin.ListConsumerGroupOffsets("idle", {{"orders", 1}}).value(), (GroupOffsets{{{"orders", 1}, {6, ""}}}));
  EXPECT_EQ(admin.ListConsumerGroupOffsets("idle", {}).value().size(), 2u);
}

TEST(FakeAdminTest, DescribeAclsHonoursTheFilter) {
  testing::FakeAdmin admin;
  AclBinding literal{AclResourceType::kTopic, "orders", AclPatternType::kLiteral, "User:a", "*",
                     AclOperation::kRead, AclPermission::kAllow};
  AclBinding prefixed{AclResourceType::kTopic, "ord", AclPatternType::kPrefixed, "User:a", "*",
                      AclOperation::kRead, AclPermission::kAllow};
  AclBinding group{AclResourceType::kGroup, "g", AclPatternType::kLiteral, "User:a", "*",
                   AclOperation::kRead, AclPermission::kAllow};
  for (const AclBinding& acl : {literal, prefixed, group}) admin.AddAcl(acl);

  EXPECT_EQ(admin.DescribeAcls({}).value().size(), 2u);  // every topic ACL
  AclBindingFilter literal_only{AclResourceType::kTopic, std::nullopt, AclPatternType::kLiteral};
  EXPECT_EQ(admin.DescribeAcls(literal_only).value(), std::vector<AclBinding>{literal});
  AclBindingFilter matching{AclResourceType::kTopic, std::string("orders"), AclPatternType::kMatch};
  EXPECT_EQ(admin.DescribeAcls(matching).value().size(), 2u);
}

}  // namespace
}  // namespace ferry::kafka
