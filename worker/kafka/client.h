// Creating librdkafka clients from Properties, with every failure returned as a value.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "worker/common/result.h"
#include "worker/common/types.h"
#include "worker/kafka/handles.h"

namespace ferry::kafka {

// True for keys whose values must never appear in logs, errors or REST answers other than GET
// .../config: Kafka's PASSWORD-typed client settings (ssl.key.password, ssl.keystore.password,
// ssl.truststore.password, ssl.keystore.key, ssl.keystore.certificate.chain,
// ssl.truststore.certificates, sasl.jaas.config, and 4.1's OAuth client secret and assertion key
// passphrase), librdkafka's sasl.password, ssl.key.pem and sasl.oauthbearer.client.secret, and
// basic.auth.user.info; exactly these, alone or after any prefix ending in "."
// (source.cluster.sasl.jaas.config). ssl.keystore.location and other non-secrets are not. Shown as
// "[hidden]" (connectors::ShownValue).
bool IsSecret(const std::string& key);

// Creates a producer or consumer from `props`, Java client keys translated first
// (java_client_config.h; what is dropped is logged once, by key). `customize` may set callbacks and
// their opaque on the conf before the handle is made.
Result<HandlePtr> NewClient(rd_kafka_type_t type, const Properties& props,
                            const std::function<void(rd_kafka_conf_t*)>& customize = {});

// Failures of a client's own configuration, which librdkafka retries forever but no retry can fix
// (docs/security.md, "Kafka clients"): the cluster refuses the SASL login; the broker's certificate
// cannot be verified (unknown CA, expired, issued for another host); the broker refuses the client's
// certificate. NewClient watches every client for them: librdkafka reports each on its own threads
// as a connection failure (log facility FAIL), and a certificate's verification result through
// ssl.certificate.verify_cb, which Ferry sets to keep OpenSSL's verdict and learn its reason.
// ConfigFailure is the first such failure of `rk`, as an Error that names the bootstrap servers
// and the key to fix, never a value: code kInvalidConfig, not retriable, kafka_err
// RD_KAFKA_RESP_ERR__AUTHENTICATION (a login) or RD_KAFKA_RESP_ERR__SSL (TLS). A mutex and a map
// lookup: for error paths and idle loops, not per record. Thread-safe.
std::optional<Error> ConfigFailure(const rd_kafka_t* rk);

// `rk`'s ConfigFailure when it has one (it is why `err` happened), else Error::Kafka(context, err).
Error ClientError(const rd_kafka_t* rk, const std::string& context, rd_kafka_resp_err_t err);

// True for an Error made by ConfigFailure, or by NewClient refusing a setting (kInvalidConfig with
// kafka_err RD_KAFKA_RESP_ERR__INVALID_ARG; its message, too, starts "the Kafka cluster at <bootstrap>").
bool IsConfigFailure(const Error& error);

// `error` with `cluster` ("source cluster 'A'") in front when it is a ConfigFailure, so that the
// user knows which cluster's keys to fix (the client knows only its bootstrap servers).
Error ForCluster(const Error& error, const std::string& cluster);

// The low and high watermarks of a partition, asked of its leader.
struct Watermarks {
  int64_t low = 0;
  int64_t high = 0;
};
Result<Watermarks> QueryWatermarks(rd_kafka_t* rk, const TopicPartition& tp,
                                   std::chrono::milliseconds timeout);

// Metadata of every topic (a listing, which never auto-creates anything), within `timeout`, that a
// stop can cut short. rd_kafka_metadata cannot be interrupted, so it is called in slices, asking
// `stop` between them. A slice left unanswered (ERR__TRANSPORT: no broker reachable; ERR__TIMED_OUT:
// no answer, which librdkafka 2.0.2 also says of a broker that has just vanished) is followed by one
// twice as long, up to kMaxMetadataSlice: a slow broker still gets seconds per request, and a stop
// waits at most that long. The first slice is at most a second, and a client whose configuration
// fails (ConfigFailure) ends the wait after the slice that saw it. An error that ends a call before
// its time (a failed request) is the answer, as for a single call.
inline constexpr std::chrono::milliseconds kMaxMetadataSlice{4000};
inline constexpr std::chrono::milliseconds kFirstMetadataSlice{1000};
struct AllTopicsMetadata {
  MetadataPtr metadata;  // set when err is NO_ERROR and not stopped
  rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
  bool stopped = false;  // `stop` said so before an answer came
  std::optional<Error> failure;  // the client's ConfigFailure, which ended the wait (err is its code)
};
AllTopicsMetadata FetchAllTopicsMetadata(rd_kafka_t* rk, std::chrono::milliseconds timeout,
                                         std::chrono::milliseconds slice, const std::function<bool()>& stop);

// The partition count of `topic` from cluster metadata, or NotFound.
Result<int> PartitionCount(rd_kafka_t* rk, const std::string& topic, std::chrono::milliseconds timeout);

}  // namespace ferry::kafka
