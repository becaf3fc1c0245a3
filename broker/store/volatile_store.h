#pragma once
// VolatileStore: the broker's `--store memory`. It keeps nothing, because
// nothing it kept could be read back: a broker process recovers only at
// start, and a memory store starts empty. The broker's own maps are the
// only copy of each job. (MemoryStore, which does keep what is committed,
// is for tests that restart a core inside one process.)
// Not thread-safe.

#include <string>

#include "broker/store/store.h"

namespace jobq::broker::store {

class VolatileStore final : public Store {
 public:
  std::string Describe() const override { return "memory"; }
  bool durable() const override { return false; }
  bool keeps_jobs() const override { return false; }
  absl::Status Commit(const CommitBatch& batch) override { return absl::OkStatus(); }
  absl::StatusOr<Recovered> Recover() override { return Recovered{}; }
};

}  // namespace jobq::broker::store
