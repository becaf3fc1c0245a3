#pragma once
// Workflows in the client: a DAG of jobs submitted whole with
// Client::SubmitWorkflow (one WORKFLOW message, docs/protocol.md), accepted
// or refused as a whole by the broker. What comes back is a WorkflowHandle:
// a WorkflowFuture for the whole, done when every node has finished, and a
// Future per node, by name, done when that node has. Build the spec by hand
// or with Chain/Group/Chord (producer/client/workflow_builders.h).
//
//   jobq::WorkflowSpec spec = jobq::Chain(fetch, checksum, store).Build("ingest");
//   jobq::WorkflowHandle flow = client->SubmitWorkflow(std::move(spec));
//   jobq::Outcome stored = flow.node("store").Get();        // one node
//   absl::StatusOr<jobq::WorkflowOutcome> all = flow.future().Result();  // every node
//
// A node's task receives its parents' results in its payload's "inputs"
// (an object keyed by parent name); see "Workflows" in docs/protocol.md.
//
// Thread-safe like Future: handles are cheap shared copies, usable from any
// thread and after the Client is gone.

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/job_id.h"
#include "jobq/wire.pb.h"
#include "producer/client/future.h"
#include "producer/client/outcome.h"

namespace jobq {

namespace client_internal {
struct Shared;
struct WorkflowState;
}  // namespace client_internal

// A node: a name unique in its workflow (1 to 200 letters, digits, '.', '_',
// '-'; the key of its result in its children's "inputs"; empty: the client
// makes one up from the task name), its job, and the names of its parents
// in the workflow. job.after may also hold ids of jobs outside it.
using WorkflowNode = wire::WorkflowNode;

struct WorkflowSpec {
  std::string name;  // a label for listings; need not be unique
  std::vector<WorkflowNode> nodes;
};

struct WorkflowOptions {
  // Ask the broker to push every node's outcome; the futures' Result needs it.
  bool notify = true;
};

// The broker's answer to a workflow.
struct WorkflowAck {
  std::optional<JobId> id;      // set when accepted (it is durable, nodes and edges)
  std::vector<JobId> node_ids;  // node i's job id, in the order of WorkflowSpec::nodes
  wire::ErrorInfo error;        // set when refused (nothing created): bad_request, queue_full, ...
  // Accepted before: a re-send after a lost connection found the first one.
  bool duplicate = false;

  bool accepted() const { return id.has_value(); }
};

struct NodeOutcome {
  std::string name;
  Outcome outcome;
};

// How a workflow ended: every node finished.
struct WorkflowOutcome {
  JobId id;
  std::vector<NodeOutcome> nodes;  // in the order of WorkflowSpec::nodes

  // True iff every node succeeded.
  bool succeeded() const;
  // The nodes that did not succeed, in order.
  std::vector<const NodeOutcome*> unsuccessful() const;
};

class WorkflowFuture {
 public:
  WorkflowFuture() = default;
  bool valid() const { return state_ != nullptr; }

  // Blocks until the broker accepted or refused the workflow. A refusal is
  // a WorkflowAck with accepted() false; the error status is the client's
  // failure (kUnavailable, kCancelled) or kInvalidArgument for a spec the
  // client refused to send (no nodes, a node without a task, a duplicate
  // name...).
  absl::StatusOr<WorkflowAck> Ack() const;

  // Blocks until every node has finished and returns their outcomes.
  // Errors: as for Ack(); kFailedPrecondition when the broker refused the
  // workflow (its reason in the message) or it was submitted with
  // notify=false.
  absl::StatusOr<WorkflowOutcome> Result() const;

  // True once Ack() would not block; waits up to `timeout` for that.
  bool WaitForAck(std::chrono::milliseconds timeout) const;
  // True once Result() would not block; waits up to `timeout` for that.
  bool WaitFor(std::chrono::milliseconds timeout) const;

 private:
  friend class Client;
  WorkflowFuture(std::shared_ptr<client_internal::Shared> shared,
                 std::shared_ptr<client_internal::WorkflowState> state)
      : shared_(std::move(shared)), state_(std::move(state)) {}

  std::shared_ptr<client_internal::Shared> shared_;
  std::shared_ptr<client_internal::WorkflowState> state_;
};

// What Client::SubmitWorkflow returns: the whole and its nodes.
class WorkflowHandle {
 public:
  WorkflowHandle() = default;

  const WorkflowFuture& future() const { return future_; }
  // Node names in the order of WorkflowSpec::nodes (generated ones included).
  const std::vector<std::string>& node_names() const { return names_; }
  // The node's future (tag: its index); an invalid Future when there is no
  // node of that name.
  Future node(std::string_view name) const;
  const std::vector<Future>& nodes() const { return nodes_; }

 private:
  friend class Client;
  WorkflowFuture future_;
  std::vector<std::string> names_;
  std::vector<Future> nodes_;
  absl::flat_hash_map<std::string, size_t> by_name_;
};

// Names every unnamed node of `spec` after its task ("fetch_url-1",
// "fetch_url-2", ...; characters a name cannot hold become '_'), unique
// among all the names. Client::SubmitWorkflow and Flow::Build call it.
void NameUnnamedNodes(WorkflowSpec& spec);

// What the client refuses to send (the broker checks the rest, cycles
// included): no nodes, a node without a task, a malformed or duplicate
// name, a parent name that is no node. kInvalidArgument naming the node.
absl::Status CheckWorkflowSpec(const WorkflowSpec& spec);

// Whether `name` may name a node: 1 to 200 letters, digits, '.', '_', '-'.
bool IsValidNodeName(std::string_view name);

// Adds the parents `ids` to a plain job: it is `blocked` until each has
// succeeded, then runs with their results in its payload's "inputs" (keyed
// by job id). `on_failure` says what it does when one does not succeed
// (docs/protocol.md "Parents"). Its payload must be a JSON object or empty.
void AddParents(wire::JobSpec& job, const std::vector<JobId>& ids,
                wire::ParentFailure on_failure = wire::PARENT_FAILURE_CANCEL);

}  // namespace jobq
