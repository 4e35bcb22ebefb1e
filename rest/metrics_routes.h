// GET /metrics: the worker's metrics in the Prometheus text format 0.0.4 (docs/operations.md), from
// every herder the server serves. A herder under a namespace (a flow of `ferry mirror-maker`) has its
// samples labelled with its flow (`flow="A->B"` for the namespace "/A/B").
#pragma once

#include <string>
#include <vector>

#include "rest/server.h"
#include "worker/common/metrics.h"
#include "worker/herder.h"

namespace ferry::rest {

struct MetricsSource {
  std::string prefix;  // the herder's REST namespace, "" for a worker's one herder
  worker::Herder* herder = nullptr;
  // The worker's cutover service, if it has one: its groups' cutover state (ferry_cutover_group_*).
  const cutover::CutoverService* cutover = nullptr;
};

void AddMetricsRoute(Router& router, std::vector<MetricsSource> sources);

// The exposition of `sources`, as the route answers it.
std::string MetricsText(const std::vector<MetricsSource>& sources);
// Collects the metrics of `sources` into `out`, a flow's labelled with it (what MetricsText renders).
void CollectMetrics(const std::vector<MetricsSource>& sources, metrics::Exposition& out);
// "/A/B" -> "A->B": the `flow` label of a herder under that REST namespace.
std::string FlowOf(const std::string& prefix);

}  // namespace ferry::rest
