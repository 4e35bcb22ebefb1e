// Metrics: what GET /metrics serves, in the Prometheus text exposition format 0.0.4
// (docs/operations.md lists every metric).
//
// Exposition collects samples from wherever they are measured (tasks, the Worker, the herder) at
// scrape time and writes them as one family per name: a `# HELP` and a `# TYPE` line, then every
// sample of that name, whatever order they were added in. Label values and help texts are escaped as
// the format requires (\\, \", \n), and label values are made valid UTF-8.
//
// The naming rule (JmxName): a metric Kafka or MM2 exposes as a JMX attribute gets the name the
// Prometheus JMX exporter rules Strimzi ships produce for it, so that existing dashboards and alerts
// keep working: a fixed prefix per MBean type, then the attribute, lower-cased, with every character
// outside [a-z0-9_:] replaced by '_' and runs of '_' squashed (the exporter's safeName). The MBean's
// other key properties become the labels, in order.
//
// Thread-safety: an Exposition is built and read by one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ferry::metrics {

enum class Type { kGauge, kCounter, kUntyped };

using Labels = std::vector<std::pair<std::string, std::string>>;

// The MBean types Ferry names metrics after, with the prefix Strimzi's exporter rules give them
// (strimzi-kafka-operator examples/metrics/kafka-connect-metrics.yaml and
// kafka-mirror-maker-2-metrics.yaml).
enum class MBean {
  kMirrorSourceConnector,      // kafka.connect.mirror:type=MirrorSourceConnector,target,topic,partition
  kMirrorCheckpointConnector,  // kafka.connect.mirror:type=MirrorCheckpointConnector,source,target,group,topic,partition
  kConnectWorker,              // kafka.connect:type=connect-worker-metrics[,connector]
  kConnectWorkerRebalance,     // kafka.connect:type=connect-worker-rebalance-metrics
  kConnector,                  // kafka.connect:type=connector-metrics,connector (status only)
  kConnectorTask,              // kafka.connect:type=connector-task-metrics,connector,task
  kSourceTask,                 // kafka.connect:type=source-task-metrics,connector,task
};

// The Prometheus name of attribute `attribute` (JMX's spelling, e.g. "record-age-ms-max") of `bean`:
// kMirrorSourceConnector, "record-count" -> "kafka_connect_mirror_mirrorsourceconnector_record_count".
std::string JmxName(MBean bean, std::string_view attribute);

// The exporter's safeName, lower-cased: characters outside [a-zA-Z0-9_:] become '_', runs of '_'
// become one.
std::string SafeName(std::string_view name);

class Exposition {
 public:
  // Adds one sample to the family `name`. The first sample of a name sets its help and type; a later
  // one with another type is a bug (CHECK). `name` and label names must be valid Prometheus names.
  void Add(std::string_view name, std::string_view help, Type type, Labels labels, double value);

  // Labels put first on every sample added from now on (`ferry mirror-maker`: the flow of a herder).
  void set_base_labels(Labels labels) { base_labels_ = std::move(labels); }

  // The exposition, families sorted by name; "" when there is nothing to show.
  std::string Text() const;

  size_t families() const { return families_.size(); }

  // Every sample of `name` as added (base labels first), for readers inside the worker (the status
  // page's history, rest/ui_history.h).
  void ForEachSample(std::string_view name, const std::function<void(const Labels&, double)>& visit) const;

 private:
  struct Sample {
    Labels labels;
    double value;
  };
  struct Family {
    std::string help;
    Type type;
    std::vector<Sample> samples;
  };
  std::map<std::string, Family, std::less<>> families_;
  Labels base_labels_;
};

// The content type of Text() (Prometheus text format 0.0.4).
inline constexpr char kContentType[] = "text/plain; version=0.0.4; charset=utf-8";

// A sample value as the format writes it: integers without a fraction or exponent, NaN, +Inf, -Inf,
// other numbers in their shortest exact form.
std::string FormatValue(double value);
// A label value with \, " and line feeds escaped (and made valid UTF-8).
std::string EscapeLabelValue(std::string_view value);
// A HELP text with \ and line feeds escaped.
std::string EscapeHelp(std::string_view help);

}  // namespace ferry::metrics
