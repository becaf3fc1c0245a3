// jobq-broker: parse flags, run the server. Everything else is in the libraries.

#include "broker/broker_config.h"
#include "broker/broker_server.h"

int main(int argc, char** argv) {
  int exit_code = 0;
  std::optional<jobq::broker::BrokerConfig> config =
      jobq::broker::ParseBrokerFlags(argc, argv, &exit_code);
  if (!config) {
    return exit_code;
  }
  jobq::broker::BrokerServer server(std::move(*config));
  return server.Run();
}
