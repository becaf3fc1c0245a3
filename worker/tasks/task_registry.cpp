#include "worker/tasks/task_registry.h"

namespace jobq::worker {

const char* TaskKindName(TaskKind kind) {
  switch (kind) {
    case TaskKind::kIo:
      return "io";
    case TaskKind::kCpu:
      return "cpu";
  }
  return "unknown";
}

absl::Status TaskRegistry::Register(std::string name, TaskKind kind, TaskFunction function) {
  if (name.empty()) {
    return absl::InvalidArgumentError("a task needs a name");
  }
  if (!function) {
    return absl::InvalidArgumentError("task \"" + name + "\" has no function");
  }
  auto [it, inserted] = tasks_.try_emplace(std::move(name));
  if (!inserted) {
    return absl::AlreadyExistsError("task \"" + it->first + "\" is already registered");
  }
  it->second = TaskDefinition{kind, std::move(function)};
  return absl::OkStatus();
}

const TaskDefinition* TaskRegistry::Find(std::string_view name) const {
  auto it = tasks_.find(name);
  return it == tasks_.end() ? nullptr : &it->second;
}

std::vector<std::string> TaskRegistry::Names() const {
  std::vector<std::string> names;
  names.reserve(tasks_.size());
  for (const auto& [name, definition] : tasks_) {
    names.push_back(name);
  }
  return names;
}

}  // namespace jobq::worker
