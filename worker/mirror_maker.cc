#include "worker/mirror_maker.h"

#include <algorithm>
#include <future>
#include <map>
#include <optional>

#include <glog/logging.h>

#include "worker/common/url.h"

namespace ferry::worker {
namespace {

constexpr std::chrono::milliseconds kConfigCheckEvery{1000};
constexpr std::chrono::seconds kStartRetryEvery{10};

}  // namespace

std::string MirrorRestNamespace(const std::string& source, const std::string& target) {
  return "/" + EncodePathSegment(source) + "/" + EncodePathSegment(target);
}

Result<std::unique_ptr<MirrorMaker>> MirrorMaker::Create(const MirrorMakerPlan& plan) {
  if (plan.herders.empty()) {
    return Error::InvalidConfig("clusters", "no flow to run: enable one with A->B.enabled=true (or leave heartbeats on)");
  }
  if (!plan.internal_rest) {
    // As MM2 before KIP-710: nothing reachable from other nodes. Ferry still serves REST on loopback
    // for the operator of this node.
    LOG(WARNING) << "dedicated.mode.enable.internal.rest is not true: this node's REST API listens on loopback "
                    "only, so nodes cannot reach each other; run one node per cluster group, or enable it "
                    "(with listeners) to run several";
  }
  std::unique_ptr<MirrorMaker> mm(new MirrorMaker());
  for (const MirrorHerderPlan& herder : plan.herders) {
    Properties props = herder.worker;
    if (plan.internal_rest) {
      for (const auto& [k, v] : plan.rest) props[k] = v;
    } else {
      props[WorkerConfig::kListeners] = "http://127.0.0.1:0";
    }
    auto config = WorkerConfig::Parse(props, WorkerMode::kDistributed);
    if (!config.ok()) {
      return Error(config.error().code(), "flow " + herder.Name() + ": " + config.error().message());
    }
    auto flow = std::make_unique<Flow>();
    flow->plan = herder;
    flow->rest_namespace = MirrorRestNamespace(herder.source, herder.target);
    flow->config = *config;
    auto runtime = WorkerRuntime::Create(flow->config, flow->rest_namespace);
    if (!runtime.ok()) {
      return Error(runtime.error().code(), "flow " + herder.Name() + ": " + runtime.error().message());
    }
    flow->runtime = std::move(*runtime);
    // A connector config the herder would refuse fails the start, naming the flow, rather than a
    // log line every second once it runs.
    for (const auto& [name, connector] : herder.connectors) {
      auto infos = flow->runtime->herder().ValidateConfig(connector.at("connector.class"), connector);
      if (!infos.ok()) return Error(infos.error().code(), "flow " + herder.Name() + ", " + name + ": " + infos.error().message());
      std::string errors;
      for (const auto& c : infos->configs) {
        if (!c.value) continue;
        for (const std::string& e : c.value->errors) errors += "\n  " + c.value->name + ": " + e;
      }
      if (infos->error_count > 0) {
        return Error(ErrorCode::kInvalidConfig, "flow " + herder.Name() + ", " + name + " is invalid:" + errors);
      }
    }
    mm->flows_.push_back(std::move(flow));
  }
  return mm;
}

MirrorMaker::~MirrorMaker() { Stop(); }

std::vector<MirrorMaker::Flow*> MirrorMaker::flows() {
  std::vector<Flow*> out;
  for (auto& f : flows_) out.push_back(f.get());
  return out;
}

Result<> MirrorMaker::Start(int bound_port) {
  // The first try of every flow at once: reaching a cluster can take the admin timeout.
  std::vector<std::future<Result<>>> tries;
  for (auto& flow : flows_) {
    flow->config.SetBoundPort(bound_port);
    Flow* f = flow.get();
    tries.push_back(std::async(std::launch::async, [f] { return f->runtime->EnsureInternalTopics(f->config); }));
  }
  std::optional<Error> first_failure;
  for (size_t i = 0; i < flows_.size(); ++i) {
    Flow& flow = *flows_[i];
    Result<> reached = tries[i].get();
    if (!reached.ok()) {
      LOG(ERROR) << "mirror-maker: flow " << flow.plan.Name() << " cannot start yet (trying again every "
                 << kStartRetryEvery.count() << " s): " << reached.error().message();
      if (!first_failure) first_failure = Error(reached.error().code(), "flow " + flow.plan.Name() + ": " + reached.error().message());
      continue;
    }
    if (auto started = flow.runtime->StartHerder(flow.config); !started.ok()) {
      Stop();
      return Error(started.error().code(), "flow " + flow.plan.Name() + ": " + started.error().message());
    }
    flow.started = true;
    LOG(INFO) << "mirror-maker: flow " << flow.plan.Name() << " runs in group " << flow.config.group_id << " on "
              << flow.config.bootstrap_servers << ", served under " << flow.rest_namespace;
  }
  if (std::none_of(flows_.begin(), flows_.end(), [](const auto& f) { return f->started.load(); })) {
    Stop();
    return *first_failure;
  }
  keeper_ = std::thread([this] { KeepConnectorConfigs(); });
  return Ok();
}

bool MirrorMaker::TryStart(Flow& flow) {
  if (auto reached = flow.runtime->EnsureInternalTopics(flow.config); !reached.ok()) {
    LOG(WARNING) << "mirror-maker: flow " << flow.plan.Name() << " still cannot start: " << reached.error().message();
    return false;
  }
  if (auto started = flow.runtime->StartHerder(flow.config); !started.ok()) {
    // Past the internal topics a herder does not start twice: this flow stays down, said loudly.
    LOG(ERROR) << "mirror-maker: flow " << flow.plan.Name() << " failed to start and is not retried: "
               << started.error().message();
    return true;
  }
  flow.started = true;
  LOG(INFO) << "mirror-maker: flow " << flow.plan.Name() << " started, in group " << flow.config.group_id;
  return true;
}

void MirrorMaker::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (keeper_.joinable()) keeper_.join();
  for (auto& flow : flows_) flow->runtime->Stop();
}

void MirrorMaker::KeepConnectorConfigs() {
  std::map<Flow*, std::chrono::steady_clock::time_point> retry_at;  // flows still to start
  for (auto& flow : flows_) {
    if (!flow->started) retry_at[flow.get()] = std::chrono::steady_clock::now() + kStartRetryEvery;
  }
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    for (auto& flow : flows_) {
      if (flow->started) WriteConnectorConfigs(*flow);
    }
    for (auto it = retry_at.begin(); it != retry_at.end();) {
      if (std::chrono::steady_clock::now() < it->second) {
        ++it;
      } else if (TryStart(*it->first)) {
        it = retry_at.erase(it);
      } else {
        it->second = std::chrono::steady_clock::now() + kStartRetryEvery;
        ++it;
      }
    }
    lock.lock();
    wake_.wait_for(lock, kConfigCheckEvery, [this] { return stopping_; });
  }
}

void MirrorMaker::WriteConnectorConfigs(Flow& flow) {
  ConnectHerder& herder = flow.runtime->herder();
  if (!herder.IsLeader()) return;  // another node leads this flow
  // In MM2's order: the source connector first, since it creates the offset-syncs topic that the
  // checkpoint connector's task reads. Each write starts a rebalance; the next check writes the next.
  std::vector<std::pair<std::string, const Properties*>> in_order;
  for (const auto& [name, config] : flow.plan.connectors) in_order.emplace_back(name, &config);
  auto rank = [](const std::string& name) {
    if (name == "MirrorSourceConnector") return 0;
    if (name == "MirrorCheckpointConnector") return 2;
    return 1;
  };
  std::stable_sort(in_order.begin(), in_order.end(),
                   [&](const auto& x, const auto& y) { return rank(x.first) < rank(y.first); });
  for (const auto& [name, config_ptr] : in_order) {
    const Properties& config = *config_ptr;
    auto stored = herder.GetConnectorConfig(name);
    if (stored.ok() && *stored == config) continue;
    auto put = herder.PutConnectorConfig(name, config, std::nullopt, /*allow_replace=*/true);
    if (put.ok()) {
      LOG(INFO) << "mirror-maker: flow " << flow.plan.Name() << ": wrote the config of " << name;
    } else if (put.error().code() == ErrorCode::kConflict || put.error().code() == ErrorCode::kNotLeader) {
      // A rebalance is under way (each write starts one): the next check writes it.
      VLOG(1) << "mirror-maker: flow " << flow.plan.Name() << ": " << name << " later: " << put.error().message();
      return;
    } else {
      LOG(ERROR) << "mirror-maker: flow " << flow.plan.Name() << ": the config of " << name
                 << " is not written: " << put.error().message();
    }
  }
}

}  // namespace ferry::worker
