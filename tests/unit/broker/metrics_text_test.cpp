#include "broker/metrics/metrics_text.h"

#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <sstream>

#include "broker/core/stats.h"

namespace jobq::broker::metrics {
namespace {

using ::jobq::broker::core::LatencyHistogram;

admin::GetStatusResponse SampleStatus() {
  admin::GetStatusResponse status;
  status.set_version("0.1.0");
  status.set_store("memory");
  status.set_uptime_ms(12'500);
  status.mutable_counters()->set_requeued(3);
  status.set_jobs_kept(7);
  admin::QueueStatus* queue = status.add_queues();
  queue->set_name("default");
  queue->set_running(2);
  queue->set_sentinels(1);
  for (const char* state : {"active", "active", "draining"}) {
    admin::WorkerStatus* worker = status.add_workers();
    worker->set_state(state);
    admin::PoolStatus* io = worker->add_pools();
    io->set_kind("io");
    io->set_capacity(8);
    io->set_in_flight(1);
  }

  admin::Figures& figures = *status.mutable_figures();
  for (double bound_us : LatencyHistogram::ExportBoundsUs()) {
    figures.add_bucket_bounds_seconds(bound_us / 1e6);
  }
  admin::QueueFigures* depth = figures.add_queues();
  depth->set_name("default");
  depth->set_queued(4);
  depth->set_scheduled(1);
  depth->set_running(2);
  admin::JobCountFigures* counts = figures.add_job_counts();
  counts->set_queue("default");
  counts->set_task("sleep");
  counts->set_submitted(10);
  counts->set_succeeded(6);
  counts->set_failed(1);
  admin::JobCountFigures* odd = figures.add_job_counts();
  odd->set_queue("default");
  odd->set_task("say \"hi\"\\\n");  // anything a producer may name a task
  odd->set_submitted(1);

  admin::TaskFigures* sleep = figures.add_tasks();
  sleep->set_task("sleep");
  LatencyHistogram run;
  run.Record(1'000'000);
  run.Record(1'000'000);
  run.Record(3'000'000);
  run.Fill(sleep->mutable_run_time());
  LatencyHistogram().Fill(sleep->mutable_queue_wait());
  LatencyHistogram loop;
  loop.Record(40);
  loop.Fill(figures.mutable_loop_iteration());
  return status;
}

bool Has(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos;
}

TEST(RenderPrometheusTest, CountersByQueueAndTask) {
  const std::string text = RenderPrometheus(SampleStatus());
  EXPECT_TRUE(Has(text, "# TYPE jobq_jobs_submitted_total counter")) << text;
  EXPECT_TRUE(Has(text, "jobq_jobs_submitted_total{queue=\"default\",task=\"sleep\"} 10")) << text;
  EXPECT_TRUE(Has(text, "jobq_jobs_completed_total{queue=\"default\",task=\"sleep\"} 6")) << text;
  EXPECT_TRUE(Has(text, "jobq_jobs_failed_total{queue=\"default\",task=\"sleep\"} 1")) << text;
  EXPECT_TRUE(Has(text, "jobq_jobs_requeued_total 3")) << text;
}

TEST(RenderPrometheusTest, LabelValuesAreEscaped) {
  const std::string text = RenderPrometheus(SampleStatus());
  EXPECT_TRUE(
      Has(text, "jobq_jobs_submitted_total{queue=\"default\",task=\"say \\\"hi\\\"\\\\\\n\"} 1"))
      << text;
}

TEST(RenderPrometheusTest, GaugesOfDepthWorkersAndPools) {
  const std::string text = RenderPrometheus(SampleStatus());
  EXPECT_TRUE(Has(text, "jobq_queue_jobs{queue=\"default\",state=\"queued\"} 4")) << text;
  EXPECT_TRUE(Has(text, "jobq_queue_jobs{queue=\"default\",state=\"scheduled\"} 1")) << text;
  EXPECT_TRUE(Has(text, "jobq_queue_jobs{queue=\"default\",state=\"running\"} 2")) << text;
  EXPECT_TRUE(Has(text, "jobq_jobs_in_flight 2")) << text;
  EXPECT_TRUE(Has(text, "jobq_workers{state=\"active\"} 2")) << text;
  EXPECT_TRUE(Has(text, "jobq_workers{state=\"draining\"} 1")) << text;
  EXPECT_TRUE(Has(text, "jobq_pool_capacity{pool=\"io\"} 24")) << text;
  EXPECT_TRUE(Has(text, "jobq_pool_in_flight{pool=\"io\"} 3")) << text;
  EXPECT_TRUE(Has(text, "jobq_broker_uptime_seconds 12.5")) << text;
  EXPECT_TRUE(Has(text, "jobq_broker_info{version=\"0.1.0\",store=\"memory\",durable=\"false\"} 1"))
      << text;
}

TEST(RenderPrometheusTest, HistogramsHaveCumulativeBucketsSumAndCount) {
  const std::string text = RenderPrometheus(SampleStatus());
  EXPECT_TRUE(Has(text, "# TYPE jobq_task_run_time_seconds histogram")) << text;
  EXPECT_TRUE(Has(text, "jobq_task_run_time_seconds_bucket{task=\"sleep\",le=\"0.5\"} 0")) << text;
  EXPECT_TRUE(Has(text, "jobq_task_run_time_seconds_bucket{task=\"sleep\",le=\"1\"} 2")) << text;
  EXPECT_TRUE(Has(text, "jobq_task_run_time_seconds_bucket{task=\"sleep\",le=\"2.5\"} 2")) << text;
  EXPECT_TRUE(Has(text, "jobq_task_run_time_seconds_bucket{task=\"sleep\",le=\"5\"} 3")) << text;
  EXPECT_TRUE(Has(text, "jobq_task_run_time_seconds_bucket{task=\"sleep\",le=\"+Inf\"} 3")) << text;
  EXPECT_TRUE(Has(text, "jobq_task_run_time_seconds_sum{task=\"sleep\"} 5")) << text;
  EXPECT_TRUE(Has(text, "jobq_task_run_time_seconds_count{task=\"sleep\"} 3")) << text;
  EXPECT_TRUE(Has(text, "jobq_task_queue_wait_seconds_count{task=\"sleep\"} 0")) << text;
  EXPECT_TRUE(Has(text, "jobq_broker_loop_iteration_seconds_bucket{le=\"2.5e-05\"} 0")) << text;
  EXPECT_TRUE(Has(text, "jobq_broker_loop_iteration_seconds_bucket{le=\"5e-05\"} 1")) << text;
  EXPECT_TRUE(Has(text, "jobq_broker_loop_iteration_seconds_count 1")) << text;
  // Nothing committed: an empty histogram, still well-formed.
  EXPECT_TRUE(Has(text, "jobq_store_commit_seconds_bucket{le=\"+Inf\"} 0")) << text;
  EXPECT_TRUE(Has(text, "jobq_store_commit_seconds_count 0")) << text;
}

TEST(RenderPrometheusTest, EveryLineIsACommentOrASampleAndFamiliesAreWhole) {
  const std::string text = RenderPrometheus(SampleStatus());
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  const std::regex sample(
      R"(^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-z_]+="([^"\\]|\\.)*"(,[a-z_]+="([^"\\]|\\.)*")*\})? \S+$)");
  std::istringstream lines(text);
  std::string line;
  std::set<std::string> families;
  std::string current;
  while (std::getline(lines, line)) {
    if (line.rfind("# HELP ", 0) == 0) {
      continue;
    }
    if (line.rfind("# TYPE ", 0) == 0) {
      current = line.substr(7, line.find(' ', 7) - 7);
      EXPECT_TRUE(families.insert(current).second) << "family declared twice: " << current;
      continue;
    }
    EXPECT_TRUE(std::regex_match(line, sample)) << line;
    // Samples belong to the family declared last (histograms add suffixes).
    EXPECT_EQ(line.rfind(current, 0), 0u) << line << " after " << current;
  }
}

TEST(RenderPrometheusTest, AnEmptySnapshotRenders) {
  const std::string text = RenderPrometheus(admin::GetStatusResponse());
  EXPECT_TRUE(Has(text, "jobq_workers{state=\"active\"} 0")) << text;
  EXPECT_TRUE(Has(text, "jobq_broker_loop_iteration_seconds_bucket{le=\"+Inf\"} 0")) << text;
  EXPECT_TRUE(Has(text, "jobq_admin_auth_refused_total{reason=\"missing\"} 0")) << text;
}

TEST(RenderPrometheusTest, AdminAuthRefusalsByReason) {
  admin::GetStatusResponse status;
  status.mutable_admin_auth_refused()->set_missing(3);
  status.mutable_admin_auth_refused()->set_unknown(2);
  status.mutable_admin_auth_refused()->set_forbidden(1);
  const std::string text = RenderPrometheus(status);
  EXPECT_TRUE(Has(text, "# TYPE jobq_admin_auth_refused_total counter")) << text;
  EXPECT_TRUE(Has(text, "jobq_admin_auth_refused_total{reason=\"missing\"} 3")) << text;
  EXPECT_TRUE(Has(text, "jobq_admin_auth_refused_total{reason=\"unknown\"} 2")) << text;
  EXPECT_TRUE(Has(text, "jobq_admin_auth_refused_total{reason=\"forbidden\"} 1")) << text;
}

}  // namespace
}  // namespace jobq::broker::metrics

namespace jobq::broker::metrics {
namespace {

TEST(RenderPrometheusTest, WorkflowsByStateAndTheirCounters) {
  admin::GetStatusResponse status;
  status.mutable_workflows()->set_running(3);
  status.mutable_workflows()->set_succeeded(5);
  status.mutable_workflows()->set_cancelled(1);
  status.mutable_counters()->set_workflows_submitted(9);
  status.mutable_counters()->set_workflows_rejected(2);
  status.mutable_counters()->set_jobs_released(40);
  status.mutable_counters()->set_upstream_cancelled(7);
  const std::string text = RenderPrometheus(status);
  EXPECT_TRUE(Has(text, "# TYPE jobq_workflows gauge")) << text;
  EXPECT_TRUE(Has(text, "jobq_workflows{state=\"running\"} 3")) << text;
  EXPECT_TRUE(Has(text, "jobq_workflows{state=\"succeeded\"} 5")) << text;
  EXPECT_TRUE(Has(text, "jobq_workflows{state=\"failed\"} 0")) << "a state with none shows 0";
  EXPECT_TRUE(Has(text, "jobq_workflows{state=\"cancelled\"} 1")) << text;
  EXPECT_TRUE(Has(text, "jobq_workflows_submitted_total 9")) << text;
  EXPECT_TRUE(Has(text, "jobq_workflows_rejected_total 2")) << text;
  EXPECT_TRUE(Has(text, "jobq_jobs_released_total 40")) << text;
  EXPECT_TRUE(Has(text, "jobq_jobs_upstream_cancelled_total 7")) << text;
}

// The dashboard's refusals (--http, issue 19), every reason, and its streams.
TEST(RenderPrometheusTest, HttpRefusalsByReasonAndEventStreams) {
  admin::GetStatusResponse status;
  status.mutable_http_refused()->set_csrf(4);
  status.mutable_http_refused()->set_too_large(2);
  status.set_http_event_streams(7);
  const std::string text = RenderPrometheus(status);
  EXPECT_TRUE(Has(text, "# TYPE jobq_http_refused_total counter")) << text;
  EXPECT_TRUE(Has(text, "jobq_http_refused_total{reason=\"csrf\"} 4")) << text;
  EXPECT_TRUE(Has(text, "jobq_http_refused_total{reason=\"too_large\"} 2")) << text;
  for (const char* reason :
       {"unauthenticated", "forbidden", "bad_request", "not_found", "method", "timeout", "busy"}) {
    EXPECT_TRUE(Has(text, std::string("jobq_http_refused_total{reason=\"") + reason + "\"} 0"))
        << reason;
  }
  EXPECT_TRUE(Has(text, "# TYPE jobq_http_event_streams gauge")) << text;
  EXPECT_TRUE(Has(text, "jobq_http_event_streams 7")) << text;
}

}  // namespace
}  // namespace jobq::broker::metrics
