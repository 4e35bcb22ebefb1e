// GroupStateGuard: an Admin that asks a broker whether it serves DescribeGroups before letting
// librdkafka describe a group. librdkafka 2.0.2 aborts the whole process when a broker lacks that API
// (the mock cluster does; see worker/kafka/admin.h), which would take a worker down for a REST call.
// The question goes over Ferry's own wire client (ApiVersions to the bootstrap brokers in turn until
// one answers, once), connected as the cluster's client settings say (security.protocol, ssl.*,
// sasl.*: group::ClientSecurity), so a secured cluster is asked as a plain one is; a refused login or
// certificate is an error naming the key. Settings only librdkafka takes (a PKCS#12 key store, OIDC)
// leave the question unasked and the call goes through (only the mock lacks DescribeGroups, and it
// has no secured listeners). Everything else is passed to the wrapped Admin unchanged.
// Thread-safety: as the wrapped Admin; the answer is cached under a mutex.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "worker/kafka/admin.h"

namespace ferry::cutover {

class GroupStateGuard : public kafka::ForwardingAdmin {
 public:
  GroupStateGuard(kafka::AdminPtr admin, Properties client_props, std::chrono::milliseconds timeout)
      : ForwardingAdmin(std::move(admin)), props_(std::move(client_props)), timeout_(timeout) {}

  Result<kafka::GroupDescription> DescribeConsumerGroupState(const std::string& group) override;

 private:
  // Whether the cluster serves DescribeGroups: true, false, or an error (then nothing is called).
  Result<bool> ServesDescribeGroups();

  const Properties props_;
  const std::chrono::milliseconds timeout_;
  std::mutex mu_;
  std::optional<bool> serves_;  // guarded by mu_
};

}  // namespace ferry::cutover
