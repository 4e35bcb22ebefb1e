// Connector: the logic of one connector class, as in Kafka Connect. It declares its config, checks a
// config, and splits its work into task configs; the worker runs the tasks (tasks/task.h). It reaches
// the runtime only through ConnectorContext.
// Thread-safety: the worker calls Start, TaskConfigs and Stop from one thread at a time; a connector
// may call its context from its own threads.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "connectors/config_def.h"
#include "worker/common/result.h"
#include "worker/common/types.h"

namespace ferry::connectors {

// The task class of every task config: Connect's key, which the worker uses to create the task.
inline constexpr const char* kTaskClass = "task.class";

class ConnectorContext {
 public:
  virtual ~ConnectorContext() = default;
  // The connector's work changed (e.g. new topics): the worker will ask for TaskConfigs again.
  virtual void RequestTaskReconfiguration() = 0;
  // The connector cannot go on; the worker marks it FAILED with this error.
  virtual void RaiseError(const Error& error) = 0;
};

class Connector {
 public:
  virtual ~Connector() = default;

  // The plugin's own keys (the worker adds Connect's common connector keys after them).
  virtual const ConfigDef& Definition() const = 0;
  // Checks across keys that a ConfigDef cannot express: key -> errors.
  virtual std::map<std::string, std::vector<std::string>> ValidateAcrossKeys(const Properties&) const { return {}; }

  virtual Result<> Start(const Properties& config, ConnectorContext& context) = 0;
  // At most `max_tasks` task configs, each with kTaskClass set.
  virtual Result<std::vector<Properties>> TaskConfigs(int max_tasks) = 0;
  virtual void Stop() = 0;
};

}  // namespace ferry::connectors
