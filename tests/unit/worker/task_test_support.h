#pragma once
// A fixture for the task tests: a registry with the built-ins, and helpers
// to run one job through RunJob() and read its JSON result or error detail.

#include <gtest/gtest.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/unit/worker/job_builders.h"
#include "worker/tasks/builtin_tasks.h"
#include "worker/tasks/run_job.h"

namespace jobq::worker::testing {

class BuiltinTaskTest : public ::testing::Test {
 protected:
  void SetUp() override { RegisterBuiltinTasks(registry_); }

  wire::JobResult Run(const std::string& task, const std::string& payload, int64_t timeout_ms = 0) {
    wire::DispatchedJob job = MakeJob(task, payload);
    job.set_timeout_ms(timeout_ms);
    return RunJob(registry_, job);
  }

  // The result of a job that must have succeeded, parsed.
  static nlohmann::json Value(const wire::JobResult& result) {
    EXPECT_TRUE(result.ok()) << result.error().type() << ": " << result.error().message();
    return result.ok() ? nlohmann::json::parse(result.result()) : nlohmann::json();
  }

  // The detail of a failed job, parsed (exec puts its output there).
  static nlohmann::json Detail(const wire::JobResult& result) {
    EXPECT_FALSE(result.ok());
    return nlohmann::json::parse(result.error().detail(), nullptr, /*allow_exceptions=*/false);
  }

  TaskRegistry registry_;
};

}  // namespace jobq::worker::testing
