// The connector classes Ferry has, found by full class name, simple name, or simple name without
// "Connector" (as Connect's plugin aliases work).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "connectors/connector.h"

namespace ferry::connectors {

struct PluginDesc {
  std::string class_name;  // full Java class name
  std::string type;        // "source"
  std::string version;
  std::function<std::unique_ptr<Connector>()> create;
};

class Registry {
 public:
  // MM2's three connectors.
  static const Registry& Builtin();

  const std::vector<PluginDesc>& plugins() const { return plugins_; }
  // nullptr if no plugin has that name or alias.
  const PluginDesc* Find(const std::string& name) const;

 private:
  std::vector<PluginDesc> plugins_;
};

// A connector's or task's config as REST answers other than GET .../config show it: secrets hidden,
// by the PASSWORD keys of its connector.class's definition and by name (WithSecretsHidden).
Properties ConfigForDisplay(const Properties& config);

// The version Ferry reports for itself and its plugins (Connect reports the Kafka version).
inline constexpr const char* kFerryVersion = "3.9.0-ferry-0.1";

}  // namespace ferry::connectors
