#pragma once
// ResultMailbox: hands finished jobs' results from pool threads to the
// connection thread. Pool threads Post(); the connection thread polls fd()
// next to its DEALER socket and, when it is readable, takes everything with
// TakeAll() — so all results finished since the last loop iteration go out
// in one RESULT message.
//
// Thread-safe: Post() from any thread; TakeAll() from one thread.

#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "common/wake_fd.h"
#include "jobq/wire.pb.h"

namespace jobq::worker {

class ResultMailbox {
 public:
  void Post(wire::JobResult result);
  // A progress report of a running job. Replaces one of the same job and
  // attempt not taken yet, so a task reporting in a tight loop holds one
  // report here, not millions.
  void PostProgress(wire::ProgressReport report);

  // Everything posted so far, in posting order; afterwards fd() is not
  // readable until the next Post(). With `progress`, the reports are taken
  // in the same step (appended to it): a job's last report is never taken
  // after its result.
  std::vector<wire::JobResult> TakeAll(std::vector<wire::ProgressReport>* progress = nullptr);

  int fd() const { return wake_.fd(); }

 private:
  WakeFd wake_ = WakeFd::CreateOrDie();
  std::mutex mutex_;
  std::vector<wire::JobResult> results_;
  std::vector<wire::ProgressReport> progress_;
  // Where each job's report is in progress_, by id and attempt.
  std::map<std::pair<std::string, uint32_t>, size_t> progress_index_;
};

}  // namespace jobq::worker
