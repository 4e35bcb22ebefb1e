#include "worker/demo_act.h"

#include <algorithm>
#include <sstream>

#include <librdkafka/rdkafka.h>

#include "worker/cutover/group_state_guard.h"
#include "worker/kafka/client.h"

namespace ferry::worker {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kClientTimeout{10000};

// The real Admin, except that whether the demo's group has members comes from the demo itself: the
// mock cluster cannot describe groups (librdkafka 2.0.2 aborts when asked), and the demo knows where
// its consumer runs. On Kafka clusters the demo uses the brokers' answer instead (GroupStateGuard).
class DemoGroupState : public kafka::ForwardingAdmin {
 public:
  DemoGroupState(kafka::AdminPtr admin, std::string group, const std::atomic<bool>& consuming_here)
      : ForwardingAdmin(std::move(admin)), group_(std::move(group)), consuming_here_(consuming_here) {}
  Result<kafka::GroupDescription> DescribeConsumerGroupState(const std::string& group) override {
    const int members = group == group_ && consuming_here_ ? 1 : 0;
    return kafka::GroupDescription{group, members ? kafka::GroupState::kStable : kafka::GroupState::kEmpty, members,
                                   false};
  }

 private:
  const std::string group_;
  const std::atomic<bool>& consuming_here_;
};

}  // namespace

cutover::ClusterClients DemoClusterClients(const ActClusters& clusters, const std::string& group,
                                           const GroupWhereabouts& where) {
  cutover::ClusterClients clients = cutover::KafkaClusterClients(kClientTimeout);
  if (clusters.real) return clients;
  clients.make_admin = [source = clusters.source, group, &where](const Properties& props) -> Result<kafka::AdminPtr> {
    auto admin = kafka::RdKafkaAdmin::Create(props, kClientTimeout);
    if (!admin.ok()) return admin.error();
    auto bootstrap = props.find("bootstrap.servers");
    const bool on_source = bootstrap != props.end() && bootstrap->second == source;
    return kafka::AdminPtr(
        std::make_unique<DemoGroupState>(std::move(*admin), group, on_source ? where.on_source : where.on_target));
  };
  return clients;
}

CutoverAct::CutoverAct(ActClusters clusters, cutover::CutoverService& cutover, GroupWhereabouts& where,
                       std::shared_ptr<const connectors::ReplicationPolicy> policy, std::string alias,
                       std::string group, std::string topic, int partitions, std::chrono::milliseconds switch_after)
    : clusters_(std::move(clusters)), cutover_(cutover), where_(where), policy_(std::move(policy)),
      alias_(std::move(alias)), group_(std::move(group)), topic_(std::move(topic)), partitions_(partitions),
      switch_after_(switch_after) {}

CutoverAct::~CutoverAct() {
  Finish();
  if (thread_.joinable()) thread_.join();
}

void CutoverAct::Start() {
  thread_ = std::thread([this] {
    result_ = Run();
    done_ = true;
  });
}

Result<> CutoverAct::Wait() {
  if (thread_.joinable()) thread_.join();
  return result_;
}

std::string CutoverAct::Whereabouts() const {
  const std::string remote = policy_->FormatRemoteTopic(alias_, topic_);
  if (where_.on_target) return "group '" + group_ + "' reads " + remote + " on the target (" +
                               std::to_string(on_target_.load()) + " records)";
  if (where_.on_source) return "group '" + group_ + "' reads " + topic_ + " on the source (" +
                               std::to_string(on_source_.load()) + " records), cut over half-way";
  std::lock_guard lock(mu_);
  return moved_ ? "group '" + group_ + "' has read everything" : "group '" + group_ + "' is moving to the target";
}

std::optional<std::string> CutoverAct::moved() const {
  std::lock_guard lock(mu_);
  if (!moved_) return std::nullopt;
  return summary_;
}

Result<> CutoverAct::Verify(const std::map<TopicPartition, std::vector<kafka::Record>>& source_records) const {
  for (int p = 0; p < partitions_; ++p) {
    const auto& src = source_records.at({topic_, p});
    const auto& got = read_[static_cast<size_t>(p)];
    for (size_t i = 0; i < std::max(src.size(), got.size()); ++i) {
      if (i >= got.size() || i >= src.size() || !src[i].SameContent(got[i])) {
        return Error::Corrupt("group '" + group_ + "' on " + topic_ + "-" + std::to_string(p) + ": its record #" +
                              std::to_string(i) + " is " + (i < got.size() ? got[i].Describe() : "missing") +
                              ", the source's is " + (i < src.size() ? src[i].Describe() : "none (read twice?)") +
                              " (it read " + std::to_string(on_source_) + " records on the source and " +
                              std::to_string(on_target_) + " on the target; cut over at partition:source->target " +
                              (summary_.empty() ? "none" : summary_) + ")");
      }
    }
  }
  return Ok();
}

// On Kafka a member of the group, so that the brokers see it while it reads (and a cutover planned
// meanwhile is refused); on the mock, whose coordinator makes a first join wait 3 s and cannot
// describe groups, a reader of the group's assigned partitions.
Result<std::unique_ptr<kafka::GroupReader>> CutoverAct::NewConsumer(const std::string& bootstrap,
                                                                    const std::string& topic) {
  std::vector<int32_t> all;
  for (int p = 0; p < partitions_; ++p) all.push_back(p);
  return kafka::GroupReader::Create(bootstrap, group_, topic, all,
                                    clusters_.real ? kafka::GroupReader::Membership::kJoined
                                                   : kafka::GroupReader::Membership::kAssigned);
}

// Reads `topic` of `bootstrap` as the group until `done` says so; returns when it has committed and
// its consumer is closed.
Result<> CutoverAct::Consume(const std::string& bootstrap, const std::string& topic,
                             const std::function<bool(const kafka::GroupReader&, bool)>& done,
                             std::atomic<int64_t>& count) {
  auto consumer = NewConsumer(bootstrap, topic);
  if (!consumer.ok()) return consumer.error();
  for (bool at_end = false; !done(**consumer, at_end);) {
    auto batch = (*consumer)->Poll(500, milliseconds(200));
    if (!batch.ok()) return batch.error();
    at_end = batch->size() < 500;
    for (auto& r : *batch) read_[static_cast<size_t>(r.partition)].push_back(std::move(r.record));
    count += static_cast<int64_t>(batch->size());
    FERRY_RETURN_IF_ERROR((*consumer)->Commit());  // as an application commits what it processed
  }
  return Ok();
}

// The end offset of every partition of `topic` on the target.
Result<std::vector<int64_t>> CutoverAct::TargetEnds(const std::string& topic) const {
  auto client = kafka::NewClient(RD_KAFKA_CONSUMER, {{"bootstrap.servers", clusters_.target}});
  if (!client.ok()) return client.error();
  std::vector<int64_t> ends;
  for (int p = 0; p < partitions_; ++p) {
    auto w = kafka::QueryWatermarks(client->get(), {topic, p}, milliseconds(10000));
    if (!w.ok()) return w.error();
    ends.push_back(w->high);
  }
  return ends;
}

Result<kafka::AdminPtr> CutoverAct::SourceStateAdmin() {
  return DemoClusterClients(clusters_, group_, where_).make_admin({{"bootstrap.servers", clusters_.source}});
}

Result<> CutoverAct::Run() {
  read_.resize(static_cast<size_t>(partitions_));
  FERRY_RETURN_IF_ERROR(ReadOnSource());
  FERRY_RETURN_IF_ERROR(Move());
  return ReadOnTarget();
}

Result<> CutoverAct::ReadOnSource() {
  where_.on_source = true;
  const auto switch_at = Clock::now() + switch_after_;
  // Switch half-way, once the group has read (and committed) on every partition.
  auto read_everywhere = [&] {
    return std::all_of(read_.begin(), read_.end(), [](const auto& records) { return !records.empty(); });
  };
  // While the application still reads, a cutover must be refused.
  std::optional<Error> refusal_check;
  auto refused_while_active = [&]() -> Result<> {
    auto plan = cutover_.Plan(std::nullopt, group_, cutover::Direction::kCutover, {});
    if (!plan.ok()) return plan.error();
    const bool active = plan->from_group && plan->from_group->active();
    auto blocker = std::find_if(plan->blockers.begin(), plan->blockers.end(),
                                [](const std::string& b) { return b.find("active member") != std::string::npos; });
    if (!active || plan->ready() || blocker == plan->blockers.end()) {
      return Error::Conflict("a cutover planned while group '" + group_ + "' was reading on the source was not "
                             "refused for its active member: " + cutover::ToJson(*plan));
    }
    refusal_ = *blocker;
    return Ok();
  };
  FERRY_RETURN_IF_ERROR(Consume(clusters_.source, topic_,
                                [&](const kafka::GroupReader&, bool) {
                                  if (refusal_check) return true;
                                  if (Clock::now() < switch_at ||
                                      (!read_everywhere() && Clock::now() < switch_at + milliseconds(30000))) {
                                    return false;
                                  }
                                  if (auto r = refused_while_active(); !r.ok()) refusal_check = r.error();
                                  return true;
                                },
                                on_source_));
  where_.on_source = false;  // the application stopped on the source
  if (refusal_check) return *refusal_check;
  return Ok();
}

Result<> CutoverAct::Move() {
  // On Kafka the consumer's LeaveGroup has been answered; wait (bounded) until the broker shows it.
  auto source_state = SourceStateAdmin();
  if (!source_state.ok()) return source_state.error();
  const auto left_by = Clock::now() + milliseconds(15000);
  for (;;) {
    auto state = (*source_state)->DescribeConsumerGroupState(group_);
    if (state.ok() && !state->active()) break;
    if (Clock::now() >= left_by) {
      return Error::Timeout("group '" + group_ + "' still shows active members on the source 15 s after its "
                            "consumer closed" + (state.ok() ? "" : ": " + state.error().ToString()));
    }
    std::this_thread::sleep_for(milliseconds(100));
  }

  cutover::MoveOptions options;
  options.wait = milliseconds(30000);  // the mirror copies past the group's offsets meanwhile
  auto report = cutover_.Move(std::nullopt, group_, cutover::Direction::kCutover, options);
  if (!report.ok()) return report.error();
  if (report->outcome != cutover::MoveReport::Outcome::kMoved) {
    return Error::Conflict("the cutover of group '" + group_ + "' did not happen: " + cutover::ToJson(*report));
  }
  std::ostringstream os;
  for (const cutover::PartitionPlan& p : report->plan.partitions) {
    os << (os.tellp() > 0 ? ", " : "") << p.from.partition << ":" << p.committed << "->" << *p.translated;
  }
  std::lock_guard lock(mu_);
  summary_ = os.str();
  moved_ = true;
  return Ok();
}

Result<> CutoverAct::ReadOnTarget() {
  where_.on_target = true;
  const std::string remote = policy_->FormatRemoteTopic(alias_, topic_);
  // Until the mirror has caught up and the group has read every copy: each partition's position at
  // the target's end as of then (a short poll alone proves nothing while the member joins).
  std::optional<std::vector<int64_t>> ends;
  Result<> ends_read = Ok();
  Clock::time_point read_by;
  FERRY_RETURN_IF_ERROR(Consume(clusters_.target, remote,
                                [&](const kafka::GroupReader& reader, bool) {
                                  if (!finish_) return false;
                                  if (ends && Clock::now() > read_by) {
                                    ends_read = Error::Timeout("group '" + group_ + "' did not read to the end of " +
                                                               remote + " within 60 s of the mirror's catching up");
                                    return true;
                                  }
                                  if (!ends) {
                                    read_by = Clock::now() + std::chrono::seconds(60);
                                    auto read = TargetEnds(remote);
                                    if (!read.ok()) {
                                      ends_read = read.error();
                                      return true;
                                    }
                                    ends = std::move(*read);
                                  }
                                  for (int p = 0; p < partitions_; ++p) {
                                    if (reader.position(p) < (*ends)[static_cast<size_t>(p)]) return false;
                                  }
                                  return true;
                                },
                                on_target_));
  FERRY_RETURN_IF_ERROR(ends_read);
  where_.on_target = false;
  return Ok();
}

}  // namespace ferry::worker
