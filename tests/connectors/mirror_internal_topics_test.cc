// The internal topics of MM2's connectors (offset syncs, checkpoints, heartbeats) under MM2's
// MirrorUtils.createCompactedTopic rule: a creation refused for lack of rights or broker support is
// assumed done out of band; any other failure fails the connector, naming the topic.
// The connectors make their own clients (no Admin can be injected), and neither the 2.0.2 mock nor
// FakeAdmin reaches them, so the tolerated refusals are tested on the decision alone
// (MirrorInternalTopicDecisionWithoutConnectorTest), fed with the errors EnsureTopic (what the
// connectors call) and FakeAdmin (the Admin interface's codes) produce. The mock's CreateTopics
// times out, which shows a real failure still failing each connector's Start.
#include <gtest/gtest.h>

#include "connectors/mirror_checkpoint_connector.h"
#include "connectors/mirror_heartbeat_connector.h"
#include "connectors/mirror_source_connector.h"
#include "tests/fakes/fake_admin.h"
#include "tests/support/two_clusters.h"
#include "worker/kafka/topics.h"

namespace ferry::connectors {
namespace {

using testing::FakeAdmin;

const std::string kTopic = "mm2-offset-syncs.B.internal";

// What EnsureTopic returns when the broker answers CreateTopics with `err`.
Result<> EnsureTopicRefused(rd_kafka_resp_err_t err) {
  kafka::TopicSpec spec{kTopic, 1, 3, {{"cleanup.policy", "compact"}}, false, "offset-syncs.topic.location"};
  return kafka::CheckCreateOutcome(spec, err, "");
}

// The outcome of creating kTopic through `admin`, whole-call and per-topic errors alike.
Result<> CreateThrough(kafka::Admin& admin) {
  auto answer = admin.CreateTopics({{kTopic, 1, 3, {{"cleanup.policy", "compact"}}}});
  if (!answer.ok()) return answer.error();
  const Result<kafka::TopicCreation>& created = answer->at(kTopic);
  if (!created.ok()) return created.error();
  return Ok();
}

TEST(MirrorInternalTopicDecisionWithoutConnectorTest, CreatedOrAlreadyThereIsSuccess) {
  EXPECT_TRUE(AcceptInternalTopicOutcome(kTopic, Ok()).ok());
  EXPECT_TRUE(AcceptInternalTopicOutcome(kTopic, EnsureTopicRefused(RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)).ok());
  FakeAdmin admin;
  admin.AddTopic(kTopic, 1);
  EXPECT_TRUE(AcceptInternalTopicOutcome(kTopic, CreateThrough(admin)).ok());
}

TEST(MirrorInternalTopicDecisionWithoutConnectorTest, NoRightsOrNoBrokerSupportFromEnsureTopicAssumesTheTopicExists) {
  // MM2 tolerates TopicAuthorizationException, ClusterAuthorizationException, UnsupportedVersionException.
  for (rd_kafka_resp_err_t err : {RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED,
                                  RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED,
                                  RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION, RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE}) {
    auto accepted = AcceptInternalTopicOutcome(kTopic, EnsureTopicRefused(err));
    EXPECT_TRUE(accepted.ok()) << rd_kafka_err2name(err) << ": " << accepted.error().ToString();
  }
}

TEST(MirrorInternalTopicDecisionWithoutConnectorTest, NoRightsOrNoBrokerSupportFromFakeAdminAssumesTheTopicExists) {
  FakeAdmin admin;
  admin.FailFor(FakeAdmin::Op::kCreateTopics, kTopic,
                kafka::AdminError("create topic", RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED));
  auto refused = CreateThrough(admin);
  ASSERT_FALSE(refused.ok());
  ASSERT_EQ(refused.error().code(), ErrorCode::kForbidden);
  EXPECT_TRUE(AcceptInternalTopicOutcome(kTopic, refused).ok());

  admin.ClearFailures();
  admin.FailNextCall(FakeAdmin::Op::kCreateTopics,
                     kafka::AdminError("create topics", RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED));
  EXPECT_TRUE(AcceptInternalTopicOutcome(kTopic, CreateThrough(admin)).ok());
  admin.FailNextCall(FakeAdmin::Op::kCreateTopics,
                     kafka::AdminError("create topics", RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION));
  EXPECT_TRUE(AcceptInternalTopicOutcome(kTopic, CreateThrough(admin)).ok());
  EXPECT_EQ(admin.Calls(FakeAdmin::Op::kCreateTopics), 3);
  EXPECT_FALSE(admin.Partitions(kTopic)) << "nothing was created: the topic is assumed to exist";
}

TEST(MirrorInternalTopicDecisionWithoutConnectorTest, OtherFailuresStillFailNamingTheTopic) {
  // MM2 rethrows these (a timeout with its own message, everything else as "Error while attempting
  // to create/find topic").
  for (rd_kafka_resp_err_t err : {RD_KAFKA_RESP_ERR__TIMED_OUT, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
                                  RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR, RD_KAFKA_RESP_ERR_POLICY_VIOLATION,
                                  RD_KAFKA_RESP_ERR_INVALID_CONFIG, RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION}) {
    auto failed = AcceptInternalTopicOutcome(kTopic, EnsureTopicRefused(err));
    ASSERT_FALSE(failed.ok()) << rd_kafka_err2name(err);
    EXPECT_EQ(failed.error().kafka_err(), err);
    EXPECT_NE(failed.error().message().find("'" + kTopic + "'"), std::string::npos) << failed.error().message();
  }
  // Through an Admin: replication factor 3 on a one-broker cluster, and a whole call timing out
  // (whose message does not name the topic, so the rule adds it).
  FakeAdmin small(1);
  auto too_few_brokers = AcceptInternalTopicOutcome(kTopic, CreateThrough(small));
  ASSERT_FALSE(too_few_brokers.ok());
  EXPECT_EQ(too_few_brokers.error().kafka_err(), RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR);
  small.FailNextCall(FakeAdmin::Op::kCreateTopics, Error::Timeout("CreateTopics: no answer within 60000 ms"));
  auto timed_out = AcceptInternalTopicOutcome(kTopic, CreateThrough(small));
  ASSERT_FALSE(timed_out.ok());
  EXPECT_EQ(timed_out.error().code(), ErrorCode::kTimeout);
  EXPECT_TRUE(timed_out.error().retriable());
  EXPECT_EQ(timed_out.error().message(),
            "internal topic 'mm2-offset-syncs.B.internal': CreateTopics: no answer within 60000 ms");
}

class NoopContext : public ConnectorContext {
 public:
  void RequestTaskReconfiguration() override {}
  void RaiseError(const Error& error) override { ADD_FAILURE() << error.ToString(); }
};

// Real failures through each connector's Start: the mock's CreateTopics never answers.
class MirrorInternalTopicOnMockTest : public testing::TwoClustersTest {
 protected:
  Properties Config() {
    return {{"name", "m"},
            {"source.cluster.alias", "A"},
            {"target.cluster.alias", "B"},
            {"source.cluster.bootstrap.servers", source().bootstrap_servers()},
            {"target.cluster.bootstrap.servers", target().bootstrap_servers()},
            {"admin.timeout.ms", "300"},
            {"groups", "g1"},  // listed groups would need ListGroups, which leaks on the mock
            {"refresh.topics.enabled", "false"},
            {"refresh.groups.enabled", "false"},
            {"sync.topic.configs.enabled", "false"},
            {"sync.topic.acls.enabled", "false"}};
  }

  // Start's error, which must name `topic`.
  void ExpectStartFailsNaming(Connector& connector, const std::string& topic) {
    NoopContext context;
    auto started = connector.Start(Config(), context);
    connector.Stop();
    ASSERT_FALSE(started.ok()) << "the mock cannot create '" << topic << "'";
    EXPECT_NE(started.error().message().find("'" + topic + "'"), std::string::npos) << started.error().ToString();
  }
};

TEST_F(MirrorInternalTopicOnMockTest, AnInternalTopicThatCannotBeCreatedFailsEachConnectorNamingIt) {
  MirrorSourceConnector source_connector;
  ExpectStartFailsNaming(source_connector, "mm2-offset-syncs.B.internal");
  MirrorCheckpointConnector checkpoint_connector;
  ExpectStartFailsNaming(checkpoint_connector, "A.checkpoints.internal");
  MirrorHeartbeatConnector heartbeat_connector;
  ExpectStartFailsNaming(heartbeat_connector, "heartbeats");
}

}  // namespace
}  // namespace ferry::connectors
