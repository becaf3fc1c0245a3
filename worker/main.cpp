// jobq-worker: takes jobs from a jobq broker and runs them (DESIGN §7).
#include "worker/child/child_command_line.h"
#include "worker/child/child_main.h"
#include "worker/worker_flags.h"
#include "worker/worker_server.h"

int main(int argc, char** argv) {
  // A CPU-pool child: the same executable, started by the worker itself.
  if (jobq::worker::child::IsChildCommandLine(argc, argv)) {
    return jobq::worker::child::ChildMain(argc, argv);
  }
  jobq::worker::WorkerConfig config;
  const jobq::FlagsOutcome flags = jobq::worker::ParseWorkerFlags(argc, argv, &config);
  if (flags.action != jobq::FlagsOutcome::Action::kRun) {
    return jobq::PrintFlagsOutcome(flags);
  }
  jobq::worker::WorkerServer server(std::move(config));
  return server.Run();
}
