// jobq-broker: parse flags, run the server. Everything else is in the libraries.

#include "broker/broker_config.h"
#include "broker/broker_server.h"

int main(int argc, char** argv) {
  jobq::broker::BrokerConfig config;
  const jobq::FlagsOutcome flags = jobq::broker::ParseBrokerFlags(argc, argv, &config);
  if (flags.action != jobq::FlagsOutcome::Action::kRun) {
    return jobq::PrintFlagsOutcome(flags);
  }
  jobq::broker::BrokerServer server(std::move(config));
  return server.Run();
}
