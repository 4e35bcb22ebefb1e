// Java Kafka client settings in librdkafka's terms. MM2's files and connector configs configure
// clients with the Java client's keys (`ssl.truststore.location`, `sasl.jaas.config`,
// `max.poll.records`, ...), and librdkafka refuses a key it does not know. So every client Ferry
// creates goes through FromJavaClientConfig (kafka::NewClient calls it):
//  - a key librdkafka knows with the same meaning passes unchanged (linger.ms, acks, sasl.mechanism);
//  - a Java key with a librdkafka equivalent is translated (send.buffer.bytes ->
//    socket.send.buffer.bytes, a PEM trust store -> ssl.ca.location, the username and password of a
//    PLAIN or SCRAM sasl.jaas.config -> sasl.username / sasl.password); the translation replaces any
//    setting of the librdkafka key it maps to;
//  - Java-only tuning without meaning here (serializers, metrics, max.poll.records, ...) is dropped and
//    listed in `dropped`, for the caller to warn about;
//  - what cannot be honoured safely is an Error saying what to set instead (a JKS trust store, a
//    Kerberos or OAuth JAAS login, a Java class that decides TLS or SASL).
// TLS keys count only with security.protocol SSL or SASL_SSL, and SASL keys only with SASL_*: as in
// Java, they are dropped otherwise. Applied to librdkafka's own settings it changes nothing.
// The whole table, and why, is in docs/mm2-compatibility.md ("Java client settings").
// Error messages and `dropped` name keys, never values (values may be secrets).
// Thread-safety: a pure function.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <librdkafka/rdkafka.h>

#include "worker/common/result.h"
#include "worker/common/types.h"

namespace ferry::kafka {

struct TranslatedClientProps {
  Properties props;                            // for rd_kafka_conf_set
  std::vector<std::string> dropped;            // Java keys without meaning here, sorted
  std::map<std::string, std::string> renamed;  // librdkafka key -> the Java key it came from
};

// `type` is the client's: a consumer drops the producer's request.timeout.ms (an admin client is a
// RD_KAFKA_PRODUCER handle). Errors are kInvalidConfig.
Result<TranslatedClientProps> FromJavaClientConfig(const Properties& props, rd_kafka_type_t type);

// Whether `key` is a security setting every client of a cluster takes, written bare (not under
// producer./consumer./admin.) as users write them: Java's and librdkafka's ssl.* and sasl.*, and
// librdkafka's two switches outside those prefixes (enable.ssl.certificate.verification,
// enable.sasl.oauthbearer.unsecure.jwt).
bool IsSecurityKey(std::string_view key);

}  // namespace ferry::kafka
