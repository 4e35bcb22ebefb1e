#include "worker/worker_group.h"

#include <algorithm>

#include <glog/logging.h>

#include "worker/group/group_member.h"

namespace ferry::worker {
namespace {

using Clock = std::chrono::steady_clock;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Connectors and tasks as the wire groups them: per connector, task ids with -1 for the connector.
std::vector<group::ConnectorTasks> ToWire(const std::vector<std::string>& connectors,
                                          const std::vector<ConnectorTaskId>& tasks) {
  std::map<std::string, std::vector<int32_t>> by_connector;
  for (const std::string& c : connectors) by_connector[c].push_back(group::kConnectorTask);
  for (const ConnectorTaskId& t : tasks) by_connector[t.connector].push_back(t.task);
  std::vector<group::ConnectorTasks> out;
  for (auto& [connector, ids] : by_connector) out.push_back({connector, std::move(ids)});
  return out;
}

ConnectorsAndTasks FromWire(const std::vector<group::ConnectorTasks>& list) {
  ConnectorsAndTasks out;
  for (const group::ConnectorTasks& c : list) {
    for (int32_t id : c.tasks) {
      if (id == group::kConnectorTask) out.connectors.insert(c.connector);
      else out.tasks.insert({c.connector, id});
    }
  }
  return out;
}

group::ConnectAssignment ToWire(const ConnectAssignment& a, int16_t version) {
  group::ConnectAssignment w;
  w.version = version;
  w.error = static_cast<int16_t>(a.error);
  w.leader = a.leader_id;
  w.leader_url = a.leader_url;
  w.config_offset = a.config_offset;
  w.assigned = ToWire(a.connectors, a.tasks);
  w.revoked = ToWire(a.revoked_connectors, a.revoked_tasks);
  w.delay_ms = a.delay_ms;
  return w;
}

ConnectorsAndTasks Minus(const ConnectorsAndTasks& a, const ConnectorsAndTasks& b) {
  ConnectorsAndTasks out;
  std::set_difference(a.connectors.begin(), a.connectors.end(), b.connectors.begin(), b.connectors.end(),
                      std::inserter(out.connectors, out.connectors.end()));
  std::set_difference(a.tasks.begin(), a.tasks.end(), b.tasks.begin(), b.tasks.end(),
                      std::inserter(out.tasks, out.tasks.end()));
  return out;
}

ConnectorsAndTasks Plus(ConnectorsAndTasks a, const ConnectorsAndTasks& b) {
  a.connectors.insert(b.connectors.begin(), b.connectors.end());
  a.tasks.insert(b.tasks.begin(), b.tasks.end());
  return a;
}

}  // namespace

WorkerGroup::WorkerGroup(WorkerGroupConfig config, Callbacks callbacks)
    : config_(std::move(config)), callbacks_(std::move(callbacks)) {}

WorkerGroup::~WorkerGroup() { Stop(); }

Result<> WorkerGroup::Start() {
  CHECK(!thread_.joinable()) << "WorkerGroup::Start() called twice";
  if (config_.bootstrap_servers.empty()) return Error::InvalidConfig("bootstrap.servers", "must not be empty");
  if (config_.group_id.empty()) return Error::InvalidConfig("group.id", "must not be empty");
  thread_ = std::thread([this] { Run(); });
  return Ok();
}

void WorkerGroup::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void WorkerGroup::StopWithoutLeavingForTest() {
  {
    std::lock_guard lock(mu_);
    leave_on_stop_ = false;
  }
  Stop();
}

void WorkerGroup::RequestRebalance(const std::string& reason) {
  {
    std::lock_guard lock(mu_);
    rebalance_ = reason;
  }
  wake_.notify_all();
}

void WorkerGroup::NotifyWorkChanged() {
  {
    std::lock_guard lock(mu_);
    work_changed_ = true;
  }
  wake_.notify_all();
}

bool WorkerGroup::LeaderSeesNewWork() const {
  const ClusterWork work = callbacks_.cluster_work();
  std::lock_guard lock(mu_);
  return current_.is_leader && work.task_counts != assigned_work_;
}

WorkerAssignment WorkerGroup::current() const {
  std::lock_guard lock(mu_);
  return current_;
}

void WorkerGroup::RevokeAllBeforeEagerJoin() {
  // Eager (Connect's "default" protocol): a member stops everything before it rejoins, so that no
  // task can run on its old and its new worker at once, whatever order the members apply in.
  WorkerAssignment none = current();
  if (none.owned.empty()) return;
  none.revoked = none.owned;
  none.assigned = {};
  none.owned = {};
  callbacks_.apply(none);
  std::lock_guard lock(mu_);
  current_ = none;
}

bool WorkerGroup::WaitUntil(Clock::time_point until) {
  std::unique_lock lock(mu_);
  wake_.wait_until(lock, until, [this] { return stopping_ || rebalance_.has_value() || work_changed_; });
  return !stopping_;
}

std::string WorkerGroup::Metadata(group::ConnectProtocol protocol) const {
  const WorkerAssignment now = current();
  std::optional<std::string> allocation;
  if (group::ProtocolVersion(protocol) > 0 && now.generation >= 0) {
    // What this worker runs, so that a new leader keeps it where it is (KIP-415).
    group::ConnectAssignment mine;
    mine.version = group::ProtocolVersion(protocol);
    mine.leader = now.leader_id;
    mine.leader_url = now.leader_url;
    mine.config_offset = now.config_offset;
    mine.assigned = ToWire({now.owned.connectors.begin(), now.owned.connectors.end()},
                           {now.owned.tasks.begin(), now.owned.tasks.end()});
    allocation = group::EncodeAssignment(mine);
  }
  const ClusterWork work = callbacks_.cluster_work();
  for (const auto& [name, bytes] : group::JoinProtocols(config_.protocol, config_.url, work.config_offset, allocation)) {
    if (name == group::SubProtocolName(protocol)) return bytes;
  }
  LOG(FATAL) << "no JoinGroup metadata for protocol " << group::SubProtocolName(protocol);
}

void WorkerGroup::Run() {
  group::SteadyClock clock;
  AssignorState state;           // the leader's memory between rounds
  int32_t last_completed = -1;   // the generation of this worker's last successful SyncGroup
  group::GroupMember* self = nullptr;

  group::GroupMemberConfig mc;
  mc.bootstrap_servers = config_.bootstrap_servers;
  mc.group_id = config_.group_id;
  mc.client_id = "ferry-worker";
  mc.protocol_type = group::kConnectProtocolType;
  for (group::ConnectProtocol p : group::OfferedProtocols(config_.protocol)) {
    mc.protocols.push_back({group::SubProtocolName(p), [this, p] { return Metadata(p); }});
  }
  mc.session_timeout = config_.session_timeout;
  mc.heartbeat_interval = config_.heartbeat_interval;
  mc.rebalance_timeout = config_.rebalance_timeout;
  mc.stopping = [this] {
    std::lock_guard lock(mu_);
    return stopping_;
  };
  mc.assignor = [&](const std::vector<group::Member>& members, const std::string& protocol) {
    if (config_.leader_sync_delay.count() > 0) std::this_thread::sleep_for(config_.leader_sync_delay);
    auto chosen = group::ProtocolForSubProtocolName(protocol);
    CHECK(chosen.ok()) << "the coordinator chose a protocol this worker did not offer: " << protocol;
    JoinedGroup joined;
    joined.leader_id = self->member_id();
    joined.generation_id = self->generation();
    joined.last_completed_generation_id = last_completed;
    for (const group::Member& m : members) {
      MemberInfo info{m.member_id, "", -1, {}};
      auto metadata = group::DecodeMetadata(m.metadata);
      if (!metadata.ok()) {
        LOG(WARNING) << "member " << m.member_id << " sent unreadable metadata: " << metadata.error().message();
      } else {
        info.url = metadata->url;
        info.config_offset = metadata->config_offset;
        if (metadata->allocation) {
          auto allocation = group::DecodeAssignment(*metadata->allocation);
          if (allocation.ok()) info.allocation = FromWire(allocation->assigned);
        }
      }
      joined.members.push_back(std::move(info));
    }
    const ClusterWork work = callbacks_.cluster_work();
    {
      std::lock_guard lock(mu_);
      assigned_work_ = work.task_counts;
    }
    std::map<std::string, ConnectAssignment> assignments;
    if (*chosen == group::ConnectProtocol::kEager) {
      assignments = EagerAssign(joined, work);
    } else {
      CooperativeAssignment round =
          IncrementalCooperativeAssign(joined, work, state, NowMs(), config_.scheduled_rebalance_max_delay_ms);
      state = std::move(round.state);
      assignments = std::move(round.assignments);
    }
    std::map<std::string, std::string> bytes;
    for (const auto& [member, a] : assignments) {
      bytes[member] = group::EncodeAssignment(ToWire(a, group::ProtocolVersion(*chosen)));
    }
    return bytes;
  };

  group::GroupMember member(mc, group::SecureConnectionFactory(config_.security, mc.client_id, clock), clock);
  self = &member;
  bool need_join = true;
  bool eager = false;  // the last assignment came under the eager protocol
  constexpr Clock::time_point kNever = Clock::time_point::max();
  Clock::time_point rejoin_at = kNever;  // a scheduled rebalance
  const auto request_timeout = std::chrono::milliseconds(30000);
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) break;
      if (rebalance_) {
        LOG(INFO) << "worker group: rebalancing: " << *rebalance_;
        rebalance_.reset();
        need_join = true;
      }
      work_changed_ = false;
    }
    if (!need_join && LeaderSeesNewWork()) {
      LOG(INFO) << "worker group: rebalancing: the connectors or their task counts changed";
      need_join = true;
    }
    if (rejoin_at != kNever && Clock::now() >= rejoin_at) {
      rejoin_at = kNever;
      need_join = true;  // a scheduled rebalance (lost work's delay, or a revocation backoff)
    }
    if (need_join) {
      if (callbacks_.rebalance_started) callbacks_.rebalance_started();
      if (eager) RevokeAllBeforeEagerJoin();
      auto joined = member.Join(clock.Now() + config_.rebalance_timeout + std::chrono::seconds(10));
      if (!joined.ok()) {
        LOG(WARNING) << "worker group: joining " << config_.group_id << " failed: " << joined.error().message();
        if (!WaitUntil(Clock::now() + std::chrono::seconds(1))) break;
        continue;
      }
      last_completed = joined->generation;
      auto wire = group::DecodeAssignment(joined->assignment);
      if (!wire.ok()) {
        LOG(ERROR) << "worker group: unreadable assignment: " << wire.error().message();
        if (!WaitUntil(Clock::now() + std::chrono::seconds(1))) break;
        continue;
      }
      // Act only on the config the leader assigned from (on a mismatch, read it and rejoin).
      if (auto r = callbacks_.read_config_to(wire->config_offset); !r.ok()) {
        LOG(WARNING) << "worker group: config topic not read up to " << wire->config_offset << ": " << r.error().message();
        continue;
      }
      if (wire->error == group::ConnectAssignment::kConfigMismatch) continue;
      const WorkerAssignment before = current();
      WorkerAssignment next;
      next.generation = joined->generation;
      next.leader_id = wire->leader;
      next.leader_url = wire->leader_url;
      next.is_leader = joined->is_leader;
      next.config_offset = wire->config_offset;
      if (wire->version == 0) {
        // Eager: the assignment is everything this worker runs.
        const ConnectorsAndTasks all = FromWire(wire->assigned);
        next.revoked = Minus(before.owned, all);
        next.assigned = Minus(all, before.owned);
        next.owned = all;
      } else {
        next.revoked = FromWire(wire->revoked);
        next.assigned = FromWire(wire->assigned);
        next.owned = Plus(Minus(before.owned, next.revoked), next.assigned);
      }
      LOG(INFO) << "worker group: generation " << next.generation << (next.is_leader ? " (leader)" : "") << ": runs "
                << next.owned.connectors.size() << " connector(s) and " << next.owned.tasks.size() << " task(s); +"
                << next.assigned.tasks.size() << " -" << next.revoked.tasks.size() << " task(s)";
      callbacks_.apply(next);
      {
        std::lock_guard lock(mu_);
        current_ = next;
      }
      eager = wire->version == 0;
      // Cooperative: what was released is placed in a follow-up round, which this rejoin starts.
      need_join = wire->version > 0 && !next.revoked.empty();
      // Kafka answers a follower's rejoin whose metadata did not change with the current generation,
      // without a rebalance: its delay was scheduled when the generation was first applied, and
      // scheduling it again would start a needless round once the delay passes again (the leader's
      // own scheduled rejoin is the one that rebalances). The mock rebalances on every JoinGroup.
      const bool same_generation = joined->generation == before.generation;
      if (wire->delay_ms > 0 && !same_generation) {
        rejoin_at = Clock::now() + std::chrono::milliseconds(wire->delay_ms);
      }
      continue;
    }
    auto poll = member.Poll(clock.Now() + request_timeout);
    if (!poll.ok()) {
      LOG(WARNING) << "worker group: " << poll.error().message();
      need_join = true;
      if (!WaitUntil(Clock::now() + std::chrono::seconds(1))) break;
      continue;
    }
    if (poll->rejoin_needed) {
      LOG(INFO) << "worker group: rejoining: " << poll->reason;
      need_join = true;
      continue;
    }
    const Clock::time_point until = std::min(poll->next_poll, rejoin_at);
    if (!WaitUntil(until)) break;
  }

  {
    std::lock_guard lock(mu_);
    if (!leave_on_stop_) return;  // a simulated crash: the GroupMember closes its connection unannounced
  }
  // Leaving: release everything, then tell the coordinator, so the others take over at once.
  WorkerAssignment bye = current();
  bye.revoked = bye.owned;
  bye.assigned = {};
  bye.owned = {};
  if (!bye.revoked.empty()) callbacks_.apply(bye);
  {
    std::lock_guard lock(mu_);
    current_ = bye;
  }
  if (auto r = member.Leave(clock.Now() + std::chrono::seconds(5)); !r.ok()) {
    LOG(WARNING) << "worker group: leaving " << config_.group_id << ": " << r.error().message();
  }
}

}  // namespace ferry::worker
