#pragma once
// WorkerServer: a whole jobq-worker in one object — the task registry with
// the built-ins, the I/O pool and the broker connection, wired from a
// WorkerConfig. main() makes one and calls Run(); tests can run one
// in-process.
//
// Thread-safety: Run() once, on one thread.

#include "worker/worker_config.h"

namespace jobq::worker {

class WorkerServer {
 public:
  explicit WorkerServer(WorkerConfig config) : config_(std::move(config)) {}

  // Serves the broker until every queue got its SENTINEL and the jobs are
  // done, or SIGTERM/SIGINT. Returns the process exit code: 0 then, 2 when
  // the broker endpoint is unusable.
  int Run();

 private:
  WorkerConfig config_;
};

}  // namespace jobq::worker
