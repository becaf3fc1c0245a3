#pragma once
// ResultMailbox: hands finished jobs' results from pool threads to the
// connection thread. Pool threads Post(); the connection thread polls fd()
// next to its DEALER socket and, when it is readable, takes everything with
// TakeAll() — so all results finished since the last loop iteration go out
// in one RESULT message.
//
// Thread-safe: Post() from any thread; TakeAll() from one thread.

#include <mutex>
#include <vector>

#include "common/wake_fd.h"
#include "jobq/wire.pb.h"

namespace jobq::worker {

class ResultMailbox {
 public:
  void Post(wire::JobResult result);

  // Everything posted so far, in posting order; afterwards fd() is not
  // readable until the next Post().
  std::vector<wire::JobResult> TakeAll();

  int fd() const { return wake_.fd(); }

 private:
  WakeFd wake_ = WakeFd::CreateOrDie();
  std::mutex mutex_;
  std::vector<wire::JobResult> results_;
};

}  // namespace jobq::worker
