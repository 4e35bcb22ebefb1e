// The checkpoint decisions, against FakeAdmin: the 2.0.2 mock cannot describe groups (it aborts the
// client), so whether a target group is active is only testable here. The end-to-end checkpoint path
// (offset syncs topic, group offsets, checkpoint records) runs on mock clusters in
// tests/e2e/connect_worker_test.cc.
#include "tasks/group_checkpointer.h"

#include <gtest/gtest.h>

#include "tests/fakes/fake_admin.h"

namespace ferry::tasks {
namespace {

using ferry::testing::FakeAdmin;

class GroupCheckpointerWithFakeAdminTest : public ::testing::Test {
 protected:
  void SetUp() override {
    source_.AddTopic("orders", 2);
    source_.AddTopic("B.returns", 1);  // came from the target cluster B
    source_.AddTopic("__consumer_offsets", 1);
    target_.AddTopic("A.orders", 2);
    target_.AddTopic("returns", 1);
  }

  GroupCheckpointer Make() {
    auto filter = connectors::RegexFilter::Make({".*"}, "topics", {}, "topics.exclude");
    return GroupCheckpointer(
        source_, target_,
        [this](const TopicPartition& tp, SourceOffset o) -> std::optional<TargetOffset> {
          if (tp.topic == "orders" && tp.partition == 0 && o.value <= 100) return TargetOffset(o.value + 7);
          if (tp.topic == "B.returns" && o.value <= 10) return TargetOffset(o.value);
          return std::nullopt;  // not replicated yet
        },
        std::make_shared<connectors::DefaultReplicationPolicy>(), "A", "B", std::move(*filter));
  }

  FakeAdmin source_;
  FakeAdmin target_;
};

TEST_F(GroupCheckpointerWithFakeAdminTest, TranslatesCommittedOffsetsAndRenamesTopicsAsMM2) {
  source_.SetGroup("app", kafka::GroupState::kEmpty, 0);
  source_.SetCommitted("app", {"orders", 0}, {40, "meta"});
  source_.SetCommitted("app", {"orders", 1}, {5, ""});  // not replicated: no checkpoint, no guess
  source_.SetCommitted("app", {"B.returns", 0}, {10, ""});
  auto checkpointer = Make();
  auto checkpoints = checkpointer.Checkpoints("app");
  ASSERT_TRUE(checkpoints.ok()) << checkpoints.error().ToString();
  ASSERT_EQ(checkpoints->size(), 2u);
  EXPECT_EQ((*checkpoints)[0], (Checkpoint{"app", "returns", 0, 10, 10, ""})) << "back to its original name";
  EXPECT_EQ((*checkpoints)[1], (Checkpoint{"app", "A.orders", 0, 40, 47, "meta"}));
}

TEST_F(GroupCheckpointerWithFakeAdminTest, OnlyChangedCheckpointsAreEmittedAgain) {
  source_.SetCommitted("app", {"orders", 0}, {40, ""});
  auto checkpointer = Make();
  EXPECT_EQ(checkpointer.ChangedCheckpoints("app")->size(), 1u);
  EXPECT_EQ(checkpointer.ChangedCheckpoints("app")->size(), 0u);
  source_.SetCommitted("app", {"orders", 0}, {41, ""});
  auto changed = checkpointer.ChangedCheckpoints("app");
  ASSERT_EQ(changed->size(), 1u);
  EXPECT_EQ((*changed)[0].downstream_offset, 48);
}

TEST_F(GroupCheckpointerWithFakeAdminTest, SyncWritesTranslatedOffsetsOnlyToAnInactiveGroupAndNeverBackwards) {
  source_.SetCommitted("app", {"orders", 0}, {40, ""});
  auto checkpointer = Make();
  auto checkpoints = *checkpointer.Checkpoints("app");

  target_.SetGroup("app", kafka::GroupState::kStable, 2);  // consumers already run on the target
  auto active = checkpointer.SyncGroupOffsets("app", checkpoints);
  ASSERT_TRUE(active.ok());
  EXPECT_TRUE(active->skipped_active);
  EXPECT_TRUE(target_.Committed("app").empty());

  // Consumers of Kafka's consumer protocol (KIP-848): DescribeGroups says Dead with no members, the
  // state from ListGroups says Stable; they own the group as much.
  target_.SetGroup("app", kafka::GroupState::kStable, -1);
  auto consumer_protocol = checkpointer.SyncGroupOffsets("app", checkpoints);
  ASSERT_TRUE(consumer_protocol.ok());
  EXPECT_TRUE(consumer_protocol->skipped_active);
  EXPECT_TRUE(target_.Committed("app").empty());

  target_.SetGroup("app", kafka::GroupState::kEmpty, 0);
  target_.SetCommitted("app", {"A.orders", 0}, {60, ""});  // the group moved on by itself
  auto behind = checkpointer.SyncGroupOffsets("app", checkpoints);
  ASSERT_TRUE(behind.ok());
  EXPECT_EQ(behind->partitions_skipped_behind, 1);
  EXPECT_EQ(target_.Committed("app").at({"A.orders", 0}).offset, 60);

  target_.SetCommitted("app", {"A.orders", 0}, {10, ""});
  auto written = checkpointer.SyncGroupOffsets("app", checkpoints);
  ASSERT_TRUE(written.ok()) << written.error().ToString();
  EXPECT_EQ(written->partitions_written, 1);
  EXPECT_EQ(target_.Committed("app").at({"A.orders", 0}).offset, 47);
}

TEST_F(GroupCheckpointerWithFakeAdminTest, AdminErrorsAreValues) {
  source_.FailNextCall(FakeAdmin::Op::kListTopics, Error::Timeout("metadata timed out"));
  auto checkpointer = Make();
  auto result = checkpointer.Checkpoints("app");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code(), ErrorCode::kTimeout);
}

}  // namespace
}  // namespace ferry::tasks
