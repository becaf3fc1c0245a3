#pragma once
// WorkerServer: a whole jobq-worker in one object — the task registry with
// the built-ins and plugins, the I/O pool, the CPU process pool and the
// broker connection, wired from a WorkerConfig. main() makes one and calls
// Run(); tests can run one in-process (children then need
// child_executable_for_test: a test binary has no child mode).
//
// Thread-safety: Run() once, on one thread.

#include <string>

#include "worker/worker_config.h"

namespace jobq::worker {

class WorkerServer {
 public:
  explicit WorkerServer(WorkerConfig config) : config_(std::move(config)) {}

  // Serves the broker until every queue got its SENTINEL and the jobs are
  // done, or SIGTERM/SIGINT. Returns the process exit code: 0 then, 2 when
  // a plugin does not load (the reason is on stderr) or the broker
  // endpoint is unusable.
  int Run();

  // The jobq-worker executable the CPU pool starts its children from;
  // the worker's own by default.
  void set_child_executable_for_test(std::string path) { child_executable_ = std::move(path); }

 private:
  WorkerConfig config_;
  std::string child_executable_ = "/proc/self/exe";
};

}  // namespace jobq::worker
