#include "worker/mirror_maker_config.h"

#include <algorithm>
#include <cctype>
#include <deque>
#include <optional>
#include <set>

#include "connectors/mirror_checkpoint_connector.h"
#include "connectors/mirror_config.h"
#include "connectors/mirror_heartbeat_connector.h"
#include "connectors/mirror_source_connector.h"
#include "connectors/replication_policy.h"
#include "worker/kafka/java_client_config.h"
#include "worker/worker_config.h"

namespace ferry::worker {
namespace {

constexpr char kClusters[] = "clusters";
constexpr char kInternalRest[] = "dedicated.mode.enable.internal.rest";
constexpr char kEnabled[] = "enabled";
constexpr char kEmitHeartbeats[] = "emit.heartbeats.enabled";
constexpr char kBootstrapServers[] = "bootstrap.servers";
constexpr char kArrow[] = "->";
constexpr char kByteArrayConverter[] = "org.apache.kafka.connect.converters.ByteArrayConverter";

// MM2's herders run these three, in this order.
constexpr const char* kConnectorClasses[] = {connectors::kMirrorSourceConnectorClass,
                                             connectors::kMirrorHeartbeatConnectorClass,
                                             connectors::kMirrorCheckpointConnectorClass};

// The names MM2 3.9's three connectors define (Connect's ConnectorConfig, MirrorConnectorConfig and
// each connector's own keys, together): the only top-level keys that reach connector configs. Not
// SourceConnectorConfig's (exactly.once.support, transaction.boundary, offsets.storage.topic,
// topic.creation.*), nor use.defaults.from: MM2 drops those at the top level; they work per flow.
// ssl.*, sasl.* and librdkafka's two enable.* security switches are matched by IsConnectionKey.
const std::set<std::string>& Mm2ConnectorKeys() {
  static const std::set<std::string> keys = {
      // Connect
      "name", "connector.class", "tasks.max", "tasks.max.enforce", "key.converter", "value.converter",
      "header.converter", "transforms", "predicates", "config.action.reload", "errors.retry.timeout",
      "errors.retry.delay.max.ms", "errors.tolerance", "errors.log.enable", "errors.log.include.messages",
      // all three
      "enabled", "source.cluster.alias", "target.cluster.alias", "admin.timeout.ms", "replication.policy.class",
      "replication.policy.separator", "replication.policy.internal.topic.separator.enabled",
      "forwarding.admin.class", "metric.reporters", "security.protocol", "auto.include.jmx.reporter",
      // MirrorSourceConnector
      "topics", "topics.exclude", "topics.blacklist", "config.properties.exclude", "config.properties.blacklist",
      "topic.filter.class", "config.property.filter.class", "consumer.poll.timeout.ms", "refresh.topics.enabled",
      "refresh.topics.interval.seconds", "sync.topic.configs.enabled", "sync.topic.configs.interval.seconds",
      "use.incremental.alter.configs", "sync.topic.acls.enabled", "sync.topic.acls.interval.seconds",
      "replication.factor", "offset-syncs.topic.replication.factor", "offset.lag.max",
      "offset-syncs.topic.location", "add.source.alias.to.metrics", "emit.offset-syncs.enabled",
      // MirrorCheckpointConnector
      "groups", "groups.exclude", "groups.blacklist", "group.filter.class", "refresh.groups.enabled",
      "refresh.groups.interval.seconds", "emit.checkpoints.enabled", "emit.checkpoints.interval.seconds",
      "sync.group.offsets.enabled", "sync.group.offsets.interval.seconds", "checkpoints.topic.replication.factor",
      // MirrorHeartbeatConnector
      "emit.heartbeats.enabled", "emit.heartbeats.interval.seconds", "heartbeats.topic.replication.factor"};
  return keys;
}

// Top-level prefixes MM2 passes to every worker (matched without stripping, so "task" takes tasks.max).
constexpr const char* kWorkerPrefixes[] = {"offset.storage",  "config.storage",   "status.storage",
                                           "key.converter",   "value.converter",  "header.converter",
                                           "task",            "worker",           "replication.policy"};

// The internal REST server's keys (RestServerConfig's internal ones), read at the top level.
constexpr const char* kRestKeys[] = {"listeners",
                                     "rest.advertised.host.name",
                                     "rest.advertised.port",
                                     "rest.advertised.listener",
                                     "access.control.allow.origin",
                                     "access.control.allow.methods",
                                     "response.http.headers.config",
                                     "ssl.client.auth"};

bool StartsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// Java's String.trim: drops characters up to ' ' at both ends.
std::string Trim(std::string_view s) {
  size_t b = 0;
  size_t e = s.size();
  while (b < e && static_cast<unsigned char>(s[b]) <= ' ') ++b;
  while (e > b && static_cast<unsigned char>(s[e - 1]) <= ' ') --e;
  return std::string(s.substr(b, e - b));
}

// A BOOLEAN as Kafka's ConfigDef reads it: trimmed, any case. nullopt if it is neither.
std::optional<bool> ParseBool(const std::string& value) {
  std::string v = Trim(value);
  std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::tolower(c); });
  if (v == "true") return true;
  if (v == "false") return false;
  return std::nullopt;
}

// A LIST as Kafka reads it: split at commas, each item trimmed; blank text is the empty list.
std::vector<std::string> ParseList(const std::string& value) {
  std::vector<std::string> items;
  const std::string text = Trim(value);
  if (text.empty()) return items;
  size_t start = 0;
  while (true) {
    const size_t comma = text.find(',', start);
    items.push_back(Trim(std::string_view(text).substr(start, comma - start)));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return items;
}

std::string Join(const std::vector<std::string>& items, const char* sep = ", ") {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : sep) + item;
  return out;
}

// Settings a cluster's clients share. MM2 takes the Java client's ssl.* and sasl.* keys; Ferry takes
// every one, since its librdkafka clients have their own (sasl.username, ssl.ca.location, ...).
bool IsConnectionKey(const std::string& key) {
  if (key == "ssl.client.auth") return false;  // the REST server's, not a client's
  return key == kBootstrapServers || key == "security.protocol" || kafka::IsSecurityKey(key);
}

// A cluster setting for one client role. MM2 tests the bare prefix, so consumer.poll.timeout.ms counts.
bool IsClientRoleKey(const std::string& key) {
  return StartsWith(key, "consumer") || StartsWith(key, "producer") || StartsWith(key, "admin");
}

// A top-level key that MM2 copies into every connector config. Ferry's own connector keys count too.
bool IsConnectorKey(const std::string& key) {
  if (Mm2ConnectorKeys().count(key) > 0) return true;
  if (key != kBootstrapServers && IsConnectionKey(key)) return true;
  return StartsWith(key, "ferry.") && (connectors::MirrorSourceConfigDef().Find(key) != nullptr ||
                                       connectors::MirrorCheckpointConfigDef().Find(key) != nullptr ||
                                       connectors::MirrorHeartbeatConfigDef().Find(key) != nullptr);
}

bool IsRestKey(const std::string& key) {
  return std::find(std::begin(kRestKeys), std::end(kRestKeys), key) != std::end(kRestKeys) ||
         StartsWith(key, "listeners.https.");
}

bool IsWorkerKey(const std::string& key) {
  return StartsWith(key, "config.providers") ||
         std::any_of(std::begin(kWorkerPrefixes), std::end(kWorkerPrefixes),
                     [&](const char* p) { return StartsWith(key, p); });
}

std::string SimpleName(const std::string& class_name) { return class_name.substr(class_name.rfind('.') + 1); }

struct Flow {
  std::string source;
  std::string target;
  std::string Name() const { return source + kArrow + target; }
  std::string Prefix() const { return Name() + "."; }
};

class Planner {
 public:
  Planner(const std::vector<PropertyLine>& lines, std::string_view file_name) : file_(file_name) {
    for (const PropertyLine& line : lines) entries_[line.key] = line;  // the last one counts
  }

  Result<MirrorMakerPlan> Build(const std::vector<std::string>& target_clusters) {
    if (!ReadClusters()) return Failure();
    CheckKeys();
    plan_.internal_rest = Bool(kInternalRest, false);
    ReadRest();
    for (const std::string& alias : plan_.clusters) plan_.cluster_props[alias] = ClusterProps(alias);

    // Every flow with a herder somewhere (MM2's clusterPairs), before --clusters picks this node's.
    const bool heartbeats = Bool(kEmitHeartbeats, true);
    Bool(kEnabled, false);  // validated here: it reaches every connector config
    std::vector<MirrorHerderPlan> herders;
    for (const std::string& source : plan_.clusters) {
      for (const std::string& target : plan_.clusters) {
        if (source == target) continue;
        const Flow flow{source, target};
        const bool enabled = Bool(flow.Prefix() + kEnabled, false);
        if (!enabled && !Bool(flow.Prefix() + kEmitHeartbeats, heartbeats)) continue;
        herders.push_back(Herder(flow));
      }
    }
    CheckIdentityCycles(herders);

    const std::vector<std::string> targets = TargetClusters(target_clusters);
    for (MirrorHerderPlan& herder : herders) {
      if (std::find(targets.begin(), targets.end(), herder.target) != targets.end()) {
        plan_.herders.push_back(std::move(herder));
      }
    }
    if (plan_.herders.empty() && problems_.empty()) {
      Problem({kClusters}, "no source->target replication flows" +
                               std::string(target_clusters.empty() ? "" : " into --clusters " + Join(targets)) +
                               ": set A->B.enabled=true for a flow (with emit.heartbeats.enabled=false no "
                               "herder runs for flows that are not enabled)");
    }
    CheckBootstrapServers();
    if (!problems_.empty()) return Failure();
    return std::move(plan_);
  }

 private:
  // "line 7: A->A.enabled" (or just the key when the file does not have it).
  std::string At(const std::string& key) const {
    auto it = entries_.find(key);
    return it == entries_.end() ? key : "line " + std::to_string(it->second.line) + ": " + key;
  }

  void Problem(const std::vector<std::string>& keys, const std::string& why) {
    std::vector<std::string> places;
    for (const std::string& key : keys) places.push_back(At(key));
    problems_.push_back(std::string(file_) + ": " + Join(places) + ": " + why);
  }

  Error Failure() const { return Error(ErrorCode::kInvalidConfig, Join(problems_, "\n")); }

  std::optional<std::string> Value(const std::string& key) const {
    auto it = entries_.find(key);
    if (it == entries_.end()) return std::nullopt;
    return it->second.value;
  }

  // A boolean key, `fallback` when absent; a value that is not a boolean is a problem (MM2 would
  // read it as false here, and its connectors would then reject it). Read each key once.
  bool Bool(const std::string& key, bool fallback) {
    const std::optional<std::string> value = Value(key);
    if (!value) return fallback;
    const std::optional<bool> parsed = ParseBool(*value);
    if (!parsed) {
      Problem({key}, "Expected value to be either true or false, not '" + Trim(*value) + "'");
      return fallback;
    }
    return *parsed;
  }

  bool IsCluster(const std::string& alias) const {
    return std::find(plan_.clusters.begin(), plan_.clusters.end(), alias) != plan_.clusters.end();
  }

  // A cluster's key, such as A.bootstrap.servers.
  bool IsClusterKey(const std::string& key) const {
    return std::any_of(plan_.clusters.begin(), plan_.clusters.end(),
                       [&](const std::string& alias) { return StartsWith(key, alias + "."); });
  }

  bool ReadClusters() {
    const std::optional<std::string> value = Value(kClusters);
    if (!value) {
      Problem({kClusters}, "missing: list the cluster aliases, e.g. clusters = A, B");
      return false;
    }
    for (const std::string& alias : ParseList(*value)) {
      if (alias.empty() || alias.find(kArrow) != std::string::npos) {
        Problem({kClusters}, "'" + alias + "' is not a cluster alias (empty, or with '->')");
      } else if (!IsCluster(alias)) {
        plan_.clusters.push_back(alias);
      }
    }
    if (plan_.clusters.empty() && problems_.empty()) Problem({kClusters}, "no cluster aliases");
    return problems_.empty();
  }

  // Keys that name clusters or flows, and top-level keys that reach nothing.
  void CheckKeys() {
    const std::string known = " (clusters: " + Join(plan_.clusters) + ")";
    for (const auto& [key, line] : entries_) {
      if (key.find(kArrow) != std::string::npos) {
        CheckFlowKey(key, known);
        continue;
      }
      if (IsClusterKey(key)) continue;
      if (key == "name" || key == "connector.class") {
        Problem({key}, "dedicated mode sets it for each connector (its class); remove it");
        continue;
      }
      if (key == kClusters || key == kInternalRest || key == kIdentityCyclesAllowed || IsConnectorKey(key) ||
          IsConnectionKey(key) || IsWorkerKey(key) || IsRestKey(key)) {
        continue;
      }
      // "C.bootstrap.servers" or "C.consumer.x" for a C not in clusters.
      const size_t dot = key.find('.');
      const std::string first = key.substr(0, dot);
      const std::string rest = dot == std::string::npos ? "" : key.substr(dot + 1);
      const bool role = first == "consumer" || first == "producer" || first == "admin" || first == "source" ||
                        first == "target";
      if (!role && (IsConnectionKey(rest) || StartsWith(rest, "consumer.") || StartsWith(rest, "producer.") ||
                    StartsWith(rest, "admin."))) {
        Problem({key}, "names cluster '" + first + "', which is not in clusters" + known);
        continue;
      }
      plan_.warnings.push_back(std::string(file_) + ": " + At(key) +
                               ": reaches no connector, worker or cluster in dedicated mode (as in MM2); "
                               "set it per flow (A->B." + key + ") or per cluster (A." + key + ")");
    }
  }

  // "A->B.setting": both aliases in clusters, different, and a setting.
  void CheckFlowKey(const std::string& key, const std::string& known) {
    const size_t arrow = key.find(kArrow);
    const std::string source = key.substr(0, arrow);
    const std::string after = key.substr(arrow + 2);
    std::string target = after.substr(0, after.find('.'));
    for (const std::string& alias : plan_.clusters) {  // an alias may hold dots: take the longest match
      if (StartsWith(after, alias + ".") && (!IsCluster(target) || alias.size() > target.size())) target = alias;
    }
    const std::string setting = after.size() > target.size() ? after.substr(target.size() + 1) : "";
    if (source.empty() || target.empty() || setting.empty() || target.find(kArrow) != std::string::npos) {
      Problem({key}, "not of the form <source>-><target>.<setting>");
    } else if (!IsCluster(source) || !IsCluster(target)) {
      Problem({key}, "names cluster '" + (IsCluster(source) ? target : source) + "', which is not in clusters" +
                         known);
    } else if (source == target) {
      Problem({key}, "a flow from a cluster to itself");
    } else if (setting == "name" || setting == "connector.class") {
      Problem({key}, "dedicated mode sets it for each connector (its class); remove it");
    }
  }

  void ReadRest() {
    for (const auto& [key, line] : entries_) {
      if (IsRestKey(key)) plan_.rest[key] = line.value;
    }
    // MM2 validates listeners always; Ferry only when the server runs, since only then it is used.
    if (!plan_.internal_rest || !plan_.rest.count("listeners")) return;
    for (const std::string& url : ParseList(plan_.rest["listeners"])) {
      Result<Listener> listener = ParseListener(url);
      if (!listener.ok()) Problem({"listeners"}, listener.error().message());
    }
  }

  // The entries whose key starts with `prefix`: stripped (and longer than it), or whole.
  Properties WithPrefix(const std::string& prefix, bool strip) const {
    Properties out;
    for (auto it = entries_.lower_bound(prefix); it != entries_.end() && StartsWith(it->first, prefix); ++it) {
      if (!strip) {
        out[it->first] = it->second.value;
      } else if (it->first.size() > prefix.size()) {
        out[it->first.substr(prefix.size())] = it->second.value;
      }
    }
    return out;
  }

  // MM2's clusterProps: the cluster's keys; its connection keys, then the top-level ones, as
  // defaults for each client role (and the top-level ones for the cluster itself).
  Properties ClusterProps(const std::string& alias) const {
    Properties props = WithPrefix(alias + ".", /*strip=*/true);
    auto add_defaults = [&props](const Properties& from, bool bare) {
      for (const auto& [key, value] : from) {
        if (!IsConnectionKey(key)) continue;
        for (const char* role : {"producer.", "consumer.", "admin."}) props.try_emplace(role + key, value);
        if (bare) props.try_emplace(key, value);
      }
    };
    add_defaults(Properties(props), /*bare=*/false);
    Properties top_level;
    for (const auto& [key, line] : entries_) top_level[key] = line.value;
    add_defaults(top_level, /*bare=*/true);
    return props;
  }

  // MM2's workerConfig: the target's settings, the top-level worker keys, then defaults.
  Properties WorkerProps(const Flow& flow) const {
    Properties props = plan_.cluster_props.at(flow.target);
    for (const char* prefix : kWorkerPrefixes) {
      for (auto& [key, value] : WithPrefix(prefix, /*strip=*/false)) props[key] = value;
    }
    for (auto& [key, value] : WithPrefix("config.providers", /*strip=*/false)) props[key] = value;
    props.try_emplace(WorkerConfig::kClientId, flow.Name());
    props.try_emplace(WorkerConfig::kGroupId, flow.source + "-mm2");
    // Always with ".": MM2 does not apply the replication policy's separator to these names.
    props.try_emplace(WorkerConfig::kOffsetTopic, "mm2-offsets." + flow.source + ".internal");
    props.try_emplace(WorkerConfig::kStatusTopic, "mm2-status." + flow.source + ".internal");
    props.try_emplace(WorkerConfig::kConfigTopic, "mm2-configs." + flow.source + ".internal");
    for (const char* converter : {"key.converter", "value.converter", "header.converter"}) {
      props.try_emplace(converter, kByteArrayConverter);
    }
    return props;
  }

  // MM2's connectorBaseConfig; the flow's own keys win over everything.
  Properties ConnectorProps(const Flow& flow, const std::string& class_name) const {
    Properties props;
    for (const auto& [key, line] : entries_) {
      if (IsConnectorKey(key)) props[key] = line.value;
    }
    for (const char* prefix : {"config.providers", "replication.policy"}) {
      for (auto& [key, value] : WithPrefix(prefix, /*strip=*/false)) props[key] = value;
    }
    for (const auto& [side, alias] : {std::pair<std::string, std::string>{"source.", flow.source},
                                      {"target.", flow.target}}) {
      for (const auto& [key, value] : plan_.cluster_props.at(alias)) {
        props[(IsClientRoleKey(key) ? side : side + "cluster.") + key] = value;
      }
    }
    props.try_emplace("name", SimpleName(class_name));
    props.try_emplace("connector.class", class_name);
    props.try_emplace(connectors::kSourceClusterAlias, flow.source);
    props.try_emplace("target.cluster.alias", flow.target);
    for (auto& [key, value] : WithPrefix(flow.Prefix(), /*strip=*/true)) props[key] = value;
    props.try_emplace(kEnabled, "false");
    return props;
  }

  MirrorHerderPlan Herder(const Flow& flow) const {
    MirrorHerderPlan herder{flow.source, flow.target, WorkerProps(flow), {}};
    for (const char* class_name : kConnectorClasses) {
      herder.connectors[SimpleName(class_name)] = ConnectorProps(flow, class_name);
    }
    return herder;
  }

  static const Properties& SourceConnector(const MirrorHerderPlan& herder) {
    return herder.connectors.at(SimpleName(connectors::kMirrorSourceConnectorClass));
  }

  // Whether the flow copies records: its source connector is enabled.
  static bool Replicates(const MirrorHerderPlan& herder) {
    auto it = SourceConnector(herder).find(kEnabled);
    return it != SourceConnector(herder).end() && ParseBool(it->second).value_or(false);
  }

  static bool UsesIdentityPolicy(const MirrorHerderPlan& herder) {
    auto policy = connectors::MakeReplicationPolicy(SourceConnector(herder));
    // A bad policy setting is the connector validation's to report.
    return policy.ok() && dynamic_cast<const connectors::IdentityReplicationPolicy*>(policy->get()) != nullptr;
  }

  // With IdentityReplicationPolicy a record copied A->B looks local on B, so a way back to A copies
  // it again, forever (any cycle through one such flow: the others' cycle detection sees no prefix
  // to stop at). Checked over every herder of the file, not just this node's: other nodes run the rest.
  void CheckIdentityCycles(const std::vector<MirrorHerderPlan>& herders) {
    if (Bool(kIdentityCyclesAllowed, false)) return;
    std::map<std::string, std::vector<const MirrorHerderPlan*>> out;  // replicating flows by source
    for (const MirrorHerderPlan& h : herders) {
      if (Replicates(h)) out[h.source].push_back(&h);
    }
    std::set<std::set<std::string>> reported;  // each cycle once, as its set of flows
    for (const MirrorHerderPlan& start : herders) {
      if (!Replicates(start) || !UsesIdentityPolicy(start)) continue;
      // Shortest way back from the flow's target to its source (breadth first).
      std::map<std::string, const MirrorHerderPlan*> via = {{start.target, &start}};
      std::deque<std::string> queue = {start.target};
      while (!queue.empty() && !via.count(start.source)) {
        const std::string at = queue.front();
        queue.pop_front();
        for (const MirrorHerderPlan* next : out[at]) {
          if (via.emplace(next->target, next).second) queue.push_back(next->target);
        }
      }
      if (!via.count(start.source)) continue;
      std::vector<const MirrorHerderPlan*> cycle;
      for (std::string at = start.source; cycle.empty() || at != start.source; at = via[at]->source) {
        cycle.insert(cycle.begin(), via[at]);
      }
      std::set<std::string> names;
      for (const MirrorHerderPlan* h : cycle) names.insert(h->Name());
      if (!reported.insert(names).second) continue;
      ReportIdentityCycle(cycle);
    }
  }

  void ReportIdentityCycle(const std::vector<const MirrorHerderPlan*>& cycle) {
    std::vector<std::string> keys;
    std::vector<std::string> flows;
    auto add_key = [&keys](std::string key) {
      if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(std::move(key));
    };
    for (const MirrorHerderPlan* h : cycle) {
      const std::string prefix = h->Name() + ".";
      add_key(entries_.count(prefix + kEnabled) ? prefix + kEnabled : kEnabled);
      flows.push_back(h->Name());
    }
    for (const MirrorHerderPlan* h : cycle) {
      if (!UsesIdentityPolicy(*h)) continue;
      const std::string key = std::string(h->Name()) + "." + connectors::kReplicationPolicyClass;
      add_key(entries_.count(key) ? key : connectors::kReplicationPolicyClass);
    }
    Problem(keys, "the enabled flows " + Join(flows) +
                      " form a cycle through IdentityReplicationPolicy, which keeps topic names, so every "
                      "record would be copied around it forever (MM2 has no cycle detection with this "
                      "policy). Disable one of the flows, use DefaultReplicationPolicy, or, if the flows' "
                      "topics never meet, set " + kIdentityCyclesAllowed + "=true");
  }

  std::vector<std::string> TargetClusters(const std::vector<std::string>& requested) {
    if (requested.empty()) return plan_.clusters;
    for (const std::string& alias : requested) {
      if (!IsCluster(alias)) {
        Problem({kClusters}, "--clusters names '" + alias + "', which is not one of " + Join(plan_.clusters));
      }
    }
    return requested;
  }

  // The herders of this node need their target (the worker's cluster) and, when the flow copies,
  // their source.
  void CheckBootstrapServers() {
    std::map<std::string, std::vector<std::string>> needed_by;
    for (const MirrorHerderPlan& herder : plan_.herders) {
      if (Replicates(herder)) needed_by[herder.source].push_back(herder.Name());
      needed_by[herder.target].push_back(herder.Name());
    }
    for (const std::string& alias : plan_.clusters) {
      if (!needed_by.count(alias)) continue;
      const Properties& props = plan_.cluster_props.at(alias);
      auto it = props.find(kBootstrapServers);
      if (it != props.end() && !Trim(it->second).empty()) continue;
      Problem({kClusters}, "cluster " + alias + " has no bootstrap.servers (set " + alias +
                               ".bootstrap.servers); needed by " + Join(needed_by[alias]));
    }
  }

  std::string_view file_;
  std::map<std::string, PropertyLine> entries_;
  MirrorMakerPlan plan_;
  std::vector<std::string> problems_;
};

}  // namespace

Result<MirrorMakerPlan> BuildMirrorMakerPlan(const std::vector<PropertyLine>& lines,
                                             const std::vector<std::string>& target_clusters,
                                             std::string_view file_name) {
  return Planner(lines, file_name).Build(target_clusters);
}

}  // namespace ferry::worker
