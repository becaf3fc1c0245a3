#include "producer/client/completion_queue.h"

#include <utility>

#include "producer/client/internal/shared_state.h"

namespace jobq {

namespace client_internal {

void CompletionQueueState::Expect() {
  std::lock_guard lock(mutex);
  ++pending;
}

void CompletionQueueState::Push(Future future) {
  {
    std::lock_guard lock(mutex);
    if (closed) {
      return;  // the parameter is destroyed after the lock is released
    }
    ready.push_back(std::move(future));
  }
  ready_cv.notify_all();
}

}  // namespace client_internal

CompletionQueue::CompletionQueue()
    : state_(std::make_shared<client_internal::CompletionQueueState>()) {}

CompletionQueue::~CompletionQueue() {
  std::deque<Future> dropped;
  {
    std::lock_guard lock(state_->mutex);
    state_->closed = true;
    dropped.swap(state_->ready);
  }
  // `dropped` goes here, outside the lock: releasing a future may release
  // the last reference to client state.
}

namespace {

std::optional<Future> PopLocked(client_internal::CompletionQueueState& state) {
  if (state.ready.empty()) {
    return std::nullopt;
  }
  Future future = std::move(state.ready.front());
  state.ready.pop_front();
  --state.pending;
  return future;
}

}  // namespace

std::optional<Future> CompletionQueue::Next() {
  std::unique_lock lock(state_->mutex);
  state_->ready_cv.wait(lock, [&] { return !state_->ready.empty() || state_->pending == 0; });
  return PopLocked(*state_);
}

std::optional<Future> CompletionQueue::NextFor(std::chrono::milliseconds timeout) {
  std::unique_lock lock(state_->mutex);
  if (timeout.count() > 0) {  // a zero timeout is a poll: skip the futex call
    state_->ready_cv.wait_for(lock, timeout,
                              [&] { return !state_->ready.empty() || state_->pending == 0; });
  }
  return PopLocked(*state_);
}

size_t CompletionQueue::pending() const {
  std::lock_guard lock(state_->mutex);
  return state_->pending;
}

}  // namespace jobq
