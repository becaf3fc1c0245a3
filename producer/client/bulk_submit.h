#pragma once
// BulkSubmit: streams any number of jobs through a Client in bounded memory
// and reports, on the calling thread, each acknowledgement in submit order,
// each outcome as it arrives, and periodic progress. `jobq submit --file`
// is built on it; so can any producer that pumps a large input.
//
// Memory: at most ClientOptions::window_jobs_max jobs are held before the
// broker acknowledges them; with notify, a small record per job is kept
// until its outcome arrives.
//
// Thread-safety: BulkSubmit runs on the calling thread and calls the
// source and the callbacks there, never concurrently. Other threads may use
// the same Client meanwhile.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "producer/client/client.h"
#include "producer/client/outcome.h"

namespace jobq {

// Returns the next job, nullopt at the end of the input, or an error that
// ends the input (e.g. a malformed line). Called on BulkSubmit's thread.
using JobSource = std::function<absl::StatusOr<std::optional<JobSpec>>()>;

struct BulkProgress {
  uint64_t submitted = 0;  // taken from the source and handed to the client
  uint64_t acked = 0;      // answered by the broker, accepted or rejected
  uint64_t rejected = 0;
  uint64_t finished = 0;  // outcomes received (notify only)
  double elapsed_seconds = 0;
  bool done = false;  // the last report of the run
};

struct BulkSubmitOptions {
  // Ask for every job's outcome and report it through on_outcome.
  bool notify = false;
  // on_progress is called at most this often, and once more at the end.
  std::chrono::milliseconds progress_interval{100};
};

struct BulkSubmitCallbacks {
  // Every job, in submit order, once the broker accepted or rejected it;
  // `index` counts jobs from the source from 0. Optional.
  std::function<void(uint64_t index, const SubmitAck& ack)> on_ack;
  // With notify: every accepted job, in completion order. Optional.
  std::function<void(uint64_t index, const Outcome& outcome)> on_outcome;
  // Optional.
  std::function<void(const BulkProgress& progress)> on_progress;
};

// Pulls jobs from `source` until it ends and returns once every job
// submitted has been acknowledged (and, with notify, has finished).
// Returns:
//  * OK when the source ended normally (rejections are reported through
//    on_ack, failed jobs through on_outcome, and are not errors here);
//  * the source's error, after the jobs taken before it were seen through;
//  * the client's failure (kUnavailable for an unreachable broker, ...) as
//    soon as it happens; on_ack has then been called for the jobs
//    acknowledged before the failure, in order, and no later ones.
absl::Status BulkSubmit(Client& client, const JobSource& source, const BulkSubmitOptions& options,
                        const BulkSubmitCallbacks& callbacks);

}  // namespace jobq
