// jobq-broker's command line (broker/broker_config.h): flags, durations and
// --queue NAME:retries=N,backoff=D. Any argv must give a config or an exit
// code, never an exception or an abort; a config must be one the broker
// core can run with.
//
// Input: one argument per line (tests/fuzz/fuzz_input.h, Argv).

#include <cstdint>
#include <optional>
#include <string_view>

#include "broker/broker_config.h"
#include "common/check.h"
#include "tests/fuzz/fuzz_input.h"

namespace {

constexpr int64_t kTenYearsMs = 10LL * 365 * 24 * 3600 * 1000;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace jobq::broker;
  jobq::fuzz::Argv argv("jobq-broker", std::string_view(reinterpret_cast<const char*>(data), size));
  int exit_code = -1;
  std::optional<BrokerConfig> config;
  {
    jobq::fuzz::QuietStreams quiet;  // usage and errors go to stdout and stderr
    config = ParseBrokerFlags(argv.argc(), argv.argv(), &exit_code);
  }
  if (!config) {
    JOBQ_CHECK(exit_code == 0 || exit_code == 2);
    return 0;
  }
  JOBQ_CHECK(exit_code == -1);
  const jobq::broker::core::CoreOptions& core = config->core;
  JOBQ_CHECK(core.backoff_ms > 0 && core.backoff_ms <= core.backoff_max_ms);
  JOBQ_CHECK(core.backoff_max_ms <= kTenYearsMs);
  for (int64_t ttl : {core.result_ttl_ms, core.dead_ttl_ms, core.lease_grace_ms}) {
    JOBQ_CHECK(ttl >= 0 && ttl <= kTenYearsMs);
  }
  JOBQ_CHECK(core.max_attempts >= 1);
  JOBQ_CHECK(core.heartbeat_interval_ms >= 10 && core.liveness_misses >= 1);
  JOBQ_CHECK(core.queue_depth_max > 0);
  for (const auto& [name, defaults] : core.queue_defaults) {
    JOBQ_CHECK(!name.empty());
    JOBQ_CHECK(defaults.backoff_ms >= 0 && defaults.backoff_ms <= kTenYearsMs);
  }
  JOBQ_CHECK(config->store == "memory" ||
             (config->store.rfind("sqlite:", 0) == 0 && config->store.size() > 7));
  return 0;
}
