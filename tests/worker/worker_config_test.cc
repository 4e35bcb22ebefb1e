#include "worker/worker_config.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <glog/logging.h>
#include <gtest/gtest.h>

#include "tests/support/log_capture.h"
#include "worker/group/security.h"
#include "worker/kafka/java_client_config.h"
#include "worker/properties.h"

namespace ferry::worker {
namespace {

using ferry::testing::LogCapture;

// The sample config/connect-distributed.properties shipped with Kafka, as users keep it.
constexpr char kStockDistributed[] = R"(# A stock Kafka Connect distributed worker file.
# These are defaults. This file just demonstrates how to override some settings.
bootstrap.servers=localhost:9092

# unique name for the cluster, used in forming the Connect cluster group. Note that this must not conflict with consumer group IDs
group.id=connect-cluster

# The converters specify the format of data in Kafka and how to translate it into Connect data.
key.converter=org.apache.kafka.connect.json.JsonConverter
value.converter=org.apache.kafka.connect.json.JsonConverter
# Converter-specific settings can be passed in by prefixing the Converter's setting with the converter we want to apply
# it to
key.converter.schemas.enable=true
value.converter.schemas.enable=true

# Topic to use for storing offsets. This topic should have many partitions and be replicated and compacted.
offset.storage.topic=connect-offsets
offset.storage.replication.factor=1
#offset.storage.partitions=25

# Topic to use for storing connector and task configurations; note that this should be a single partition, highly replicated,
config.storage.topic=connect-configs
config.storage.replication.factor=1

# Topic to use for storing statuses.
status.storage.topic=connect-status
status.storage.replication.factor=1
#status.storage.partitions=5

# Flush much faster than normal, which is useful for testing/debugging
offset.flush.interval.ms=10000

# List of comma-separated URIs the REST API will listen on.
#listeners=HTTP://:8083

# The Hostname & Port that will be given out to other workers to connect to i.e. URLs that are routable from other servers.
#rest.advertised.host.name=
#rest.advertised.port=

plugin.path=/usr/share/java,/usr/local/share/kafka/plugins
)";

Properties Stock() {
  Result<Properties> props = ParseProperties(kStockDistributed);
  CHECK(props.ok()) << props.error().ToString();
  return *props;
}

Properties With(Properties props, const Properties& changes) {
  for (const auto& [k, v] : changes) props[k] = v;
  return props;
}

// The minimum a distributed worker needs.
Properties Minimal() {
  return {{"group.id", "g"},
          {"config.storage.topic", "c"},
          {"offset.storage.topic", "o"},
          {"status.storage.topic", "s"}};
}

std::string ParseError(const Properties& props, WorkerMode mode = WorkerMode::kDistributed) {
  Result<WorkerConfig> config = WorkerConfig::Parse(props, mode);
  if (config.ok()) return "(parsed)";
  EXPECT_EQ(config.error().code(), ErrorCode::kInvalidConfig);
  return config.error().message();
}

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}


TEST(WorkerConfigTest, StockDistributedFileParsesUnchanged) {
  LogCapture log;
  Result<WorkerConfig> config = WorkerConfig::Parse(Stock(), WorkerMode::kDistributed);
  ASSERT_TRUE(config.ok()) << config.error().ToString();
  const WorkerConfig& c = *config;
  EXPECT_EQ(c.mode, WorkerMode::kDistributed);
  EXPECT_EQ(c.bootstrap_servers, "localhost:9092");
  EXPECT_EQ(c.group_id, "connect-cluster");
  EXPECT_EQ(c.config_topic, "connect-configs");
  EXPECT_EQ(c.offset_topic, "connect-offsets");
  EXPECT_EQ(c.status_topic, "connect-status");
  EXPECT_EQ(c.config_replication_factor, 1);
  EXPECT_EQ(c.offset_replication_factor, 1);
  EXPECT_EQ(c.status_replication_factor, 1);
  EXPECT_EQ(c.offset_partitions, 25);
  EXPECT_EQ(c.status_partitions, 5);
  EXPECT_EQ(c.offset_flush_interval_ms, 10000);
  EXPECT_EQ(c.offset_flush_timeout_ms, 5000);
  EXPECT_EQ(c.task_shutdown_graceful_timeout_ms, 5000);
  EXPECT_EQ(c.connect_protocol, "sessioned");
  EXPECT_EQ(c.session_timeout_ms, 10000);
  EXPECT_EQ(c.heartbeat_interval_ms, 3000);
  EXPECT_EQ(c.rebalance_timeout_ms, 60000);
  EXPECT_EQ(c.scheduled_rebalance_max_delay_ms, 300000);
  EXPECT_EQ(c.worker_sync_timeout_ms, 3000);
  EXPECT_EQ(c.worker_unsync_backoff_ms, 300000);
  EXPECT_TRUE(c.topic_tracking_enable);
  EXPECT_TRUE(c.topic_tracking_allow_reset);
  EXPECT_TRUE(c.topic_creation_enable);
  EXPECT_EQ(c.client_id, "");
  ASSERT_EQ(c.listeners.size(), 1u);
  EXPECT_EQ(c.listeners[0], (Listener{"http", "", 8083}));
  EXPECT_EQ(c.advertised_port, 8083);
  EXPECT_FALSE(c.advertised_host.empty());
  EXPECT_TRUE(c.unknown_keys.empty());
  EXPECT_EQ(c.ignored_keys, (std::vector<std::string>{"key.converter", "key.converter.schemas.enable",
                                                      "plugin.path", "value.converter",
                                                      "value.converter.schemas.enable"}));
  EXPECT_TRUE(c.common_client.empty());
  EXPECT_TRUE(c.producer_overrides.empty());
  EXPECT_TRUE(c.config_topic_settings.empty());
  EXPECT_EQ(c.ProducerProps(), (Properties{{"bootstrap.servers", "localhost:9092"}}));
  EXPECT_EQ(c.ConsumerProps(), (Properties{{"bootstrap.servers", "localhost:9092"}}));
  EXPECT_EQ(c.AdminProps(), (Properties{{"bootstrap.servers", "localhost:9092"}}));
  EXPECT_EQ(log.Count(google::GLOG_INFO, "ignored by Ferry: key.converter"), 1);
  EXPECT_EQ(log.Count(google::GLOG_WARNING, ""), 0);
}

TEST(WorkerConfigTest, StockFileFromDisk) {
  char path[] = "/tmp/ferry-worker-config-test-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  std::ofstream(path) << kStockDistributed;
  Result<Properties> props = LoadPropertiesFile(path);
  std::remove(path);
  ASSERT_TRUE(props.ok()) << props.error().ToString();
  Result<WorkerConfig> config = WorkerConfig::Parse(*props, WorkerMode::kDistributed);
  ASSERT_TRUE(config.ok()) << config.error().ToString();
  EXPECT_EQ(config->group_id, "connect-cluster");
}

TEST(WorkerConfigTest, DefaultsOfAMinimalFile) {
  Result<WorkerConfig> config = WorkerConfig::Parse(Minimal(), WorkerMode::kDistributed);
  ASSERT_TRUE(config.ok()) << config.error().ToString();
  EXPECT_EQ(config->bootstrap_servers, "localhost:9092");
  EXPECT_EQ(config->config_replication_factor, 3);
  EXPECT_EQ(config->offset_replication_factor, 3);
  EXPECT_EQ(config->status_replication_factor, 3);
  EXPECT_EQ(config->offset_flush_interval_ms, 60000);
  EXPECT_TRUE(config->ignored_keys.empty());
}

TEST(WorkerConfigTest, DistributedRequiresGroupAndTopics) {
  for (const char* key : {"group.id", "config.storage.topic", "offset.storage.topic", "status.storage.topic"}) {
    SCOPED_TRACE(key);
    Properties props = Minimal();
    props.erase(key);
    EXPECT_EQ(ParseError(props),
              std::string("Missing required configuration \"") + key + "\" which has no default value.");
  }
  EXPECT_EQ(ParseError(With(Minimal(), {{"group.id", " "}})),
            "Invalid value  for configuration group.id: String must be non-empty");
}

struct BadValue {
  Properties change;
  std::string message;
};

TEST(WorkerConfigTest, InvalidValuesNameTheKey) {
  const std::vector<BadValue> cases = {
      {{{"offset.flush.interval.ms", "abc"}},
       "Invalid value abc for configuration offset.flush.interval.ms: Not a number of type LONG"},
      {{{"status.storage.partitions", "-5"}},
       "Invalid value -5 for configuration status.storage.partitions: Number of partitions must be positive, or -1 "
       "to use the broker's default"},
      {{{"offset.storage.partitions", "0"}},
       "Invalid value 0 for configuration offset.storage.partitions: Number of partitions must be positive, or -1 "
       "to use the broker's default"},
      {{{"config.storage.replication.factor", "0"}},
       "Invalid value 0 for configuration config.storage.replication.factor: Replication factor must be positive "
       "and not larger than the number of brokers in the Kafka cluster, or -1 to use the broker's default"},
      {{{"status.storage.replication.factor", "40000"}},
       "Invalid value 40000 for configuration status.storage.replication.factor: Not a number of type SHORT"},
      {{{"session.timeout.ms", "10s"}}, "Invalid value 10s for configuration session.timeout.ms: Not a number of type INT"},
      {{{"topic.tracking.enable", "yes"}},
       "Invalid value yes for configuration topic.tracking.enable: Expected value to be either true or false"},
      {{{"connect.protocol", "foo"}},
       "Invalid value foo for configuration connect.protocol: Invalid Connect protocol compatibility"},
      {{{"security.protocol", "plaintext"}},
       "Invalid value plaintext for configuration security.protocol: String must be one of: PLAINTEXT, SSL, "
       "SASL_PLAINTEXT, SASL_SSL"},
      {{{"exactly.once.source.support", "sometimes"}},
       "Invalid value sometimes for configuration exactly.once.source.support: String must be one of: disabled, "
       "preparing, enabled"},
      {{{"metrics.num.samples", "0"}},
       "Invalid value 0 for configuration metrics.num.samples: Value must be at least 1"},
      {{{"inter.worker.signature.algorithm", "HmacMD5"}},
       "Invalid value HmacMD5 for configuration inter.worker.signature.algorithm: String must be one of: HmacSHA1, "
       "HmacSHA256, HmacSHA384, HmacSHA512"},
      {{{"inter.worker.verification.algorithms", "HmacSHA256,DES"}},
       "Invalid value [HmacSHA256, DES] for configuration inter.worker.verification.algorithms: String must be one "
       "of: HmacSHA1, HmacSHA256, HmacSHA384, HmacSHA512"},
      {{{"scheduled.rebalance.max.delay.ms", "-1"}},
       "Invalid value -1 for configuration scheduled.rebalance.max.delay.ms: Value must be at least 0"},
      {{{"rest.advertised.port", "70000"}},
       "Invalid value 70000 for configuration rest.advertised.port: Value must be no more than 65535"},
      {{{"bootstrap.servers", " "}},
       "Invalid value [] for configuration bootstrap.servers: At least one host:port is required"},
  };
  for (const BadValue& c : cases) {
    SCOPED_TRACE(c.change.begin()->first);
    EXPECT_EQ(ParseError(With(Stock(), c.change)), c.message);
  }
}

TEST(WorkerConfigTest, ListenersAreValidated) {
  EXPECT_EQ(ParseError(With(Stock(), {{"listeners", "ftp://x"}})),
            "Invalid value [ftp://x] for configuration listeners: Listener 'ftp://x' has the unsupported scheme "
            "'ftp'; expected http or https");
  EXPECT_EQ(ParseError(With(Stock(), {{"listeners", "https://:8443"}})), "(parsed)");
  EXPECT_EQ(ParseError(With(Stock(), {{"listeners", ""}})),
            "Invalid value [] for configuration listeners: at least one URL is expected, ex: http://localhost:8080");
  EXPECT_EQ(ParseError(With(Stock(), {{"listeners", "http://:8083,"}})),
            "Invalid value [http://:8083, ] for configuration listeners: Empty URL found when parsing listeners list.");
  EXPECT_EQ(ParseError(With(Stock(), {{"listeners", "https://:8443"}, {"rest.advertised.listener", "https"}})),
            "(parsed)");
  EXPECT_EQ(ParseError(With(Stock(), {{"rest.advertised.listener", "https"}})),
            "Invalid value https for configuration rest.advertised.listener: no URL of listeners is https");
  EXPECT_EQ(ParseError(With(Stock(), {{"rest.advertised.listener", "ftp"}})),
            "Invalid value ftp for configuration rest.advertised.listener: Expected http or https");
}

TEST(WorkerConfigTest, SeveralListenersTheFirstIsAdvertised) {
  Result<WorkerConfig> config =
      WorkerConfig::Parse(With(Minimal(), {{"listeners", "HTTP://127.0.0.1:8090, http://[::1]:8091"}}),
                          WorkerMode::kDistributed);
  ASSERT_TRUE(config.ok()) << config.error().ToString();
  ASSERT_EQ(config->listeners.size(), 2u);
  EXPECT_EQ(config->listeners[0], (Listener{"http", "127.0.0.1", 8090}));
  EXPECT_EQ(config->listeners[1], (Listener{"http", "::1", 8091}));
  EXPECT_EQ(config->listeners[1].ToString(), "http://[::1]:8091");
  EXPECT_EQ(config->WorkerId(), "127.0.0.1:8090");
  EXPECT_EQ(config->AdvertisedUrl(), "http://127.0.0.1:8090/");
}

// Connect's admin.listeners: unset keeps /admin/ on the listeners, empty switches it off, URLs move it.
TEST(WorkerConfigTest, AdminListeners) {
  Result<WorkerConfig> config = WorkerConfig::Parse(Minimal(), WorkerMode::kDistributed);
  ASSERT_TRUE(config.ok()) << config.error().ToString();
  EXPECT_EQ(config->admin_listeners, std::nullopt);

  config = WorkerConfig::Parse(With(Minimal(), {{"admin.listeners", ""}}), WorkerMode::kDistributed);
  ASSERT_TRUE(config.ok()) << config.error().ToString();
  ASSERT_TRUE(config->admin_listeners.has_value());
  EXPECT_TRUE(config->admin_listeners->empty());
  EXPECT_FALSE(Contains(config->ignored_keys, "admin.listeners"));

  config = WorkerConfig::Parse(
      With(Minimal(), {{"listeners", "http://127.0.0.1:8083"}, {"admin.listeners", "http://127.0.0.1:8084, http://:0"}}),
      WorkerMode::kDistributed);
  ASSERT_TRUE(config.ok()) << config.error().ToString();
  ASSERT_TRUE(config->admin_listeners.has_value());
  EXPECT_EQ(*config->admin_listeners, (std::vector<Listener>{{"http", "127.0.0.1", 8084}, {"http", "", 0}}));
  EXPECT_TRUE(config->admin_overrides.empty()) << "admin.listeners is a REST key, not an admin override";
  EXPECT_EQ(config->WorkerId(), "127.0.0.1:8083") << "the admin listener is never advertised";

  EXPECT_EQ(ParseError(With(Minimal(), {{"admin.listeners", "http://:8084,"}})),
            "Invalid value [http://:8084, ] for configuration admin.listeners: Empty URL found when parsing "
            "admin.listeners list.");
  EXPECT_EQ(ParseError(With(Minimal(), {{"admin.listeners", "https://:8443"}})), "(parsed)");
  EXPECT_EQ(ParseError(With(Minimal(), {{"listeners", "http://127.0.0.1:8083"},
                                        {"admin.listeners", "http://127.0.0.1:8083"}})),
            "Invalid value http://127.0.0.1:8083 for configuration admin.listeners: the address is also in "
            "listeners; an admin listener needs an address of its own");
}

struct ListenerCase {
  std::string url;
  std::optional<Listener> want;  // nullopt: an error
};

TEST(WorkerConfigTest, ParseListener) {
  const std::vector<ListenerCase> cases = {
      {"http://:8083", Listener{"http", "", 8083}},
      {"http://localhost:0", Listener{"http", "localhost", 0}},
      {"http://127.0.0.1:8083", Listener{"http", "127.0.0.1", 8083}},
      {"HTTP://myhost:8083", Listener{"http", "myhost", 8083}},
      {"http://0.0.0.0:65535", Listener{"http", "0.0.0.0", 65535}},
      {"http://[::]:8083", Listener{"http", "::", 8083}},
      {"http://my-host.example.com:1", Listener{"http", "my-host.example.com", 1}},
      {"ftp://x", std::nullopt},
      {"https://host:8443", Listener{"https", "host", 8443}},
      {"HTTPS://[::1]:0", Listener{"https", "::1", 0}},
      {"http://host", std::nullopt},
      {"http://host:", std::nullopt},
      {"http://host:65536", std::nullopt},
      {"http://host:-1", std::nullopt},
      {"http://host:80/path", std::nullopt},
      {"http://ho st:80", std::nullopt},
      {"http://::1:80", std::nullopt},
      {"http://[::1:80", std::nullopt},
      {"localhost:8083", std::nullopt},
      {"://x:1", std::nullopt},
  };
  for (const ListenerCase& c : cases) {
    SCOPED_TRACE(c.url);
    Result<Listener> got = ParseListener(c.url);
    if (c.want) {
      ASSERT_TRUE(got.ok()) << got.error().ToString();
      EXPECT_EQ(*got, *c.want);
    } else {
      ASSERT_FALSE(got.ok());
      EXPECT_NE(got.error().message().find("'" + c.url + "'"), std::string::npos) << got.error().message();
    }
  }
}

TEST(WorkerConfigTest, AdvertisedAddress) {
  // A listener on a wildcard address advertises this machine's name.
  char host[256] = {};
  ASSERT_EQ(gethostname(host, sizeof host - 1), 0);
  Result<WorkerConfig> config = WorkerConfig::Parse(Minimal(), WorkerMode::kDistributed);
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->advertised_host, host);
  EXPECT_EQ(config->WorkerId(), std::string(host) + ":8083");

  config = WorkerConfig::Parse(With(Minimal(), {{"listeners", "http://0.0.0.0:9000"}}), WorkerMode::kDistributed);
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->advertised_host, host);

  // Port 0: known once the REST server has bound.
  config = WorkerConfig::Parse(With(Minimal(), {{"listeners", "http://127.0.0.1:0"}}), WorkerMode::kDistributed);
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->advertised_port, 0);
  config->SetBoundPort(41234);
  EXPECT_EQ(config->WorkerId(), "127.0.0.1:41234");
  EXPECT_EQ(config->AdvertisedUrl(), "http://127.0.0.1:41234/");

  // Explicit advertised host and port win, also over the bound port.
  config = WorkerConfig::Parse(With(Minimal(), {{"listeners", "http://127.0.0.1:0"},
                                                {"rest.advertised.host.name", "worker-1.example"},
                                                {"rest.advertised.port", "9999"}}),
                               WorkerMode::kDistributed);
  ASSERT_TRUE(config.ok());
  config->SetBoundPort(41234);
  EXPECT_EQ(config->WorkerId(), "worker-1.example:9999");
}

TEST(WorkerConfigDeathTest, WorkerIdBeforeThePortIsKnownIsABug) {
  Result<WorkerConfig> config =
      WorkerConfig::Parse(With(Minimal(), {{"listeners", "http://localhost:0"}}), WorkerMode::kDistributed);
  ASSERT_TRUE(config.ok());
  EXPECT_DEATH((void)config->WorkerId(), "SetBoundPort");
}

TEST(WorkerConfigTest, UnknownKeysWarnOnceEach) {
  LogCapture log;
  Result<WorkerConfig> config =
      WorkerConfig::Parse(With(Stock(), {{"not.a.setting", "1"}, {"rest.port", "8083"}}), WorkerMode::kDistributed);
  ASSERT_TRUE(config.ok()) << config.error().ToString();
  EXPECT_EQ(config->unknown_keys, (std::vector<std::string>{"not.a.setting", "rest.port"}));
  EXPECT_EQ(log.Count(google::GLOG_WARNING,
                      "The configuration 'not.a.setting' was supplied but isn't a known config."),
            1);
  EXPECT_EQ(log.Count(google::GLOG_WARNING, "The configuration 'rest.port' was supplied but isn't a known config."),
            1);
}

TEST(WorkerConfigTest, ConnectKeysFerryDoesNotUseAreAcceptedAndNoted) {
  LogCapture log;
  Result<WorkerConfig> config = WorkerConfig::Parse(
      With(Minimal(), {{"header.converter", "org.example.H"},
                       {"config.providers.file.class", "org.apache.kafka.common.config.provider.FileConfigProvider"},
                       {"rest.extension.classes", ""},
                       {"metric.reporters", ""},
                       {"metrics.recording.level", "DEBUG"},
                       {"connector.client.config.override.policy", "None"},
                       {"access.control.allow.origin", "*"},
                       {"inter.worker.key.size", "256"},
                       {"exactly.once.source.support", "enabled"},
                       {"plugin.discovery", "SERVICE_LOAD"},
                       {"admin.listeners.https.ssl.keystore.location", "/etc/ks.jks"},
                       {"request.timeout.ms", "30000"}}),
      WorkerMode::kDistributed);
  ASSERT_TRUE(config.ok()) << config.error().ToString();
  EXPECT_TRUE(config->unknown_keys.empty());
  EXPECT_EQ(config->ignored_keys.size(), 11u);  // rest.extension.classes is Ferry's (Basic authentication)
  EXPECT_TRUE(Contains(config->ignored_keys, "admin.listeners.https.ssl.keystore.location"));
  EXPECT_TRUE(config->admin_overrides.empty()) << "admin.listeners.* is a REST key, not an admin override";
  EXPECT_EQ(log.Count(google::GLOG_INFO, "ignored by Ferry: "), 1);
  EXPECT_EQ(log.Count(google::GLOG_WARNING, "exactly.once.source.support=enabled"), 1);
}

TEST(WorkerConfigTest, ClientOverridesAreCollectedAndMerged) {
  Result<WorkerConfig> config = WorkerConfig::Parse(
      With(Minimal(), {{"bootstrap.servers", " a:9092 , b:9092 "},
                       {"security.protocol", "SASL_SSL"},
                       {"sasl.mechanism", "PLAIN"},
                       {"sasl.username", "u"},
                       {"sasl.password", "p"},
                       {"ssl.ca.location", "/etc/ssl/ca.pem"},
                       {"metadata.max.age.ms", "60000"},
                       {"producer.acks", "all"},
                       {"producer.security.protocol", "SSL"},
                       {"producer.linger.ms", " 5 "},
                       {"consumer.auto.offset.reset", "earliest"},
                       {"consumer.bootstrap.servers", "c:9092"},
                       {"admin.socket.timeout.ms", "30000"}}),
      WorkerMode::kDistributed);
  ASSERT_TRUE(config.ok()) << config.error().ToString();
  const WorkerConfig& c = *config;
  EXPECT_EQ(c.bootstrap_servers, "a:9092,b:9092");
  EXPECT_EQ(c.common_client, (Properties{{"security.protocol", "SASL_SSL"},
                                         {"sasl.mechanism", "PLAIN"},
                                         {"sasl.username", "u"},
                                         {"sasl.password", "p"},
                                         {"ssl.ca.location", "/etc/ssl/ca.pem"},
                                         {"metadata.max.age.ms", "60000"}}));
  EXPECT_EQ(c.producer_overrides,
            (Properties{{"acks", "all"}, {"security.protocol", "SSL"}, {"linger.ms", "5"}}));
  EXPECT_EQ(c.consumer_overrides, (Properties{{"auto.offset.reset", "earliest"}, {"bootstrap.servers", "c:9092"}}));
  EXPECT_EQ(c.admin_overrides, (Properties{{"socket.timeout.ms", "30000"}}));
  Properties producer = c.ProducerProps();
  EXPECT_EQ(producer["bootstrap.servers"], "a:9092,b:9092");
  EXPECT_EQ(producer["security.protocol"], "SSL") << "overrides win";
  EXPECT_EQ(producer["sasl.username"], "u");
  EXPECT_EQ(producer["acks"], "all");
  EXPECT_EQ(producer.count("auto.offset.reset"), 0u);
  Properties consumer = c.ConsumerProps();
  EXPECT_EQ(consumer["bootstrap.servers"], "c:9092");
  EXPECT_EQ(consumer["security.protocol"], "SASL_SSL");
  EXPECT_EQ(consumer.count("acks"), 0u);
  Properties admin = c.AdminProps();
  EXPECT_EQ(admin["socket.timeout.ms"], "30000");
  EXPECT_EQ(admin["metadata.max.age.ms"], "60000");
}

// librdkafka's two security switches outside ssl.* / sasl.*, written unprefixed as users write
// ssl.* and sasl.*: every client takes them, the group client too, with no warning.
TEST(WorkerConfigTest, LibrdkafkaSecuritySwitchesAreBareClientSettings) {
  LogCapture log;
  Result<WorkerConfig> config = WorkerConfig::Parse(
      With(Minimal(), {{"security.protocol", "SASL_PLAINTEXT"},
                       {"sasl.mechanism", "OAUTHBEARER"},
                       {"sasl.oauthbearer.config", "principal=ferry"},
                       {"enable.sasl.oauthbearer.unsecure.jwt", "true"},
                       {"enable.ssl.certificate.verification", "false"}}),
      WorkerMode::kDistributed);
  ASSERT_TRUE(config.ok()) << config.error().ToString();
  EXPECT_TRUE(config->unknown_keys.empty());
  EXPECT_EQ(log.Count(google::GLOG_WARNING, "enable."), 0);
  for (const Properties& props : {config->ProducerProps(), config->ConsumerProps(), config->AdminProps()}) {
    EXPECT_EQ(props.at("enable.sasl.oauthbearer.unsecure.jwt"), "true");
    EXPECT_EQ(props.at("enable.ssl.certificate.verification"), "false");
  }
  // The group client logs in by the unsecured JWT only when the switch reaches it.
  Result<std::shared_ptr<const group::ClientSecurity>> security =
      group::ClientSecurity::FromProperties(config->AdminProps());
  ASSERT_TRUE(security.ok()) << security.error().ToString();
  EXPECT_EQ((*security)->protocol(), group::SecurityProtocol::kSaslPlaintext);

  // A bad value fails naming the key as written.
  const std::string error = ParseError(With(Minimal(), {{"enable.ssl.certificate.verification", "maybe"}}));
  EXPECT_NE(error.find("enable.ssl.certificate.verification"), std::string::npos) << error;
}

TEST(WorkerConfigTest, ClientSettingsLibrdkafkaRejectsFailNamingTheKey) {
  std::string error = ParseError(With(Stock(), {{"producer.acks", "bogus"}}));
  EXPECT_EQ(error.rfind("Invalid value bogus for configuration producer.acks: ", 0), 0u) << error;

  // A Java trust store librdkafka cannot read: refused, saying what to set instead.
  error = ParseError(With(Stock(), {{"security.protocol", "SSL"}, {"ssl.truststore.location", "/etc/truststore.jks"}}));
  EXPECT_NE(error.find("ssl.truststore.location"), std::string::npos) << error;
  EXPECT_NE(error.find("ssl.ca.location"), std::string::npos) << error;

  // Secrets never appear in the message.
  error = ParseError(With(Stock(), {{"security.protocol", "SASL_SSL"}, {"consumer.sasl.jaas.config", "hunter2"}}));
  EXPECT_EQ(error.find("hunter2"), std::string::npos) << error;
  EXPECT_NE(error.find("sasl.jaas.config"), std::string::npos) << error;
  error = ParseError(With(Stock(), {{"producer.ssl.key.password", "hunter2"}, {"producer.ssl.key.location", "/nope"},
                                    {"security.protocol", "SSL"}, {"producer.ssl.cipher.suites", "NOPE-CIPHER"}}));
  EXPECT_EQ(error.find("hunter2"), std::string::npos) << error;
}

TEST(WorkerConfigTest, JavaClientSettingsAreKeptAsWrittenAndEachClientGetsThemTranslated) {
  LogCapture log;
  const std::string jaas =
      "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\" password=\"hunter2\";";
  Result<WorkerConfig> config = WorkerConfig::Parse(
      With(Minimal(), {{"security.protocol", "SASL_SSL"},
                       {"sasl.mechanism", "PLAIN"},
                       {"sasl.jaas.config", jaas},
                       {"ssl.endpoint.identification.algorithm", ""},
                       {"producer.max.request.size", "2000000"},
                       {"producer.max.block.ms", "1000"},
                       {"producer.lingerr.ms", "5"},
                       {"client.dns.lookup", "use_all_dns_ips"}}),
      WorkerMode::kDistributed);
  ASSERT_TRUE(config.ok()) << config.error().ToString();
  // As written: the clients translate them (kafka::NewClient).
  EXPECT_EQ(config->common_client.at("sasl.jaas.config"), jaas);
  EXPECT_EQ(config->producer_overrides.at("max.request.size"), "2000000");
  auto producer = kafka::FromJavaClientConfig(config->ProducerProps(), RD_KAFKA_PRODUCER);
  ASSERT_TRUE(producer.ok()) << producer.error().ToString();
  EXPECT_EQ(producer->props.at("sasl.username"), "u");
  EXPECT_EQ(producer->props.at("message.max.bytes"), "2000000");
  EXPECT_EQ(producer->props.at("ssl.endpoint.identification.algorithm"), "none");
  // What no client can use is reported once and kept out of the clients' settings: Java-only tuning
  // (dropped by the translation) and what librdkafka does not know (a typo).
  EXPECT_EQ(config->ignored_keys,
            (std::vector<std::string>{"client.dns.lookup", "producer.lingerr.ms", "producer.max.block.ms"}));
  EXPECT_EQ(config->producer_overrides.count("lingerr.ms"), 0u);
  EXPECT_EQ(log.Count(google::GLOG_WARNING, "'producer.max.block.ms' has no librdkafka equivalent"), 1);
  EXPECT_EQ(log.Count(google::GLOG_WARNING, "hunter2"), 0);
  // Still validated as Connect does.
  EXPECT_EQ(ParseError(With(Minimal(), {{"client.dns.lookup", "sometimes"}})),
            "Invalid value sometimes for configuration client.dns.lookup: String must be one of: use_all_dns_ips, "
            "resolve_canonical_bootstrap_servers_only");
}

TEST(WorkerConfigTest, InternalTopicSettings) {
  LogCapture log;
  Result<WorkerConfig> config = WorkerConfig::Parse(
      With(Minimal(), {{"config.storage.min.insync.replicas", "2"},
                       {"config.storage.partitions", "3"},
                       {"offset.storage.cleanup.policy", "delete"},
                       {"offset.storage.segment.bytes", "1048576"},
                       {"status.storage.retention.ms", "-1"},
                       {"offset.storage.partitions", "-1"},
                       {"status.storage.replication.factor", "-1"}}),
      WorkerMode::kDistributed);
  ASSERT_TRUE(config.ok()) << config.error().ToString();
  EXPECT_EQ(config->config_topic_settings, (Properties{{"min.insync.replicas", "2"}}));
  EXPECT_EQ(config->offset_topic_settings, (Properties{{"segment.bytes", "1048576"}}));
  EXPECT_EQ(config->status_topic_settings, (Properties{{"retention.ms", "-1"}}));
  EXPECT_EQ(config->offset_partitions, -1);
  EXPECT_EQ(config->status_replication_factor, -1);
  EXPECT_TRUE(config->unknown_keys.empty());
  EXPECT_EQ(log.Count(google::GLOG_WARNING, "since compaction is always used"), 1);
  EXPECT_EQ(log.Count(google::GLOG_WARNING, "since config topic partitions is always 1"), 1);
}

TEST(WorkerConfigTest, TypedFieldsFollowTheFile) {
  Result<WorkerConfig> config = WorkerConfig::Parse(
      With(Minimal(), {{"client.id", "ferry-1"},
                       {"connect.protocol", "EAGER"},
                       {"offset.flush.timeout.ms", "7000"},
                       {"task.shutdown.graceful.timeout.ms", "1"},
                       {"topic.tracking.enable", "FALSE"},
                       {"topic.tracking.allow.reset", "false"},
                       {"topic.creation.enable", "false"},
                       {"session.timeout.ms", "20000"},
                       {"heartbeat.interval.ms", "2000"},
                       {"rebalance.timeout.ms", "30000"},
                       {"scheduled.rebalance.max.delay.ms", "0"},
                       {"worker.sync.timeout.ms", "100"},
                       {"worker.unsync.backoff.ms", "200"},
                       {"offset.storage.partitions", "50"},
                       {"status.storage.partitions", "10"},
                       {"inter.worker.key.ttl.ms", "60000"},
                       {"inter.worker.key.generation.algorithm", "HmacSHA512"},
                       {"inter.worker.signature.algorithm", "HmacSHA384"},
                       {"inter.worker.verification.algorithms", "HmacSHA256, HmacSHA384"}}),
      WorkerMode::kDistributed);
  ASSERT_TRUE(config.ok()) << config.error().ToString();
  const WorkerConfig& c = *config;
  EXPECT_EQ(c.inter_worker_key_ttl_ms, 60000);
  EXPECT_EQ(c.inter_worker_key_algorithm, "HmacSHA512");
  EXPECT_EQ(c.inter_worker_signature_algorithm, "HmacSHA384");
  EXPECT_EQ(c.inter_worker_verification_algorithms, (std::vector<std::string>{"HmacSHA256", "HmacSHA384"}));
  EXPECT_EQ(c.client_id, "ferry-1");
  EXPECT_EQ(c.connect_protocol, "eager");
  EXPECT_EQ(c.offset_flush_timeout_ms, 7000);
  EXPECT_EQ(c.task_shutdown_graceful_timeout_ms, 1);
  EXPECT_FALSE(c.topic_tracking_enable);
  EXPECT_FALSE(c.topic_tracking_allow_reset);
  EXPECT_FALSE(c.topic_creation_enable);
  EXPECT_EQ(c.session_timeout_ms, 20000);
  EXPECT_EQ(c.heartbeat_interval_ms, 2000);
  EXPECT_EQ(c.rebalance_timeout_ms, 30000);
  EXPECT_EQ(c.scheduled_rebalance_max_delay_ms, 0);
  EXPECT_EQ(c.worker_sync_timeout_ms, 100);
  EXPECT_EQ(c.worker_unsync_backoff_ms, 200);
  EXPECT_EQ(c.offset_partitions, 50);
  EXPECT_EQ(c.status_partitions, 10);
}

TEST(WorkerConfigTest, StandaloneNeedsTheOffsetFile) {
  EXPECT_EQ(ParseError({{"bootstrap.servers", "localhost:9092"}}, WorkerMode::kStandalone),
            "Missing required configuration \"offset.storage.file.filename\" which has no default value.");
  Result<WorkerConfig> config = WorkerConfig::Parse(
      {{"bootstrap.servers", "localhost:9092"},
       {"offset.storage.file.filename", "/tmp/connect.offsets"},
       {"key.converter", "org.apache.kafka.connect.json.JsonConverter"},
       {"value.converter", "org.apache.kafka.connect.json.JsonConverter"},
       {"group.id", "not-for-standalone"}},
      WorkerMode::kStandalone);
  ASSERT_TRUE(config.ok()) << config.error().ToString();
  EXPECT_EQ(config->mode, WorkerMode::kStandalone);
  EXPECT_EQ(config->offset_file, "/tmp/connect.offsets");
  EXPECT_EQ(config->group_id, "");
  EXPECT_EQ(config->unknown_keys, std::vector<std::string>{"group.id"});
}

TEST(WorkerConfigTest, DistributedDoesNotKnowTheOffsetFile) {
  Result<WorkerConfig> config =
      WorkerConfig::Parse(With(Minimal(), {{"offset.storage.file.filename", "/tmp/x"}}), WorkerMode::kDistributed);
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->unknown_keys, std::vector<std::string>{"offset.storage.file.filename"});
}

TEST(WorkerConfigTest, DefinitionDescribesEveryKey) {
  const connectors::ConfigDef& distributed = WorkerConfig::Definition(WorkerMode::kDistributed);
  ASSERT_NE(distributed.Find("group.id"), nullptr);
  EXPECT_TRUE(distributed.Find("group.id")->required());
  EXPECT_EQ(distributed.Find("listeners")->default_value, "http://:8083");
  EXPECT_EQ(distributed.Find("offset.storage.replication.factor")->type, connectors::ConfigType::kShort);
  EXPECT_FALSE(distributed.Find("key.converter")->required()) << "Ferry does not need converters";
  EXPECT_EQ(distributed.Find("offset.storage.file.filename"), nullptr);
  const connectors::ConfigDef& standalone = WorkerConfig::Definition(WorkerMode::kStandalone);
  EXPECT_TRUE(standalone.Find("offset.storage.file.filename")->required());
  EXPECT_EQ(standalone.Find("group.id"), nullptr);
}

TEST(WorkerConfigTest, ConfigDefValidateReportsEveryProblemAtOnce) {
  std::vector<connectors::ConfigValueInfo> infos = WorkerConfig::Definition(WorkerMode::kDistributed)
                                                       .Validate({{"offset.flush.interval.ms", "abc"},
                                                                  {"status.storage.partitions", "-5"}});
  int errors = 0;
  for (const auto& info : infos) errors += static_cast<int>(info.errors.size());
  EXPECT_EQ(errors, 6);  // four required keys missing, two invalid values
}

// Security settings Ferry cannot honour stop the start; skipping them would leave the worker open.
// Connect's BasicAuthSecurityRestExtension is Ferry's own (rest/basic_auth.h).
TEST(WorkerConfigTest, RestExtensionsAreRefusedNotIgnored) {
  for (WorkerMode mode : {WorkerMode::kDistributed, WorkerMode::kStandalone}) {
    Result<WorkerConfig> config = WorkerConfig::Parse(
        With(Minimal(), {{"rest.extension.classes",
                          "org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension"},
                         {"offset.storage.file.filename", "/tmp/ferry-offsets"}}),
        mode);
    ASSERT_TRUE(config.ok()) << config.error().ToString();
    EXPECT_TRUE(config->rest_basic_auth);
  }
  Result<WorkerConfig> other =
      WorkerConfig::Parse(With(Minimal(), {{"rest.extension.classes", "com.example.Cors"}}), WorkerMode::kDistributed);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code(), ErrorCode::kInvalidConfig);
  EXPECT_NE(other.error().message().find("invalid value for 'rest.extension.classes'"), std::string::npos);
  EXPECT_NE(other.error().message().find("served without it"), std::string::npos) << other.error().message();
}

TEST(WorkerConfigTest, ConfigProvidersResolveTheWorkersOwnSettings) {
  char tmpl[] = "/tmp/ferry-worker-providers-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  std::ofstream(dir + "/kafka.properties") << "servers=broker-from-file:9092\nsasl.password=pw-from-file\n";
  ::setenv("FERRY_WORKER_TEST_GROUP", "group-from-env", 1);
  Result<WorkerConfig> config = WorkerConfig::Parse(
      With(Minimal(), {{"config.providers", "file,env"},
                       {"config.providers.file.class", "org.apache.kafka.common.config.provider.FileConfigProvider"},
                       {"config.providers.env.class", "EnvVarConfigProvider"},
                       {"config.providers.env.param.allowlist.pattern", "^FERRY_"},
                       {"config.providers.unused.class", "com.example.Unused"},
                       {"bootstrap.servers", "${file:" + dir + "/kafka.properties:servers}"},
                       {"group.id", "${env:FERRY_WORKER_TEST_GROUP}"},
                       {"producer.sasl.password", "${file:" + dir + "/kafka.properties:sasl.password}"}}),
      WorkerMode::kDistributed);
  std::remove((dir + "/kafka.properties").c_str());
  ::rmdir(dir.c_str());
  ASSERT_TRUE(config.ok()) << config.error().ToString();
  EXPECT_EQ(config->bootstrap_servers, "broker-from-file:9092");
  EXPECT_EQ(config->group_id, "group-from-env");
  EXPECT_EQ(config->producer_overrides.at("sasl.password"), "pw-from-file");
  EXPECT_EQ(config->originals.at("group.id"), "${env:FERRY_WORKER_TEST_GROUP}") << "originals as written";
  EXPECT_EQ(config->config_providers->names(), (std::vector<std::string>{"env", "file"}));
  EXPECT_TRUE(Contains(config->ignored_keys, "config.providers.unused.class"));
  EXPECT_TRUE(config->unknown_keys.empty());
}

TEST(WorkerConfigTest, ConfigProviderProblemsNameTheKey) {
  Result<WorkerConfig> unsupported = WorkerConfig::Parse(
      With(Minimal(), {{"config.providers", "vault"}, {"config.providers.vault.class", "com.example.VaultProvider"}}),
      WorkerMode::kDistributed);
  ASSERT_FALSE(unsupported.ok());
  EXPECT_NE(unsupported.error().message().find("config.providers.vault.class"), std::string::npos);
  EXPECT_NE(unsupported.error().message().find("FileConfigProvider"), std::string::npos);
  Result<WorkerConfig> unresolved = WorkerConfig::Parse(
      With(Minimal(), {{"config.providers", "env"},
                       {"config.providers.env.class", "org.apache.kafka.common.config.provider.EnvVarConfigProvider"},
                       {"sasl.jaas.config", "${env:FERRY_NOT_SET_IN_ANY_TEST_ENV}"}}),
      WorkerMode::kDistributed);
  ASSERT_FALSE(unresolved.ok());
  EXPECT_NE(unresolved.error().message().find("configuration sasl.jaas.config"), std::string::npos)
      << unresolved.error().message();
}

}  // namespace
}  // namespace ferry::worker
