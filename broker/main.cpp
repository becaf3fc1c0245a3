// jobq-broker: parse flags, run the server. Everything else is in the libraries.

#include "broker/broker_config.h"
#include "broker/broker_server.h"
#include "broker/migrate/migrate_command.h"

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
