#include "broker/limit_flags.h"

#include "broker/parsed_flag.h"
#include "common/byte_size.h"

namespace jobq::broker {

void AddLimitFlags(CLI::App& app, BrokerConfig* config) {
  core::CoreOptions& core = config->core;
  // CLI11 needs a variable for an option's text; the validators store the
  // parsed values, and `app` is parsed after this returns.
  static std::string unused;
  app.add_option("--message-max", unused,
                 "largest message taken from a producer or worker; a larger one closes its "
                 "connection (default " +
                     FormatByteSize(config->message_bytes_max) + ")")
      ->check(ByteSizeInto(&config->message_bytes_max));
  app.add_option("--connections-max", config->connections_max,
                 "connections on each of --frontend and --backend; one more is closed at once. "
                 "Unfinished messages hold at most 2 x this x --message-max")
      ->check(CLI::Range(size_t{1}, size_t{1'000'000}))
      ->capture_default_str();
  app.add_option("--payload-max", unused,
                 "largest job payload; a larger job is rejected (default " +
                     FormatByteSize(core.payload_bytes_max) + ")")
      ->check(ByteSizeInto(&core.payload_bytes_max));
  app.add_option("--result-max", unused,
                 "largest result kept; a job with a larger one fails as result_too_large "
                 "(default " +
                     FormatByteSize(core.result_bytes_max) + ")")
      ->check(ByteSizeInto(&core.result_bytes_max));
  app.add_option("--batch-max", core.jobs_per_submit_max,
                 "jobs in one SUBMIT message; a larger batch is refused whole")
      ->check(CLI::Range(size_t{1}, size_t{1'000'000}))
      ->capture_default_str();
  app.add_option("--workflow-max", core.workflow_nodes_max,
                 "nodes in one workflow; a larger one is refused whole, naming this flag")
      ->check(CLI::Range(size_t{1}, size_t{10'000'000}))
      ->capture_default_str();
  app.add_option("--jobs-max", core.jobs_max,
                 "jobs kept in any state (finished ones until --result-ttl); beyond it SUBMIT "
                 "is answered queue_full")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--queues-max", core.queues_max,
                 "distinct queues; a job for a new queue beyond it is answered queue_full")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--workers-max", core.workers_max,
                 "registered workers; a HELLO beyond it is refused and the worker retries")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
}

std::string CheckLimits(const BrokerConfig& config) {
  // A job must fit in a message with room for its envelope, or a producer
  // could be told a payload is fine and then be cut off for sending it;
  // likewise a result in a worker's RESULT.
  constexpr uint64_t kEnvelopeBytes = 64 << 10;
  const uint64_t largest_body =
      std::max<uint64_t>(config.core.payload_bytes_max, config.core.result_bytes_max);
  if (largest_body + kEnvelopeBytes > config.message_bytes_max) {
    return "--message-max (" + FormatByteSize(config.message_bytes_max) +
           ") must exceed --payload-max and --result-max by at least 64KiB";
  }
  return "";
}

}  // namespace jobq::broker
