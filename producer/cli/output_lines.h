#pragma once
// The JSON lines `jobq submit` and `jobq wait` print on stdout, one object
// per line, keys in this order (scripts and the integration tests rely on
// it; see DESIGN.md §10a):
//
//   {"id":"…"}                                       acknowledged (no --wait)
//   {"id":"…","duplicate":true}                      the broker already had it (same key)
//   {"line":7,"error":{"type":"queue_full","message":"…"}}   rejected ("line" with --file only)
//   {"id":"…","state":"succeeded","attempts":1,"result":…}
//   {"id":"…","state":"failed","attempts":2,"error":{"type":"…","message":"…"}}
//
// States are lower case; an id the broker does not know is "unknown".
// "detail" is added to "error" only when non-empty. Pure; thread-safe.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "common/job_id.h"
#include "jobq/wire.pb.h"
#include "producer/client/outcome.h"

namespace jobq::cli {

// `duplicate`: nothing new was created, `id` is the job the broker
// already had (SubmitAck::duplicate).
std::string FormatAckLine(const JobId& id, bool duplicate = false);

// For people, on stderr: "<id> (already submitted with this key)".
std::string FormatDuplicateNote(const JobId& id);

// `line`: the input line of the job, for `--file`.
std::string FormatRejectionLine(const wire::ErrorInfo& error, std::optional<uint64_t> line);

std::string FormatOutcomeLine(const Outcome& outcome);

// A job's result as JSON: parsed when its content type is JSON ("" or
// application/json) and it parses, a string otherwise (so the line stays
// valid JSON whatever a task returns), null when empty.
nlohmann::ordered_json ResultToJson(const Outcome& outcome);

// `json` on one line. Task output and error messages are arbitrary bytes:
// invalid UTF-8 is replaced rather than allowed to abort the dump.
std::string DumpJsonLine(const nlohmann::ordered_json& json);

}  // namespace jobq::cli
