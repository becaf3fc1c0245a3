#include "worker/pools/io_pool.h"

#include <gtest/gtest.h>

#include <mutex>
#include <set>
#include <vector>

#include "tests/support/wait_for.h"
#include "tests/unit/worker/job_builders.h"
#include "worker/tasks/builtin_tasks.h"

namespace jobq::worker {
namespace {

using ::jobq::testing::WaitFor;
using testing::MakeJob;

class Collector {
 public:
  JobPool::Completion Callback() {
    return [this](wire::JobResult result) {
      std::lock_guard<std::mutex> lock(mutex_);
      results_.push_back(std::move(result));
    };
  }
  std::vector<wire::JobResult> results() {
    std::lock_guard<std::mutex> lock(mutex_);
    return results_;
  }

 private:
  std::mutex mutex_;
  std::vector<wire::JobResult> results_;
};

TEST(IoPoolTest, RunsEveryJobAndCallsItsCompletionOnce) {
  TaskRegistry registry;
  RegisterBuiltinTasks(registry);
  constexpr int kJobs = 50;
  IoPool pool(registry, 4, kJobs);
  EXPECT_EQ(pool.kind(), TaskKind::kIo);
  EXPECT_EQ(pool.capacity(), 4u);
  Collector collector;
  for (int i = 0; i < kJobs; ++i) {
    ASSERT_TRUE(pool.Submit(MakeJob("echo", R"({"i":)" + std::to_string(i) + "}", i),
                            std::make_shared<CancellationToken>(), collector.Callback()));
  }
  pool.Stop();
  std::vector<wire::JobResult> results = collector.results();
  ASSERT_EQ(results.size(), static_cast<size_t>(kJobs));
  std::set<std::string> ids;
  for (const wire::JobResult& result : results) {
    EXPECT_TRUE(result.ok()) << result.error().message();
    ids.insert(result.id());
  }
  EXPECT_EQ(ids.size(), static_cast<size_t>(kJobs));
}

TEST(IoPoolTest, CancellingTheTokenEndsARunningSleep) {
  TaskRegistry registry;
  RegisterBuiltinTasks(registry);
  IoPool pool(registry, 1, 1);
  Collector collector;
  auto token = std::make_shared<CancellationToken>();
  ASSERT_TRUE(pool.Submit(MakeJob("sleep", R"({"seconds": 3600})"), token, collector.Callback()));
  token->Cancel();
  ASSERT_TRUE(WaitFor([&] { return collector.results().size() == 1; }));
  EXPECT_EQ(collector.results()[0].error().type(), "cancelled");
  pool.Stop();
}

}  // namespace
}  // namespace jobq::worker
