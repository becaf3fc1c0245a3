// jobq-bench-limits: what rate limits and concurrency caps cost the broker's
// dispatch (issue 17, item 3). Drives a BrokerCore directly, as the loop
// does, on a fake clock: 200,000 queued noop jobs, one worker with 1,000
// I/O slots that answers every DISPATCH with its results and credit. Four
// runs, the same jobs each time:
//
//   none        no limit
//   open        a queue limit and a task limit that never hold a job back
//               (1,000,000/s, burst 1,000,000, cap 1,000,000): the
//               bookkeeping alone
//   rate        the queue limited to 100,000/s (burst 1,000): the loop
//               jumps to the deadline Tick returns, so the figure also
//               shows that Tick wakes exactly at the next token
//   cap         the queue capped at 100 running jobs
//
// Prints "FIGURE limits <run>_jobs_per_s <value>" (jobs through the core
// per second of wall time, results included; a warm_up run first) and, for
// `rate`, the core's own simulated seconds; asserts nothing.

#include <chrono>
#include <cstdio>
#include <string>

#include "bench/jobq/core_worker.h"
#include "broker/core/broker_core.h"

namespace {

using jobq::Command;
using jobq::TimeMs;
using jobq::broker::core::BrokerCore;
using jobq::broker::core::Effects;
using jobq::broker::core::LimitRecord;
namespace wire = jobq::wire;

constexpr size_t kJobs = 200'000;
constexpr size_t kJobsPerSubmit = 1000;
constexpr uint32_t kWorkerCredit = 1000;
constexpr TimeMs kStartMs = 1'800'000'000'000;
constexpr char kWorker[] = "w";

using Clock = std::chrono::steady_clock;

struct Run {
  double seconds = 0;       // of wall time in the core
  TimeMs simulated_ms = 0;  // on the core's clock
};

Run Dispatch(const char* name, const std::vector<LimitRecord>& limits) {
  BrokerCore core{jobq::broker::core::CoreOptions{}};
  Effects effects;
  TimeMs now_ms = kStartMs;
  auto worker_says = [&](const google::protobuf::Message& message, Command command) {
    core.OnWorkerMessage(kWorker, command, message.SerializeAsString(), now_ms, &effects);
  };
  (void)core.Tick(now_ms, &effects);
  for (const LimitRecord& limit : limits) {
    if (!core.SetLimit(limit, now_ms, &effects).ok()) {
      std::printf("NOTE limits %s: SetLimit refused\n", name);
    }
  }
  for (size_t first = 0; first < kJobs; first += kJobsPerSubmit) {
    wire::Submit submit;
    submit.set_first_seq(first + 1);
    for (size_t i = first; i < first + kJobsPerSubmit; ++i) {
      wire::JobSpec& spec = *submit.add_jobs();
      spec.set_task("noop");
      spec.set_payload("{}");
    }
    core.OnClientMessage("producer", Command::kSubmit, submit.SerializeAsString(), now_ms,
                         &effects);
  }
  effects.Clear();
  wire::Hello hello;
  hello.set_name(kWorker);
  wire::PoolCapacity& pool = *hello.add_pools();
  pool.set_kind(wire::KIND_IO);
  pool.set_capacity(kWorkerCredit);
  hello.add_queues("default");
  worker_says(hello, Command::kHello);

  Run run;
  const Clock::time_point start = Clock::now();
  now_ms = jobq::bench::AnswerUntilDone(core, effects, kWorker, now_ms, kJobs);
  run.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  run.simulated_ms = now_ms - kStartMs;
  std::printf("FIGURE limits %s_jobs_per_s %.0f\n", name, static_cast<double>(kJobs) / run.seconds);
  return run;
}

LimitRecord Limit(const std::string& task, int64_t per_second, int64_t burst, int64_t cap) {
  LimitRecord limit;
  limit.queue = "default";
  limit.task = task;
  if (per_second > 0) {
    limit.rate = {per_second, 1000};
    limit.burst = burst;
  }
  limit.concurrency = cap;
  return limit;
}

}  // namespace

int main() {
  Dispatch("warm_up", {});  // allocator and caches warm before the first figure
  Dispatch("none", {});
  Dispatch("open", {Limit("", 1'000'000, 1'000'000, 1'000'000),
                    Limit("noop", 1'000'000, 1'000'000, 1'000'000)});
  const Run rate = Dispatch("rate", {Limit("", 100'000, 1000, 0)});
  std::printf("NOTE limits rate: %zu jobs at 100,000/s took %.3f s on the core's clock\n", kJobs,
              static_cast<double>(rate.simulated_ms) / 1000);
  Dispatch("cap", {Limit("", 0, 0, 100)});
  return 0;
}
