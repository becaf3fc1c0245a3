// jobq-broker: parse flags, run the server. Everything else is in the libraries.

#include "broker/broker_config.h"
#include "broker/broker_server.h"
#include "broker/migrate/migrate_command.h"

// Read by jemalloc as it starts, when the broker links it (JOBQ_JEMALLOC;
// otherwise nothing reads it): the heap on transparent huge pages. A broker
// that takes over, or restarts, with a million jobs stored builds about a
// gigabyte of them at once, and on 4 KiB pages a third of that time went to
// page faults: with huge pages it served 4.9-7.7 s after it started instead
// of 8.7-10.7 s (docs/benchmarks.md). MALLOC_CONF in the environment still
// adds to it or overrides it.
extern "C" {
const char* malloc_conf = "thp:always";
}

int main(int argc, char** argv) {
  jobq::broker::BrokerConfig config;
  const jobq::FlagsOutcome flags = jobq::broker::ParseBrokerFlags(argc, argv, &config);
  if (flags.action != jobq::FlagsOutcome::Action::kRun) {
    return jobq::PrintFlagsOutcome(flags);
  }
  if (!config.migrate_from.empty()) {
    return jobq::broker::migrate::RunMigrateStore(config.migrate_from, config.migrate_to);
  }
  jobq::broker::BrokerServer server(std::move(config));
  return server.Run();
}
