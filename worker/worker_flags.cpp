#include "worker/worker_flags.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdint>
#include <set>
#include <string_view>

namespace jobq::worker {
namespace {

constexpr char kProgram[] = "jobq-worker";

FlagsOutcome UsageError(const std::string& problem) {
  return {FlagsOutcome::Action::kUsageError, std::string(kProgram) + ": " + problem + "\nRun '" +
                                                 kProgram + " --help' to see every flag.\n"};
}

// A ZeroMQ endpoint the worker can connect to. Host resolution happens
// later, inside ZeroMQ; this catches the typos that would otherwise only
// show up as a worker that never registers.
bool IsEndpoint(std::string_view endpoint) {
  constexpr std::string_view kTcp = "tcp://";
  if (endpoint.starts_with(kTcp)) {
    std::string_view address = endpoint.substr(kTcp.size());
    const size_t colon = address.rfind(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == address.size()) {
      return false;
    }
    std::string_view port = address.substr(colon + 1);
    return std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
  }
  for (std::string_view scheme : {"ipc://", "inproc://"}) {
    if (endpoint.starts_with(scheme) && endpoint.size() > scheme.size()) {
      return true;
    }
  }
  return false;
}

}  // namespace

FlagsOutcome ParseWorkerFlags(int argc, const char* const* argv, WorkerConfig* config) {
  CLI::App app("Runs jobs from a jobq broker: I/O-bound tasks on a thread pool.", kProgram);
  std::string broker = kDefaultBrokerEndpoint;
  std::vector<std::string> queues = {"default"};
  int64_t io_threads = DefaultIoThreads();
  std::string name = DefaultWorkerName();
  std::string log_level = "info";
  app.add_option("--broker", broker, "The broker's worker endpoint (env JOBQ_WORKER_BROKER)")
      ->envname("JOBQ_WORKER_BROKER")
      ->capture_default_str();
  app.add_option("--queues", queues, "Queues to take jobs from, comma-separated")
      ->delimiter(',')
      ->capture_default_str();
  app.add_option("--io-threads", io_threads, "Threads of the I/O pool (default 2 x cores)")
      ->capture_default_str();
  app.add_option("--name", name, "This worker's name, unique per broker (default HOST-PID)")
      ->capture_default_str();
  app.add_option("--log-level", log_level, "debug, info, warning or error")->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    return {FlagsOutcome::Action::kPrintHelp, app.help()};
  } catch (const CLI::ParseError& e) {
    return UsageError(e.what());
  }

  if (!IsEndpoint(broker)) {
    return UsageError("--broker must be a ZeroMQ endpoint such as tcp://HOST:PORT, got \"" +
                      broker + "\"");
  }
  std::set<std::string> seen;
  std::vector<std::string> unique_queues;
  for (const std::string& queue : queues) {
    if (queue.empty()) {
      return UsageError("--queues has an empty queue name; list names like --queues a,b");
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
  if (name.empty()) {
    return UsageError("--name must not be empty; leave it out to use HOST-PID");
  }
  LogLevel level;
  if (!ParseLogLevel(log_level, &level) || level == LogLevel::kOff) {
    return UsageError("--log-level must be debug, info, warning or error, got \"" + log_level +
                      "\"");
  }

  config->broker = broker;
  config->queues = std::move(unique_queues);
  config->io_threads = static_cast<uint32_t>(io_threads);
  config->name = name;
  config->log_level = level;
  return {};
}

}  // namespace jobq::worker
