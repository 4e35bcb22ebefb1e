#include "worker/kafka/admin.h"

#include <algorithm>
#include <mutex>
#include <set>

#include "worker/kafka/client.h"

namespace ferry::kafka {

namespace {

constexpr int kMaxTimeoutMs = 24 * 3600 * 1000;

int ClampMs(std::chrono::milliseconds ms) {
  return static_cast<int>(std::clamp<int64_t>(ms.count(), 1, kMaxTimeoutMs));
}

std::string Quoted(const std::string& name) { return "'" + name + "'"; }

// The Error of an rd_kafka_error_t, classified like AdminError.
Error FromRdError(const std::string& context, const rd_kafka_error_t* error) {
  Error e = AdminError(context, rd_kafka_error_code(error), rd_kafka_error_string(error));
  return Error(e.code(), e.message(), e.retriable() || rd_kafka_error_is_retriable(error), e.kafka_err());
}

// The Error for one partition of a group result, or nullopt.
std::optional<Error> PartitionError(const std::string& context, const rd_kafka_topic_partition_t& p) {
  if (p.err == RD_KAFKA_RESP_ERR_NO_ERROR) return std::nullopt;
  return AdminError(context + " " + TopicPartition{p.topic, p.partition}.ToString(), p.err);
}

// The outcome of a group-offsets request: the first group or partition error, if any.
Result<> CheckGroupResults(const std::string& what, const rd_kafka_group_result_t** groups, size_t count) {
  if (count == 0) return Error::Internal(what + ": no answer for the group");
  for (size_t g = 0; g < count; ++g) {
    if (const rd_kafka_error_t* error = rd_kafka_group_result_error(groups[g])) return FromRdError(what, error);
    const rd_kafka_topic_partition_list_t* answered = rd_kafka_group_result_partitions(groups[g]);
    for (int i = 0; answered != nullptr && i < answered->cnt; ++i) {
      if (auto error = PartitionError(what, answered->elems[i])) return *error;
    }
  }
  return Ok();
}

GroupState ToGroupState(rd_kafka_consumer_group_state_t state) {
  if (state < RD_KAFKA_CONSUMER_GROUP_STATE_UNKNOWN || state >= RD_KAFKA_CONSUMER_GROUP_STATE__CNT) {
    return GroupState::kUnknown;
  }
  return static_cast<GroupState>(state);
}

// Ferry's ACL enums are numbered as librdkafka's (int-based enum classes), so values convert by cast;
// one Ferry names no enumerator for (UNKNOWN) still round-trips.
AclBinding ToAclBinding(const rd_kafka_AclBinding_t* acl) {
  AclBinding b;
  b.resource_type = static_cast<AclResourceType>(rd_kafka_AclBinding_restype(acl));
  const char* name = rd_kafka_AclBinding_name(acl);
  b.resource_name = name != nullptr ? name : "";
  b.pattern_type = static_cast<AclPatternType>(rd_kafka_AclBinding_resource_pattern_type(acl));
  const char* principal = rd_kafka_AclBinding_principal(acl);
  b.principal = principal != nullptr ? principal : "";
  const char* host = rd_kafka_AclBinding_host(acl);
  b.host = host != nullptr ? host : "";
  b.operation = static_cast<AclOperation>(rd_kafka_AclBinding_operation(acl));
  b.permission = static_cast<AclPermission>(rd_kafka_AclBinding_permission_type(acl));
  return b;
}

}  // namespace

const char* ConfigSourceName(ConfigSource source) {
  switch (source) {
    case ConfigSource::kUnknown: return "UNKNOWN";
    case ConfigSource::kDynamicTopic: return "DYNAMIC_TOPIC_CONFIG";
    case ConfigSource::kDynamicBroker: return "DYNAMIC_BROKER_CONFIG";
    case ConfigSource::kDynamicDefaultBroker: return "DYNAMIC_DEFAULT_BROKER_CONFIG";
    case ConfigSource::kStaticBroker: return "STATIC_BROKER_CONFIG";
    case ConfigSource::kDefault: return "DEFAULT_CONFIG";
  }
  return "UNKNOWN";
}

const char* GroupStateName(GroupState state) {
  return rd_kafka_consumer_group_state_name(static_cast<rd_kafka_consumer_group_state_t>(state));
}

std::string AclBinding::ToString() const {
  return std::string("(pattern=") + rd_kafka_ResourceType_name(static_cast<rd_kafka_ResourceType_t>(resource_type)) +
         ":" + rd_kafka_ResourcePatternType_name(static_cast<rd_kafka_ResourcePatternType_t>(pattern_type)) + ":" +
         resource_name + ", principal=" + principal + ", host=" + host +
         ", operation=" + rd_kafka_AclOperation_name(static_cast<rd_kafka_AclOperation_t>(operation)) +
         ", permission=" +
         rd_kafka_AclPermissionType_name(static_cast<rd_kafka_AclPermissionType_t>(permission)) + ")";
}

Error AdminError(const std::string& context, rd_kafka_resp_err_t err, const char* reason) {
  std::string message = context + ": " + rd_kafka_err2str(err) + " (" + rd_kafka_err2name(err) + ")";
  if (reason != nullptr && *reason != '\0' && std::string(reason) != rd_kafka_err2str(err)) {
    message += ": " + std::string(reason);
  }
  switch (err) {
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
      return Error(ErrorCode::kTimeout, message, /*retriable=*/true, err);
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND:
      return Error(ErrorCode::kNotFound, message, /*retriable=*/false, err);
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
      return Error(ErrorCode::kForbidden, message, /*retriable=*/false, err);
    case RD_KAFKA_RESP_ERR_SECURITY_DISABLED:
    case RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE:
    case RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION:
      return Error(ErrorCode::kUnsupported, message, /*retriable=*/false, err);
    default: {
      Error classified = Error::Kafka(context, err);  // Ferry's one list of retriable codes
      return Error(ErrorCode::kKafka, message, classified.retriable(), err);
    }
  }
}

namespace {

// The admin's client is a consumer with a group id that never joins, subscribes or commits, only so
// that the handle has a consumer-group object (rk_cgrp). librdkafka 2.0.2's OffsetFetch answer handler,
// which ListConsumerGroupOffsets uses, asks rk->rk_cgrp to look its coordinator up again when the
// broker answers NOT_COORDINATOR or COORDINATOR_NOT_AVAILABLE (rdkafka_request.c:858-861), without a
// null check (rdkafka_cgrp.c:5255): on a producer handle that segfaults the process whenever a
// group's coordinator moves or is still loading (seen after a broker stall on Kafka 4.1). With
// rk_cgrp set the look-up is for this idle group and harmless. Its cost: the handle finds that
// group's coordinator once and keeps a connection to it (where ACLs deny DESCRIBE on the group,
// librdkafka asks again about once a second; nothing else fails).
constexpr char kAdminGroupId[] = "ferry-admin-client";

Result<HandlePtr> NewAdminClient(const Properties& client_props) {
  Properties props = client_props;
  props.emplace("group.id", kAdminGroupId);  // a group.id of the caller's (unusual for an admin) stays
  return NewClient(RD_KAFKA_CONSUMER, props);
}

// Why coordinator calls are timed by Ferry (librdkafka v2.0.2, src/rdkafka_admin.c and src/rdkafka_coord.c).
// A coordinator admin op hands its enqueue-once object (eonce) to rd_kafka_coord_req with a
// "coordinator request" reference (admin.c:1121). If the op's own timer fires first (admin.c:684; the
// coord request has no timeout of its own: creq_ts_timeout is never read), the op ends and that
// reference is the eonce's last. When the coordinator is then found and up (a late FindCoordinator
// answer, a broker coming up), rd_kafka_coord_req_fsm calls rd_kafka_admin_coord_request
// (coord.c:494), which drops that reference, freeing the eonce, and returns ERR__DESTROY
// (admin.c:484-487). The fsm takes that for a failed send and calls rd_kafka_coord_req_fail
// (coord.c:502), whose reply runs rd_kafka_admin_coord_response_parse on the freed eonce
// (admin.c:960): `eonce->refcnt > 0` fails at rdkafka_queue.h:1038 and the process aborts (librdkafka
// #4605; its fix, commit 731d335e4, is in no release up to 2.15.0). Two facts of that code keep Ferry clear of it:
//  - an op whose timer has not fired still owns its eonce, so the late coordinator answer is harmless;
//  - a handle being destroyed fails its pending coord requests through rd_kafka_coord_req_fail
//    without calling admin_coord_request (coord.c:463-466, rd_kafka_coord_reqs_term at coord.c:612).
// So librdkafka's timer is set to its maximum (one hour), Ferry waits `timeout` itself, and a handle
// that left a coordinator call unanswered is retired: destroyed when its last call returns, long
// before that hour is up.
constexpr std::chrono::milliseconds kCoordinatorRequestTimeout = std::chrono::hours(1);  // librdkafka's max
constexpr std::chrono::milliseconds kMaxCoordinatorWait = kCoordinatorRequestTimeout / 3;

}  // namespace

Result<std::unique_ptr<RdKafkaAdmin>> RdKafkaAdmin::Create(const Properties& client_props,
                                                          std::chrono::milliseconds timeout) {
  auto rk = NewAdminClient(client_props);
  if (!rk.ok()) return rk.error();
  return std::unique_ptr<RdKafkaAdmin>(new RdKafkaAdmin(client_props, std::move(*rk), timeout));
}

RdKafkaAdmin::RdKafkaAdmin(Properties client_props, HandlePtr rk, std::chrono::milliseconds timeout)
    : client_props_(std::move(client_props)), timeout_(timeout), rk_(std::move(rk)) {}

Result<RdKafkaAdmin::SharedHandle> RdKafkaAdmin::Handle() {
  if (cancelled_.load()) return Cancelled("admin call");
  std::lock_guard<std::mutex> lock(mu_);
  if (rk_ == nullptr) {
    auto rk = NewAdminClient(client_props_);
    if (!rk.ok()) return rk.error();
    rk_ = std::move(*rk);
  }
  return rk_;
}

void RdKafkaAdmin::Retire(const SharedHandle& rk) {
  SharedHandle retired;  // if it is the last reference, destroyed below, outside the lock
  std::lock_guard<std::mutex> lock(mu_);
  if (rk_ != rk) return;  // another call retired it already
  retired = std::move(rk_);
  ++retired_;
}

void RdKafkaAdmin::Cancel() { cancelled_.store(true); }

Error RdKafkaAdmin::Cancelled(const std::string& what) const {
  return Error(ErrorCode::kUnavailable, what + ": abandoned, the admin client was cancelled (its owner is stopping)");
}

int RdKafkaAdmin::RetiredHandlesForTest() const {
  std::lock_guard<std::mutex> lock(mu_);
  return retired_;
}

Result<AdminOptionsPtr> RdKafkaAdmin::Options(rd_kafka_t* rk, rd_kafka_admin_op_t op, bool coordinator) const {
  AdminOptionsPtr options(rd_kafka_AdminOptions_new(rk, op));
  CHECK(options != nullptr) << "unknown admin op " << op;
  char errstr[512];
  const std::chrono::milliseconds request_timeout = coordinator ? kCoordinatorRequestTimeout : timeout_;
  if (rd_kafka_AdminOptions_set_request_timeout(options.get(), ClampMs(request_timeout), errstr, sizeof errstr)) {
    return Error::Internal(std::string("admin request timeout: ") + errstr);
  }
  // Only these wait on the broker for the operation to finish; others reject the option.
  if (op == RD_KAFKA_ADMIN_OP_CREATETOPICS || op == RD_KAFKA_ADMIN_OP_CREATEPARTITIONS) {
    if (rd_kafka_AdminOptions_set_operation_timeout(options.get(), ClampMs(timeout_), errstr, sizeof errstr)) {
      return Error::Internal(std::string("admin operation timeout: ") + errstr);
    }
  }
  return options;
}

// Why a cancelled call may walk away from its op (RdKafkaAdmin::Cancel). Waiting is cut in slices of
// kCancelCheck on the call's own reply queue, which touches nothing in librdkafka. A call that sees
// the admin cancelled returns and retires its handle, as an unanswered coordinator call does, so a
// coordinator op's hour-long timer never fires (above): the handle is destroyed when its last call
// returns, or with the admin, a moment later. Destruction fails the ops still pending: coordinator
// requests through rd_kafka_coord_reqs_term (above), ops waiting for a broker or the controller
// through the broker state-change waiters it triggers (rdkafka.c:1229; the admin worker then sees
// the handle terminating, rdkafka_admin.c:1033); their replies go to a queue the call destroyed,
// which drops them, as after any timed-out call. Checked under ASan and LeakSanitizer with every kind
// of call waiting for a broker, and with controller calls on the mock (tests/worker/admin_test.cc).
Result<EventPtr> RdKafkaAdmin::Poll(const SharedHandle& rk, rd_kafka_queue_t* queue, std::chrono::milliseconds wait,
                                    const std::string& what) {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (true) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    EventPtr event(rd_kafka_queue_poll(queue, ClampMs(std::min(left, kCancelCheck))));
    if (event != nullptr) return event;
    if (cancelled_.load()) {
      Retire(rk);
      return Cancelled(what);
    }
    // librdkafka retries a refused login or certificate until the op times out: fail it now, and walk
    // away from the op as a cancelled call does.
    if (std::optional<Error> failure = ConfigFailure(rk.get())) {
      Retire(rk);
      return *failure;
    }
    if (std::chrono::steady_clock::now() >= deadline) return EventPtr();
  }
}

Result<EventPtr> RdKafkaAdmin::Await(const SharedHandle& rk, rd_kafka_queue_t* queue, const std::string& what) {
  // The request times out on its own after timeout_; the extra second lets that answer arrive.
  auto event = Poll(rk, queue, timeout_ + std::chrono::seconds(1), what);
  if (!event.ok()) return event.error();
  if (*event == nullptr) {
    return Error::Timeout(what + ": no answer within " + std::to_string(timeout_.count()) + " ms");
  }
  if (rd_kafka_resp_err_t err = rd_kafka_event_error(event->get())) {
    return AdminError(what, err, rd_kafka_event_error_string(event->get()));
  }
  return event;
}

Result<EventPtr> RdKafkaAdmin::AwaitCoordinator(const SharedHandle& rk, rd_kafka_queue_t* queue,
                                                const std::string& what) {
  const std::chrono::milliseconds wait = std::min(timeout_, kMaxCoordinatorWait);
  auto event = Poll(rk, queue, wait, what);
  if (!event.ok()) return event.error();
  if (*event == nullptr) {
    // The op lives on in librdkafka with its timer an hour away: never let that timer fire (above).
    Retire(rk);
    return Error::Timeout(what + ": no answer within " + std::to_string(wait.count()) + " ms");
  }
  if (rd_kafka_resp_err_t err = rd_kafka_event_error(event->get())) {
    return AdminError(what, err, rd_kafka_event_error_string(event->get()));
  }
  return event;
}

Result<std::map<std::string, int>> RdKafkaAdmin::ListTopics() {
  auto rk = Handle();
  if (!rk.ok()) return rk.error();
  // In slices while no broker is reachable, so that Cancel() ends the wait (FetchAllTopicsMetadata).
  AllTopicsMetadata answer =
      FetchAllTopicsMetadata(rk->get(), timeout_, kCancelCheck, [this] { return cancelled_.load(); });
  if (answer.stopped) return Cancelled("list topics");  // no admin op is left behind: nothing to retire
  if (answer.failure) return *answer.failure;
  if (answer.err != RD_KAFKA_RESP_ERR_NO_ERROR) return AdminError("list topics", answer.err);
  MetadataPtr md = std::move(answer.metadata);
  std::map<std::string, int> topics;
  for (int i = 0; i < md->topic_cnt; ++i) {
    const rd_kafka_metadata_topic_t& t = md->topics[i];
    if (t.topic == nullptr || t.err != RD_KAFKA_RESP_ERR_NO_ERROR) continue;
    topics[t.topic] = t.partition_cnt;
  }
  return topics;
}

Result<TopicResults<TopicCreation>> RdKafkaAdmin::CreateTopics(const std::vector<NewTopic>& topics) {
  TopicResults<TopicCreation> results;
  if (topics.empty()) return results;
  std::vector<NewTopicPtr> owned;
  std::vector<rd_kafka_NewTopic_t*> raw;
  std::set<std::string> names;
  for (const NewTopic& topic : topics) {
    CHECK(names.insert(topic.name).second) << "CreateTopics: topic '" << topic.name << "' named twice";
    char errstr[512];
    NewTopicPtr nt(rd_kafka_NewTopic_new(topic.name.c_str(), topic.partitions, topic.replication_factor, errstr,
                                         sizeof errstr));
    if (nt == nullptr) {
      results.emplace(topic.name,
                      Error(ErrorCode::kInvalidConfig, "create topic " + Quoted(topic.name) + ": " + errstr));
      continue;
    }
    bool ok = true;
    for (const auto& [key, value] : topic.configs) {
      if (rd_kafka_resp_err_t err = rd_kafka_NewTopic_set_config(nt.get(), key.c_str(), value.c_str())) {
        results.emplace(topic.name, AdminError("create topic " + Quoted(topic.name) + ": config '" + key + "'", err));
        ok = false;
        break;
      }
    }
    if (!ok) continue;
    raw.push_back(nt.get());
    owned.push_back(std::move(nt));
  }
  if (raw.empty()) return results;

  auto rk = Handle();
  if (!rk.ok()) return rk.error();
  auto options = Options(rk->get(), RD_KAFKA_ADMIN_OP_CREATETOPICS);
  if (!options.ok()) return options.error();
  QueuePtr queue(rd_kafka_queue_new(rk->get()));
  rd_kafka_CreateTopics(rk->get(), raw.data(), raw.size(), options->get(), queue.get());  // copies the topics
  auto event = Await(*rk, queue.get(), "create topics " + Quoted(*names.begin()) +
                                      (names.size() > 1 ? " and " + std::to_string(names.size() - 1) + " more" : ""));
  if (!event.ok()) return event.error();

  size_t count = 0;
  const rd_kafka_topic_result_t** answers =
      rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event->get()), &count);
  for (size_t i = 0; i < count; ++i) {
    const std::string name = rd_kafka_topic_result_name(answers[i]);
    const rd_kafka_resp_err_t err = rd_kafka_topic_result_error(answers[i]);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      results.emplace(name, TopicCreation::kCreated);
    } else if (err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
      results.emplace(name, TopicCreation::kAlreadyExisted);
    } else {
      results.emplace(name,
                      AdminError("create topic " + Quoted(name), err, rd_kafka_topic_result_error_string(answers[i])));
    }
  }
  for (const std::string& name : names) {
    if (!results.count(name))
      results.emplace(name, Error::Internal("create topic " + Quoted(name) + ": no answer for it"));
  }
  return results;
}

Result<TopicResults<>> RdKafkaAdmin::CreatePartitions(const std::map<std::string, int>& total_counts) {
  TopicResults<> results;
  if (total_counts.empty()) return results;
  std::vector<NewPartitionsPtr> owned;
  std::vector<rd_kafka_NewPartitions_t*> raw;
  for (const auto& [topic, count] : total_counts) {
    CHECK_GE(count, 1) << "CreatePartitions: topic '" << topic << "'";
    char errstr[512];
    NewPartitionsPtr np(rd_kafka_NewPartitions_new(topic.c_str(), static_cast<size_t>(count), errstr, sizeof errstr));
    if (np == nullptr) {
      results.emplace(topic, Error(ErrorCode::kInvalidConfig, "add partitions to " + Quoted(topic) + ": " + errstr));
      continue;
    }
    raw.push_back(np.get());
    owned.push_back(std::move(np));
  }
  if (raw.empty()) return results;

  auto rk = Handle();
  if (!rk.ok()) return rk.error();
  auto options = Options(rk->get(), RD_KAFKA_ADMIN_OP_CREATEPARTITIONS);
  if (!options.ok()) return options.error();
  QueuePtr queue(rd_kafka_queue_new(rk->get()));
  rd_kafka_CreatePartitions(rk->get(), raw.data(), raw.size(), options->get(), queue.get());
  auto event = Await(*rk, queue.get(), "add partitions to " + Quoted(total_counts.begin()->first) +
                                      (total_counts.size() > 1 ? " and others" : ""));
  if (!event.ok()) return event.error();

  size_t count = 0;
  const rd_kafka_topic_result_t** answers =
      rd_kafka_CreatePartitions_result_topics(rd_kafka_event_CreatePartitions_result(event->get()), &count);
  for (size_t i = 0; i < count; ++i) {
    const std::string name = rd_kafka_topic_result_name(answers[i]);
    const rd_kafka_resp_err_t err = rd_kafka_topic_result_error(answers[i]);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      results.emplace(name, Ok());
    } else {
      results.emplace(name, AdminError("add partitions to " + Quoted(name), err,
                                       rd_kafka_topic_result_error_string(answers[i])));
    }
  }
  for (const auto& [topic, unused] : total_counts) {
    if (!results.count(topic))
      results.emplace(topic, Error::Internal("add partitions to " + Quoted(topic) + ": no answer"));
  }
  return results;
}

Result<TopicResults<TopicConfigs>> RdKafkaAdmin::DescribeTopicConfigs(const std::vector<std::string>& topics) {
  TopicResults<TopicConfigs> results;
  if (topics.empty()) return results;
  std::vector<ConfigResourcePtr> owned;
  std::vector<rd_kafka_ConfigResource_t*> raw;
  for (const std::string& topic : topics) {
    owned.emplace_back(rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic.c_str()));
    raw.push_back(owned.back().get());
  }
  auto rk = Handle();
  if (!rk.ok()) return rk.error();
  auto options = Options(rk->get(), RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS);
  if (!options.ok()) return options.error();
  QueuePtr queue(rd_kafka_queue_new(rk->get()));
  rd_kafka_DescribeConfigs(rk->get(), raw.data(), raw.size(), options->get(), queue.get());
  auto event = Await(*rk, queue.get(), "describe configs of " + Quoted(topics.front()) +
                                      (topics.size() > 1 ? " and others" : ""));
  if (!event.ok()) return event.error();

  size_t count = 0;
  const rd_kafka_ConfigResource_t** resources =
      rd_kafka_DescribeConfigs_result_resources(rd_kafka_event_DescribeConfigs_result(event->get()), &count);
  for (size_t i = 0; i < count; ++i) {
    const std::string name = rd_kafka_ConfigResource_name(resources[i]);
    if (rd_kafka_resp_err_t err = rd_kafka_ConfigResource_error(resources[i])) {
      results.emplace(name, AdminError("describe configs of " + Quoted(name), err,
                                       rd_kafka_ConfigResource_error_string(resources[i])));
      continue;
    }
    TopicConfigs configs;
    size_t entry_count = 0;
    const rd_kafka_ConfigEntry_t** entries = rd_kafka_ConfigResource_configs(resources[i], &entry_count);
    for (size_t e = 0; e < entry_count; ++e) {
      ConfigEntry entry;
      const char* value = rd_kafka_ConfigEntry_value(entries[e]);
      if (value != nullptr) entry.value = value;
      entry.is_default = rd_kafka_ConfigEntry_is_default(entries[e]) == 1;
      entry.is_sensitive = rd_kafka_ConfigEntry_is_sensitive(entries[e]) == 1;
      entry.is_read_only = rd_kafka_ConfigEntry_is_read_only(entries[e]) == 1;
      entry.source = static_cast<ConfigSource>(rd_kafka_ConfigEntry_source(entries[e]));
      if (entry.is_sensitive) entry.value.reset();  // never keep a secret, whatever the broker sent
      configs[rd_kafka_ConfigEntry_name(entries[e])] = std::move(entry);
    }
    results.emplace(name, std::move(configs));
  }
  for (const std::string& topic : topics) {
    if (!results.count(topic))
      results.emplace(topic, Error::Internal("describe configs of " + Quoted(topic) + ": no answer"));
  }
  return results;
}

Result<TopicResults<>> RdKafkaAdmin::AlterTopicConfigs(const std::map<std::string, Properties>& configs) {
  TopicResults<> results;
  if (configs.empty()) return results;
  std::vector<ConfigResourcePtr> owned;
  std::vector<rd_kafka_ConfigResource_t*> raw;
  for (const auto& [topic, props] : configs) {
    ConfigResourcePtr resource(rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic.c_str()));
    bool ok = true;
    for (const auto& [key, value] : props) {
      if (rd_kafka_resp_err_t err = rd_kafka_ConfigResource_set_config(resource.get(), key.c_str(), value.c_str())) {
        results.emplace(topic, AdminError("alter configs of " + Quoted(topic) + ": config '" + key + "'", err));
        ok = false;
        break;
      }
    }
    if (!ok) continue;
    raw.push_back(resource.get());
    owned.push_back(std::move(resource));
  }
  if (raw.empty()) return results;

  auto rk = Handle();
  if (!rk.ok()) return rk.error();
  auto options = Options(rk->get(), RD_KAFKA_ADMIN_OP_ALTERCONFIGS);
  if (!options.ok()) return options.error();
  QueuePtr queue(rd_kafka_queue_new(rk->get()));
  rd_kafka_AlterConfigs(rk->get(), raw.data(), raw.size(), options->get(), queue.get());
  auto event = Await(*rk, queue.get(), "alter configs of " + Quoted(configs.begin()->first) +
                                      (configs.size() > 1 ? " and others" : ""));
  if (!event.ok()) return event.error();

  size_t count = 0;
  const rd_kafka_ConfigResource_t** resources =
      rd_kafka_AlterConfigs_result_resources(rd_kafka_event_AlterConfigs_result(event->get()), &count);
  for (size_t i = 0; i < count; ++i) {
    const std::string name = rd_kafka_ConfigResource_name(resources[i]);
    if (rd_kafka_resp_err_t err = rd_kafka_ConfigResource_error(resources[i])) {
      results.emplace(name, AdminError("alter configs of " + Quoted(name), err,
                                       rd_kafka_ConfigResource_error_string(resources[i])));
    } else {
      results.emplace(name, Ok());
    }
  }
  for (const auto& [topic, unused] : configs) {
    if (!results.count(topic))
      results.emplace(topic, Error::Internal("alter configs of " + Quoted(topic) + ": no answer"));
  }
  return results;
}

Result<std::vector<AclBinding>> RdKafkaAdmin::DescribeAcls(const AclBindingFilter& filter) {
  char errstr[512];
  AclBindingPtr raw_filter(rd_kafka_AclBindingFilter_new(
      static_cast<rd_kafka_ResourceType_t>(filter.resource_type),
      filter.resource_name ? filter.resource_name->c_str() : nullptr,
      static_cast<rd_kafka_ResourcePatternType_t>(filter.pattern_type), nullptr, nullptr, RD_KAFKA_ACL_OPERATION_ANY,
      RD_KAFKA_ACL_PERMISSION_TYPE_ANY, errstr, sizeof errstr));
  if (raw_filter == nullptr) return Error(ErrorCode::kInvalidConfig, std::string("describe ACLs: ") + errstr);
  auto rk = Handle();
  if (!rk.ok()) return rk.error();
  auto options = Options(rk->get(), RD_KAFKA_ADMIN_OP_DESCRIBEACLS);
  if (!options.ok()) return options.error();
  QueuePtr queue(rd_kafka_queue_new(rk->get()));
  rd_kafka_DescribeAcls(rk->get(), raw_filter.get(), options->get(), queue.get());
  auto event = Await(*rk, queue.get(), "describe ACLs");
  if (!event.ok()) return event.error();
  size_t count = 0;
  const rd_kafka_AclBinding_t** acls =
      rd_kafka_DescribeAcls_result_acls(rd_kafka_event_DescribeAcls_result(event->get()), &count);
  std::vector<AclBinding> bindings;
  bindings.reserve(count);
  for (size_t i = 0; i < count; ++i) bindings.push_back(ToAclBinding(acls[i]));
  return bindings;
}

Result<std::vector<Result<>>> RdKafkaAdmin::CreateAcls(const std::vector<AclBinding>& acls) {
  std::vector<std::optional<Result<>>> answers(acls.size());
  std::vector<AclBindingPtr> owned;
  std::vector<rd_kafka_AclBinding_t*> raw;
  std::vector<size_t> sent;  // index in `acls` of each binding sent, in order
  for (size_t i = 0; i < acls.size(); ++i) {
    const AclBinding& acl = acls[i];
    char errstr[512];
    AclBindingPtr binding(rd_kafka_AclBinding_new(
        static_cast<rd_kafka_ResourceType_t>(acl.resource_type), acl.resource_name.c_str(),
        static_cast<rd_kafka_ResourcePatternType_t>(acl.pattern_type), acl.principal.c_str(), acl.host.c_str(),
        static_cast<rd_kafka_AclOperation_t>(acl.operation), static_cast<rd_kafka_AclPermissionType_t>(acl.permission),
        errstr, sizeof errstr));
    if (binding == nullptr) {
      answers[i] = Error(ErrorCode::kInvalidConfig, "create ACL " + acl.ToString() + ": " + errstr);
      continue;
    }
    raw.push_back(binding.get());
    owned.push_back(std::move(binding));
    sent.push_back(i);
  }
  if (!raw.empty()) {
    auto rk = Handle();
    if (!rk.ok()) return rk.error();
    auto options = Options(rk->get(), RD_KAFKA_ADMIN_OP_CREATEACLS);
    if (!options.ok()) return options.error();
    QueuePtr queue(rd_kafka_queue_new(rk->get()));
    rd_kafka_CreateAcls(rk->get(), raw.data(), raw.size(), options->get(), queue.get());
    auto event = Await(*rk, queue.get(), "create " + std::to_string(raw.size()) + " ACL(s)");
    if (!event.ok()) return event.error();
    size_t count = 0;
    const rd_kafka_acl_result_t** results =
        rd_kafka_CreateAcls_result_acls(rd_kafka_event_CreateAcls_result(event->get()), &count);
    // Answers come in request order, one per binding sent.
    for (size_t r = 0; r < count && r < sent.size(); ++r) {
      const rd_kafka_error_t* error = rd_kafka_acl_result_error(results[r]);
      answers[sent[r]] =
          error == nullptr ? Result<>() : Result<>(FromRdError("create ACL " + acls[sent[r]].ToString(), error));
    }
  }
  std::vector<Result<>> out;
  out.reserve(acls.size());
  for (size_t i = 0; i < acls.size(); ++i) {
    out.push_back(answers[i].has_value() ? *answers[i]
                                         : Error::Internal("create ACL " + acls[i].ToString() + ": no answer"));
  }
  return out;
}

Result<std::vector<GroupListing>> RdKafkaAdmin::ListConsumerGroups() {
  auto rk = Handle();
  if (!rk.ok()) return rk.error();
  auto options = Options(rk->get(), RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS);
  if (!options.ok()) return options.error();
  QueuePtr queue(rd_kafka_queue_new(rk->get()));
  rd_kafka_ListConsumerGroups(rk->get(), options->get(), queue.get());
  auto event = Await(*rk, queue.get(), "list consumer groups");
  if (!event.ok()) return event.error();
  const rd_kafka_ListConsumerGroups_result_t* result = rd_kafka_event_ListConsumerGroups_result(event->get());
  size_t error_count = 0;
  const rd_kafka_error_t** errors = rd_kafka_ListConsumerGroups_result_errors(result, &error_count);
  if (error_count > 0) {
    return FromRdError("list consumer groups (" + std::to_string(error_count) + " broker(s) failed)", errors[0]);
  }
  size_t count = 0;
  const rd_kafka_ConsumerGroupListing_t** listings = rd_kafka_ListConsumerGroups_result_valid(result, &count);
  std::vector<GroupListing> groups;
  groups.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    groups.push_back({rd_kafka_ConsumerGroupListing_group_id(listings[i]),
                      rd_kafka_ConsumerGroupListing_is_simple_consumer_group(listings[i]) == 1,
                      ToGroupState(rd_kafka_ConsumerGroupListing_state(listings[i]))});
  }
  return groups;
}

Result<GroupOffsets> RdKafkaAdmin::ListConsumerGroupOffsets(const std::string& group,
                                                            const std::vector<TopicPartition>& partitions) {
  const std::string what = "list offsets of group " + Quoted(group);
  PartitionsPtr list;
  if (!partitions.empty()) {
    list.reset(rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
    for (const TopicPartition& tp : partitions)
      rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition);
  }
  ListGroupOffsetsPtr request(rd_kafka_ListConsumerGroupOffsets_new(group.c_str(), list.get()));  // copies the list
  auto rk = Handle();
  if (!rk.ok()) return rk.error();
  auto options = Options(rk->get(), RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS, /*coordinator=*/true);
  if (!options.ok()) return options.error();
  QueuePtr queue(rd_kafka_queue_new(rk->get()));
  rd_kafka_ListConsumerGroupOffsets_t* requests[] = {request.get()};
  rd_kafka_ListConsumerGroupOffsets(rk->get(), requests, 1, options->get(), queue.get());
  auto event = AwaitCoordinator(*rk, queue.get(), what);
  if (!event.ok()) return event.error();

  size_t count = 0;
  const rd_kafka_group_result_t** groups = rd_kafka_ListConsumerGroupOffsets_result_groups(
      rd_kafka_event_ListConsumerGroupOffsets_result(event->get()), &count);
  GroupOffsets offsets;
  for (size_t g = 0; g < count; ++g) {
    if (const rd_kafka_error_t* error = rd_kafka_group_result_error(groups[g])) return FromRdError(what, error);
    const rd_kafka_topic_partition_list_t* found = rd_kafka_group_result_partitions(groups[g]);
    for (int i = 0; found != nullptr && i < found->cnt; ++i) {
      const rd_kafka_topic_partition_t& p = found->elems[i];
      if (auto error = PartitionError(what, p)) return *error;
      if (p.offset < 0) continue;  // nothing committed (RD_KAFKA_OFFSET_INVALID)
      OffsetAndMetadata om{p.offset, {}};
      if (p.metadata != nullptr && p.metadata_size > 0) {
        om.metadata.assign(static_cast<const char*>(p.metadata), p.metadata_size);
      }
      offsets[{p.topic, p.partition}] = std::move(om);
    }
  }
  return offsets;
}

Result<> RdKafkaAdmin::AlterConsumerGroupOffsets(const std::string& group, const GroupOffsets& offsets) {
  if (offsets.empty()) return Ok();
  const std::string what = "alter offsets of group " + Quoted(group);
  PartitionsPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())));
  for (const auto& [tp, om] : offsets) {
    CHECK_GE(om.offset, 0) << what << ": offset of " << tp;
    rd_kafka_topic_partition_t* p = rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition);
    p->offset = om.offset;
    if (!om.metadata.empty()) {
      // The list owns its elements' metadata and frees it with rd_kafka_topic_partition_list_destroy.
      p->metadata = rd_kafka_mem_malloc(nullptr, om.metadata.size());
      std::copy(om.metadata.begin(), om.metadata.end(), static_cast<char*>(p->metadata));
      p->metadata_size = om.metadata.size();
    }
  }
  AlterGroupOffsetsPtr request(rd_kafka_AlterConsumerGroupOffsets_new(group.c_str(), list.get()));  // copies
  auto rk = Handle();
  if (!rk.ok()) return rk.error();
  auto options = Options(rk->get(), RD_KAFKA_ADMIN_OP_ALTERCONSUMERGROUPOFFSETS, /*coordinator=*/true);
  if (!options.ok()) return options.error();
  QueuePtr queue(rd_kafka_queue_new(rk->get()));
  rd_kafka_AlterConsumerGroupOffsets_t* requests[] = {request.get()};
  rd_kafka_AlterConsumerGroupOffsets(rk->get(), requests, 1, options->get(), queue.get());
  auto event = AwaitCoordinator(*rk, queue.get(), what);
  if (!event.ok()) return event.error();

  size_t count = 0;
  const rd_kafka_group_result_t** groups = rd_kafka_AlterConsumerGroupOffsets_result_groups(
      rd_kafka_event_AlterConsumerGroupOffsets_result(event->get()), &count);
  return CheckGroupResults(what, groups, count);
}

Result<> RdKafkaAdmin::DeleteConsumerGroupOffsets(const std::string& group,
                                                  const std::vector<TopicPartition>& partitions) {
  if (partitions.empty()) return Ok();
  const std::string what = "delete offsets of group " + Quoted(group);
  PartitionsPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
  for (const TopicPartition& tp : partitions) rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition);
  DeleteGroupOffsetsPtr request(rd_kafka_DeleteConsumerGroupOffsets_new(group.c_str(), list.get()));  // copies
  auto rk = Handle();
  if (!rk.ok()) return rk.error();
  auto options = Options(rk->get(), RD_KAFKA_ADMIN_OP_DELETECONSUMERGROUPOFFSETS, /*coordinator=*/true);
  if (!options.ok()) return options.error();
  QueuePtr queue(rd_kafka_queue_new(rk->get()));
  rd_kafka_DeleteConsumerGroupOffsets_t* requests[] = {request.get()};
  rd_kafka_DeleteConsumerGroupOffsets(rk->get(), requests, 1, options->get(), queue.get());
  auto event = AwaitCoordinator(*rk, queue.get(), what);
  if (!event.ok()) return event.error();
  size_t count = 0;
  const rd_kafka_group_result_t** groups = rd_kafka_DeleteConsumerGroupOffsets_result_groups(
      rd_kafka_event_DeleteConsumerGroupOffsets_result(event->get()), &count);
  return CheckGroupResults(what, groups, count);
}

Result<GroupDescription> RdKafkaAdmin::DescribeConsumerGroupState(const std::string& group) {
  const std::string what = "describe group " + Quoted(group);
  auto rk = Handle();
  if (!rk.ok()) return rk.error();
  auto options = Options(rk->get(), RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS, /*coordinator=*/true);
  if (!options.ok()) return options.error();
  QueuePtr queue(rd_kafka_queue_new(rk->get()));
  const char* groups[] = {group.c_str()};
  rd_kafka_DescribeConsumerGroups(rk->get(), groups, 1, options->get(), queue.get());
  auto event = AwaitCoordinator(*rk, queue.get(), what);
  if (!event.ok()) return event.error();
  size_t count = 0;
  const rd_kafka_ConsumerGroupDescription_t** descriptions =
      rd_kafka_DescribeConsumerGroups_result_groups(rd_kafka_event_DescribeConsumerGroups_result(event->get()), &count);
  for (size_t i = 0; i < count; ++i) {
    if (group != rd_kafka_ConsumerGroupDescription_group_id(descriptions[i])) continue;
    if (const rd_kafka_error_t* error = rd_kafka_ConsumerGroupDescription_error(descriptions[i])) {
      return FromRdError(what, error);
    }
    GroupDescription d;
    d.group_id = group;
    d.state = ToGroupState(rd_kafka_ConsumerGroupDescription_state(descriptions[i]));
    d.members = static_cast<int>(rd_kafka_ConsumerGroupDescription_member_count(descriptions[i]));
    d.is_simple = rd_kafka_ConsumerGroupDescription_is_simple_consumer_group(descriptions[i]) == 1;
    if (d.state != GroupState::kDead) return d;
    // Dead: no such group, or one the classic API cannot see (KIP-848). ListGroups lists both kinds.
    auto listed = ListConsumerGroups();
    if (!listed.ok()) {
      return Error(listed.error().code(), what + ": " + listed.error().message(), listed.error().retriable(),
                   listed.error().kafka_err());
    }
    for (const GroupListing& g : *listed) {
      if (g.group_id != group || g.state == GroupState::kDead) continue;
      d.state = g.state;
      d.is_simple = g.is_simple;
      d.members_unknown = true;
    }
    return d;
  }
  return Error::Internal(what + ": no answer for the group");
}

}  // namespace ferry::kafka
