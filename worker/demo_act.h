// The cutover act of `ferry demo`: a consumer group reads the first topic live on the source. Half-way
// through the stream a cutover is planned while it still reads (it must be refused: the group is
// active), then the application stops, the group is cut over through the demo worker's cutover service
// (the code behind POST /ferry/groups/<group>/cutover, on the exact offset map the mirror task writes)
// while the producer keeps writing, and it reads on from the target copy until the mirror has caught
// up. Everything it read, on both clusters, is checked against the source: every record exactly once,
// in order.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "connectors/replication_policy.h"
#include "worker/common/result.h"
#include "worker/common/types.h"
#include "worker/cutover/service.h"
#include "worker/kafka/admin.h"
#include "worker/kafka/record_io.h"

namespace ferry::worker {

// The two clusters as the act sees them.
struct ActClusters {
  std::string source;
  std::string target;
  bool real = false;  // Kafka clusters: the group's state is the brokers' (DescribeGroups)
};

// Where the act's consumer reads now. On the mock, which cannot describe groups (librdkafka 2.0.2
// aborts when asked), this is what the cutover is told of the group's members.
struct GroupWhereabouts {
  std::atomic<bool> on_source{false};
  std::atomic<bool> on_target{false};
};

// How the demo worker's cutover service reaches the clusters: Kafka's own clients; on the mock with
// the group's state taken from `where` (the demo knows where its consumer runs).
cutover::ClusterClients DemoClusterClients(const ActClusters& clusters, const std::string& group,
                                           const GroupWhereabouts& where);

class CutoverAct {
 public:
  // `cutover` serves the mirror (its only MirrorSourceConnector) that copies `topic`; the journal topic
  // (cutover::JournalTopic(alias)) must exist on the target. `where` and `cutover` outlive the act.
  CutoverAct(ActClusters clusters, cutover::CutoverService& cutover, GroupWhereabouts& where,
             std::shared_ptr<const connectors::ReplicationPolicy> policy, std::string alias, std::string group,
             std::string topic, int partitions, std::chrono::milliseconds switch_after);
  ~CutoverAct();
  CutoverAct(const CutoverAct&) = delete;
  CutoverAct& operator=(const CutoverAct&) = delete;

  void Start();
  void Finish() { finish_ = true; }  // the mirror has caught up: read to the end and stop
  Result<> Wait();

  // Where the group is, for the progress board (any thread).
  std::string Whereabouts() const;
  // Set once the group has moved (any thread): partition:source->target offset, ...
  std::optional<std::string> moved() const;
  bool done() const { return done_; }  // the act has ended, well or not (any thread)

  // After Wait():
  const std::string& summary() const { return summary_; }
  const std::string& refusal() const { return refusal_; }
  int64_t read_on_source() const { return on_source_; }
  int64_t read_on_target() const { return on_target_; }
  // Compares what the group read with the source partitions, record by record.
  Result<> Verify(const std::map<TopicPartition, std::vector<kafka::Record>>& source_records) const;

 private:
  Result<std::unique_ptr<kafka::GroupReader>> NewConsumer(const std::string& bootstrap, const std::string& topic);
  Result<> Consume(const std::string& bootstrap, const std::string& topic,
                   const std::function<bool(const kafka::GroupReader&, bool)>& done, std::atomic<int64_t>& count);
  Result<std::vector<int64_t>> TargetEnds(const std::string& topic) const;
  Result<kafka::AdminPtr> SourceStateAdmin();
  Result<> Run();
  Result<> ReadOnSource();
  Result<> Move();
  Result<> ReadOnTarget();

  const ActClusters clusters_;
  cutover::CutoverService& cutover_;
  GroupWhereabouts& where_;
  std::shared_ptr<const connectors::ReplicationPolicy> policy_;
  const std::string alias_;
  const std::string group_;
  const std::string topic_;
  const int partitions_;
  const std::chrono::milliseconds switch_after_;
  std::atomic<bool> finish_{false};
  std::atomic<bool> done_{false};
  std::atomic<int64_t> on_source_{0}, on_target_{0};
  std::vector<std::vector<kafka::Record>> read_;  // per partition, in the order the group read them
  mutable std::mutex mu_;
  std::string summary_;  // mu_ while the act runs
  bool moved_ = false;   // mu_
  std::string refusal_;  // why the cutover planned while the group read was refused
  Result<> result_ = Ok();
  std::thread thread_;
};

}  // namespace ferry::worker
