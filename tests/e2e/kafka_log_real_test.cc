// KafkaLog (Connect's config, offset and status topics, MM2's internal topics) on real Kafka, where a
// topic is created by the controller and reaches the brokers a moment later.
#include "worker/kafka/kafka_log.h"

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "tests/support/two_clusters.h"

namespace ferry::testing {
namespace {

using std::chrono::seconds;

class KafkaLogOnRealKafkaTest : public TwoClustersTest {
 protected:
  KafkaLogOnRealKafkaTest() : TwoClustersTest(Peer::kRealKafka) {}
};

// Right after CreateTopics a broker may still answer NOT_LEADER_OR_FOLLOWER or UNKNOWN_TOPIC_OR_PARTITION
// for the new partitions (`ferry mirror-maker` stopped on this at its first start against Kafka 4.1).
// Starting the log must wait that out, not fail.
TEST_F(KafkaLogOnRealKafkaTest, StartsOnATopicCreatedAMomentAgo) {
  for (int attempt = 0; attempt < 5; ++attempt) {
    const std::string topic = UniqueName("log") + "-" + std::to_string(attempt);
    auto created = target().admin().CreateTopics({kafka::NewTopic{topic, 25, -1, {{"cleanup.policy", "compact"}}}});
    ASSERT_TRUE(created.ok()) << created.error().ToString();
    ASSERT_TRUE(created->at(topic).ok()) << created->at(topic).error().ToString();
    kafka::KafkaLogOptions options;
    options.topic = topic;
    options.producer = {{"bootstrap.servers", target().bootstrap_servers()}};
    options.consumer = {{"bootstrap.servers", target().bootstrap_servers()}};
    kafka::KafkaLog log(options);
    std::atomic<int> records{0};
    auto started = log.Start([&](const kafka::LogRecord&) { ++records; }, seconds(30));
    ASSERT_TRUE(started.ok()) << "attempt " << attempt << ": " << started.error().ToString();
    ASSERT_TRUE(log.Send(std::string("k"), std::string("v")).ok());
    ASSERT_TRUE(log.Flush(seconds(30)).ok());
    ASSERT_TRUE(log.ReadToEnd(seconds(30)).ok());
    EXPECT_EQ(records.load(), 1);
    log.Stop();
  }
}

// MM2's checkpoint task reads the offset-syncs topic that its source connector creates, often a moment
// after the task starts: the log waits for the topic, as Connect's KafkaBasedLog does (without it the
// checkpoint task of `ferry mirror-maker` failed for good and no checkpoint was ever written).
TEST_F(KafkaLogOnRealKafkaTest, StartWaitsForATopicCreatedAfterIt) {
  const std::string topic = UniqueName("later");
  kafka::KafkaLogOptions options;
  options.topic = topic;
  options.producer = {{"bootstrap.servers", target().bootstrap_servers()}};
  options.consumer = {{"bootstrap.servers", target().bootstrap_servers()}};
  kafka::KafkaLog log(options);
  std::thread creator([&] {
    std::this_thread::sleep_for(std::chrono::seconds(2));
    EXPECT_TRUE(target().CreateTopic(topic, 1).ok());
  });
  auto started = log.Start([](const kafka::LogRecord&) {}, seconds(30));
  creator.join();
  EXPECT_TRUE(started.ok()) << started.error().ToString();
  log.Stop();
}

}  // namespace
}  // namespace ferry::testing
