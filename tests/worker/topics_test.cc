// EnsureTopic against librdkafka's mock cluster, which lists topics but has no CreateTopics (it times
// out "waiting for controller"). Successful creation and a concurrent creation by another worker
// cannot happen on the mock: those outcomes are tested as decisions, without a broker
// (TopicsDecisionWithoutBrokerTest).
#include "worker/kafka/topics.h"

#include <chrono>

#include <gtest/gtest.h>

#include "worker/kafka/client.h"
#include "worker/kafka/mock_cluster.h"

namespace ferry::kafka {
namespace {

using std::chrono::seconds;

bool Contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TopicSpec ConfigTopic() {
  TopicSpec spec;
  spec.name = "connect-configs";
  spec.partitions = 1;
  spec.replication_factor = 3;
  spec.configs = {{"cleanup.policy", "compact"}};
  spec.exact_partitions = true;
  spec.property = "config.storage.topic";
  return spec;
}

class TopicsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto cluster = MockCluster::Start(3);
    ASSERT_TRUE(cluster.ok()) << cluster.error().ToString();
    cluster_ = std::move(*cluster);
    admin_ = {{"bootstrap.servers", cluster_->bootstrap_servers()}};
  }

  bool Exists(const std::string& topic) {
    auto rk = NewClient(RD_KAFKA_PRODUCER, admin_);
    EXPECT_TRUE(rk.ok());
    auto found = FindTopicPartitions(rk->get(), topic, seconds(5));
    EXPECT_TRUE(found.ok()) << found.error().ToString();
    return found.ok() && found->has_value();
  }

  std::unique_ptr<MockCluster> cluster_;
  Properties admin_;
};

TEST_F(TopicsTest, AnExistingConfigTopicWithOnePartitionIsAccepted) {
  ASSERT_TRUE(cluster_->CreateTopic("connect-configs", 1).ok());
  auto ensured = EnsureTopic(admin_, ConfigTopic(), seconds(5));
  EXPECT_TRUE(ensured.ok()) << ensured.error().ToString();
}

TEST_F(TopicsTest, AConfigTopicWithSeveralPartitionsIsRefusedNamingTopicAndCount) {
  ASSERT_TRUE(cluster_->CreateTopic("connect-configs", 4).ok());
  auto ensured = EnsureTopic(admin_, ConfigTopic(), seconds(5));
  ASSERT_FALSE(ensured.ok());
  EXPECT_EQ(ensured.error().code(), ErrorCode::kInvalidConfig);
  const std::string& message = ensured.error().message();
  EXPECT_TRUE(Contains(message, "Topic 'connect-configs' supplied via the 'config.storage.topic' property is "
                                "required to have a single partition"))
      << message;
  EXPECT_TRUE(Contains(message, "but found 4 partitions")) << message;
}

TEST_F(TopicsTest, AnExistingTopicWithoutExactPartitionsIsLeftAsItIs) {
  ASSERT_TRUE(cluster_->CreateTopic("connect-offsets", 5).ok());
  TopicSpec spec{"connect-offsets", 25, 3, {{"cleanup.policy", "compact"}}, false, "offset.storage.topic"};
  auto ensured = EnsureTopic(admin_, spec, seconds(5));
  EXPECT_TRUE(ensured.ok()) << ensured.error().ToString();
}

TEST_F(TopicsTest, AMissingTopicThatCannotBeCreatedIsReportedClearly) {
  TopicSpec spec = ConfigTopic();
  const auto begin = std::chrono::steady_clock::now();
  auto ensured = EnsureTopic(admin_, spec, seconds(2));
  const auto took = std::chrono::steady_clock::now() - begin;
  ASSERT_FALSE(ensured.ok());
  EXPECT_LT(took, seconds(6));
  const std::string& message = ensured.error().message();
  EXPECT_TRUE(Contains(message, "Topic 'connect-configs' supplied via the 'config.storage.topic' property"))
      << message;
  EXPECT_TRUE(Contains(message, "does not exist and could not be created")) << message;
  EXPECT_TRUE(Contains(message, "create it by hand (a single partition, replication factor 3, cleanup.policy=compact)"))
      << message;
  // The broker's reason: the mock's controller never answers.
  EXPECT_NE(ensured.error().kafka_err(), RD_KAFKA_RESP_ERR_NO_ERROR);
  EXPECT_FALSE(Exists("connect-configs")) << "looking for the topic must not auto-create it";
}

TEST_F(TopicsTest, FindTopicPartitionsListsWithoutAutoCreating) {
  ASSERT_TRUE(cluster_->CreateTopic("present", 3).ok());
  auto rk = NewClient(RD_KAFKA_PRODUCER, admin_);
  ASSERT_TRUE(rk.ok());
  auto present = FindTopicPartitions(rk->get(), "present", seconds(5));
  ASSERT_TRUE(present.ok());
  EXPECT_EQ(*present, std::optional<int>(3));
  auto absent = FindTopicPartitions(rk->get(), "absent", seconds(5));
  ASSERT_TRUE(absent.ok());
  EXPECT_EQ(*absent, std::nullopt);
  EXPECT_FALSE(Exists("absent"));
}

TEST(TopicsDecisionWithoutBrokerTest, CreatedOrCreatedConcurrentlyIsSuccess) {
  EXPECT_TRUE(CheckCreateOutcome(ConfigTopic(), RD_KAFKA_RESP_ERR_NO_ERROR, "").ok());
  EXPECT_TRUE(CheckCreateOutcome(ConfigTopic(), RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS,
                                 "Topic 'connect-configs' already exists.")
                  .ok());
}

TEST(TopicsDecisionWithoutBrokerTest, ARefusedCreationCarriesTheBrokersReason) {
  TopicSpec spec{"connect-status", 5, -1, {{"cleanup.policy", "compact"}}, false, "status.storage.topic"};
  auto outcome = CheckCreateOutcome(spec, RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED,
                                    "Authorization failed.");
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.error().kafka_err(), RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);
  EXPECT_EQ(outcome.error().message(),
            "Topic 'connect-status' supplied via the 'status.storage.topic' property does not exist and could not "
            "be created: Authorization failed. (TOPIC_AUTHORIZATION_FAILED); create it by hand (5 partitions, "
            "replication factor the broker's default, cleanup.policy=compact) and restart the worker");
}

TEST(TopicsDecisionWithoutBrokerTest, PartitionCountIsCheckedOnlyWhenExact) {
  EXPECT_TRUE(CheckExistingTopic(ConfigTopic(), 1).ok());
  EXPECT_FALSE(CheckExistingTopic(ConfigTopic(), 2).ok());
  TopicSpec offsets{"connect-offsets", 25, 3, {}, false, "offset.storage.topic"};
  EXPECT_TRUE(CheckExistingTopic(offsets, 7).ok());
  TopicSpec exact_three{"t", 3, 3, {}, true, ""};
  auto refused = CheckExistingTopic(exact_three, 2);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().message(), "Topic 't' is required to have 3 partitions, but found 2 partitions.");
}

}  // namespace
}  // namespace ferry::kafka
