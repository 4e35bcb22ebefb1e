// LookupTopicIds on real Kafka (the suite's shared `source` cluster): a topic's ID is stable while
// the topic lives, a topic deleted and created again under the same name has a new one (issue #21
// item 7: offsets alone cannot tell the two incarnations apart), and a topic that does not exist is
// absent from the answer.
#include "worker/group/topic_ids.h"

#include <chrono>
#include <map>
#include <string>

#include <gtest/gtest.h>

#include "tests/support/two_clusters.h"
#include "worker/kafka/client.h"
#include "worker/kafka/handles.h"

namespace ferry::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr milliseconds kLookupTimeout{10000};

// Deletes `topic` with librdkafka's DeleteTopics (kafka::Admin has no delete) and waits for the answer.
Result<> DeleteTopic(const std::string& bootstrap, const std::string& topic) {
  Result<kafka::HandlePtr> rk = kafka::NewClient(RD_KAFKA_PRODUCER, {{"bootstrap.servers", bootstrap}});
  if (!rk.ok()) return rk.error();
  kafka::QueuePtr queue(rd_kafka_queue_new(rk->get()));
  kafka::DeleteTopicPtr request(rd_kafka_DeleteTopic_new(topic.c_str()));
  rd_kafka_DeleteTopic_t* requests[] = {request.get()};
  rd_kafka_DeleteTopics(rk->get(), requests, 1, nullptr, queue.get());
  kafka::EventPtr event(rd_kafka_queue_poll(queue.get(), 30000));
  if (event == nullptr) return Error::Timeout("DeleteTopics " + topic);
  if (rd_kafka_event_error(event.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Error::Kafka("DeleteTopics " + topic, rd_kafka_event_error(event.get()));
  }
  const rd_kafka_DeleteTopics_result_t* result = rd_kafka_event_DeleteTopics_result(event.get());
  size_t n = 0;
  const rd_kafka_topic_result_t** results = rd_kafka_DeleteTopics_result_topics(result, &n);
  for (size_t i = 0; i < n; ++i) {
    if (rd_kafka_topic_result_error(results[i]) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return Error::Kafka("DeleteTopics " + topic, rd_kafka_topic_result_error(results[i]));
    }
  }
  return Ok();
}

class TopicIdsOnRealKafkaTest : public TwoClustersTest {
 protected:
  TopicIdsOnRealKafkaTest() : TwoClustersTest(Peer::kRealKafka) {}

  void SetUp() override {
    TwoClustersTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    cluster_ = &source();
    props_ = {{"bootstrap.servers", cluster_->bootstrap_servers()}};
  }

  Result<std::map<std::string, std::string>> Lookup(const std::vector<std::string>& topics) {
    return group::LookupTopicIds(props_, topics, kLookupTimeout);
  }

  void Produce(const std::string& topic, int32_t partition, int64_t count) {
    TwoClustersTest::Produce(source(), topic, partition, MakeRecords(0, count));
  }

  TestCluster* cluster_ = nullptr;
  Properties props_;
};

TEST_F(TopicIdsOnRealKafkaTest, RecreatedTopicHasANewId) {
  const std::string topic = UniqueName("ids");
  ASSERT_TRUE(cluster_->CreateTopic(topic, 2).ok());
  Produce(topic, 0, 5);

  const auto asked_at = std::chrono::steady_clock::now();
  auto first = Lookup({topic});
  RecordProperty("lookup_ms", std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(
                                                 std::chrono::steady_clock::now() - asked_at)
                                                 .count() /
                                             1000.0));
  ASSERT_TRUE(first.ok()) << first.error().ToString();
  ASSERT_EQ(first->count(topic), 1u);
  const std::string old_id = first->at(topic);
  EXPECT_EQ(old_id.size(), 22u) << old_id;
  ASSERT_TRUE(group::Uuid::Parse(old_id).ok()) << old_id;
  EXPECT_FALSE(group::Uuid::Parse(old_id)->IsZero());

  auto again = Lookup({topic});  // stable while the topic lives
  ASSERT_TRUE(again.ok()) << again.error().ToString();
  EXPECT_EQ(again->at(topic), old_id);

  const auto deleted_at = std::chrono::steady_clock::now();
  ASSERT_TRUE(DeleteTopic(cluster_->bootstrap_servers(), topic).ok());
  // Gone from the broker's metadata: absent from the answer.
  ASSERT_TRUE(WaitFor([&] { auto ids = Lookup({topic}); return ids.ok() && ids->empty(); }, seconds(30)));
  const auto gone_at = std::chrono::steady_clock::now();
  // The same name again (the broker may refuse while the old incarnation's deletion completes).
  Result<> created = Error::Internal("not tried");
  ASSERT_TRUE(WaitFor([&] { return (created = cluster_->CreateTopic(topic, 2)).ok(); }, seconds(30)))
      << created.error().ToString();
  // Refilled past the old end: offsets alone look like the same topic.
  Produce(topic, 0, 8);

  auto second = Lookup({topic});
  ASSERT_TRUE(second.ok()) << second.error().ToString();
  ASSERT_EQ(second->count(topic), 1u);
  EXPECT_NE(second->at(topic), old_id);
  RecordProperty("topic", topic);
  RecordProperty("old_id", old_id);
  RecordProperty("new_id", second->at(topic));
  RecordProperty("delete_to_absent_ms",
                 std::to_string(std::chrono::duration_cast<milliseconds>(gone_at - deleted_at).count()));
}

// What the broker offers, and so the version LookupTopicIds speaks to it (Kafka 4.1: Metadata up to
// v13, of which Ferry speaks v12).
TEST_F(TopicIdsOnRealKafkaTest, BrokerOffersTopicIdVersions) {
  group::SteadyClock clock;
  const group::Deadline deadline = clock.Now() + kLookupTimeout;
  auto address = group::ParseBrokerAddress(cluster_->bootstrap_servers());
  ASSERT_TRUE(address.ok()) << address.error().ToString();
  auto connection = group::Connection::Open(*address, "ferry-test", clock, deadline);
  ASSERT_TRUE(connection.ok()) << connection.error().ToString();
  auto body = (*connection)->RoundTrip(group::ApiVersionsRequest::kApiKey, 2, group::ApiVersionsRequest{}.Encode(2),
                                       deadline);
  ASSERT_TRUE(body.ok()) << body.error().ToString();
  auto versions = group::ApiVersionsResponse::Decode(*body, 2);
  ASSERT_TRUE(versions.ok()) << versions.error().ToString();
  for (const auto& api : versions->api_keys) {
    if (api.api_key == group::MetadataRequest::kApiKey) {
      RecordProperty("metadata_versions", std::to_string(api.min_version) + "-" + std::to_string(api.max_version));
    }
  }
  auto chosen = group::ChooseVersion(group::MetadataRequest::kApiKey, *versions);
  ASSERT_TRUE(chosen.ok()) << chosen.error().ToString();
  EXPECT_EQ(*chosen, 12);
}

TEST_F(TopicIdsOnRealKafkaTest, UnknownTopicIsAbsentAndNotCreated) {
  const std::string known = UniqueName("ids-known");
  const std::string unknown = UniqueName("ids-unknown");
  ASSERT_TRUE(cluster_->CreateTopic(known, 1).ok());
  auto ids = Lookup({known, unknown});
  ASSERT_TRUE(ids.ok()) << ids.error().ToString();
  EXPECT_EQ(ids->count(known), 1u);
  EXPECT_EQ(ids->count(unknown), 0u);
  // allow_auto_topic_creation=false: asking did not make it.
  auto after = Lookup({unknown});
  ASSERT_TRUE(after.ok()) << after.error().ToString();
  EXPECT_TRUE(after->empty());
  EXPECT_FALSE(cluster_->PartitionCount(unknown).ok() && *cluster_->PartitionCount(unknown) > 0);
}

TEST_F(TopicIdsOnRealKafkaTest, SecondBootstrapServerAnswersWhenTheFirstIsDown) {
  const std::string topic = UniqueName("ids-boot");
  ASSERT_TRUE(cluster_->CreateTopic(topic, 1).ok());
  // Port 1 on loopback refuses at once.
  auto ids = group::LookupTopicIds({{"bootstrap.servers", "127.0.0.1:1, " + cluster_->bootstrap_servers()}},
                                   {topic}, kLookupTimeout);
  ASSERT_TRUE(ids.ok()) << ids.error().ToString();
  EXPECT_EQ(ids->count(topic), 1u);
}

}  // namespace
}  // namespace ferry::testing
