// The deprecated `topics.blacklist` and `groups.blacklist` aliases take effect in the connectors as
// in MM2 3.x: alone they replace `topics.exclude` / `groups.exclude` (defaults included), next to the
// new key they are ignored, and task configs carry only the new key. The connectors run against two
// mock clusters; the topics they would create are made beforehand (the mock has no CreateTopics).
#include <algorithm>

#include <gtest/gtest.h>

#include "connectors/mirror_checkpoint_connector.h"
#include "connectors/mirror_source_connector.h"
#include "connectors/mirror_task_keys.h"
#include "tests/support/two_clusters.h"

namespace ferry::connectors {
namespace {

class NoopContext : public ConnectorContext {
 public:
  void RequestTaskReconfiguration() override {}
  void RaiseError(const Error& error) override { ADD_FAILURE() << error.ToString(); }
};

class MirrorConnectorAliasesTest : public testing::TwoClustersTest {
 protected:
  void SetUp() override {
    TwoClustersTest::SetUp();
    ASSERT_TRUE(source().CreateTopic("orders", 2).ok());
    ASSERT_TRUE(source().CreateTopic("orders-old", 1).ok());
    ASSERT_TRUE(source().CreateTopic("mm2-offset-syncs.B.internal", 1).ok());
    ASSERT_TRUE(target().CreateTopic("A.orders", 2).ok());  // no A.orders-old: creating it would fail
    ASSERT_TRUE(target().CreateTopic("A.checkpoints.internal", 1).ok());
  }

  Properties Config(std::initializer_list<std::pair<const std::string, std::string>> extra) {
    Properties config = {{"name", "m"},
                         {"source.cluster.alias", "A"},
                         {"target.cluster.alias", "B"},
                         {"source.cluster.bootstrap.servers", source().bootstrap_servers()},
                         {"target.cluster.bootstrap.servers", target().bootstrap_servers()},
                         {"admin.timeout.ms", "5000"},
                         {"refresh.topics.enabled", "false"},
                         {"refresh.groups.enabled", "false"},
                         {"sync.topic.configs.enabled", "false"},
                         {"sync.topic.acls.enabled", "false"}};
    for (const auto& [k, v] : extra) config[k] = v;
    return config;
  }

  // The partitions of the source connector's task configs, and the configs.
  std::vector<TopicPartition> SourcePartitions(const Properties& config, std::vector<Properties>* tasks) {
    MirrorSourceConnector connector;
    NoopContext context;
    auto started = connector.Start(config, context);
    EXPECT_TRUE(started.ok()) << started.error().ToString();
    if (!started.ok()) return {};
    auto configs = connector.TaskConfigs(4);
    EXPECT_TRUE(configs.ok());
    std::vector<TopicPartition> partitions;
    for (const Properties& task : *configs) {
      auto parsed = ParseTopicPartitions(task.at(kTaskAssignedPartitions));
      EXPECT_TRUE(parsed.ok());
      partitions.insert(partitions.end(), parsed->begin(), parsed->end());
    }
    std::sort(partitions.begin(), partitions.end());
    *tasks = std::move(*configs);
    connector.Stop();
    return partitions;
  }

  // The groups of the checkpoint connector's task config (one task), and the config.
  std::string CheckpointGroups(const Properties& config, Properties* task) {
    MirrorCheckpointConnector connector;
    NoopContext context;
    auto started = connector.Start(config, context);
    EXPECT_TRUE(started.ok()) << started.error().ToString();
    if (!started.ok()) return "";
    auto configs = connector.TaskConfigs(1);
    EXPECT_TRUE(configs.ok());
    connector.Stop();
    if (!configs.ok() || configs->size() != 1) return "";
    *task = configs->front();
    return task->at(kTaskAssignedGroups);
  }
};

TEST_F(MirrorConnectorAliasesTest, SourceConnectorTopicsBlacklistStandsForTopicsExclude) {
  std::vector<Properties> tasks;
  const std::vector<TopicPartition> orders = {{"orders", 0}, {"orders", 1}};
  EXPECT_EQ(SourcePartitions(Config({{"topics.blacklist", "orders-old"}}), &tasks), orders);
  ASSERT_FALSE(tasks.empty());
  for (const Properties& task : tasks) {
    EXPECT_EQ(task.at("topics.exclude"), "orders-old") << "tasks see the new key";
    EXPECT_FALSE(task.contains("topics.blacklist"));
  }
  // With topics.exclude set too, the alias is ignored: `orders` (which it names) is still mirrored.
  EXPECT_EQ(SourcePartitions(Config({{"topics.exclude", "orders-old"}, {"topics.blacklist", "orders"}}), &tasks),
            orders);
  EXPECT_FALSE(tasks.front().contains("topics.blacklist"));
}

TEST_F(MirrorConnectorAliasesTest, CheckpointConnectorGroupsBlacklistStandsForGroupsExclude) {
  Properties task;
  // Alone, the alias replaces the whole default exclude list, so console-consumer-1 is selected too.
  EXPECT_EQ(CheckpointGroups(Config({{"groups", "g1, g2, console-consumer-1"}, {"groups.blacklist", "g2"},
                                     {"topics.blacklist", "orders-old"}}),
                             &task),
            "g1,console-consumer-1");
  EXPECT_EQ(task.at("groups.exclude"), "g2");
  EXPECT_EQ(task.at("topics.exclude"), "orders-old") << "the task's topic filter sees topics.blacklist";
  EXPECT_FALSE(task.contains("groups.blacklist"));
  EXPECT_FALSE(task.contains("topics.blacklist"));
  // Next to groups.exclude the alias is ignored.
  EXPECT_EQ(CheckpointGroups(Config({{"groups", "g1, g2"}, {"groups.exclude", "g1"}, {"groups.blacklist", "g2"}}),
                             &task),
            "g2");
}

}  // namespace
}  // namespace ferry::connectors
