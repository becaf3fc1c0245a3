#include "producer/cli/top_screen.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "producer/cli/admin_tables.h"
#include "producer/cli/limits_table.h"
#include "producer/cli/status_table.h"

namespace jobq::cli {
namespace {

// Cuts a line to `width` columns. Table cells are ASCII but for names,
// which may be UTF-8: a cut never splits a character.
std::string Fit(std::string line, size_t width) {
  if (line.size() <= width) {
    return line;
  }
  size_t cut = width;
  while (cut > 0 && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80) {
    --cut;
  }
  line.resize(cut);
  return line;
}

void AppendTable(const std::vector<TableRow>& rows, std::vector<std::string>* lines) {
  const std::string text = FormatTable(rows);
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    lines->emplace_back(line);
  }
}

uint64_t Finished(const admin::Counters& counters) {
  return counters.succeeded() + counters.failed();
}

std::string InFlight(const admin::WorkerStatus& worker) {
  uint32_t in_flight = 0;
  uint32_t capacity = 0;
  for (const admin::PoolStatus& pool : worker.pools()) {
    in_flight += pool.in_flight();
    capacity += pool.capacity();
  }
  return absl::StrCat(in_flight, "/", capacity);
}

}  // namespace

std::string FormatRate(uint64_t now_count, uint64_t before_count, int64_t elapsed_ms,
                       bool have_before) {
  if (!have_before || elapsed_ms <= 0 || now_count < before_count) {
    return "-";
  }
  return absl::StrFormat("%.1f/s", static_cast<double>(now_count - before_count) * 1000.0 /
                                       static_cast<double>(elapsed_ms));
}

std::vector<std::vector<std::string>> TopLatencyRows(const admin::GetStatusResponse& status) {
  if (status.figures().tasks().empty()) {
    return {};
  }
  auto percentiles = [](const admin::LatencyFigures& figures) {
    if (figures.count() == 0) {
      return std::string("-");
    }
    return absl::StrCat(FormatLatency(figures.p50_seconds()), " / ",
                        FormatLatency(figures.p90_seconds()), " / ",
                        FormatLatency(figures.p99_seconds()));
  };
  std::vector<std::vector<std::string>> rows = {
      {"TASK", "RUNS", "WAIT p50 / p90 / p99", "RUN p50 / p90 / p99"}};
  for (const admin::TaskFigures& task : status.figures().tasks()) {
    rows.push_back({task.task(), absl::StrCat(task.run_time().count()),
                    percentiles(task.queue_wait()), percentiles(task.run_time())});
  }
  return rows;
}

std::vector<std::string> RenderTopLines(const TopFrame& frame) {
  const admin::GetStatusResponse& status = frame.status;
  const admin::GetStatusResponse* previous = frame.previous;
  const bool have_before = previous != nullptr;
  std::vector<std::string> lines;
  lines.push_back(absl::StrCat(
      "jobq top  ", frame.address, "  version ", status.version().empty() ? "?" : status.version(),
      "  up ", FormatDuration(status.uptime_ms()), status.shutting_down() ? "  SHUTTING DOWN" : "",
      "  ", frame.now_unix_ms > 0 ? FormatUtcMs(frame.now_unix_ms) : "", "   (q to quit)"));
  const admin::Counters& counters = status.counters();
  lines.push_back(absl::StrCat(
      "jobs  submitted ", counters.submitted(), "  succeeded ", counters.succeeded(), "  failed ",
      counters.failed(), "  requeued ", counters.requeued(), "  throughput ",
      FormatRate(Finished(counters), have_before ? Finished(previous->counters()) : 0,
                 frame.elapsed_ms, have_before),
      "  submits ",
      FormatRate(counters.submitted(), have_before ? previous->counters().submitted() : 0,
                 frame.elapsed_ms, have_before)));
  lines.emplace_back();

  if (status.queues().empty()) {
    lines.push_back("no queues");
  } else {
    std::map<std::string, uint64_t> finished_before;
    if (have_before) {
      for (const admin::QueueStatus& queue : previous->queues()) {
        finished_before[queue.name()] = queue.finished();
      }
    }
    std::vector<TableRow> rows = {
        {"QUEUE", "STATE", "QUEUED", "RUNNING", "WORKERS", "FINISHED", "RATE"}};
    for (const admin::QueueStatus& queue : status.queues()) {
      auto before = finished_before.find(queue.name());
      rows.push_back(
          {queue.name(), QueueState(queue), absl::StrCat(queue.queued()),
           absl::StrCat(queue.running()), absl::StrCat(queue.workers()),
           absl::StrCat(queue.finished()),
           FormatRate(queue.finished(), before == finished_before.end() ? 0 : before->second,
                      frame.elapsed_ms, before != finished_before.end())});
    }
    AppendTable(rows, &lines);
  }
  lines.emplace_back();

  if (status.workers().empty()) {
    lines.push_back("no workers connected");
  } else {
    std::vector<TableRow> rows = {
        {"WORKER", "STATE", "IN-FLIGHT", "CPU%", "RSS", "DONE", "FAILED", "HEARTBEAT", "QUEUES"}};
    for (const admin::WorkerStatus& worker : status.workers()) {
      rows.push_back(
          {worker.name(), worker.state().empty() ? "-" : worker.state(), InFlight(worker),
           absl::StrFormat("%.1f", worker.cpu_percent()), FormatBytes(worker.rss_bytes()),
           absl::StrCat(worker.jobs_done()), absl::StrCat(worker.jobs_failed()),
           absl::StrFormat(
               "%.1fs",
               static_cast<double>(std::max<int64_t>(0, worker.last_heartbeat_ms_ago())) / 1000.0),
           worker.queues().empty() ? "-" : absl::StrJoin(worker.queues(), ",")});
    }
    AppendTable(rows, &lines);
  }
  lines.emplace_back();

  std::vector<std::vector<std::string>> latency = TopLatencyRows(status);
  if (latency.empty()) {
    lines.push_back("latency: not reported by this broker");
  } else {
    AppendTable(latency, &lines);
  }

  for (std::string& line : lines) {
    line = Fit(std::move(line), frame.width);
  }
  if (frame.height > 0 && lines.size() > frame.height) {
    const size_t kept = frame.height - 1;
    const size_t left_out = lines.size() - kept;
    lines.resize(kept);
    lines.push_back(
        Fit(absl::StrCat("... ", left_out, " more lines: enlarge the terminal"), frame.width));
  }
  return lines;
}

}  // namespace jobq::cli
