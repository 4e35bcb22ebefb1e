// Topic ACL sync with MM2's mapping rules, run against FakeAdmin: the librdkafka 2.0.2 mock has no
// DescribeAcls or CreateAcls, so no test here claims a real broker stored an ACL.
#include "connectors/acl_sync.h"

#include <memory>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "connectors/replication_policy.h"
#include "tests/fakes/fake_admin.h"

namespace ferry::connectors {
namespace {

using kafka::AclBinding;
using kafka::AclOperation;
using kafka::AclPatternType;
using kafka::AclPermission;
using kafka::AclResourceType;
using testing::FakeAdmin;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

MirrorTopics FlowAToB(std::shared_ptr<const ReplicationPolicy> policy =
                          std::make_shared<DefaultReplicationPolicy>()) {
  MirrorTopics topics;
  topics.source_alias = "A";
  topics.policy = policy;
  topics.should_replicate = [policy](const std::string& topic) {
    return !policy->IsInternalTopic(topic) && topic != "secret-topic" &&
           policy->TopicSource(topic) != std::optional<std::string>("B");
  };
  return topics;
}

AclBinding Acl(std::string topic, AclOperation operation, AclPermission permission = AclPermission::kAllow,
               AclPatternType pattern = AclPatternType::kLiteral, std::string principal = "User:alice") {
  AclBinding acl;
  acl.resource_type = AclResourceType::kTopic;
  acl.resource_name = std::move(topic);
  acl.pattern_type = pattern;
  acl.principal = std::move(principal);
  acl.host = "*";
  acl.operation = operation;
  acl.permission = permission;
  return acl;
}

class AclSyncWithFakeAdminTest : public ::testing::Test {
 protected:
  SyncReport Sync() {
    auto report = SyncTopicAcls(source_, target_, topics_);
    CHECK(report.ok()) << report.error().ToString();
    return std::move(*report);
  }

  FakeAdmin source_;
  FakeAdmin target_;
  MirrorTopics topics_ = FlowAToB();
};

TEST_F(AclSyncWithFakeAdminTest, LiteralTopicAclIsCopiedToTheRemoteTopic) {
  source_.AddAcl(Acl("orders", AclOperation::kRead));
  source_.AddAcl(Acl("orders", AclOperation::kDescribe, AclPermission::kAllow, AclPatternType::kLiteral, "User:bob"));
  SyncReport report = Sync();
  const AclBinding read = Acl("A.orders", AclOperation::kRead);
  const AclBinding describe =
      Acl("A.orders", AclOperation::kDescribe, AclPermission::kAllow, AclPatternType::kLiteral, "User:bob");
  EXPECT_THAT(target_.Acls(), UnorderedElementsAre(read, describe));
  EXPECT_THAT(report.acls_created, UnorderedElementsAre(read, describe));
  EXPECT_TRUE(report.changed());
  EXPECT_THAT(report.ToString(), HasSubstr("created 2 ACL(s)"));
}

TEST_F(AclSyncWithFakeAdminTest, AllowWriteIsNotCopied) {
  source_.AddAcl(Acl("orders", AclOperation::kWrite));
  SyncReport report = Sync();
  EXPECT_THAT(target_.Acls(), IsEmpty());
  EXPECT_FALSE(report.changed());
  EXPECT_EQ(target_.Writes(), 0);
}

TEST_F(AclSyncWithFakeAdminTest, AllowAllBecomesAllowRead) {
  source_.AddAcl(Acl("orders", AclOperation::kAll));
  Sync();
  EXPECT_THAT(target_.Acls(), ElementsAre(Acl("A.orders", AclOperation::kRead)));
}

TEST_F(AclSyncWithFakeAdminTest, DenyAclsAreCopiedAsTheyAre) {
  source_.AddAcl(Acl("orders", AclOperation::kWrite, AclPermission::kDeny));
  source_.AddAcl(Acl("orders", AclOperation::kAll, AclPermission::kDeny));
  source_.AddAcl(Acl("orders", AclOperation::kRead, AclPermission::kDeny, AclPatternType::kLiteral, "User:mallory"));
  Sync();
  EXPECT_THAT(target_.Acls(), UnorderedElementsAre(Acl("A.orders", AclOperation::kWrite, AclPermission::kDeny),
                                                   Acl("A.orders", AclOperation::kAll, AclPermission::kDeny),
                                                   Acl("A.orders", AclOperation::kRead, AclPermission::kDeny,
                                                       AclPatternType::kLiteral, "User:mallory")));
}

TEST_F(AclSyncWithFakeAdminTest, PrefixedPatternsAreIgnored) {
  source_.AddAcl(Acl("ord", AclOperation::kRead, AclPermission::kAllow, AclPatternType::kPrefixed));
  source_.AddAcl(Acl("ord", AclOperation::kAll, AclPermission::kDeny, AclPatternType::kPrefixed));
  SyncReport report = Sync();
  EXPECT_THAT(target_.Acls(), IsEmpty());
  EXPECT_FALSE(report.changed());
}

TEST_F(AclSyncWithFakeAdminTest, GroupAclsAndUnselectedTopicsAreIgnored) {
  AclBinding group = Acl("my-group", AclOperation::kRead);
  group.resource_type = AclResourceType::kGroup;
  source_.AddAcl(group);
  source_.AddAcl(Acl("secret-topic", AclOperation::kRead));  // rejected by the topic filter
  source_.AddAcl(Acl("__consumer_offsets", AclOperation::kRead));  // internal
  source_.AddAcl(Acl("B.orders", AclOperation::kRead));  // came from the target: a cycle
  SyncReport report = Sync();
  EXPECT_THAT(target_.Acls(), IsEmpty());
  EXPECT_FALSE(report.changed());
}

TEST_F(AclSyncWithFakeAdminTest, SecondPassCreatesNothing) {
  source_.AddAcl(Acl("orders", AclOperation::kAll));
  source_.AddAcl(Acl("orders", AclOperation::kRead));  // maps to the same binding as ALLOW ALL
  source_.AddAcl(Acl("users", AclOperation::kWrite, AclPermission::kDeny));
  SyncReport first = Sync();
  EXPECT_EQ(first.acls_created.size(), 2u);
  const int writes = target_.Writes();

  SyncReport second = Sync();

  EXPECT_FALSE(second.changed());
  EXPECT_THAT(second.errors, IsEmpty());
  EXPECT_EQ(target_.Writes(), writes);
}

TEST_F(AclSyncWithFakeAdminTest, TargetAclsAreNeverRemoved) {
  const AclBinding own = Acl("A.orders", AclOperation::kWrite, AclPermission::kAllow, AclPatternType::kLiteral,
                             "User:mirror");
  target_.AddAcl(own);
  source_.AddAcl(Acl("orders", AclOperation::kRead));
  Sync();
  EXPECT_THAT(target_.Acls(), UnorderedElementsAre(own, Acl("A.orders", AclOperation::kRead)));
}

TEST_F(AclSyncWithFakeAdminTest, SourceWithoutAuthorizerIsUnsupported) {
  source_.SetAuthorizer(false);
  auto report = SyncTopicAcls(source_, target_, topics_);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.error().code(), ErrorCode::kUnsupported);
  EXPECT_EQ(report.error().kafka_err(), RD_KAFKA_RESP_ERR_SECURITY_DISABLED);
  EXPECT_THAT(report.error().message(), HasSubstr("describing source topic ACLs"));
  EXPECT_EQ(target_.Writes(), 0);
}

TEST_F(AclSyncWithFakeAdminTest, TargetWithoutAuthorizerFailsThePass) {
  source_.AddAcl(Acl("orders", AclOperation::kRead));
  target_.SetAuthorizer(false);
  auto report = SyncTopicAcls(source_, target_, topics_);
  ASSERT_FALSE(report.ok());
  EXPECT_THAT(report.error().message(), HasSubstr("describing target topic ACLs"));
}

TEST_F(AclSyncWithFakeAdminTest, RefusedAclIsNamedAndOthersAreCreated) {
  source_.AddAcl(Acl("orders", AclOperation::kRead));
  source_.AddAcl(Acl("users", AclOperation::kRead));
  target_.FailFor(FakeAdmin::Op::kCreateAcls, "A.orders",
                  kafka::AdminError("create ACL", RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED));

  SyncReport report = Sync();

  ASSERT_EQ(report.errors.size(), 1u);
  EXPECT_EQ(report.errors[0].code(), ErrorCode::kForbidden);
  EXPECT_THAT(report.errors[0].message(), HasSubstr("remote topic 'A.orders'"));
  EXPECT_THAT(report.errors[0].message(), HasSubstr("principal=User:alice"));
  EXPECT_THAT(report.acls_created, ElementsAre(Acl("A.users", AclOperation::kRead)));
  EXPECT_THAT(target_.Acls(), ElementsAre(Acl("A.users", AclOperation::kRead)));
}

TEST_F(AclSyncWithFakeAdminTest, WholeCreateCallFailureIsEachAclsError) {
  source_.AddAcl(Acl("orders", AclOperation::kRead));
  source_.AddAcl(Acl("users", AclOperation::kRead));
  target_.FailNextCall(FakeAdmin::Op::kCreateAcls, Error::Timeout("create 2 ACL(s): no answer"));
  SyncReport report = Sync();
  ASSERT_EQ(report.errors.size(), 2u);
  EXPECT_THAT(report.errors[0].message(), HasSubstr("'A.orders'"));
  EXPECT_THAT(report.errors[1].message(), HasSubstr("'A.users'"));
  EXPECT_EQ(Sync().acls_created.size(), 2u);  // the next pass catches up
}

TEST_F(AclSyncWithFakeAdminTest, IdentityPolicyKeepsTopicNames) {
  topics_ = FlowAToB(std::make_shared<IdentityReplicationPolicy>("A"));
  source_.AddAcl(Acl("orders", AclOperation::kAll));
  Sync();
  EXPECT_THAT(target_.Acls(), ElementsAre(Acl("orders", AclOperation::kRead)));
}

// --- The mapping alone ---

TEST(AclSyncMappingTest, FollowsMm2Rules) {
  const MirrorTopics topics = FlowAToB();
  struct Case {
    AclBinding source;
    std::optional<AclBinding> target;
  };
  const Case cases[] = {
      {Acl("orders", AclOperation::kRead), Acl("A.orders", AclOperation::kRead)},
      {Acl("orders", AclOperation::kDescribe), Acl("A.orders", AclOperation::kDescribe)},
      {Acl("orders", AclOperation::kAlterConfigs), Acl("A.orders", AclOperation::kAlterConfigs)},
      {Acl("orders", AclOperation::kAll), Acl("A.orders", AclOperation::kRead)},
      {Acl("orders", AclOperation::kWrite), std::nullopt},
      {Acl("orders", AclOperation::kWrite, AclPermission::kDeny),
       Acl("A.orders", AclOperation::kWrite, AclPermission::kDeny)},
      {Acl("orders", AclOperation::kAll, AclPermission::kDeny),
       Acl("A.orders", AclOperation::kAll, AclPermission::kDeny)},
      {Acl("ord", AclOperation::kRead, AclPermission::kAllow, AclPatternType::kPrefixed), std::nullopt},
      {Acl("__consumer_offsets", AclOperation::kRead), std::nullopt},
      // MM2 treats the literal wildcard as a topic name; with the default policy it names no real topic.
      {Acl("*", AclOperation::kRead), Acl("A.*", AclOperation::kRead)},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(TargetAclBinding(c.source, topics), c.target) << c.source.ToString();
  }
}

TEST(AclSyncMappingTest, KeepsPrincipalAndHost) {
  AclBinding source = Acl("orders", AclOperation::kAll, AclPermission::kAllow, AclPatternType::kLiteral, "User:carol");
  source.host = "10.0.0.7";
  auto target = TargetAclBinding(source, FlowAToB());
  ASSERT_TRUE(target.has_value());
  EXPECT_EQ(target->principal, "User:carol");
  EXPECT_EQ(target->host, "10.0.0.7");
  EXPECT_EQ(target->permission, AclPermission::kAllow);
  EXPECT_EQ(target->pattern_type, AclPatternType::kLiteral);
  EXPECT_EQ(target->ToString(),
            "(pattern=TOPIC:LITERAL:A.orders, principal=User:carol, host=10.0.0.7, operation=READ, permission=ALLOW)");
}

}  // namespace
}  // namespace ferry::connectors
