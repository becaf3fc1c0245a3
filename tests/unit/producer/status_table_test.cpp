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
  return status;
}

TEST(FormatStatusTableTest, SummaryQueuesAndWorkers) {
  const std::string text = FormatStatusTable(SampleStatus());
  EXPECT_NE(text.find("version 0.1.0, up 1h 02m 03s"), std::string::npos) << text;
  EXPECT_NE(text.find("sqlite:/var/lib/jobq/jobq.db (durable)"), std::string::npos) << text;
  EXPECT_NE(text.find("submitted 120, succeeded 100"), std::string::npos) << text;
  EXPECT_NE(text.find("QUEUE    QUEUED  RUNNING  WORKERS  SENTINELS\n"
                      "default  10      2        1        0\n"),
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
  EXPECT_NE(text.find("memory (not durable: jobs are lost when the broker stops)"), std::string::npos) << text;
  EXPECT_NE(text.find("no queues"), std::string::npos) << text;
  EXPECT_NE(text.find("no workers connected"), std::string::npos) << text;
}

TEST(FormatStatusTableTest, NoTrailingBlanks) {
  const std::string text = FormatStatusTable(SampleStatus());
  EXPECT_EQ(text.find(" \n"), std::string::npos) << text;
}

}  // namespace
}  // namespace jobq::cli
