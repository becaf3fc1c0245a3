#pragma once
// StatusBoard: the latest status snapshot the broker loop published, for the
// gRPC threads to read. The loop replaces the whole snapshot; readers get a
// shared pointer to an immutable one, so no reader ever sees it half-written
// and no gRPC thread touches the loop's state. Thread-safe.

#include <memory>
#include <mutex>

#include "jobq/admin.pb.h"

namespace jobq::broker::admin {

class StatusBoard {
 public:
  void Publish(std::shared_ptr<const jobq::admin::GetStatusResponse> snapshot) {
    std::lock_guard lock(mutex_);
    snapshot_ = std::move(snapshot);
  }
  // Null until the loop published once.
  std::shared_ptr<const jobq::admin::GetStatusResponse> Latest() const {
    std::lock_guard lock(mutex_);
    return snapshot_;
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const jobq::admin::GetStatusResponse> snapshot_;
};

}  // namespace jobq::broker::admin
