#include <gtest/gtest.h>

#include <future>

#include "tests/support/wait_for.h"
#include "tests/unit/worker/job_builders.h"
#include "worker/tasks/builtin_tasks.h"
#include "worker/tasks/cancellation_token.h"
#include "worker/tasks/run_job.h"

namespace jobq::worker {
namespace {

using ::jobq::testing::IsReadyBy;
using testing::MakeJob;

TEST(CancellationTokenTest, SleepForReturnsFalseOnceCancelled) {
  CancellationToken token;
  EXPECT_FALSE(token.IsCancelled());
  auto slept =
      std::async(std::launch::async, [&token] { return token.SleepFor(std::chrono::hours(1)); });
  token.Cancel();
  ASSERT_TRUE(IsReadyBy(slept));
  EXPECT_FALSE(slept.get());
  EXPECT_TRUE(token.IsCancelled());
  // Already cancelled: returns at once.
  EXPECT_FALSE(token.SleepFor(std::chrono::hours(1)));
}

TEST(CancellationTokenTest, SleepForReturnsTrueWhenNotCancelled) {
  CancellationToken token;
  EXPECT_TRUE(token.SleepFor(std::chrono::milliseconds(1)));
}

TEST(SleepTaskTest, CancelEndsTheSleepWithErrorCancelled) {
  TaskRegistry registry;
  RegisterBuiltinTasks(registry);
  CancellationToken token;
  auto result = std::async(std::launch::async, [&] {
    return RunJob(registry, MakeJob("sleep", R"({"seconds": 3600})"), token);
  });
  token.Cancel();
  ASSERT_TRUE(IsReadyBy(result)) << "sleep did not notice the cancellation";
  wire::JobResult job_result = result.get();
  EXPECT_FALSE(job_result.ok());
  EXPECT_EQ(job_result.error().type(), "cancelled");
}

}  // namespace
}  // namespace jobq::worker
