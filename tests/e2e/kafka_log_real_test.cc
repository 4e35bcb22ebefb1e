// KafkaLog (Connect's config, offset and status topics, MM2's internal topics) on real Kafka, where a
// topic is created by the controller and reaches the brokers a moment later.
#include "worker/kafka/kafka_log.h"

#include <atomic>

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

}  // namespace
}  // namespace ferry::testing
