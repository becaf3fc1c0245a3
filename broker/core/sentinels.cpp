// BrokerCore: sentinels — the stop markers a producer or BeginShutdown
// queues behind a queue's jobs, bounded per queue, fired as one SENTINEL per
// serving worker once they reach the head — and shutdown. Separate from
// dispatch.cpp: a sentinel is no job, has no lease and is never retried.

#include <set>

#include "broker/core/broker_core.h"

namespace jobq::broker::core {

void BrokerCore::BeginShutdown(TimeMs now_ms, Effects* effects) {
  if (shutting_down_) {
    return;
  }
  shutting_down_ = true;
  std::set<std::string> names;
  for (const auto& [name, queue] : queues_) {
    names.insert(name);
  }
  for (const auto& [routing_id, worker] : workers_) {
    names.insert(worker.queues.begin(), worker.queues.end());
  }
  for (const std::string& name : names) {
    AddSentinel(name, now_ms, effects);
  }
}

std::string BrokerCore::SentinelRoomFor(const std::string& queue_name) const {
  if (queues_.size() >= options_.queues_max && queues_.count(queue_name) == 0) {
    return "the broker has " + std::to_string(queues_.size()) +
           " queues, its limit (--queues-max); a sentinel for \"" + queue_name +
           "\" would make another";
  }
  auto queue = queues_.find(queue_name);
  if (queue != queues_.end() && queue->second.ready.sentinels() >= kSentinelsPerQueueMax) {
    return "queue \"" + queue_name + "\" already has " + std::to_string(kSentinelsPerQueueMax) +
           " sentinels waiting; one stops every worker of the queue, so wait for them to fire";
  }
  return "";
}

void BrokerCore::AddSentinel(const std::string& queue_name, TimeMs now_ms, Effects* effects) {
  // Its id orders it among the queue's jobs when the store gives it back.
  const JobId id = id_generator_.Next(now_ms);
  QueueNamed(queue_name).ready.PushSentinel(id);
  effects->SentinelAdded(id, queue_name);
  dispatch_pending_ = true;
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

}  // namespace jobq::broker::core
