#pragma once
// What `jobq workflow show|list|cancel` print: tables and a tree for
// people, JSON for scripts. Pure; thread-safe.
//
// Nodes come a page at a time (GetWorkflow's node_offset/node_limit), so
// the node table takes any slice of a workflow's nodes and its width
// depends only on that slice: 100,000 nodes print as 100,000 rows.
//
// JSON, keys in this order, times as unix ms (0 = not yet), states by name:
//   workflow: {"id","name","state","node_count","counts":{"queued":3,...},
//              "created_ms","finished_ms","expires_ms"[,"nodes":[node...]]}
//   node:     {"name","job_id","task","queue","state","attempts","after":[names],
//              "after_jobs":[ids],"on_parent_failure":"cancel"|"run",
//              "submitted_ms","started_ms","finished_ms"[,"error":{"type","message"}]}

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "jobq/admin.pb.h"

namespace jobq::cli {

// A workflow of at most this many nodes, shown whole, is also drawn as a
// tree; a larger one is only a table (a tree of thousands is no help).
inline constexpr size_t kWorkflowTreeNodesMax = 40;

// Columns: WORKFLOW (id), NAME, STATE, NODES, FINISHED (nodes finished of
// all), CREATED (how long ago), ENDED (how long ago; "-" while running).
// "no workflows" when there are none. `now_ms`: unix ms.
std::string FormatWorkflowsTable(const std::vector<admin::WorkflowInfo>& workflows, int64_t now_ms);

// `jobq workflow show`'s head: "key  value" lines for the id, name, state,
// times, and nodes by state.
std::string FormatWorkflowSummary(const admin::WorkflowInfo& workflow, int64_t now_ms);

// Columns: NODE, STATE, ATTEMPTS, STARTED (how long ago), DURATION (to its
// end, or so far while it runs), PARENTS (names; ids of parents outside
// the workflow; the first few and how many more), JOB (id), ERROR.
std::string FormatWorkflowNodesTable(const std::vector<admin::WorkflowNodeInfo>& nodes,
                                     int64_t now_ms);

// The DAG drawn from its roots (nodes without parents in it), each child
// indented under its parents: a node with several parents is drawn in
// full under the first and as "NAME (above)" under the others. Every node
// of `nodes` appears. Ends with a newline; "" when `nodes` is empty.
std::string FormatWorkflowTree(const std::vector<admin::WorkflowNodeInfo>& nodes);

// A duration for people: "850ms", "12.3s", then as FormatDuration.
std::string FormatNodeDuration(int64_t ms);

// One object, no newline: `nodes` as "nodes" when `with_nodes`.
std::string FormatWorkflowJson(const admin::WorkflowInfo& workflow,
                               const std::vector<admin::WorkflowNodeInfo>& nodes, bool with_nodes);

// "workflow ID: 3 nodes cancelled, 1 running node told to stop (it ends
// cancelled)" and {"id","cancelled","cancel_requested"}; no newline.
std::string FormatWorkflowCancelLine(const std::string& id_bytes,
                                     const admin::CancelWorkflowResponse& response);
std::string FormatWorkflowCancelJson(const std::string& id_bytes,
                                     const admin::CancelWorkflowResponse& response);

}  // namespace jobq::cli
