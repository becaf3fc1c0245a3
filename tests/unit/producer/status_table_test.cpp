#include "producer/cli/status_table.h"

#include <gtest/gtest.h>

namespace jobq::cli {
namespace {

TEST(FormatDurationTest, PicksTheLargestUnits) {
  EXPECT_EQ(FormatDuration(0), "0s");
  EXPECT_EQ(FormatDuration(12'345), "12s");
  EXPECT_EQ(FormatDuration(303'000), "5m 03s");
  EXPECT_EQ(FormatDuration(3'723'000), "1h 02m 03s");
  EXPECT_EQ(FormatDuration(273'900'000), "3d 04h 05m");
  EXPECT_EQ(FormatDuration(-5), "0s");
}

TEST(FormatBytesTest, BinaryUnits) {
  EXPECT_EQ(FormatBytes(512), "512 B");
  EXPECT_EQ(FormatBytes(1536), "1.5 KiB");
  EXPECT_EQ(FormatBytes(47'395'635), "45.2 MiB");
  EXPECT_EQ(FormatBytes(1ULL << 40), "1.0 TiB");
}

admin::GetStatusResponse SampleStatus() {
  admin::GetStatusResponse status;
  status.set_version("0.1.0");
  status.set_store("sqlite:/var/lib/jobq/jobq.db");
  status.set_durable(true);
  status.set_uptime_ms(3'723'000);
  status.mutable_counters()->set_submitted(120);
  status.mutable_counters()->set_succeeded(100);
  admin::QueueStatus* queue = status.add_queues();
  queue->set_name("default");
  queue->set_queued(10);
  queue->set_running(2);
  queue->set_workers(1);
  admin::QueueFigures* depth = status.mutable_figures()->add_queues();
  depth->set_name("default");
  depth->set_queued(6);
  depth->set_scheduled(4);  // of the 10 waiting; only the figures tell them apart
  depth->set_running(2);
  admin::WorkerStatus* worker = status.add_workers();
  worker->set_name("w1");
  worker->set_host("host-a");
  worker->set_pid(4242);
  worker->add_queues("default");
  worker->add_queues("media");
  worker->set_state("active");
  worker->set_cpu_percent(12.5);
  worker->set_rss_bytes(47'395'635);
  worker->set_last_heartbeat_ms_ago(300);
  admin::PoolStatus* io = worker->add_pools();
  io->set_kind("io");
  io->set_in_flight(2);
  io->set_capacity(16);
  admin::PoolStatus* cpu = worker->add_pools();
  cpu->set_kind("cpu");
  cpu->set_capacity(4);
  admin::ThroughputFigures* throughput = status.mutable_figures()->mutable_throughput();
  throughput->mutable_submitted()->set_last_1s(12);
  throughput->mutable_submitted()->set_last_10s(10.54);
  throughput->mutable_submitted()->set_last_60s(3.2);
  throughput->mutable_finished()->set_last_1s(11);
  throughput->mutable_finished()->set_last_10s(10.1);
  throughput->mutable_finished()->set_last_60s(3);
  admin::TaskFigures* sleep = status.mutable_figures()->add_tasks();
  sleep->set_task("sleep");
  sleep->mutable_run_time()->set_count(8);
  sleep->mutable_run_time()->set_p50_seconds(1.0012);
  sleep->mutable_run_time()->set_p90_seconds(1.02);
  sleep->mutable_run_time()->set_p99_seconds(1.5);
  sleep->mutable_queue_wait()->set_count(8);
  sleep->mutable_queue_wait()->set_p50_seconds(0.0004);
  sleep->mutable_queue_wait()->set_p90_seconds(0.0123);
  sleep->mutable_queue_wait()->set_p99_seconds(0.25);
  admin::TaskFigures* sum = status.mutable_figures()->add_tasks();
  sum->set_task("sum_squares");  // dispatched, not finished yet: waits only
  sum->mutable_queue_wait()->set_count(1);
  sum->mutable_queue_wait()->set_p50_seconds(0.002);
  sum->mutable_queue_wait()->set_p90_seconds(0.002);
  sum->mutable_queue_wait()->set_p99_seconds(0.002);
  return status;
}

TEST(FormatLatencyTest, UnitsForPeople) {
  EXPECT_EQ(FormatLatency(0), "0us");
  EXPECT_EQ(FormatLatency(0.000850), "850us");
  EXPECT_EQ(FormatLatency(0.0123), "12.3ms");
  EXPECT_EQ(FormatLatency(1.5), "1.50s");
  EXPECT_EQ(FormatLatency(303), "5m 03s");
}

TEST(FormatStatusTableTest, ThroughputLine) {
  const std::string text = FormatStatusTable(SampleStatus());
  EXPECT_NE(text.find("throughput  jobs/s over the last 1s, 10s, 60s: submitted 12.0, 10.5, 3.2; "
                      "finished 11.0, 10.1, 3.0\n"),
            std::string::npos)
      << text;
  // The summary's values line up.
  EXPECT_NE(text.find("broker      version"), std::string::npos) << text;
  EXPECT_NE(text.find("\nmessages    bad 0"), std::string::npos) << text;
}

TEST(FormatStatusTableTest, LatencyTablePerTask) {
  const std::string text = FormatStatusTable(SampleStatus());
  EXPECT_NE(text.find("TASK         RUNS  RUN P50  RUN P90  RUN P99  WAIT P50  WAIT P90  WAIT P99\n"
                      "sleep        8     1.00s    1.02s    1.50s    400us     12.3ms    250.0ms\n"
                      "sum_squares  0     -        -        -        2.0ms     2.0ms     2.0ms\n"),
            std::string::npos)
      << text;
}

TEST(FormatStatusTableTest, SummaryQueuesAndWorkers) {
  const std::string text = FormatStatusTable(SampleStatus());
  EXPECT_NE(text.find("version 0.1.0, up 1h 02m 03s"), std::string::npos) << text;
  EXPECT_NE(text.find("sqlite:/var/lib/jobq/jobq.db (durable)"), std::string::npos) << text;
  EXPECT_NE(text.find("submitted 120, succeeded 100"), std::string::npos) << text;
  EXPECT_NE(text.find("QUEUE    QUEUED  SCHEDULED  RUNNING  WORKERS  SENTINELS  STATE\n"
                      "default  6       4          2        1        0          active\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("w1      host-a  4242  active  default,media  io 2/16, cpu 0/4"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("12.5  45.2 MiB"), std::string::npos) << text;
  EXPECT_NE(text.find("0.3s ago"), std::string::npos) << text;
}

TEST(FormatStatusTableTest, EmptyBroker) {
  admin::GetStatusResponse status;
  status.set_store("memory");
  const std::string text = FormatStatusTable(status);
  EXPECT_NE(text.find("memory (not durable: jobs are lost when the broker stops)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("no queues"), std::string::npos) << text;
  EXPECT_NE(text.find("no workers connected"), std::string::npos) << text;
  EXPECT_NE(text.find("no task latencies yet"), std::string::npos) << text;
  EXPECT_NE(text.find("submitted 0.0, 0.0, 0.0"), std::string::npos) << text;
}

TEST(FormatStatusTableTest, WorkflowsLineOnlyOnceThereAreWorkflows) {
  admin::GetStatusResponse status;
  EXPECT_EQ(FormatStatusTable(status).find("workflows"), std::string::npos)
      << FormatStatusTable(status);
  status.mutable_workflows()->set_running(2);
  status.mutable_workflows()->set_failed(1);
  status.mutable_counters()->set_workflows_submitted(3);
  const std::string text = FormatStatusTable(status);
  EXPECT_NE(text.find("workflows   running 2, succeeded 0, failed 1, cancelled 0; submitted 3"),
            std::string::npos)
      << text;
}

TEST(FormatStatusTableTest, NoTrailingBlanks) {
  const std::string text = FormatStatusTable(SampleStatus());
  EXPECT_EQ(text.find(" \n"), std::string::npos) << text;
}

}  // namespace
}  // namespace jobq::cli
