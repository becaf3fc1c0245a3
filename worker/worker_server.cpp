#include "worker/worker_server.h"

#include <unistd.h>

#include <random>
#include <zmq.hpp>

#include "worker/conn/broker_connection.h"
#include "worker/pools/io_pool.h"
#include "worker/stop_signals.h"
#include "worker/tasks/builtin_tasks.h"
#include "worker/tasks/task_registry.h"

namespace jobq::worker {

int WorkerServer::Run() {
  SetLogLevel(config_.log_level);

  TaskRegistry registry;
  RegisterBuiltinTasks(registry);

  // Credits keep the queue at most one job deep per thread; twice that is
  // slack for a broker that prefetches.
  IoPool io_pool(registry, config_.io_threads, 2 * size_t{config_.io_threads});

  ConnectionOptions options;
  options.broker_endpoint = config_.broker;
  options.identity = {config_.name, LocalHostName(), static_cast<int32_t>(getpid())};
  options.queues = config_.queues;
  options.jitter_seed = std::random_device{}();

  // Declared before the connection so that it is destroyed after the
  // socket; its destructor waits up to bye_linger_ms for BYE to leave.
  zmq::context_t context(1);
  ConnectionExit exit;
  {
    BrokerConnection connection(context, options, registry, {&io_pool});
    {
      ScopedStopSignals signals(&connection);
      exit = connection.Run();
    }
    // One sentinel per thread, behind the jobs still queued; completions
    // post into the connection, so it must outlive this.
    io_pool.Stop();
  }
  return exit == ConnectionExit::kBadEndpoint ? 2 : 0;
}

}  // namespace jobq::worker
