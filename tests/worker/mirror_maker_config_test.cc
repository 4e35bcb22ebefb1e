#include "worker/mirror_maker_config.h"

#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "connectors/config_def.h"
#include "connectors/mirror_config.h"
#include "connectors/registry.h"
#include "connectors/replication_policy.h"
#include "worker/properties.h"
#include "worker/worker_config.h"

namespace ferry::worker {
namespace {

constexpr char kSource[] = "MirrorSourceConnector";
constexpr char kCheckpoint[] = "MirrorCheckpointConnector";
constexpr char kHeartbeat[] = "MirrorHeartbeatConnector";
constexpr const char* kConnectorNames[] = {kSource, kCheckpoint, kHeartbeat};

Result<MirrorMakerPlan> Plan(std::string_view text, const std::vector<std::string>& clusters = {}) {
  Result<std::vector<PropertyLine>> lines = ParsePropertiesWithLines(text);
  CHECK(lines.ok()) << lines.error().ToString();
  return BuildMirrorMakerPlan(*lines, clusters);
}

MirrorMakerPlan PlanOk(std::string_view text, const std::vector<std::string>& clusters = {}) {
  Result<MirrorMakerPlan> plan = Plan(text, clusters);
  CHECK(plan.ok()) << plan.error().ToString();
  return std::move(plan).value();
}

std::vector<std::string> HerderNames(const MirrorMakerPlan& plan) {
  std::vector<std::string> names;
  for (const MirrorHerderPlan& herder : plan.herders) names.push_back(herder.Name());
  return names;
}

const MirrorHerderPlan& Herder(const MirrorMakerPlan& plan, const std::string& name) {
  for (const MirrorHerderPlan& herder : plan.herders) {
    if (herder.Name() == name) return herder;
  }
  CHECK(false) << "no herder " << name;
  return plan.herders.front();
}

std::string Get(const Properties& props, const std::string& key) {
  auto it = props.find(key);
  return it == props.end() ? "<absent>" : it->second;
}

// Every validation error of `config`, as the herder validates a connector config before writing it.
std::vector<std::string> ValidationErrors(const Properties& config) {
  const connectors::PluginDesc* plugin = connectors::Registry::Builtin().Find(config.at("connector.class"));
  if (plugin == nullptr) return {"no plugin " + config.at("connector.class")};
  auto connector = plugin->create();
  connectors::ConfigDef def = connector->Definition();
  def.Merge(connectors::ConnectorCommonConfigDef());
  const connectors::ConfigInfos infos =
      connectors::BuildConfigInfos(plugin->class_name, def, config, connector->ValidateAcrossKeys(config));
  std::vector<std::string> errors;
  for (const connectors::ConfigInfo& info : infos.configs) {
    if (!info.value) continue;
    for (const std::string& e : info.value->errors) errors.push_back(info.value->name + ": " + e);
  }
  return errors;
}

// Every connector config validates, and every worker config parses as Ferry's distributed worker's.
void ExpectRunnable(const MirrorMakerPlan& plan) {
  for (const MirrorHerderPlan& herder : plan.herders) {
    Result<WorkerConfig> worker = WorkerConfig::Parse(herder.worker, WorkerMode::kDistributed);
    EXPECT_TRUE(worker.ok()) << herder.Name() << ": " << worker.error().ToString();
    ASSERT_EQ(herder.connectors.size(), 3u);
    for (const auto& [name, config] : herder.connectors) {
      EXPECT_EQ(ValidationErrors(config), std::vector<std::string>()) << herder.Name() << " " << name;
    }
  }
}

constexpr char kTwoClusters[] = R"(clusters = A, B
A.bootstrap.servers = a:9092
B.bootstrap.servers = b:9092
A->B.enabled = true
)";

TEST(MirrorMakerConfigTest, TwoClustersGiveMM2sHerdersWorkersAndConnectors) {
  const MirrorMakerPlan plan = PlanOk(kTwoClusters);
  EXPECT_EQ(plan.clusters, (std::vector<std::string>{"A", "B"}));
  EXPECT_EQ(HerderNames(plan), (std::vector<std::string>{"A->B", "B->A"}));  // B->A: heartbeats only
  EXPECT_FALSE(plan.internal_rest);
  EXPECT_TRUE(plan.warnings.empty());

  const MirrorHerderPlan& ab = Herder(plan, "A->B");
  const Properties kWorker = {
      {"bootstrap.servers", "b:9092"},
      {"client.id", "A->B"},
      {"group.id", "A-mm2"},
      {"offset.storage.topic", "mm2-offsets.A.internal"},
      {"status.storage.topic", "mm2-status.A.internal"},
      {"config.storage.topic", "mm2-configs.A.internal"},
      {"key.converter", "org.apache.kafka.connect.converters.ByteArrayConverter"},
      {"value.converter", "org.apache.kafka.connect.converters.ByteArrayConverter"},
      {"header.converter", "org.apache.kafka.connect.converters.ByteArrayConverter"},
      {"producer.bootstrap.servers", "b:9092"},
      {"consumer.bootstrap.servers", "b:9092"},
      {"admin.bootstrap.servers", "b:9092"},
  };
  EXPECT_EQ(ab.worker, kWorker);

  const Properties kSourceConfig = {
      {"name", "MirrorSourceConnector"},
      {"connector.class", "org.apache.kafka.connect.mirror.MirrorSourceConnector"},
      {"enabled", "true"},
      {"source.cluster.alias", "A"},
      {"target.cluster.alias", "B"},
      {"source.cluster.bootstrap.servers", "a:9092"},
      {"source.producer.bootstrap.servers", "a:9092"},
      {"source.consumer.bootstrap.servers", "a:9092"},
      {"source.admin.bootstrap.servers", "a:9092"},
      {"target.cluster.bootstrap.servers", "b:9092"},
      {"target.producer.bootstrap.servers", "b:9092"},
      {"target.consumer.bootstrap.servers", "b:9092"},
      {"target.admin.bootstrap.servers", "b:9092"},
  };
  EXPECT_EQ(ab.connectors.at(kSource), kSourceConfig);
  EXPECT_EQ(Get(ab.connectors.at(kCheckpoint), "connector.class"),
            "org.apache.kafka.connect.mirror.MirrorCheckpointConnector");
  EXPECT_EQ(Get(ab.connectors.at(kHeartbeat), "name"), "MirrorHeartbeatConnector");

  const MirrorHerderPlan& ba = Herder(plan, "B->A");
  EXPECT_EQ(Get(ba.worker, "bootstrap.servers"), "a:9092");
  EXPECT_EQ(Get(ba.worker, "group.id"), "B-mm2");
  for (const char* name : kConnectorNames) EXPECT_EQ(Get(ba.connectors.at(name), "enabled"), "false") << name;
  ExpectRunnable(plan);
}

TEST(MirrorMakerConfigTest, HerdersAreTheEnabledFlowsAndThoseWithHeartbeats) {
  struct Case {
    const char* name;
    std::string extra;
    std::vector<std::string> herders;
  };
  const std::string kThree = "clusters = A, B, C\nA.bootstrap.servers=a:1\nB.bootstrap.servers=b:1\n"
                             "C.bootstrap.servers=c:1\n";
  const std::vector<Case> cases = {
      {"default: N(N-1)", "", {"A->B", "A->C", "B->A", "B->C", "C->A", "C->B"}},
      {"default, one enabled", "A->B.enabled=true\n", {"A->B", "A->C", "B->A", "B->C", "C->A", "C->B"}},
      {"heartbeats off: enabled flows only", "emit.heartbeats.enabled=false\nA->B.enabled=true\n", {"A->B"}},
      {"heartbeats off, on again for one flow",
       "emit.heartbeats.enabled=false\nA->B.enabled=true\nB->A.emit.heartbeats.enabled=true\n",
       {"A->B", "B->A"}},
      {"heartbeats off for one flow", "C->B.emit.heartbeats.enabled=false\n",
       {"A->B", "A->C", "B->A", "B->C", "C->A"}},
      {"enabled wins over heartbeats off", "A->C.emit.heartbeats.enabled=false\nA->C.enabled=true\n",
       {"A->B", "A->C", "B->A", "B->C", "C->A", "C->B"}},
      {"booleans in any case", "emit.heartbeats.enabled=FALSE\nC->A.enabled=True\n", {"C->A"}},
  };
  for (const Case& c : cases) {
    const MirrorMakerPlan plan = PlanOk(kThree + c.extra);
    EXPECT_EQ(HerderNames(plan), c.herders) << c.name;
  }
}

TEST(MirrorMakerConfigTest, ClustersOptionKeepsHerdersIntoTheListedTargets) {
  struct Case {
    std::vector<std::string> clusters;
    std::vector<std::string> herders;
  };
  const std::string kThree = "clusters = A, B, C\nA.bootstrap.servers=a:1\nB.bootstrap.servers=b:1\n"
                             "C.bootstrap.servers=c:1\n";
  const std::vector<Case> cases = {
      {{}, {"A->B", "A->C", "B->A", "B->C", "C->A", "C->B"}},
      {{"B"}, {"A->B", "C->B"}},
      {{"C", "A"}, {"A->C", "B->A", "B->C", "C->A"}},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(HerderNames(PlanOk(kThree, c.clusters)), c.herders) << ::testing::PrintToString(c.clusters);
  }
}

TEST(MirrorMakerConfigTest, SettingsTakeMM2sPrecedence) {
  // Top level < cluster < flow, in each of the places MM2 puts a setting.
  constexpr char kFile[] = R"(clusters = A, B
bootstrap.servers = default:9092
A.bootstrap.servers = a:9092
security.protocol = SSL
A.security.protocol = SASL_SSL
A.consumer.security.protocol = PLAINTEXT
tasks.max = 2
A->B.tasks.max = 5
topics = orders.*
A->B.source.cluster.bootstrap.servers = a2:9092
A->B.target.cluster.alias = backup
B.offset.storage.replication.factor = 2
offset.storage.replication.factor = 1
B.group.id = mirror-group
A->B.group.id = ignored-by-the-worker
B.producer.linger.ms = 5
producer.compression.type = lz4
A->B.enabled = true
)";
  const MirrorMakerPlan plan = PlanOk(kFile);
  const MirrorHerderPlan& ab = Herder(plan, "A->B");
  const MirrorHerderPlan& ba = Herder(plan, "B->A");
  const Properties& source = ab.connectors.at(kSource);
  struct Case {
    const char* why;
    const Properties& props;
    const char* key;
    const char* value;
  };
  const std::vector<Case> cases = {
      {"flow beats cluster", source, "source.cluster.bootstrap.servers", "a2:9092"},
      {"flow beats cluster, in each connector", ab.connectors.at(kHeartbeat), "source.cluster.bootstrap.servers",
       "a2:9092"},
      {"a cluster's own bootstrap.servers", source, "source.consumer.bootstrap.servers", "a:9092"},
      {"top-level bootstrap.servers is every cluster's default", source, "target.cluster.bootstrap.servers",
       "default:9092"},
      {"cluster beats top level", source, "source.cluster.security.protocol", "SASL_SSL"},
      {"cluster key copied to each role", source, "source.producer.security.protocol", "SASL_SSL"},
      {"the role's own key beats the copy", source, "source.consumer.security.protocol", "PLAINTEXT"},
      {"top-level default for a cluster without one", source, "target.cluster.security.protocol", "SSL"},
      {"top-level default copied to each role", source, "target.admin.security.protocol", "SSL"},
      {"top-level connection key also reaches the connector as is", source, "security.protocol", "SSL"},
      {"flow beats top level", source, "tasks.max", "5"},
      {"top-level connector key", source, "topics", "orders.*"},
      {"top-level connector key in the reverse flow", ba.connectors.at(kSource), "tasks.max", "2"},
      {"flow beats the alias dedicated mode sets", source, "target.cluster.alias", "backup"},
      {"a flow key the connector ignores is kept", source, "group.id", "ignored-by-the-worker"},
      {"target cluster's role keys", source, "target.producer.linger.ms", "5"},
      {"target cluster's role keys, reverse flow", ba.connectors.at(kSource), "source.producer.linger.ms", "5"},
      {"top-level worker key beats the cluster's", ab.worker, "offset.storage.replication.factor", "1"},
      {"cluster beats the worker default", ab.worker, "group.id", "mirror-group"},
      {"the worker's cluster settings", ab.worker, "producer.linger.ms", "5"},
      {"the worker's connection settings", ab.worker, "security.protocol", "SSL"},
      {"flows reach no worker", ab.worker, "tasks.max", "2"},
      {"the worker of the other target", ba.worker, "consumer.security.protocol", "PLAINTEXT"},
      {"top-level client keys other than connection keys go nowhere", ab.worker, "producer.compression.type",
       "<absent>"},
  };
  for (const Case& c : cases) EXPECT_EQ(Get(c.props, c.key), c.value) << c.why << ": " << c.key;
  EXPECT_EQ(Get(source, "producer.compression.type"), "<absent>");
  EXPECT_EQ(plan.warnings, (std::vector<std::string>{
                               "mm2.properties: line 17: producer.compression.type: reaches no connector, worker or "
                               "cluster in dedicated mode (as in MM2); set it per flow "
                               "(A->B.producer.compression.type) or per cluster (A.producer.compression.type)"}));
  EXPECT_EQ(plan.cluster_props.at("A"),
            (Properties{{"bootstrap.servers", "a:9092"},
                        {"producer.bootstrap.servers", "a:9092"},
                        {"consumer.bootstrap.servers", "a:9092"},
                        {"admin.bootstrap.servers", "a:9092"},
                        {"security.protocol", "SASL_SSL"},
                        {"producer.security.protocol", "SASL_SSL"},
                        {"consumer.security.protocol", "PLAINTEXT"},
                        {"admin.security.protocol", "SASL_SSL"}}));
}

// Every key MM2's dedicated mode reads (MirrorMakerConfig) in one file: each lands where MM2 puts it, and the result
// validates and parses in Ferry.
TEST(MirrorMakerConfigTest, EveryMM2KeyReachesItsConnectorOrWorker) {
  // §2.1–2.4, at the top level: every connector config of every flow gets them.
  const std::vector<std::pair<std::string, std::string>> kConnectorKeys = {
      {"admin.timeout.ms", "30000"},
      {"replication.policy.class", "org.apache.kafka.connect.mirror.DefaultReplicationPolicy"},
      {"replication.policy.separator", "."},
      {"replication.policy.internal.topic.separator.enabled", "false"},
      {"forwarding.admin.class", "org.apache.kafka.clients.admin.ForwardingAdmin"},
      {"metric.reporters", ""},
      {"auto.include.jmx.reporter", "false"},
      {"security.protocol", "PLAINTEXT"},
      {"ssl.endpoint.identification.algorithm", "https"},
      {"sasl.mechanism", "PLAIN"},
      {"tasks.max", "4"},
      {"tasks.max.enforce", "true"},
      {"key.converter", "org.apache.kafka.connect.converters.ByteArrayConverter"},
      {"value.converter", "org.apache.kafka.connect.converters.ByteArrayConverter"},
      {"header.converter", "org.apache.kafka.connect.converters.ByteArrayConverter"},
      {"transforms", ""},
      {"predicates", ""},
      {"config.action.reload", "restart"},
      {"errors.retry.timeout", "0"},
      {"errors.retry.delay.max.ms", "60000"},
      {"errors.tolerance", "none"},
      {"errors.log.enable", "false"},
      {"errors.log.include.messages", "false"},
      {"topics", "orders.*"},
      {"topics.exclude", "tmp-.*"},
      {"topics.blacklist", "old-.*"},
      {"topic.filter.class", "org.apache.kafka.connect.mirror.DefaultTopicFilter"},
      {"config.properties.exclude", "retention.ms"},
      {"config.properties.blacklist", "segment.bytes"},
      {"config.property.filter.class", "org.apache.kafka.connect.mirror.DefaultConfigPropertyFilter"},
      {"consumer.poll.timeout.ms", "500"},
      {"refresh.topics.enabled", "true"},
      {"refresh.topics.interval.seconds", "30"},
      {"sync.topic.configs.enabled", "false"},
      {"sync.topic.configs.interval.seconds", "60"},
      {"use.incremental.alter.configs", "never"},
      {"sync.topic.acls.enabled", "false"},
      {"sync.topic.acls.interval.seconds", "60"},
      {"replication.factor", "1"},
      {"offset-syncs.topic.replication.factor", "1"},
      {"offset-syncs.topic.location", "target"},
      {"offset.lag.max", "10"},
      {"emit.offset-syncs.enabled", "true"},
      {"add.source.alias.to.metrics", "true"},
      {"groups", "app-.*"},
      {"groups.exclude", "tmp-.*"},
      {"groups.blacklist", "old-.*"},
      {"group.filter.class", "org.apache.kafka.connect.mirror.DefaultGroupFilter"},
      {"refresh.groups.enabled", "true"},
      {"refresh.groups.interval.seconds", "30"},
      {"emit.checkpoints.enabled", "true"},
      {"emit.checkpoints.interval.seconds", "5"},
      {"sync.group.offsets.enabled", "true"},
      {"sync.group.offsets.interval.seconds", "5"},
      {"checkpoints.topic.replication.factor", "1"},
      {"emit.heartbeats.enabled", "true"},
      {"emit.heartbeats.interval.seconds", "2"},
      {"heartbeats.topic.replication.factor", "1"},
      {"ferry.skip.lost.records", "true"},
  };
  // §2.5 and the connector keys MM2 takes only per flow.
  constexpr char kDedicated[] = R"(clusters = A, B
A.bootstrap.servers = a:9092
B.bootstrap.servers = b:9092
A.sasl.username = alice
A.consumer.isolation.level = read_committed
B.producer.compression.type = lz4
B.admin.retry.backoff.ms = 200
B.exactly.once.source.support = enabled
B.offset.flush.interval.ms = 10000
A->B.enabled = true
A->B.use.defaults.from = source
A->B.exactly.once.support = requested
A->B.transaction.boundary = poll
A->B.offsets.storage.topic = mirror-offsets
A->B.topic.creation.groups =
dedicated.mode.enable.internal.rest = true
listeners = http://localhost:0
rest.advertised.host.name = localhost
config.providers.file.class = org.apache.kafka.common.config.provider.FileConfigProvider
offset.storage.replication.factor = 1
offset.storage.partitions = 3
config.storage.replication.factor = 1
status.storage.replication.factor = 1
status.storage.partitions = 2
task.shutdown.graceful.timeout.ms = 7000
worker.sync.timeout.ms = 4000
)";
  std::string file = kDedicated;
  for (const auto& [key, value] : kConnectorKeys) file += key + " = " + value + "\n";
  const MirrorMakerPlan plan = PlanOk(file);
  EXPECT_EQ(HerderNames(plan), (std::vector<std::string>{"A->B", "B->A"}));
  const MirrorHerderPlan& ab = Herder(plan, "A->B");
  for (const MirrorHerderPlan& herder : plan.herders) {
    for (const char* name : kConnectorNames) {
      for (const auto& [key, value] : kConnectorKeys) {
        EXPECT_EQ(Get(herder.connectors.at(name), key), value) << herder.Name() << " " << name << " " << key;
      }
    }
  }
  const std::vector<std::pair<std::string, std::string>> kAbConnector = {
      {"enabled", "true"},
      {"use.defaults.from", "source"},
      {"exactly.once.support", "requested"},
      {"transaction.boundary", "poll"},
      {"offsets.storage.topic", "mirror-offsets"},
      {"topic.creation.groups", ""},
      {"config.providers.file.class", "org.apache.kafka.common.config.provider.FileConfigProvider"},
      {"source.cluster.sasl.username", "alice"},
      {"source.admin.sasl.username", "alice"},
      {"source.consumer.isolation.level", "read_committed"},
      {"target.producer.compression.type", "lz4"},
      {"target.admin.retry.backoff.ms", "200"},
      {"target.cluster.exactly.once.source.support", "enabled"},
      {"target.consumer.sasl.mechanism", "PLAIN"},
  };
  for (const char* name : kConnectorNames) {
    for (const auto& [key, value] : kAbConnector) {
      EXPECT_EQ(Get(ab.connectors.at(name), key), value) << name << " " << key;
    }
  }
  const std::vector<std::pair<std::string, std::string>> kAbWorker = {
      {"bootstrap.servers", "b:9092"},
      {"producer.compression.type", "lz4"},
      {"admin.retry.backoff.ms", "200"},
      {"exactly.once.source.support", "enabled"},
      {"offset.flush.interval.ms", "10000"},
      {"security.protocol", "PLAINTEXT"},
      {"consumer.sasl.mechanism", "PLAIN"},
      {"config.providers.file.class", "org.apache.kafka.common.config.provider.FileConfigProvider"},
      {"offset.storage.replication.factor", "1"},
      {"offset.storage.partitions", "3"},
      {"config.storage.replication.factor", "1"},
      {"status.storage.replication.factor", "1"},
      {"status.storage.partitions", "2"},
      {"task.shutdown.graceful.timeout.ms", "7000"},
      {"tasks.max", "4"},  // MM2's "task" prefix takes it too
      {"worker.sync.timeout.ms", "4000"},
      {"replication.policy.separator", "."},
      {"key.converter", "org.apache.kafka.connect.converters.ByteArrayConverter"},
      {"client.id", "A->B"},
      {"group.id", "A-mm2"},
  };
  for (const auto& [key, value] : kAbWorker) EXPECT_EQ(Get(ab.worker, key), value) << key;
  EXPECT_EQ(Get(ab.worker, "listeners"), "<absent>") << "the internal REST server is the plan's, not a worker's";
  const MirrorHerderPlan& ba = Herder(plan, "B->A");
  EXPECT_EQ(Get(ba.worker, "consumer.isolation.level"), "read_committed");
  EXPECT_EQ(Get(ba.worker, "sasl.username"), "alice");
  EXPECT_EQ(Get(ba.connectors.at(kSource), "use.defaults.from"), "<absent>") << "per flow only";

  EXPECT_TRUE(plan.internal_rest);
  EXPECT_EQ(plan.rest, (Properties{{"listeners", "http://localhost:0"}, {"rest.advertised.host.name", "localhost"}}));
  EXPECT_TRUE(plan.warnings.empty()) << ::testing::PrintToString(plan.warnings);
  ExpectRunnable(plan);
}

TEST(MirrorMakerConfigTest, LibrdkafkasSecuritySwitchesGoWithTheClustersSslAndSaslKeys) {
  const MirrorMakerPlan plan = PlanOk(
      "clusters = A, B\nA.bootstrap.servers = a:9092\nB.bootstrap.servers = b:9092\nA->B.enabled = true\n"
      "A.enable.ssl.certificate.verification = false\nA.enable.sasl.oauthbearer.unsecure.jwt = true\n");
  const MirrorHerderPlan& ab = Herder(plan, "A->B");
  EXPECT_EQ(Get(ab.connectors.at(kSource), "source.cluster.enable.ssl.certificate.verification"), "false");
  EXPECT_EQ(Get(ab.connectors.at(kSource), "source.cluster.enable.sasl.oauthbearer.unsecure.jwt"), "true");
  EXPECT_EQ(Get(ab.worker, "enable.ssl.certificate.verification"), "<absent>") << "A's, not B's";
  const MirrorHerderPlan& ba = Herder(plan, "B->A");
  EXPECT_EQ(Get(ba.worker, "enable.ssl.certificate.verification"), "false") << "B->A's worker runs on A";
  EXPECT_TRUE(plan.warnings.empty()) << ::testing::PrintToString(plan.warnings);
}

TEST(MirrorMakerConfigTest, TopLevelKeysMM2DropsAreWarnedAbout) {
  const MirrorMakerPlan plan = PlanOk(std::string(kTwoClusters) +
                                     "use.defaults.from = source\nexactly.once.support = required\n"
                                     "offset.flush.interval.ms = 1000\n");
  ASSERT_EQ(plan.warnings.size(), 3u);
  EXPECT_EQ(plan.warnings[0],
            "mm2.properties: line 6: exactly.once.support: reaches no connector, worker or cluster in dedicated "
            "mode (as in MM2); set it per flow (A->B.exactly.once.support) or per cluster "
            "(A.exactly.once.support)");
  EXPECT_TRUE(plan.warnings[1].starts_with("mm2.properties: line 7: offset.flush.interval.ms: reaches no"));
  EXPECT_TRUE(plan.warnings[2].starts_with("mm2.properties: line 5: use.defaults.from: reaches no"));
  for (const MirrorHerderPlan& herder : plan.herders) {
    EXPECT_EQ(Get(herder.connectors.at(kSource), "use.defaults.from"), "<absent>");
    EXPECT_EQ(Get(herder.worker, "offset.flush.interval.ms"), "<absent>");
  }
}

TEST(MirrorMakerConfigTest, WorkerTopicNamesIgnoreTheSeparatorConnectorTopicsFollowIt) {
  const MirrorMakerPlan plan = PlanOk(std::string(kTwoClusters) + "replication.policy.separator = _\n");
  const MirrorHerderPlan& ab = Herder(plan, "A->B");
  EXPECT_EQ(Get(ab.worker, "offset.storage.topic"), "mm2-offsets.A.internal");
  EXPECT_EQ(Get(ab.worker, "status.storage.topic"), "mm2-status.A.internal");
  EXPECT_EQ(Get(ab.worker, "config.storage.topic"), "mm2-configs.A.internal");
  auto policy = connectors::MakeReplicationPolicy(ab.connectors.at(kSource));
  ASSERT_TRUE(policy.ok()) << policy.error().ToString();
  EXPECT_EQ((*policy)->FormatRemoteTopic("A", "orders"), "A_orders");
  EXPECT_EQ((*policy)->CheckpointsTopic("A"), "A_checkpoints_internal");
  EXPECT_EQ((*policy)->OffsetSyncsTopic("B"), "mm2-offset-syncs_B_internal");
  ExpectRunnable(plan);
}

TEST(MirrorMakerConfigTest, InternalRestListenersAreChecked) {
  const MirrorMakerPlan off = PlanOk(std::string(kTwoClusters) + "listeners = https://:8443\n");
  EXPECT_FALSE(off.internal_rest);
  EXPECT_EQ(Get(off.rest, "listeners"), "https://:8443");
  Result<MirrorMakerPlan> on =
      Plan(std::string(kTwoClusters) + "dedicated.mode.enable.internal.rest = true\nlisteners = localhost:8083\n");
  ASSERT_FALSE(on.ok());
  EXPECT_EQ(on.error().message(),
            "mm2.properties: line 6: listeners: Listener 'localhost:8083' does not have the format "
            "<scheme>://<host>:<port>");
}

TEST(MirrorMakerConfigTest, BadFilesAreRejectedNamingKeyAndLine) {
  struct Case {
    const char* file;
    std::vector<std::string> clusters;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"A.bootstrap.servers = a:1\n", {}, "mm2.properties: clusters: missing: list the cluster aliases, e.g. clusters = A, B"},
      {"clusters =\n", {}, "mm2.properties: line 1: clusters: no cluster aliases"},
      {"clusters = A,,B\n", {}, "mm2.properties: line 1: clusters: '' is not a cluster alias (empty, or with '->')"},
      {"clusters = A, B\nA.bootstrap.servers=a:1\nB.bootstrap.servers=b:1\nA->C.enabled = true\n", {},
       "mm2.properties: line 4: A->C.enabled: names cluster 'C', which is not in clusters (clusters: A, B)"},
      {"clusters = A, B\nA.bootstrap.servers=a:1\nB.bootstrap.servers=b:1\nC->A.topics = x\n", {},
       "mm2.properties: line 4: C->A.topics: names cluster 'C', which is not in clusters (clusters: A, B)"},
      {"clusters = A, B\nA.bootstrap.servers=a:1\nB.bootstrap.servers=b:1\nC.bootstrap.servers = c:1\n", {},
       "mm2.properties: line 4: C.bootstrap.servers: names cluster 'C', which is not in clusters (clusters: A, B)"},
      {"clusters = A, B\nA.bootstrap.servers=a:1\nB.bootstrap.servers=b:1\nc.consumer.group.id = g\n", {},
       "mm2.properties: line 4: c.consumer.group.id: names cluster 'c', which is not in clusters (clusters: A, B)"},
      {"clusters = A, B\nA.bootstrap.servers=a:1\nB.bootstrap.servers=b:1\nA->A.enabled = true\n", {},
       "mm2.properties: line 4: A->A.enabled: a flow from a cluster to itself"},
      {"clusters = A, B\nA.bootstrap.servers=a:1\nB.bootstrap.servers=b:1\nA->B = true\n", {},
       "mm2.properties: line 4: A->B: not of the form <source>-><target>.<setting>"},
      {"clusters = A, B\nA.bootstrap.servers=a:1\nB.bootstrap.servers=b:1\n->B.enabled = true\n", {},
       "mm2.properties: line 4: ->B.enabled: not of the form <source>-><target>.<setting>"},
      {"clusters = A, B\nA.bootstrap.servers=a:1\nB.bootstrap.servers=b:1\nA->B->A.enabled = true\n", {},
       "mm2.properties: line 4: A->B->A.enabled: not of the form <source>-><target>.<setting>"},
      {"clusters = A, B\nA.bootstrap.servers=a:1\nB.bootstrap.servers=b:1\nA->B.enabled = yes\n", {},
       "mm2.properties: line 4: A->B.enabled: Expected value to be either true or false, not 'yes'"},
      {"clusters = A, B\nA.bootstrap.servers=a:1\nB.bootstrap.servers=b:1\nemit.heartbeats.enabled = 0\n", {},
       "mm2.properties: line 4: emit.heartbeats.enabled: Expected value to be either true or false, not '0'"},
      {"clusters = A, B\nA.bootstrap.servers=a:1\nB.bootstrap.servers=b:1\nA->B.name = mine\n", {},
       "mm2.properties: line 4: A->B.name: dedicated mode sets it for each connector (its class); remove it"},
      {"clusters = A, B\nA.bootstrap.servers=a:1\nB.bootstrap.servers=b:1\nconnector.class = X\n", {},
       "mm2.properties: line 4: connector.class: dedicated mode sets it for each connector (its class); remove it"},
      {"clusters = A, B\nA.bootstrap.servers=a:1\n", {},
       "mm2.properties: line 1: clusters: cluster B has no bootstrap.servers (set B.bootstrap.servers); needed by "
       "A->B"},
      {"clusters = A, B\nA.bootstrap.servers=a:1\nB->A.enabled=true\n", {},
       "mm2.properties: line 1: clusters: cluster B has no bootstrap.servers (set B.bootstrap.servers); needed by "
       "A->B, B->A"},
      {"clusters = A, B\nA.bootstrap.servers=a:1\nB.bootstrap.servers=b:1\n", {"C"},
       "mm2.properties: line 1: clusters: --clusters names 'C', which is not one of A, B"},
      {"clusters = A, B\nA.bootstrap.servers=a:1\nB.bootstrap.servers=b:1\nemit.heartbeats.enabled=false\n", {},
       "mm2.properties: line 1: clusters: no source->target replication flows: set A->B.enabled=true for a flow "
       "(with emit.heartbeats.enabled=false no herder runs for flows that are not enabled)"},
      {"clusters = A, B\nA.bootstrap.servers=a:1\nB.bootstrap.servers=b:1\nemit.heartbeats.enabled=false\n"
       "A->B.enabled=true\n",
       {"A"},
       "mm2.properties: line 1: clusters: no source->target replication flows into --clusters A: set "
       "A->B.enabled=true for a flow (with emit.heartbeats.enabled=false no herder runs for flows that are not "
       "enabled)"},
  };
  for (const Case& c : cases) {
    Result<MirrorMakerPlan> plan = Plan(c.file, c.clusters);
    ASSERT_FALSE(plan.ok()) << c.file;
    EXPECT_EQ(plan.error().code(), ErrorCode::kInvalidConfig);
    EXPECT_EQ(plan.error().message(), c.message) << c.file;
  }
}

TEST(MirrorMakerConfigTest, EveryProblemIsReportedAtOnce) {
  Result<std::vector<PropertyLine>> lines = ParsePropertiesWithLines(
      "clusters = A, B\nA.bootstrap.servers=a:1\nA->A.enabled=true\nA->C.topics=x\nA->B.enabled=maybe\n");
  ASSERT_TRUE(lines.ok());
  Result<MirrorMakerPlan> plan = BuildMirrorMakerPlan(*lines, {"B", "D"}, "/etc/ferry/mm2.properties");
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.error().message(),
            "/etc/ferry/mm2.properties: line 3: A->A.enabled: a flow from a cluster to itself\n"
            "/etc/ferry/mm2.properties: line 4: A->C.topics: names cluster 'C', which is not in clusters "
            "(clusters: A, B)\n"
            "/etc/ferry/mm2.properties: line 5: A->B.enabled: Expected value to be either true or false, not "
            "'maybe'\n"
            "/etc/ferry/mm2.properties: line 1: clusters: --clusters names 'D', which is not one of A, B\n"
            "/etc/ferry/mm2.properties: line 1: clusters: cluster B has no bootstrap.servers (set "
            "B.bootstrap.servers); needed by A->B");
}

TEST(MirrorMakerConfigTest, AliasesWithDotsAreMatchedWhole) {
  const MirrorMakerPlan plan = PlanOk(
      "clusters = dc1.prod, dc2\ndc1.prod.bootstrap.servers = a:1\ndc2.bootstrap.servers = b:1\n"
      "dc1.prod->dc2.enabled = true\ndc1.prod->dc2.topics = t\ndc2->dc1.prod.topics = u\n");
  EXPECT_EQ(HerderNames(plan), (std::vector<std::string>{"dc1.prod->dc2", "dc2->dc1.prod"}));
  EXPECT_EQ(Get(Herder(plan, "dc1.prod->dc2").connectors.at(kSource), "topics"), "t");
  EXPECT_EQ(Get(Herder(plan, "dc2->dc1.prod").connectors.at(kSource), "topics"), "u");
  EXPECT_EQ(Get(Herder(plan, "dc2->dc1.prod").worker, "bootstrap.servers"), "a:1");
}

TEST(MirrorMakerConfigTest, IdentityPolicyCyclesAreRefusedUnlessAllowed) {
  const std::string kBase = "clusters = A, B, C\nA.bootstrap.servers=a:1\nB.bootstrap.servers=b:1\n"
                            "C.bootstrap.servers=c:1\n";  // lines 1-4
  const std::string kWhy =
      " form a cycle through IdentityReplicationPolicy, which keeps topic names, so every record would be "
      "copied around it forever (MM2 has no cycle detection with this policy). Disable one of the flows, use "
      "DefaultReplicationPolicy, or, if the flows' topics never meet, set "
      "ferry.identity.replication.cycles.allowed=true";
  struct Case {
    const char* name;
    std::string extra;  // from line 5
    std::vector<std::string> clusters;
    std::string message;  // "" when the plan is accepted
  };
  const std::vector<Case> cases = {
      {"full class name",
       "replication.policy.class = org.apache.kafka.connect.mirror.IdentityReplicationPolicy\n"
       "A->B.enabled = true\nB->A.enabled = true\n",
       {},
       "mm2.properties: line 6: A->B.enabled, line 7: B->A.enabled, line 5: replication.policy.class: the enabled "
       "flows A->B, B->A" + kWhy},
      {"simple class name, one flow's own policy",
       "A->B.enabled = true\nB->A.enabled = true\nB->A.replication.policy.class = IdentityReplicationPolicy\n",
       {},
       "mm2.properties: line 6: B->A.enabled, line 5: A->B.enabled, line 7: B->A.replication.policy.class: the "
       "enabled flows B->A, A->B" + kWhy},
      {"three flows", "replication.policy.class = IdentityReplicationPolicy\nA->B.enabled = true\n"
                      "B->C.enabled = true\nC->A.enabled = true\n",
       {},
       "mm2.properties: line 6: A->B.enabled, line 7: B->C.enabled, line 8: C->A.enabled, line 5: "
       "replication.policy.class: the enabled flows A->B, B->C, C->A" + kWhy},
      {"cycle of another node's herders",
       "replication.policy.class = IdentityReplicationPolicy\nA->B.enabled = true\nB->A.enabled = true\n",
       {"C"},
       "mm2.properties: line 6: A->B.enabled, line 7: B->A.enabled, line 5: replication.policy.class: the enabled "
       "flows A->B, B->A" + kWhy},
      {"top-level enabled", "replication.policy.class = IdentityReplicationPolicy\nenabled = true\n"
                            "emit.heartbeats.enabled = false\nA->B.enabled = true\nB->A.enabled = false\n"
                            "B->A.emit.heartbeats.enabled = true\nC->A.enabled = true\n",
       {},
       ""},  // B->A's herder runs heartbeats only: its own key wins over the top-level enabled
      {"one way", "replication.policy.class = IdentityReplicationPolicy\nA->B.enabled = true\n", {}, ""},
      {"a chain", "replication.policy.class = IdentityReplicationPolicy\nA->B.enabled = true\nB->C.enabled = true\n",
       {}, ""},
      {"default policy", "A->B.enabled = true\nB->A.enabled = true\n", {}, ""},
      {"allowed", "replication.policy.class = IdentityReplicationPolicy\nA->B.enabled = true\nB->A.enabled = true\n"
                  "ferry.identity.replication.cycles.allowed = true\n",
       {}, ""},
  };
  for (const Case& c : cases) {
    Result<MirrorMakerPlan> plan = Plan(kBase + c.extra, c.clusters);
    if (c.message.empty()) {
      EXPECT_TRUE(plan.ok()) << c.name << ": " << plan.error().ToString();
    } else {
      ASSERT_FALSE(plan.ok()) << c.name;
      EXPECT_EQ(plan.error().message(), c.message) << c.name;
    }
  }
}

TEST(MirrorMakerConfigTest, TheTopLevelEnabledReachesEveryFlow) {
  // As in MM2: `enabled` is a connector key, so at the top level it enables every flow's connectors,
  // which makes an identity policy loop.
  Result<MirrorMakerPlan> plan =
      Plan(std::string(kTwoClusters) + "enabled = true\nreplication.policy.class = IdentityReplicationPolicy\n");
  ASSERT_FALSE(plan.ok());
  EXPECT_TRUE(plan.error().message().starts_with(
      "mm2.properties: line 4: A->B.enabled, line 5: enabled, line 6: replication.policy.class: the enabled "
      "flows A->B, B->A form a cycle"))
      << plan.error().message();
}

}  // namespace
}  // namespace ferry::worker
