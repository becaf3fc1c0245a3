// The connection's small parts: backoff, in-flight bookkeeping, the result
// mailbox and the message builders.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>

#include <thread>
#include <vector>

#include "tests/unit/worker/job_builders.h"
#include "worker/conn/backoff.h"
#include "worker/conn/in_flight_jobs.h"
#include "worker/conn/result_mailbox.h"
#include "worker/conn/worker_messages.h"
#include "worker/pools/io_pool.h"
#include "worker/tasks/builtin_tasks.h"

namespace jobq::worker {
namespace {

using testing::TestJobId;

bool Readable(int fd) {
  pollfd item{fd, POLLIN, 0};
  return poll(&item, 1, 0) == 1;
}

TEST(BackoffTest, DoublesUpToTheCapWithJitterInTheUpperHalf) {
  Backoff backoff(100, 1000, 42);
  const uint32_t bases[] = {100, 200, 400, 800, 1000, 1000};
  for (uint32_t base : bases) {
    uint32_t delay = backoff.NextDelayMs();
    EXPECT_GE(delay, base / 2);
    EXPECT_LE(delay, base);
  }
  EXPECT_EQ(backoff.attempts(), 6u);
  backoff.Reset();
  EXPECT_EQ(backoff.attempts(), 0u);
  EXPECT_LE(backoff.NextDelayMs(), 100u);
}

TEST(BackoffTest, SameSeedSameDelays) {
  Backoff a(100, 5000, 7);
  Backoff b(100, 5000, 7);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(a.NextDelayMs(), b.NextDelayMs());
  }
}

TEST(InFlightJobsTest, TracksJobsByIdAndAttempt) {
  InFlightJobs jobs;
  auto token = std::make_shared<CancellationToken>();
  EXPECT_TRUE(jobs.Add({TestJobId(1), 1}, TaskKind::kIo, token));
  EXPECT_FALSE(jobs.Add({TestJobId(1), 1}, TaskKind::kIo, token)) << "duplicate dispatch";
  EXPECT_TRUE(jobs.Add({TestJobId(1), 2}, TaskKind::kIo, token));
  EXPECT_TRUE(jobs.Add({TestJobId(2), 1}, TaskKind::kCpu, std::make_shared<CancellationToken>()));
  EXPECT_EQ(jobs.CountFor(TaskKind::kIo), 2u);
  EXPECT_EQ(jobs.CountFor(TaskKind::kCpu), 1u);
  EXPECT_EQ(jobs.Finish({TestJobId(2), 1}), TaskKind::kCpu);
  EXPECT_EQ(jobs.Finish({TestJobId(2), 1}), std::nullopt);
  EXPECT_EQ(jobs.size(), 2u);
}

TEST(InFlightJobsTest, CancelReachesEveryAttemptOfThatIdOnly) {
  InFlightJobs jobs;
  auto first = std::make_shared<CancellationToken>();
  auto second = std::make_shared<CancellationToken>();
  auto other = std::make_shared<CancellationToken>();
  jobs.Add({TestJobId(1), 1}, TaskKind::kIo, first);
  jobs.Add({TestJobId(1), 2}, TaskKind::kIo, second);
  jobs.Add({TestJobId(2), 1}, TaskKind::kIo, other);
  EXPECT_EQ(jobs.Cancel(TestJobId(1)), 2u);
  EXPECT_TRUE(first->IsCancelled());
  EXPECT_TRUE(second->IsCancelled());
  EXPECT_FALSE(other->IsCancelled());
  EXPECT_EQ(jobs.Cancel(TestJobId(9)), 0u);
  jobs.CancelAll();
  EXPECT_TRUE(other->IsCancelled());
}

TEST(ResultMailboxTest, WakesOnPostAndHandsOverEverythingInOrder) {
  ResultMailbox mailbox;
  EXPECT_FALSE(Readable(mailbox.fd()));
  std::thread poster([&mailbox] {
    for (int i = 0; i < 100; ++i) {
      wire::JobResult result;
      result.set_attempt(i);
      mailbox.Post(std::move(result));
    }
  });
  poster.join();
  EXPECT_TRUE(Readable(mailbox.fd()));
  std::vector<wire::JobResult> taken = mailbox.TakeAll();
  ASSERT_EQ(taken.size(), 100u);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(taken[i].attempt(), static_cast<uint32_t>(i));
  }
  EXPECT_FALSE(Readable(mailbox.fd()));
  EXPECT_TRUE(mailbox.TakeAll().empty());
}

TEST(WorkerMessagesTest, HelloDescribesTheWorker) {
  TaskRegistry registry;
  RegisterBuiltinTasks(registry);
  IoPool pool(registry, 3, 3);
  InFlightJobs held;
  held.Add({TestJobId(5), 2}, TaskKind::kIo, std::make_shared<CancellationToken>());
  wire::JobResult finished;
  finished.set_id(TestJobId(6));
  finished.set_attempt(1);
  std::vector<UnsentResult> unsent = {{finished, TaskKind::kIo}};
  wire::Hello hello =
      BuildHello({"w1", "host-a", 1234}, {&pool}, {"a", "b"}, registry, held, unsent);
  EXPECT_EQ(hello.name(), "w1");
  EXPECT_EQ(hello.host(), "host-a");
  EXPECT_EQ(hello.pid(), 1234);
  ASSERT_EQ(hello.pools_size(), 1);
  EXPECT_EQ(hello.pools(0).kind(), wire::KIND_IO);
  EXPECT_EQ(hello.pools(0).capacity(), 3u);
  EXPECT_THAT(hello.queues(), ::testing::ElementsAre("a", "b"));
  ASSERT_EQ(hello.tasks_size(), static_cast<int>(registry.tasks().size()));
  EXPECT_EQ(hello.tasks(0).name(), "echo");
  EXPECT_EQ(hello.tasks(0).kind(), wire::KIND_IO);
  ASSERT_EQ(hello.in_flight_size(), 2) << "running and finished-but-unreported jobs";
  EXPECT_EQ(hello.in_flight(0).id(), TestJobId(5));
  EXPECT_EQ(hello.in_flight(0).attempt(), 2u);
  EXPECT_EQ(hello.in_flight(0).kind(), wire::KIND_IO);
  EXPECT_EQ(hello.in_flight(1).id(), TestJobId(6));
  pool.Stop();
}

TEST(WorkerMessagesTest, PrefetchAddsToThePoolsCredits) {
  TaskRegistry registry;
  IoPool pool(registry, /*threads=*/3, /*queue_max=*/3 + 100, /*prefetch=*/100);
  wire::Hello hello = BuildHello({"w1", "host-a", 1}, {&pool}, {"a"}, registry, InFlightJobs(), {});
  ASSERT_EQ(hello.pools_size(), 1);
  EXPECT_EQ(hello.pools(0).capacity(), 103u) << "the broker may send threads + prefetch jobs";
  pool.Stop();
}

TEST(WorkerMessagesTest, HeartbeatReportsLoadAndCounters) {
  TaskRegistry registry;
  IoPool pool(registry, 2, 2);
  InFlightJobs in_flight;
  in_flight.Add({TestJobId(1), 1}, TaskKind::kIo, std::make_shared<CancellationToken>());
  wire::Heartbeat heartbeat =
      BuildHeartbeat({&pool}, in_flight, JobCounters{7, 2}, ProcessStats::Sample{12.5, 4096});
  ASSERT_EQ(heartbeat.pools_size(), 1);
  EXPECT_EQ(heartbeat.pools(0).capacity(), 2u);
  EXPECT_EQ(heartbeat.pools(0).in_flight(), 1u);
  EXPECT_EQ(heartbeat.jobs_done(), 7u);
  EXPECT_EQ(heartbeat.jobs_failed(), 2u);
  EXPECT_EQ(heartbeat.cpu_percent(), 12.5);
  EXPECT_EQ(heartbeat.rss_bytes(), 4096u);
  pool.Stop();
}

TEST(ProcessStatsTest, ReadsResidentMemory) {
  ProcessStats stats;
  ProcessStats::Sample sample = stats.Take(std::chrono::steady_clock::now());
  EXPECT_GT(sample.rss_bytes, 0u);
  EXPECT_EQ(sample.cpu_percent, 0) << "no interval yet on the first sample";
}

}  // namespace
}  // namespace jobq::worker
