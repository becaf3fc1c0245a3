#pragma once
// What `jobq result ID` prints for the job GetJob returned. Pure;
// thread-safe.
//
// Without --json: a succeeded job's result on stdout as it is when it is
// JSON or text (JSON "" is printed as null), or one line saying it is
// binary, with its size; a failed, dead or cancelled job's error on
// stderr (exit 1); a job still moving, its state (exit 1).
//
// With --json: one line on stdout, the one `jobq wait` prints for the
// job ({"id","state","attempts","result"|"error"}), except that a binary
// result comes as "content_type" and "result_base64" instead of
// "result", and an unfinished job's line has no outcome. Nothing on
// stderr: the line says it all. Exit codes as without --json.

#include <string>
#include <string_view>

#include "jobq/admin.pb.h"

namespace jobq::cli {

enum class PayloadKind { kJson, kText, kBinary };

// "" and application/json (with parameters, any case) are JSON; text/*,
// and the structured-text suffixes +json and +xml, are text; anything else
// is binary.
PayloadKind ClassifyContentType(std::string_view content_type);

struct ResultReport {
  int exit_code = 0;
  std::string out;  // for stdout, newline-terminated unless empty
  std::string err;  // for stderr, lines without the "jobq: " prefix; may be empty
};

ResultReport RenderResult(const admin::JobInfo& job, bool json);

}  // namespace jobq::cli
