// jobq-bench-delayed: how late a delayed job is dispatched when the broker
// holds 1,000,000 scheduled jobs (issue 17 target: within 10 ms of its
// time). Drives a BrokerCore directly, as the broker's loop does:
//
//   jobq-bench-delayed [--jobs N] [--measure M] [--real-seconds S]
//
// N delayed jobs (not_before_ms spread at random over N × 3.6 ms, an hour
// for a million) are submitted to the core in SUBMITs of 1,000; one worker
// with free credit is registered, and answers every DISPATCH with its
// results and credit, and a heartbeat a second, as a fast worker would.
// Then the loop runs:
//
// * on a fake clock, for the first M due jobs: the clock jumps to the
//   deadline Tick returned (the loop sleeps until it), and each job in that
//   Tick's DISPATCH is late by (now - due) + the Tick's own run time. The
//   first term is the heap's answer (0 when the deadline is the earliest
//   due time); the second is the work done at the due time.
// * on the real clock, for S seconds: the loop sleeps whole milliseconds
//   until the deadline, as the broker's zmq::poll does, reads a
//   millisecond clock, Ticks, and a job is late by the real time after the
//   Tick minus its due time: timer slack and clock granularity included.
//
// Prints "FIGURE delayed <name> <value>" (p50, p99 and max in ms) and
// NOTE lines; asserts nothing. Not included: the network, and the commit
// of the job's new state, which the loop does after sending DISPATCH.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "bench/jobq/flag_parsing.h"
#include "broker/core/broker_core.h"

namespace {

using jobq::Command;
using jobq::JobId;
using jobq::TimeMs;
using jobq::broker::core::BrokerCore;
using jobq::broker::core::Effects;
namespace wire = jobq::wire;

constexpr jobq::bench::Usage kUsage = {
    "jobq-bench-delayed",
    "usage: jobq-bench-delayed [--jobs N] [--measure M] [--real-seconds S]\n"};
constexpr TimeMs kNowMs = 1'800'000'000'000;
// Due times start a minute on, so every job is scheduled, none queued.
constexpr TimeMs kFirstDueMs = kNowMs + 60'000;
// Average gap between due times: 1,000,000 jobs over an hour.
constexpr double kGapMs = 3.6;
constexpr size_t kJobsPerSubmit = 1000;
constexpr char kWorker[] = "w";
constexpr uint32_t kWorkerCredit = 1000;
constexpr TimeMs kWorkerHeartbeatMs = 1000;

using Clock = std::chrono::steady_clock;

double MillisecondsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// The wire message the core sent `peer` with `command` in this step, if any.
template <typename Message>
const Message* SentTo(const Effects& effects, const std::string& peer, Command command) {
  for (const jobq::broker::core::Outbound& out : effects.outbound) {
    if (out.routing_id == peer && out.command == command) {
      return static_cast<const Message*>(out.body.get());
    }
  }
  return nullptr;
}

void PrintPercentiles(const char* name, std::vector<double> values) {
  if (values.empty()) {
    std::printf("NOTE delayed %s: nothing measured\n", name);
    return;
  }
  std::sort(values.begin(), values.end());
  auto at = [&](double fraction) {
    const size_t rank = static_cast<size_t>(fraction * static_cast<double>(values.size()));
    return values[std::min(values.size() - 1, rank)];
  };
  std::printf("FIGURE delayed %s_p50_ms %.4f\n", name, at(0.50));
  std::printf("FIGURE delayed %s_p99_ms %.4f\n", name, at(0.99));
  std::printf("FIGURE delayed %s_max_ms %.4f\n", name, values.back());
}

// The core, its one worker and producer, and the due time of every job.
class Bench {
 public:
  explicit Bench(size_t jobs) : core_(jobq::broker::core::CoreOptions{}) {
    due_by_id_.reserve(jobs);
    (void)core_.Tick(kNowMs, &effects_);
    wire::Hello hello;
    hello.set_name(kWorker);
    hello.set_host("bench");
    wire::PoolCapacity& pool = *hello.add_pools();
    pool.set_kind(wire::KIND_IO);
    pool.set_capacity(kWorkerCredit);
    hello.add_queues("default");
    Step(hello, Command::kHello, kNowMs);
  }

  // Submits `jobs` delayed jobs; returns the seconds it took the core.
  double Schedule(size_t jobs) {
    std::mt19937_64 random(/*seed=*/17);
    std::uniform_int_distribution<TimeMs> due(
        kFirstDueMs, kFirstDueMs + static_cast<TimeMs>(kGapMs * static_cast<double>(jobs)));
    double seconds = 0;
    for (size_t first = 0; first < jobs; first += kJobsPerSubmit) {
      wire::Submit submit;
      submit.set_first_seq(first + 1);
      std::vector<TimeMs> dues;
      for (size_t i = first; i < std::min(jobs, first + kJobsPerSubmit); ++i) {
        wire::JobSpec& spec = *submit.add_jobs();
        spec.set_task("report");
        spec.set_payload("{}");
        spec.set_max_attempts(1);
        dues.push_back(due(random));
        spec.set_not_before_ms(dues.back());
      }
      const std::string body = submit.SerializeAsString();
      effects_.Clear();
      const Clock::time_point start = Clock::now();
      core_.OnClientMessage("producer", Command::kSubmit, body, kNowMs, &effects_);
      seconds += MillisecondsSince(start) / 1000;
      const auto* acks = SentTo<wire::Submitted>(effects_, "producer", Command::kSubmitted);
      for (int i = 0; acks != nullptr && i < acks->acks_size(); ++i) {
        if (std::optional<JobId> id = JobId::FromBytes(acks->acks(i).id())) {
          due_by_id_.emplace(*id, dues[static_cast<size_t>(i)]);
        }
      }
    }
    return seconds;
  }

  size_t scheduled() const { return due_by_id_.size(); }

  // One loop iteration at `now_ms` that starts with the timers: returns
  // the next deadline; *tick_ms is the Tick's run time and *due_ms gets
  // the due time of each job it dispatched. The worker's answer follows,
  // untimed.
  TimeMs Tick(TimeMs now_ms, double* tick_ms, std::vector<TimeMs>* due_ms) {
    effects_.Clear();
    const Clock::time_point start = Clock::now();
    const TimeMs deadline_ms = core_.Tick(now_ms, &effects_);
    *tick_ms = MillisecondsSince(start);
    due_ms->clear();
    wire::WorkerResults results;
    if (const auto* dispatch = SentTo<wire::Dispatch>(effects_, kWorker, Command::kDispatch)) {
      for (const wire::DispatchedJob& job : dispatch->jobs()) {
        due_ms->push_back(due_by_id_.at(*JobId::FromBytes(job.id())));
        wire::JobResult& result = *results.add_results();
        result.set_id(job.id());
        result.set_attempt(job.attempt());
        result.set_ok(true);
        result.set_result("null");
      }
    }
    if (results.results_size() > 0) {
      Step(results, Command::kWorkerResult, now_ms);
      wire::Credit credit;
      credit.set_kind(wire::KIND_IO);
      credit.set_credits(static_cast<uint32_t>(results.results_size()));
      Step(credit, Command::kCredit, now_ms);
    }
    if (now_ms >= next_heartbeat_ms_) {
      Step(wire::Heartbeat(), Command::kWorkerHeartbeat, now_ms);
      next_heartbeat_ms_ = now_ms + kWorkerHeartbeatMs;
    }
    return deadline_ms;
  }

 private:
  void Step(const google::protobuf::Message& message, Command command, TimeMs now_ms) {
    effects_.Clear();
    core_.OnWorkerMessage(kWorker, command, message.SerializeAsString(), now_ms, &effects_);
    (void)core_.Tick(now_ms, &effects_);
  }

  BrokerCore core_;
  Effects effects_;
  absl::flat_hash_map<JobId, TimeMs> due_by_id_;
  TimeMs next_heartbeat_ms_ = kNowMs;
};

struct Lateness {
  std::vector<double> late_ms;  // per dispatched job
  std::vector<double> tick_ms;  // per Tick that dispatched
  size_t early = 0;             // dispatched before their time: must stay 0
  TimeMs end_ms = kNowMs;       // the core's time at the end
};

// Fake clock: the loop wakes exactly at each deadline.
Lateness RunOnFakeClock(Bench& bench, size_t measure) {
  Lateness out;
  std::vector<TimeMs> due_ms;
  double tick_ms = 0;
  TimeMs now_ms = kNowMs;
  TimeMs deadline_ms = bench.Tick(now_ms, &tick_ms, &due_ms);
  while (out.late_ms.size() < measure) {
    now_ms = std::max(now_ms, deadline_ms);
    deadline_ms = bench.Tick(now_ms, &tick_ms, &due_ms);
    if (due_ms.empty()) {
      continue;  // a heartbeat or liveness deadline
    }
    out.tick_ms.push_back(tick_ms);
    for (TimeMs due : due_ms) {
      out.early += now_ms < due ? 1 : 0;
      out.late_ms.push_back(static_cast<double>(now_ms - due) + tick_ms);
    }
  }
  out.end_ms = now_ms;
  return out;
}

// Real clock: millisecond sleeps and a millisecond clock, as the broker's
// loop has, for `seconds` from the core's time `start_ms`.
Lateness RunOnRealClock(Bench& bench, TimeMs start_ms, double seconds) {
  Lateness out;
  const Clock::time_point start = Clock::now();
  auto elapsed_ms = [&] { return MillisecondsSince(start); };
  auto now_ms = [&] { return start_ms + static_cast<TimeMs>(elapsed_ms()); };
  std::vector<TimeMs> due_ms;
  double tick_ms = 0;
  TimeMs deadline_ms = bench.Tick(now_ms(), &tick_ms, &due_ms);
  while (elapsed_ms() < seconds * 1000) {
    const TimeMs wait_ms = std::max<TimeMs>(0, deadline_ms - now_ms());
    std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms));
    const TimeMs tick_now_ms = now_ms();
    deadline_ms = bench.Tick(tick_now_ms, &tick_ms, &due_ms);
    const double after_ms = elapsed_ms();
    if (due_ms.empty()) {
      continue;
    }
    out.tick_ms.push_back(tick_ms);
    for (TimeMs due : due_ms) {
      out.early += tick_now_ms < due ? 1 : 0;
      out.late_ms.push_back(after_ms - static_cast<double>(due - start_ms));
    }
  }
  out.end_ms = now_ms();
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  size_t jobs = 1'000'000;
  size_t measure = 20'000;
  double real_seconds = 5;
  jobq::bench::ParseFlagPairs(
      argc, argv, kUsage,
      {{"--jobs",
        [&](const std::string& value) {
          if (!jobq::bench::ParseWholeNumber(value, &jobs) || jobs == 0) {
            kUsage.Exit("--jobs takes a whole number of at least 1, not \"" + value + "\"");
          }
        }},
       {"--measure",
        [&](const std::string& value) {
          if (!jobq::bench::ParseWholeNumber(value, &measure) || measure == 0) {
            kUsage.Exit("--measure takes a whole number of at least 1, not \"" + value + "\"");
          }
        }},
       {"--real-seconds", [&](const std::string& value) {
          size_t whole = 0;
          if (!jobq::bench::ParseWholeNumber(value, &whole)) {
            kUsage.Exit("--real-seconds takes a whole number, not \"" + value + "\"");
          }
          real_seconds = static_cast<double>(whole);
        }}});
  // Measured jobs leave the heap: keep most of it there.
  measure = std::min(measure, jobs / 2 + 1);

  Bench bench(jobs);
  const double schedule_seconds = bench.Schedule(jobs);
  std::printf("NOTE delayed %zu jobs scheduled, due over %.0f s from a minute on\n",
              bench.scheduled(), kGapMs * static_cast<double>(jobs) / 1000);
  std::printf("FIGURE delayed schedule_jobs_per_s %.0f\n",
              static_cast<double>(bench.scheduled()) / schedule_seconds);

  const Lateness fake = RunOnFakeClock(bench, measure);
  std::printf("NOTE delayed fake clock: the first %zu due jobs, %zu early\n", fake.late_ms.size(),
              fake.early);
  PrintPercentiles("tick", fake.tick_ms);
  PrintPercentiles("late", fake.late_ms);

  if (real_seconds > 0) {
    const Lateness real = RunOnRealClock(bench, fake.end_ms, real_seconds);
    std::printf("NOTE delayed real clock, %.0f s: %zu due jobs, %zu early\n", real_seconds,
                real.late_ms.size(), real.early);
    PrintPercentiles("real_late", real.late_ms);
  }
  return 0;
}
