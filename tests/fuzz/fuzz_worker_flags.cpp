// jobq-worker's command line (worker/worker_flags.h): any argv must give a
// config, help or a usage error, never an exception or an abort; a config
// must keep the promises of worker_config.h and make a HELLO the broker
// can decode.
//
// Input: one argument per line (tests/fuzz/fuzz_input.h, Argv).

#include <google/protobuf/stubs/logging.h>

#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "common/check.h"
#include "jobq/wire.pb.h"
#include "tests/fuzz/fuzz_input.h"
#include "worker/worker_flags.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);  // the HELLO check may log bad UTF-8
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace jobq::worker;
  using jobq::FlagsOutcome;
  using Action = FlagsOutcome::Action;
  jobq::fuzz::Argv argv("jobq-worker", std::string_view(reinterpret_cast<const char*>(data), size));
  WorkerConfig config;
  FlagsOutcome outcome;
  {
    jobq::fuzz::QuietStreams quiet;
    outcome = ParseWorkerFlags(argv.argc(), argv.argv(), &config);
  }
  if (outcome.action == Action::kUsageError) {
    JOBQ_CHECK(!outcome.text.empty() && outcome.text.back() == '\n');
    return 0;
  }
  if (outcome.action == Action::kPrintHelp) {
    return 0;
  }

  JOBQ_CHECK(!config.queues.empty());
  JOBQ_CHECK(std::set<std::string>(config.queues.begin(), config.queues.end()).size() ==
             config.queues.size());
  for (const std::string& queue : config.queues) {
    JOBQ_CHECK(!queue.empty());
  }
  JOBQ_CHECK(config.io_threads >= 1 && config.io_threads <= kMaxIoThreads);
  JOBQ_CHECK(config.cpu_procs <= kMaxCpuProcs);
  JOBQ_CHECK(config.prefetch <= kMaxPrefetch);
  JOBQ_CHECK(config.drain_grace_ms <= 86'400'000);
  JOBQ_CHECK(!config.name.empty());
  for (const std::string& plugin : config.plugins) {
    JOBQ_CHECK(!plugin.empty());
  }

  // The name and queues travel in HELLO's string fields.
  jobq::wire::Hello hello;
  hello.set_name(config.name);
  for (const std::string& queue : config.queues) {
    hello.add_queues(queue);
  }
  jobq::wire::Hello decoded;
  JOBQ_CHECK(decoded.ParseFromString(hello.SerializeAsString()))
      << "the broker must be able to decode the HELLO of an accepted config";
  return 0;
}
