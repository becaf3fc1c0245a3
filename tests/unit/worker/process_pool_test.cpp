// ProcessPool with real children: the jobq-worker executable in child
// mode, loading the test plugin (crash, spin, pid). Every wait polls a
// condition with a deadline; no test asserts how long anything took.
#include "worker/pools/process_pool.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <limits>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <vector>

#include "tests/support/wait_for.h"
#include "tests/unit/worker/job_builders.h"
#include "worker/child/proc_stat.h"

namespace jobq::worker {
namespace {

using ::jobq::testing::WaitFor;
using ::testing::HasSubstr;
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
  size_t size() { return results().size(); }
  // Waits for the n-th result (1-based) and returns it.
  wire::JobResult Await(size_t n) {
    EXPECT_TRUE(WaitFor([&] { return size() >= n; })) << "result " << n << " never came";
    std::vector<wire::JobResult> all = results();
    return all.size() >= n ? all[n - 1] : wire::JobResult();
  }

 private:
  std::mutex mutex_;
  std::vector<wire::JobResult> results_;
};

// A process that has been reaped: kill(pid, 0) finds nothing. (A zombie
// still answers, so this also proves nobody left one behind.)
bool IsGone(pid_t pid) { return ::kill(pid, 0) != 0 && errno == ESRCH; }

// The CPU time `pid` has used so far; 0 when it cannot be read.
double CpuSeconds(pid_t pid) {
  std::optional<child::CpuTimes> times = child::ReadCpuTimes(pid);
  return times.has_value() ? times->own_seconds : 0;
}

wire::DispatchedJob CpuJob(const std::string& task, const std::string& args, uint8_t n) {
  wire::DispatchedJob job = MakeJob(task, args, n);
  job.set_kind(wire::KIND_CPU);
  return job;
}

class ProcessPoolTest : public ::testing::Test {
 protected:
  static ProcessPoolOptions Options(uint32_t children) {
    ProcessPoolOptions options;
    options.executable = JOBQ_WORKER_BIN;
    options.children = children;
    options.queue_max = 64;
    options.plugins = {JOBQ_TEST_TASKS_PLUGIN};
    options.child_log_level = LogLevel::kWarning;
    return options;
  }

  bool Submit(ProcessPool& pool, wire::DispatchedJob job,
              std::shared_ptr<CancellationToken> cancel = std::make_shared<CancellationToken>()) {
    return pool.Submit(std::move(job), std::move(cancel), collector_.Callback());
  }

  // Runs the `pid` task and returns the pid of the child that ran it.
  pid_t ChildPidOfNextJob(ProcessPool& pool) {
    const size_t before = collector_.size();
    EXPECT_TRUE(Submit(pool, CpuJob("pid", "{}", static_cast<uint8_t>(100 + before))));
    wire::JobResult result = collector_.Await(before + 1);
    EXPECT_TRUE(result.ok()) << result.error().type() << ": " << result.error().message();
    return result.ok() ? nlohmann::json::parse(result.result())["pid"].get<pid_t>() : -1;
  }

  Collector collector_;
};

TEST_F(ProcessPoolTest, RunsACpuJobInAChildProcess) {
  ProcessPool pool(Options(1));
  EXPECT_EQ(pool.kind(), TaskKind::kCpu);
  EXPECT_EQ(pool.capacity(), 1u);
  ASSERT_TRUE(Submit(pool, CpuJob("echo", R"({"x":[1,2,3]})", 1)));
  wire::JobResult echoed = collector_.Await(1);
  ASSERT_TRUE(echoed.ok()) << echoed.error().message();
  EXPECT_EQ(nlohmann::json::parse(echoed.result()), nlohmann::json::parse(R"({"x":[1,2,3]})"));
  EXPECT_EQ(echoed.id(), testing::TestJobId(1));
  EXPECT_EQ(echoed.attempt(), 1u);

  const pid_t child = ChildPidOfNextJob(pool);
  EXPECT_NE(child, getpid()) << "the job ran in the worker itself";
  std::vector<pid_t> pids = pool.ChildPids();
  EXPECT_NE(std::find(pids.begin(), pids.end(), child), pids.end());
  pool.Stop();
}

TEST_F(ProcessPoolTest, ManyJobsOnFewChildrenAllCompleteOnce) {
  constexpr int kJobs = 40;
  ProcessPool pool(Options(3));
  for (int i = 0; i < kJobs; ++i) {
    ASSERT_TRUE(Submit(pool, CpuJob("echo", R"({"i":)" + std::to_string(i) + "}", i)));
  }
  ASSERT_TRUE(WaitFor([&] { return collector_.size() >= kJobs; }));
  pool.Stop();
  std::vector<wire::JobResult> results = collector_.results();
  ASSERT_EQ(results.size(), static_cast<size_t>(kJobs)) << "a completion ran twice";
  std::set<std::string> ids;
  for (const wire::JobResult& result : results) {
    EXPECT_TRUE(result.ok()) << result.error().message();
    ids.insert(result.id());
  }
  EXPECT_EQ(ids.size(), static_cast<size_t>(kJobs));
}

TEST_F(ProcessPoolTest, QueuedJobsStillRunWhenStopped) {
  ProcessPool pool(Options(2));
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(Submit(pool, CpuJob("noop", "{}", i)));
  }
  pool.Stop();
  EXPECT_EQ(collector_.size(), 10u);
  EXPECT_FALSE(Submit(pool, CpuJob("noop", "{}", 99))) << "a stopped pool takes no job";
}

TEST_F(ProcessPoolTest, RefusesJobsBeyondItsQueue) {
  ProcessPoolOptions options = Options(1);
  options.queue_max = 1;
  ProcessPool pool(options);
  auto cancel = std::make_shared<CancellationToken>();
  // The first keeps the child busy (or waits for it), the second waits;
  // between them the queue is full at some point for the third.
  ASSERT_TRUE(Submit(pool, CpuJob("spin", "{}", 1), cancel));
  ASSERT_TRUE(WaitFor([&] {
    return Submit(pool, CpuJob("spin", "{}", 2), cancel) &&
           !Submit(pool, CpuJob("spin", "{}", 3), cancel);
  }));
  cancel->Cancel();
  pool.Stop();
}

struct CrashCase {
  const char* args;
  const char* says;
};

class ProcessPoolCrashTest : public ProcessPoolTest,
                             public ::testing::WithParamInterface<CrashCase> {};

TEST_P(ProcessPoolCrashTest, FailsOnlyItsJobAndTheNextRunsOnAFreshChild) {
  ProcessPool pool(Options(1));
  const pid_t first = ChildPidOfNextJob(pool);
  ASSERT_TRUE(Submit(pool, CpuJob("crash", GetParam().args, 1)));
  wire::JobResult crashed = collector_.Await(2);
  EXPECT_FALSE(crashed.ok());
  EXPECT_EQ(crashed.id(), testing::TestJobId(1));
  EXPECT_EQ(crashed.error().type(), "crashed");
  EXPECT_THAT(crashed.error().message(), HasSubstr("child " + std::to_string(first)));
  EXPECT_THAT(crashed.error().message(), HasSubstr(GetParam().says));
  EXPECT_TRUE(IsGone(first)) << "the crashed child was not reaped";

  const pid_t second = ChildPidOfNextJob(pool);
  EXPECT_NE(second, first);
  pool.Stop();
  EXPECT_EQ(collector_.size(), 3u);
}

INSTANTIATE_TEST_SUITE_P(
    Ways, ProcessPoolCrashTest,
    ::testing::Values(CrashCase{R"({"how":"segv"})", "killed by signal 11 (Segmentation fault)"},
                      CrashCase{R"({"how":"abort"})", "killed by signal 6 (Aborted)"},
                      CrashCase{R"({"how":"exit","code":9})", "exited with code 9"}));

TEST_F(ProcessPoolTest, AChildKilledFromOutsideFailsItsJobAsCrashed) {
  ProcessPool pool(Options(1));
  const pid_t child = ChildPidOfNextJob(pool);
  const double idle_cpu_seconds = CpuSeconds(child);
  ASSERT_TRUE(Submit(pool, CpuJob("spin", "{}", 1)));
  // Killed once it is spinning, so that it dies under the job.
  ASSERT_TRUE(WaitFor([&] { return CpuSeconds(child) > idle_cpu_seconds + 0.02; }));
  ASSERT_EQ(::kill(child, SIGKILL), 0);
  wire::JobResult result = collector_.Await(2);
  EXPECT_EQ(result.error().type(), "crashed");
  EXPECT_THAT(result.error().message(), HasSubstr("killed by signal 9"));
  EXPECT_NE(ChildPidOfNextJob(pool), child);
  pool.Stop();
}

TEST_F(ProcessPoolTest, TimeoutKillsAndReplacesTheChild) {
  ProcessPool pool(Options(1));
  const pid_t first = ChildPidOfNextJob(pool);
  wire::DispatchedJob job = CpuJob("spin", "{}", 1);
  job.set_timeout_ms(200);
  ASSERT_TRUE(Submit(pool, job));
  wire::JobResult result = collector_.Await(2);
  EXPECT_EQ(result.error().type(), "timeout");
  EXPECT_THAT(result.error().message(), HasSubstr("timeout of 200 ms"));
  EXPECT_TRUE(WaitFor([&] { return IsGone(first); }));
  EXPECT_NE(ChildPidOfNextJob(pool), first);
  pool.Stop();
}

TEST_F(ProcessPoolTest, AnInt64MaxTimeoutRunsTheJobInsteadOfKillingItAtOnce) {
  ProcessPool pool(Options(1));
  wire::DispatchedJob job = CpuJob("echo", R"({"x":1})", 1);
  job.set_timeout_ms(std::numeric_limits<int64_t>::max());
  ASSERT_TRUE(Submit(pool, job));
  wire::JobResult result = collector_.Await(1);
  EXPECT_TRUE(result.ok()) << result.error().type() << ": " << result.error().message();
  pool.Stop();
}

TEST_F(ProcessPoolTest, ChildrenCutExecOutputAtTheWorkersCap) {
  ProcessPoolOptions options = Options(1);
  options.child_exec_output_max_bytes = 4;
  ProcessPool pool(options);
  ASSERT_TRUE(Submit(pool, CpuJob("exec", R"({"argv": ["echo", "abcdef"]})", 1)));
  wire::JobResult result = collector_.Await(1);
  ASSERT_TRUE(result.ok()) << result.error().type() << ": " << result.error().message();
  const nlohmann::json value = nlohmann::json::parse(result.result());
  EXPECT_EQ(value["stdout"], "abcd");
  EXPECT_EQ(value["stdout_truncated"], true);
  pool.Stop();
}

TEST_F(ProcessPoolTest, CancellingARunningJobKillsItsChild) {
  ProcessPool pool(Options(1));
  const pid_t first = ChildPidOfNextJob(pool);
  const double idle_cpu_seconds = CpuSeconds(first);
  auto cancel = std::make_shared<CancellationToken>();
  ASSERT_TRUE(Submit(pool, CpuJob("spin", "{}", 1), cancel));
  // Cancelled once it is spinning: a job cancelled earlier never starts.
  ASSERT_TRUE(WaitFor([&] { return CpuSeconds(first) > idle_cpu_seconds + 0.02; }));
  cancel->Cancel();
  wire::JobResult result = collector_.Await(2);
  EXPECT_EQ(result.error().type(), "cancelled");
  EXPECT_THAT(result.error().message(), HasSubstr("while running"));
  EXPECT_TRUE(WaitFor([&] { return IsGone(first); }));
  EXPECT_NE(ChildPidOfNextJob(pool), first);
  pool.Stop();
}

TEST_F(ProcessPoolTest, AJobCancelledWhileQueuedNeverRuns) {
  ProcessPool pool(Options(1));
  auto hold = std::make_shared<CancellationToken>();
  ASSERT_TRUE(Submit(pool, CpuJob("spin", "{}", 1), hold));
  auto cancel = std::make_shared<CancellationToken>();
  cancel->Cancel();
  ASSERT_TRUE(Submit(pool, CpuJob("crash", R"({"how":"segv"})", 2), cancel));
  wire::JobResult result = collector_.Await(1);
  EXPECT_EQ(result.id(), testing::TestJobId(2));
  EXPECT_EQ(result.error().type(), "cancelled");
  EXPECT_THAT(result.error().message(), HasSubstr("before it started"));
  hold->Cancel();
  pool.Stop();
}

TEST_F(ProcessPoolTest, RecyclesAChildAfterMaxJobs) {
  ProcessPoolOptions options = Options(1);
  options.max_jobs_per_child = 2;
  ProcessPool pool(options);
  const pid_t first = ChildPidOfNextJob(pool);
  EXPECT_EQ(ChildPidOfNextJob(pool), first);
  const pid_t second = ChildPidOfNextJob(pool);
  EXPECT_NE(second, first);
  EXPECT_TRUE(WaitFor([&] { return IsGone(first); })) << "the recycled child was not reaped";
  EXPECT_EQ(ChildPidOfNextJob(pool), second);
  pool.Stop();
}

TEST_F(ProcessPoolTest, RecyclesAChildAboveMaxRss) {
  ProcessPoolOptions options = Options(1);
  options.max_rss_per_child_bytes = 1;  // every process is bigger
  ProcessPool pool(options);
  const pid_t first = ChildPidOfNextJob(pool);
  EXPECT_NE(ChildPidOfNextJob(pool), first);
  EXPECT_TRUE(WaitFor([&] { return IsGone(first); }));
  pool.Stop();
}

TEST_F(ProcessPoolTest, AChildBelowMaxRssIsKept) {
  ProcessPoolOptions options = Options(1);
  options.max_rss_per_child_bytes = uint64_t{1} << 40;
  ProcessPool pool(options);
  const pid_t first = ChildPidOfNextJob(pool);
  EXPECT_EQ(ChildPidOfNextJob(pool), first);
  pool.Stop();
}

TEST_F(ProcessPoolTest, StopLeavesNoChildBehind) {
  ProcessPool pool(Options(3));
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(Submit(pool, CpuJob("noop", "{}", i)));
  }
  ASSERT_TRUE(WaitFor([&] { return collector_.size() == 6; }));
  ASSERT_TRUE(WaitFor([&] { return pool.ChildPids().size() == 3; }));
  const std::vector<pid_t> children = pool.ChildPids();
  pool.Stop();
  for (pid_t child : children) {
    EXPECT_TRUE(IsGone(child)) << "child " << child << " is still there";
  }
  EXPECT_TRUE(pool.ChildPids().empty());
  // No child of this process is left, not even a zombie.
  EXPECT_EQ(::waitpid(-1, nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
}

TEST_F(ProcessPoolTest, StopAfterACancelledRunningJobStillEnds) {
  ProcessPool pool(Options(2));
  auto cancel = std::make_shared<CancellationToken>();
  ASSERT_TRUE(Submit(pool, CpuJob("spin", "{}", 1), cancel));
  ASSERT_TRUE(Submit(pool, CpuJob("spin", "{}", 2), cancel));
  // What the connection does on "stop now": cancel everything held, then
  // stop the pools.
  cancel->Cancel();
  pool.Stop();
  std::vector<wire::JobResult> results = collector_.results();
  ASSERT_EQ(results.size(), 2u);
  for (const wire::JobResult& result : results) {
    EXPECT_EQ(result.error().type(), "cancelled");
  }
  EXPECT_EQ(::waitpid(-1, nullptr, WNOHANG), -1);
}

TEST_F(ProcessPoolTest, ChildrenThatCannotStartFailTheirJobsAsCrashed) {
  ProcessPoolOptions options = Options(1);
  options.plugins = {"/nonexistent/libnothing.so"};
  options.child_log_level = LogLevel::kOff;
  ProcessPool pool(options);
  ASSERT_TRUE(Submit(pool, CpuJob("noop", "{}", 1)));
  wire::JobResult result = collector_.Await(1);
  EXPECT_EQ(result.error().type(), "crashed");
  EXPECT_THAT(result.error().message(), HasSubstr("exited with code 2 before it was ready"));
  pool.Stop();
}

}  // namespace
}  // namespace jobq::worker
