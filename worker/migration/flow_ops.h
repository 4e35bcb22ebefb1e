// CutoverFlowOps: a migration's view of a mirror, on the cutover's service (its clients, its journal,
// its moves and its verification) plus the plan store's topic, `ferry-migrations.<source alias>.internal`
// on the target cluster, next to the cutover journal.
// Thread-safety: as CutoverService (its methods may be called from any thread).
#pragma once

#include <chrono>

#include "worker/cutover/service.h"
#include "worker/migration/service.h"

namespace ferry::migration {

std::string PlanTopic(const std::string& source_alias);

class CutoverFlowOps : public FlowOps {
 public:
  explicit CutoverFlowOps(cutover::CutoverService& cutover, std::chrono::milliseconds timeout = std::chrono::seconds(30))
      : cutover_(cutover), timeout_(timeout) {}

  Result<FlowNames> Names(const std::optional<std::string>& connector) override;
  Result<std::unique_ptr<kafka::Log>> OpenPlanLog(const FlowNames& flow) override;
  Result<std::map<std::string, std::set<std::string>>> GroupsConsuming(const std::string& connector,
                                                                       const std::vector<std::string>& topics,
                                                                       const std::vector<std::string>& only) override;
  Result<cutover::GroupPlan> PlanGroup(const std::string& connector, const std::string& group,
                                       const cutover::MoveOptions& options) override;
  Result<cutover::MoveReport> MoveGroup(const std::string& connector, const std::string& group,
                                        const cutover::MoveOptions& options) override;
  Result<cutover::GroupStatus> GroupStatus(const std::string& connector, const std::string& group) override;
  Result<std::map<int32_t, int64_t>> SourceEnds(const std::string& connector, const std::string& topic) override;
  Result<cutover::VerifyReport> Verify(const std::string& connector, const std::string& topic) override;
  // librdkafka 2.0.2 cannot ask DescribeProducers (KIP-664): the partitions still growing are named
  // by the fence, the producer is not (docs/migration.md).
  std::vector<std::string> Writers(const std::string&, const std::string&, const std::vector<int32_t>&) override {
    return {};
  }

 private:
  cutover::CutoverService& cutover_;
  const std::chrono::milliseconds timeout_;
};

}  // namespace ferry::migration
