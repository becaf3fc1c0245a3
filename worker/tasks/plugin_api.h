#pragma once
// The task plugin interface: the one header a plugin includes. A plugin is
// a shared library that defines the registration function declared below;
// the worker (and each of its CPU children) loads it with LoadPlugin()
// (plugin_loader.h, `jobq-worker --plugin LIB.so`) and calls it once.
//
//   #include "worker/tasks/plugin_api.h"
//
//   std::string WordCount(jobq::worker::TaskContext& context) { ... }
//
//   extern "C" void jobq_register_tasks_v1(jobq::worker::TaskRegistry* registry,
//                                          absl::Status* status) {
//     *status = registry->Register("word_count", jobq::worker::TaskKind::kIo, WordCount);
//   }
//
// The ABI is C++: a plugin is built against the same jobq headers, compiler
// and flags as the worker that loads it, and calls into the worker's own
// code (TaskRegistry, TaskContext, the argument helpers), which jobq-worker
// exports. The version is in the function's name: a plugin built for
// another interface is refused by name rather than crashing.
//
// Thread-safety: the registration function runs once, on one thread,
// before any job. Task functions run as any task does (task_registry.h):
// I/O tasks on several threads at once, so they must be thread-safe.

#include "absl/status/status.h"
#include "worker/tasks/builtins/task_args.h"
#include "worker/tasks/task_context.h"
#include "worker/tasks/task_error.h"
#include "worker/tasks/task_registry.h"

namespace jobq::worker {

// The name LoadPlugin() looks up; the function below, as a string.
inline constexpr char kPluginRegisterSymbol[] = "jobq_register_tasks_v1";

}  // namespace jobq::worker

extern "C" {

// Registers the plugin's tasks into `registry` and sets *status (OK on
// entry) to an error when the plugin cannot work, saying why. `registry` is
// a fresh one: LoadPlugin() moves its tasks into the worker's, all or none,
// so a name the worker already has is refused there, naming the plugin.
// Declared here so that a plugin's definition is checked against it.
__attribute__((visibility("default"))) void jobq_register_tasks_v1(
    jobq::worker::TaskRegistry* registry, absl::Status* status);

using JobqRegisterTasksV1 = void (*)(jobq::worker::TaskRegistry*, absl::Status*);

}  // extern "C"
