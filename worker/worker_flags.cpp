#include "worker/worker_flags.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <optional>
#include <set>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/byte_size.h"
#include "common/endpoint_list.h"
#include "common/flag_values.h"
#include "common/utf8.h"

namespace jobq::worker {
namespace {

constexpr char kProgram[] = "jobq-worker";

FlagsOutcome UsageError(const std::string& problem) { return FlagsUsageError(kProgram, problem); }

// "1048576", "512K", "512M", "2G", "1T" (also "512MB", "512MiB"; the
// multipliers are powers of 1024, as RSS is counted in pages). nullopt when
// it is not a size or does not fit 64 bits.
std::optional<uint64_t> ParseByteSize(std::string_view text) {
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') {
    ++digits;
  }
  if (digits == 0) {
    return std::nullopt;
  }
  uint64_t value = 0;
  for (char c : text.substr(0, digits)) {
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (value > (UINT64_MAX - digit) / 10) {
      return std::nullopt;
    }
    value = value * 10 + digit;
  }
  std::string suffix(text.substr(digits));
  std::transform(suffix.begin(), suffix.end(), suffix.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  int shift = 0;
  if (!suffix.empty() && suffix != "B") {
    constexpr std::string_view kUnits = "KMGT";
    const size_t unit = kUnits.find(suffix[0]);
    const std::string_view rest = std::string_view(suffix).substr(1);
    if (unit == std::string_view::npos || !(rest.empty() || rest == "B" || rest == "IB")) {
      return std::nullopt;
    }
    shift = 10 * static_cast<int>(unit + 1);
  }
  if (shift > 0 && value > (UINT64_MAX >> shift)) {
    return std::nullopt;
  }
  return value << shift;
}

}  // namespace

FlagsOutcome ParseWorkerFlags(int argc, const char* const* argv, WorkerConfig* config) {
  CLI::App app(
      "Runs jobs from a jobq broker: I/O-bound tasks on a thread pool, CPU-bound tasks on a "
      "pool of child processes.",
      kProgram);
  // help2man reads "NAME VERSION" for the man page (cmake/ManPages.cmake).
  app.set_version_flag("--version", std::string(kProgram) + " " + JOBQ_VERSION);
  std::string broker = kDefaultBrokerEndpoint;
  std::vector<std::string> queues = {"default"};
  int64_t io_threads = DefaultIoThreads();
  int64_t cpu_procs = DefaultCpuProcs();
  int64_t prefetch = 0;
  int64_t max_jobs_per_child = 0;
  std::string max_rss_per_child = "0";
  std::vector<std::string> plugins;
  std::string name = DefaultWorkerName();
  std::string log_level = "info";
  double drain_grace_seconds = 30;
  std::string exec_output_max = FormatByteSize(kExecOutputMaxBytes);
  app.add_option("--broker", broker,
                 "The broker's worker endpoint; brokers sharing a store: each one's, "
                 "comma-separated (env JOBQ_WORKER_BROKER)")
      ->envname("JOBQ_WORKER_BROKER")
      ->capture_default_str();
  app.add_option("--queues", queues, "Queues to take jobs from, comma-separated")
      ->delimiter(',')
      ->capture_default_str();
  // No captured default for --io-threads, --cpu-procs and --name: it would
  // be this machine's (and the man page, made from --help, the build host's).
  app.add_option("--io-threads", io_threads, "Threads of the I/O pool (default 2 x cores)");
  app.add_option("--cpu-procs", cpu_procs,
                 "Child processes of the CPU pool (default: cores; 0: none, CPU jobs run on the "
                 "I/O pool)");
  app.add_option("--prefetch", prefetch,
                 "Jobs each pool takes beyond one per thread or child, so that short jobs never "
                 "wait for a round trip to the broker (a prefetched job may wait behind a long "
                 "one)")
      ->capture_default_str();
  app.add_option("--max-jobs-per-child", max_jobs_per_child,
                 "Replace a CPU-pool child after this many jobs (0: never)")
      ->capture_default_str();
  app.add_option("--max-rss-per-child", max_rss_per_child,
                 "Replace a CPU-pool child whose memory is above this after a job, in bytes or "
                 "with K, M, G, T (0: never)")
      ->capture_default_str();
  app.add_option("--plugin", plugins,
                 "A shared library of tasks to load (repeat for more); children load it too")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--name", name, "This worker's name, unique per broker (default HOST-PID)");
  app.add_option("--drain-grace", drain_grace_seconds,
                 "Seconds a drain (first SIGTERM) may take before the jobs still held are "
                 "handed back to the broker")
      ->capture_default_str();
  app.add_option("--exec-output-max", exec_output_max,
                 "Bytes the exec task keeps of each of a command's stdout and stderr; the rest "
                 "is dropped and the result says stdout_truncated / stderr_truncated (K, M, G "
                 "suffixes, powers of 1024)")
      ->capture_default_str();
  std::string broker_key_file;
  std::string curve_key_file;
  app.add_option("--broker-key", broker_key_file,
                 "CURVE: the broker's public key file, broker.pub (env JOBQ_BROKER_KEY); with "
                 "--curve-key")
      ->envname("JOBQ_BROKER_KEY");
  app.add_option("--curve-key", curve_key_file,
                 "CURVE: this worker's key pair file, NAME.key from `jobq keygen NAME` (env "
                 "JOBQ_CURVE_KEY); its public key must be in the broker's --worker-keys")
      ->envname("JOBQ_CURVE_KEY");
  app.add_option("--log-level", log_level, "debug, info, warning or error")->capture_default_str();
  RequireFlagValues(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return FlagsParseError(app, kProgram, error);
  }

  absl::StatusOr<std::vector<std::string>> brokers = SplitEndpointList(broker);
  if (!brokers.ok()) {
    return UsageError("--broker: " + std::string(brokers.status().message()));
  }
  for (const std::string& endpoint : *brokers) {
    if (!IsConnectableEndpoint(endpoint)) {
      return UsageError(
          "--broker must be a ZeroMQ endpoint such as tcp://HOST:PORT, or several brokers' "
          "separated by commas, got \"" +
          endpoint + "\"");
    }
  }
  std::set<std::string> seen;
  std::vector<std::string> unique_queues;
  for (const std::string& queue : queues) {
    if (queue.empty()) {
      return UsageError("--queues has an empty queue name; list names like --queues a,b");
    }
    if (!IsValidUtf8(queue)) {
      return UsageError("--queues has a name that is not UTF-8 text; queue names are text");
    }
    if (seen.insert(queue).second) {
      unique_queues.push_back(queue);
    }
  }
  if (unique_queues.empty()) {
    return UsageError("--queues needs at least one queue name, e.g. --queues default");
  }
  if (io_threads < 1 || io_threads > kMaxIoThreads) {
    return UsageError("--io-threads must be between 1 and " + std::to_string(kMaxIoThreads) +
                      ", got " + std::to_string(io_threads));
  }
  if (cpu_procs < 0 || cpu_procs > kMaxCpuProcs) {
    return UsageError("--cpu-procs must be between 0 and " + std::to_string(kMaxCpuProcs) +
                      ", got " + std::to_string(cpu_procs));
  }
  if (prefetch < 0 || prefetch > kMaxPrefetch) {
    return UsageError("--prefetch must be between 0 and " + std::to_string(kMaxPrefetch) +
                      ", got " + std::to_string(prefetch));
  }
  if (max_jobs_per_child < 0 || max_jobs_per_child > UINT32_MAX) {
    return UsageError("--max-jobs-per-child must be between 0 (no limit) and " +
                      std::to_string(UINT32_MAX) + ", got " + std::to_string(max_jobs_per_child));
  }
  const std::optional<uint64_t> max_rss_per_child_bytes = ParseByteSize(max_rss_per_child);
  if (!max_rss_per_child_bytes.has_value()) {
    return UsageError("--max-rss-per-child must be a size such as 536870912, 512M or 2G, got \"" +
                      max_rss_per_child + "\"");
  }
  // common/byte_size.h, not the RSS parser above: 0 is no cap to ask for.
  const absl::StatusOr<uint64_t> exec_output_max_bytes = jobq::ParseByteSize(exec_output_max);
  if (!exec_output_max_bytes.ok() || *exec_output_max_bytes > kExecOutputMaxBytesLimit) {
    return UsageError("--exec-output-max must be a size from 1 to " +
                      FormatByteSize(kExecOutputMaxBytesLimit) + " such as 64K or 4MiB, got \"" +
                      exec_output_max + "\"");
  }
  for (const std::string& plugin : plugins) {
    if (plugin.empty()) {
      return UsageError("--plugin needs the path of a shared library, e.g. --plugin ./libtasks.so");
    }
  }
  if (!(drain_grace_seconds >= 0 && drain_grace_seconds <= 86400)) {
    return UsageError("--drain-grace must be between 0 and 86400 seconds, got " +
                      std::to_string(drain_grace_seconds));
  }
  if (name.empty()) {
    return UsageError("--name must not be empty; leave it out to use HOST-PID");
  }
  if (!IsValidUtf8(name)) {
    return UsageError("--name must be UTF-8 text");
  }
  LogLevel level;
  if (!ParseLogLevel(log_level, &level) || level == LogLevel::kOff) {
    return UsageError("--log-level must be debug, info, warning or error, got \"" + log_level +
                      "\"");
  }

  std::optional<curve::ClientKeys> curve_keys;
  if (!broker_key_file.empty() || !curve_key_file.empty()) {
    absl::StatusOr<curve::ClientKeys> loaded =
        curve::LoadClientKeys(broker_key_file, curve_key_file);
    if (!loaded.ok()) {
      return UsageError(std::string(loaded.status().message()));
    }
    curve_keys = *std::move(loaded);
  }

  config->broker = broker;
  config->curve = std::move(curve_keys);
  config->queues = std::move(unique_queues);
  config->io_threads = static_cast<uint32_t>(io_threads);
  config->cpu_procs = static_cast<uint32_t>(cpu_procs);
  config->prefetch = static_cast<uint32_t>(prefetch);
  config->max_jobs_per_child = static_cast<uint32_t>(max_jobs_per_child);
  config->max_rss_per_child_bytes = *max_rss_per_child_bytes;
  config->exec_output_max_bytes = *exec_output_max_bytes;
  config->plugins = std::move(plugins);
  config->name = name;
  config->log_level = level;
  config->drain_grace_ms = static_cast<uint32_t>(drain_grace_seconds * 1000);
  return {};
}

}  // namespace jobq::worker
