// How MM2 derives a connector's Kafka client settings from its config (mm2.md §2.1), later wins:
// `source.cluster.<k>` (connection keys only: bootstrap.servers, security.protocol, ssl.*, sasl.*),
// then `<role>.<k>` (role: consumer, producer, admin), then `source.<role>.<k>`; likewise for
// `target.`. Connect's per-connector overrides `<role>.override.<k>` (KIP-458) are applied last, to
// the target's clients: in Connect they configure the worker's own clients, on the target cluster.
// Java client keys stay as written: kafka::NewClient translates them for librdkafka
// (worker/kafka/java_client_config.h).
#pragma once

#include <string>

#include "worker/common/result.h"
#include "worker/common/types.h"

namespace ferry::connectors {

enum class Cluster { kSource, kTarget };
enum class ClientRole { kConsumer, kProducer, kAdmin };

Properties ClientProps(const Properties& config, Cluster cluster, ClientRole role);

// True if `config` names a bootstrap server list for `cluster` (`source.cluster.bootstrap.servers`,
// or `source.<role>.bootstrap.servers` / `<role>.bootstrap.servers`).
bool HasBootstrap(const Properties& config, Cluster cluster, ClientRole role);

// `error` with the cluster whose client settings to fix in front ("source cluster 'A': ...") when it
// is a client configuration failure (kafka::IsConfigFailure: a refused login or certificate, a key
// file that cannot be read), found by the bootstrap servers it names; otherwise `error` unchanged.
Error NameFailedCluster(const Error& error, const Properties& config);

}  // namespace ferry::connectors
