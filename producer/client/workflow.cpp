#include "producer/client/workflow.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "common/utf8.h"
#include "producer/client/internal/shared_state.h"

namespace jobq {
namespace {

constexpr size_t kNodeNameMax = 200;
// Room for "-" and a number after a generated name's base.
constexpr size_t kGeneratedBaseMax = kNodeNameMax - 21;

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

}  // namespace

bool WorkflowOutcome::succeeded() const {
  for (const NodeOutcome& node : nodes) {
    if (!node.outcome.succeeded()) {
      return false;
    }
  }
  return true;
}

std::vector<const NodeOutcome*> WorkflowOutcome::unsuccessful() const {
  std::vector<const NodeOutcome*> failed;
  for (const NodeOutcome& node : nodes) {
    if (!node.outcome.succeeded()) {
      failed.push_back(&node);
    }
  }
  return failed;
}

absl::StatusOr<WorkflowAck> WorkflowFuture::Ack() const {
  std::unique_lock lock(shared_->mutex);
  shared_->changed.wait(lock, [&] { return state_->AckReady(); });
  if (!state_->answered) {
    return state_->failure;
  }
  WorkflowAck ack;
  ack.id = state_->id;
  ack.error = state_->error;
  ack.duplicate = state_->duplicate;
  if (state_->id) {
    ack.node_ids.reserve(state_->nodes.size());
    for (const auto& node : state_->nodes) {
      ack.node_ids.push_back(*node->ack->id);
    }
  }
  return ack;
}

absl::StatusOr<WorkflowOutcome> WorkflowFuture::Result() const {
  if (!state_->notify) {
    return absl::FailedPreconditionError(
        "the workflow was submitted with notify=false, so the broker does not report its "
        "nodes' outcomes; use Client::Wait for their ids");
  }
  std::unique_lock lock(shared_->mutex);
  shared_->changed.wait(lock, [&] { return state_->Done(); });
  if (!state_->answered) {
    return state_->failure;
  }
  if (!state_->id) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the broker refused the workflow: ", state_->error.type(), ": ", state_->error.message()));
  }
  WorkflowOutcome outcome;
  outcome.id = *state_->id;
  outcome.nodes.reserve(state_->nodes.size());
  for (size_t i = 0; i < state_->nodes.size(); ++i) {
    const client_internal::FutureState& node = *state_->nodes[i];
    if (!node.failure.ok()) {
      return node.failure;  // the client failed before this node finished
    }
    outcome.nodes.push_back({state_->names[i], *node.outcome});
  }
  return outcome;
}

bool WorkflowFuture::WaitForAck(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(shared_->mutex);
  if (timeout.count() <= 0) {
    return state_->AckReady();
  }
  return shared_->changed.wait_for(lock, timeout, [&] { return state_->AckReady(); });
}

bool WorkflowFuture::WaitFor(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(shared_->mutex);
  if (timeout.count() <= 0) {
    return state_->Done();
  }
  return shared_->changed.wait_for(lock, timeout, [&] { return state_->Done(); });
}

Future WorkflowHandle::node(std::string_view name) const {
  // Debian's abseil has its own string_view, which its string hash takes.
  auto it = by_name_.find(absl::string_view(name.data(), name.size()));
  return it == by_name_.end() ? Future() : nodes_[it->second];
}

bool IsValidNodeName(std::string_view name) {
  if (name.empty() || name.size() > kNodeNameMax) {
    return false;
  }
  for (const char c : name) {
    if (!IsNameChar(c)) {
      return false;
    }
  }
  return true;
}

void NameUnnamedNodes(WorkflowSpec& spec) {
  if (std::all_of(spec.nodes.begin(), spec.nodes.end(),
                  [](const WorkflowNode& node) { return !node.name().empty(); })) {
    return;
  }
  std::set<std::string, std::less<>> taken;
  for (const WorkflowNode& node : spec.nodes) {
    if (!node.name().empty()) {
      taken.insert(node.name());
    }
  }
  // Per base, the next number to try: keeps naming n nodes of one task O(n log n).
  std::map<std::string, uint64_t, std::less<>> next_number;
  for (WorkflowNode& node : spec.nodes) {
    if (!node.name().empty()) {
      continue;
    }
    std::string base = node.job().task().substr(0, kGeneratedBaseMax);
    for (char& c : base) {
      if (!IsNameChar(c)) {
        c = '_';
      }
    }
    if (base.empty()) {
      base = "node";
    }
    uint64_t& number = next_number[base];
    std::string name;
    do {
      name = absl::StrCat(base, "-", ++number);
    } while (taken.count(name) > 0);
    taken.insert(name);
    node.set_name(std::move(name));
  }
}

absl::Status CheckWorkflowSpec(const WorkflowSpec& spec) {
  if (spec.nodes.empty()) {
    return absl::InvalidArgumentError("a workflow needs at least one node");
  }
  absl::flat_hash_set<std::string_view> names;
  names.reserve(spec.nodes.size());
  for (size_t i = 0; i < spec.nodes.size(); ++i) {
    const WorkflowNode& node = spec.nodes[i];
    if (!IsValidNodeName(node.name())) {
      return absl::InvalidArgumentError(
          absl::StrCat("node ", i, ": the name \"", node.name().substr(0, 60),
                       "\" is not 1 to 200 letters, digits, '.', '_' or '-'"));
    }
    if (!names.insert(node.name()).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("two nodes are named \"", node.name(), "\"; names must be unique"));
    }
    if (node.job().task().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("node \"", node.name(), "\" has no task name"));
    }
    if (!IsValidUtf8(node.job().task()) || !IsValidUtf8(node.job().queue()) ||
        !IsValidUtf8(node.job().content_type())) {
      return absl::InvalidArgumentError(absl::StrCat(
          "node \"", node.name(), "\": its task, queue or content type is not valid UTF-8 text"));
    }
  }
  for (const WorkflowNode& node : spec.nodes) {
    for (const std::string& parent : node.after()) {
      if (names.count(parent) == 0) {
        return absl::InvalidArgumentError(absl::StrCat("node \"", node.name(), "\" waits for \"",
                                                       parent.substr(0, 60),
                                                       "\", which is no node of the workflow"));
      }
    }
  }
  return absl::OkStatus();
}

void AddParents(wire::JobSpec& job, const std::vector<JobId>& ids, wire::ParentFailure on_failure) {
  for (const JobId& id : ids) {
    job.add_after(std::string(id.Bytes()));
  }
  job.set_on_parent_failure(on_failure);
}

}  // namespace jobq
