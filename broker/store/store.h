#pragma once
// Store: where the broker keeps jobs so that an acknowledged job survives
// what the broker process does not. The loop calls Commit once per
// iteration with everything that iteration changed (group commit) and sends
// acknowledgements only after it returned OK.
//
// Implementations: MemoryStore (--store memory: fastest, lost with the
// process). A Store is used by the loop thread only.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "broker/core/job.h"
#include "common/job_id.h"

namespace jobq::broker::store {

class Store {
 public:
  virtual ~Store() = default;

  // For status output: "memory", "sqlite:/var/lib/jobq/jobq.db".
  virtual std::string Describe() const = 0;
  // Whether a committed job survives a crash of the broker process.
  virtual bool durable() const = 0;

  // Writes the current state of `changed` and removes `erased`, all or
  // nothing. The pointers need only live for the call.
  [[nodiscard]] virtual absl::Status Commit(const std::vector<const core::Job*>& changed,
                                            const std::vector<JobId>& erased) = 0;

  // Everything committed and not erased, in no particular order.
  [[nodiscard]] virtual absl::StatusOr<std::vector<core::Job>> Recover() = 0;
};

}  // namespace jobq::broker::store
