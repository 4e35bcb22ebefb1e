// MirrorMakerPlan: what `ferry mirror-maker mm2.properties [--clusters ...]` runs, computed from the
// file the way MM2's MirrorMakerConfig computes it (docs/mm2-compatibility.md, "Dedicated mode"), so that an MM2
// dedicated-mode file gives the same herders, worker settings and connector configs:
//  - a herder (a Connect worker on the target cluster) for each source->target pair whose
//    `A->B.enabled` is true or whose heartbeats are on (`emit.heartbeats.enabled`, top-level or
//    per flow, default true: N·(N−1) herders by default), kept when --clusters lists its target;
//  - each cluster's client settings: the `<A>.` keys, with the connection keys (bootstrap.servers,
//    security.protocol, ssl.*, sasl.*) copied to `producer.`/`consumer.`/`admin.` unless set there,
//    and the top-level connection keys as defaults for every cluster;
//  - a herder's worker settings: its target's client settings, then the top-level offset.storage*,
//    config.storage*, status.storage*, key/value/header.converter*, task*, worker*,
//    replication.policy*, config.providers*; defaults client.id=A->B, group.id=A-mm2,
//    mm2-{offsets,status,configs}.A.internal (always with ".", whatever the policy's separator) and
//    ByteArrayConverter;
//  - its three connector configs: the top-level keys MM2's three connectors define, the source's
//    settings as source.cluster.* / source.{consumer,producer,admin}.*, the target's likewise, name,
//    connector.class, the two aliases, then the `A->B.` keys (which win), and enabled=false unless set.
// Ferry adds checks MM2 lacks, each reported with the key and its line (all problems at once): a
// missing `clusters`, an alias not in `clusters`, a malformed or self-referencing `A->B.` key, a
// needed cluster without bootstrap.servers, an unknown --clusters alias, and a cycle of enabled flows
// through IdentityReplicationPolicy, which would copy records around forever (MM2 has no cycle
// detection with that policy) unless `ferry.identity.replication.cycles.allowed=true`.
// Thread-safety: a pure function over values.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "worker/common/result.h"
#include "worker/common/types.h"
#include "worker/properties.h"

namespace ferry::worker {

// Ferry only: accept a cycle of enabled flows that uses IdentityReplicationPolicy (for flows whose
// topics never meet). Top level, boolean, default false.
inline constexpr char kIdentityCyclesAllowed[] = "ferry.identity.replication.cycles.allowed";

// One herder: a Connect worker for the flow source->target, on the target cluster.
struct MirrorHerderPlan {
  std::string source;
  std::string target;
  // For WorkerConfig::Parse(worker, WorkerMode::kDistributed). MM2 puts no REST keys here: a
  // dedicated-mode worker serves no REST of its own (see MirrorMakerPlan::rest).
  Properties worker;
  // Connector name -> config, for MirrorSourceConnector, MirrorCheckpointConnector and
  // MirrorHeartbeatConnector (MM2 names each after its class). The leader writes them.
  std::map<std::string, Properties> connectors;

  // "A->B": MM2's name for the flow, also its worker id.
  std::string Name() const { return source + "->" + target; }
};

struct MirrorMakerPlan {
  std::vector<std::string> clusters;                // the aliases, in file order
  std::map<std::string, Properties> cluster_props;  // alias -> its client settings (as above)
  std::vector<MirrorHerderPlan> herders;            // by source, then target, in `clusters` order
  // dedicated.mode.enable.internal.rest: one internal REST server for all herders (KIP-710), set
  // up from `rest` (the top-level listeners, rest.advertised.*, access.control.*, ... keys).
  bool internal_rest = false;
  Properties rest;
  // Top-level keys that reach no connector, worker or cluster (as in MM2, e.g. a top-level
  // producer.compression.type), one line each naming the key and its line; for the log.
  std::vector<std::string> warnings;
};

// The plan for `lines` (an mm2.properties file, see LoadPropertiesFileWithLines) on a node whose
// --clusters are `target_clusters` (empty: all). Errors are kInvalidConfig; the message has one
// line per problem, "<file_name>: line 7: A->A.enabled: ...".
Result<MirrorMakerPlan> BuildMirrorMakerPlan(const std::vector<PropertyLine>& lines,
                                             const std::vector<std::string>& target_clusters,
                                             std::string_view file_name = "mm2.properties");

}  // namespace ferry::worker
