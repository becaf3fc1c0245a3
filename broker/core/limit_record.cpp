#include "broker/core/limit_record.h"

#include "absl/strings/str_cat.h"

namespace jobq::broker::core {

std::string LimitName(const std::string& queue, const std::string& task) {
  return task.empty() ? absl::StrCat("queue ", queue)
                      : absl::StrCat("queue ", queue, ", task ", task);
}

absl::Status CheckLimit(const LimitRecord& record) {
  if (record.queue.empty()) {
    return absl::InvalidArgumentError("a limit needs a queue name");
  }
  if (record.queue.size() > kLimitNameBytesMax || record.task.size() > kLimitNameBytesMax) {
    return absl::InvalidArgumentError(
        absl::StrCat("a limit's queue and task names are at most ", kLimitNameBytesMax, " bytes"));
  }
  if (!record.has_rate() && record.concurrency == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("the limit of ", LimitName(record.queue, record.task),
                     " has neither a rate nor a concurrency cap: give --rate or --concurrency "
                     "(or --clear to remove it)"));
  }
  if (record.has_rate()) {
    if (absl::Status rate = CheckRate(record.rate); !rate.ok()) {
      return rate;
    }
    if (absl::Status burst = CheckBurst(record.burst); !burst.ok()) {
      return burst;
    }
  } else if (record.burst != 0) {
    return absl::InvalidArgumentError(
        "a burst is the size of a rate limit's bucket: give --rate with --burst");
  }
  if (record.concurrency != 0) {
    if (absl::Status cap = CheckConcurrency(record.concurrency); !cap.ok()) {
      return cap;
    }
  }
  return absl::OkStatus();
}

}  // namespace jobq::broker::core
