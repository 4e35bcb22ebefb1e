// WorkerConfig: the settings of `ferry distributed worker.properties` and `ferry standalone
// worker.properties ...`, read with Kafka Connect's keys, defaults, validators and messages, so that
// an existing connect-distributed.properties starts Ferry unchanged.
//
// How each supplied key is treated:
//  - a Connect worker key Ferry uses: parsed and validated, then a typed field below;
//  - a valid Connect key Ferry does not use (converters and their settings, plugin.path,
//    metric*, access.control.*, inter.worker.*,
//    exactly.once.source.support, ...): validated like Connect, then listed in `ignored_keys` and
//    logged once at INFO ("ignored by Ferry: ...");
//  - `producer.*`, `consumer.*`, `admin.*`: client overrides, prefix stripped (admin.listeners and
//    admin.listeners.https.* are REST keys, not overrides);
//  - REST TLS (worker/rest_tls.h): `listeners.https.*`, else the bare ssl.* keys, for https listeners;
//    `admin.listeners.https.*` likewise for https admin listeners; ssl.client.auth;
//  - rest.extension.classes: only Connect's BasicAuthSecurityRestExtension (Ferry's own Basic
//    authentication, rest/basic_auth.h); any other extension is refused;
//  - bare client keys (security.protocol, ssl.*, sasl.*, enable.ssl.certificate.verification,
//    enable.sasl.oauthbearer.unsecure.jwt, the connection/backoff keys): given to every
//    client through `common_client`;
//  - `config.storage.*`, `offset.storage.*`, `status.storage.*` other than topic/partitions/
//    replication.factor: topic configs for creating the internal topics (cleanup.policy is dropped
//    with a warning, as Connect does: those topics are always compacted);
//  - config.providers, config.providers.<name>.class, config.providers.<name>.param.*: the config
//    providers (worker/config_providers.h); every other value's references are resolved first;
//  - anything else: one WARNING each, as Kafka clients do ("The configuration 'x' was supplied but
//    isn't a known config."), listed in `unknown_keys`.
// Client keys (bare and prefixed) are checked against librdkafka while parsing: a value librdkafka
// rejects is an error naming the key (secrets' values never appear); a key librdkafka does not know
// is dropped with a warning, as a Java client would ignore it.
// An invalid value of a known key is an Error with ConfigDef's message, which names the key.
// Thread-safety: a value; safe to copy and share once parsed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/config_def.h"
#include "worker/common/result.h"
#include "worker/common/types.h"
#include "worker/config_providers.h"
#include "worker/rest_tls.h"

namespace ferry::worker {

enum class WorkerMode { kStandalone, kDistributed };

// One REST listener from `listeners`, e.g. http://:8083 (all interfaces), http://127.0.0.1:0 (a free
// port), https://[::1]:8443.
struct Listener {
  std::string scheme;  // "http" or "https" (lower case)
  std::string host;    // "" binds to all interfaces
  int port = 0;        // 0: any free port

  std::string ToString() const;  // "http://host:port", IPv6 hosts in brackets
  bool operator==(const Listener&) const = default;
};

// Parses one listener URL: <scheme>://<host>:<port>, the scheme case-insensitive, the host possibly
// empty or a bracketed IPv6 address, the port 0..65535. On failure the reason, without the key
// (WorkerConfig reports "Invalid value ... for configuration listeners: <reason>").
Result<Listener> ParseListener(std::string_view url);

struct WorkerConfig {
  // Connect's key names.
  static constexpr char kBootstrapServers[] = "bootstrap.servers";
  static constexpr char kGroupId[] = "group.id";
  static constexpr char kClientId[] = "client.id";
  static constexpr char kConfigTopic[] = "config.storage.topic";
  static constexpr char kConfigReplicationFactor[] = "config.storage.replication.factor";
  static constexpr char kOffsetTopic[] = "offset.storage.topic";
  static constexpr char kOffsetPartitions[] = "offset.storage.partitions";
  static constexpr char kOffsetReplicationFactor[] = "offset.storage.replication.factor";
  static constexpr char kStatusTopic[] = "status.storage.topic";
  static constexpr char kStatusPartitions[] = "status.storage.partitions";
  static constexpr char kStatusReplicationFactor[] = "status.storage.replication.factor";
  static constexpr char kOffsetFile[] = "offset.storage.file.filename";
  static constexpr char kConnectProtocol[] = "connect.protocol";
  static constexpr char kSessionTimeoutMs[] = "session.timeout.ms";
  static constexpr char kHeartbeatIntervalMs[] = "heartbeat.interval.ms";
  static constexpr char kRebalanceTimeoutMs[] = "rebalance.timeout.ms";
  static constexpr char kScheduledRebalanceMaxDelayMs[] = "scheduled.rebalance.max.delay.ms";
  static constexpr char kLeaderSyncDelayMs[] = "ferry.group.leader.sync.delay.ms";
  static constexpr char kWorkerSyncTimeoutMs[] = "worker.sync.timeout.ms";
  static constexpr char kWorkerUnsyncBackoffMs[] = "worker.unsync.backoff.ms";
  static constexpr char kOffsetFlushIntervalMs[] = "offset.flush.interval.ms";
  static constexpr char kOffsetFlushTimeoutMs[] = "offset.flush.timeout.ms";
  static constexpr char kTaskShutdownGracefulTimeoutMs[] = "task.shutdown.graceful.timeout.ms";
  static constexpr char kTopicTrackingEnable[] = "topic.tracking.enable";
  static constexpr char kTopicTrackingAllowReset[] = "topic.tracking.allow.reset";
  static constexpr char kTopicCreationEnable[] = "topic.creation.enable";
  static constexpr char kListeners[] = "listeners";
  static constexpr char kAdvertisedHostName[] = "rest.advertised.host.name";
  static constexpr char kAdvertisedPort[] = "rest.advertised.port";
  static constexpr char kAdvertisedListener[] = "rest.advertised.listener";
  static constexpr char kAdminListeners[] = "admin.listeners";
  static constexpr char kRestExtensionClasses[] = "rest.extension.classes";
  static constexpr char kBasicAuthExtension[] =
      "org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension";
  // Ferry's own key for the JAAS file of Basic authentication (Connect reads the JVM property
  // java.security.auth.login.config; Ferry also takes it from KAFKA_OPTS, see rest/basic_auth.h).
  static constexpr char kRestAuthLoginConfig[] = "ferry.rest.auth.login.config";

  WorkerMode mode = WorkerMode::kDistributed;

  // Kafka
  std::string bootstrap_servers = "localhost:9092";  // comma-joined, spaces removed
  std::string client_id;                             // "" when not set

  // Group membership (distributed)
  std::string group_id;
  std::string connect_protocol = "sessioned";  // eager | compatible | sessioned (lower case)
  int32_t session_timeout_ms = 10000;
  int32_t heartbeat_interval_ms = 3000;
  int32_t rebalance_timeout_ms = 60000;
  int32_t scheduled_rebalance_max_delay_ms = 300000;
  int32_t leader_sync_delay_ms = 0;  // ferry.group.leader.sync.delay.ms (the mock cluster's sync order)
  // Signing of inter-worker requests (KIP-507; the `sessioned` protocol).
  int32_t inter_worker_key_ttl_ms = 3600000;
  std::string inter_worker_key_algorithm = "HmacSHA256";
  std::string inter_worker_signature_algorithm = "HmacSHA256";
  std::vector<std::string> inter_worker_verification_algorithms = {"HmacSHA256"};
  int32_t worker_sync_timeout_ms = 3000;
  int32_t worker_unsync_backoff_ms = 300000;

  // Internal topics (distributed). Partitions / replication factors: -1 = the broker's default.
  std::string config_topic;
  int16_t config_replication_factor = 3;
  std::string offset_topic;
  int32_t offset_partitions = 25;
  int16_t offset_replication_factor = 3;
  std::string status_topic;
  int32_t status_partitions = 5;
  int16_t status_replication_factor = 3;
  // Extra topic configs for creating them (from config.storage.*, ...; cleanup.policy removed).
  Properties config_topic_settings;
  Properties offset_topic_settings;
  Properties status_topic_settings;

  // Standalone
  std::string offset_file;  // offset.storage.file.filename (required in standalone mode)

  // Tasks
  int64_t offset_flush_interval_ms = 60000;
  int64_t offset_flush_timeout_ms = 5000;
  int64_t task_shutdown_graceful_timeout_ms = 5000;
  bool topic_tracking_enable = true;
  bool topic_tracking_allow_reset = true;
  bool topic_creation_enable = true;

  // REST
  std::vector<Listener> listeners;  // at least one; http or https; each serves the whole API
  // Where /admin/loggers is served: nullopt (unset) on `listeners`; empty: nowhere (404); else only
  // on these, with nothing else. None has the address of one of `listeners`.
  std::optional<std::vector<Listener>> admin_listeners;
  // The address other workers use: rest.advertised.host.name, else the first listener's host, else
  // this machine's host name (also when the listener binds 0.0.0.0 or ::).
  std::string advertised_host;
  // rest.advertised.port, else the first listener's port; 0 until SetBoundPort() when that is 0.
  int advertised_port = 0;
  bool advertised_port_configured = false;  // rest.advertised.port was given
  // rest.advertised.listener, else as Connect: "http" if any listener is http, else "https".
  std::string advertised_scheme = "http";
  // The ssl.* settings of https listeners and of https admin listeners (worker/rest_tls.h); also
  // what this worker's calls to other workers use (rest_https).
  RestTlsSettings rest_https;
  RestTlsSettings rest_admin_https;
  // rest.extension.classes names BasicAuthSecurityRestExtension: every request but the internal
  // ones needs a user and password of the JAAS file's KafkaConnect entry.
  bool rest_basic_auth = false;
  std::string rest_auth_login_config;  // ferry.rest.auth.login.config; "" : KAFKA_OPTS decides

  // Clients. ProducerProps() & co. combine them.
  Properties common_client;       // bare client keys for every client (security.protocol, ssl.*, ...)
  Properties producer_overrides;  // producer.* (prefix stripped)
  Properties consumer_overrides;  // consumer.*
  Properties admin_overrides;     // admin.*

  // config.providers (worker/config_providers.h): what resolves `${provider:[path:]key}` references in
  // connector and task configs when they start. Never null; empty without config.providers. The
  // worker's own settings above are resolved already (originals keep what the file says).
  std::shared_ptr<const ConfigProviders> config_providers = std::make_shared<const ConfigProviders>();

  // What was supplied, and what Ferry did not use.
  Properties originals;
  std::vector<std::string> ignored_keys;  // valid Connect keys Ferry ignores (sorted)
  std::vector<std::string> unknown_keys;  // keys nobody knows (sorted)

  // Parses and validates a worker file's properties for `mode`. Distributed mode requires group.id
  // and the three topics; standalone mode requires offset.storage.file.filename. Logs the ignored
  // keys once at INFO and each unknown key at WARNING.
  // References to config providers in any value are resolved first (errors name the key).
  static Result<WorkerConfig> Parse(const Properties& raw_props, WorkerMode mode);

  // Connect's worker ConfigDef for `mode`, as Ferry declares it (every key, used or not).
  static const connectors::ConfigDef& Definition(WorkerMode mode);

  // Records the port the REST server bound (for a listener on port 0); it becomes the advertised port
  // unless rest.advertised.port was given.
  void SetBoundPort(int port);

  // This worker's id in status records: "<advertised host>:<advertised port>".
  // REQUIRES: the advertised port is known (not 0; see SetBoundPort).
  std::string WorkerId() const;
  // The REST URL given to other workers in group metadata: "http://<host>:<port>/" (or https).
  std::string AdvertisedUrl() const;

  // Client properties: bootstrap.servers, then common_client, then the role's overrides (which win).
  Properties ProducerProps() const;
  Properties ConsumerProps() const;
  Properties AdminProps() const;
};

}  // namespace ferry::worker
