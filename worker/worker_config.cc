#include "worker/worker_config.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <climits>
#include <map>
#include <set>

#include <glog/logging.h>

#include "worker/config_providers.h"
#include "worker/kafka/client.h"
#include "worker/kafka/handles.h"
#include "worker/kafka/java_client_config.h"

namespace ferry::worker {
namespace {

using connectors::AtLeast;
using connectors::Between;
using connectors::ConfigDef;
using connectors::ConfigKey;
using connectors::ConfigType;
using connectors::ConfigValue;
using connectors::Importance;
using connectors::NonEmptyString;
using connectors::OneOf;
using connectors::ParsedConfig;
using connectors::Validator;

// What Ferry does with a defined key.
enum class Use {
  kFerry,    // read into a typed field
  kIgnored,  // a valid Connect key without meaning for Ferry: validated, then noted at INFO
  kClient,   // a Kafka client setting: validated, then given to every client (if librdkafka knows it)
};

struct KeySpec {
  ConfigKey key;
  Use use;
};

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool StartsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// A key with a value default.
ConfigKey Key(const char* name, ConfigType type, const char* default_value, Importance importance,
              const char* doc, Validator validator = {}) {
  ConfigKey key;
  key.name = name;
  key.type = type;
  key.default_value = default_value;
  key.importance = importance;
  key.documentation = doc;
  key.validator = std::move(validator);
  return key;
}

// A required key.
ConfigKey Required(const char* name, ConfigType type, Importance importance, const char* doc,
                   Validator validator = {}) {
  ConfigKey key = Key(name, type, "", importance, doc, std::move(validator));
  key.default_value.reset();
  return key;
}

// An optional key whose default is null.
ConfigKey NullDefault(const char* name, ConfigType type, Importance importance, const char* doc,
                      Validator validator = {}) {
  ConfigKey key = Required(name, type, importance, doc, std::move(validator));
  key.null_default = true;
  return key;
}

// Connect's validators for internal topics (TopicCreationConfig), with its messages.
std::optional<std::string> ValidatePartitions(const ConfigValue& v) {
  const int64_t n = std::get<int64_t>(v);
  if (n != -1 && n < 1) return "Number of partitions must be positive, or -1 to use the broker's default";
  return std::nullopt;
}

std::optional<std::string> ValidateReplicationFactor(const ConfigValue& v) {
  const int64_t n = std::get<int64_t>(v);
  if (n != -1 && n < 1) {
    return "Replication factor must be positive and not larger than the number of brokers in the Kafka "
           "cluster, or -1 to use the broker's default";
  }
  return std::nullopt;
}

std::optional<std::string> ValidateConnectProtocol(const ConfigValue& v) {
  const std::string p = ToLower(std::get<std::string>(v));
  if (p != "eager" && p != "compatible" && p != "sessioned") return "Invalid Connect protocol compatibility";
  return std::nullopt;
}

// Connect's ListenersValidator, plus Ferry's own parse of each URL.
std::optional<std::string> ValidateListeners(const ConfigValue& v) {
  const auto& items = std::get<std::vector<std::string>>(v);
  if (items.empty()) {
    return "at least one URL is expected, ex: http://localhost:8080";
  }
  for (const std::string& item : items) {
    if (item.empty()) return "Empty URL found when parsing listeners list.";
    Result<Listener> listener = ParseListener(item);
    if (!listener.ok()) return listener.error().message();
  }
  return std::nullopt;
}

// Connect's AdminListenersValidator (null and an empty list are valid), plus Ferry's parse of each URL.
std::optional<std::string> ValidateAdminListeners(const ConfigValue& v) {
  for (const std::string& item : std::get<std::vector<std::string>>(v)) {
    if (item.empty()) return "Empty URL found when parsing admin.listeners list.";
    Result<Listener> listener = ParseListener(item);
    if (!listener.ok()) return listener.error().message();
  }
  return std::nullopt;
}

std::optional<std::string> ValidateAdvertisedListener(const ConfigValue& v) {
  const std::string scheme = ToLower(std::get<std::string>(v));
  if (scheme == "http" || scheme == "https") return std::nullopt;
  return "Expected http or https";
}

std::optional<std::string> ValidateBootstrapServers(const ConfigValue& v) {
  if (std::get<std::vector<std::string>>(v).empty()) return "At least one host:port is required";
  return std::nullopt;
}

// Connect's worker keys: WorkerConfig.baseConfigDef with RestServerConfig, then DistributedConfig or
// StandaloneConfig. SSL and SASL client keys are not declared one by one: they are taken by prefix.
std::vector<KeySpec> BaseKeys() {
  const auto kList = ConfigType::kList;
  const auto kString = ConfigType::kString;
  const auto kClass = ConfigType::kClass;
  const auto kLong = ConfigType::kLong;
  const auto kInt = ConfigType::kInt;
  const auto kBoolean = ConfigType::kBoolean;
  const auto kHigh = Importance::kHigh;
  const auto kMedium = Importance::kMedium;
  const auto kLow = Importance::kLow;
  return {
      {Key("bootstrap.servers", kList, "localhost:9092", kHigh,
           "host:port pairs for the initial connection to the Kafka cluster.", ValidateBootstrapServers),
       Use::kFerry},
      {Key("client.dns.lookup", kString, "use_all_dns_ips", kMedium, "How clients use DNS lookups.",
           OneOf({"use_all_dns_ips", "resolve_canonical_bootstrap_servers_only"})),
       Use::kClient},
      {NullDefault("key.converter", kClass, kHigh, "Converter for record keys (not used by Ferry)."),
       Use::kIgnored},
      {NullDefault("value.converter", kClass, kHigh, "Converter for record values (not used by Ferry)."),
       Use::kIgnored},
      {Key("task.shutdown.graceful.timeout.ms", kLong, "5000", kLow,
           "Total time to wait for tasks to shut down gracefully."),
       Use::kFerry},
      {Key("offset.flush.interval.ms", kLong, "60000", kLow, "Interval at which to try committing offsets."),
       Use::kFerry},
      {Key("offset.flush.timeout.ms", kLong, "5000", kLow,
           "Maximum time to wait for records to flush and offsets to be committed."),
       Use::kFerry},
      {NullDefault("plugin.path", kList, kLow, "Paths with Java plugins (not used by Ferry)."), Use::kIgnored},
      {Key("plugin.discovery", kString, "hybrid_warn", kLow, "Java plugin discovery (not used by Ferry).",
           OneOf({"only_scan", "hybrid_warn", "hybrid_fail", "service_load"}, /*case_insensitive=*/true)),
       Use::kIgnored},
      {Key("metrics.sample.window.ms", kLong, "30000", kLow, "Metrics sample window.", AtLeast(0)),
       Use::kIgnored},
      {Key("metrics.num.samples", kInt, "2", kLow, "Metrics samples.", AtLeast(1)), Use::kIgnored},
      {Key("metrics.recording.level", kString, "INFO", kLow, "Metrics recording level.",
           OneOf({"INFO", "DEBUG"})),
       Use::kIgnored},
      {Key("metric.reporters", kList, "org.apache.kafka.common.metrics.JmxReporter", kLow,
           "Metrics reporter classes (not used by Ferry)."),
       Use::kIgnored},
      {Key("header.converter", kClass, "org.apache.kafka.connect.storage.SimpleHeaderConverter", kLow,
           "Converter for record headers (not used by Ferry)."),
       Use::kIgnored},
      {Key("config.providers", kList, "", kLow,
           "Config provider names (Kafka's file, env and directory providers; worker/config_providers.h)."),
       Use::kFerry},
      {Key("connector.client.config.override.policy", kString, "All", kMedium,
           "Policy for connector client overrides (not used by Ferry)."),
       Use::kIgnored},
      {Key("topic.creation.enable", kBoolean, "true", kLow,
           "Whether source connectors may create their topics."),
       Use::kFerry},
      {Key("topic.tracking.enable", kBoolean, "true", kLow, "Track the topics used by each connector."),
       Use::kFerry},
      {Key("topic.tracking.allow.reset", kBoolean, "true", kLow, "Allow resetting a connector's topic set."),
       Use::kFerry},
      {Key("listeners", kList, "http://:8083", kLow, "URLs the REST API listens on.", ValidateListeners),
       Use::kFerry},
      {NullDefault("rest.advertised.host.name", kString, kLow, "Host name given to other workers."),
       Use::kFerry},
      {NullDefault("rest.advertised.port", kInt, kLow, "Port given to other workers.", Between(1, 65535)),
       Use::kFerry},
      {NullDefault("rest.advertised.listener", kString, kLow, "Listener scheme given to other workers.",
                   ValidateAdvertisedListener),
       Use::kFerry},
      {Key("access.control.allow.origin", kString, "", kLow, "CORS allowed origin (not used by Ferry)."),
       Use::kIgnored},
      {Key("access.control.allow.methods", kString, "", kLow, "CORS allowed methods (not used by Ferry)."),
       Use::kIgnored},
      {Key("response.http.headers.config", kString, "", kLow, "Extra REST response headers (not used)."),
       Use::kIgnored},
      {Key("ssl.client.auth", kString, "none", kLow, "Client certificates on https REST listeners.",
           OneOf({"required", "requested", "none"})),
       Use::kFerry},
      {Key("rest.extension.classes", kList, "", kLow,
           "REST extensions: only BasicAuthSecurityRestExtension (Ferry's own Basic authentication)."),
       Use::kFerry},
      {NullDefault("ferry.rest.auth.login.config", kString, kLow,
                   "Ferry only: the JAAS file of Basic authentication (else -Djava.security.auth.login.config "
                   "in KAFKA_OPTS)."),
       Use::kFerry},
      {NullDefault("admin.listeners", kList, kLow,
                   "URLs the admin endpoints (/admin/loggers) listen on; unset: on `listeners`; empty: off.",
                   ValidateAdminListeners),
       Use::kFerry},
  };
}

std::vector<KeySpec> DistributedKeys() {
  const auto kString = ConfigType::kString;
  const auto kLong = ConfigType::kLong;
  const auto kInt = ConfigType::kInt;
  const auto kShort = ConfigType::kShort;
  const auto kList = ConfigType::kList;
  const auto kHigh = Importance::kHigh;
  const auto kMedium = Importance::kMedium;
  const auto kLow = Importance::kLow;
  return {
      {Required("group.id", kString, kHigh, "The group of this worker's Connect cluster.", NonEmptyString()),
       Use::kFerry},
      {Key("session.timeout.ms", kInt, "10000", kHigh, "Group session timeout."), Use::kFerry},
      {Key("rebalance.timeout.ms", kInt, "60000", kHigh, "Maximum time for a rebalance."), Use::kFerry},
      {Key("heartbeat.interval.ms", kInt, "3000", kHigh, "Group heartbeat interval."), Use::kFerry},
      {Key("exactly.once.source.support", kString, "disabled", kHigh,
           "Exactly-once support for source connectors (not supported by Ferry).",
           OneOf({"disabled", "preparing", "enabled"})),
       Use::kIgnored},
      {Key("metadata.max.age.ms", kLong, "300000", kLow, "Metadata refresh interval.", AtLeast(0)),
       Use::kClient},
      {Key("client.id", kString, "", kLow, "Base of the client ids of this worker's clients."), Use::kFerry},
      {Key("send.buffer.bytes", kInt, "131072", kMedium, "TCP send buffer size.", AtLeast(-1)), Use::kClient},
      {Key("receive.buffer.bytes", kInt, "32768", kMedium, "TCP receive buffer size.", AtLeast(-1)),
       Use::kClient},
      {Key("reconnect.backoff.ms", kLong, "50", kLow, "Reconnect backoff.", AtLeast(0)), Use::kClient},
      {Key("reconnect.backoff.max.ms", kLong, "1000", kLow, "Maximum reconnect backoff.", AtLeast(0)),
       Use::kClient},
      {Key("socket.connection.setup.timeout.ms", kLong, "10000", kMedium, "Connection setup timeout.",
           AtLeast(0)),
       Use::kClient},
      {Key("socket.connection.setup.timeout.max.ms", kLong, "30000", kMedium,
           "Maximum connection setup timeout.", AtLeast(0)),
       Use::kClient},
      {Key("retry.backoff.ms", kLong, "100", kLow, "Retry backoff.", AtLeast(0)), Use::kClient},
      {Key("retry.backoff.max.ms", kLong, "1000", kLow, "Maximum retry backoff.", AtLeast(0)), Use::kClient},
      // Java's request timeout has no librdkafka counterpart of the same meaning (librdkafka's
      // request.timeout.ms is the producer's ack timeout), so it is not passed on.
      {Key("request.timeout.ms", kInt, "40000", kMedium, "Client request timeout (not used by Ferry).",
           AtLeast(0)),
       Use::kIgnored},
      {Key("connections.max.idle.ms", kLong, "540000", kMedium, "Close idle connections after this long."),
       Use::kClient},
      {Key("security.protocol", kString, "PLAINTEXT", kMedium, "Protocol used to talk to brokers.",
           OneOf({"PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"})),
       Use::kClient},
      {Key("worker.sync.timeout.ms", kInt, "3000", kMedium, "Time to catch up with the config topic."),
       Use::kFerry},
      {Key("worker.unsync.backoff.ms", kInt, "300000", kMedium, "Backoff before rejoining when out of sync."),
       Use::kFerry},
      {Required("offset.storage.topic", kString, kHigh, "Topic of source connector offsets.", NonEmptyString()),
       Use::kFerry},
      {Key("offset.storage.partitions", kInt, "25", kLow, "Partitions of the offsets topic.",
           ValidatePartitions),
       Use::kFerry},
      {Key("offset.storage.replication.factor", kShort, "3", kLow, "Replication factor of the offsets topic.",
           ValidateReplicationFactor),
       Use::kFerry},
      {Required("config.storage.topic", kString, kHigh, "Topic of connector configurations.", NonEmptyString()),
       Use::kFerry},
      {Key("config.storage.replication.factor", kShort, "3", kLow, "Replication factor of the config topic.",
           ValidateReplicationFactor),
       Use::kFerry},
      {Required("status.storage.topic", kString, kHigh, "Topic of connector and task status.",
                NonEmptyString()),
       Use::kFerry},
      {Key("status.storage.partitions", kInt, "5", kLow, "Partitions of the status topic.", ValidatePartitions),
       Use::kFerry},
      {Key("status.storage.replication.factor", kShort, "3", kLow, "Replication factor of the status topic.",
           ValidateReplicationFactor),
       Use::kFerry},
      {Key("connect.protocol", kString, "sessioned", kLow, "Group sub-protocol: eager, compatible, sessioned.",
           ValidateConnectProtocol),
       Use::kFerry},
      {Key("scheduled.rebalance.max.delay.ms", kInt, "300000", kLow,
           "Delay before lost work is reassigned.", Between(0, INT_MAX)),
       Use::kFerry},
      {Key("ferry.group.leader.sync.delay.ms", kInt, "0", kLow,
           "Ferry only: how long the group leader holds its SyncGroup back so that followers sync first. "
           "Only the librdkafka mock cluster needs it (it completes a sync on the leader's request alone).",
           Between(0, 10000)),
       Use::kFerry},
      {Key("inter.worker.key.ttl.ms", kInt, "3600000", kLow,
           "How long the leader's internal request signing key lives before it writes a new one.",
           Between(0, INT_MAX)),
       Use::kFerry},
      {Key("inter.worker.key.generation.algorithm", kString, "HmacSHA256", kLow,
           "Algorithm of the internal request signing key.", OneOf({"HmacSHA1", "HmacSHA256", "HmacSHA384", "HmacSHA512"})),
       Use::kFerry},
      {NullDefault("inter.worker.key.size", kInt, kLow, "Internal request key size (Ferry's keys are 256 bits)."),
       Use::kIgnored},
      {Key("inter.worker.signature.algorithm", kString, "HmacSHA256", kLow,
           "Algorithm with which this worker signs internal requests.", OneOf({"HmacSHA1", "HmacSHA256", "HmacSHA384", "HmacSHA512"})),
       Use::kFerry},
      {Key("inter.worker.verification.algorithms", kList, "HmacSHA256", kLow,
           "Algorithms this worker accepts on internal requests.", OneOf({"HmacSHA1", "HmacSHA256", "HmacSHA384", "HmacSHA512"})),
       Use::kFerry},
      {Key("metadata.recovery.strategy", kString, "none", kLow, "Client metadata recovery strategy.",
           OneOf({"none", "rebootstrap"}, /*case_insensitive=*/true)),
       Use::kClient},
  };
}

std::vector<KeySpec> StandaloneKeys() {
  return {
      {Required("offset.storage.file.filename", ConfigType::kString, Importance::kHigh,
                "File to store source connector offsets.", NonEmptyString()),
       Use::kFerry},
  };
}

// Ferry's view of one mode: the ConfigDef and what to do with each key.
struct ModeKeys {
  ConfigDef def;
  std::map<std::string, Use> use;
};

ModeKeys BuildModeKeys(WorkerMode mode) {
  ModeKeys out;
  std::vector<KeySpec> specs = BaseKeys();
  std::vector<KeySpec> extra = mode == WorkerMode::kDistributed ? DistributedKeys() : StandaloneKeys();
  specs.insert(specs.end(), std::make_move_iterator(extra.begin()), std::make_move_iterator(extra.end()));
  for (KeySpec& spec : specs) {
    out.use[spec.key.name] = spec.use;
    out.def.Define(std::move(spec.key));
  }
  return out;
}

const ModeKeys& KeysFor(WorkerMode mode) {
  static const ModeKeys distributed = BuildModeKeys(WorkerMode::kDistributed);
  static const ModeKeys standalone = BuildModeKeys(WorkerMode::kStandalone);
  return mode == WorkerMode::kDistributed ? distributed : standalone;
}

// Prefixes of valid Connect settings that Ferry has no use for (converter, config provider, metrics
// context, REST TLS settings), and the internal converters removed in Kafka 3.0.
bool IsIgnoredPrefixed(const std::string& key) {
  static constexpr const char* kPrefixes[] = {
      "key.converter.",  "value.converter.",        "header.converter.",      "config.providers.",
      "metrics.context.", "internal.key.converter",
      "internal.value.converter"};
  return std::any_of(std::begin(kPrefixes), std::end(kPrefixes),
                     [&](const char* p) { return StartsWith(key, p); });
}

// librdkafka's verdict on one client setting, as a client will get it (after kafka::FromJavaClientConfig).
enum class ClientCheck { kOk, kUnknown };

class ClientKeyChecker {
 public:
  ClientKeyChecker() : conf_(rd_kafka_conf_new()) {}

  // `name` is librdkafka's property, `shown` the key as the user wrote it (e.g. with "producer.").
  Result<ClientCheck> Check(const std::string& name, const std::string& value, const std::string& shown) {
    char errstr[512];
    const rd_kafka_conf_res_t res =
        rd_kafka_conf_set(conf_.get(), name.c_str(), value.c_str(), errstr, sizeof errstr);
    if (res == RD_KAFKA_CONF_OK) return ClientCheck::kOk;
    if (res == RD_KAFKA_CONF_UNKNOWN) return ClientCheck::kUnknown;
    const bool secret = kafka::IsSecret(name) || kafka::IsSecret(shown);
    return Error(ErrorCode::kInvalidConfig, "Invalid value " + (secret ? std::string("[hidden]") : value) +
                                                " for configuration " + shown + ": " +
                                                (secret ? std::string("rejected by librdkafka") : errstr));
  }

 private:
  kafka::ConfPtr conf_;
};

std::string LocalHostName() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "localhost";
  return buf;
}

bool IsWildcardHost(const std::string& host) { return host.empty() || host == "0.0.0.0" || host == "::"; }

std::string Trimmed(const std::string& s) {
  size_t b = 0;
  size_t e = s.size();
  while (b < e && static_cast<unsigned char>(s[b]) <= ' ') ++b;
  while (e > b && static_cast<unsigned char>(s[e - 1]) <= ' ') --e;
  return s.substr(b, e - b);
}

std::string JoinKeys(const std::vector<std::string>& keys) {
  std::string out;
  for (const std::string& k : keys) out += (out.empty() ? "" : ", ") + k;
  return out;
}

}  // namespace

std::string Listener::ToString() const {
  const bool v6 = host.find(':') != std::string::npos;
  return scheme + "://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Result<Listener> ParseListener(std::string_view url) {
  const std::string text(url);
  auto bad = [&](const std::string& why) {
    return Error(ErrorCode::kInvalidConfig, "Listener '" + text + "' " + why);
  };
  const size_t sep = url.find("://");
  if (sep == std::string_view::npos || sep == 0) {
    return bad("does not have the format <scheme>://<host>:<port>");
  }
  Listener listener;
  listener.scheme = ToLower(url.substr(0, sep));
  if (listener.scheme != "http" && listener.scheme != "https") {
    return bad("has the unsupported scheme '" + std::string(url.substr(0, sep)) + "'; expected http or https");
  }
  std::string_view rest = url.substr(sep + 3);
  std::string_view port_text;
  if (!rest.empty() && rest.front() == '[') {
    const size_t close = rest.find(']');
    if (close == std::string_view::npos) return bad("has an unterminated [IPv6] host");
    listener.host = std::string(rest.substr(1, close - 1));
    rest.remove_prefix(close + 1);
    if (rest.empty() || rest.front() != ':') return bad("has no port (expected <scheme>://<host>:<port>)");
    port_text = rest.substr(1);
  } else {
    const size_t colon = rest.rfind(':');
    if (colon == std::string_view::npos) return bad("has no port (expected <scheme>://<host>:<port>)");
    listener.host = std::string(rest.substr(0, colon));
    if (listener.host.find(':') != std::string::npos) return bad("has an IPv6 host without [brackets]");
    port_text = rest.substr(colon + 1);
  }
  for (char c : listener.host) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.' && c != '_' && c != '%' && c != ':') {
      return bad("has an invalid host name");
    }
  }
  if (port_text.empty() || port_text.size() > 5 ||
      !std::all_of(port_text.begin(), port_text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return bad("has an invalid port '" + std::string(port_text) + "' (expected 0..65535)");
  }
  std::from_chars(port_text.data(), port_text.data() + port_text.size(), listener.port);
  if (listener.port > 65535) return bad("has an invalid port '" + std::string(port_text) + "' (expected 0..65535)");
  return listener;
}

const connectors::ConfigDef& WorkerConfig::Definition(WorkerMode mode) { return KeysFor(mode).def; }

namespace {

// Settings Ferry cannot honour whose absence would leave the worker less safe than its file says:
// an ignored REST extension (Connect's BasicAuth) serves the API open, an ignored config provider
// hands `${file:...}` to clients literally. They stop the start instead of being noted.
Result<> RefuseUnsupportedSafeguards(const ParsedConfig& p) {
  for (const std::string& extension : p.GetList(WorkerConfig::kRestExtensionClasses)) {
    if (extension == WorkerConfig::kBasicAuthExtension) continue;  // Ferry's own (rest/basic_auth.h)
    return Error::InvalidConfig(
        WorkerConfig::kRestExtensionClasses,
        "Ferry cannot run the Kafka Connect REST extension " + extension +
            " (the REST API would be served without it); Ferry has BasicAuthSecurityRestExtension built in. Remove "
            "the class, or protect the API in front of Ferry (e.g. a reverse proxy)");
  }
  return Ok();
}

// The worker's own settings with their `${provider:[path:]key}` references resolved (Kafka's
// AbstractConfig resolves a worker's file the same way), except the config.providers* keys.
Result<Properties> ResolveWorkerProps(const Properties& raw, const ConfigProviders& providers) {
  Properties resolvable;
  for (const auto& [key, value] : raw) {
    if (!StartsWith(key, kConfigProviders)) resolvable[key] = value;
  }
  Result<Properties> resolved = providers.Resolve(resolvable);
  if (!resolved.ok()) return resolved.error();
  for (const auto& [key, value] : raw) resolved->emplace(key, value);
  return resolved;
}

}  // namespace

Result<WorkerConfig> WorkerConfig::Parse(const Properties& raw_props, WorkerMode mode) {
  Result<std::shared_ptr<const ConfigProviders>> providers = ConfigProviders::FromProperties(raw_props);
  if (!providers.ok()) return providers.error();
  Result<Properties> resolved_props = ResolveWorkerProps(raw_props, **providers);
  if (!resolved_props.ok()) return resolved_props.error();
  const Properties& props = *resolved_props;
  const ModeKeys& keys = KeysFor(mode);
  Result<ParsedConfig> parsed_or = keys.def.Parse(props);
  if (!parsed_or.ok()) return parsed_or.error();
  const ParsedConfig& p = *parsed_or;
  FERRY_RETURN_IF_ERROR(RefuseUnsupportedSafeguards(p));

  WorkerConfig c;
  c.mode = mode;
  c.originals = raw_props;
  c.config_providers = *providers;
  {
    std::string servers;
    for (const std::string& s : p.GetList(kBootstrapServers)) servers += (servers.empty() ? "" : ",") + s;
    c.bootstrap_servers = servers;
  }
  c.offset_flush_interval_ms = p.GetLong(kOffsetFlushIntervalMs);
  c.offset_flush_timeout_ms = p.GetLong(kOffsetFlushTimeoutMs);
  c.task_shutdown_graceful_timeout_ms = p.GetLong(kTaskShutdownGracefulTimeoutMs);
  c.topic_tracking_enable = p.GetBool(kTopicTrackingEnable);
  c.topic_tracking_allow_reset = p.GetBool(kTopicTrackingAllowReset);
  c.topic_creation_enable = p.GetBool(kTopicCreationEnable);

  if (mode == WorkerMode::kDistributed) {
    c.group_id = p.GetString(kGroupId);
    c.client_id = p.GetString(kClientId);
    c.connect_protocol = ToLower(p.GetString(kConnectProtocol));
    c.session_timeout_ms = p.GetInt(kSessionTimeoutMs);
    c.heartbeat_interval_ms = p.GetInt(kHeartbeatIntervalMs);
    c.rebalance_timeout_ms = p.GetInt(kRebalanceTimeoutMs);
    c.scheduled_rebalance_max_delay_ms = p.GetInt(kScheduledRebalanceMaxDelayMs);
    c.leader_sync_delay_ms = p.GetInt(kLeaderSyncDelayMs);
    c.inter_worker_key_ttl_ms = p.GetInt("inter.worker.key.ttl.ms");
    c.inter_worker_key_algorithm = p.GetString("inter.worker.key.generation.algorithm");
    c.inter_worker_signature_algorithm = p.GetString("inter.worker.signature.algorithm");
    c.inter_worker_verification_algorithms = p.GetList("inter.worker.verification.algorithms");
    c.worker_sync_timeout_ms = p.GetInt(kWorkerSyncTimeoutMs);
    c.worker_unsync_backoff_ms = p.GetInt(kWorkerUnsyncBackoffMs);
    c.config_topic = p.GetString(kConfigTopic);
    c.config_replication_factor = static_cast<int16_t>(p.GetInt(kConfigReplicationFactor));
    c.offset_topic = p.GetString(kOffsetTopic);
    c.offset_partitions = p.GetInt(kOffsetPartitions);
    c.offset_replication_factor = static_cast<int16_t>(p.GetInt(kOffsetReplicationFactor));
    c.status_topic = p.GetString(kStatusTopic);
    c.status_partitions = p.GetInt(kStatusPartitions);
    c.status_replication_factor = static_cast<int16_t>(p.GetInt(kStatusReplicationFactor));
  } else {
    c.offset_file = p.GetString(kOffsetFile);
  }

  // REST. The validator has parsed every listener once already.
  for (const std::string& item : p.GetList(kListeners)) {
    Result<Listener> listener = ParseListener(item);
    CHECK(listener.ok()) << "listeners validator let through " << item;
    c.listeners.push_back(std::move(listener).value());
  }
  const Listener& advertised = c.listeners.front();
  if (p.Has(kAdvertisedHostName) && !p.GetString(kAdvertisedHostName).empty()) {
    c.advertised_host = p.GetString(kAdvertisedHostName);
  } else {
    c.advertised_host = IsWildcardHost(advertised.host) ? LocalHostName() : advertised.host;
  }
  if (p.Has(kAdminListeners)) {
    c.admin_listeners.emplace();
    for (const std::string& item : p.GetList(kAdminListeners)) {
      Result<Listener> listener = ParseListener(item);
      CHECK(listener.ok()) << "admin.listeners validator let through " << item;
      // Both would bind the same address: Connect fails to bind; say which key is wrong instead.
      if (listener->port != 0 &&
          std::find(c.listeners.begin(), c.listeners.end(), *listener) != c.listeners.end()) {
        return Error(ErrorCode::kInvalidConfig, "Invalid value " + item + " for configuration " +
                                                    std::string(kAdminListeners) +
                                                    ": the address is also in listeners; an admin listener "
                                                    "needs an address of its own");
      }
      c.admin_listeners->push_back(std::move(listener).value());
    }
  }
  if (p.Has(kAdvertisedListener)) {
    c.advertised_scheme = ToLower(p.GetString(kAdvertisedListener));
    // Connect would advertise the scheme with another listener's port; the other workers could not
    // reach this one.
    if (std::none_of(c.listeners.begin(), c.listeners.end(),
                     [&](const Listener& l) { return l.scheme == c.advertised_scheme; })) {
      return Error(ErrorCode::kInvalidConfig, "Invalid value " + p.GetString(kAdvertisedListener) +
                                                  " for configuration " + std::string(kAdvertisedListener) +
                                                  ": no URL of listeners is " + c.advertised_scheme);
    }
  } else {
    // Connect's rule: http if any listener is http, else https.
    const bool any_http = std::any_of(c.listeners.begin(), c.listeners.end(), [](const Listener& l) { return l.scheme == "http"; });
    c.advertised_scheme = any_http ? "http" : "https";
  }
  c.rest_https = SelectRestTlsSettings(props, kListenersHttpsPrefix);
  c.rest_admin_https = SelectRestTlsSettings(props, kAdminListenersHttpsPrefix);
  {
    const std::vector<std::string> extensions = p.GetList(kRestExtensionClasses);
    c.rest_basic_auth = std::find(extensions.begin(), extensions.end(), kBasicAuthExtension) != extensions.end();
    if (p.Has(kRestAuthLoginConfig)) c.rest_auth_login_config = p.GetString(kRestAuthLoginConfig);
  }
  if (p.Has(kAdvertisedPort)) {
    c.advertised_port = p.GetInt(kAdvertisedPort);
    c.advertised_port_configured = true;
  } else {
    c.advertised_port = advertised.port;
  }

  // Everything supplied that is not a typed field: client settings, topic settings, the rest. Client
  // settings are kept as written, in Java's terms or librdkafka's (kafka::NewClient translates them),
  // and checked below as each client will see them.
  auto client_setting = [&](const std::string& name, std::string value, const std::string&,
                            Properties& into) -> Result<> {
    into[name] = std::move(value);
    return Ok();
  };
  const bool distributed = mode == WorkerMode::kDistributed;
  for (const auto& [key, raw] : props) {
    if (auto use = keys.use.find(key); use != keys.use.end()) {
      if (use->second == Use::kIgnored) c.ignored_keys.push_back(key);
      if (use->second == Use::kClient) {
        FERRY_RETURN_IF_ERROR(client_setting(key, Trimmed(raw), key, c.common_client));
      }
      continue;
    }
    if (StartsWith(key, "config.providers.")) {  // read by ConfigProviders::FromProperties
      const std::vector<std::string> names = c.config_providers->names();
      const bool used = std::any_of(names.begin(), names.end(), [&key = key](const std::string& name) {
        return StartsWith(key, "config.providers." + name + ".");
      });
      if (!used) c.ignored_keys.push_back(key);  // a provider config.providers does not name
      continue;
    }
    if (IsIgnoredPrefixed(key)) {
      c.ignored_keys.push_back(key);
      continue;
    }
    // REST TLS (c.rest_https, c.rest_admin_https): checked when the REST server starts. Calls to other
    // workers use listeners.https.*; admin.listeners.https.* only matters to an https admin listener.
    if (StartsWith(key, kAdminListenersHttpsPrefix)) {
      const bool used = c.admin_listeners && std::any_of(c.admin_listeners->begin(), c.admin_listeners->end(),
                                                         [](const Listener& l) { return l.scheme == "https"; });
      if (!used) c.ignored_keys.push_back(key);
      continue;
    }
    if (StartsWith(key, kListenersHttpsPrefix)) continue;
    bool handled = false;
    for (auto [prefix, into] : {std::pair<const char*, Properties*>{"producer.", &c.producer_overrides},
                                {"consumer.", &c.consumer_overrides},
                                {"admin.", &c.admin_overrides}}) {
      if (StartsWith(key, prefix) && key.size() > std::string_view(prefix).size()) {
        FERRY_RETURN_IF_ERROR(
            client_setting(key.substr(std::string_view(prefix).size()), Trimmed(raw), key, *into));
        handled = true;
        break;
      }
    }
    if (handled) continue;
    if (kafka::IsSecurityKey(key)) {
      FERRY_RETURN_IF_ERROR(client_setting(key, Trimmed(raw), key, c.common_client));
      continue;
    }
    if (distributed) {
      for (auto [prefix, into] : {std::pair<const char*, Properties*>{"config.storage.", &c.config_topic_settings},
                                  {"offset.storage.", &c.offset_topic_settings},
                                  {"status.storage.", &c.status_topic_settings}}) {
        const std::string_view pfx(prefix);
        if (!StartsWith(key, pfx) || key.size() == pfx.size()) continue;
        const std::string setting = key.substr(pfx.size());
        if (key == kOffsetFile) break;  // the standalone offset file, not a topic config
        handled = true;
        if (setting == "cleanup.policy") {
          LOG(WARNING) << "Ignoring '" << key << "=" << raw << "' setting, since compaction is always used";
        } else if (pfx == "config.storage." && setting == "partitions") {
          LOG(WARNING) << "Ignoring '" << key << "=" << raw
                       << "' setting, since config topic partitions is always 1";
        } else {
          (*into)[setting] = raw;
        }
        break;
      }
      if (handled) continue;
    }
    c.unknown_keys.push_back(key);
  }

  // Each client's settings as it will get them: translated from Java's terms, then librdkafka's
  // verdict. A bad value fails naming the key as written; what no client can use is dropped here (so
  // that creating a client cannot fail on it) and reported once.
  std::set<std::string> not_applied;
  std::map<std::string, int> common_dropped;  // a shared key is not applied if no client uses it
  struct Role {
    const char* prefix;
    Properties* overrides;
    rd_kafka_type_t type;
  };
  for (const Role& role : {Role{"producer.", &c.producer_overrides, RD_KAFKA_PRODUCER},
                           Role{"consumer.", &c.consumer_overrides, RD_KAFKA_CONSUMER},
                           Role{"admin.", &c.admin_overrides, RD_KAFKA_PRODUCER}}) {
    Properties merged = c.common_client;
    for (const auto& [k, v] : *role.overrides) merged[k] = v;
    auto shown = [&role](const std::string& key) { return role.overrides->count(key) ? role.prefix + key : key; };
    Result<kafka::TranslatedClientProps> translated = kafka::FromJavaClientConfig(merged, role.type);
    if (!translated.ok()) return translated.error();
    for (const std::string& key : translated->dropped) {
      if (role.overrides->count(key)) {
        not_applied.insert(shown(key));
      } else if (++common_dropped[key] == 3) {
        not_applied.insert(key);
      }
    }
    ClientKeyChecker checker;
    for (const auto& [key, value] : translated->props) {
      auto java = translated->renamed.find(key);
      const std::string written = java == translated->renamed.end() ? key : java->second;
      Result<ClientCheck> check = checker.Check(key, value, shown(written));
      if (!check.ok()) return check.error();
      if (*check == ClientCheck::kUnknown) {
        not_applied.insert(shown(written));
        role.overrides->erase(written);
        c.common_client.erase(written);
      }
    }
  }

  // Report, once, what Ferry does not use.
  if (!c.ignored_keys.empty()) LOG(INFO) << "ignored by Ferry: " << JoinKeys(c.ignored_keys);
  for (const std::string& key : not_applied) {
    LOG(WARNING) << "The client setting '" << key
                 << "' has no librdkafka equivalent and is ignored by Ferry.";
  }
  c.ignored_keys.insert(c.ignored_keys.end(), not_applied.begin(), not_applied.end());
  std::sort(c.ignored_keys.begin(), c.ignored_keys.end());
  for (const std::string& key : c.unknown_keys) {
    LOG(WARNING) << "The configuration '" << key << "' was supplied but isn't a known config.";
  }
  if (distributed) {
    const std::string eos = p.GetString("exactly.once.source.support");
    if (eos != "disabled") {
      LOG(WARNING) << "exactly.once.source.support=" << eos
                   << ": Ferry has no exactly-once source support; it runs as with 'disabled'.";
    }
  }
  return c;
}

void WorkerConfig::SetBoundPort(int port) {
  CHECK(port > 0 && port <= 65535) << "SetBoundPort(" << port << "): not a bound port";
  if (!advertised_port_configured) advertised_port = port;
}

std::string WorkerConfig::WorkerId() const {
  CHECK(advertised_port > 0) << "WorkerId() before the REST port is known: call SetBoundPort() first";
  const bool v6 = advertised_host.find(':') != std::string::npos;
  return (v6 ? "[" + advertised_host + "]" : advertised_host) + ":" + std::to_string(advertised_port);
}

std::string WorkerConfig::AdvertisedUrl() const { return advertised_scheme + "://" + WorkerId() + "/"; }

namespace {

Properties ClientProps(const WorkerConfig& c, const Properties& overrides) {
  Properties props;
  props[WorkerConfig::kBootstrapServers] = c.bootstrap_servers;
  for (const auto& [k, v] : c.common_client) props[k] = v;
  for (const auto& [k, v] : overrides) props[k] = v;
  return props;
}

}  // namespace

Properties WorkerConfig::ProducerProps() const { return ClientProps(*this, producer_overrides); }
Properties WorkerConfig::ConsumerProps() const { return ClientProps(*this, consumer_overrides); }
Properties WorkerConfig::AdminProps() const { return ClientProps(*this, admin_overrides); }

}  // namespace ferry::worker
