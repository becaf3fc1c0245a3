#pragma once
// LoadPlugin: loads a task plugin (a shared library, see plugin_api.h) and
// adds its tasks to a registry. Plugins stay loaded for the life of the
// process: the registry keeps functions that point into them.
//
// Thread-safety: like TaskRegistry::Register, call it on one thread before
// the pools start.

#include <string>

#include "absl/status/status.h"
#include "worker/tasks/task_registry.h"

namespace jobq::worker {

// Loads the plugin at `path` and registers its tasks into `*registry`, all
// or none. A path without a '/' that names no file in the current directory
// is looked up the way dlopen() does (LD_LIBRARY_PATH, the system's
// library directories). Errors, each naming the path:
//   NotFound         no such file
//   InvalidArgument  not a loadable shared library (dlopen's reason: not
//                    ELF, wrong architecture, a symbol the worker lacks)
//   NotFound         no jobq_register_tasks_v1 in it (not a jobq plugin, or
//                    one built for another plugin interface)
//   the plugin's own error status, when its registration function fails or
//   throws (Internal), or registers no task (FailedPrecondition)
//   AlreadyExists    a task name the registry already has (the plugin's
//                    tasks are then not added)
[[nodiscard]] absl::Status LoadPlugin(const std::string& path, TaskRegistry* registry);

}  // namespace jobq::worker
