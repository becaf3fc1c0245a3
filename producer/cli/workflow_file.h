#pragma once
// The workflow file of `jobq workflow submit FILE`: one JSON object, a DAG
// of jobs by name.
//
//   {"name": "ingest",
//    "nodes": [
//      {"name": "fetch", "task": "http_get", "args": {"url": "https://example.com/"}},
//      {"name": "sum", "task": "checksum", "after": ["fetch"], "retries": 2},
//      {"name": "store", "task": "store", "args": {"name": "example"}, "after": ["sum"],
//       "on_parent_failure": "run"}]}
//
// Top level: "nodes" (required, a non-empty array) and "name" (a string).
// A node: "task" (required), "name" (1 to 200 letters, digits, '.', '_',
// '-'; unique; the key of its result in its children's "inputs"; made up
// from the task when left out), "after" (names of nodes it waits for),
// "after_jobs" (ids of jobs outside the workflow it waits for),
// "on_parent_failure" ("cancel", the default, or "run"), "result_ttl"
// (seconds or a duration like "2h"), and the job fields of a `jobq submit
// --file` line with the same names, types and ranges (job_lines.h): args,
// queue, kind, priority, timeout, retries, backoff, delay, at. "key" is
// refused: the broker takes no idempotency key on a node (a workflow is
// deduplicated whole).
//
// Every problem is reported, naming the node and the field: an unknown
// field, a wrong type or value, a missing task, a duplicate name, a parent
// that is no node. A cycle is the broker's to find (it names it). Pure
// functions; thread-safe.

#include <cstddef>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "producer/client/workflow.h"

namespace jobq::cli {

// Problems reported in full before "... and N more".
inline constexpr size_t kWorkflowFileErrorsMax = 20;

// Parses the text of a workflow file; "delay" counts from `now_ms`.
// kInvalidArgument with one problem per line of the message ("node
// \"fetch\" (nodes[0]): field \"priority\" must be an integer, got \"x\"").
absl::StatusOr<WorkflowSpec> ParseWorkflowFile(std::string_view text, TimeMs now_ms);

}  // namespace jobq::cli
