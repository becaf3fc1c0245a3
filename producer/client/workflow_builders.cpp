#include "producer/client/workflow_builders.h"

namespace jobq {

Flow::Flow(wire::JobSpec job) : Flow(std::string(), std::move(job)) {}

Flow::Flow(std::string name, wire::JobSpec job) {
  nodes_.push_back(Node{std::move(name), std::move(job), {}});
  heads_ = {0};
  tails_ = {0};
}

size_t Flow::Append(const Flow& other) {
  const size_t offset = nodes_.size();
  for (const Node& node : other.nodes_) {
    Node& copy = nodes_.emplace_back(node);
    for (size_t& parent : copy.parents) {
      parent += offset;
    }
  }
  return offset;
}

Flow Flow::Sequence(std::vector<Flow> parts) {
  Flow flow;
  bool first = true;
  for (const Flow& part : parts) {
    if (part.empty()) {
      continue;
    }
    const size_t offset = flow.Append(part);
    if (first) {
      for (size_t head : part.heads_) {
        flow.heads_.push_back(head + offset);
      }
      first = false;
    } else {
      // Every head of this piece waits for every tail of the one before.
      for (size_t head : part.heads_) {
        std::vector<size_t>& parents = flow.nodes_[head + offset].parents;
        parents.insert(parents.end(), flow.tails_.begin(), flow.tails_.end());
      }
    }
    flow.tails_.clear();
    for (size_t tail : part.tails_) {
      flow.tails_.push_back(tail + offset);
    }
  }
  return flow;
}

Flow Flow::Parallel(std::vector<Flow> parts) {
  Flow flow;
  for (const Flow& part : parts) {
    const size_t offset = flow.Append(part);
    for (size_t head : part.heads_) {
      flow.heads_.push_back(head + offset);
    }
    for (size_t tail : part.tails_) {
      flow.tails_.push_back(tail + offset);
    }
  }
  return flow;
}

WorkflowSpec Flow::Build(std::string name) const {
  WorkflowSpec spec;
  spec.name = std::move(name);
  spec.nodes.reserve(nodes_.size());
  for (const Node& node : nodes_) {
    WorkflowNode& built = spec.nodes.emplace_back();
    built.set_name(node.name);
    *built.mutable_job() = node.job;
  }
  // Names first: a parent may be one of the nodes named here.
  NameUnnamedNodes(spec);
  for (size_t i = 0; i < nodes_.size(); ++i) {
    for (size_t parent : nodes_[i].parents) {
      spec.nodes[i].add_after(spec.nodes[parent].name());
    }
  }
  return spec;
}

Flow Node(std::string name, wire::JobSpec job) { return Flow(std::move(name), std::move(job)); }

Flow Chord(Flow header, Flow callback) {
  return Flow::Sequence({std::move(header), std::move(callback)});
}

}  // namespace jobq
