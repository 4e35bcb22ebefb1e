// Every MM2 3.9 connector config (the three connectors' ConfigDefs) is defined with MM2's type and
// default, every typed key answers a bad value with Kafka's validation message, the deprecated
// `*.blacklist` aliases are defined and translated as MM2 translates them, and the connectors' cross-key
// checks give MM2 3.9's messages in /connector-plugins/{plugin}/config/validate answers.
#include <map>
#include <set>
#include <tuple>

#include <gtest/gtest.h>

#include "connectors/config_def.h"
#include "connectors/mirror_checkpoint_connector.h"
#include "connectors/mirror_config.h"
#include "connectors/mirror_heartbeat_connector.h"
#include "connectors/mirror_source_connector.h"

namespace ferry::connectors {
namespace {

using T = ConfigType;

// A key's MM2 default: a value, none (required), or null (optional without a value).
struct Default {
  enum Kind { kValue, kRequired, kNull } kind;
  std::string value;
};
Default Is(std::string v) { return {Default::kValue, std::move(v)}; }
const Default kRequired{Default::kRequired, ""};
const Default kNull{Default::kNull, ""};

struct Expected {
  const char* key;
  ConfigType type;
  Default default_value;
};

// mm2.md §2.1, MirrorConnectorConfig's keys.
const std::vector<Expected> kMirrorCommon = {
    {"enabled", T::kBoolean, Is("true")},
    {"source.cluster.alias", T::kString, kRequired},
    {"target.cluster.alias", T::kString, Is("target")},
    {"admin.timeout.ms", T::kLong, Is("60000")},
    {"replication.policy.class", T::kClass, Is("org.apache.kafka.connect.mirror.DefaultReplicationPolicy")},
    {"replication.policy.separator", T::kString, Is(".")},
    {"replication.policy.internal.topic.separator.enabled", T::kBoolean, Is("true")},
    {"forwarding.admin.class", T::kClass, Is("org.apache.kafka.clients.admin.ForwardingAdmin")},
    {"metric.reporters", T::kList, Is("")},  // 3.x: none
    {"auto.include.jmx.reporter", T::kBoolean, Is("true")},
    {"security.protocol", T::kString, Is("PLAINTEXT")},
};

// MirrorConnectorConfig's client security keys (Kafka's ConfigDef withClientSslSupport and
// withClientSaslSupport, 3.9), with Kafka's types and defaults; secrets are PASSWORD.
const std::vector<Expected> kClientSecurity = {
    {"ssl.protocol", T::kString, Is("TLSv1.3")},
    {"ssl.provider", T::kString, kNull},
    {"ssl.cipher.suites", T::kList, kNull},
    {"ssl.enabled.protocols", T::kList, Is("TLSv1.2,TLSv1.3")},
    {"ssl.keystore.type", T::kString, Is("JKS")},
    {"ssl.keystore.location", T::kString, kNull},
    {"ssl.keystore.password", T::kPassword, kNull},
    {"ssl.key.password", T::kPassword, kNull},
    {"ssl.keystore.key", T::kPassword, kNull},
    {"ssl.keystore.certificate.chain", T::kPassword, kNull},
    {"ssl.truststore.certificates", T::kPassword, kNull},
    {"ssl.truststore.type", T::kString, Is("JKS")},
    {"ssl.truststore.location", T::kString, kNull},
    {"ssl.truststore.password", T::kPassword, kNull},
    {"ssl.keymanager.algorithm", T::kString, Is("SunX509")},
    {"ssl.trustmanager.algorithm", T::kString, Is("PKIX")},
    {"ssl.endpoint.identification.algorithm", T::kString, Is("https")},
    {"ssl.secure.random.implementation", T::kString, kNull},
    {"ssl.engine.factory.class", T::kClass, kNull},
    {"sasl.kerberos.service.name", T::kString, kNull},
    {"sasl.kerberos.kinit.cmd", T::kString, Is("/usr/bin/kinit")},
    {"sasl.kerberos.ticket.renew.window.factor", T::kDouble, Is("0.8")},
    {"sasl.kerberos.ticket.renew.jitter", T::kDouble, Is("0.05")},
    {"sasl.kerberos.min.time.before.relogin", T::kLong, Is("60000")},
    {"sasl.login.refresh.window.factor", T::kDouble, Is("0.8")},
    {"sasl.login.refresh.window.jitter", T::kDouble, Is("0.05")},
    {"sasl.login.refresh.min.period.seconds", T::kShort, Is("60")},
    {"sasl.login.refresh.buffer.seconds", T::kShort, Is("300")},
    {"sasl.mechanism", T::kString, Is("GSSAPI")},
    {"sasl.jaas.config", T::kPassword, kNull},
    {"sasl.client.callback.handler.class", T::kClass, kNull},
    {"sasl.login.callback.handler.class", T::kClass, kNull},
    {"sasl.login.class", T::kClass, kNull},
    {"sasl.login.connect.timeout.ms", T::kInt, kNull},
    {"sasl.login.read.timeout.ms", T::kInt, kNull},
    {"sasl.login.retry.backoff.max.ms", T::kLong, Is("10000")},
    {"sasl.login.retry.backoff.ms", T::kLong, Is("100")},
    {"sasl.oauthbearer.scope.claim.name", T::kString, Is("scope")},
    {"sasl.oauthbearer.sub.claim.name", T::kString, Is("sub")},
    {"sasl.oauthbearer.token.endpoint.url", T::kString, kNull},
    {"sasl.oauthbearer.jwks.endpoint.url", T::kString, kNull},
    {"sasl.oauthbearer.jwks.endpoint.refresh.ms", T::kLong, Is("3600000")},
    {"sasl.oauthbearer.jwks.endpoint.retry.backoff.max.ms", T::kLong, Is("10000")},
    {"sasl.oauthbearer.jwks.endpoint.retry.backoff.ms", T::kLong, Is("100")},
    {"sasl.oauthbearer.clock.skew.seconds", T::kInt, Is("30")},
    {"sasl.oauthbearer.expected.audience", T::kList, kNull},
    {"sasl.oauthbearer.expected.issuer", T::kString, kNull},
    {"sasl.oauthbearer.header.urlencode", T::kBoolean, Is("false")},
};

// mm2.md §2.1's Connect keys (ConnectorConfig, SourceConnectorConfig).
const std::vector<Expected> kConnect = {
    {"name", T::kString, kRequired},
    {"connector.class", T::kString, kRequired},
    {"tasks.max", T::kInt, Is("1")},
    {"tasks.max.enforce", T::kBoolean, Is("true")},
    {"key.converter", T::kClass, kNull},  // null: the worker's
    {"value.converter", T::kClass, kNull},
    {"header.converter", T::kClass, kNull},
    {"config.action.reload", T::kString, Is("restart")},
    {"transforms", T::kList, Is("")},
    {"predicates", T::kList, Is("")},
    {"errors.retry.timeout", T::kLong, Is("0")},
    {"errors.retry.delay.max.ms", T::kLong, Is("60000")},
    {"errors.tolerance", T::kString, Is("none")},
    {"errors.log.enable", T::kBoolean, Is("false")},
    {"errors.log.include.messages", T::kBoolean, Is("false")},
    {"topic.creation.groups", T::kList, Is("")},
    {"exactly.once.support", T::kString, Is("requested")},
    {"transaction.boundary", T::kString, Is("poll")},
    {"offsets.storage.topic", T::kString, kNull},
};

const char* kTopicsExcludeDefault = ".*[\\-\\.]internal, .*\\.replica, __.*";

// mm2.md §2.2.
const std::vector<Expected> kSource = {
    {"topics", T::kList, Is(".*")},
    {"topics.exclude", T::kList, Is(kTopicsExcludeDefault)},
    {"topics.blacklist", T::kList, kNull},
    {"topic.filter.class", T::kClass, Is("org.apache.kafka.connect.mirror.DefaultTopicFilter")},
    {"config.properties.exclude", T::kList,
     Is("follower\\.replication\\.throttled\\.replicas, leader\\.replication\\.throttled\\.replicas, "
        "message\\.timestamp\\.difference\\.max\\.ms, message\\.timestamp\\.type, "
        "unclean\\.leader\\.election\\.enable, min\\.insync\\.replicas")},
    {"config.properties.blacklist", T::kList, kNull},
    {"config.property.filter.class", T::kClass, Is("org.apache.kafka.connect.mirror.DefaultConfigPropertyFilter")},
    {"consumer.poll.timeout.ms", T::kLong, Is("1000")},
    {"refresh.topics.enabled", T::kBoolean, Is("true")},
    {"refresh.topics.interval.seconds", T::kLong, Is("600")},
    {"sync.topic.configs.enabled", T::kBoolean, Is("true")},
    {"sync.topic.configs.interval.seconds", T::kLong, Is("600")},
    {"use.incremental.alter.configs", T::kString, Is("requested")},
    {"sync.topic.acls.enabled", T::kBoolean, Is("true")},
    {"sync.topic.acls.interval.seconds", T::kLong, Is("600")},
    {"replication.factor", T::kInt, Is("2")},
    {"offset-syncs.topic.replication.factor", T::kShort, Is("3")},
    {"offset-syncs.topic.location", T::kString, Is("source")},
    {"offset.lag.max", T::kLong, Is("100")},
    {"emit.offset-syncs.enabled", T::kBoolean, Is("true")},
    {"add.source.alias.to.metrics", T::kBoolean, Is("false")},
};

// mm2.md §2.3 (`topics`, `topics.exclude` and its alias are read by the checkpoint connector's
// DefaultTopicFilter; Ferry declares them).
const std::vector<Expected> kCheckpoint = {
    {"groups", T::kList, Is(".*")},
    {"groups.exclude", T::kList, Is("console-consumer-.*, connect-.*, __.*")},
    {"groups.blacklist", T::kList, kNull},
    {"group.filter.class", T::kClass, Is("org.apache.kafka.connect.mirror.DefaultGroupFilter")},
    {"topic.filter.class", T::kClass, Is("org.apache.kafka.connect.mirror.DefaultTopicFilter")},
    {"topics", T::kList, Is(".*")},
    {"topics.exclude", T::kList, Is(kTopicsExcludeDefault)},
    {"topics.blacklist", T::kList, kNull},
    {"consumer.poll.timeout.ms", T::kLong, Is("1000")},
    {"refresh.groups.enabled", T::kBoolean, Is("true")},
    {"refresh.groups.interval.seconds", T::kLong, Is("600")},
    {"emit.checkpoints.enabled", T::kBoolean, Is("true")},
    {"emit.checkpoints.interval.seconds", T::kLong, Is("60")},
    {"sync.group.offsets.enabled", T::kBoolean, Is("false")},
    {"sync.group.offsets.interval.seconds", T::kLong, Is("60")},
    {"checkpoints.topic.replication.factor", T::kShort, Is("3")},
    {"offset-syncs.topic.location", T::kString, Is("source")},
};

// mm2.md §2.4.
const std::vector<Expected> kHeartbeat = {
    {"emit.heartbeats.enabled", T::kBoolean, Is("true")},
    {"emit.heartbeats.interval.seconds", T::kLong, Is("1")},
    {"heartbeats.topic.replication.factor", T::kShort, Is("3")},
};

// Keys Ferry adds to MM2's.
const std::set<std::string> kFerryOnly = {"ferry.skip.lost.records", "ferry.resume.mode",
                                          "ferry.resume.max.compare.records"};

// Each expected key is defined with MM2's type and default, and `def` defines nothing else.
void ExpectExactly(const ConfigDef& def, const std::vector<std::vector<Expected>>& tables) {
  std::set<std::string> expected;
  for (const auto& table : tables) {
    for (const Expected& e : table) {
      expected.insert(e.key);
      const ConfigKey* key = def.Find(e.key);
      ASSERT_NE(key, nullptr) << e.key << " is not defined";
      EXPECT_EQ(key->type, e.type) << e.key << " is " << ConfigTypeName(key->type);
      switch (e.default_value.kind) {
        case Default::kValue:
          EXPECT_EQ(key->default_value, e.default_value.value) << e.key;
          break;
        case Default::kRequired:
          EXPECT_TRUE(key->required()) << e.key << " should have no default";
          break;
        case Default::kNull:
          EXPECT_TRUE(key->null_default && !key->default_value) << e.key << " should default to null";
          break;
      }
    }
  }
  for (const ConfigKey& key : def.keys()) {
    EXPECT_TRUE(expected.contains(key.name) || kFerryOnly.contains(key.name)) << key.name << " is not MM2's";
  }
}

TEST(Mm2ConfigCompatTest, SourceConnectorDefinesEveryMM2KeyWithItsTypeAndDefault) {
  ExpectExactly(MirrorSourceConfigDef(), {kMirrorCommon, kClientSecurity, kSource});
  // Read by DefaultConfigPropertyFilter, not declared by the connector (as in MM2); 4.0-only keys are absent.
  EXPECT_EQ(MirrorSourceConfigDef().Find("use.defaults.from"), nullptr);
  EXPECT_EQ(MirrorSourceConfigDef().Find("heartbeats.replication.enabled"), nullptr);
}

TEST(Mm2ConfigCompatTest, CheckpointConnectorDefinesEveryMM2KeyWithItsTypeAndDefault) {
  ExpectExactly(MirrorCheckpointConfigDef(), {kMirrorCommon, kClientSecurity, kCheckpoint});
}

TEST(Mm2ConfigCompatTest, HeartbeatConnectorDefinesEveryMM2KeyWithItsTypeAndDefault) {
  ExpectExactly(MirrorHeartbeatConfigDef(), {kMirrorCommon, kClientSecurity, kHeartbeat});
}

TEST(Mm2ConfigCompatTest, ConnectCommonKeysHaveConnectsTypesAndDefaults) {
  ExpectExactly(ConnectorCommonConfigDef(), {kConnect});
}

// The STRING keys with a fixed set of values, and Kafka's reason for any other value: ValidString
// (case matters, listed in order) or CaseInsensitiveValidString (upper-cased, in its HashSet's order).
const std::map<std::string, std::string> kEnumReasons = {
    {"offset-syncs.topic.location", "String must be one of: source, target"},
    {"use.incremental.alter.configs", "String must be one of: requested, required, never"},
    {"security.protocol", "String must be one of (case insensitive): SASL_SSL, PLAINTEXT, SSL, SASL_PLAINTEXT"},
    {"config.action.reload", "String must be one of: none, restart"},
    {"errors.tolerance", "String must be one of: none, all"},
    {"exactly.once.support", "String must be one of (case insensitive): REQUIRED, REQUESTED"},
    {"transaction.boundary", "String must be one of (case insensitive): INTERVAL, POLL, CONNECTOR"},
};

// LIST keys whose items are regular expressions. Kafka accepts any list text; Ferry also compiles
// the patterns, so a bad one is reported at validation rather than when the connector starts.
const std::set<std::string> kRegexLists = {"topics", "topics.exclude", "topics.blacklist",
                                           "groups", "groups.exclude", "groups.blacklist",
                                           "config.properties.exclude", "config.properties.blacklist"};

// Converters: Ferry copies bytes whatever the converter, so it accepts any class name there; nor does
// it check the Java clients' own classes among the unprefixed security keys, which no client reads.
const std::set<std::string> kAnyClass = {"key.converter",
                                         "value.converter",
                                         "header.converter",
                                         "ssl.engine.factory.class",
                                         "sasl.client.callback.handler.class",
                                         "sasl.login.callback.handler.class",
                                         "sasl.login.class"};

// Errors of `key` when it alone is set to `value` (with the required keys given).
std::vector<std::string> ErrorsOf(const ConfigDef& def, const std::string& key, const std::string& value) {
  Properties props = {{"name", "m"}, {"connector.class", "MirrorSourceConnector"}, {"source.cluster.alias", "A"}};
  props[key] = value;
  for (const ConfigValueInfo& v : def.Validate(props)) {
    if (v.name == key) return v.errors;
  }
  ADD_FAILURE() << key << " not validated";
  return {};
}

void ExpectKafkasMessagesForBadValues(const ConfigDef& def) {
  for (const ConfigKey& key : def.keys()) {
    const std::string& k = key.name;
    auto expect_error = [&](const std::string& value, const std::string& reason) {
      EXPECT_EQ(ErrorsOf(def, k, value),
                std::vector<std::string>{"Invalid value " + value + " for configuration " + k + ": " + reason});
    };
    switch (key.type) {
      case T::kBoolean:
        expect_error("maybe", "Expected value to be either true or false");
        break;
      case T::kInt:
      case T::kShort:
      case T::kLong:
      case T::kDouble:
        expect_error("12x", std::string("Not a number of type ") + ConfigTypeName(key.type));
        break;
      case T::kPassword:  // any text is a password; its error would show "[hidden]"
        EXPECT_TRUE(ErrorsOf(def, k, "any text").empty()) << k;
        break;
      case T::kClass:
        if (kAnyClass.contains(k)) {
          EXPECT_TRUE(ErrorsOf(def, k, "com.example.Missing").empty()) << k;
        } else {
          // Ferry has only MM2's built-in classes; any other one cannot be loaded.
          expect_error("com.example.Missing", "Class com.example.Missing could not be found.");
        }
        break;
      case T::kList:
        if (kRegexLists.contains(k)) {
          const auto errors = ErrorsOf(def, k, "ok, bad(");
          ASSERT_EQ(errors.size(), 1u) << k;
          EXPECT_EQ(errors[0].rfind("Invalid value [ok, bad(] for configuration " + k +
                                        ": Syntax error in regular expression: bad(",
                                    0),
                    0u)
              << errors[0];
        } else {
          EXPECT_TRUE(ErrorsOf(def, k, "any, text").empty()) << k;
        }
        break;
      case T::kString:
        if (auto reason = kEnumReasons.find(k); reason != kEnumReasons.end()) expect_error("nowhere", reason->second);
        break;
      default:
        ADD_FAILURE() << k << ": no MM2 key is of type " << ConfigTypeName(key.type);
    }
  }
}

TEST(Mm2ConfigCompatTest, EveryTypedKeyOfEveryConnectorGivesKafkasMessageForABadValue) {
  ExpectKafkasMessagesForBadValues(MirrorSourceConfigDef());
  ExpectKafkasMessagesForBadValues(MirrorCheckpointConfigDef());
  ExpectKafkasMessagesForBadValues(MirrorHeartbeatConfigDef());
  ExpectKafkasMessagesForBadValues(ConnectorCommonConfigDef());
}

TEST(Mm2ConfigCompatTest, RangesCaseAndSimpleNamesAreCheckedAsMM2AndFerryDo) {
  const ConfigDef& source = MirrorSourceConfigDef();
  // A number out of the type's range is not a number of that type.
  EXPECT_EQ(ErrorsOf(source, "offset-syncs.topic.replication.factor", "40000"),
            std::vector<std::string>{"Invalid value 40000 for configuration offset-syncs.topic.replication.factor: "
                                     "Not a number of type SHORT"});
  EXPECT_EQ(ErrorsOf(ConnectorCommonConfigDef(), "tasks.max", "0"),
            std::vector<std::string>{"Invalid value 0 for configuration tasks.max: Value must be at least 1"});
  EXPECT_EQ(ErrorsOf(ConnectorCommonConfigDef(), "transforms", "a, b, a"),
            std::vector<std::string>{"Invalid value [a, b, a] for configuration transforms: Duplicate alias provided."});
  EXPECT_EQ(ErrorsOf(ConnectorCommonConfigDef(), "offsets.storage.topic", ""),
            std::vector<std::string>{"Invalid value  for configuration offsets.storage.topic: String must be non-empty"});
  // MM2's ValidString is case-sensitive: "SOURCE" is not a location (Ferry once took it for "target").
  EXPECT_EQ(ErrorsOf(source, "offset-syncs.topic.location", "SOURCE").size(), 1u);
  EXPECT_TRUE(ErrorsOf(source, "security.protocol", "sasl_ssl").empty());
  // Ferry also knows its classes by their simple names.
  EXPECT_TRUE(ErrorsOf(source, "replication.policy.class", "IdentityReplicationPolicy").empty());
  EXPECT_TRUE(ErrorsOf(source, "replication.policy.class", "org.apache.kafka.connect.mirror.IdentityReplicationPolicy").empty());
  EXPECT_TRUE(ErrorsOf(source, "topic.filter.class", "DefaultTopicFilter").empty());
  EXPECT_EQ(ErrorsOf(source, "source.cluster.alias", "A"), std::vector<std::string>{});
}

// Connect's validate answer lists the unprefixed client security keys of MirrorConnectorConfig, a
// PASSWORD one's value as "[hidden]", and Kafka's ranges on the SASL login refresh keys; the
// prefixed forms the clients take (source.cluster.sasl.jaas.config, ...) no definition describes,
// so they are left out, as Connect leaves them out: no secret value is echoed either way.
TEST(Mm2ConfigCompatTest, ValidateShowsTheClientSecurityKeysAsConnectDoesWithSecretsHidden) {
  const Properties props = {{"name", "m"},
                            {"connector.class", "MirrorSourceConnector"},
                            {"source.cluster.alias", "A"},
                            {"ssl.keystore.password", "ks-secret"},
                            {"ssl.key.password", "key-secret"},
                            {"ssl.truststore.password", "ts-secret"},
                            {"sasl.jaas.config", "jaas-secret"},
                            {"ssl.keystore.location", "/etc/ferry/ks.p12"},
                            {"sasl.mechanism", "PLAIN"},
                            {"source.cluster.sasl.jaas.config", "prefixed-secret"},
                            {"target.cluster.ssl.key.password", "prefixed-secret"},
                            {"producer.ssl.truststore.password", "prefixed-secret"},
                            {"source.consumer.ssl.keystore.password", "prefixed-secret"},
                            {"admin.sasl.jaas.config", "prefixed-secret"}};
  const ConfigInfos infos = BuildConfigInfos(kMirrorSourceConnectorClass, MirrorSourceConfigDef(), props);
  EXPECT_EQ(infos.error_count, 0);
  std::map<std::string, const ConfigInfo*> by_name;
  for (const ConfigInfo& info : infos.configs) by_name[info.value->name] = &info;
  for (const char* secret : {"ssl.keystore.password", "ssl.key.password", "ssl.truststore.password", "sasl.jaas.config"}) {
    ASSERT_TRUE(by_name.count(secret)) << secret << " is not listed";
    EXPECT_EQ(by_name[secret]->value->value, "[hidden]") << secret;
    ASSERT_TRUE(by_name[secret]->definition) << secret;
    EXPECT_EQ(by_name[secret]->definition->type, T::kPassword) << secret;
  }
  EXPECT_EQ(by_name["ssl.keystore.location"]->value->value, "/etc/ferry/ks.p12");
  EXPECT_EQ(by_name["sasl.mechanism"]->value->value, "PLAIN");
  EXPECT_EQ(by_name["ssl.keystore.key"]->value->value, std::nullopt) << "an unset PASSWORD has no value";
  for (const char* prefixed : {"source.cluster.sasl.jaas.config", "target.cluster.ssl.key.password",
                               "producer.ssl.truststore.password", "source.consumer.ssl.keystore.password",
                               "admin.sasl.jaas.config"}) {
    EXPECT_EQ(by_name.count(prefixed), 0u) << prefixed << " is listed";
  }
  for (const ConfigInfo& info : infos.configs) {
    const std::string shown = info.value->value.value_or("");
    EXPECT_EQ(shown.find("secret"), std::string::npos) << info.value->name << " shows " << shown;
  }
  // Kafka's Range on the SASL login refresh keys.
  EXPECT_EQ(ErrorsOf(MirrorSourceConfigDef(), "sasl.login.refresh.window.factor", "0.4"),
            std::vector<std::string>{
                "Invalid value 0.4 for configuration sasl.login.refresh.window.factor: Value must be at least 0.5"});
  EXPECT_EQ(ErrorsOf(MirrorSourceConfigDef(), "sasl.login.refresh.window.jitter", "0.3"),
            std::vector<std::string>{"Invalid value 0.3 for configuration sasl.login.refresh.window.jitter: Value "
                                     "must be no more than 0.25"});
  EXPECT_EQ(ErrorsOf(MirrorSourceConfigDef(), "sasl.login.refresh.buffer.seconds", "3601").size(), 1u);
}

TEST(Mm2ConfigCompatTest, BlacklistAliasesAreDeprecatedAndValidatedUnderTheirOwnNames) {
  for (const auto& [def, alias, key] : {std::tuple{&MirrorSourceConfigDef(), "topics.blacklist", "topics.exclude"},
                                        {&MirrorSourceConfigDef(), "config.properties.blacklist", "config.properties.exclude"},
                                        {&MirrorCheckpointConfigDef(), "groups.blacklist", "groups.exclude"},
                                        {&MirrorCheckpointConfigDef(), "topics.blacklist", "topics.exclude"}}) {
    const ConfigKey* k = def->Find(alias);
    ASSERT_NE(k, nullptr) << alias;
    EXPECT_EQ(k->documentation, std::string("Deprecated. Use ") + key + " instead.");
    EXPECT_EQ(k->importance, Importance::kHigh);
  }
  // In a validate answer (ConfigInfos): the value shown as given, no error; a bad pattern names the alias.
  const Properties props = {{"name", "m"},
                            {"connector.class", "MirrorSourceConnector"},
                            {"source.cluster.alias", "A"},
                            {"topics.blacklist", "old-.*, tmp"},
                            {"config.properties.blacklist", "retention(\\.ms"}};
  const ConfigInfos infos = BuildConfigInfos(kMirrorSourceConnectorClass, MirrorSourceConfigDef(), props);
  EXPECT_EQ(infos.error_count, 1);
  for (const ConfigInfo& info : infos.configs) {
    if (info.value->name == "topics.blacklist") {
      EXPECT_EQ(info.value->value, "old-.*,tmp");
      EXPECT_TRUE(info.value->errors.empty());
    } else if (info.value->name == "config.properties.blacklist") {
      ASSERT_EQ(info.value->errors.size(), 1u);
      EXPECT_NE(info.value->errors[0].find("for configuration config.properties.blacklist"), std::string::npos);
    } else {
      EXPECT_TRUE(info.value->errors.empty()) << info.value->name;
    }
  }
}

TEST(Mm2ConfigCompatTest, AnAliasStandsForItsKeyOnlyWhenTheKeyIsNotSet) {
  // Alone, an alias becomes its key (replacing the key's default, as in MM2).
  EXPECT_EQ(TranslateMirrorAliases({{"topics.blacklist", "old"}, {"groups.blacklist", "g"},
                                    {"config.properties.blacklist", "retention\\.ms"}, {"topics", "a"}}),
            (Properties{{"topics.exclude", "old"}, {"groups.exclude", "g"},
                        {"config.properties.exclude", "retention\\.ms"}, {"topics", "a"}}));
  // With its key set, even to "", the key wins and the alias is dropped.
  EXPECT_EQ(TranslateMirrorAliases({{"topics.blacklist", "old"}, {"topics.exclude", "new"},
                                    {"groups.blacklist", "g"}, {"groups.exclude", ""}}),
            (Properties{{"topics.exclude", "new"}, {"groups.exclude", ""}}));
  EXPECT_EQ(TranslateMirrorAliases({{"topics", "a"}}), (Properties{{"topics", "a"}}));
  // The config property filter honours its alias the same way.
  auto filter = ConfigPropertyFilter::FromConfig({{"config.properties.blacklist", "retention\\.ms"}});
  ASSERT_TRUE(filter.ok()) << filter.error().ToString();
  EXPECT_FALSE(filter->ShouldReplicateConfigProperty("retention.ms"));
  EXPECT_TRUE(filter->ShouldReplicateConfigProperty("min.insync.replicas")) << "the alias replaced the default";
}

// The errors of one key in the validate answer of `connector` for `props`, as the herder builds it.
std::vector<std::string> ValidateErrors(const Connector& connector, const char* class_name, const Properties& props,
                                        const std::string& key, int* error_count = nullptr) {
  ConfigDef def = connector.Definition();
  def.Merge(ConnectorCommonConfigDef());
  const ConfigInfos infos = BuildConfigInfos(class_name, def, props, connector.ValidateAcrossKeys(props));
  if (error_count != nullptr) *error_count = infos.error_count;
  for (const ConfigInfo& info : infos.configs) {
    if (info.value->name == key) return info.value->errors;
  }
  return {};
}

Properties SourceProps(std::initializer_list<std::pair<const std::string, std::string>> extra) {
  Properties props = {{"name", "m"}, {"connector.class", "MirrorSourceConnector"}, {"source.cluster.alias", "A"}};
  for (const auto& [k, v] : extra) props[k] = v;
  return props;
}

TEST(Mm2ConfigCompatTest, SourceConnectorRejectsOffsetSyncSettingsWithOffsetSyncsOffAsMM2Does) {
  const MirrorSourceConnector c;
  const std::vector<std::string> kMessage = {
      "MirrorSourceConnector can't setup offset-syncs feature while emit.offset-syncs.enabled set to false"};
  for (const char* key : {"offset-syncs.topic.location", "offset-syncs.topic.replication.factor",
                          "offset-syncs-source-producer.acks"}) {
    int errors = 0;
    EXPECT_EQ(ValidateErrors(c, kMirrorSourceConnectorClass,
                             SourceProps({{"emit.offset-syncs.enabled", "false"}, {key, "target"}}),
                             "emit.offset-syncs.enabled", &errors),
              kMessage)
        << key;
    const bool location_ok = std::string(key) != "offset-syncs.topic.replication.factor";
    EXPECT_EQ(errors, location_ok ? 1 : 2) << key;  // "target" is not a SHORT
  }
  // Even with the connector disabled (MM2's source check ignores `enabled`).
  EXPECT_EQ(ValidateErrors(c, kMirrorSourceConnectorClass,
                           SourceProps({{"enabled", "false"}, {"emit.offset-syncs.enabled", "false"},
                                        {"offset-syncs.topic.location", "source"}}),
                           "emit.offset-syncs.enabled"),
            kMessage);
  // Off without offset-syncs keys, on with them, or "FALSE" (MM2 compares the raw text): fine.
  for (const Properties& ok : {SourceProps({{"emit.offset-syncs.enabled", "false"}}),
                               SourceProps({{"offset-syncs.topic.location", "target"}}),
                               SourceProps({{"emit.offset-syncs.enabled", "FALSE"}, {"offset-syncs.topic.location", "target"}}),
                               SourceProps({{"emit.offset-syncs.enabled", "false"}, {"offset.lag.max", "5"}})}) {
    int errors = -1;
    EXPECT_TRUE(ValidateErrors(c, kMirrorSourceConnectorClass, ok, "emit.offset-syncs.enabled", &errors).empty());
    EXPECT_EQ(errors, 0);
  }
}

TEST(Mm2ConfigCompatTest, SourceConnectorRequiresReadCommittedForExactlyOnceAsMM2Does) {
  const MirrorSourceConnector c;
  const std::vector<std::string> kMessage = {
      "MirrorSourceConnector can only provide exactly-once guarantees when its source consumer is configured with "
      "isolation.level set to 'read_committed'; otherwise, records from aborted and uncommitted transactions will "
      "be replicated from the source cluster to the target cluster."};
  EXPECT_EQ(ValidateErrors(c, kMirrorSourceConnectorClass, SourceProps({{"exactly.once.support", "required"}}),
                           "exactly.once.support"),
            kMessage);
  // Only the consumer settings reach the source consumer: source.cluster.* passes connection keys only.
  EXPECT_EQ(ValidateErrors(c, kMirrorSourceConnectorClass,
                           SourceProps({{"exactly.once.support", "required"},
                                        {"source.cluster.isolation.level", "read_committed"}}),
                           "exactly.once.support"),
            kMessage);
  EXPECT_EQ(ValidateErrors(c, kMirrorSourceConnectorClass,
                           SourceProps({{"exactly.once.support", "required"},
                                        {"source.consumer.isolation.level", "read_uncommitted"},
                                        {"consumer.isolation.level", "read_committed"}}),
                           "exactly.once.support"),
            kMessage)
      << "source.consumer.* wins over consumer.*";
  for (const Properties& ok :
       {SourceProps({{"exactly.once.support", "required"}, {"source.consumer.isolation.level", "read_committed"}}),
        SourceProps({{"exactly.once.support", "required"}, {"consumer.isolation.level", "read_committed"}}),
        SourceProps({{"exactly.once.support", "requested"}})}) {
    int errors = -1;
    EXPECT_TRUE(ValidateErrors(c, kMirrorSourceConnectorClass, ok, "exactly.once.support", &errors).empty());
    EXPECT_EQ(errors, 0);
  }
}

TEST(Mm2ConfigCompatTest, CheckpointConnectorNeedsCheckpointsAndOffsetSyncsUnlessDisabled) {
  const MirrorCheckpointConnector c;
  Properties props = SourceProps({{"emit.checkpoints.enabled", "false"}, {"emit.offset-syncs.enabled", "false"}});
  props["connector.class"] = "MirrorCheckpointConnector";
  int errors = 0;
  EXPECT_EQ(ValidateErrors(c, kMirrorCheckpointConnectorClass, props, "emit.checkpoints.enabled", &errors),
            std::vector<std::string>{"MirrorCheckpointConnector can't run with emit.checkpoints.enabled set to false"});
  // Not a key of the checkpoint connector's ConfigDef: the error gets an entry of its own.
  EXPECT_EQ(ValidateErrors(c, kMirrorCheckpointConnectorClass, props, "emit.offset-syncs.enabled"),
            std::vector<std::string>{"MirrorCheckpointConnector can't run without offset syncs"});
  EXPECT_EQ(errors, 2);
  props["enabled"] = "false";
  EXPECT_TRUE(c.ValidateAcrossKeys(props).empty());
  // MM2 compares the raw text: "FALSE" is not "false" there.
  EXPECT_TRUE(c.ValidateAcrossKeys({{"emit.checkpoints.enabled", "FALSE"}}).empty());
  EXPECT_EQ(c.ValidateAcrossKeys({{"enabled", "FALSE"}, {"emit.checkpoints.enabled", "false"}}).size(), 1u);
}

TEST(Mm2ConfigCompatTest, HeartbeatConnectorHasNoCrossKeyChecks) {
  const MirrorHeartbeatConnector c;
  EXPECT_TRUE(c.ValidateAcrossKeys({{"emit.heartbeats.enabled", "false"}, {"emit.offset-syncs.enabled", "false"}}).empty());
}

}  // namespace
}  // namespace ferry::connectors
