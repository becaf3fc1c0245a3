#include "broker/stop_signal.h"

#include <atomic>
#include <csignal>

#include "broker/net/broker_loop.h"
#include "common/wake_fd.h"

namespace jobq::broker::stop_signal {
namespace {

std::atomic<net::BrokerLoop*> g_loop = nullptr;
std::atomic<bool> g_requested = false;
const WakeFd* g_wake = nullptr;  // set by Install, never freed: a handler may run at exit

extern "C" void OnStopSignal(int) { Request(); }

}  // namespace

void Install() {
  g_wake = new WakeFd(WakeFd::CreateOrDie());
  std::signal(SIGTERM, OnStopSignal);
  std::signal(SIGINT, OnStopSignal);
}

void Request() {
  // Atomic stores and an eventfd write only: safe in a signal handler.
  g_requested.store(true);
  g_wake->Notify();
  if (net::BrokerLoop* loop = g_loop.load(); loop != nullptr) {
    loop->RequestStop();
  }
}

bool Requested() { return g_requested.load(); }

const WakeFd& Wake() { return *g_wake; }

void SetLoop(net::BrokerLoop* loop) {
  g_loop.store(loop);
  if (loop != nullptr && g_requested.load()) {
    loop->RequestStop();
  }
}

}  // namespace jobq::broker::stop_signal
