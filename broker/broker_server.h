#pragma once
// BrokerServer: wires the broker's parts together — store, core, ZeroMQ
// loop, gRPC admin — and runs them until SIGTERM/SIGINT. One per process
// (it installs signal handlers); tests run the real binary instead.

#include "broker/broker_config.h"

namespace jobq::broker {

class BrokerServer {
 public:
  explicit BrokerServer(BrokerConfig config) : config_(std::move(config)) {}
  // Returns the process exit code: 0 after a clean stop, 1 when the broker
  // could not start or failed while running.
  int Run();

 private:
  BrokerConfig config_;
};

}  // namespace jobq::broker
