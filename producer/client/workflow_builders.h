#pragma once
// Chain, Group and Chord: build a workflow's DAG from pieces, the way
// Celery's canvas does, and compose them freely.
//
//   Chain(a, b, c)          a -> b -> c
//   Group(a, b, c)          a, b and c, independent of each other
//   Chord(header, callback) callback after every node of header ends it
//
// A piece (Flow) is a set of nodes with its *heads* (the nodes that take
// the piece's parents) and its *tails* (the nodes that the next piece
// waits for). Chain links every tail of a piece to every head of the next
// one, so Chain(Group(a, b), c) is the chord a, b -> c and
// Chain(a, Group(b, c), d) a diamond. A JobSpec converts to a one-node
// Flow, named later after its task; Node("name", job) names it.
//
//   WorkflowSpec spec = Chord(Group(chunks), Node("total", add)).Build("squares");
//   WorkflowHandle flow = client->SubmitWorkflow(std::move(spec));
//
// Build() names the unnamed nodes after their tasks ("sum_squares-1", ...),
// unique in the workflow. Flows are values: copying one copies its nodes.
// Thread-compatible.

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "jobq/wire.pb.h"
#include "producer/client/workflow.h"

namespace jobq {

class Flow {
 public:
  // The empty flow: a no-op in Chain and Group.
  Flow() = default;
  // One node running `job`, named at Build() unless `name` is given.
  Flow(wire::JobSpec job);  // NOLINT(google-explicit-constructor): Chain(job_a, job_b)
  Flow(std::string name, wire::JobSpec job);

  bool empty() const { return nodes_.empty(); }
  size_t size() const { return nodes_.size(); }

  // The workflow: nodes in the order the pieces were given, each with its
  // parents' names in `after`; unnamed ones named (NameUnnamedNodes).
  WorkflowSpec Build(std::string name) const;

  // Parts for Chain/Group/Chord; callers use those instead.
  static Flow Sequence(std::vector<Flow> parts);
  static Flow Parallel(std::vector<Flow> parts);

 private:
  struct Node {
    std::string name;  // empty: named at Build()
    wire::JobSpec job;
    std::vector<size_t> parents;  // indexes into nodes_
  };

  // Appends `other`'s nodes; returns the offset of the first one.
  size_t Append(const Flow& other);

  std::vector<Node> nodes_;
  std::vector<size_t> heads_;
  std::vector<size_t> tails_;
};

// A node with a name of its own (the key of its result in its children's
// "inputs").
Flow Node(std::string name, wire::JobSpec job);

// Each piece after the one before it.
template <typename... Parts>
Flow Chain(Parts&&... parts) {
  return Flow::Sequence({Flow(std::forward<Parts>(parts))...});
}
inline Flow Chain(std::vector<Flow> parts) { return Flow::Sequence(std::move(parts)); }

// The pieces side by side, unlinked.
template <typename... Parts>
Flow Group(Parts&&... parts) {
  return Flow::Parallel({Flow(std::forward<Parts>(parts))...});
}
inline Flow Group(std::vector<Flow> parts) { return Flow::Parallel(std::move(parts)); }

// `callback` after every tail of `header`: Chain(header, callback), named
// for what it is. An empty header leaves the callback alone.
Flow Chord(Flow header, Flow callback);

}  // namespace jobq
