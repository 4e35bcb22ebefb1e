#include "worker/cutover/group_state_guard.h"

#include <algorithm>

#include <glog/logging.h>

#include "worker/group/connection.h"
#include "worker/group/messages.h"

namespace ferry::cutover {
namespace {

constexpr int16_t kDescribeGroupsKey = 15;
constexpr int16_t kApiVersionsVersion = 0;  // every broker and the mock answer v0

}  // namespace

Result<bool> GroupStateGuard::ServesDescribeGroups() {
  std::lock_guard lock(mu_);
  if (serves_) return *serves_;
  auto protocol = props_.find("security.protocol");
  std::string lower = protocol == props_.end() ? "plaintext" : protocol->second;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  auto servers = props_.find("bootstrap.servers");
  if (lower != "plaintext" || servers == props_.end()) {
    serves_ = true;  // not askable over plain TCP; such brokers are recent enough
    return true;
  }
  const std::string first = servers->second.substr(0, servers->second.find(','));
  auto address = group::ParseBrokerAddress(first);
  if (!address.ok()) return address.error();
  group::SteadyClock clock;
  const auto deadline = clock.Now() + timeout_;
  auto connection = group::Connection::Open(*address, "ferry-cutover", clock, deadline);
  if (!connection.ok()) return connection.error();
  auto body = (*connection)->RoundTrip(group::ApiVersionsRequest::kApiKey, kApiVersionsVersion,
                                       group::ApiVersionsRequest{}.Encode(kApiVersionsVersion), deadline);
  if (!body.ok()) return body.error();
  auto versions = group::ApiVersionsResponse::Decode(*body, kApiVersionsVersion);
  if (!versions.ok()) return versions.error();
  serves_ = std::any_of(versions->api_keys.begin(), versions->api_keys.end(),
                        [](const auto& v) { return v.api_key == kDescribeGroupsKey; });
  if (!*serves_) LOG(WARNING) << "the cluster at " << first << " does not serve DescribeGroups";
  return *serves_;
}

Result<kafka::GroupDescription> GroupStateGuard::DescribeConsumerGroupState(const std::string& group) {
  auto serves = ServesDescribeGroups();
  if (!serves.ok()) return Error(serves.error().code(), "cannot ask the cluster for its APIs: " + serves.error().message(), true);
  if (!*serves) {
    return Error(ErrorCode::kUnsupported, "the cluster does not serve DescribeGroups (the librdkafka mock cluster does not)");
  }
  return ForwardingAdmin::DescribeConsumerGroupState(group);
}

}  // namespace ferry::cutover
