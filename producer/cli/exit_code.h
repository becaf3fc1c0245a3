#pragma once
// The exit status of `jobq submit` and `jobq wait` (DESIGN.md §10a):
//   0  every job was acknowledged (without --wait) or succeeded (with it)
//   1  some job was rejected, or finished other than succeeded
//   2  usage or connection error (always with a message on stderr)
// and of every command that calls the admin service (status, jobs, cancel, ...):
//   3  the broker refused the admin credentials: no token, a token it does
//      not know (UNAUTHENTICATED), or a read-only token on an RPC that needs
//      an admin one (PERMISSION_DENIED); a script can tell this apart from
//      an unreachable broker (2)
// Thread-compatible.

#include <cstdint>

#include "absl/status/status.h"
#include "producer/client/outcome.h"

namespace jobq::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitJobsFailed = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitAuth = 3;

// Counts what a run reported, to compute its exit code.
class RunTally {
 public:
  void CountAck(const SubmitAck& ack);
  void CountOutcome(const Outcome& outcome);

  uint64_t accepted() const { return accepted_; }
  uint64_t rejected() const { return rejected_; }
  uint64_t succeeded() const { return succeeded_; }
  uint64_t unsuccessful() const { return unsuccessful_; }

  // kExitUsage when `run` failed (the broker unreachable, a bad input
  // line); else kExitJobsFailed if anything was rejected or did not
  // succeed; else kExitOk.
  int ExitCode(const absl::Status& run) const;

 private:
  uint64_t accepted_ = 0;
  uint64_t rejected_ = 0;
  uint64_t succeeded_ = 0;
  uint64_t unsuccessful_ = 0;
};

}  // namespace jobq::cli
