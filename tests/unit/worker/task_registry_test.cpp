#include "worker/tasks/task_registry.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "worker/tasks/builtin_tasks.h"

namespace jobq::worker {
namespace {

using ::testing::ElementsAre;

std::string Null(TaskContext&) { return "null"; }

TEST(TaskRegistryTest, FindsRegisteredTaskWithItsKind) {
  TaskRegistry registry;
  ASSERT_TRUE(registry.Register("crunch", TaskKind::kCpu, Null).ok());
  const TaskDefinition* definition = registry.Find("crunch");
  ASSERT_NE(definition, nullptr);
  EXPECT_EQ(definition->kind, TaskKind::kCpu);
  EXPECT_EQ(registry.Find("missing"), nullptr);
}

TEST(TaskRegistryTest, RefusesDuplicatesEmptyNamesAndEmptyFunctions) {
  TaskRegistry registry;
  ASSERT_TRUE(registry.Register("a", TaskKind::kIo, Null).ok());
  EXPECT_EQ(registry.Register("a", TaskKind::kIo, Null).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(registry.Register("", TaskKind::kIo, Null).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(registry.Register("b", TaskKind::kIo, TaskFunction()).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(TaskRegistryTest, BuiltinsAreListedByNameWithTheirKinds) {
  TaskRegistry registry;
  RegisterBuiltinTasks(registry);
  EXPECT_THAT(registry.Names(), ElementsAre("echo", "exec", "factorial", "fail", "http_get", "noop",
                                            "sleep", "sum_squares"));
  for (const auto& [name, definition] : registry.tasks()) {
    const bool cpu = name == "sum_squares" || name == "factorial";
    EXPECT_EQ(definition.kind, cpu ? TaskKind::kCpu : TaskKind::kIo) << name;
  }
}

}  // namespace
}  // namespace jobq::worker
