#include "connectors/replication_policy.h"

#include <cctype>
#include <string_view>
#include <utility>

#include <glog/logging.h>

namespace ferry::connectors {
namespace {

constexpr std::string_view kDefaultSimpleName = "DefaultReplicationPolicy";
constexpr std::string_view kIdentitySimpleName = "IdentityReplicationPolicy";

// Java's String.trim(): drops every char <= ' ' at both ends. ConfigDef trims class and boolean values
// this way before parsing them.
std::string_view JavaTrim(std::string_view s) {
  while (!s.empty() && static_cast<unsigned char>(s.front()) <= ' ') s.remove_prefix(1);
  while (!s.empty() && static_cast<unsigned char>(s.back()) <= ' ') s.remove_suffix(1);
  return s;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// Parses a boolean the way ConfigDef does: trimmed, "true" or "false" in any case, nothing else.
Result<bool> ParseBoolean(const Properties& props, const char* key, bool default_value) {
  auto it = props.find(key);
  if (it == props.end()) return default_value;
  const std::string_view value = JavaTrim(it->second);
  if (EqualsIgnoreCase(value, "true")) return true;
  if (EqualsIgnoreCase(value, "false")) return false;
  return Error::InvalidConfig(key, "expected true or false, got '" + it->second + "'");
}

}  // namespace

ReplicationPolicy::ReplicationPolicy(std::string separator, bool internal_separator_enabled)
    : separator_(std::move(separator)), internal_separator_enabled_(internal_separator_enabled) {
  // An empty separator would make every topic look remote; MakeReplicationPolicy rejects it as config.
  CHECK(!separator_.empty()) << "replication policy separator must not be empty";
}

std::string ReplicationPolicy::OriginalTopic(const std::string& topic) const {
  std::string current = topic;
  while (true) {
    std::optional<std::string> upstream = UpstreamTopic(current);
    // Identity answers a topic with itself: that ends the walk, it is not another hop.
    if (!upstream.has_value() || *upstream == current) return current;
    current = std::move(*upstream);
  }
}

std::string ReplicationPolicy::CheckpointsTopic(const std::string& cluster_alias) const {
  const std::string is = InternalSeparator();
  return cluster_alias + is + "checkpoints" + is + "internal";
}

std::string ReplicationPolicy::OffsetSyncsTopic(const std::string& cluster_alias) const {
  const std::string is = InternalSeparator();
  return "mm2-offset-syncs" + is + cluster_alias + is + "internal";
}

bool ReplicationPolicy::IsHeartbeatsTopic(const std::string& topic) const {
  return OriginalTopic(topic) == HeartbeatsTopic();
}

bool ReplicationPolicy::IsCheckpointsTopic(const std::string& topic) const {
  const std::string is = InternalSeparator();
  return topic.ends_with(is + "checkpoints" + is + "internal");
}

bool ReplicationPolicy::IsMM2InternalTopic(const std::string& topic) const {
  return topic.ends_with(InternalSeparator() + "internal");
}

bool ReplicationPolicy::IsInternalTopic(const std::string& topic) const {
  // Kafka's own (`__consumer_offsets`, `.`-hidden) and Connect's default internal topic names count too.
  return IsMM2InternalTopic(topic) || topic.starts_with("__") || topic.starts_with(".") ||
         topic.ends_with("-internal") || topic.ends_with(".internal");
}

DefaultReplicationPolicy::DefaultReplicationPolicy(std::string separator, bool internal_separator_enabled)
    : ReplicationPolicy(std::move(separator), internal_separator_enabled) {}

std::string DefaultReplicationPolicy::FormatRemoteTopic(const std::string& source_alias,
                                                        const std::string& topic) const {
  return source_alias + separator() + topic;
}

std::optional<std::string> DefaultReplicationPolicy::TopicSource(const std::string& topic) const {
  // MM2 uses Java's String.split on the quoted separator, which drops trailing empty parts: `orders.`
  // and `orders..` have a single part and so are local, while `.orders` has two (source "").
  const std::string& sep = separator();
  const size_t first = topic.find(sep);
  if (first == std::string::npos) return std::nullopt;
  // A second part survives unless everything after the first separator is more whole separators.
  for (size_t pos = first + sep.size(); pos < topic.size(); pos += sep.size()) {
    if (topic.compare(pos, sep.size(), sep) != 0) return topic.substr(0, first);
  }
  return std::nullopt;
}

std::optional<std::string> DefaultReplicationPolicy::UpstreamTopic(const std::string& topic) const {
  std::optional<std::string> source = TopicSource(topic);
  if (!source.has_value()) return std::nullopt;
  return topic.substr(source->size() + separator().size());
}

IdentityReplicationPolicy::IdentityReplicationPolicy(std::optional<std::string> source_cluster_alias,
                                                     std::string separator, bool internal_separator_enabled)
    : DefaultReplicationPolicy(std::move(separator), internal_separator_enabled),
      source_cluster_alias_(std::move(source_cluster_alias)) {}

// MM2 matches heartbeats by suffix, so `myheartbeats` is renamed too; kept for name compatibility.
std::string IdentityReplicationPolicy::FormatRemoteTopic(const std::string& source_alias,
                                                         const std::string& topic) const {
  if (topic.ends_with(HeartbeatsTopic())) return DefaultReplicationPolicy::FormatRemoteTopic(source_alias, topic);
  return topic;
}

std::optional<std::string> IdentityReplicationPolicy::TopicSource(const std::string& topic) const {
  if (topic.ends_with(HeartbeatsTopic())) return DefaultReplicationPolicy::TopicSource(topic);
  return source_cluster_alias_;
}

std::optional<std::string> IdentityReplicationPolicy::UpstreamTopic(const std::string& topic) const {
  if (topic.ends_with(HeartbeatsTopic())) return DefaultReplicationPolicy::UpstreamTopic(topic);
  return topic;
}

Result<std::shared_ptr<const ReplicationPolicy>> MakeReplicationPolicy(const Properties& props) {
  std::string class_name = kDefaultReplicationPolicyClass;
  if (auto it = props.find(kReplicationPolicyClass); it != props.end()) {
    class_name = std::string(JavaTrim(it->second));
  }
  const bool is_default = class_name == kDefaultReplicationPolicyClass || class_name == kDefaultSimpleName;
  const bool is_identity = class_name == kIdentityReplicationPolicyClass || class_name == kIdentitySimpleName;
  if (!is_default && !is_identity) {
    return Error::InvalidConfig(kReplicationPolicyClass,
                                "unknown replication policy class '" + class_name +
                                    "'; Ferry supports DefaultReplicationPolicy and IdentityReplicationPolicy");
  }

  // The policy sees the separator untrimmed, as MM2's policy reads it from the original properties.
  std::string separator = ".";
  if (auto it = props.find(kReplicationPolicySeparator); it != props.end()) separator = it->second;
  if (separator.empty()) return Error::InvalidConfig(kReplicationPolicySeparator, "must not be empty");

  Result<bool> internal_separator_enabled = ParseBoolean(props, kInternalTopicSeparatorEnabled, true);
  if (!internal_separator_enabled.ok()) return internal_separator_enabled.error();

  std::shared_ptr<const ReplicationPolicy> policy;
  if (is_identity) {
    std::optional<std::string> alias;
    if (auto it = props.find(kSourceClusterAlias); it != props.end()) alias = it->second;
    policy = std::make_shared<IdentityReplicationPolicy>(std::move(alias), std::move(separator),
                                                         *internal_separator_enabled);
  } else {
    policy = std::make_shared<DefaultReplicationPolicy>(std::move(separator), *internal_separator_enabled);
  }
  return policy;
}

}  // namespace ferry::connectors
