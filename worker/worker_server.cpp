#include "worker/worker_server.h"

#include <unistd.h>

#include <iostream>
#include <memory>
#include <random>
#include <zmq.hpp>

#include "common/log.h"
#include "worker/conn/broker_connection.h"
#include "worker/pools/io_pool.h"
#include "worker/pools/process_pool.h"
#include "worker/stop_signals.h"
#include "worker/tasks/builtin_tasks.h"
#include "worker/tasks/plugin_loader.h"
#include "worker/tasks/task_registry.h"

namespace jobq::worker {

int WorkerServer::Run() {
  SetLogLevel(config_.log_level);

  TaskRegistry registry;
  RegisterBuiltinTasks(registry, {.exec_output_max_bytes = config_.exec_output_max_bytes});
  // Before any pool or connection: a worker that cannot run what it was
  // told to should say so and stop, not register and fail every job.
  for (const std::string& plugin : config_.plugins) {
    if (absl::Status status = LoadPlugin(plugin, &registry); !status.ok()) {
      JOBQ_LOG(kError, "worker", "cannot_load_plugin")
          .Kv("plugin", plugin)
          .Kv("why", status.message());
      return 2;
    }
  }

  // Credits keep the queue at most prefetch + one job per thread deep;
  // the rest is slack for a broker that overruns them.
  IoPool io_pool(registry, config_.io_threads, 2 * size_t{config_.io_threads} + config_.prefetch,
                 config_.prefetch);
  std::vector<JobPool*> pools = {&io_pool};
  std::unique_ptr<ProcessPool> cpu_pool;
  if (config_.cpu_procs > 0) {
    ProcessPoolOptions cpu_options;
    cpu_options.executable = child_executable_;
    cpu_options.children = config_.cpu_procs;
    cpu_options.prefetch = config_.prefetch;
    cpu_options.queue_max = 2 * size_t{config_.cpu_procs} + config_.prefetch;
    cpu_options.max_jobs_per_child = config_.max_jobs_per_child;
    cpu_options.max_rss_per_child_bytes = config_.max_rss_per_child_bytes;
    cpu_options.plugins = config_.plugins;
    cpu_options.child_log_level = config_.log_level;
    cpu_options.child_exec_output_max_bytes = config_.exec_output_max_bytes;
    cpu_pool = std::make_unique<ProcessPool>(std::move(cpu_options));
    // The connection routes a job to the pool of its kind; without a CPU
    // pool, CPU jobs fall back to the first pool (I/O).
    pools.push_back(cpu_pool.get());
  }

  ConnectionOptions options;
  options.broker_endpoint = config_.broker;
  options.identity = {config_.name, LocalHostName(), static_cast<int32_t>(getpid())};
  options.queues = config_.queues;
  options.jitter_seed = std::random_device{}();
  options.drain_grace_ms = config_.drain_grace_ms;
  options.curve = config_.curve;
  if (cpu_pool != nullptr) {
    options.child_pids = [pool = cpu_pool.get()] { return pool->ChildPids(); };
  }

  // Declared before the connection so that it is destroyed after the
  // socket; its destructor waits up to bye_linger_ms for BYE to leave.
  zmq::context_t context(1);
  ConnectionExit exit;
  {
    BrokerConnection connection(context, options, registry, pools);
    {
      ScopedStopSignals signals(&connection);
      exit = connection.Run();
    }
    // Each pool stops the reference's way — one sentinel per thread or
    // child, behind the jobs still queued — and reaps what it started;
    // completions post into the connection, so it must outlive this.
    io_pool.Stop();
    if (cpu_pool != nullptr) {
      cpu_pool->Stop();
    }
  }
  return exit == ConnectionExit::kBadEndpoint ? 2 : 0;
}

}  // namespace jobq::worker
