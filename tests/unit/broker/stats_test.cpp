#include "broker/core/stats.h"

#include <gtest/gtest.h>

#include "tests/support/core_harness.h"

namespace jobq::broker::core {
namespace {

using ::jobq::testing::CoreHarness;

// ---- LatencyHistogram

TEST(LatencyHistogramTest, EmptyIsAllZero) {
  LatencyHistogram histogram;
  admin::LatencyFigures figures;
  histogram.Fill(&figures);
  EXPECT_EQ(figures.count(), 0u);
  EXPECT_EQ(figures.p50_seconds(), 0);
  EXPECT_EQ(figures.p99_seconds(), 0);
  EXPECT_EQ(static_cast<size_t>(figures.cumulative_counts_size()),
            LatencyHistogram::ExportBoundsUs().size());
}

TEST(LatencyHistogramTest, BoundsAreAscendingAndExportBoundsAreAmongThem) {
  const auto& bounds = LatencyHistogram::BoundsUs();
  EXPECT_EQ(bounds.front(), 1);
  EXPECT_EQ(bounds[1], 1.25);
  EXPECT_EQ(bounds.back(), 8e10);
  for (size_t i = 1; i < bounds.size(); ++i) {
    EXPECT_LT(bounds[i - 1], bounds[i]);
  }
  for (double bound : LatencyHistogram::ExportBoundsUs()) {
    EXPECT_NE(std::find(bounds.begin(), bounds.end(), bound), bounds.end()) << bound;
  }
  EXPECT_EQ(LatencyHistogram::ExportBoundsUs().front(), 10);
  EXPECT_EQ(LatencyHistogram::ExportBoundsUs().back(), 1e9);
}

TEST(LatencyHistogramTest, PercentilesOfAUniformSpreadAreWithinABucket) {
  LatencyHistogram histogram;
  for (int64_t ms = 1; ms <= 1000; ++ms) {
    histogram.Record(ms * 1000);
  }
  EXPECT_EQ(histogram.count(), 1000u);
  EXPECT_EQ(histogram.sum_us(), 500'500'000);
  EXPECT_EQ(histogram.max_us(), 1'000'000);
  // Buckets are at most a third wide, and values are spread evenly inside.
  EXPECT_NEAR(histogram.QuantileUs(0.50), 500'000, 50'000);
  EXPECT_NEAR(histogram.QuantileUs(0.90), 900'000, 90'000);
  EXPECT_NEAR(histogram.QuantileUs(0.99), 990'000, 99'000);
  EXPECT_LE(histogram.QuantileUs(1.0), 1'000'000);
}

TEST(LatencyHistogramTest, OneValueGivesThatValueForEveryPercentile) {
  LatencyHistogram histogram;
  histogram.Record(4200);
  EXPECT_EQ(histogram.QuantileUs(0.5), 4200);
  EXPECT_EQ(histogram.QuantileUs(0.99), 4200);
}

TEST(LatencyHistogramTest, CountsAtBoundsAreExactAndCumulative) {
  LatencyHistogram histogram;
  histogram.Record(10);         // on the 10 µs bound: counted at it ("le")
  histogram.Record(11);         // next one up
  histogram.Record(2'000'000);  // 2 s
  histogram.Record(-5);         // a clock step: 0
  EXPECT_EQ(histogram.CountAtMost(0), 0u) << "0 falls in the first bucket, up to 1 µs";
  EXPECT_EQ(histogram.CountAtMost(1), 1u);
  EXPECT_EQ(histogram.CountAtMost(10), 2u);
  EXPECT_EQ(histogram.CountAtMost(25), 3u);
  EXPECT_EQ(histogram.CountAtMost(1e9), 4u);

  admin::LatencyFigures figures;
  histogram.Fill(&figures);
  EXPECT_EQ(figures.count(), 4u);
  EXPECT_DOUBLE_EQ(figures.max_seconds(), 2.0);
  EXPECT_EQ(figures.cumulative_counts(0), 2u);  // le 10 µs
  EXPECT_EQ(figures.cumulative_counts(1), 3u);  // le 25 µs
  EXPECT_EQ(figures.cumulative_counts(figures.cumulative_counts_size() - 1), 4u);
  for (int i = 1; i < figures.cumulative_counts_size(); ++i) {
    EXPECT_LE(figures.cumulative_counts(i - 1), figures.cumulative_counts(i));
  }
}

TEST(LatencyHistogramTest, BeyondTheLastBoundStillCounts) {
  LatencyHistogram histogram;
  histogram.Record(100'000'000'000);  // 28 hours
  EXPECT_EQ(histogram.count(), 1u);
  EXPECT_EQ(histogram.CountAtMost(8e10), 0u);
  EXPECT_EQ(histogram.QuantileUs(0.5), 100'000'000'000);
}

TEST(LatencyHistogramTest, MergeAddsUp) {
  LatencyHistogram a;
  LatencyHistogram b;
  a.Record(100);
  b.Record(300);
  b.Record(50);
  a.Merge(b);
  EXPECT_EQ(a.count(), 3u);
  EXPECT_EQ(a.sum_us(), 450);
  EXPECT_EQ(a.max_us(), 300);
  EXPECT_EQ(a.QuantileUs(0), 50);
}

// ---- RateWindow

constexpr TimeMs kStart = 1'700'000'000'000;  // a multiple of 100 ms

TEST(RateWindowTest, CountsCompleteSlotsOnly) {
  RateWindow window;
  window.Add(kStart + 50, 10);
  // The slot is still being filled: nothing shows yet.
  EXPECT_EQ(window.PerSecond(kStart + 99, 1000, kStart - 60'000), 0);
  // Complete: 10 events in the last second.
  EXPECT_DOUBLE_EQ(window.PerSecond(kStart + 100, 1000, kStart - 60'000), 10);
  EXPECT_DOUBLE_EQ(window.PerSecond(kStart + 100, 10'000, kStart - 60'000), 1);
  EXPECT_DOUBLE_EQ(window.PerSecond(kStart + 100, 60'000, kStart - 60'000), 10.0 / 60);
  // A second later they have left the 1 s window, not the others.
  EXPECT_EQ(window.PerSecond(kStart + 1100, 1000, kStart - 60'000), 0);
  EXPECT_DOUBLE_EQ(window.PerSecond(kStart + 1100, 10'000, kStart - 60'000), 1);
  // And a minute later every window.
  EXPECT_EQ(window.PerSecond(kStart + 60'100, 60'000, kStart - 60'000), 0);
}

TEST(RateWindowTest, AYoungBrokerAveragesOverItsUptime) {
  RateWindow window;
  window.Add(kStart + 10, 5);
  window.Add(kStart + 150, 5);
  // Up 2 s: the 10 s and 60 s windows are 2 s long.
  EXPECT_DOUBLE_EQ(window.PerSecond(kStart + 2000, 10'000, kStart), 5);
  EXPECT_DOUBLE_EQ(window.PerSecond(kStart + 2000, 60'000, kStart), 5);
  EXPECT_EQ(window.PerSecond(kStart, 1000, kStart), 0) << "no complete slot yet";
}

TEST(RateWindowTest, OldSlotsAreForgottenWhenTheRingWrapsAround) {
  RateWindow window;
  window.Add(kStart, 100);
  window.Add(kStart + 65'000, 1);  // more than a minute later: the ring went round
  EXPECT_DOUBLE_EQ(window.PerSecond(kStart + 65'100, 60'000, kStart - 60'000), 1.0 / 60);
  window.Add(kStart + 64'000, 1);  // the clock stepped back: counted in the newest slot
  EXPECT_DOUBLE_EQ(window.PerSecond(kStart + 65'100, 1000, kStart - 60'000), 2);
}

// ---- CoreStats through the core

const admin::QueueFigures* QueueNamed(const admin::Figures& figures, const std::string& name) {
  for (const admin::QueueFigures& queue : figures.queues()) {
    if (queue.name() == name) {
      return &queue;
    }
  }
  return nullptr;
}

const admin::TaskFigures* TaskNamed(const admin::Figures& figures, const std::string& name) {
  for (const admin::TaskFigures& task : figures.tasks()) {
    if (task.task() == name) {
      return &task;
    }
  }
  return nullptr;
}

// Pointers into `figures`: a temporary would be gone before they are read
// (ASan found two such tests).
const admin::QueueFigures* QueueNamed(admin::Figures&& figures, const std::string& name) = delete;
const admin::TaskFigures* TaskNamed(admin::Figures&& figures, const std::string& name) = delete;

admin::Figures FiguresOf(CoreHarness& harness) {
  admin::GetStatusResponse status;
  harness.core().FillStatus(harness.clock().NowMs(), &status);
  return status.figures();
}

void ResultWithRunTime(CoreHarness& harness, const std::string& worker,
                       const wire::DispatchedJob& job, bool ok, int64_t run_time_us) {
  wire::WorkerResults results;
  wire::JobResult& result = *results.add_results();
  result.set_id(job.id());
  result.set_attempt(job.attempt());
  result.set_ok(ok);
  if (!ok) {
    result.mutable_error()->set_type("boom");
  }
  result.set_run_time_us(run_time_us);
  harness.FromWorker(worker, Command::kWorkerResult, results);
}

// Workers in these tests send no heartbeats: a long interval keeps them alive.
CoreOptions PatientOptions() {
  CoreOptions options;
  options.heartbeat_interval_ms = 10'000;
  return options;
}

TEST(CoreStatsTest, DepthByStateFollowsTheJobs) {
  CoreHarness harness(PatientOptions());
  harness.Submit("c", {"a", "b", "c"}, "q1");
  wire::Submit delayed;
  wire::JobSpec& spec = *delayed.add_jobs();
  spec.set_task("later");
  spec.set_queue("q1");
  spec.set_not_before_ms(harness.clock().NowMs() + 5000);
  harness.FromClient("c", Command::kSubmit, delayed);

  admin::Figures figures = FiguresOf(harness);
  const admin::QueueFigures* q1 = QueueNamed(figures, "q1");
  ASSERT_NE(q1, nullptr);
  EXPECT_EQ(q1->queued(), 3u);
  EXPECT_EQ(q1->scheduled(), 1u);
  EXPECT_EQ(q1->running(), 0u);

  harness.Hello("w", 2, {"q1"});
  figures = FiguresOf(harness);
  q1 = QueueNamed(figures, "q1");
  EXPECT_EQ(q1->queued(), 1u);
  EXPECT_EQ(q1->running(), 2u);

  harness.AdvanceMs(5000);  // the delayed job is ready
  figures = FiguresOf(harness);
  q1 = QueueNamed(figures, "q1");
  EXPECT_EQ(q1->queued(), 2u);
  EXPECT_EQ(q1->scheduled(), 0u);
  EXPECT_EQ(q1->running(), 2u);
}

TEST(CoreStatsTest, QueueWaitAndRunTimePerTask) {
  CoreHarness harness;
  harness.Submit("c", {"fetch", "fetch", "crunch"});
  harness.AdvanceMs(250);  // they wait 250 ms for a worker
  harness.Hello("w", 3);
  std::vector<wire::DispatchedJob> jobs = harness.Dispatched("w");
  ASSERT_EQ(jobs.size(), 3u);
  harness.AdvanceMs(2000);
  ResultWithRunTime(harness, "w", jobs[0], true, 1'500'000);
  ResultWithRunTime(harness, "w", jobs[1], false, 1'500'000);
  // No run time from the worker: the broker's own view (2 s).
  ResultWithRunTime(harness, "w", jobs[2], true, 0);

  const admin::Figures figures = FiguresOf(harness);
  const admin::TaskFigures* fetch = TaskNamed(figures, "fetch");
  ASSERT_NE(fetch, nullptr);
  EXPECT_EQ(fetch->queue_wait().count(), 2u);
  EXPECT_DOUBLE_EQ(fetch->queue_wait().p50_seconds(), 0.25);
  EXPECT_DOUBLE_EQ(fetch->queue_wait().sum_seconds(), 0.5);
  EXPECT_EQ(fetch->run_time().count(), 2u) << "failures have run times too";
  EXPECT_DOUBLE_EQ(fetch->run_time().p99_seconds(), 1.5);
  const admin::TaskFigures* crunch = TaskNamed(figures, "crunch");
  ASSERT_NE(crunch, nullptr);
  EXPECT_DOUBLE_EQ(crunch->run_time().max_seconds(), 2.0);
  EXPECT_EQ(figures.bucket_bounds_seconds_size(), fetch->run_time().cumulative_counts_size());
}

TEST(CoreStatsTest, ARetryWaitsFromTheEndOfItsBackoffAndShowsAsScheduled) {
  CoreOptions options;
  options.backoff_ms = 1000;
  options.backoff_max_ms = 1000;
  CoreHarness harness(options);
  harness.Submit("c", {"flaky"}, "default", 0, false, /*max_attempts=*/2);
  harness.Hello("w", 1);
  std::vector<wire::DispatchedJob> jobs = harness.Dispatched("w");
  ASSERT_EQ(jobs.size(), 1u);
  ResultWithRunTime(harness, "w", jobs[0], false, 1000);
  const admin::Figures figures = FiguresOf(harness);
  const admin::QueueFigures* queue = QueueNamed(figures, "default");
  ASSERT_NE(queue, nullptr);
  EXPECT_EQ(queue->scheduled(), 1u);
  EXPECT_EQ(queue->running(), 0u);

  harness.AdvanceMs(1000);  // backoff over (500..1000 ms with jitter): ready and dispatched
  harness.Credit("w", 1);
  ASSERT_EQ(harness.Dispatched("w").size(), 1u);
  const admin::Figures later = FiguresOf(harness);
  const admin::TaskFigures* flaky = TaskNamed(later, "flaky");
  ASSERT_NE(flaky, nullptr);
  EXPECT_EQ(flaky->queue_wait().count(), 2u);
  // The second wait runs from the end of the backoff, not from the failure.
  EXPECT_LT(flaky->queue_wait().max_seconds(), 0.6);
}

TEST(CoreStatsTest, ThroughputOfSubmittedAndFinishedJobs) {
  CoreHarness harness(PatientOptions());
  harness.Hello("w", 100);
  harness.Submit("c", std::vector<std::string>(20, "noop"));
  std::vector<wire::DispatchedJob> jobs = harness.Dispatched("w");
  ASSERT_EQ(jobs.size(), 20u);
  for (size_t i = 0; i < 10; ++i) {
    ResultWithRunTime(harness, "w", jobs[i], true, 10);
  }
  harness.AdvanceMs(1000);

  admin::Figures figures = FiguresOf(harness);
  EXPECT_DOUBLE_EQ(figures.throughput().submitted().last_1s(), 20);
  EXPECT_DOUBLE_EQ(figures.throughput().finished().last_1s(), 10);
  // The broker has been up a second: the longer windows are that second too.
  EXPECT_DOUBLE_EQ(figures.throughput().finished().last_60s(), 10);
  const admin::QueueFigures* queue = QueueNamed(figures, "default");
  ASSERT_NE(queue, nullptr);
  EXPECT_DOUBLE_EQ(queue->throughput().submitted().last_10s(), 20);

  harness.AdvanceMs(9000);  // up 10 s; the jobs were in its first tenth of a second
  figures = FiguresOf(harness);
  EXPECT_EQ(figures.throughput().submitted().last_1s(), 0);
  EXPECT_DOUBLE_EQ(figures.throughput().submitted().last_10s(), 2);
  EXPECT_DOUBLE_EQ(figures.throughput().submitted().last_60s(), 2);
}

TEST(CoreStatsTest, JobCountsByQueueAndTask) {
  CoreHarness harness;
  harness.Submit("c", {"a", "a", "b"}, "q1");
  harness.Submit("c", {"a"}, "q2");
  harness.Hello("w", 10, {"q1", "q2"});
  std::vector<wire::DispatchedJob> jobs = harness.Dispatched("w");
  ASSERT_EQ(jobs.size(), 4u);
  for (const wire::DispatchedJob& job : jobs) {
    ResultWithRunTime(harness, "w", job, job.task() != "b", 10);
  }
  const admin::Figures figures = FiguresOf(harness);
  ASSERT_EQ(figures.job_counts_size(), 3);
  EXPECT_EQ(figures.job_counts(0).queue(), "q1");
  EXPECT_EQ(figures.job_counts(0).task(), "a");
  EXPECT_EQ(figures.job_counts(0).submitted(), 2u);
  EXPECT_EQ(figures.job_counts(0).succeeded(), 2u);
  EXPECT_EQ(figures.job_counts(1).task(), "b");
  EXPECT_EQ(figures.job_counts(1).failed(), 1u);
  EXPECT_EQ(figures.job_counts(2).queue(), "q2");
  EXPECT_EQ(figures.job_counts(2).succeeded(), 1u);
}

TEST(CoreStatsTest, ManyTaskAndQueueNamesFoldIntoOther) {
  CoreHarness harness;
  for (int i = 0; i < 150; ++i) {
    harness.Submit("c", {"task" + std::to_string(i)}, "queue" + std::to_string(i));
  }
  const admin::Figures figures = FiguresOf(harness);
  EXPECT_EQ(static_cast<size_t>(figures.queues_size()), CoreStats::kNamesMax + 1);
  const admin::QueueFigures* other = QueueNamed(figures, "other");
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(other->queued(), 50u);
  EXPECT_EQ(figures.job_counts_size(), 101) << "100 named pairs and (other, other)";
  // Invariants (run by the harness after every step) check the folded gauges.
  harness.Hello("w", 200, {"queue0", "queue149"});
  const admin::Figures later = FiguresOf(harness);
  ASSERT_NE(QueueNamed(later, "other"), nullptr);
  EXPECT_EQ(QueueNamed(later, "other")->running(), 1u);
}

TEST(CoreStatsTest, ALostLeaseWaitsAgainFromTheLoss) {
  CoreOptions options;
  options.heartbeat_interval_ms = 1000;
  options.liveness_misses = 2;
  CoreHarness harness(options);
  harness.Submit("c", {"job"});
  harness.Hello("w1", 1);
  ASSERT_EQ(harness.Dispatched("w1").size(), 1u);
  // w1 goes silent and is declared dead; the job goes back to its queue.
  for (int i = 0; i < 4; ++i) {
    harness.AdvanceMs(1000);
  }
  const admin::Figures figures = FiguresOf(harness);
  const admin::QueueFigures* queue = QueueNamed(figures, "default");
  ASSERT_NE(queue, nullptr);
  EXPECT_EQ(queue->queued(), 1u);
  EXPECT_EQ(queue->running(), 0u);
  harness.AdvanceMs(300);
  harness.Hello("w2", 1);
  ASSERT_EQ(harness.Dispatched("w2").size(), 1u);
  const admin::Figures later = FiguresOf(harness);
  const admin::TaskFigures* task = TaskNamed(later, "job");
  ASSERT_NE(task, nullptr);
  EXPECT_EQ(task->queue_wait().count(), 2u);
  // Not the whole time since the submit (over 4 s).
  EXPECT_LT(task->queue_wait().max_seconds(), 1.5);
}

}  // namespace
}  // namespace jobq::broker::core
