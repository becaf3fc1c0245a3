#pragma once
// jobq-worker's flags parsed as its main() parses them, for the flag tests.

#include <vector>

#include "worker/worker_flags.h"

namespace jobq::worker {

inline FlagsOutcome ParseWorkerArgs(std::vector<const char*> args, WorkerConfig* config) {
  args.insert(args.begin(), "jobq-worker");
  return ParseWorkerFlags(static_cast<int>(args.size()), args.data(), config);
}

}  // namespace jobq::worker
