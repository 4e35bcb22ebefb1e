#include "worker/common/metrics.h"

#include <charconv>
#include <cmath>

#include <glog/logging.h>

#include "worker/common/json.h"

namespace ferry::metrics {
namespace {

bool ValidMetricName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
                    (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

bool ValidLabelName(std::string_view name) {
  return ValidMetricName(name) && name.find(':') == std::string_view::npos && !name.starts_with("__");
}

const char* TypeName(Type type) {
  switch (type) {
    case Type::kGauge: return "gauge";
    case Type::kCounter: return "counter";
    case Type::kUntyped: return "untyped";
  }
  return "untyped";
}

std::string_view Prefix(MBean bean) {
  switch (bean) {
    case MBean::kMirrorSourceConnector: return "kafka_connect_mirror_mirrorsourceconnector";
    case MBean::kMirrorCheckpointConnector: return "kafka_connect_mirror_mirrorcheckpointconnector";
    case MBean::kConnectWorker: return "kafka_connect_worker";
    case MBean::kConnectWorkerRebalance: return "kafka_connect_worker_rebalance";
    case MBean::kConnector: return "kafka_connect_connector";
    case MBean::kConnectorTask: return "kafka_connect_connector_task";
    case MBean::kSourceTask: return "kafka_connect_source_task";
  }
  return "kafka";
}

}  // namespace

std::string SafeName(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (char c : name) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ':';
    const char mapped = keep ? static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c) : '_';
    if (mapped == '_' && !out.empty() && out.back() == '_') continue;
    out.push_back(mapped);
  }
  return out;
}

std::string JmxName(MBean bean, std::string_view attribute) {
  return SafeName(std::string(Prefix(bean)) + "_" + std::string(attribute));
}

std::string FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == std::trunc(value) && std::fabs(value) < 1e15) {
    return std::to_string(static_cast<int64_t>(value));
  }
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  CHECK(ec == std::errc()) << "formatting a double";
  return std::string(buf, end);
}

std::string EscapeLabelValue(std::string_view value) {
  const std::string valid = json::ValidUtf8(value);
  std::string out;
  out.reserve(valid.size());
  for (char c : valid) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::string EscapeHelp(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

void Exposition::Add(std::string_view name, std::string_view help, Type type, Labels labels, double value) {
  CHECK(ValidMetricName(name)) << "invalid metric name '" << name << "'";
  for (const auto& [label, v] : labels) CHECK(ValidLabelName(label)) << "invalid label name '" << label << "'";
  auto it = families_.find(name);
  if (it == families_.end()) {
    it = families_.emplace(std::string(name), Family{std::string(help), type, {}}).first;
  }
  CHECK(it->second.type == type) << "metric " << name << " added as " << TypeName(type) << " and as "
                                 << TypeName(it->second.type);
  if (!base_labels_.empty()) labels.insert(labels.begin(), base_labels_.begin(), base_labels_.end());
  it->second.samples.push_back(Sample{std::move(labels), value});
}

void Exposition::ForEachSample(std::string_view name,
                               const std::function<void(const Labels&, double)>& visit) const {
  auto it = families_.find(name);
  if (it == families_.end()) return;
  for (const Sample& sample : it->second.samples) visit(sample.labels, sample.value);
}

std::string Exposition::Text() const {
  std::string out;
  for (const auto& [name, family] : families_) {
    out += "# HELP " + name + " " + EscapeHelp(family.help) + "\n";
    out += "# TYPE " + name + " " + TypeName(family.type) + "\n";
    for (const Sample& sample : family.samples) {
      out += name;
      if (!sample.labels.empty()) {
        out += '{';
        for (size_t i = 0; i < sample.labels.size(); ++i) {
          if (i > 0) out += ',';
          out += sample.labels[i].first + "=\"" + EscapeLabelValue(sample.labels[i].second) + "\"";
        }
        out += '}';
      }
      out += ' ' + FormatValue(sample.value) + '\n';
    }
  }
  return out;
}

}  // namespace ferry::metrics
