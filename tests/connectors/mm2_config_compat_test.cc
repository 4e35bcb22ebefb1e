// Every MM2 3.9 connector config of ../shared/reference/mm2.md §2.1–2.4 is defined with MM2's default,
// and bad values get Kafka's validation messages.
#include <gtest/gtest.h>

#include "connectors/config_def.h"
#include "connectors/mirror_config.h"

namespace ferry::connectors {
namespace {

struct Expected {
  const char* key;
  std::optional<std::string> default_value;  // nullopt: required
};

void ExpectDefaults(const ConfigDef& def, const std::vector<Expected>& expected) {
  for (const Expected& e : expected) {
    const ConfigKey* key = def.Find(e.key);
    ASSERT_NE(key, nullptr) << e.key << " is not defined";
    EXPECT_EQ(key->default_value, e.default_value) << e.key;
  }
}

const std::vector<Expected> kCommon = {
    {"enabled", "true"},
    {"source.cluster.alias", std::nullopt},
    {"target.cluster.alias", "target"},
    {"admin.timeout.ms", "60000"},
    {"replication.policy.class", "org.apache.kafka.connect.mirror.DefaultReplicationPolicy"},
    {"replication.policy.separator", "."},
    {"replication.policy.internal.topic.separator.enabled", "true"},
    {"forwarding.admin.class", "org.apache.kafka.clients.admin.ForwardingAdmin"},
    {"auto.include.jmx.reporter", "true"},
};

TEST(Mm2ConfigCompatTest, SourceConnectorKeysAndDefaults) {
  ExpectDefaults(MirrorSourceConfigDef(), kCommon);
  ExpectDefaults(MirrorSourceConfigDef(),
                 {{"topics", ".*"},
                  {"topics.exclude", ".*[\\-\\.]internal, .*\\.replica, __.*"},
                  {"topic.filter.class", "org.apache.kafka.connect.mirror.DefaultTopicFilter"},
                  {"config.property.filter.class", "org.apache.kafka.connect.mirror.DefaultConfigPropertyFilter"},
                  {"consumer.poll.timeout.ms", "1000"},
                  {"refresh.topics.enabled", "true"},
                  {"refresh.topics.interval.seconds", "600"},
                  {"sync.topic.configs.enabled", "true"},
                  {"sync.topic.configs.interval.seconds", "600"},
                  {"use.incremental.alter.configs", "requested"},
                  {"sync.topic.acls.enabled", "true"},
                  {"sync.topic.acls.interval.seconds", "600"},
                  {"replication.factor", "2"},
                  {"offset-syncs.topic.replication.factor", "3"},
                  {"offset-syncs.topic.location", "source"},
                  {"offset.lag.max", "100"},
                  {"emit.offset-syncs.enabled", "true"},
                  {"add.source.alias.to.metrics", "false"}});
  const ConfigKey* exclude = MirrorSourceConfigDef().Find("config.properties.exclude");
  ASSERT_NE(exclude, nullptr);
  EXPECT_NE(exclude->default_value->find("min\\.insync\\.replicas"), std::string::npos);
}

TEST(Mm2ConfigCompatTest, CheckpointConnectorKeysAndDefaults) {
  ExpectDefaults(MirrorCheckpointConfigDef(), kCommon);
  ExpectDefaults(MirrorCheckpointConfigDef(),
                 {{"groups", ".*"},
                  {"groups.exclude", "console-consumer-.*, connect-.*, __.*"},
                  {"group.filter.class", "org.apache.kafka.connect.mirror.DefaultGroupFilter"},
                  {"topic.filter.class", "org.apache.kafka.connect.mirror.DefaultTopicFilter"},
                  {"consumer.poll.timeout.ms", "1000"},
                  {"refresh.groups.enabled", "true"},
                  {"refresh.groups.interval.seconds", "600"},
                  {"emit.checkpoints.enabled", "true"},
                  {"emit.checkpoints.interval.seconds", "60"},
                  {"sync.group.offsets.enabled", "false"},
                  {"sync.group.offsets.interval.seconds", "60"},
                  {"checkpoints.topic.replication.factor", "3"},
                  {"offset-syncs.topic.location", "source"}});
}

TEST(Mm2ConfigCompatTest, HeartbeatConnectorKeysAndDefaults) {
  ExpectDefaults(MirrorHeartbeatConfigDef(), kCommon);
  ExpectDefaults(MirrorHeartbeatConfigDef(), {{"emit.heartbeats.enabled", "true"},
                                              {"emit.heartbeats.interval.seconds", "1"},
                                              {"heartbeats.topic.replication.factor", "3"}});
}

TEST(Mm2ConfigCompatTest, BadValuesGetKafkasMessages) {
  const Properties bad = {{"source.cluster.alias", "A"},
                          {"refresh.topics.enabled", "yes"},
                          {"offset.lag.max", "many"},
                          {"offset-syncs.topic.location", "nowhere"},
                          {"topics", "orders("}};
  std::map<std::string, std::vector<std::string>> errors;
  for (const auto& v : MirrorSourceConfigDef().Validate(bad)) errors[v.name] = v.errors;
  EXPECT_EQ(errors["refresh.topics.enabled"],
            std::vector<std::string>{"Invalid value yes for configuration refresh.topics.enabled: Expected value to be either true or false"});
  EXPECT_EQ(errors["offset.lag.max"],
            std::vector<std::string>{"Invalid value many for configuration offset.lag.max: Not a number of type LONG"});
  ASSERT_EQ(errors["offset-syncs.topic.location"].size(), 1u);
  EXPECT_NE(errors["offset-syncs.topic.location"][0].find("String must be one of"), std::string::npos);
  ASSERT_EQ(errors["topics"].size(), 1u);
  EXPECT_TRUE(errors["source.cluster.alias"].empty());
}

}  // namespace
}  // namespace ferry::connectors
