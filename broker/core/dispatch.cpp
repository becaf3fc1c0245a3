// BrokerCore: dispatch — sentinels first, then free credit filled from the
// queues each worker serves, workers taken round-robin.

#include "broker/core/broker_core.h"
#include "common/check.h"

namespace jobq::broker::core {

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

void BrokerCore::FireSentinelIfAtHead(const std::string& queue_name, QueueState& queue,
                                      Effects* effects) {
  while (true) {
    SkipDeadHead(queue);
    if (queue.ready.Peek().kind != ReadyQueue::HeadKind::kSentinel) {
      return;
    }
    // One sentinel per consumer, like the reference's queue.put(None) per
    // thread. With no consumer yet, it waits for the next one to come.
    bool any_consumer = false;
    for (auto& [routing_id, worker] : workers_) {
      if (!worker.Serves(queue_name)) {
        continue;
      }
      any_consumer = true;
      std::erase(worker.queues, queue_name);
      auto sentinel = std::make_unique<wire::Sentinel>();
      sentinel->set_queue(queue_name);
      effects->Send(Socket::kBackend, routing_id, Command::kWorkerSentinel, std::move(sentinel));
    }
    if (!any_consumer) {
      return;
    }
    effects->SentinelRemoved(queue.ready.Peek().id);
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
      queue.ready.PopHead();
      Lease(job, worker, pool, now_ms, effects);
    }
    if (!sentinel_fired) {
      ++q;
    }
  }
}

}  // namespace jobq::broker::core
