#include "tests/sim/checkers/credit_respected.h"

#include <string>

namespace jobq::testing {

void CreditRespected::CheckDispatchReceived(const SimWorker& worker, const JobId& id) const {
  SIM_EXPECT(worker.broken || worker.held.size() < worker.capacity,
             "the broker sent " + worker.id + " " + Hex(id) + " while it runs " +
                 std::to_string(worker.held.size()) + " job(s), its capacity");
}

}  // namespace jobq::testing
