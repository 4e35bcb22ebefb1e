#include "connectors/mirror_config.h"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include <glog/logging.h>

#include "connectors/config_property_filter.h"
#include "connectors/replication_policy.h"

namespace ferry::connectors {
namespace {

// Shorthands that keep each definition on one line.
ConfigKey Key(const char* name, ConfigType type, std::optional<std::string> default_value, Importance importance,
              const char* doc, Validator validator = {}) {
  ConfigKey key;
  key.name = name;
  key.type = type;
  key.default_value = std::move(default_value);
  key.importance = importance;
  key.documentation = doc;
  key.validator = std::move(validator);
  return key;
}

ConfigKey NullDefault(const char* name, ConfigType type, Importance importance, const char* doc,
                      Validator validator = {}) {
  ConfigKey key = Key(name, type, std::nullopt, importance, doc, std::move(validator));
  key.null_default = true;
  return key;
}

// How Connect 3.9 shows a framework setting (its group, order in the group, width and display name),
// measured against a Connect worker (tests/e2e/rest_conformance_real.py).
ConfigKey Shown(ConfigKey key, const char* group, int order, Width width, const char* display_name) {
  key.group = group;
  key.order_in_group = order;
  key.width = width;
  key.display_name = display_name;
  return key;
}

using T = ConfigType;
using I = Importance;

constexpr const char* kDefaultTopicFilterClass = "org.apache.kafka.connect.mirror.DefaultTopicFilter";
constexpr const char* kDefaultGroupFilterClass = "org.apache.kafka.connect.mirror.DefaultGroupFilter";
constexpr const char* kForwardingAdminClass = "org.apache.kafka.clients.admin.ForwardingAdmin";

// MM2 3.x's deprecated alias of `key`: a LIST with a null default, read only when `key` is not set
// (see TranslateMirrorAliases).
ConfigKey DeprecatedAlias(const char* alias, const char* key) {
  const std::string doc = std::string("Deprecated. Use ") + key + " instead.";
  return NullDefault(alias, T::kList, I::kHigh, doc.c_str(), ValidRegexList());
}

// The topic filter's keys, which MM2's DefaultTopicFilter reads in the source and checkpoint connectors.
void DefineTopicFilter(ConfigDef& def, const char* topics_doc) {
  def.Define(Key("topics", T::kList, ".*", I::kHigh, topics_doc, ValidRegexList()))
      .Define(Key(kTopicsExclude, T::kList, ".*[\\-\\.]internal, .*\\.replica, __.*", I::kHigh,
                  "Excluded topics. Supports comma-separated topic names and regexes. Excludes take precedence "
                  "over includes.",
                  ValidRegexList()))
      .Define(DeprecatedAlias(kTopicsBlacklist, kTopicsExclude))
      .Define(Key("topic.filter.class", T::kClass, kDefaultTopicFilterClass, I::kLow,
                  "TopicFilter to use. Selects topics to replicate.", KnownClass({kDefaultTopicFilterClass})));
}

// Kafka's Range on a DOUBLE key, with its messages.
Validator DoubleBetween(double min, double max, const char* min_text, const char* max_text) {
  return [=](const ConfigValue& v) -> std::optional<std::string> {
    const auto* d = std::get_if<double>(&v);
    CHECK(d != nullptr) << "DoubleBetween() on a value that is not a double";
    if (*d < min) return std::string("Value must be at least ") + min_text;
    if (*d > max) return std::string("Value must be no more than ") + max_text;
    return std::nullopt;
  };
}

// The Kafka client's TLS and SASL settings, which MM2's connector definition lists unprefixed
// (Kafka's ConfigDef withClientSslSupport and withClientSaslSupport, as of 3.9): Connect's validate
// answer and GET /connector-plugins/{p}/config show them with these types, PASSWORD values as
// "[hidden]". The clients themselves take the prefixed forms (source.cluster.*, target.cluster.*,
// the consumer./producer./admin. overrides; mirror_client_config.h), as MM2's do.
void DefineClientSecurity(ConfigDef& def) {
  constexpr const char* kTls = "The Kafka clients' TLS setting (MM2 and Ferry take it with a cluster prefix: "
                               "source.cluster., target.cluster., or a client override).";
  constexpr const char* kSasl = "The Kafka clients' SASL setting (MM2 and Ferry take it with a cluster prefix: "
                                "source.cluster., target.cluster., or a client override).";
  constexpr const char* kSecret = "A secret of the Kafka clients' TLS or SASL settings, shown as [hidden] (taken "
                                  "with a cluster prefix: source.cluster., target.cluster., or a client override).";
  // TLS: SslConfigs.addClientSslSupport.
  def.Define(Key("ssl.protocol", T::kString, "TLSv1.3", I::kMedium, kTls))
      .Define(NullDefault("ssl.provider", T::kString, I::kMedium, kTls))
      .Define(NullDefault("ssl.cipher.suites", T::kList, I::kLow, kTls))
      .Define(Key("ssl.enabled.protocols", T::kList, "TLSv1.2,TLSv1.3", I::kMedium, kTls))
      .Define(Key("ssl.keystore.type", T::kString, "JKS", I::kMedium, kTls))
      .Define(NullDefault("ssl.keystore.location", T::kString, I::kHigh, kTls))
      .Define(NullDefault("ssl.keystore.password", T::kPassword, I::kHigh, kSecret))
      .Define(NullDefault("ssl.key.password", T::kPassword, I::kHigh, kSecret))
      .Define(NullDefault("ssl.keystore.key", T::kPassword, I::kHigh, kSecret))
      .Define(NullDefault("ssl.keystore.certificate.chain", T::kPassword, I::kHigh, kSecret))
      .Define(NullDefault("ssl.truststore.certificates", T::kPassword, I::kHigh, kSecret))
      .Define(Key("ssl.truststore.type", T::kString, "JKS", I::kMedium, kTls))
      .Define(NullDefault("ssl.truststore.location", T::kString, I::kHigh, kTls))
      .Define(NullDefault("ssl.truststore.password", T::kPassword, I::kHigh, kSecret))
      .Define(Key("ssl.keymanager.algorithm", T::kString, "SunX509", I::kLow, kTls))  // the JVM's default
      .Define(Key("ssl.trustmanager.algorithm", T::kString, "PKIX", I::kLow, kTls))    // likewise
      .Define(Key("ssl.endpoint.identification.algorithm", T::kString, "https", I::kLow, kTls))
      .Define(NullDefault("ssl.secure.random.implementation", T::kString, I::kLow, kTls))
      .Define(NullDefault("ssl.engine.factory.class", T::kClass, I::kLow, kTls));
  // SASL: SaslConfigs.addClientSaslSupport.
  def.Define(NullDefault("sasl.kerberos.service.name", T::kString, I::kMedium, kSasl))
      .Define(Key("sasl.kerberos.kinit.cmd", T::kString, "/usr/bin/kinit", I::kLow, kSasl))
      .Define(Key("sasl.kerberos.ticket.renew.window.factor", T::kDouble, "0.8", I::kLow, kSasl))
      .Define(Key("sasl.kerberos.ticket.renew.jitter", T::kDouble, "0.05", I::kLow, kSasl))
      .Define(Key("sasl.kerberos.min.time.before.relogin", T::kLong, "60000", I::kLow, kSasl))
      .Define(Key("sasl.login.refresh.window.factor", T::kDouble, "0.8", I::kLow, kSasl,
                  DoubleBetween(0.5, 1.0, "0.5", "1.0")))
      .Define(Key("sasl.login.refresh.window.jitter", T::kDouble, "0.05", I::kLow, kSasl,
                  DoubleBetween(0.0, 0.25, "0.0", "0.25")))
      .Define(Key("sasl.login.refresh.min.period.seconds", T::kShort, "60", I::kLow, kSasl, Between(0, 900)))
      .Define(Key("sasl.login.refresh.buffer.seconds", T::kShort, "300", I::kLow, kSasl, Between(0, 3600)))
      .Define(Key("sasl.mechanism", T::kString, "GSSAPI", I::kMedium, kSasl))
      .Define(NullDefault("sasl.jaas.config", T::kPassword, I::kMedium, kSecret))
      .Define(NullDefault("sasl.client.callback.handler.class", T::kClass, I::kMedium, kSasl))
      .Define(NullDefault("sasl.login.callback.handler.class", T::kClass, I::kMedium, kSasl))
      .Define(NullDefault("sasl.login.class", T::kClass, I::kMedium, kSasl))
      .Define(NullDefault("sasl.login.connect.timeout.ms", T::kInt, I::kLow, kSasl))
      .Define(NullDefault("sasl.login.read.timeout.ms", T::kInt, I::kLow, kSasl))
      .Define(Key("sasl.login.retry.backoff.max.ms", T::kLong, "10000", I::kLow, kSasl))
      .Define(Key("sasl.login.retry.backoff.ms", T::kLong, "100", I::kLow, kSasl))
      .Define(Key("sasl.oauthbearer.scope.claim.name", T::kString, "scope", I::kLow, kSasl))
      .Define(Key("sasl.oauthbearer.sub.claim.name", T::kString, "sub", I::kLow, kSasl))
      .Define(NullDefault("sasl.oauthbearer.token.endpoint.url", T::kString, I::kMedium, kSasl))
      .Define(NullDefault("sasl.oauthbearer.jwks.endpoint.url", T::kString, I::kMedium, kSasl))
      .Define(Key("sasl.oauthbearer.jwks.endpoint.refresh.ms", T::kLong, "3600000", I::kLow, kSasl))
      .Define(Key("sasl.oauthbearer.jwks.endpoint.retry.backoff.max.ms", T::kLong, "10000", I::kLow, kSasl))
      .Define(Key("sasl.oauthbearer.jwks.endpoint.retry.backoff.ms", T::kLong, "100", I::kLow, kSasl))
      .Define(Key("sasl.oauthbearer.clock.skew.seconds", T::kInt, "30", I::kLow, kSasl))
      .Define(NullDefault("sasl.oauthbearer.expected.audience", T::kList, I::kLow, kSasl))
      .Define(NullDefault("sasl.oauthbearer.expected.issuer", T::kString, I::kLow, kSasl))
      .Define(Key("sasl.oauthbearer.header.urlencode", T::kBoolean, "false", I::kLow, kSasl));
}

void DefineMirrorCommon(ConfigDef& def) {
  def.Define(Key("enabled", T::kBoolean, "true", I::kLow, "Whether to replicate source->target."))
      .Define(Key(kSourceClusterAlias, T::kString, std::nullopt, I::kHigh, "Alias of source cluster"))
      .Define(Key("target.cluster.alias", T::kString, "target", I::kHigh, "Alias of target cluster. Used in metrics reporting."))
      .Define(Key(kReplicationPolicyClass, T::kClass, kDefaultReplicationPolicyClass, I::kLow,
                  "Class which defines the remote topic naming convention.",
                  KnownClass({kDefaultReplicationPolicyClass, kIdentityReplicationPolicyClass})))
      .Define(Key(kReplicationPolicySeparator, T::kString, ".", I::kLow,
                  "Separator used in remote topic naming convention."))
      .Define(Key(kInternalTopicSeparatorEnabled, T::kBoolean, "true", I::kLow,
                  "Whether to use replication.policy.separator to control the names of topics used for "
                  "checkpoints and offset syncs. By default, custom separators are used in these topic names; "
                  "however, if upgrading MirrorMaker 2 from older versions that did not support this config, "
                  "it may be necessary to set this to 'false' in order to continue using the previous names."))
      .Define(Key("admin.timeout.ms", T::kLong, "60000", I::kLow,
                  "Timeout for administrative tasks, e.g. detecting new topics."))
      .Define(Key("forwarding.admin.class", T::kClass, kForwardingAdminClass, I::kLow,
                  "Class which extends ForwardingAdmin to define custom cluster resource management (topics, "
                  "configs, etc). Ferry has only the default: its own admin client.",
                  KnownClass({kForwardingAdminClass})))
      .Define(Key("metric.reporters", T::kList, "", I::kLow, "A list of classes to use as metrics reporters."))
      .Define(Key("auto.include.jmx.reporter", T::kBoolean, "true", I::kLow,
                  "Deprecated. Whether to automatically include JmxReporter even if it's not listed in metric.reporters."))
      .Define(Key("security.protocol", T::kString, "PLAINTEXT", I::kMedium,
                  "Protocol used to communicate with brokers. Valid values are: PLAINTEXT, SSL, SASL_PLAINTEXT, "
                  "SASL_SSL.",
                  OneOf({"PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"}, /*case_insensitive=*/true)));
  DefineClientSecurity(def);
}

// Connect's check on `transforms` and `predicates`.
Validator UniqueAliases() {
  return [](const ConfigValue& v) -> std::optional<std::string> {
    const auto* list = std::get_if<std::vector<std::string>>(&v);
    CHECK(list != nullptr) << "UniqueAliases() on a value that is not a list";
    std::vector<std::string> aliases = *list;
    std::sort(aliases.begin(), aliases.end());
    if (std::adjacent_find(aliases.begin(), aliases.end()) != aliases.end()) return "Duplicate alias provided.";
    return std::nullopt;
  };
}

void DefineReplicationFactor(ConfigDef& def, const char* name, const char* default_value, const char* doc) {
  def.Define(Key(name, T::kShort, default_value, I::kLow, doc));
}

}  // namespace

const ConfigDef& ConnectorCommonConfigDef() {
  static const ConfigDef def = [] {
    ConfigDef d;
    d.Define(Shown(Key("name", T::kString, std::nullopt, I::kHigh,
                 "Globally unique name to use for this connector.", NonEmptyString()),
                      "Common", 1, Width::kMedium, "Connector name"))
        .Define(Shown(Key("connector.class", T::kString, std::nullopt, I::kHigh,
                    "Name or alias of the class for this connector. Must be a subclass of "
                    "org.apache.kafka.connect.connector.Connector."), "Common", 2, Width::kLong, "Connector class"))
        .Define(Shown(Key("tasks.max", T::kInt, "1", I::kHigh, "Maximum number of tasks to use for this connector.",
                    AtLeast(1)), "Common", 3, Width::kShort, "Tasks max"))
        .Define(Shown(Key("tasks.max.enforce", T::kBoolean, "true", I::kLow,
                    "(Deprecated) Whether to enforce that the tasks.max property is respected by the connector."),
                         "Common", 4, Width::kShort, "Enforce tasks max"))
        .Define(Shown(NullDefault("key.converter", T::kClass, I::kLow,
                            "Converter class used to convert between Kafka Connect format and the serialized form. "
                            "Ferry copies bytes unchanged (ByteArrayConverter)."),
                                 "Common", 5, Width::kShort, "Key converter class"))
        .Define(Shown(NullDefault("value.converter", T::kClass, I::kLow,
                            "Converter class for values. Ferry copies bytes unchanged (ByteArrayConverter)."),
                                 "Common", 6, Width::kShort, "Value converter class"))
        .Define(Shown(NullDefault("header.converter", T::kClass, I::kLow,
                            "Converter class for headers. Ferry copies bytes unchanged."),
                                 "Common", 7, Width::kShort, "Header converter class"))
        .Define(Shown(Key("config.action.reload", T::kString, "restart", I::kLow,
                    "The action that Connect should take on the connector when changes in external configuration "
                    "providers result in a change in the connector's configuration properties.",
                    OneOf({"none", "restart"})), "Common", 10, Width::kMedium, "Reload Action"))
        .Define(Shown(Key("transforms", T::kList, "", I::kLow,
                    "Aliases for the transformations to be applied to records. Ferry supports none.", UniqueAliases()),
                         "Transforms", 8, Width::kLong, "Transforms"))
        .Define(Shown(Key("predicates", T::kList, "", I::kLow, "Aliases for the predicates used by transformations.",
                    UniqueAliases()), "Predicates", 9, Width::kLong, "Predicates"))
        .Define(Shown(Key("errors.retry.timeout", T::kLong, "0", I::kMedium,
                    "The maximum duration in milliseconds that a failed operation will be reattempted."),
                         "Error Handling", 1, Width::kMedium, "Retry Timeout for Errors"))
        .Define(Shown(Key("errors.retry.delay.max.ms", T::kLong, "60000", I::kMedium,
                    "The maximum duration in milliseconds between consecutive retry attempts."),
                         "Error Handling", 2, Width::kMedium, "Maximum Delay Between Retries for Errors"))
        .Define(Shown(Key("errors.tolerance", T::kString, "none", I::kMedium,
                    "Behavior for tolerating errors during connector operation.", OneOf({"none", "all"})),
                         "Error Handling", 3, Width::kShort, "Error Tolerance"))
        .Define(Shown(Key("errors.log.enable", T::kBoolean, "false", I::kMedium,
                    "If true, write each error and the details of the failed operation to the log."),
                         "Error Handling", 4, Width::kShort, "Log Errors"))
        .Define(Shown(Key("errors.log.include.messages", T::kBoolean, "false", I::kMedium,
                    "Whether to include in the log the Connect record that resulted in a failure."),
                         "Error Handling", 5, Width::kShort, "Log Error Details"))
        .Define(Shown(Key("topic.creation.groups", T::kList, "", I::kLow,
                    "Groups of configurations for topics created by source connectors."),
                         "Topic Creation", 1, Width::kLong, "Topic Creation Groups"))
        .Define(Shown(Key("exactly.once.support", T::kString, "requested", I::kMedium,
                    "Permitted values are requested, required.", OneOf({"requested", "required"}, true)),
                         "Exactly Once Support", 2, Width::kShort, "Exactly once support"))
        .Define(Shown(Key("transaction.boundary", T::kString, "poll", I::kMedium,
                    "Permitted values are: poll, interval, connector.", OneOf({"poll", "interval", "connector"}, true)),
                         "Exactly Once Support", 3, Width::kShort, "Transaction Boundary"))
        .Define(Shown(NullDefault("offsets.storage.topic", T::kString, I::kLow,
                            "The name of a separate offsets topic to use for this connector.", NonEmptyString()),
                                 "offsets.topic", 1, Width::kLong, "Offsets topic"));
    return d;
  }();
  return def;
}

ConfigDef ConnectorConfigDef(const ConfigDef& plugin, bool source_settings_last) {
  // Connect's order: ConnectorConfig's groups, then what SourceConnectorConfig adds (topic creation,
  // exactly once, the offsets topic), which GET /connector-plugins/{p}/config shows after the plugin's.
  // ConnectorConfig's settings in Connect's order: the numbered ones, then error handling's.
  const std::set<std::string> first = {"Common", "Transforms", "Predicates", "Error Handling"};
  std::vector<ConfigKey> keys;
  for (const ConfigKey& key : ConnectorCommonConfigDef().keys()) {
    if (first.contains(key.group)) keys.push_back(key);
  }
  auto rank = [](const ConfigKey& key) { return (key.group == "Error Handling" ? 100 : 0) + key.order_in_group; };
  std::stable_sort(keys.begin(), keys.end(),
                   [&](const ConfigKey& a, const ConfigKey& b) { return rank(a) < rank(b); });
  ConfigDef def;
  for (ConfigKey& key : keys) def.Define(std::move(key));
  if (source_settings_last) def.Merge(plugin);
  for (const ConfigKey& key : ConnectorCommonConfigDef().keys()) {
    if (!first.contains(key.group)) def.Define(key);
  }
  if (!source_settings_last) def.Merge(plugin);
  return def;
}

const ConfigDef& MirrorSourceConfigDef() {
  static const ConfigDef def = [] {
    ConfigDef d;
    DefineMirrorCommon(d);
    DefineTopicFilter(d, "Topics to replicate. Supports comma-separated topic names and regexes.");
    d.Define(Key(kConfigPropertiesExclude, T::kList, kDefaultConfigPropertiesExclude, I::kHigh,
                 "Topic config properties that should not be replicated. Supports comma-separated property names "
                 "and regexes.",
                 ValidRegexList()))
        .Define(DeprecatedAlias(kConfigPropertiesBlacklist, kConfigPropertiesExclude))
        .Define(Key(kConfigPropertyFilterClass, T::kClass, kDefaultConfigPropertyFilterClass, I::kLow,
                    "ConfigPropertyFilter to use. Selects topic config properties to replicate.",
                    KnownClass({kDefaultConfigPropertyFilterClass})))
        .Define(Key("consumer.poll.timeout.ms", T::kLong, "1000", I::kLow, "Timeout when polling source cluster."))
        .Define(Key("refresh.topics.enabled", T::kBoolean, "true", I::kLow,
                    "Whether to periodically check for new topics and partitions."))
        .Define(Key("refresh.topics.interval.seconds", T::kLong, "600", I::kLow,
                    "Frequency of topic refresh."))
        .Define(Key("sync.topic.configs.enabled", T::kBoolean, "true", I::kLow,
                    "Whether to periodically configure remote topics to match their corresponding upstream topics."))
        .Define(Key("sync.topic.configs.interval.seconds", T::kLong, "600", I::kLow, "Frequency of topic config sync."))
        .Define(Key("use.incremental.alter.configs", T::kString, "requested", I::kLow,
                    "Deprecated. Which API to use for syncing topic configs.",
                    OneOf({"requested", "required", "never"})))
        .Define(Key("sync.topic.acls.enabled", T::kBoolean, "true", I::kLow,
                    "Whether to periodically configure remote topic ACLs to match their corresponding upstream topics."))
        .Define(Key("sync.topic.acls.interval.seconds", T::kLong, "600", I::kLow, "Frequency of topic ACL sync."))
        .Define(Key("replication.factor", T::kInt, "2", I::kLow, "Replication factor for newly created remote topics."))
        .Define(Key("offset-syncs.topic.replication.factor", T::kShort, "3", I::kLow,
                    "Replication factor for offset-syncs topic."))
        .Define(Key("offset-syncs.topic.location", T::kString, "source", I::kLow,
                    "The location (source/target) of the offset-syncs topic.", OneOf({"source", "target"})))
        .Define(Key("offset.lag.max", T::kLong, "100", I::kLow,
                    "How out-of-sync a remote partition can be before it is resynced."))
        .Define(Key("emit.offset-syncs.enabled", T::kBoolean, "true", I::kLow,
                    "Whether to store the new offset of the replicated records in offset-syncs topic or not."))
        .Define(Key("add.source.alias.to.metrics", T::kBoolean, "false", I::kLow,
                    "Deprecated. Whether to tag metrics with the source cluster alias."))
        .Define(Key("ferry.skip.lost.records", T::kBoolean, "false", I::kMedium,
                    "Ferry only. When the source deleted records before they were copied, skip them (logged and "
                    "counted) instead of failing the task."))
        .Define(Key("ferry.resume.mode", T::kString, "committed", I::kMedium,
                    "Ferry only. Where a restarted task resumes a partition: 'committed', at the stored position "
                    "(MM2's at-least-once: what was copied after the last offset commit is copied again), or "
                    "'exact', at the record after its last copy on the target when a comparison of both logs proves "
                    "it (else at the stored position, the records copied again counted).",
                    OneOf({"committed", "exact"})))
        .Define(Key("ferry.resume.max.compare.records", T::kLong, "100000", I::kLow,
                    "Ferry only. With ferry.resume.mode=exact, the most target records past the last offset sync "
                    "compared with the source at a start; more fall back to the stored position."));
    return d;
  }();
  return def;
}

const ConfigDef& MirrorCheckpointConfigDef() {
  static const ConfigDef def = [] {
    ConfigDef d;
    DefineMirrorCommon(d);
    d.Define(Key("groups", T::kList, ".*", I::kHigh, "Consumer groups to replicate. Supports comma-separated group IDs and regexes.",
                 ValidRegexList()))
        .Define(Key(kGroupsExclude, T::kList, "console-consumer-.*, connect-.*, __.*", I::kHigh,
                    "Exclude groups. Supports comma-separated group IDs and regexes. Excludes take precedence over "
                    "includes.",
                    ValidRegexList()))
        .Define(DeprecatedAlias(kGroupsBlacklist, kGroupsExclude))
        .Define(Key("group.filter.class", T::kClass, kDefaultGroupFilterClass, I::kLow,
                    "GroupFilter to use. Selects consumer groups to replicate.", KnownClass({kDefaultGroupFilterClass})));
    DefineTopicFilter(d, "Topics whose groups' offsets are checkpointed.");
    d.Define(Key("consumer.poll.timeout.ms", T::kLong, "1000", I::kLow, "Timeout when polling source cluster."))
        .Define(Key("refresh.groups.enabled", T::kBoolean, "true", I::kLow,
                    "Whether to periodically check for new consumer groups."))
        .Define(Key("refresh.groups.interval.seconds", T::kLong, "600", I::kLow, "Frequency of group refresh."))
        .Define(Key("emit.checkpoints.enabled", T::kBoolean, "true", I::kLow,
                    "Whether to replicate consumer offsets to target cluster."))
        .Define(Key("emit.checkpoints.interval.seconds", T::kLong, "60", I::kLow,
                    "Frequency of checkpoints."))
        .Define(Key("sync.group.offsets.enabled", T::kBoolean, "false", I::kLow,
                    "Whether to periodically write the translated offsets to __consumer_offsets topic in target "
                    "cluster, as long as no active consumers in that group are connected to the target cluster"))
        .Define(Key("sync.group.offsets.interval.seconds", T::kLong, "60", I::kLow,
                    "Frequency of consumer group offset sync."))
        .Define(Key("offset-syncs.topic.location", T::kString, "source", I::kLow,
                    "The location (source/target) of the offset-syncs topic.", OneOf({"source", "target"})));
    DefineReplicationFactor(d, "checkpoints.topic.replication.factor", "3", "Replication factor for checkpoints topic.");
    return d;
  }();
  return def;
}

const ConfigDef& MirrorHeartbeatConfigDef() {
  static const ConfigDef def = [] {
    ConfigDef d;
    DefineMirrorCommon(d);
    d.Define(Key("emit.heartbeats.enabled", T::kBoolean, "true", I::kLow,
                 "Whether to emit heartbeats to target cluster."))
        .Define(Key("emit.heartbeats.interval.seconds", T::kLong, "1", I::kLow, "Frequency of heartbeats."));
    DefineReplicationFactor(d, "heartbeats.topic.replication.factor", "3", "Replication factor for heartbeats topic.");
    return d;
  }();
  return def;
}

Properties TranslateMirrorAliases(const Properties& config) {
  return TranslateDeprecatedConfigs(config, {{kTopicsExclude, kTopicsBlacklist},
                                             {kGroupsExclude, kGroupsBlacklist},
                                             {kConfigPropertiesExclude, kConfigPropertiesBlacklist}});
}

bool RawValueIs(const Properties& config, const std::string& key, std::string_view value) {
  auto it = config.find(key);
  return it != config.end() && it->second == value;
}

}  // namespace ferry::connectors
