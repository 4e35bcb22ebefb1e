#include "worker/mirror_maker.h"

#include <algorithm>
#include <optional>

#include <glog/logging.h>

#include "worker/common/url.h"
#include "worker/kafka/client.h"

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
  for (auto& flow : flows_) {
    flow->config.SetBoundPort(bound_port);
    Reach(*flow);
  }
  // Until one flow's cluster answers, or every flow's has failed.
  std::optional<Error> first_failure;
  std::vector<Flow*> waiting;
  for (auto& flow : flows_) waiting.push_back(flow.get());
  while (!waiting.empty() && std::none_of(flows_.begin(), flows_.end(), [](const auto& f) { return f->started.load(); })) {
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [&] { return std::any_of(waiting.begin(), waiting.end(), [](Flow* f) { return f->reached.has_value(); }); });
    }
    for (auto it = waiting.begin(); it != waiting.end();) {
      bool ended;
      {
        std::lock_guard lock(mu_);
        ended = (*it)->reached.has_value();
      }
      if (!ended) {
        ++it;
        continue;
      }
      Result<bool> started = FinishReach(**it);
      if (!started.ok()) {
        Stop();
        return started.error();
      }
      if (!*started && !first_failure) first_failure = (*it)->unreachable;
      it = waiting.erase(it);
    }
  }
  if (std::none_of(flows_.begin(), flows_.end(), [](const auto& f) { return f->started.load(); })) {
    Stop();
    return *first_failure;
  }
  keeper_ = std::thread([this] { KeepConnectorConfigs(); });
  return Ok();
}

void MirrorMaker::Reach(Flow& flow) {
  if (flow.reaching.joinable()) flow.reaching.join();  // the last try has ended: its outcome was taken
  {
    std::lock_guard lock(mu_);
    flow.reached.reset();
  }
  flow.reaching = std::thread([this, &flow] {
    Result<> reached = flow.runtime->EnsureInternalTopics(flow.config);
    {
      std::lock_guard lock(mu_);
      flow.reached = std::move(reached);
    }
    wake_.notify_all();
  });
}

Result<bool> MirrorMaker::FinishReach(Flow& flow) {
  if (flow.reaching.joinable()) flow.reaching.join();
  Result<> reached = Ok();
  {
    std::lock_guard lock(mu_);
    reached = std::move(*flow.reached);
    flow.reached.reset();
  }
  if (!reached.ok() && kafka::IsConfigFailure(reached.error())) {
    // A refused login or certificate, an unreadable key file: no retry can fix it (docs/security.md).
    const Error named = kafka::ForCluster(reached.error(), "cluster '" + flow.plan.target + "'");
    LOG(ERROR) << "mirror-maker: flow " << flow.plan.Name() << " cannot start and is not retried: " << named.message();
    flow.unreachable = Error(named.code(), "flow " + flow.plan.Name() + ": " + named.message(), false, named.kafka_err());
    flow.given_up = true;  // the other flows run on: the node exits only when none can start
    return false;
  }
  if (!reached.ok()) {
    LOG(ERROR) << "mirror-maker: flow " << flow.plan.Name() << " cannot start yet (trying again every "
               << kStartRetryEvery.count() << " s): " << reached.error().message();
    flow.retry_at = std::chrono::steady_clock::now() + kStartRetryEvery;
    flow.unreachable = Error(reached.error().code(), "flow " + flow.plan.Name() + ": " + reached.error().message());
    return false;
  }
  if (auto started = flow.runtime->StartHerder(flow.config); !started.ok()) {
    // Past the internal topics a herder does not start twice: this flow stays down, said loudly.
    LOG(ERROR) << "mirror-maker: flow " << flow.plan.Name() << " failed to start and is not retried: "
               << started.error().message();
    return Error(started.error().code(), "flow " + flow.plan.Name() + ": " + started.error().message());
  }
  flow.started = true;
  LOG(INFO) << "mirror-maker: flow " << flow.plan.Name() << " runs in group " << flow.config.group_id << " on "
            << flow.config.bootstrap_servers << ", served under " << flow.rest_namespace;
  return true;
}

void MirrorMaker::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (keeper_.joinable()) keeper_.join();
  // A try still under way ends within the admin timeout; its runtime must outlive it.
  for (auto& flow : flows_) {
    if (flow->reaching.joinable()) flow->reaching.join();
  }
  for (auto& flow : flows_) flow->runtime->Stop();
}

void MirrorMaker::KeepConnectorConfigs() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    for (auto& flow : flows_) {
      Flow& f = *flow;
      if (f.started) {
        WriteConnectorConfigs(f);
        continue;
      }
      if (f.given_up) continue;
      bool ended;
      {
        std::lock_guard guard(mu_);
        ended = f.reached.has_value();
      }
      if (ended) {
        if (!FinishReach(f).ok()) f.given_up = true;
      } else if (!f.reaching.joinable() && std::chrono::steady_clock::now() >= f.retry_at) {
        Reach(f);
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
