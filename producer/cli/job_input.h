#pragma once
// JobInput: where `jobq submit` takes its jobs from, one at a time, for
// BulkSubmit: the single job built from the flags, or the lines of a JSON
// Lines file or stdin (producer/cli/job_lines.h).
//
// Every input is validated whole when opened, so a bad line means nothing
// is submitted and the number of jobs is known up front. stdin and other
// inputs that cannot be read twice (pipes) are first copied to an
// unlinked temporary file in $TMPDIR, which keeps memory bounded however
// large the input; the jobs go out once the input has ended.
//
// Not thread-safe; BulkSubmit calls it from one thread.

#include <cstdint>
#include <deque>
#include <istream>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "jobq/wire.pb.h"
#include "producer/cli/job_lines.h"

namespace jobq::cli {

class JobInput {
 public:
  // The one job of `jobq submit TASK ...`.
  static JobInput FromJob(wire::JobSpec job);

  // `jobq submit --file PATH` ("-" is stdin). kNotFound when the file
  // cannot be opened; kFailedPrecondition when a copy of a pipe cannot be
  // written; kInvalidArgument listing the bad lines, one per line of the
  // message ("jobs.jsonl line 3: ..."), when validation fails.
  static absl::StatusOr<JobInput> OpenFile(const std::string& path);

  JobInput(JobInput&&) = default;

  // The next job, nullopt at the end, or kInvalidArgument "NAME line N:
  // ..." should the input change between validation and reading.
  absl::StatusOr<std::optional<wire::JobSpec>> Next();

  // For inputs with lines: the line of the oldest job handed out and not
  // yet acknowledged, which it forgets. Acks come in submit order, so the
  // caller calls this once per ack. nullopt for the single job.
  std::optional<uint64_t> PopLineOfAck();

  // The file name, "stdin", or "the command line".
  const std::string& name() const { return name_; }
  uint64_t total() const { return total_; }
  bool has_lines() const { return reader_.has_value(); }

 private:
  JobInput() = default;

  std::string name_;
  uint64_t total_ = 0;
  std::optional<wire::JobSpec> single_job_;
  std::unique_ptr<std::istream> file_;  // the file or the copy; null for the single job
  std::optional<JobLineReader> reader_;
  std::deque<uint64_t> unacked_lines_;
};

}  // namespace jobq::cli
