#pragma once
// TaskRegistry: the tasks a worker can run, by name. Each task has a kind —
// which pool runs it by default (I/O threads or CPU processes) — and a
// function that takes the job's TaskContext and returns the result as JSON
// text, or throws to fail the job (TaskError for a chosen error type).
//
// Thread-safety: fill it on one thread before the pools start; afterwards
// the const methods may be called from any number of threads at once.

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "worker/tasks/task_context.h"

namespace jobq::worker {

enum class TaskKind { kIo, kCpu };

const char* TaskKindName(TaskKind kind);  // "io" | "cpu"

// Returns the result as JSON text (e.g. "null", "{\"slept\":1}").
using TaskFunction = std::function<std::string(TaskContext&)>;

struct TaskDefinition {
  TaskKind kind = TaskKind::kIo;
  TaskFunction function;
};

class TaskRegistry {
 public:
  TaskRegistry() = default;
  TaskRegistry(const TaskRegistry&) = delete;
  TaskRegistry& operator=(const TaskRegistry&) = delete;

  // Adds a task. InvalidArgument for an empty name or an empty function,
  // AlreadyExists when the name is taken (a plugin must not silently
  // replace a task).
  [[nodiscard]] absl::Status Register(std::string name, TaskKind kind, TaskFunction function);

  // The task called `name`, or nullptr. The pointer stays valid as long as
  // the registry lives.
  const TaskDefinition* Find(std::string_view name) const;

  // All tasks, ordered by name.
  const std::map<std::string, TaskDefinition, std::less<>>& tasks() const { return tasks_; }

  // The names, ordered, for messages such as "registered: echo, noop".
  std::vector<std::string> Names() const;

 private:
  std::map<std::string, TaskDefinition, std::less<>> tasks_;
};

}  // namespace jobq::worker
