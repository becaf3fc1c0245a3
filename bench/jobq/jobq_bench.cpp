// jobq-bench: the producer side of bench/run's jobq workloads, on the C++
// client library (the fastest way a user has to submit). The broker and
// the workers are started by bench/run; this program submits and measures.
//
//   jobq-bench --broker EP --mode e2e|enqueue|latency --jobs N --system NAME
//
// Prints `FIGURE <system> <key> <value>` lines (bench/run's format):
//   e2e      jobs_per_s  first submit -> last outcome back here
//   enqueue  jobs_per_s  first submit -> last acknowledgement (no outcome asked)
//   latency  lat_p50_us, lat_p99_us, lat_mean_us  one job at a time, submit -> outcome
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bench/jobq/flag_parsing.h"
#include "producer/client/client.h"
#include "producer/client/completion_queue.h"

namespace {

using Clock = std::chrono::steady_clock;

constexpr jobq::bench::Usage kUsage = {
    "jobq-bench",
    "usage: jobq-bench --broker ENDPOINT --mode e2e|enqueue|latency [--jobs N]\n"
    "                  [--system NAME] [--task NAME] [--payload JSON] [--queue Q]\n"};

struct Flags {
  std::string broker = "tcp://127.0.0.1:5555";
  std::string mode = "e2e";
  std::string system = "jobq";
  std::string task = "noop";
  std::string payload = "{}";
  std::string queue;
  uint64_t jobs = 100'000;
};

Flags ParseFlags(int argc, char** argv) {
  Flags flags;
  jobq::bench::ParseFlagPairs(
      argc, argv, kUsage,
      {{"--broker", jobq::bench::Text(&flags.broker)},
       {"--mode",
        [&](const std::string& value) {
          if (value != "e2e" && value != "enqueue" && value != "latency") {
            kUsage.Exit("--mode must be e2e, enqueue or latency, not \"" + value + "\"");
          }
          flags.mode = value;
        }},
       {"--system", jobq::bench::Text(&flags.system)},
       {"--task", jobq::bench::Text(&flags.task)},
       {"--payload", jobq::bench::Text(&flags.payload)},
       {"--queue", jobq::bench::Text(&flags.queue)},
       {"--jobs", [&](const std::string& value) {
          if (!jobq::bench::ParseWholeNumber(value, &flags.jobs) || flags.jobs == 0) {
            kUsage.Exit("--jobs takes a positive whole number, not \"" + value + "\"");
          }
        }}});
  return flags;
}

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void PrintFigure(const Flags& flags, std::string_view key, double value) {
  std::printf("FIGURE %s %.*s %.1f\n", flags.system.c_str(), static_cast<int>(key.size()),
              key.data(), value);
}

jobq::JobSpec Spec(const Flags& flags) {
  jobq::JobSpec spec;
  spec.set_task(flags.task);
  spec.set_payload(flags.payload);
  spec.set_queue(flags.queue);
  return spec;
}

// Submits every job, then takes futures as they complete. Returns false
// (after saying why) when a job did not end the expected way.
bool RunStream(jobq::Client& client, const Flags& flags, bool notify) {
  jobq::CompletionQueue completions;
  const jobq::JobSpec spec = Spec(flags);
  const Clock::time_point start = Clock::now();
  for (uint64_t i = 0; i < flags.jobs; ++i) {
    client.Submit(spec, {.notify = notify, .tag = i, .completions = &completions});
  }
  uint64_t done = 0;
  while (std::optional<jobq::Future> future = completions.Next()) {
    if (notify) {
      absl::StatusOr<jobq::Outcome> outcome = future->Result();
      if (!outcome.ok() || !outcome->succeeded()) {
        std::fprintf(
            stderr, "jobq-bench: job %llu did not succeed: %s\n",
            static_cast<unsigned long long>(future->tag()),
            outcome.ok() ? outcome->error.message().c_str() : outcome.status().ToString().c_str());
        return false;
      }
    } else {
      absl::StatusOr<jobq::SubmitAck> ack = future->Ack();
      if (!ack.ok() || !ack->accepted()) {
        std::fprintf(stderr, "jobq-bench: job %llu was not accepted: %s\n",
                     static_cast<unsigned long long>(future->tag()),
                     ack.ok() ? ack->error.message().c_str() : ack.status().ToString().c_str());
        return false;
      }
    }
    ++done;
  }
  const double seconds = SecondsSince(start);
  if (done != flags.jobs) {
    std::fprintf(stderr, "jobq-bench: %llu of %llu jobs came back\n",
                 static_cast<unsigned long long>(done),
                 static_cast<unsigned long long>(flags.jobs));
    return false;
  }
  PrintFigure(flags, "jobs_per_s", static_cast<double>(flags.jobs) / seconds);
  return true;
}

bool RunLatency(jobq::Client& client, const Flags& flags, bool report) {
  const jobq::JobSpec spec = Spec(flags);
  std::vector<double> micros;
  micros.reserve(flags.jobs);
  for (uint64_t i = 0; i < flags.jobs; ++i) {
    const Clock::time_point start = Clock::now();
    absl::StatusOr<jobq::Outcome> outcome = client.Submit(spec).Result();
    if (!outcome.ok() || !outcome->succeeded()) {
      std::fprintf(
          stderr, "jobq-bench: job %llu did not succeed: %s\n", static_cast<unsigned long long>(i),
          outcome.ok() ? outcome->error.message().c_str() : outcome.status().ToString().c_str());
      return false;
    }
    micros.push_back(SecondsSince(start) * 1e6);
  }
  if (!report) {
    return true;
  }
  std::sort(micros.begin(), micros.end());
  auto percentile = [&](double p) {
    return micros[std::min(micros.size() - 1, static_cast<size_t>(p * micros.size()))];
  };
  PrintFigure(flags, "lat_p50_us", percentile(0.50));
  PrintFigure(flags, "lat_p99_us", percentile(0.99));
  PrintFigure(flags, "lat_mean_us",
              std::accumulate(micros.begin(), micros.end(), 0.0) / micros.size());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  const Flags flags = ParseFlags(argc, argv);
  jobq::ClientOptions options;
  options.broker_endpoint = flags.broker;
  absl::StatusOr<std::unique_ptr<jobq::Client>> client = jobq::Client::Create(options);
  if (!client.ok()) {
    std::fprintf(stderr, "jobq-bench: %s\n", client.status().ToString().c_str());
    return 2;
  }
  bool ok = false;
  if (flags.mode == "latency") {
    // A warm-up, not counted: the first jobs pay for connecting.
    Flags warm_up = flags;
    warm_up.jobs = std::min<uint64_t>(flags.jobs, 100);
    ok = RunLatency(**client, warm_up, /*report=*/false) &&
         RunLatency(**client, flags, /*report=*/true);
  } else {
    ok = RunStream(**client, flags, /*notify=*/flags.mode == "e2e");
  }
  return ok ? 0 : 1;
}
