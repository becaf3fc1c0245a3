// jobq-bench-workflows: what a workflow's edges cost the broker (issue 18,
// item 6). Drives a BrokerCore directly, as the loop does, on a fake clock:
// a chord of 100,000 noop nodes and one callback that waits for all of
// them, against the same 100,001 jobs submitted without edges; one worker
// with 1,000 I/O slots answers every DISPATCH with its results and credit.
//
// Prints, per run ("plain", "chord"):
//   FIGURE workflows <run>_submit_ms      accepting the jobs (one WORKFLOW
//                                         message, or SUBMITs of 10,000)
//   FIGURE workflows <run>_jobs_per_s     jobs through the core per second
//                                         of wall time, results included
//   FIGURE workflows <run>_bytes_per_job  resident memory the kept jobs add
//                                         (RSS after the submit, less before)
// and FIGURE workflows chord_vs_plain_percent. Asserts nothing. The broker's
// whole loop, sockets and store included, is measured end to end by
// bench/jobq/workflow_e2e.sh.

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>

#include "bench/jobq/core_worker.h"
#include "broker/core/broker_core.h"

namespace {

using jobq::Command;
using jobq::TimeMs;
using jobq::broker::core::BrokerCore;
using jobq::broker::core::Effects;
namespace wire = jobq::wire;

constexpr size_t kNodes = 100'000;
constexpr size_t kJobsPerSubmit = 10'000;
constexpr uint32_t kWorkerCredit = 1000;
constexpr TimeMs kStartMs = 1'800'000'000'000;
constexpr char kWorker[] = "w";

using Clock = std::chrono::steady_clock;

size_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  size_t pages = 0;
  size_t resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<size_t>(::sysconf(_SC_PAGESIZE));
}

struct Figures {
  double submit_ms = 0;
  double jobs_per_s = 0;
  double bytes_per_job = 0;
};

Figures Run(const char* name, bool chord) {
  jobq::broker::core::CoreOptions options;
  options.workflow_nodes_max = kNodes + 1;
  BrokerCore core{options};
  Effects effects;
  TimeMs now_ms = kStartMs;
  auto worker_says = [&](const google::protobuf::Message& message, Command command) {
    core.OnWorkerMessage(kWorker, command, message.SerializeAsString(), now_ms, &effects);
  };
  (void)core.Tick(now_ms, &effects);

  // Built before the clock starts: what a client sends, not what the broker does.
  std::vector<std::string> bodies;
  if (chord) {
    wire::SubmitWorkflow flow;
    flow.set_client_seq(1);
    wire::WorkflowNode callback;
    callback.set_name("sum");
    callback.mutable_job()->set_task("noop");
    for (size_t i = 0; i < kNodes; ++i) {
      wire::WorkflowNode& node = *flow.add_nodes();
      node.set_name("part-" + std::to_string(i));
      node.mutable_job()->set_task("noop");
      callback.add_after(node.name());
    }
    *flow.add_nodes() = std::move(callback);
    bodies.push_back(flow.SerializeAsString());
  } else {
    for (size_t first = 0; first <= kNodes; first += kJobsPerSubmit) {
      wire::Submit submit;
      submit.set_first_seq(first + 1);
      for (size_t i = first; i < std::min(first + kJobsPerSubmit, kNodes + 1); ++i) {
        submit.add_jobs()->set_task("noop");
      }
      bodies.push_back(submit.SerializeAsString());
    }
  }
  const size_t rss_before = ResidentBytes();
  Clock::time_point start = Clock::now();
  for (const std::string& body : bodies) {
    core.OnClientMessage("producer", chord ? Command::kSubmitWorkflow : Command::kSubmit, body,
                         now_ms, &effects);
  }
  Figures figures;
  figures.submit_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  figures.bytes_per_job = static_cast<double>(ResidentBytes() - rss_before) / (kNodes + 1);
  effects.Clear();

  wire::Hello hello;
  hello.set_name(kWorker);
  wire::PoolCapacity& pool = *hello.add_pools();
  pool.set_kind(wire::KIND_IO);
  pool.set_capacity(kWorkerCredit);
  hello.add_queues("default");
  start = Clock::now();
  worker_says(hello, Command::kHello);
  jobq::bench::AnswerUntilDone(core, effects, kWorker, now_ms, kNodes + 1);
  figures.jobs_per_s =
      static_cast<double>(kNodes + 1) / std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("FIGURE workflows %s_submit_ms %.1f\n", name, figures.submit_ms);
  std::printf("FIGURE workflows %s_jobs_per_s %.0f\n", name, figures.jobs_per_s);
  std::printf("FIGURE workflows %s_bytes_per_job %.0f\n", name, figures.bytes_per_job);
  return figures;
}

// Each run in a process of its own, so that its memory figure starts from a
// fresh heap (the allocator keeps what an earlier run freed); the rate comes
// back through a pipe.
double RunAlone(const char* name, bool chord) {
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) {
    return 0;
  }
  std::fflush(stdout);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(pipe_fds[0]);
    const Figures figures = Run(name, chord);
    std::fflush(stdout);
    (void)!::write(pipe_fds[1], &figures.jobs_per_s, sizeof(figures.jobs_per_s));
    ::_exit(0);
  }
  ::close(pipe_fds[1]);
  double jobs_per_s = 0;
  (void)!::read(pipe_fds[0], &jobs_per_s, sizeof(jobs_per_s));
  ::close(pipe_fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return jobs_per_s;
}

}  // namespace

int main() {
  const double plain = RunAlone("plain", false);
  const double chord = RunAlone("chord", true);
  if (plain > 0) {
    std::printf("FIGURE workflows chord_vs_plain_percent %.0f\n", 100.0 * chord / plain);
  }
  return 0;
}
