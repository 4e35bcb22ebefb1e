// LookupTopicIds' decisions against a scripted broker (negotiation, per-topic errors, trying the next
// bootstrap server, refusing TLS/SASL settings), and against the librdkafka 2.0.2 mock cluster, a
// real peer that offers no Metadata v10.
#include "worker/group/topic_ids.h"

#include <algorithm>
#include <deque>

#include <gtest/gtest.h>

#include "worker/kafka/mock_cluster.h"

namespace ferry::group {
namespace {

using std::chrono::milliseconds;

class FakeClock : public Clock {
 public:
  TimePoint Now() override { return now_; }
  void SleepUntil(TimePoint t) override { now_ = std::max(now_, t); }

 private:
  TimePoint now_{};
};

struct Sent {
  int16_t api_key;
  int16_t version;
  std::string body;
};

// A broker that answers from a script, one reply per request, and records what it was sent.
class ScriptedBroker {
 public:
  void Reply(Result<std::string> body) { replies_.push_back(std::move(body)); }
  const std::vector<Sent>& sent() const { return sent_; }

  TransportPtr Open() { return std::make_unique<Scripted>(*this); }

 private:
  class Scripted : public Transport {
   public:
    explicit Scripted(ScriptedBroker& broker) : broker_(broker) {}
    Result<std::string> RoundTrip(int16_t api_key, int16_t version, const std::string& body, Deadline) override {
      broker_.sent_.push_back({api_key, version, body});
      if (broker_.replies_.empty()) return Error::Timeout("no reply scripted");
      Result<std::string> reply = std::move(broker_.replies_.front());
      broker_.replies_.pop_front();
      return reply;
    }

   private:
    ScriptedBroker& broker_;
  };

  std::deque<Result<std::string>> replies_;
  std::vector<Sent> sent_;
};

std::string Versions(int16_t metadata_max) {
  ApiVersionsResponse r;
  r.api_keys = {{MetadataRequest::kApiKey, 0, metadata_max}, {ApiVersionsRequest::kApiKey, 0, 4}};
  return r.Encode(2);
}

constexpr Uuid kOrdersId{0xbc1e5536933f41caULL, 0x83ab96053e77d9e8ULL};

MetadataResponse::Topic TopicAnswer(const std::string& name, KafkaError error, Uuid id) {
  MetadataResponse::Topic t;
  t.name = name;
  t.error_code = error;
  t.topic_id = id;
  return t;
}

std::string Answer(std::vector<MetadataResponse::Topic> topics, int16_t version = 12) {
  MetadataResponse r;
  r.brokers = {{1, "127.0.0.1", 9092, std::nullopt}};
  r.topics = std::move(topics);
  return r.Encode(version);
}

class TopicIdsTest : public ::testing::Test {
 protected:
  // Brokers 127.0.0.1:1 and :2; `down` ones refuse the connection.
  Result<std::map<std::string, std::string>> Lookup(const std::vector<std::string>& topics,
                                                    std::vector<int> down = {}) {
    TransportFactory factory = [&, down](const BrokerAddress& broker, Deadline) -> Result<TransportPtr> {
      opened_.push_back(broker.port);
      if (std::find(down.begin(), down.end(), broker.port) != down.end()) {
        return Error(ErrorCode::kKafka, "connect to " + broker.ToString() + ": refused", true);
      }
      return broker_.Open();
    };
    return LookupTopicIdsVia({{"127.0.0.1", 1}, {"127.0.0.1", 2}}, topics, factory, clock_,
                             clock_.Now() + std::chrono::seconds(10));
  }

  FakeClock clock_;
  ScriptedBroker broker_;
  std::vector<int> opened_;
};

TEST_F(TopicIdsTest, AsksAtTheHighestCommonVersionAndLeavesUnknownTopicsOut) {
  broker_.Reply(Versions(13));
  broker_.Reply(Answer({TopicAnswer("orders", KafkaError::kNone, kOrdersId),
                        TopicAnswer("gone", KafkaError::kUnknownTopicOrPartition, Uuid{})}));
  auto ids = Lookup({"orders", "gone", "orders"});
  ASSERT_TRUE(ids.ok()) << ids.error().ToString();
  EXPECT_EQ(*ids, (std::map<std::string, std::string>{{"orders", "vB5VNpM_QcqDq5YFPnfZ6A"}}));

  ASSERT_EQ(broker_.sent().size(), 2u);
  EXPECT_EQ(broker_.sent()[0].api_key, ApiVersionsRequest::kApiKey);
  EXPECT_EQ(broker_.sent()[1].api_key, MetadataRequest::kApiKey);
  EXPECT_EQ(broker_.sent()[1].version, 12);
  auto request = MetadataRequest::Decode(broker_.sent()[1].body, 12);
  ASSERT_TRUE(request.ok()) << request.error().ToString();
  EXPECT_FALSE(request->allow_auto_topic_creation);
  ASSERT_EQ(request->topics.size(), 2u);  // asked once each, by name, with no ID
  EXPECT_EQ(request->topics[0].name, "gone");
  EXPECT_EQ(request->topics[1].name, "orders");
  EXPECT_TRUE(request->topics[1].topic_id.IsZero());
}

TEST_F(TopicIdsTest, Kafka28AnswersAtV11) {
  broker_.Reply(Versions(11));
  broker_.Reply(Answer({TopicAnswer("orders", KafkaError::kNone, kOrdersId)}, 11));
  auto ids = Lookup({"orders"});
  ASSERT_TRUE(ids.ok()) << ids.error().ToString();
  EXPECT_EQ(ids->at("orders"), kOrdersId.ToString());
  EXPECT_EQ(broker_.sent()[1].version, 11);
}

TEST_F(TopicIdsTest, BrokerWithoutTopicIdVersionsSaysTopicIdsAreUnavailable) {
  broker_.Reply(Versions(9));
  auto ids = Lookup({"orders"});
  ASSERT_FALSE(ids.ok());
  EXPECT_EQ(ids.error().code(), ErrorCode::kUnsupported);
  EXPECT_NE(ids.error().message().find("topic IDs are unavailable"), std::string::npos) << ids.error().message();
  EXPECT_NE(ids.error().message().find("Metadata up to v9"), std::string::npos) << ids.error().message();
  EXPECT_EQ(broker_.sent().size(), 1u);  // no Metadata sent
  EXPECT_EQ(opened_, std::vector<int>{1});  // the answer holds for the cluster: no second broker
}

TEST_F(TopicIdsTest, TriesTheNextBootstrapServer) {
  broker_.Reply(Versions(12));
  broker_.Reply(Answer({TopicAnswer("orders", KafkaError::kNone, kOrdersId)}));
  auto ids = Lookup({"orders"}, /*down=*/{1});
  ASSERT_TRUE(ids.ok()) << ids.error().ToString();
  EXPECT_EQ(opened_, (std::vector<int>{1, 2}));
}

TEST_F(TopicIdsTest, NoServerAnsweringIsRetriable) {
  auto ids = Lookup({"orders"}, /*down=*/{1, 2});
  ASSERT_FALSE(ids.ok());
  EXPECT_TRUE(ids.error().retriable());
  EXPECT_NE(ids.error().message().find("no bootstrap server answered"), std::string::npos);
}

TEST_F(TopicIdsTest, PerTopicErrors) {
  struct Case {
    KafkaError error;
    Uuid id;
    std::optional<ErrorCode> code;  // nullopt: the topic is in the map
  } cases[] = {
      {KafkaError::kTopicAuthorizationFailed, Uuid{}, ErrorCode::kForbidden},
      {KafkaError::kInvalidTopic, Uuid{}, ErrorCode::kInvalidConfig},
      {KafkaError::kLeaderNotAvailable, Uuid{}, ErrorCode::kKafka},
      {KafkaError::kLeaderNotAvailable, kOrdersId, std::nullopt},
      {KafkaError::kNone, Uuid{}, ErrorCode::kUnsupported},  // a cluster that assigned no IDs
      {static_cast<KafkaError>(56), Uuid{}, ErrorCode::kKafka},  // KAFKA_STORAGE_ERROR
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(KafkaErrorName(c.error));
    ScriptedBroker broker;
    broker.Reply(Versions(12));
    broker.Reply(Answer({TopicAnswer("orders", c.error, c.id)}));
    TransportFactory factory = [&](const BrokerAddress&, Deadline) -> Result<TransportPtr> { return broker.Open(); };
    auto ids = LookupTopicIdsVia({{"127.0.0.1", 1}}, {"orders"}, factory, clock_, clock_.Now() + milliseconds(100));
    if (!c.code) {
      ASSERT_TRUE(ids.ok()) << ids.error().ToString();
      EXPECT_EQ(ids->at("orders"), kOrdersId.ToString());
      continue;
    }
    ASSERT_FALSE(ids.ok());
    EXPECT_EQ(ids.error().code(), *c.code) << ids.error().ToString();
    EXPECT_NE(ids.error().message().find("'orders'"), std::string::npos) << ids.error().message();
  }
}

TEST_F(TopicIdsTest, CorruptAnswerIsNotRetriedElsewhere) {
  broker_.Reply(Versions(12));
  broker_.Reply(Answer({TopicAnswer("orders", KafkaError::kNone, kOrdersId)}).substr(0, 20));
  auto ids = Lookup({"orders"});
  ASSERT_FALSE(ids.ok());
  EXPECT_EQ(ids.error().code(), ErrorCode::kCorrupt);
  EXPECT_EQ(opened_, std::vector<int>{1});
}

TEST(LookupTopicIdsTest, ConnectsAsSecurityProtocolSaysAndRefusesWhatItCannotHonour) {
  // Port 1 on loopback: nothing listens, so each attempt ends as a network error (after its settings
  // were accepted), never as a refusal of the protocol.
  const std::vector<Properties> accepted = {
      {{"security.protocol", "SSL"}},
      {{"security.protocol", "sasl_plaintext"}, {"sasl.mechanism", "PLAIN"}, {"sasl.username", "u"}, {"sasl.password", "p"}},
      {{"security.protocol", "SASL_SSL"}, {"sasl.mechanism", "SCRAM-SHA-512"},
       {"sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"u\" password=\"p\";"}},
  };
  for (Properties props : accepted) {
    props["bootstrap.servers"] = "127.0.0.1:1";
    auto ids = LookupTopicIds(props, {"orders"}, milliseconds(500));
    ASSERT_FALSE(ids.ok());
    EXPECT_TRUE(ids.error().retriable()) << ids.error().ToString();
  }
  auto listener = LookupTopicIds({{"bootstrap.servers", "SSL://127.0.0.1:1"}}, {"orders"}, milliseconds(500));
  ASSERT_FALSE(listener.ok());
  EXPECT_TRUE(listener.error().retriable()) << listener.error().ToString();

  // SASL without a mechanism is GSSAPI, which this client cannot do: refused, naming the key.
  auto kerberos = LookupTopicIds({{"bootstrap.servers", "127.0.0.1:1"}, {"security.protocol", "SASL_SSL"}},
                                 {"orders"}, milliseconds(500));
  ASSERT_FALSE(kerberos.ok());
  EXPECT_EQ(kerberos.error().code(), ErrorCode::kInvalidConfig);
  EXPECT_NE(kerberos.error().message().find("sasl.mechanism"), std::string::npos) << kerberos.error().message();
}

TEST(LookupTopicIdsTest, Configuration) {
  auto missing = LookupTopicIds({}, {"orders"}, milliseconds(500));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), ErrorCode::kInvalidConfig);
  auto empty = LookupTopicIds({{"bootstrap.servers", " , "}}, {"orders"}, milliseconds(500));
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().code(), ErrorCode::kInvalidConfig);
  auto bad = LookupTopicIds({{"bootstrap.servers", "localhost"}}, {"orders"}, milliseconds(500));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code(), ErrorCode::kInvalidConfig);
  // No topics: nothing to ask, no connection.
  auto none = LookupTopicIds({{"bootstrap.servers", "127.0.0.1:1"}, {"security.protocol", "PLAINTEXT"}}, {},
                             milliseconds(500));
  ASSERT_TRUE(none.ok()) << none.error().ToString();
  EXPECT_TRUE(none->empty());
}

TEST(LookupTopicIdsTest, NothingListeningIsARetriableError) {
  auto ids = LookupTopicIds({{"bootstrap.servers", "127.0.0.1:1,127.0.0.1:2"}}, {"orders"}, milliseconds(2000));
  ASSERT_FALSE(ids.ok());
  EXPECT_TRUE(ids.error().retriable()) << ids.error().ToString();
}

// librdkafka 2.0.2's mock cluster advertises Metadata up to v9 only: a broker without topic IDs.
TEST(LookupTopicIdsTest, MockClusterHasNoTopicIds) {
  auto mock = kafka::MockCluster::Start(1);
  ASSERT_TRUE(mock.ok()) << mock.error().ToString();
  auto ids = LookupTopicIds({{"bootstrap.servers", (*mock)->bootstrap_servers()}}, {"orders"}, milliseconds(5000));
  ASSERT_FALSE(ids.ok());
  EXPECT_EQ(ids.error().code(), ErrorCode::kUnsupported) << ids.error().ToString();
  EXPECT_NE(ids.error().message().find("topic IDs are unavailable"), std::string::npos) << ids.error().message();
}

}  // namespace
}  // namespace ferry::group
