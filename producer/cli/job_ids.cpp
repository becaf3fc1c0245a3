#include "producer/cli/job_ids.h"

#include <set>

#include "absl/strings/str_cat.h"

namespace jobq::cli {

absl::StatusOr<JobId> ParseJobIdArg(std::string_view text) {
  if (std::optional<JobId> id = JobId::Parse(text)) {
    return *id;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("malformed job id '", std::string(text),
                   "': expected the 36-character id jobq submit prints, e.g. "
                   "0190d4c2-7a4e-7c3b-9f1e-3a5b6c7d8e9f"));
}

absl::StatusOr<std::vector<JobId>> ParseJobIdArgs(const std::vector<std::string>& texts) {
  std::vector<JobId> ids;
  std::set<JobId> seen;
  for (const std::string& text : texts) {
    absl::StatusOr<JobId> id = ParseJobIdArg(text);
    if (!id.ok()) {
      return id.status();
    }
    if (seen.insert(*id).second) {
      ids.push_back(*id);
    }
  }
  return ids;
}

}  // namespace jobq::cli
