#include "bench/jobq/core_worker.h"

#include <algorithm>

namespace jobq::bench {

TimeMs AnswerUntilDone(broker::core::BrokerCore& core, broker::core::Effects& effects,
                       const std::string& worker, TimeMs now_ms, size_t jobs) {
  auto worker_says = [&](const google::protobuf::Message& message, Command command) {
    core.OnWorkerMessage(worker, command, message.SerializeAsString(), now_ms, &effects);
  };
  size_t done = 0;
  TimeMs deadline_ms = core.Tick(now_ms, &effects);
  while (done < jobs) {
    wire::WorkerResults results;
    for (const broker::core::Outbound& out : effects.outbound) {
      if (out.command != Command::kDispatch) {
        continue;
      }
      for (const wire::DispatchedJob& job : static_cast<const wire::Dispatch&>(*out.body).jobs()) {
        wire::JobResult& result = *results.add_results();
        result.set_id(job.id());
        result.set_attempt(job.attempt());
        result.set_ok(true);
        result.set_result("null");
      }
    }
    effects.Clear();
    if (results.results_size() == 0) {
      now_ms = std::max(now_ms + 1, deadline_ms);
      worker_says(wire::Heartbeat(), Command::kWorkerHeartbeat);
    } else {
      done += static_cast<size_t>(results.results_size());
      worker_says(results, Command::kWorkerResult);
      wire::Credit credit;
      credit.set_kind(wire::KIND_IO);
      credit.set_credits(static_cast<uint32_t>(results.results_size()));
      worker_says(credit, Command::kCredit);
    }
    deadline_ms = core.Tick(now_ms, &effects);
  }
  return now_ms;
}

}  // namespace jobq::bench
