// jobq-bench-progress: what PROGRESS reports cost the broker's loop, on the
// core alone (no sockets, no other process taking the cores, so the figure
// holds on a busy machine). 100 jobs run on one worker; another worker
// runs noop jobs of another queue, 100 per round (a SUBMIT, its DISPATCH,
// one RESULT and CREDIT). Each round also takes R PROGRESS messages of one
// report each for the running jobs, round robin: R = 0 is the quiet run;
// the worker's throttle lets 100 jobs send at most 1,000 reports a second.
//
//   jobq-bench-progress [--rounds N]
//
// Prints "FIGURE progress <key> <value>": report_us (the loop's time per
// accepted report), other_jobs_per_s at R = 0, 10, 100 and 1000 reports a
// round (the core's own throughput for the other queue), and
// throttled_loop_percent: the share of one loop thread that 100 jobs at the
// throttle's 10 reports a second each cost.

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "bench/jobq/flag_parsing.h"
#include "broker/core/broker_core.h"

namespace {

using jobq::Command;
using jobq::JobId;
using jobq::TimeMs;
using jobq::broker::core::BrokerCore;
using jobq::broker::core::Effects;
namespace wire = jobq::wire;
using Clock = std::chrono::steady_clock;

constexpr jobq::bench::Usage kUsage = {"jobq-bench-progress",
                                       "usage: jobq-bench-progress [--rounds N]\n"};
constexpr TimeMs kNowMs = 1'800'000'000'000;
constexpr int kBusyJobs = 100;
constexpr int kOtherPerRound = 100;

class Bench {
 public:
  Bench() : core_(jobq::broker::core::CoreOptions{}) {
    (void)core_.Tick(kNowMs, &effects_);
    Hello("busy", "busy", kBusyJobs);
    Hello("other", "other", kOtherPerRound);
    for (const wire::DispatchedJob& job : Submit("busy", kBusyJobs)) {
      wire::ProgressReport report;
      report.set_id(job.id());
      report.set_attempt(job.attempt());
      report.set_total(1'000'000);
      report.set_message("a line for people");
      busy_.push_back(report);
    }
  }

  // Seconds the core spent on `rounds` rounds of 100 other jobs, each with
  // `reports` PROGRESS messages; *report_seconds gets the part they took.
  double Run(int rounds, int reports, double* report_seconds) {
    double total = 0;
    *report_seconds = 0;
    for (int round = 0; round < rounds; ++round) {
      const Clock::time_point start = Clock::now();
      std::vector<wire::DispatchedJob> jobs = Submit("other", kOtherPerRound);
      wire::WorkerResults results;
      for (const wire::DispatchedJob& job : jobs) {
        wire::JobResult& result = *results.add_results();
        result.set_id(job.id());
        result.set_attempt(job.attempt());
        result.set_ok(true);
        result.set_result("null");
      }
      Step("other", Command::kWorkerResult, results.SerializeAsString());
      wire::Credit credit;
      credit.set_kind(wire::KIND_IO);
      credit.set_credits(static_cast<uint32_t>(jobs.size()));
      Step("other", Command::kCredit, credit.SerializeAsString());
      const Clock::time_point reports_start = Clock::now();
      for (int i = 0; i < reports; ++i) {
        wire::ProgressReport& report = busy_[static_cast<size_t>(next_++ % kBusyJobs)];
        report.set_done(report.done() + 1);
        wire::Progress progress;
        *progress.add_reports() = report;
        Step("busy", Command::kProgress, progress.SerializeAsString());
      }
      *report_seconds += Seconds(reports_start);
      total += Seconds(start);
    }
    return total;
  }

  uint64_t accepted() const { return core_.counters().progress_accepted; }

 private:
  static double Seconds(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
  }

  void Step(const std::string& worker, Command command, const std::string& body) {
    effects_.Clear();
    core_.OnWorkerMessage(worker, command, body, kNowMs, &effects_);
    (void)core_.Tick(kNowMs, &effects_);
  }

  void Hello(const std::string& name, const std::string& queue, uint32_t capacity) {
    wire::Hello hello;
    hello.set_name(name);
    wire::PoolCapacity& pool = *hello.add_pools();
    pool.set_kind(wire::KIND_IO);
    pool.set_capacity(capacity);
    hello.add_queues(queue);
    Step(name, Command::kHello, hello.SerializeAsString());
  }

  // Submits `count` noop jobs to `queue`; the jobs the step dispatched.
  std::vector<wire::DispatchedJob> Submit(const std::string& queue, int count) {
    wire::Submit submit;
    submit.set_first_seq(++seq_);
    seq_ += static_cast<uint64_t>(count);
    for (int i = 0; i < count; ++i) {
      wire::JobSpec& spec = *submit.add_jobs();
      spec.set_task("noop");
      spec.set_queue(queue);
    }
    effects_.Clear();
    core_.OnClientMessage("producer", Command::kSubmit, submit.SerializeAsString(), kNowMs,
                          &effects_);
    (void)core_.Tick(kNowMs, &effects_);
    std::vector<wire::DispatchedJob> dispatched;
    for (const jobq::broker::core::Outbound& out : effects_.outbound) {
      if (out.command == Command::kDispatch) {
        for (const wire::DispatchedJob& job :
             static_cast<const wire::Dispatch&>(*out.body).jobs()) {
          dispatched.push_back(job);
        }
      }
    }
    return dispatched;
  }

  BrokerCore core_;
  Effects effects_;
  std::vector<wire::ProgressReport> busy_;
  uint64_t seq_ = 0;
  uint64_t next_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  int rounds = 2000;
  jobq::bench::ParseFlagPairs(argc, argv, kUsage, {{"--rounds", [&](const std::string& value) {
                                                      rounds = std::stoi(value);
                                                      if (rounds <= 0) {
                                                        kUsage.Exit("--rounds must be above 0");
                                                      }
                                                    }}});
  Bench bench;
  double report_seconds = 0;
  (void)bench.Run(rounds / 10, 0, &report_seconds);  // warm up
  const uint64_t accepted_before = bench.accepted();
  double flood_report_seconds = 0;
  (void)bench.Run(rounds, 100, &flood_report_seconds);
  const double per_report_us =
      flood_report_seconds * 1e6 / static_cast<double>(bench.accepted() - accepted_before);
  std::printf("FIGURE progress report_us %.3f\n", per_report_us);
  for (int reports : {0, 10, 100, 1000}) {
    const double seconds = bench.Run(rounds, reports, &report_seconds);
    std::printf("FIGURE progress other_jobs_per_s_%d_reports_a_round %.0f\n", reports,
                rounds * kOtherPerRound / seconds);
  }
  // 100 jobs at the throttle's 10 reports a second each.
  std::printf("FIGURE progress throttled_loop_percent %.4f\n", 1000 * per_report_us / 1e6 * 100);
  return 0;
}
