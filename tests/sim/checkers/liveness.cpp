#include "tests/sim/checkers/liveness.h"

#include <sstream>

namespace jobq::testing {

using broker::core::BrokerCore;
using broker::core::Job;

void Liveness::CheckDeclaredDead(const std::string& worker, TimeMs silent_ms, bool expected) const {
  SIM_EXPECT(expected || silent_ms > kSilenceMaxMs,
             "worker " + worker + " declared dead after only " + std::to_string(silent_ms) +
                 "ms of silence");
}

void Liveness::CheckCancelled(const JobId& id, const BrokerCore& core) const {
  const Job* job = core.FindJob(id);
  SIM_EXPECT(job != nullptr && job->state == wire::JOB_STATE_CANCELLED,
             "CANCEL of " + Hex(id) + ", not running, left it " +
                 (job ? wire::JobState_Name(job->state) : "unknown"));
}

std::string Liveness::Unsettled(const BrokerCore& core, const SimWorkers& workers,
                                const SimClients& clients) const {
  std::ostringstream out;
  int shown = 0;
  for (const auto& [id, model] : model_.jobs()) {
    if (model.terminal) {
      continue;
    }
    const Job* job = core.FindJob(id);
    out << (shown == 0 ? "jobs not finished:" : "") << " " << Hex(id) << "(queue " << model.queue
        << ", state " << (job ? wire::JobState_Name(job->state) : "?") << ", leased_to "
        << (job ? job->leased_to : "?") << ")";
    if (++shown == 5) {
      break;
    }
  }
  if (shown > 0) {
    // What each live worker and the core think of it: where a job stuck
    // in its queue should have gone.
    for (const SimWorker& worker : workers.all()) {
      if (!worker.alive()) {
        continue;
      }
      out << "\n  " << worker.id << ": link " << static_cast<int>(worker.link) << ", registration "
          << worker.registration << ", capacity " << worker.capacity << ", running "
          << worker.held.size() << ", queues";
      for (const std::string& queue : worker.queues) {
        out << " " << queue;
      }
      if (const broker::core::WorkerInfo* info = core.FindWorkerByName(worker.id)) {
        out << "; core: registration " << info->registration << ", credit "
            << info->credit[wire::KIND_IO] << ", leased " << info->leased.size();
      } else {
        out << "; core: not registered";
      }
    }
    return out.str();
  }
  for (const SimClient& client : clients.all()) {
    if (!client.unacked.empty()) {
      return "client " + client.id + " has " + std::to_string(client.unacked.size()) +
             " job(s) never acknowledged, the first client_seq " +
             std::to_string(client.unacked.begin()->first);
    }
    if (!client.waiting.empty()) {
      return "client " + client.id + " never got the outcome of " + Hex(*client.waiting.begin()) +
             " (and " + std::to_string(client.waiting.size() - 1) + " more)";
    }
  }
  for (const auto& [id, sentinel] : model_.sentinels()) {
    if (!sentinels_.Over(id)) {
      return "queue " + sentinel.queue + ": sentinel " + std::to_string(sentinel.index + 1) +
             (sentinel.fired ? " fired, its SENTINELs still held" : " never fired");
    }
  }
  return "";
}

}  // namespace jobq::testing
