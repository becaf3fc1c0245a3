#pragma once
// Parses jobq-worker's command line (and JOBQ_WORKER_BROKER, JOBQ_BROKER_KEY,
// JOBQ_CURVE_KEY) into a WorkerConfig:
//   --broker ENDPOINT   --queues a,b   --io-threads N   --name NAME
//   --cpu-procs N   --max-jobs-per-child N   --max-rss-per-child SIZE
//   --plugin PATH (repeatable)   --exec-output-max SIZE
//   --log-level debug|info|warning|error
//   --broker-key FILE   --curve-key FILE (CURVE, both or neither; the files
//   are read here, so a bad key is a usage error)
//   --help, --version (FlagsOutcome::Action::kPrintHelp)
// Child mode (`--child`, worker/child/child_command_line.h) is not parsed
// here: main() hands it off before.
// Thread-compatible; reads the environment.

#include "common/flags_outcome.h"
#include "worker/worker_config.h"

namespace jobq::worker {

// kRun: *config is complete.
FlagsOutcome ParseWorkerFlags(int argc, const char* const* argv, WorkerConfig* config);

}  // namespace jobq::worker
