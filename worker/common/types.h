// Small value types shared by every Ferry module.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <ostream>
#include <string>

namespace ferry {

// Client and connector settings, as read from a .properties file or a REST body.
using Properties = std::map<std::string, std::string>;

struct TopicPartition {
  std::string topic;
  int32_t partition = 0;

  std::string ToString() const { return topic + "-" + std::to_string(partition); }
  auto operator<=>(const TopicPartition&) const = default;
};

inline std::ostream& operator<<(std::ostream& os, const TopicPartition& tp) {
  return os << tp.ToString();
}

// A task of a connector: `{"connector":"name","task":0}` in JSON, "name-0" as a key.
struct ConnectorTaskId {
  std::string connector;
  int32_t task = 0;

  std::string ToString() const { return connector + "-" + std::to_string(task); }
  auto operator<=>(const ConnectorTaskId&) const = default;
};

// What a connector is asked to be, as stored in the config topic.
enum class TargetState { kStarted, kPaused, kStopped };

inline const char* TargetStateName(TargetState s) {
  switch (s) {
    case TargetState::kStarted: return "STARTED";
    case TargetState::kPaused: return "PAUSED";
    case TargetState::kStopped: return "STOPPED";
  }
  return "STARTED";
}

// An offset in a source or in a target partition. Distinct types, so that a source offset can never
// be passed where a target offset is meant.
template <typename Tag>
struct Offset {
  int64_t value = -1;

  constexpr Offset() = default;
  constexpr explicit Offset(int64_t v) : value(v) {}
  auto operator<=>(const Offset&) const = default;
};

struct SourceTag {};
struct TargetTag {};
using SourceOffset = Offset<SourceTag>;
using TargetOffset = Offset<TargetTag>;

inline std::ostream& operator<<(std::ostream& os, SourceOffset o) { return os << "source@" << o.value; }
inline std::ostream& operator<<(std::ostream& os, TargetOffset o) { return os << "target@" << o.value; }

}  // namespace ferry

template <>
struct std::hash<ferry::TopicPartition> {
  size_t operator()(const ferry::TopicPartition& tp) const noexcept {
    return std::hash<std::string>()(tp.topic) * 31 + static_cast<size_t>(tp.partition);
  }
};
