// Creates a task from the `task.class` of its config (Connect's names), for the worker.
#pragma once

#include <memory>
#include <string>

#include "tasks/task.h"
#include "worker/common/result.h"

namespace ferry::tasks {

// kNotFound for a class Ferry does not have.
Result<std::unique_ptr<Task>> CreateTask(const std::string& task_class);

}  // namespace ferry::tasks
