#include "worker/cutover/group_state_guard.h"

#include <algorithm>
#include <memory>

#include <glog/logging.h>

#include "worker/group/connection.h"
#include "worker/group/messages.h"
#include "worker/group/security.h"

namespace ferry::cutover {
namespace {

constexpr int16_t kDescribeGroupsKey = 15;
constexpr int16_t kApiVersionsVersion = 0;  // every broker and the mock answer v0
constexpr char kDefaultClientId[] = "ferry-cutover";

}  // namespace

Result<bool> GroupStateGuard::ServesDescribeGroups() {
  std::lock_guard lock(mu_);
  if (serves_) return *serves_;
  auto servers = props_.find("bootstrap.servers");
  if (servers == props_.end()) {
    serves_ = true;  // nothing to ask; the wrapped Admin will say what is missing
    return true;
  }
  // The cluster's own settings (security.protocol, ssl.*, sasl.*), as its librdkafka clients have them.
  Result<std::shared_ptr<const group::ClientSecurity>> security = group::ClientSecurity::FromProperties(props_);
  if (!security.ok()) {
    // Settings librdkafka takes but Ferry's wire client does not (a PKCS#12 key store, OIDC): the
    // question cannot be asked. Only the librdkafka mock lacks DescribeGroups, and it has no secured
    // listeners, so the call goes through; said once, naming the key (never a value).
    LOG(WARNING) << "cannot ask the cluster at " << servers->second
                 << " whether it serves DescribeGroups; asking it directly: " << security.error().message();
    serves_ = true;
    return true;
  }
  auto client_id = props_.find("client.id");
  group::SteadyClock clock;
  const auto deadline = clock.Now() + timeout_;
  std::optional<Error> last;
  const std::string& list = servers->second;
  for (size_t start = 0; start <= list.size() && clock.Now() < deadline;) {
    size_t comma = list.find(',', start);
    if (comma == std::string::npos) comma = list.size();
    std::string server = list.substr(start, comma - start);
    start = comma + 1;
    server.erase(0, server.find_first_not_of(" \t"));
    server.erase(server.find_last_not_of(" \t") + 1);
    if (server.empty()) continue;
    auto address = group::ParseBrokerAddress(server);
    if (!address.ok()) return address.error();
    Result<group::TransportPtr> connection = (*security)->Open(
        *address, client_id == props_.end() ? kDefaultClientId : client_id->second, clock, deadline);
    if (!connection.ok()) {
      if (!connection.error().retriable()) return connection.error();  // a refused login or certificate
      last = connection.error();
      continue;
    }
    auto body = (*connection)->RoundTrip(group::ApiVersionsRequest::kApiKey, kApiVersionsVersion,
                                         group::ApiVersionsRequest{}.Encode(kApiVersionsVersion), deadline);
    if (!body.ok()) {
      last = body.error();
      continue;
    }
    auto versions = group::ApiVersionsResponse::Decode(*body, kApiVersionsVersion);
    if (!versions.ok()) return versions.error();
    serves_ = std::any_of(versions->api_keys.begin(), versions->api_keys.end(),
                          [](const auto& v) { return v.api_key == kDescribeGroupsKey; });
    if (!*serves_) LOG(WARNING) << "the cluster at " << server << " does not serve DescribeGroups";
    return *serves_;
  }
  if (last) return *last;
  return Error::Timeout("no bootstrap server of " + list + " was asked before the deadline");
}

Result<kafka::GroupDescription> GroupStateGuard::DescribeConsumerGroupState(const std::string& group) {
  auto serves = ServesDescribeGroups();
  if (!serves.ok()) {
    const Error& e = serves.error();
    return Error(e.code(), "cannot ask the cluster for its APIs: " + e.message(), e.retriable(), e.kafka_err());
  }
  if (!*serves) {
    return Error(ErrorCode::kUnsupported, "the cluster does not serve DescribeGroups (the librdkafka mock cluster does not)");
  }
  return ForwardingAdmin::DescribeConsumerGroupState(group);
}

}  // namespace ferry::cutover
