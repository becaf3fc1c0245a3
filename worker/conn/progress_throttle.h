#pragma once
// ProgressThrottle: which progress reports of running jobs the worker sends
// to the broker (docs/protocol.md, PROGRESS). At most one report per job per
// interval (10 a second); a report that comes sooner is held, replacing the
// one held before, and goes out when the job's window opens (TakeDue) or,
// when the job ends first, before its result (Finish). So the latest report
// always reaches the broker and a task reporting in a tight loop costs the
// broker 10 messages a second.
//
// Pure: time is passed in. Not thread-safe: the connection thread owns it.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/progress_limits.h"
#include "jobq/wire.pb.h"

namespace jobq::worker {

class ProgressThrottle {
 public:
  explicit ProgressThrottle(int64_t interval_ms = kProgressIntervalMs)
      : interval_ms_(interval_ms) {}

  // A new report of a running job: true when it is to be sent now (it then
  // counts as sent); false when it is held.
  bool Offer(const wire::ProgressReport& report, int64_t now_ms);
  // The held reports whose window has opened by `now_ms`, in job order;
  // they count as sent.
  std::vector<wire::ProgressReport> TakeDue(int64_t now_ms);
  // The job (id, attempt) ended: its held report, to send before its
  // result, if any. Forgets the job.
  std::optional<wire::ProgressReport> Finish(const std::string& id, uint32_t attempt);
  // Forgets every job (a lost broker: reports are not kept across one).
  void Clear() { jobs_.clear(); }

  // When TakeDue() next has something; INT64_MAX when nothing is held.
  int64_t NextDueMs() const;
  size_t jobs() const { return jobs_.size(); }

 private:
  struct JobState {
    int64_t last_sent_ms = 0;
    std::optional<wire::ProgressReport> held;
  };
  using Key = std::pair<std::string, uint32_t>;

  int64_t interval_ms_;
  std::map<Key, JobState> jobs_;
};

}  // namespace jobq::worker
