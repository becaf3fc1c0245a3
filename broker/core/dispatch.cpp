// BrokerCore: dispatch — ready queues, the credit workers grant, and
// choosing jobs: sentinels first, then free credit filled from the queues
// each worker serves, workers taken round-robin. Separate from leases.cpp,
// which grants the lease a chosen job runs under and sends it.

#include <algorithm>

#include "broker/core/broker_core.h"

namespace jobq::broker::core {

void BrokerCore::Enqueue(Job& job, bool at_front, TimeMs now_ms, Effects* effects) {
  Transition(job, wire::JOB_STATE_QUEUED, now_ms);
  QueueState& queue = QueueNamed(job.spec.queue());
  if (at_front) {
    queue.ready.PushFront(job.id, job.spec.priority());
  } else {
    queue.ready.Push(job.id, job.spec.priority());
  }
  dispatch_pending_ = true;
  effects->JobChanged(job.id);
}

void BrokerCore::Credit(WorkerInfo& worker, const wire::Credit& credit) {
  if (credit.kind() != wire::KIND_IO && credit.kind() != wire::KIND_CPU) {
    return;
  }
  // A running total: an older CREDIT overtaken by a newer one, or one
  // repeated, changes nothing. Nobody frees more slots than it was given,
  // so a larger claim is cut to that.
  if (credit.registration() != worker.registration) {
    return;  // a total of a registration since replaced
  }
  const wire::Kind pool = credit.kind();
  const uint64_t held_max = uint64_t{worker.listed_at_hello[pool]} + worker.dispatched[pool];
  const uint64_t total = credit.freed_total() != 0 ? credit.freed_total()
                                                   : worker.freed_total[pool] + credit.credits();
  const uint64_t freed = std::min(total, held_max);
  if (freed <= worker.freed_total[pool]) {
    return;
  }
  worker.freed_total[pool] = freed;
  worker.UpdateCredit(pool);
  dispatch_pending_ = true;
}

void BrokerCore::Pump(TimeMs now_ms, Effects* effects) {
  if (!dispatch_pending_) {
    return;
  }
  dispatch_pending_ = false;
  for (auto& [name, queue] : queues_) {
    if (!queue.paused) {
      FireSentinelIfAtHead(name, queue, effects);
    }
  }
  if (workers_.empty()) {
    return;
  }
  // Start after the worker served first last time, so that with little work
  // every worker gets its share.
  auto start = workers_.upper_bound(rr_cursor_);
  if (start == workers_.end()) {
    start = workers_.begin();
  }
  auto it = start;
  do {
    if (it->second.total_credit() > 0) {
      FillCredit(it->second, now_ms, effects);
    }
    if (++it == workers_.end()) {
      it = workers_.begin();
    }
  } while (it != start);
  rr_cursor_ = start->first;
}

void BrokerCore::SkipDeadHead(QueueState& queue) {
  // Cancelled jobs stay in the ready queue until they reach its head.
  while (true) {
    ReadyQueue::Head head = queue.ready.Peek();
    if (head.kind != ReadyQueue::HeadKind::kJob) {
      return;
    }
    auto it = jobs_.find(head.id);
    if (it != jobs_.end() && it->second.state == wire::JOB_STATE_QUEUED) {
      return;
    }
    queue.ready.PopHead();
  }
}

void BrokerCore::FillCredit(WorkerInfo& worker, TimeMs now_ms, Effects* effects) {
  // Queues in the order the worker listed them: its first queue is its
  // most important one.
  for (size_t q = 0; q < worker.queues.size() && worker.total_credit() > 0;) {
    const std::string queue_name = worker.queues[q];
    auto found = queues_.find(queue_name);
    if (found == queues_.end() || found->second.paused) {  // paused: dispatches nothing
      ++q;
      continue;
    }
    QueueState& queue = found->second;
    bool sentinel_fired = false;
    while (worker.total_credit() > 0) {
      SkipDeadHead(queue);
      ReadyQueue::Head head = queue.ready.Peek();
      if (head.kind == ReadyQueue::HeadKind::kSentinel) {
        FireSentinelIfAtHead(queue_name, queue, effects);
        sentinel_fired = true;  // this worker no longer serves the queue
        break;
      }
      if (head.kind != ReadyQueue::HeadKind::kJob) {
        break;
      }
      Job& job = jobs_.at(head.id);
      const wire::Kind pool = worker.PoolFor(job.spec);
      // The head waits for a slot in its pool; jobs behind it do not jump it.
      if (worker.credit[pool] == 0) {
        break;
      }
      // A head held by its queue's or its task's limit holds the queue
      // (its order is kept; docs/design.md, "Limits"), not the worker:
      // its credit goes on to the next queue it serves.
      if (!limits_.empty() && !MayStart(job, now_ms)) {
        break;
      }
      queue.ready.PopHead();
      if (!limits_.empty()) {
        TakeTokens(job, now_ms);
      }
      Lease(job, worker, pool, now_ms, effects);
    }
    if (!sentinel_fired) {
      ++q;
    }
  }
}

}  // namespace jobq::broker::core
