#pragma once
// AskLoop: a civetweb thread's way to put one question to the broker's
// loop (BrokerControl) and wait for the answer, up to a deadline. The loop
// never waits: it answers when it gets to the task, and an answer that
// comes after the deadline lands in a promise nobody reads any more.

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "broker/admin/broker_control.h"

namespace jobq::broker::http {

// `ask` posts the question: it is called with the Reply to give the
// control. DEADLINE_EXCEEDED after `timeout`.
template <typename Response, typename Ask>
absl::StatusOr<Response> AskLoop(Ask ask, std::chrono::milliseconds timeout) {
  auto promise = std::make_shared<std::promise<absl::StatusOr<Response>>>();
  std::future<absl::StatusOr<Response>> answer = promise->get_future();
  ask(admin::Reply<Response>(
      [promise](absl::StatusOr<Response> reply) { promise->set_value(std::move(reply)); }));
  if (answer.wait_for(timeout) != std::future_status::ready) {
    return absl::DeadlineExceededError("the broker is busy and did not answer within " +
                                       std::to_string(timeout.count()) +
                                       " ms; try again in a moment");
  }
  return answer.get();
}

}  // namespace jobq::broker::http
