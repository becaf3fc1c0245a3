#pragma once
// The JSON Lines input of `jobq submit --file`: one job per line, e.g.
//
//   {"task": "sleep", "args": {"seconds": 1}, "queue": "default", "kind": "io",
//    "priority": 0, "timeout": 30, "retries": 3, "key": "order-17", "delay": "30s"}
//
// Only "task" is required; blank lines are skipped; any other field, a
// wrong type or an out-of-range value makes the line invalid. Errors name
// the line: "line 7: field \"priority\" must be an integer, got string".
// A delayed job has "delay" (a duration or seconds, counted from when the
// line is read to be sent) or "at" (an RFC 3339 time), not both.
//
// `jobq submit` checks a whole input (CheckJobLines) before it reads the
// jobs to send (JobLineReader); see producer/cli/job_input.h.
//
// Thread-compatible: a reader belongs to one thread.

#include <cstdint>
#include <istream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/clock.h"
#include "jobq/wire.pb.h"

namespace jobq::cli {

// Parses one line; a "delay" counts from `now_ms` (the wall clock, without
// it). nullopt for a blank line; kInvalidArgument saying what is wrong
// (without the line number) for an invalid one.
absl::StatusOr<std::optional<wire::JobSpec>> ParseJobLine(std::string_view line, TimeMs now_ms);
absl::StatusOr<std::optional<wire::JobSpec>> ParseJobLine(std::string_view line);

// The fields of a job line, and one of them applied to `spec`: shared with
// workflow files (producer/cli/workflow_file.h), so both take the same
// names, types and ranges. ApplyJobField's errors start with `field "NAME"`;
// an unknown field lists the known ones.
bool IsJobField(std::string_view field);
absl::Status ApplyJobField(const std::string& field, const nlohmann::ordered_json& value,
                           TimeMs now_ms, wire::JobSpec* spec);

// Reads jobs from a JSON Lines stream; "delay" counts from `clock` when a
// line is read (the wall clock, without one). `in` and `clock` must outlive
// the reader.
class JobLineReader {
 public:
  explicit JobLineReader(std::istream& in);
  JobLineReader(std::istream& in, const Clock& clock) : in_(in), clock_(clock) {}

  // The next job; nullopt at the end of the input; kInvalidArgument
  // "line N: ..." for an invalid line, or when the stream fails to read.
  absl::StatusOr<std::optional<wire::JobSpec>> Next();

  // The number of the line the last job came from (1-based).
  uint64_t line_number() const { return line_number_; }

 private:
  std::istream& in_;
  const Clock& clock_;
  std::string line_;
  uint64_t line_number_ = 0;
};

struct JobLinesCheck {
  uint64_t jobs = 0;  // valid, non-blank lines
  uint64_t invalid_lines = 0;
  std::vector<std::string> errors;  // "line N: ...", the first `max_errors` of them
};

// Reads the whole stream, keeping no jobs, and reports every invalid line
// (the first `max_errors` in full) and the number of jobs.
JobLinesCheck CheckJobLines(std::istream& in, size_t max_errors);

}  // namespace jobq::cli
