#pragma once
// JobLinks: what a job with parents, children or a workflow holds beyond
// the plain Job: kept out of Job itself (behind one pointer) so that the
// millions of jobs without any pay 8 bytes for it, not a hundred.
// Owned by BrokerCore; not thread-safe.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/job_id.h"

namespace jobq::broker::core {

struct JobLinks {
  // Persisted with the job (store.proto JobRecord).
  std::optional<JobId> workflow;  // the workflow it is a node of
  std::string node;               // its name in that workflow
  // Set when it was released: the JSON object its payload gains at
  // dispatch ({"inputs": {...}} and, for PARENT_FAILURE_RUN, the failures).
  // Empty while blocked, and for jobs without parents.
  std::string inputs;

  // Derived: rebuilt from every job's spec.after at Restore.
  std::vector<JobId> children;  // jobs whose spec.after names this one
  // While blocked: parents whose outcome it still waits for.
  uint32_t unresolved = 0;
  // Children still blocked on it: a finished job is not forgotten while
  // one of them may yet need its result for its inputs.
  uint32_t blocked_children = 0;

  bool empty() const {
    return !workflow && node.empty() && inputs.empty() && children.empty() && unresolved == 0 &&
           blocked_children == 0;
  }
};

// A copyable owner of a JobLinks; empty (nullptr) for a job without links.
// A copy holds only the persisted part (workflow, node, inputs): a Job is
// copied for what a store keeps (commit batches, recovered snapshots), and
// Restore rebuilds the derived part from every job's spec.after. Copying
// `children` too cost a chord's commits a vector per node, and its
// callback's copy one of every node.
class JobLinksBox {
 public:
  JobLinksBox() = default;
  JobLinksBox(const JobLinksBox& other) : links_(PersistedCopy(other.links_.get())) {}
  JobLinksBox& operator=(const JobLinksBox& other) {
    if (this != &other) {
      links_ = PersistedCopy(other.links_.get());
    }
    return *this;
  }
  JobLinksBox(JobLinksBox&&) noexcept = default;
  JobLinksBox& operator=(JobLinksBox&&) noexcept = default;

  JobLinks* get() const { return links_.get(); }
  JobLinks* operator->() const { return links_.get(); }
  explicit operator bool() const { return links_ != nullptr; }
  // The links, made on first use.
  JobLinks& Make() {
    if (!links_) {
      links_ = std::make_unique<JobLinks>();
    }
    return *links_;
  }
  void Reset() { links_.reset(); }

 private:
  static std::unique_ptr<JobLinks> PersistedCopy(const JobLinks* links) {
    if (links == nullptr || (!links->workflow && links->node.empty() && links->inputs.empty())) {
      return nullptr;
    }
    auto copy = std::make_unique<JobLinks>();
    copy->workflow = links->workflow;
    copy->node = links->node;
    copy->inputs = links->inputs;
    return copy;
  }

  std::unique_ptr<JobLinks> links_;
};

}  // namespace jobq::broker::core
