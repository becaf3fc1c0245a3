// jobq-broker's command line (broker/broker_config.h): flags, durations and
// --queue NAME:retries=N,backoff=D. Any argv must give a config, help or a
// usage error, never an exception or an abort; a config must be one the
// broker core can run with.
//
// Input: one argument per line (tests/fuzz/fuzz_input.h, Argv).

#include <cstdint>
#include <string>
#include <string_view>

#include "broker/broker_config.h"
#include "common/check.h"
#include "tests/fuzz/fuzz_input.h"

namespace {

constexpr int64_t kTenYearsMs = 10LL * 365 * 24 * 3600 * 1000;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace jobq::broker;
  using Action = jobq::FlagsOutcome::Action;
  jobq::fuzz::Argv argv("jobq-broker", std::string_view(reinterpret_cast<const char*>(data), size));
  BrokerConfig config;
  jobq::FlagsOutcome outcome;
  {
    jobq::fuzz::QuietStreams quiet;  // in case anything still writes to them
    outcome = ParseBrokerFlags(argv.argc(), argv.argv(), &config);
  }
  if (outcome.action == Action::kUsageError) {
    JOBQ_CHECK(!outcome.text.empty() && outcome.text.back() == '\n');
    return 0;
  }
  if (outcome.action == Action::kPrintHelp) {
    return 0;
  }
  const jobq::broker::core::CoreOptions& core = config.core;
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
  auto is_store = [](const std::string& store) {
    return (store.rfind("sqlite:", 0) == 0 && store.size() > 7) ||
           store.rfind("postgres://", 0) == 0 || store.rfind("postgresql://", 0) == 0;
  };
  JOBQ_CHECK(config.store == "memory" || is_store(config.store));
  // --migrate-store: both stores or neither, two different ones, never memory.
  JOBQ_CHECK(config.migrate_from.empty() == config.migrate_to.empty());
  if (!config.migrate_from.empty()) {
    JOBQ_CHECK(is_store(config.migrate_from) && is_store(config.migrate_to));
    JOBQ_CHECK(config.migrate_from != config.migrate_to);
  }
  return 0;
}
