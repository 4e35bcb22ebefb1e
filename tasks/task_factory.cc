#include "tasks/task_factory.h"

#include "connectors/mirror_task_keys.h"
#include "tasks/mirror_checkpoint_task.h"
#include "tasks/mirror_heartbeat_task.h"
#include "tasks/mirror_source_task.h"

namespace ferry::tasks {

Result<std::unique_ptr<Task>> CreateTask(const std::string& task_class) {
  if (task_class == connectors::kMirrorSourceTaskClass) return std::unique_ptr<Task>(new MirrorSourceTask());
  if (task_class == connectors::kMirrorHeartbeatTaskClass) return std::unique_ptr<Task>(new MirrorHeartbeatTask());
  if (task_class == connectors::kMirrorCheckpointTaskClass) return std::unique_ptr<Task>(new MirrorCheckpointTask());
  return Error::NotFound("no task class '" + task_class + "' in Ferry");
}

}  // namespace ferry::tasks
