#pragma once
// Bounded JSON: every parse of JSON that a peer controls (a job's payload,
// a task's result, a line of `jobq submit --file`) goes through these, so
// that no value nested deeper than kJsonDepthMax ever exists in a jobq
// process. nlohmann's parser is iterative and takes any depth, but dump(),
// comparison and copy recurse once per level: a 100,000-deep array parses
// fine and then overflows the stack of whoever prints it. Refusing it at
// parse time keeps every later use safe.
//
// Pure functions; thread-safe.

#include <nlohmann/json.hpp>
#include <string_view>

#include "absl/status/status.h"

namespace jobq {

// The deepest nesting of arrays and objects jobq takes: `[[1]]` is 2 levels.
// Deep enough for any real document, shallow enough for every recursive
// operation on a worker thread's stack.
inline constexpr int kJsonDepthMax = 512;

// Parses `text` as one JSON document into *out (unchanged on error).
// Errors: kInvalidArgument with nlohmann's message when `text` is not JSON
// or holds a number no double holds (1e999); kResourceExhausted "nested
// deeper than N levels" when arrays and objects nest deeper than
// `depth_max` (IsJsonTooDeep() tells the two apart).
absl::Status ParseJsonBounded(std::string_view text, nlohmann::json* out,
                              int depth_max = kJsonDepthMax);
absl::Status ParseJsonBounded(std::string_view text, nlohmann::ordered_json* out,
                              int depth_max = kJsonDepthMax);

// As ParseJsonBounded, without building the value: for JSON that is only
// passed on (a task's result), at the cost of a scan.
absl::Status CheckJsonBounded(std::string_view text, int depth_max = kJsonDepthMax);

// True when `status` is the "nested too deep" error above: the text may be
// good JSON, only deeper than jobq takes.
bool IsJsonTooDeep(const absl::Status& status);

}  // namespace jobq
