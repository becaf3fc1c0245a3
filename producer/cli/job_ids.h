#pragma once
// Job ids as people type them on the command line (the 36-character text
// `jobq submit` prints). Shared by the commands that take ids, so they all
// accept and reject the same. Pure; thread-safe.

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/job_id.h"

namespace jobq::cli {

// kInvalidArgument naming `text` and showing the expected form.
absl::StatusOr<JobId> ParseJobIdArg(std::string_view text);

// Every id parsed, duplicates dropped (first occurrence kept, order
// otherwise preserved); the first malformed one is the error.
absl::StatusOr<std::vector<JobId>> ParseJobIdArgs(const std::vector<std::string>& texts);

}  // namespace jobq::cli
