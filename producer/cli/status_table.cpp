#include "producer/cli/status_table.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "producer/cli/limits_table.h"
#include "producer/cli/schedule_tables.h"

namespace jobq::cli {
namespace {

using Row = TableRow;

std::string FormatPools(const admin::WorkerStatus& worker) {
  std::vector<std::string> pools;
  for (const admin::PoolStatus& pool : worker.pools()) {
    pools.push_back(absl::StrCat(pool.kind(), " ", pool.in_flight(), "/", pool.capacity()));
  }
  return pools.empty() ? "-" : absl::StrJoin(pools, ", ");
}

// QueueStatus has no scheduled count; the figures of the same answer,
// filled at the same moment, do (delayed jobs and retries waiting for
// their backoff).
uint64_t ScheduledJobs(const admin::Figures& figures, const std::string& queue) {
  for (const admin::QueueFigures& depth : figures.queues()) {
    if (depth.name() == queue) {
      return depth.scheduled();
    }
  }
  return 0;
}

}  // namespace

std::string FormatTable(const std::vector<TableRow>& rows) {
  std::vector<size_t> widths;
  for (const Row& row : rows) {
    widths.resize(std::max(widths.size(), row.size()), 0);
    for (size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  }
  std::string out;
  for (const Row& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      out += row[i];
      if (i + 1 < row.size()) {
        out.append(widths[i] - row[i].size() + 2, ' ');
      }
    }
    out += '\n';
  }
  return out;
}

std::string FormatDuration(int64_t ms) {
  const int64_t total_seconds = std::max<int64_t>(0, ms / 1000);
  const int64_t days = total_seconds / 86400;
  const int64_t hours = total_seconds / 3600 % 24;
  const int64_t minutes = total_seconds / 60 % 60;
  const int64_t seconds = total_seconds % 60;
  if (days > 0) {
    return absl::StrFormat("%dd %02dh %02dm", days, hours, minutes);
  }
  if (hours > 0) {
    return absl::StrFormat("%dh %02dm %02ds", hours, minutes, seconds);
  }
  if (minutes > 0) {
    return absl::StrFormat("%dm %02ds", minutes, seconds);
  }
  return absl::StrFormat("%ds", seconds);
}

std::string FormatHeartbeatAge(int64_t ms_ago) {
  if (ms_ago < 0) {
    return "-";
  }
  if (ms_ago < 60'000) {
    return absl::StrFormat("%.1fs ago", static_cast<double>(ms_ago) / 1000.0);
  }
  return absl::StrCat(FormatDuration(ms_ago), " ago");
}

std::string FormatBytes(uint64_t bytes) {
  if (bytes < 1024) {
    return absl::StrCat(bytes, " B");
  }
  static constexpr const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes) / 1024.0;
  size_t unit = 0;
  while (value >= 1024.0 && unit + 1 < std::size(kUnits)) {
    value /= 1024.0;
    ++unit;
  }
  return absl::StrFormat("%.1f %s", value, kUnits[unit]);
}

std::string FormatThroughput(const admin::ThroughputFigures& throughput) {
  auto rates = [](const admin::RateFigures& rate) {
    return absl::StrFormat("%.1f, %.1f, %.1f", rate.last_1s(), rate.last_10s(), rate.last_60s());
  };
  return absl::StrCat("jobs/s over the last 1s, 10s, 60s: submitted ",
                      rates(throughput.submitted()), "; finished ", rates(throughput.finished()));
}

std::string FormatLatency(double seconds) {
  if (seconds < 0.001) {
    return absl::StrFormat("%.0fus", seconds * 1e6);
  }
  if (seconds < 1) {
    return absl::StrFormat("%.1fms", seconds * 1e3);
  }
  if (seconds < 60) {
    return absl::StrFormat("%.2fs", seconds);
  }
  return FormatDuration(static_cast<int64_t>(seconds * 1000));
}

std::vector<TableRow> LatencyRows(const admin::Figures& figures) {
  std::vector<Row> rows = {
      {"TASK", "RUNS", "RUN P50", "RUN P90", "RUN P99", "WAIT P50", "WAIT P90", "WAIT P99"}};
  // A percentile of nothing is not zero: "-" says none was measured yet.
  auto percentiles = [](const admin::LatencyFigures& latency, Row* row) {
    for (double seconds : {latency.p50_seconds(), latency.p90_seconds(), latency.p99_seconds()}) {
      row->push_back(latency.count() == 0 ? "-" : FormatLatency(seconds));
    }
  };
  for (const admin::TaskFigures& task : figures.tasks()) {
    Row row = {task.task(), absl::StrCat(task.run_time().count())};
    percentiles(task.run_time(), &row);
    percentiles(task.queue_wait(), &row);
    rows.push_back(std::move(row));
  }
  return rows;
}

namespace {

// A line while the store is unreachable (a postgres store), else "".
std::string FormatStoreTrouble(const admin::StoreHealth& health) {
  if (health.reachable() || health.last_error().empty()) {
    return "";
  }
  return absl::StrCat("            UNREACHABLE for ", FormatDuration(health.unreachable_ms()), " (",
                      health.retries(), " retries; acknowledgements wait): ", health.last_error(),
                      "\n");
}

// Brokers sharing a postgres store: "role  leader (epoch 3)" or who leads.
std::string FormatRole(const admin::GetStatusResponse& status) {
  const admin::Leadership& leadership = status.leadership();
  if (leadership.role().empty()) {
    return "";
  }
  if (leadership.role() == "leader") {
    return absl::StrCat("role        leader ", leadership.name(), " (epoch ", leadership.epoch(),
                        ")\n");
  }
  if (leadership.leader().empty()) {
    return absl::StrCat("role        standby ", leadership.name(),
                        "; no leader now: a standby takes over when the last lease lapses\n");
  }
  return absl::StrCat("role        standby of ", leadership.leader(), " (epoch ",
                      leadership.epoch(), "; frontend ", leadership.leader_frontend(), ", admin ",
                      leadership.leader_admin(), ")\n");
}

}  // namespace

std::string FormatStatusTable(const admin::GetStatusResponse& status) {
  const admin::Counters& counters = status.counters();
  // Keys padded to one width so that the values line up.
  std::string out = absl::StrCat(
      "broker      version ", status.version().empty() ? "?" : status.version(), ", up ",
      FormatDuration(status.uptime_ms()), "\n", "store       ", status.store(),
      status.durable() ? " (durable)" : " (not durable: jobs are lost when the broker stops)", "\n",
      FormatStoreTrouble(status.store_health()), FormatRole(status));
  if (status.leadership().role() == "standby") {
    return out;  // a standby holds no jobs, queues or workers
  }
  absl::StrAppend(&out, "jobs        submitted ", counters.submitted(), ", succeeded ",
                  counters.succeeded(), ", failed ", counters.failed(), ", requeued ",
                  counters.requeued(), ", rejected ", counters.rejected(), ", results kept ",
                  status.jobs_kept(), "\n", "messages    bad ", counters.bad_messages(),
                  ", late results ", counters.late_results(), "\n");
  // Only on a broker that has seen workflows: most never do.
  const admin::WorkflowCounts& workflows = status.workflows();
  if (counters.workflows_submitted() + counters.workflows_rejected() + workflows.running() +
          workflows.succeeded() + workflows.failed() + workflows.cancelled() >
      0) {
    absl::StrAppend(&out, "workflows   running ", workflows.running(), ", succeeded ",
                    workflows.succeeded(), ", failed ", workflows.failed(), ", cancelled ",
                    workflows.cancelled(), "; submitted ", counters.workflows_submitted(),
                    ", rejected ", counters.workflows_rejected(), ", jobs released ",
                    counters.jobs_released(), ", upstream cancelled ",
                    counters.upstream_cancelled(), "\n");
  }
  absl::StrAppend(&out, "throughput  ", FormatThroughput(status.figures().throughput()), "\n\n");

  if (status.queues().empty()) {
    out += "no queues\n";
  } else {
    std::vector<Row> rows = {
        {"QUEUE", "QUEUED", "SCHEDULED", "RUNNING", "WORKERS", "SENTINELS", "STATE"}};
    for (const admin::QueueStatus& queue : status.queues()) {
      // QueueStatus.queued counts every waiting job, scheduled ones too.
      const uint64_t scheduled =
          std::min(queue.queued(), ScheduledJobs(status.figures(), queue.name()));
      rows.push_back({queue.name(), absl::StrCat(queue.queued() - scheduled),
                      absl::StrCat(scheduled), absl::StrCat(queue.running()),
                      absl::StrCat(queue.workers()), absl::StrCat(queue.sentinels()),
                      QueueState(queue)});
    }
    out += FormatTable(rows);
  }
  out += '\n';

  if (status.workers().empty()) {
    out += "no workers connected\n";
  } else {
    std::vector<Row> rows = {{"WORKER", "HOST", "PID", "STATE", "QUEUES",
                              "POOLS (in-flight/capacity)", "CPU%", "RSS", "DONE", "FAILED",
                              "HEARTBEAT"}};
    for (const admin::WorkerStatus& worker : status.workers()) {
      rows.push_back({worker.name(), worker.host(), absl::StrCat(worker.pid()),
                      worker.state().empty() ? "-" : worker.state(),
                      worker.queues().empty() ? "-" : absl::StrJoin(worker.queues(), ","),
                      FormatPools(worker), absl::StrFormat("%.1f", worker.cpu_percent()),
                      FormatBytes(worker.rss_bytes()), absl::StrCat(worker.jobs_done()),
                      absl::StrCat(worker.jobs_failed()),
                      FormatHeartbeatAge(worker.last_heartbeat_ms_ago())});
    }
    out += FormatTable(rows);
  }
  out += '\n';

  if (status.schedules_total() > 0) {
    admin::ListSchedulesResponse schedules;
    *schedules.mutable_schedules() = status.schedules();
    out += FormatSchedulesTable(schedules);
    if (status.schedules_total() > static_cast<uint32_t>(status.schedules_size())) {
      absl::StrAppend(&out, "... ", status.schedules_total() - status.schedules_size(),
                      " more (jobq schedule list)\n");
    }
    out += '\n';
  }

  // The reference's timing decorator, for every task: how long jobs ran
  // and how long they waited for a worker.
  const std::vector<Row> latency = LatencyRows(status.figures());
  if (latency.size() == 1) {
    out += "no task latencies yet\n";
  } else {
    out += FormatTable(latency);
  }
  return out;
}

}  // namespace jobq::cli
