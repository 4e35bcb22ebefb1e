// Tests for connectors/replication_policy.h. Expected names follow MM2's DefaultReplicationPolicy and
// IdentityReplicationPolicy, so a Ferry mirror and an MM2 mirror agree.
#include "connectors/replication_policy.h"

#include <memory>
#include <optional>
#include <string>

#include <gtest/gtest.h>

using ferry::ErrorCode;
using ferry::Properties;
using ferry::connectors::DefaultReplicationPolicy;
using ferry::connectors::IdentityReplicationPolicy;
using ferry::connectors::MakeReplicationPolicy;
using ferry::connectors::ReplicationPolicy;

namespace {

// What TopicSource and UpstreamTopic answer for a local (not remote) topic.
constexpr std::nullopt_t kLocal = std::nullopt;

// Builds a policy that must be valid; fails the test (and returns null) otherwise.
std::shared_ptr<const ReplicationPolicy> MustMake(const Properties& props) {
  auto result = MakeReplicationPolicy(props);
  EXPECT_TRUE(result.ok()) << result.error().ToString();
  return result.ok() ? *result : nullptr;
}

// The message of the InvalidConfig error MakeReplicationPolicy must return for `props`.
std::string InvalidConfigMessage(const Properties& props) {
  auto result = MakeReplicationPolicy(props);
  if (result.ok()) {
    ADD_FAILURE() << "expected an error";
    return "";
  }
  EXPECT_EQ(result.error().code(), ErrorCode::kInvalidConfig);
  EXPECT_FALSE(result.error().retriable());
  return result.error().message();
}

}  // namespace

// --- DefaultReplicationPolicy: remote topic names ---

TEST(DefaultReplicationPolicyTest, FormatsSourceAliasSeparatorTopic) {
  DefaultReplicationPolicy policy;
  EXPECT_EQ(policy.FormatRemoteTopic("us-west", "orders"), "us-west.orders");
  EXPECT_EQ(policy.FormatRemoteTopic("A", policy.FormatRemoteTopic("B", "orders")), "A.B.orders");
}

TEST(DefaultReplicationPolicyTest, LocalTopicHasNoSourceOrUpstream) {
  DefaultReplicationPolicy policy;
  EXPECT_EQ(policy.TopicSource("orders"), kLocal);
  EXPECT_EQ(policy.UpstreamTopic("orders"), kLocal);
  EXPECT_EQ(policy.OriginalTopic("orders"), "orders");
}

TEST(DefaultReplicationPolicyTest, ParsesRemoteTopic) {
  DefaultReplicationPolicy policy;
  EXPECT_EQ(policy.TopicSource("us-west.orders"), "us-west");
  EXPECT_EQ(policy.UpstreamTopic("us-west.orders"), "orders");
  EXPECT_EQ(policy.OriginalTopic("us-west.orders"), "orders");
}

TEST(DefaultReplicationPolicyTest, MultiHopNamesStackAndUnwind) {
  DefaultReplicationPolicy policy;
  // A -> B -> C: C holds `B.A.orders`.
  const std::string on_c = policy.FormatRemoteTopic("B", policy.FormatRemoteTopic("A", "orders"));
  EXPECT_EQ(on_c, "B.A.orders");
  EXPECT_EQ(policy.TopicSource(on_c), "B");
  EXPECT_EQ(policy.UpstreamTopic(on_c), "A.orders");
  EXPECT_EQ(policy.TopicSource("A.orders"), "A");
  EXPECT_EQ(policy.OriginalTopic(on_c), "orders");
}

TEST(DefaultReplicationPolicyTest, AlreadyRemoteNameIsWalkedOneHopAtATime) {
  DefaultReplicationPolicy policy;
  EXPECT_EQ(policy.TopicSource("A.B.topic"), "A");
  EXPECT_EQ(policy.UpstreamTopic("A.B.topic"), "B.topic");
  EXPECT_EQ(policy.OriginalTopic("A.B.topic"), "topic");
}

// MM2's gotcha: a local topic whose name holds the separator looks remote.
TEST(DefaultReplicationPolicyTest, LocalNameWithSeparatorIsParsedAsRemote) {
  DefaultReplicationPolicy policy;
  EXPECT_EQ(policy.TopicSource("orders.v1"), "orders");
  EXPECT_EQ(policy.UpstreamTopic("orders.v1"), "v1");
  EXPECT_EQ(policy.OriginalTopic("orders.v1"), "v1");
  // Mirrored once, it still loses the prefix as if `orders` were a cluster.
  EXPECT_EQ(policy.FormatRemoteTopic("A", "orders.v1"), "A.orders.v1");
  EXPECT_EQ(policy.UpstreamTopic("A.orders.v1"), "orders.v1");
  EXPECT_EQ(policy.OriginalTopic("A.orders.v1"), "v1");
}

TEST(DefaultReplicationPolicyTest, EmptyAndSeparatorOnlyNamesAreLocal) {
  DefaultReplicationPolicy policy;
  EXPECT_EQ(policy.TopicSource(""), kLocal);
  EXPECT_EQ(policy.UpstreamTopic(""), kLocal);
  EXPECT_EQ(policy.OriginalTopic(""), "");
  EXPECT_EQ(policy.TopicSource("."), kLocal);
  EXPECT_EQ(policy.TopicSource("..."), kLocal);
}

// Java's String.split drops trailing empty parts but keeps a leading one; MM2 inherits both.
TEST(DefaultReplicationPolicyTest, SplitEdgesMatchJava) {
  DefaultReplicationPolicy policy;
  EXPECT_EQ(policy.TopicSource("orders."), kLocal);
  EXPECT_EQ(policy.UpstreamTopic("orders."), kLocal);
  EXPECT_EQ(policy.TopicSource("orders.."), kLocal);
  EXPECT_EQ(policy.OriginalTopic("orders.."), "orders..");

  EXPECT_EQ(policy.TopicSource(".orders"), "");
  EXPECT_EQ(policy.UpstreamTopic(".orders"), "orders");
  EXPECT_EQ(policy.OriginalTopic(".orders"), "orders");

  EXPECT_EQ(policy.TopicSource("A..orders"), "A");
  EXPECT_EQ(policy.UpstreamTopic("A..orders"), ".orders");
  EXPECT_EQ(policy.OriginalTopic("A..orders"), "orders");

  EXPECT_EQ(policy.TopicSource("A.orders."), "A");
  EXPECT_EQ(policy.UpstreamTopic("A.orders."), "orders.");
  EXPECT_EQ(policy.OriginalTopic("A.orders."), "orders.");
}

// --- DefaultReplicationPolicy: custom separators ---

TEST(DefaultReplicationPolicyTest, UnderscoreSeparator) {
  DefaultReplicationPolicy policy("_");
  EXPECT_EQ(policy.FormatRemoteTopic("us-west", "orders"), "us-west_orders");
  EXPECT_EQ(policy.TopicSource("us-west_orders"), "us-west");
  EXPECT_EQ(policy.UpstreamTopic("us-west_orders"), "orders");
  EXPECT_EQ(policy.OriginalTopic("B_A_orders"), "orders");
  // Dots are ordinary characters now.
  EXPECT_EQ(policy.TopicSource("us-west.orders"), kLocal);
  EXPECT_EQ(policy.OriginalTopic("us-west.orders"), "us-west.orders");
  EXPECT_EQ(policy.TopicSource("A_orders.v1"), "A");
  EXPECT_EQ(policy.UpstreamTopic("A_orders.v1"), "orders.v1");
  EXPECT_EQ(policy.OriginalTopic("A_orders.v1"), "orders.v1");
}

TEST(DefaultReplicationPolicyTest, SeparatorInsideNames) {
  DefaultReplicationPolicy policy("_");
  // An alias or topic holding the separator cannot be told apart: the first `_` wins.
  const std::string remote = policy.FormatRemoteTopic("us_west", "my_orders");
  EXPECT_EQ(remote, "us_west_my_orders");
  EXPECT_EQ(policy.TopicSource(remote), "us");
  EXPECT_EQ(policy.UpstreamTopic(remote), "west_my_orders");
  EXPECT_EQ(policy.OriginalTopic(remote), "orders");
}

TEST(DefaultReplicationPolicyTest, MultiCharSeparator) {
  DefaultReplicationPolicy policy("__");
  EXPECT_EQ(policy.FormatRemoteTopic("A", "orders"), "A__orders");
  EXPECT_EQ(policy.TopicSource("A__B__orders"), "A");
  EXPECT_EQ(policy.UpstreamTopic("A__B__orders"), "B__orders");
  EXPECT_EQ(policy.OriginalTopic("A__B__orders"), "orders");
  // A single underscore is not a separator.
  EXPECT_EQ(policy.TopicSource("my_orders"), kLocal);
  EXPECT_EQ(policy.UpstreamTopic("A__my_orders"), "my_orders");
  EXPECT_EQ(policy.OriginalTopic("A__my_orders"), "my_orders");
  // The separator is matched left to right without overlap: `A___x` is `A` + `__` + `_x`.
  EXPECT_EQ(policy.TopicSource("A___x"), "A");
  EXPECT_EQ(policy.UpstreamTopic("A___x"), "_x");
  EXPECT_EQ(policy.TopicSource("A___"), "A");
  EXPECT_EQ(policy.UpstreamTopic("A___"), "_");
  EXPECT_EQ(policy.TopicSource("A____"), kLocal);
  EXPECT_EQ(policy.TopicSource("A__"), kLocal);
}

TEST(DefaultReplicationPolicyTest, SeparatorIsLiteralNotRegex) {
  DefaultReplicationPolicy dot(".");
  EXPECT_EQ(dot.TopicSource("AxB"), kLocal);  // a regex `.` would match any character

  DefaultReplicationPolicy plus("+");
  EXPECT_EQ(plus.TopicSource("A+orders"), "A");
  EXPECT_EQ(plus.UpstreamTopic("A+orders"), "orders");

  DefaultReplicationPolicy dot_star(".*");
  EXPECT_EQ(dot_star.FormatRemoteTopic("A", "orders"), "A.*orders");
  EXPECT_EQ(dot_star.TopicSource("A.*orders"), "A");
  EXPECT_EQ(dot_star.UpstreamTopic("A.*orders"), "orders");
  EXPECT_EQ(dot_star.TopicSource("A.orders"), kLocal);
  EXPECT_EQ(dot_star.TopicSource("Aorders"), kLocal);
}

// An empty separator is a programming error here; config input is checked by MakeReplicationPolicy.
TEST(DefaultReplicationPolicyDeathTest, EmptySeparatorCrashes) {
  EXPECT_DEATH(DefaultReplicationPolicy(""), "separator must not be empty");
  EXPECT_DEATH(IdentityReplicationPolicy("A", ""), "separator must not be empty");
}

// --- DefaultReplicationPolicy: heartbeats ---

TEST(DefaultReplicationPolicyTest, HeartbeatsTopics) {
  DefaultReplicationPolicy policy;
  EXPECT_EQ(policy.HeartbeatsTopic(), "heartbeats");
  EXPECT_TRUE(policy.IsHeartbeatsTopic("heartbeats"));
  EXPECT_TRUE(policy.IsHeartbeatsTopic("A.heartbeats"));
  EXPECT_TRUE(policy.IsHeartbeatsTopic("B.A.heartbeats"));
  EXPECT_FALSE(policy.IsHeartbeatsTopic("orders"));
  EXPECT_FALSE(policy.IsHeartbeatsTopic("myheartbeats"));
  EXPECT_FALSE(policy.IsHeartbeatsTopic("A.myheartbeats"));
  EXPECT_FALSE(policy.IsHeartbeatsTopic("heartbeats.v2"));  // original is `v2`
  EXPECT_FALSE(policy.IsHeartbeatsTopic("A_heartbeats"));   // `_` is not the separator here
}

TEST(DefaultReplicationPolicyTest, HeartbeatsNameIgnoresSeparator) {
  DefaultReplicationPolicy policy("_");
  EXPECT_EQ(policy.HeartbeatsTopic(), "heartbeats");
  EXPECT_EQ(policy.FormatRemoteTopic("A", "heartbeats"), "A_heartbeats");
  EXPECT_TRUE(policy.IsHeartbeatsTopic("A_heartbeats"));
  EXPECT_TRUE(policy.IsHeartbeatsTopic("B_A_heartbeats"));
  EXPECT_FALSE(policy.IsHeartbeatsTopic("A.heartbeats"));
}

// --- Internal topic names ---

TEST(DefaultReplicationPolicyTest, InternalTopicNamesWithDot) {
  DefaultReplicationPolicy policy;
  EXPECT_EQ(policy.CheckpointsTopic("A"), "A.checkpoints.internal");
  EXPECT_EQ(policy.OffsetSyncsTopic("B"), "mm2-offset-syncs.B.internal");
  EXPECT_TRUE(policy.IsCheckpointsTopic("A.checkpoints.internal"));
  EXPECT_TRUE(policy.IsCheckpointsTopic("B.A.checkpoints.internal"));
  EXPECT_FALSE(policy.IsCheckpointsTopic("checkpoints.internal"));
  EXPECT_FALSE(policy.IsCheckpointsTopic("mm2-offset-syncs.B.internal"));
  EXPECT_FALSE(policy.IsCheckpointsTopic("A.checkpoints"));
  EXPECT_TRUE(policy.IsMM2InternalTopic("A.checkpoints.internal"));
  EXPECT_TRUE(policy.IsMM2InternalTopic("mm2-offset-syncs.B.internal"));
  EXPECT_TRUE(policy.IsMM2InternalTopic("mm2-configs.A.internal"));
  EXPECT_FALSE(policy.IsMM2InternalTopic("internal"));
  EXPECT_FALSE(policy.IsMM2InternalTopic("orders"));
  EXPECT_FALSE(policy.IsMM2InternalTopic("A.internal.orders"));
}

TEST(DefaultReplicationPolicyTest, InternalTopicNamesUseCustomSeparatorWhenEnabled) {
  DefaultReplicationPolicy policy("_", /*internal_separator_enabled=*/true);
  EXPECT_EQ(policy.CheckpointsTopic("A"), "A_checkpoints_internal");
  EXPECT_EQ(policy.OffsetSyncsTopic("B"), "mm2-offset-syncs_B_internal");
  EXPECT_TRUE(policy.IsCheckpointsTopic("A_checkpoints_internal"));
  EXPECT_FALSE(policy.IsCheckpointsTopic("A.checkpoints.internal"));
  EXPECT_TRUE(policy.IsMM2InternalTopic("mm2-offset-syncs_B_internal"));
  EXPECT_FALSE(policy.IsMM2InternalTopic("mm2-offset-syncs.B.internal"));
}

TEST(DefaultReplicationPolicyTest, InternalTopicNamesKeepDotWhenDisabled) {
  DefaultReplicationPolicy policy("_", /*internal_separator_enabled=*/false);
  EXPECT_EQ(policy.CheckpointsTopic("A"), "A.checkpoints.internal");
  EXPECT_EQ(policy.OffsetSyncsTopic("B"), "mm2-offset-syncs.B.internal");
  EXPECT_TRUE(policy.IsCheckpointsTopic("A.checkpoints.internal"));
  EXPECT_FALSE(policy.IsCheckpointsTopic("A_checkpoints_internal"));
  EXPECT_TRUE(policy.IsMM2InternalTopic("mm2-offset-syncs.B.internal"));
  EXPECT_FALSE(policy.IsMM2InternalTopic("mm2-offset-syncs_B_internal"));
  // Remote topics still use the custom separator.
  EXPECT_EQ(policy.FormatRemoteTopic("A", "orders"), "A_orders");
}

TEST(DefaultReplicationPolicyTest, InternalTopicNamesWithMultiCharSeparator) {
  DefaultReplicationPolicy enabled("__", true);
  EXPECT_EQ(enabled.CheckpointsTopic("A"), "A__checkpoints__internal");
  EXPECT_EQ(enabled.OffsetSyncsTopic("B"), "mm2-offset-syncs__B__internal");
  EXPECT_TRUE(enabled.IsCheckpointsTopic("A__checkpoints__internal"));
  EXPECT_FALSE(enabled.IsCheckpointsTopic("A_checkpoints_internal"));

  DefaultReplicationPolicy disabled("__", false);
  EXPECT_EQ(disabled.CheckpointsTopic("A"), "A.checkpoints.internal");
  EXPECT_EQ(disabled.OffsetSyncsTopic("B"), "mm2-offset-syncs.B.internal");
}

TEST(DefaultReplicationPolicyTest, IsInternalTopic) {
  DefaultReplicationPolicy policy;
  EXPECT_TRUE(policy.IsInternalTopic("__consumer_offsets"));
  EXPECT_TRUE(policy.IsInternalTopic("__transaction_state"));
  EXPECT_TRUE(policy.IsInternalTopic(".hidden"));
  EXPECT_TRUE(policy.IsInternalTopic("connect-configs-internal"));
  EXPECT_TRUE(policy.IsInternalTopic("mm2-configs.A.internal"));
  EXPECT_TRUE(policy.IsInternalTopic("A.checkpoints.internal"));
  EXPECT_TRUE(policy.IsInternalTopic("mm2-offset-syncs.B.internal"));
  EXPECT_FALSE(policy.IsInternalTopic("orders"));
  EXPECT_FALSE(policy.IsInternalTopic("internal"));
  EXPECT_FALSE(policy.IsInternalTopic("_orders"));
  EXPECT_FALSE(policy.IsInternalTopic("orders_internal"));
  EXPECT_FALSE(policy.IsInternalTopic("orders-internal-v2"));
  EXPECT_FALSE(policy.IsInternalTopic("A.internal.orders"));
  EXPECT_FALSE(policy.IsInternalTopic("heartbeats"));
}

TEST(DefaultReplicationPolicyTest, IsInternalTopicWithCustomSeparator) {
  DefaultReplicationPolicy enabled("_", true);
  EXPECT_TRUE(enabled.IsInternalTopic("A_checkpoints_internal"));
  EXPECT_TRUE(enabled.IsInternalTopic("orders_internal"));  // MM2-internal by suffix
  EXPECT_TRUE(enabled.IsInternalTopic("A.checkpoints.internal"));  // still `.internal`
  EXPECT_FALSE(enabled.IsInternalTopic("A_orders"));

  DefaultReplicationPolicy disabled("_", false);
  EXPECT_FALSE(disabled.IsInternalTopic("orders_internal"));
  EXPECT_TRUE(disabled.IsInternalTopic("A.checkpoints.internal"));
}

// --- IdentityReplicationPolicy ---

TEST(IdentityReplicationPolicyTest, KeepsTopicNames) {
  IdentityReplicationPolicy policy("us-west");
  EXPECT_EQ(policy.FormatRemoteTopic("us-west", "orders"), "orders");
  EXPECT_EQ(policy.FormatRemoteTopic("us-west", "B.orders"), "B.orders");
  EXPECT_EQ(policy.FormatRemoteTopic("us-west", "orders.v1"), "orders.v1");
}

TEST(IdentityReplicationPolicyTest, TopicSourceIsConfiguredAlias) {
  IdentityReplicationPolicy with_alias("us-west");
  EXPECT_EQ(with_alias.TopicSource("orders"), "us-west");
  EXPECT_EQ(with_alias.TopicSource("east.orders"), "us-west");

  IdentityReplicationPolicy without_alias(std::nullopt);
  EXPECT_EQ(without_alias.TopicSource("orders"), kLocal);
  EXPECT_EQ(without_alias.TopicSource("east.orders"), kLocal);
}

TEST(IdentityReplicationPolicyTest, UpstreamTopicIsTheTopicItself) {
  IdentityReplicationPolicy policy("us-west");
  EXPECT_EQ(policy.UpstreamTopic("orders"), "orders");
  EXPECT_EQ(policy.UpstreamTopic("orders.v1"), "orders.v1");
  EXPECT_EQ(policy.UpstreamTopic("B.A.orders"), "B.A.orders");
}

TEST(IdentityReplicationPolicyTest, OriginalTopicTerminates) {
  IdentityReplicationPolicy policy("us-west");
  EXPECT_EQ(policy.OriginalTopic("orders"), "orders");
  EXPECT_EQ(policy.OriginalTopic("orders.v1"), "orders.v1");
  EXPECT_EQ(policy.OriginalTopic("B.A.orders"), "B.A.orders");
  EXPECT_EQ(policy.OriginalTopic(""), "");
  IdentityReplicationPolicy without_alias(std::nullopt);
  EXPECT_EQ(without_alias.OriginalTopic("orders"), "orders");
}

TEST(IdentityReplicationPolicyTest, HeartbeatsFollowDefaultRule) {
  IdentityReplicationPolicy policy("us-west");
  EXPECT_EQ(policy.FormatRemoteTopic("A", "heartbeats"), "A.heartbeats");
  EXPECT_EQ(policy.FormatRemoteTopic("B", "A.heartbeats"), "B.A.heartbeats");
  EXPECT_EQ(policy.TopicSource("heartbeats"), kLocal);
  EXPECT_EQ(policy.UpstreamTopic("heartbeats"), kLocal);
  EXPECT_EQ(policy.TopicSource("A.heartbeats"), "A");  // not the configured alias
  EXPECT_EQ(policy.UpstreamTopic("A.heartbeats"), "heartbeats");
  EXPECT_EQ(policy.TopicSource("B.A.heartbeats"), "B");
  EXPECT_EQ(policy.UpstreamTopic("B.A.heartbeats"), "A.heartbeats");
  EXPECT_EQ(policy.OriginalTopic("B.A.heartbeats"), "heartbeats");
}

// MM2 tests the suffix only, so any name ending in `heartbeats` takes the default rule.
TEST(IdentityReplicationPolicyTest, HeartbeatsMatchedBySuffix) {
  IdentityReplicationPolicy policy("us-west");
  EXPECT_EQ(policy.FormatRemoteTopic("A", "myheartbeats"), "A.myheartbeats");
  EXPECT_EQ(policy.TopicSource("myheartbeats"), kLocal);
  EXPECT_EQ(policy.UpstreamTopic("myheartbeats"), kLocal);
  EXPECT_EQ(policy.TopicSource("A.myheartbeats"), "A");
  EXPECT_FALSE(policy.IsHeartbeatsTopic("myheartbeats"));
  EXPECT_FALSE(policy.IsHeartbeatsTopic("A.myheartbeats"));
  // Not a suffix match: identity rule.
  EXPECT_EQ(policy.FormatRemoteTopic("A", "heartbeats.v2"), "heartbeats.v2");
  EXPECT_EQ(policy.TopicSource("heartbeats.v2"), "us-west");
}

TEST(IdentityReplicationPolicyTest, IsHeartbeatsTopic) {
  IdentityReplicationPolicy policy("us-west");
  EXPECT_EQ(policy.HeartbeatsTopic(), "heartbeats");
  EXPECT_TRUE(policy.IsHeartbeatsTopic("heartbeats"));
  EXPECT_TRUE(policy.IsHeartbeatsTopic("A.heartbeats"));
  EXPECT_TRUE(policy.IsHeartbeatsTopic("B.A.heartbeats"));
  EXPECT_FALSE(policy.IsHeartbeatsTopic("orders"));
  EXPECT_FALSE(policy.IsHeartbeatsTopic("heartbeats.v2"));
}

TEST(IdentityReplicationPolicyTest, HeartbeatsUseCustomSeparator) {
  IdentityReplicationPolicy policy("us-west", "_");
  EXPECT_EQ(policy.FormatRemoteTopic("A", "heartbeats"), "A_heartbeats");
  EXPECT_EQ(policy.FormatRemoteTopic("A", "orders"), "orders");
  EXPECT_EQ(policy.TopicSource("A_heartbeats"), "A");
  EXPECT_EQ(policy.TopicSource("A.heartbeats"), kLocal);
  EXPECT_TRUE(policy.IsHeartbeatsTopic("B_A_heartbeats"));
  EXPECT_FALSE(policy.IsHeartbeatsTopic("A.heartbeats"));
}

TEST(IdentityReplicationPolicyTest, InternalTopicsAsDefault) {
  IdentityReplicationPolicy dot("us-west");
  EXPECT_EQ(dot.CheckpointsTopic("A"), "A.checkpoints.internal");
  EXPECT_EQ(dot.OffsetSyncsTopic("B"), "mm2-offset-syncs.B.internal");
  EXPECT_TRUE(dot.IsCheckpointsTopic("A.checkpoints.internal"));
  EXPECT_TRUE(dot.IsInternalTopic("__consumer_offsets"));
  EXPECT_FALSE(dot.IsInternalTopic("orders"));

  IdentityReplicationPolicy enabled("us-west", "_", true);
  EXPECT_EQ(enabled.CheckpointsTopic("A"), "A_checkpoints_internal");
  EXPECT_EQ(enabled.OffsetSyncsTopic("B"), "mm2-offset-syncs_B_internal");
  EXPECT_TRUE(enabled.IsMM2InternalTopic("mm2-offset-syncs_B_internal"));

  IdentityReplicationPolicy disabled("us-west", "_", false);
  EXPECT_EQ(disabled.CheckpointsTopic("A"), "A.checkpoints.internal");
  EXPECT_EQ(disabled.OffsetSyncsTopic("B"), "mm2-offset-syncs.B.internal");
  EXPECT_FALSE(disabled.IsMM2InternalTopic("mm2-offset-syncs_B_internal"));
}

// --- MakeReplicationPolicy ---

TEST(MakeReplicationPolicyTest, DefaultsToDefaultPolicyWithDot) {
  auto policy = MustMake({});
  ASSERT_NE(policy, nullptr);
  EXPECT_NE(dynamic_cast<const DefaultReplicationPolicy*>(policy.get()), nullptr);
  EXPECT_EQ(dynamic_cast<const IdentityReplicationPolicy*>(policy.get()), nullptr);
  EXPECT_EQ(policy->FormatRemoteTopic("A", "orders"), "A.orders");
  EXPECT_EQ(policy->TopicSource("A.orders"), "A");
  EXPECT_EQ(policy->CheckpointsTopic("A"), "A.checkpoints.internal");
  EXPECT_EQ(policy->OffsetSyncsTopic("B"), "mm2-offset-syncs.B.internal");
}

TEST(MakeReplicationPolicyTest, AcceptsFullAndSimpleDefaultClassNames) {
  for (const char* name : {"org.apache.kafka.connect.mirror.DefaultReplicationPolicy", "DefaultReplicationPolicy",
                           "  DefaultReplicationPolicy\t"}) {
    SCOPED_TRACE(name);
    auto policy = MustMake({{"replication.policy.class", name}});
    ASSERT_NE(policy, nullptr);
    EXPECT_EQ(dynamic_cast<const IdentityReplicationPolicy*>(policy.get()), nullptr);
    EXPECT_EQ(policy->FormatRemoteTopic("A", "orders"), "A.orders");
  }
}

TEST(MakeReplicationPolicyTest, AcceptsFullAndSimpleIdentityClassNames) {
  for (const char* name : {"org.apache.kafka.connect.mirror.IdentityReplicationPolicy",
                           "IdentityReplicationPolicy", " IdentityReplicationPolicy "}) {
    SCOPED_TRACE(name);
    auto policy = MustMake({{"replication.policy.class", name}, {"source.cluster.alias", "us-west"}});
    ASSERT_NE(policy, nullptr);
    EXPECT_NE(dynamic_cast<const IdentityReplicationPolicy*>(policy.get()), nullptr);
    EXPECT_EQ(policy->FormatRemoteTopic("A", "orders"), "orders");
    EXPECT_EQ(policy->FormatRemoteTopic("A", "heartbeats"), "A.heartbeats");
    EXPECT_EQ(policy->TopicSource("orders"), "us-west");
  }
}

TEST(MakeReplicationPolicyTest, IdentityWithoutAliasHasNoSource) {
  auto policy = MustMake({{"replication.policy.class", "IdentityReplicationPolicy"}});
  ASSERT_NE(policy, nullptr);
  EXPECT_EQ(policy->TopicSource("orders"), kLocal);
  EXPECT_EQ(policy->OriginalTopic("orders"), "orders");
}

TEST(MakeReplicationPolicyTest, DefaultIgnoresSourceClusterAlias) {
  auto policy = MustMake({{"source.cluster.alias", "us-west"}});
  ASSERT_NE(policy, nullptr);
  EXPECT_EQ(policy->TopicSource("orders"), kLocal);
  EXPECT_EQ(policy->FormatRemoteTopic("us-west", "orders"), "us-west.orders");
}

TEST(MakeReplicationPolicyTest, CustomSeparatorAppliesToRemoteAndInternalTopics) {
  auto policy = MustMake({{"replication.policy.separator", "_"}});
  ASSERT_NE(policy, nullptr);
  EXPECT_EQ(policy->FormatRemoteTopic("A", "orders"), "A_orders");
  EXPECT_EQ(policy->TopicSource("A_orders"), "A");
  EXPECT_EQ(policy->CheckpointsTopic("A"), "A_checkpoints_internal");
  EXPECT_EQ(policy->OffsetSyncsTopic("B"), "mm2-offset-syncs_B_internal");
}

TEST(MakeReplicationPolicyTest, MultiCharSeparatorIsKeptVerbatim) {
  auto policy = MustMake({{"replication.policy.class", "IdentityReplicationPolicy"},
                          {"replication.policy.separator", "__"}});
  ASSERT_NE(policy, nullptr);
  EXPECT_EQ(policy->FormatRemoteTopic("A", "heartbeats"), "A__heartbeats");
  EXPECT_EQ(policy->CheckpointsTopic("A"), "A__checkpoints__internal");
}

TEST(MakeReplicationPolicyTest, InternalSeparatorCanBeDisabled) {
  for (const char* value : {"false", "FALSE", "False", " false "}) {
    SCOPED_TRACE(value);
    auto policy = MustMake({{"replication.policy.separator", "_"},
                            {"replication.policy.internal.topic.separator.enabled", value}});
    ASSERT_NE(policy, nullptr);
    EXPECT_EQ(policy->FormatRemoteTopic("A", "orders"), "A_orders");
    EXPECT_EQ(policy->CheckpointsTopic("A"), "A.checkpoints.internal");
    EXPECT_EQ(policy->OffsetSyncsTopic("B"), "mm2-offset-syncs.B.internal");
  }
}

TEST(MakeReplicationPolicyTest, InternalSeparatorEnabledAcceptsAnyCase) {
  for (const char* value : {"true", "TRUE", "True", "\ttrue\n"}) {
    SCOPED_TRACE(value);
    auto policy = MustMake({{"replication.policy.separator", "_"},
                            {"replication.policy.internal.topic.separator.enabled", value}});
    ASSERT_NE(policy, nullptr);
    EXPECT_EQ(policy->CheckpointsTopic("A"), "A_checkpoints_internal");
  }
}

TEST(MakeReplicationPolicyTest, UnknownClassIsInvalidConfig) {
  EXPECT_EQ(InvalidConfigMessage({{"replication.policy.class", "com.example.MyPolicy"}}),
            "invalid value for 'replication.policy.class': unknown replication policy class "
            "'com.example.MyPolicy'; Ferry supports DefaultReplicationPolicy and IdentityReplicationPolicy");
  // Java class names are case-sensitive, and the package must be MM2's.
  for (const char* name : {"defaultreplicationpolicy", "org.apache.kafka.connect.mirror.Foo",
                           "com.example.DefaultReplicationPolicy", "DefaultReplicationPolicy.class", ""}) {
    SCOPED_TRACE(name);
    const std::string message = InvalidConfigMessage({{"replication.policy.class", name}});
    EXPECT_NE(message.find("'replication.policy.class'"), std::string::npos) << message;
    EXPECT_NE(message.find("class '" + std::string(name) + "'"), std::string::npos) << message;
  }
}

TEST(MakeReplicationPolicyTest, EmptySeparatorIsInvalidConfig) {
  EXPECT_EQ(InvalidConfigMessage({{"replication.policy.separator", ""}}),
            "invalid value for 'replication.policy.separator': must not be empty");
  EXPECT_EQ(InvalidConfigMessage({{"replication.policy.class", "IdentityReplicationPolicy"},
                                  {"replication.policy.separator", ""}}),
            "invalid value for 'replication.policy.separator': must not be empty");
}

TEST(MakeReplicationPolicyTest, BadBooleanIsInvalidConfig) {
  EXPECT_EQ(InvalidConfigMessage({{"replication.policy.internal.topic.separator.enabled", "yes"}}),
            "invalid value for 'replication.policy.internal.topic.separator.enabled': "
            "expected true or false, got 'yes'");
  for (const char* value : {"", " ", "1", "0", "tru", "falsey", "on", "t"}) {
    SCOPED_TRACE(value);
    const std::string message =
        InvalidConfigMessage({{"replication.policy.internal.topic.separator.enabled", value}});
    EXPECT_NE(message.find("'replication.policy.internal.topic.separator.enabled'"), std::string::npos)
        << message;
  }
}

TEST(MakeReplicationPolicyTest, PolicyIsUsableThroughTheBaseInterface) {
  auto policy = MustMake({{"replication.policy.class", "DefaultReplicationPolicy"}});
  ASSERT_NE(policy, nullptr);
  const ReplicationPolicy& base = *policy;
  EXPECT_EQ(base.OriginalTopic("B.A.orders"), "orders");
  EXPECT_TRUE(base.IsHeartbeatsTopic("A.heartbeats"));
  EXPECT_TRUE(base.IsInternalTopic("A.checkpoints.internal"));
}
