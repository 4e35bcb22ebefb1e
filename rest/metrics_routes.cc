#include "rest/metrics_routes.h"

#include <utility>

#include "worker/common/metrics.h"
#include "worker/cutover/service.h"

namespace ferry::rest {

std::string FlowOf(const std::string& prefix) {
  std::string flow = prefix;
  if (!flow.empty() && flow.front() == '/') flow.erase(0, 1);
  if (auto slash = flow.find('/'); slash != std::string::npos) flow.replace(slash, 1, "->");
  return flow;
}

void CollectMetrics(const std::vector<MetricsSource>& sources, metrics::Exposition& out) {
  for (const MetricsSource& source : sources) {
    // A herder under a namespace is a flow of `ferry mirror-maker`, however many the node runs.
    out.set_base_labels(source.prefix.empty() ? metrics::Labels{} : metrics::Labels{{"flow", FlowOf(source.prefix)}});
    source.herder->CollectMetrics(out);
    if (source.cutover != nullptr) source.cutover->CollectMetrics(out);
  }
  out.set_base_labels({});
}

std::string MetricsText(const std::vector<MetricsSource>& sources) {
  metrics::Exposition out;
  CollectMetrics(sources, out);
  return out.Text();
}

void AddMetricsRoute(Router& router, std::vector<MetricsSource> sources) {
  router.Add("GET", "/metrics", [sources = std::move(sources)](const RouteRequest&) {
    Reply reply = Reply::Json(200, MetricsText(sources));
    reply.content_type = metrics::kContentType;
    return reply;
  });
}

}  // namespace ferry::rest
