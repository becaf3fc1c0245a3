// The screen of `jobq top`: its sections, rates from two snapshots, the
// latency rows from the figures, and the fit to the terminal.

#include "producer/cli/top_screen.h"

#include <gtest/gtest.h>

#include "absl/strings/str_join.h"

namespace jobq::cli {
namespace {

admin::GetStatusResponse Status(uint64_t finished) {
  admin::GetStatusResponse status;
  status.set_version("0.1.0");
  status.set_uptime_ms(65'000);
  status.mutable_counters()->set_succeeded(finished);
  admin::QueueStatus* queue = status.add_queues();
  queue->set_name("invoices");
  queue->set_queued(5);
  queue->set_running(2);
  queue->set_workers(1);
  queue->set_finished(finished);
  admin::QueueStatus* paused = status.add_queues();
  paused->set_name("thumbnails");
  paused->set_paused(true);
  admin::WorkerStatus* worker = status.add_workers();
  worker->set_name("w1");
  worker->set_state("active");
  worker->set_cpu_percent(50);
  worker->set_rss_bytes(2048);
  admin::PoolStatus* pool = worker->add_pools();
  pool->set_kind("io");
  pool->set_capacity(8);
  pool->set_in_flight(2);
  return status;
}

std::string Screen(const TopFrame& frame) { return absl::StrJoin(RenderTopLines(frame), "\n"); }

TEST(TopScreenTest, FirstFrameShowsQueuesWorkersAndNoRates) {
  TopFrame frame;
  frame.address = "127.0.0.1:50051";
  frame.status = Status(10);
  frame.width = 200;
  frame.height = 0;
  const std::string screen = Screen(frame);
  EXPECT_NE(screen.find("jobq top  127.0.0.1:50051  version 0.1.0  up 1m 05s"), std::string::npos)
      << screen;
  EXPECT_NE(screen.find("QUEUE       STATE   QUEUED  RUNNING  WORKERS  FINISHED  RATE"),
            std::string::npos)
      << screen;
  EXPECT_NE(screen.find("invoices    active  5       2        1        10        -"),
            std::string::npos)
      << screen;
  EXPECT_NE(screen.find("thumbnails  paused"), std::string::npos) << screen;
  EXPECT_NE(screen.find("w1      active  2/8        50.0  2.0 KiB"), std::string::npos) << screen;
  EXPECT_NE(screen.find("latency: not reported by this broker"), std::string::npos) << screen;
}

TEST(TopScreenTest, RatesFromTwoSnapshots) {
  admin::GetStatusResponse before = Status(10);
  TopFrame frame;
  frame.status = Status(30);
  frame.previous = &before;
  frame.elapsed_ms = 2000;
  frame.width = 200;
  frame.height = 0;
  const std::string screen = Screen(frame);
  EXPECT_NE(screen.find("throughput 10.0/s"), std::string::npos) << screen;
  EXPECT_NE(screen.find("30        10.0/s"), std::string::npos) << screen;
}

TEST(TopScreenTest, LatencyRowsFromTheFigures) {
  admin::GetStatusResponse status = Status(1);
  admin::TaskFigures* task = status.mutable_figures()->add_tasks();
  task->set_task("sleep");
  task->mutable_run_time()->set_count(8);
  task->mutable_run_time()->set_p50_seconds(1.0);
  task->mutable_run_time()->set_p90_seconds(1.5);
  task->mutable_run_time()->set_p99_seconds(2.0);
  task->mutable_queue_wait()->set_count(8);
  task->mutable_queue_wait()->set_p50_seconds(0.0004);
  task->mutable_queue_wait()->set_p90_seconds(0.012);
  task->mutable_queue_wait()->set_p99_seconds(0.25);
  std::vector<std::vector<std::string>> rows = TopLatencyRows(status);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1], (std::vector<std::string>{"sleep", "8", "400us / 12.0ms / 250.0ms",
                                               "1.00s / 1.50s / 2.00s"}));
  TopFrame frame;
  frame.status = status;
  frame.width = 200;
  frame.height = 0;
  EXPECT_NE(Screen(frame).find("TASK"), std::string::npos);
}

TEST(TopScreenTest, FitsTheTerminal) {
  TopFrame frame;
  frame.status = Status(1);
  frame.width = 20;
  frame.height = 5;
  std::vector<std::string> lines = RenderTopLines(frame);
  ASSERT_EQ(lines.size(), 5u);
  for (const std::string& line : lines) {
    EXPECT_LE(line.size(), 20u) << line;
  }
  EXPECT_EQ(lines.back().rfind("... ", 0), 0u) << lines.back();
}

TEST(FormatRateTest, NeedsAnEarlierCount) {
  EXPECT_EQ(FormatRate(10, 0, 1000, false), "-");
  EXPECT_EQ(FormatRate(10, 5, 0, true), "-");
  EXPECT_EQ(FormatRate(10, 12, 1000, true), "-");
  EXPECT_EQ(FormatRate(15, 5, 2000, true), "5.0/s");
}

}  // namespace
}  // namespace jobq::cli
