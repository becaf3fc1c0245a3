#include "broker/core/concurrency_cap.h"

#include <algorithm>

#include "broker/core/rate_limit.h"
#include "common/check.h"

namespace jobq::broker::core {

ConcurrencyCap::ConcurrencyCap(int64_t limit, int64_t running) : limit_(limit), running_(running) {
  JOBQ_CHECK(CheckConcurrency(limit).ok()) << "a concurrency cap must be checked first: " << limit;
  JOBQ_CHECK(running >= 0) << "cannot have " << running << " running jobs";
}

int64_t ConcurrencyCap::Room() const { return std::max<int64_t>(0, limit_ - running_); }

bool ConcurrencyCap::TryAcquire() {
  if (!HasRoom()) {
    return false;
  }
  ++running_;
  return true;
}

void ConcurrencyCap::Acquire() {
  JOBQ_CHECK(HasRoom()) << "no room under the concurrency cap: " << running_ << " of " << limit_
                        << " running";
  ++running_;
}

void ConcurrencyCap::Release() {
  // A second release of one job's slot would let a job more than the cap run.
  JOBQ_CHECK(running_ > 0) << "released a concurrency slot that no job held";
  --running_;
}

void ConcurrencyCap::SetLimit(int64_t limit) {
  JOBQ_CHECK(CheckConcurrency(limit).ok()) << "a concurrency cap must be checked first: " << limit;
  limit_ = limit;
}

}  // namespace jobq::broker::core
