#include "connectors/mirror_client_config.h"

#include "worker/kafka/client.h"
#include "worker/kafka/java_client_config.h"

namespace ferry::connectors {
namespace {

bool StartsWith(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

bool IsConnectionKey(const std::string& key) {
  return key == "bootstrap.servers" || key == "security.protocol" || kafka::IsSecurityKey(key);
}

const char* RoleName(ClientRole role) {
  switch (role) {
    case ClientRole::kConsumer: return "consumer";
    case ClientRole::kProducer: return "producer";
    case ClientRole::kAdmin: return "admin";
  }
  return "consumer";
}

// MM2 connector keys that merely start like a client prefix (`admin.timeout.ms` is not the admin
// client's `timeout.ms`).
bool IsConnectorKey(const std::string& full_key) {
  return full_key == "admin.timeout.ms" || full_key == "consumer.poll.timeout.ms";
}

// Connect's per-connector client overrides (KIP-458): `producer.override.<k>` and the like.
constexpr char kOverride[] = "override.";

void CopyPrefixed(const Properties& config, const std::string& prefix, bool connection_only, Properties& out) {
  for (auto it = config.lower_bound(prefix); it != config.end() && StartsWith(it->first, prefix); ++it) {
    if (IsConnectorKey(it->first)) continue;
    const std::string key = it->first.substr(prefix.size());
    if (key.empty()) continue;  // Java-only client keys are kafka::NewClient's to translate or drop
    if (StartsWith(key, kOverride)) continue;  // `<role>.override.<k>` is Connect's, applied by ClientProps
    if (connection_only && !IsConnectionKey(key)) continue;
    out[key] = it->second;
  }
}

}  // namespace

Properties ClientProps(const Properties& config, Cluster cluster, ClientRole role) {
  const std::string side = cluster == Cluster::kSource ? "source." : "target.";
  const std::string role_prefix = std::string(RoleName(role)) + ".";
  Properties props;
  CopyPrefixed(config, side + "cluster.", /*connection_only=*/true, props);
  CopyPrefixed(config, role_prefix, false, props);
  CopyPrefixed(config, side + role_prefix, false, props);
  // Connect applies `<role>.override.<k>` to the worker's own clients for this connector, and the
  // worker's cluster is the target: there they win over everything else.
  if (cluster == Cluster::kTarget) CopyPrefixed(config, role_prefix + kOverride, false, props);
  return props;
}

Error NameFailedCluster(const Error& error, const Properties& config) {
  if (!kafka::IsConfigFailure(error)) return error;
  auto alias = [&](const char* key, const char* fallback) {
    auto it = config.find(key);
    return it == config.end() || it->second.empty() ? std::string(fallback) : it->second;
  };
  for (Cluster cluster : {Cluster::kSource, Cluster::kTarget}) {
    for (ClientRole role : {ClientRole::kAdmin, ClientRole::kConsumer, ClientRole::kProducer}) {
      const Properties props = ClientProps(config, cluster, role);
      auto bootstrap = props.find("bootstrap.servers");
      if (bootstrap == props.end() || error.message().find("at " + bootstrap->second) == std::string::npos) continue;
      return kafka::ForCluster(error, cluster == Cluster::kSource
                                          ? "source cluster '" + alias("source.cluster.alias", "source") + "'"
                                          : "target cluster '" + alias("target.cluster.alias", "target") + "'");
    }
  }
  return error;
}

bool HasBootstrap(const Properties& config, Cluster cluster, ClientRole role) {
  return ClientProps(config, cluster, role).count("bootstrap.servers") > 0;
}

}  // namespace ferry::connectors
