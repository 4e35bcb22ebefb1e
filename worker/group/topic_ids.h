// Learning a topic's Kafka topic ID (KIP-516) with Ferry's own wire client, since librdkafka 2.0.2
// does not expose topic IDs. A topic deleted and created again under the same name gets a new ID, so
// the ID tells two incarnations of a name apart where offsets alone cannot (issue #21 item 7).
//
// LookupTopicIds asks one bootstrap broker (the first that answers) with Metadata v10-v12, connected
// as the client properties' security.protocol, ssl.* and sasl.* say (security.h). The answer is that broker's view of the cluster's metadata at that moment.
// Thread-safety: free functions; each call uses its own connection.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "worker/common/result.h"
#include "worker/common/types.h"
#include "worker/group/connection.h"
#include "worker/group/messages.h"

namespace ferry::group {

// The topic IDs of `topics` (names), as Kafka prints them (Uuid::ToString(), e.g.
// "vB5VNpM_QcqDq5YFPnfZ6A"), keyed by name.
//
// A topic that does not exist is ABSENT from the map (the broker answers UNKNOWN_TOPIC_OR_PARTITION;
// nothing is created: allow_auto_topic_creation=false). Any other per-topic error fails the call:
// TOPIC_AUTHORIZATION_FAILED as kForbidden, an invalid name as kInvalidConfig, a topic without a
// leader and without an ID (still being created) as a retriable kKafka. An empty `topics` gives an
// empty map without connecting.
//
// `client_props` are a Kafka client's (librdkafka's or Java's) properties: `bootstrap.servers`
// (tried in order, each with an equal share of what is left of `timeout`, until one answers),
// `client.id` (default "ferry-topic-ids"), and the TLS and SASL settings. Errors:
//  - kUnsupported: the broker offers no Metadata v10+ (older than Kafka 2.8, or a cluster without
//    topic IDs: "topic IDs are unavailable").
//  - kInvalidConfig: no or unparsable bootstrap servers; TLS or SASL settings Ferry's own client
//    cannot honour (GSSAPI, OIDC, ...; it never falls back to plain TCP); a refused SASL login.
//  - kKafka (not retriable): the broker's certificate failed verification.
//  - kTimeout / kKafka (retriable): no bootstrap server answered within `timeout`.
//  - kCorrupt: a malformed answer.
Result<std::map<std::string, std::string>> LookupTopicIds(const Properties& client_props,
                                                          const std::vector<std::string>& topics,
                                                          std::chrono::milliseconds timeout);

// The same over given brokers, transports and clock (tests script a fake Transport).
Result<std::map<std::string, std::string>> LookupTopicIdsVia(const std::vector<BrokerAddress>& brokers,
                                                             const std::vector<std::string>& topics,
                                                             const TransportFactory& transports, Clock& clock,
                                                             Deadline deadline);

}  // namespace ferry::group
