#pragma once
// CompletionQueue: hands back futures in the order they complete, like
// concurrent.futures.as_completed. Pass it in SubmitOptions or to
// Client::Wait; each future given to it is returned by Next() exactly once,
// when it is done (finished, rejected, or failed with the client).
//
// Thread-safe. It may be shared by several Clients; it must stay alive
// while its futures are pending only if the caller still wants them (the
// futures keep its internals alive, so destroying it early is safe).

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>

#include "producer/client/future.h"

namespace jobq {

namespace client_internal {
struct CompletionQueueState;
}  // namespace client_internal

class CompletionQueue {
 public:
  CompletionQueue();
  // Futures still pending are not affected; they are just not queued.
  ~CompletionQueue();
  CompletionQueue(const CompletionQueue&) = delete;
  CompletionQueue& operator=(const CompletionQueue&) = delete;

  // Blocks until a future completes and returns it; nullopt at once when no
  // future is pending (all given to the queue have been returned).
  std::optional<Future> Next();
  // Like Next(), but also returns nullopt after `timeout` without one.
  std::optional<Future> NextFor(std::chrono::milliseconds timeout);
  // Futures given to the queue and not yet returned by Next().
  size_t pending() const;

 private:
  friend class Client;
  std::shared_ptr<client_internal::CompletionQueueState> state_;
};

}  // namespace jobq
