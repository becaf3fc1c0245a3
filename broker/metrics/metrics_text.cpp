#include "broker/metrics/metrics_text.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <map>
#include <utility>
#include <vector>

#include "common/job_state.h"

namespace jobq::broker::metrics {
namespace {

using Labels = std::vector<std::pair<const char*, std::string>>;

// Integers print as integers (counts stay exact past a million, where %g
// would round them); other values in the shortest text that reads back as
// the same double ("5e-05", "0.25"), as Prometheus' own clients write them.
std::string FormatValue(double value) {
  if (std::isnan(value)) {
    return "NaN";
  }
  if (std::isinf(value)) {
    return value > 0 ? "+Inf" : "-Inf";
  }
  char text[32];
  if (value == std::floor(value) && std::fabs(value) < 9.007199254740992e15) {
    std::snprintf(text, sizeof(text), "%.0f", value);
    return text;
  }
  const std::to_chars_result written = std::to_chars(text, text + sizeof(text), value);
  return std::string(text, written.ptr);
}

// Label values may hold anything a producer chose as a queue or task name.
std::string EscapeLabel(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

class Writer {
 public:
  // Starts a family: its HELP and TYPE lines. Every family has help text,
  // as `promtool check metrics` asks.
  void Family(const char* name, const char* type, const char* help) {
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    out_ += help;
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }

  void Sample(const std::string& name, const Labels& labels, double value) {
    out_ += name;
    if (!labels.empty()) {
      out_ += '{';
      for (size_t i = 0; i < labels.size(); ++i) {
        if (i > 0) {
          out_ += ',';
        }
        out_ += labels[i].first;
        out_ += "=\"";
        out_ += EscapeLabel(labels[i].second);
        out_ += '"';
      }
      out_ += '}';
    }
    out_ += ' ';
    out_ += FormatValue(value);
    out_ += '\n';
  }

  // One histogram series: cumulative buckets at `bounds`, +Inf, _sum, _count.
  void Histogram(const std::string& name, const Labels& labels,
                 const ::jobq::admin::LatencyFigures& figures,
                 const google::protobuf::RepeatedField<double>& bounds) {
    Labels with_le = labels;
    with_le.emplace_back("le", "");
    // A snapshot whose counts do not match the bounds (none recorded yet,
    // or from another version) still gives a valid histogram: +Inf only.
    if (figures.cumulative_counts_size() == bounds.size()) {
      for (int i = 0; i < bounds.size(); ++i) {
        with_le.back().second = FormatValue(bounds[i]);
        Sample(name + "_bucket", with_le, static_cast<double>(figures.cumulative_counts(i)));
      }
    }
    with_le.back().second = "+Inf";
    Sample(name + "_bucket", with_le, static_cast<double>(figures.count()));
    Sample(name + "_sum", labels, figures.sum_seconds());
    Sample(name + "_count", labels, static_cast<double>(figures.count()));
  }

  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

}  // namespace

std::string RenderPrometheus(const ::jobq::admin::GetStatusResponse& status) {
  const ::jobq::admin::Figures& figures = status.figures();
  const auto& bounds = figures.bucket_bounds_seconds();
  Writer out;

  out.Family("jobq_broker_info", "gauge", "The broker's version and store; always 1.");
  out.Sample("jobq_broker_info",
             {{"version", status.version()},
              {"store", status.store()},
              {"durable", status.durable() ? "true" : "false"}},
             1);
  out.Family("jobq_broker_uptime_seconds", "gauge", "Time since the broker started.");
  out.Sample("jobq_broker_uptime_seconds", {}, static_cast<double>(status.uptime_ms()) / 1000);
  out.Family("jobq_broker_shutting_down", "gauge",
             "1 while a Shutdown(drain) waits for the workers to drain.");
  out.Sample("jobq_broker_shutting_down", {}, status.shutting_down() ? 1 : 0);

  // By queue and task. Producers name both, so the broker tells apart at
  // most 100 of each; the rest add up under "other".
  struct CountFamily {
    const char* name;
    const char* help;
    uint64_t (::jobq::admin::JobCountFigures::*field)() const;
  };
  const CountFamily count_families[] = {
      {"jobq_jobs_submitted_total", "Jobs accepted, by queue and task.",
       &::jobq::admin::JobCountFigures::submitted},
      {"jobq_jobs_completed_total", "Jobs that succeeded, by queue and task.",
       &::jobq::admin::JobCountFigures::succeeded},
      {"jobq_jobs_failed_total", "Jobs that failed for good (failed or dead), by queue and task.",
       &::jobq::admin::JobCountFigures::failed},
      {"jobq_jobs_cancelled_total", "Jobs cancelled, by queue and task.",
       &::jobq::admin::JobCountFigures::cancelled},
  };
  for (const CountFamily& family : count_families) {
    out.Family(family.name, "counter", family.help);
    for (const ::jobq::admin::JobCountFigures& counts : figures.job_counts()) {
      out.Sample(family.name, {{"queue", counts.queue()}, {"task", counts.task()}},
                 static_cast<double>((counts.*family.field)()));
    }
  }

  const ::jobq::admin::Counters& counters = status.counters();
  out.Family("jobq_jobs_requeued_total", "counter",
             "Jobs put back in their queue after a lost lease, or retried by an operator.");
  out.Sample("jobq_jobs_requeued_total", {}, static_cast<double>(counters.requeued()));
  out.Family("jobq_jobs_rejected_total", "counter",
             "Submits refused (queue full, bad request, shutting down).");
  out.Sample("jobq_jobs_rejected_total", {}, static_cast<double>(counters.rejected()));
  out.Family("jobq_bad_messages_total", "counter", "Frames answered with ERROR or dropped.");
  out.Sample("jobq_bad_messages_total", {}, static_cast<double>(counters.bad_messages()));
  out.Family("jobq_late_results_total", "counter", "Results ignored as duplicate or stale.");
  out.Sample("jobq_late_results_total", {}, static_cast<double>(counters.late_results()));
  out.Family("jobq_progress_reports_total", "counter",
             "PROGRESS reports: accepted, ignored as late, refused as malformed.");
  out.Sample("jobq_progress_reports_total", {{"outcome", "accepted"}},
             static_cast<double>(counters.progress_accepted()));
  out.Sample("jobq_progress_reports_total", {{"outcome", "late"}},
             static_cast<double>(counters.progress_late()));
  out.Sample("jobq_progress_reports_total", {{"outcome", "refused"}},
             static_cast<double>(counters.progress_refused()));
  const ::jobq::admin::AdminAuthRefusals& refused = status.admin_auth_refused();
  out.Family("jobq_admin_auth_refused_total", "counter",
             "Admin RPCs refused by the token check: no token, an unknown one, or a read "
             "token on an admin RPC.");
  out.Sample("jobq_admin_auth_refused_total", {{"reason", "missing"}},
             static_cast<double>(refused.missing()));
  out.Sample("jobq_admin_auth_refused_total", {{"reason", "unknown"}},
             static_cast<double>(refused.unknown()));
  out.Sample("jobq_admin_auth_refused_total", {{"reason", "forbidden"}},
             static_cast<double>(refused.forbidden()));
  // The dashboard's HTTP server (--http); zeros without it.
  const ::jobq::admin::HttpRefusals& http = status.http_refused();
  out.Family("jobq_http_refused_total", "counter",
             "Dashboard HTTP requests refused, by reason: unauthenticated, forbidden, csrf, "
             "bad_request, not_found, too_large, method, timeout, busy.");
  const std::pair<const char*, uint64_t> http_reasons[] = {
      {"unauthenticated", http.unauthenticated()},
      {"forbidden", http.forbidden()},
      {"csrf", http.csrf()},
      {"bad_request", http.bad_request()},
      {"not_found", http.not_found()},
      {"too_large", http.too_large()},
      {"method", http.method()},
      {"timeout", http.timeout()},
      {"busy", http.busy()}};
  for (const auto& [reason, count] : http_reasons) {
    out.Sample("jobq_http_refused_total", {{"reason", reason}}, static_cast<double>(count));
  }
  out.Family("jobq_http_event_streams", "gauge",
             "Dashboard event streams (GET /api/events) open now.");
  out.Sample("jobq_http_event_streams", {}, static_cast<double>(status.http_event_streams()));
  out.Family("jobq_auth_refused_total", "counter",
             "Clients refused by CURVE authentication (key not allowed on that socket, no "
             "CURVE, wrong broker key), by socket: frontend (producers), backend (workers).");
  out.Sample("jobq_auth_refused_total", {{"socket", "frontend"}},
             static_cast<double>(counters.auth_refused_frontend()));
  out.Sample("jobq_auth_refused_total", {{"socket", "backend"}},
             static_cast<double>(counters.auth_refused_backend()));
  out.Family("jobq_workflows_submitted_total", "counter",
             "Workflows accepted (SUBMIT_WORKFLOW), each whole.");
  out.Sample("jobq_workflows_submitted_total", {},
             static_cast<double>(counters.workflows_submitted()));
  out.Family("jobq_workflows_rejected_total", "counter",
             "Workflows refused whole (a cycle, an unknown or repeated name, too many nodes).");
  out.Sample("jobq_workflows_rejected_total", {},
             static_cast<double>(counters.workflows_rejected()));
  out.Family("jobq_jobs_released_total", "counter",
             "Blocked jobs released: every parent resolved, the job queued.");
  out.Sample("jobq_jobs_released_total", {}, static_cast<double>(counters.jobs_released()));
  out.Family("jobq_jobs_upstream_cancelled_total", "counter",
             "Blocked jobs cancelled because a parent failed (error type upstream_failed).");
  out.Sample("jobq_jobs_upstream_cancelled_total", {},
             static_cast<double>(counters.upstream_cancelled()));
  const ::jobq::admin::WorkflowCounts& workflows = status.workflows();
  out.Family("jobq_workflows", "gauge", "Workflows the broker keeps, by state.");
  out.Sample("jobq_workflows", {{"state", "running"}}, static_cast<double>(workflows.running()));
  out.Sample("jobq_workflows", {{"state", "succeeded"}},
             static_cast<double>(workflows.succeeded()));
  out.Sample("jobq_workflows", {{"state", "failed"}}, static_cast<double>(workflows.failed()));
  out.Sample("jobq_workflows", {{"state", "cancelled"}},
             static_cast<double>(workflows.cancelled()));
  out.Family("jobq_jobs_kept", "gauge", "Jobs the broker holds, finished ones included.");
  out.Sample("jobq_jobs_kept", {}, static_cast<double>(status.jobs_kept()));

  out.Family("jobq_queue_jobs", "gauge",
             "Jobs by queue and state: queued (ready), scheduled (delayed), running.");
  for (const ::jobq::admin::QueueFigures& queue : figures.queues()) {
    out.Sample("jobq_queue_jobs", {{"queue", queue.name()}, {"state", "queued"}},
               static_cast<double>(queue.queued()));
    out.Sample("jobq_queue_jobs", {{"queue", queue.name()}, {"state", "scheduled"}},
               static_cast<double>(queue.scheduled()));
    out.Sample("jobq_queue_jobs", {{"queue", queue.name()}, {"state", "running"}},
               static_cast<double>(queue.running()));
  }
  out.Family("jobq_queue_sentinels", "gauge", "Sentinels not reached yet, by queue.");
  uint64_t in_flight = 0;
  for (const ::jobq::admin::QueueStatus& queue : status.queues()) {
    out.Sample("jobq_queue_sentinels", {{"queue", queue.name()}},
               static_cast<double>(queue.sentinels()));
    in_flight += queue.running();
  }
  out.Family("jobq_queue_limited", "gauge",
             "1 when a queue's next job waits for a rate limit or a concurrency cap (jobq limit).");
  for (const ::jobq::admin::QueueStatus& queue : status.queues()) {
    out.Sample("jobq_queue_limited", {{"queue", queue.name()}}, queue.limited() ? 1.0 : 0.0);
  }
  out.Family("jobq_queue_next_token_seconds", "gauge",
             "Unix time of the next token of a queue held back by its rate limit.");
  for (const ::jobq::admin::QueueStatus& queue : status.queues()) {
    if (queue.limited() && queue.next_token_ms() > 0) {
      out.Sample("jobq_queue_next_token_seconds", {{"queue", queue.name()}},
                 static_cast<double>(queue.next_token_ms()) / 1000.0);
    }
  }
  out.Family("jobq_jobs_in_flight", "gauge", "Jobs leased to workers (running).");
  out.Sample("jobq_jobs_in_flight", {}, static_cast<double>(in_flight));

  // Per schedule: the first kSchedulesInStatusMax by name, as the status has them.
  out.Family("jobq_schedules", "gauge", "Schedules the broker keeps.");
  out.Sample("jobq_schedules", {}, static_cast<double>(status.schedules_total()));
  out.Family("jobq_schedule_next_fire_timestamp_seconds", "gauge",
             "When each schedule fires next (unix seconds); absent while it is paused or broken.");
  for (const ::jobq::admin::ScheduleInfo& schedule : status.schedules()) {
    if (schedule.next_fire_ms() != 0) {
      out.Sample("jobq_schedule_next_fire_timestamp_seconds",
                 {{"schedule", schedule.spec().name()}},
                 static_cast<double>(schedule.next_fire_ms()) / 1000.0);
    }
  }
  out.Family("jobq_schedule_last_fire_timestamp_seconds", "gauge",
             "The firing instant of each schedule's latest job (unix seconds); absent before one.");
  for (const ::jobq::admin::ScheduleInfo& schedule : status.schedules()) {
    if (schedule.last_fire_ms() != 0) {
      out.Sample("jobq_schedule_last_fire_timestamp_seconds",
                 {{"schedule", schedule.spec().name()}},
                 static_cast<double>(schedule.last_fire_ms()) / 1000.0);
    }
  }
  out.Family("jobq_schedule_fired_total", "counter", "Jobs each schedule created.");
  for (const ::jobq::admin::ScheduleInfo& schedule : status.schedules()) {
    out.Sample("jobq_schedule_fired_total", {{"schedule", schedule.spec().name()}},
               static_cast<double>(schedule.fired()));
  }
  out.Family("jobq_schedule_skipped_total", "counter",
             "Firings that created no job (--overlap skip, --catch-up, a full queue).");
  for (const ::jobq::admin::ScheduleInfo& schedule : status.schedules()) {
    out.Sample("jobq_schedule_skipped_total", {{"schedule", schedule.spec().name()}},
               static_cast<double>(schedule.skipped()));
  }
  out.Family("jobq_schedule_last_job_state", "gauge",
             "1 for the state of each schedule's latest job (expired once its result is).");
  for (const ::jobq::admin::ScheduleInfo& schedule : status.schedules()) {
    if (!schedule.last_job_id().empty()) {
      const std::string state = schedule.last_job_state() == ::jobq::wire::JOB_STATE_UNSPECIFIED
                                    ? "expired"
                                    : std::string(JobStateName(schedule.last_job_state()));
      out.Sample("jobq_schedule_last_job_state",
                 {{"schedule", schedule.spec().name()}, {"state", state}}, 1.0);
    }
  }

  // Pools and workers add up over the connected workers; ordered maps keep
  // the output stable.
  std::map<std::string, std::pair<uint64_t, uint64_t>> pools;  // kind -> capacity, in flight
  std::map<std::string, uint64_t> workers = {{"active", 0}, {"draining", 0}};
  for (const ::jobq::admin::WorkerStatus& worker : status.workers()) {
    ++workers[worker.state().empty() ? "active" : worker.state()];
    for (const ::jobq::admin::PoolStatus& pool : worker.pools()) {
      pools[pool.kind()].first += pool.capacity();
      pools[pool.kind()].second += pool.in_flight();
    }
  }
  out.Family("jobq_workers", "gauge", "Connected workers by state.");
  for (const auto& [state, count] : workers) {
    out.Sample("jobq_workers", {{"state", state}}, static_cast<double>(count));
  }
  out.Family("jobq_pool_capacity", "gauge",
             "Slots of the connected workers' pools, by pool (io, cpu).");
  for (const auto& [kind, load] : pools) {
    out.Sample("jobq_pool_capacity", {{"pool", kind}}, static_cast<double>(load.first));
  }
  out.Family("jobq_pool_in_flight", "gauge",
             "Jobs the connected workers' pools run, by pool, as their heartbeats tell.");
  for (const auto& [kind, load] : pools) {
    out.Sample("jobq_pool_in_flight", {{"pool", kind}}, static_cast<double>(load.second));
  }

  out.Family("jobq_task_queue_wait_seconds", "histogram",
             "Time from a job being ready to its dispatch to a worker, by task.");
  for (const ::jobq::admin::TaskFigures& task : figures.tasks()) {
    out.Histogram("jobq_task_queue_wait_seconds", {{"task", task.task()}}, task.queue_wait(),
                  bounds);
  }
  out.Family("jobq_task_run_time_seconds", "histogram",
             "Run time of job attempts as their workers measured it, by task.");
  for (const ::jobq::admin::TaskFigures& task : figures.tasks()) {
    out.Histogram("jobq_task_run_time_seconds", {{"task", task.task()}}, task.run_time(), bounds);
  }
  out.Family("jobq_broker_loop_iteration_seconds", "histogram",
             "One pass of the broker's event loop: read, core, store hand-off, send.");
  out.Histogram("jobq_broker_loop_iteration_seconds", {}, figures.loop_iteration(), bounds);
  out.Family("jobq_store_commit_seconds", "histogram",
             "One commit of the store (a group commit of everything changed since the last).");
  out.Histogram("jobq_store_commit_seconds", {}, figures.store_commit(), bounds);
  return out.Take();
}

}  // namespace jobq::broker::metrics
