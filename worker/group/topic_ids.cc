#include "worker/group/topic_ids.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <set>

#include <glog/logging.h>

#include "worker/group/security.h"

namespace ferry::group {

namespace {

using std::chrono::milliseconds;

// Every broker from 2.0 to 4.x answers ApiVersions v2 (group_member.cc says the same); one older
// than 2.0 has no topic IDs anyway.
constexpr int16_t kApiVersionsVersion = 2;
constexpr char kDefaultClientId[] = "ferry-topic-ids";

std::string Trim(std::string_view s) {
  const size_t begin = s.find_first_not_of(" \t");
  if (begin == std::string_view::npos) return "";
  const size_t end = s.find_last_not_of(" \t");
  return std::string(s.substr(begin, end - begin + 1));
}

Result<std::vector<BrokerAddress>> BootstrapServers(const Properties& props) {
  auto servers = props.find("bootstrap.servers");
  if (servers == props.end()) return Error::InvalidConfig("bootstrap.servers", "missing");
  std::vector<BrokerAddress> out;
  std::string_view list = servers->second;
  while (!list.empty()) {
    const size_t comma = list.find(',');
    const std::string server = Trim(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    if (server.empty()) continue;  // a "SASL_SSL://" prefix is dropped: security.protocol decides
    Result<BrokerAddress> address = ParseBrokerAddress(server);
    if (!address.ok()) return address.error();
    out.push_back(std::move(*address));
  }
  if (out.empty()) return Error::InvalidConfig("bootstrap.servers", "must not be empty");
  return out;
}

// A broker's answer code as an Error about `what`.
Error BrokerError(const std::string& what, KafkaError code, ErrorCode ferry_code, bool retriable) {
  return Error(ferry_code, what + ": " + KafkaErrorName(code), retriable,
               static_cast<rd_kafka_resp_err_t>(static_cast<int16_t>(code)));
}

// Sends ApiVersions and returns the Metadata version to use (the highest of v10-v12 both sides know).
Result<int16_t> NegotiateMetadata(Transport& transport, const BrokerAddress& broker, Deadline deadline) {
  Result<std::string> body = transport.RoundTrip(ApiVersionsRequest::kApiKey, kApiVersionsVersion,
                                                 ApiVersionsRequest{}.Encode(kApiVersionsVersion), deadline);
  if (!body.ok()) return body.error();
  Result<ApiVersionsResponse> versions = ApiVersionsResponse::Decode(*body, kApiVersionsVersion);
  if (!versions.ok()) return versions.error();
  if (versions->error_code == KafkaError::kUnsupportedVersion) {
    return Error(ErrorCode::kUnsupported, "topic IDs are unavailable: the broker at " + broker.ToString() +
                                              " does not speak ApiVersions v2 (older than Kafka 2.0)");
  }
  if (versions->error_code != KafkaError::kNone) {
    return BrokerError("ApiVersions from " + broker.ToString(), versions->error_code, ErrorCode::kKafka,
                       /*retriable=*/true);
  }
  Result<int16_t> version = ChooseVersion(MetadataRequest::kApiKey, *versions);
  if (!version.ok()) {
    std::string offered = "no Metadata at all";
    for (const auto& api : versions->api_keys) {
      if (api.api_key == MetadataRequest::kApiKey) offered = "Metadata up to v" + std::to_string(api.max_version);
    }
    return Error(ErrorCode::kUnsupported, "topic IDs are unavailable: the broker at " + broker.ToString() +
                                              " offers " + offered +
                                              "; topic IDs need Metadata v10+ (Kafka 2.8 or later)");
  }
  return *version;
}

// One broker's answer, as the map LookupTopicIds returns.
Result<std::map<std::string, std::string>> TopicIdsFrom(const MetadataResponse& response,
                                                        const std::set<std::string>& asked,
                                                        const BrokerAddress& broker) {
  std::map<std::string, std::string> ids;
  for (const MetadataResponse::Topic& topic : response.topics) {
    if (asked.count(topic.name) == 0) continue;  // not ours (a broker answers only what was asked)
    const std::string what = "Metadata for topic '" + topic.name + "' from " + broker.ToString();
    switch (topic.error_code) {
      case KafkaError::kNone:
        if (topic.topic_id.IsZero()) {
          return Error(ErrorCode::kUnsupported,
                       "topic IDs are unavailable: " + what + " has no topic ID (a cluster that has not assigned IDs)");
        }
        break;
      case KafkaError::kUnknownTopicOrPartition:
        continue;  // does not exist: absent
      case KafkaError::kLeaderNotAvailable:
        // The topic exists but has no leader right now (e.g. just created); its ID may be known.
        if (topic.topic_id.IsZero()) return BrokerError(what, topic.error_code, ErrorCode::kKafka, true);
        break;
      case KafkaError::kTopicAuthorizationFailed:
        return BrokerError(what, topic.error_code, ErrorCode::kForbidden, false);
      case KafkaError::kInvalidTopic:
        return BrokerError(what, topic.error_code, ErrorCode::kInvalidConfig, false);
      default:
        return BrokerError(what, topic.error_code, ErrorCode::kKafka, false);
    }
    ids[topic.name] = topic.topic_id.ToString();
  }
  return ids;
}

// Asks one broker: open, negotiate, Metadata.
Result<std::map<std::string, std::string>> AskBroker(const BrokerAddress& broker, const std::set<std::string>& asked,
                                                     const TransportFactory& transports, Deadline deadline) {
  Result<TransportPtr> transport = transports(broker, deadline);
  if (!transport.ok()) return transport.error();
  Result<int16_t> version = NegotiateMetadata(**transport, broker, deadline);
  if (!version.ok()) return version.error();
  MetadataRequest request;
  for (const std::string& name : asked) request.topics.push_back({Uuid{}, name});
  request.allow_auto_topic_creation = false;
  Result<std::string> body =
      (*transport)->RoundTrip(MetadataRequest::kApiKey, *version, request.Encode(*version), deadline);
  if (!body.ok()) return body.error();
  Result<MetadataResponse> response = MetadataResponse::Decode(*body, *version);
  if (!response.ok()) return response.error();
  VLOG(1) << "Metadata v" << *version << " from " << broker.ToString() << " for " << asked.size() << " topic(s)";
  return TopicIdsFrom(*response, asked, broker);
}

}  // namespace

Result<std::map<std::string, std::string>> LookupTopicIdsVia(const std::vector<BrokerAddress>& brokers,
                                                             const std::vector<std::string>& topics,
                                                             const TransportFactory& transports, Clock& clock,
                                                             Deadline deadline) {
  CHECK(!brokers.empty()) << "LookupTopicIdsVia needs at least one broker";
  const std::set<std::string> asked(topics.begin(), topics.end());
  if (asked.empty()) return std::map<std::string, std::string>();
  std::optional<Error> last;
  for (size_t i = 0; i < brokers.size(); ++i) {
    const Clock::TimePoint now = clock.Now();
    if (now >= deadline) break;
    // An equal share of what is left for each broker still to try, so one that hangs leaves time
    // for the others.
    const Deadline attempt = now + (deadline - now) / static_cast<int64_t>(brokers.size() - i);
    Result<std::map<std::string, std::string>> ids = AskBroker(brokers[i], asked, transports, attempt);
    if (ids.ok() || !ids.error().retriable()) return ids;  // an answer, or one another broker would repeat
    last = ids.error();
  }
  if (!last) return Error::Timeout("topic IDs: no bootstrap server was tried before the deadline");
  return Error(last->code(), "topic IDs: no bootstrap server answered; last: " + last->message(), true,
               last->kafka_err());
}

Result<std::map<std::string, std::string>> LookupTopicIds(const Properties& client_props,
                                                          const std::vector<std::string>& topics,
                                                          milliseconds timeout) {
  Result<std::shared_ptr<const ClientSecurity>> security = ClientSecurity::FromProperties(client_props);
  if (!security.ok()) return security.error();
  Result<std::vector<BrokerAddress>> brokers = BootstrapServers(client_props);
  if (!brokers.ok()) return brokers.error();
  if (topics.empty()) return std::map<std::string, std::string>();
  auto client_id = client_props.find("client.id");
  SteadyClock clock;
  const Deadline deadline = clock.Now() + timeout;
  return LookupTopicIdsVia(*brokers, topics,
                           SecureConnectionFactory(*security,
                                                   client_id == client_props.end() ? kDefaultClientId : client_id->second,
                                                   clock),
                           clock, deadline);
}

}  // namespace ferry::group
