#pragma once
// CreditRespected: the broker never has more jobs out to a worker than that
// worker granted, across reconnects, restarts, re-sent and overtaken HELLOs
// and CREDITs. Each worker checks the DISPATCHes of its registration
// against its capacity.
//
// Not thread-safe.

#include "common/job_id.h"
#include "tests/sim/sim_workers.h"

namespace jobq::testing {

class CreditRespected {
 public:
  // `worker` accepts a DISPATCH of `id` (of its registration, not seen before).
  void CheckDispatchReceived(const SimWorker& worker, const JobId& id) const;
};

}  // namespace jobq::testing
