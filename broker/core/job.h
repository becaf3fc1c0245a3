#pragma once
// Job: the broker's record of one job, from SUBMIT until its result expires.
// Owned by BrokerCore; not thread-safe.

#include <cstdint>
#include <string>
#include <vector>

#include "broker/core/job_links.h"
#include "broker/core/watcher_list.h"
#include "common/clock.h"
#include "common/job_id.h"
#include "jobq/wire.pb.h"

namespace jobq::broker::core {

// The last progress report accepted for a job (PROGRESS, docs/protocol.md).
// attempt 0: none since the job's latest dispatch.
struct JobProgress {
  uint32_t attempt = 0;
  uint64_t done = 0;
  uint64_t total = 0;  // 0 = not known
  std::string message;
  TimeMs reported_ms = 0;  // on the broker's clock

  bool empty() const { return attempt == 0; }
  bool operator==(const JobProgress&) const = default;
};

struct Job {
  JobId id;
  wire::JobSpec spec;  // as submitted, with defaults filled in (queue, content_type)
  wire::JobState state = wire::JOB_STATE_QUEUED;

  // Dispatches so far; the worker echoes it in its result, so a result is
  // matched to exactly one (job, attempt).
  uint32_t attempt = 0;
  // Attempts that ended in an error. Retry decisions count these, not
  // `attempt`: a worker that died holding the job did not fail it.
  uint32_t failures = 0;
  // Leases that ran out while their live worker held the job (a lost result
  // or a stuck task). Bounded so that such a job ends up dead
  // (`worker_lost`) instead of looping forever.
  uint32_t lost_leases = 0;
  // Worker processes that ended while running it (declared dead after
  // missed heartbeats, or replaced by a new process under the same name).
  // At CoreOptions::poison_after the job is dead (`poison`): a job that
  // crashes its worker must not take down the fleet one worker at a time.
  uint32_t worker_crashes = 0;

  std::string leased_to;  // routing id of the worker running it; empty otherwise
  // When a running job's lease runs out without a result: its timeout plus
  // the grace, or (no timeout) a liveness window past the last heartbeat
  // that listed it. Not persisted: a restarted broker grants new leases.
  TimeMs lease_expires_ms = 0;
  TimeMs submitted_ms = 0;
  // When a scheduled job becomes ready: the spec's not_before_ms, or the
  // end of a retry's backoff.
  TimeMs scheduled_ms = 0;
  // When it last became ready to run, for the queue-wait figure (CoreStats
  // keeps it); -1 when not known. Not persisted.
  TimeMs ready_ms = 0;
  TimeMs started_ms = 0;
  TimeMs finished_ms = 0;
  TimeMs expires_ms = 0;  // a finished job is forgotten then (its result TTL)

  std::string result;
  std::string result_content_type;
  wire::ErrorInfo error;

  // A cancel (a producer's CANCEL or an admin CancelJobs) reached it while
  // it ran: its worker was told to stop it, and whatever it reports, or the
  // loss of its lease, now ends it cancelled instead of retrying it. A
  // success that was already on its way still counts. Persisted, so a
  // restart does not undo the cancel.
  bool cancel_requested = false;

  // Kept in memory while the job runs (a report costs no store write); the
  // record written when the job finishes carries it.
  JobProgress progress;

  // Client routing ids to push the outcome to when the job finishes.
  WatcherList watchers;

  // Parents, children and workflow (workflows.cpp); empty for most jobs.
  JobLinksBox links;
};

// A job's payload type when its spec names none (kept empty in the spec).
inline constexpr char kDefaultContentType[] = "application/json";

// The error type of a job cancelled because a parent ended without success.
inline constexpr char kUpstreamFailedErrorType[] = "upstream_failed";

inline bool IsTerminal(wire::JobState state) {
  return state == wire::JOB_STATE_SUCCEEDED || state == wire::JOB_STATE_FAILED ||
         state == wire::JOB_STATE_DEAD || state == wire::JOB_STATE_CANCELLED;
}

}  // namespace jobq::broker::core
