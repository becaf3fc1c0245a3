// BrokerCore: rate limits and concurrency caps (issue 17, item 3), global
// across workers: per queue and per (queue, task), each a token bucket on
// the core's clock and/or a cap on running jobs. FillCredit asks MayStart
// before it leases a limited job and TakeTokens when it does; Transition
// keeps the running counts, so every way a job leaves running (result,
// lost lease, cancel, refusal) gives its slot back.
//
// Buckets are not persisted: a restored limit starts with an empty bucket
// (docs/guarantees.md says why: a full one could dispatch a burst more than
// the rate allows across a restart; an empty one never does).

#include <algorithm>
#include <limits>

#include "broker/core/broker_core.h"
#include "common/check.h"

namespace jobq::broker::core {
namespace {

// The task name of a whole queue's limit.
const std::string kNoTask;

}  // namespace

LimitState* BrokerCore::FindLimit(const std::string& queue, const std::string& task) {
  auto found = limits_.find(queue);
  if (found == limits_.end()) {
    return nullptr;
  }
  if (task.empty()) {
    return found->second.whole ? &*found->second.whole : nullptr;
  }
  auto by_task = found->second.by_task.find(task);
  return by_task == found->second.by_task.end() ? nullptr : &by_task->second;
}

int64_t BrokerCore::RunningMatching(const std::string& queue, const std::string& task) const {
  if (task.empty()) {
    return static_cast<int64_t>(index_.Count(queue, wire::JOB_STATE_RUNNING));
  }
  // Only when a task limit is set or restored: the index visits the
  // smaller of the task's jobs and the queue's running ones.
  JobFilter filter;
  filter.state = wire::JOB_STATE_RUNNING;
  filter.queue = queue;
  filter.task = task;
  int64_t running = 0;
  index_.Candidates(filter, std::numeric_limits<size_t>::max(), [&](const JobId& id) {
    const Job& job = jobs_.at(id);
    running +=
        job.state == wire::JOB_STATE_RUNNING && job.spec.queue() == queue && job.spec.task() == task
            ? 1
            : 0;
    return true;
  });
  return running;
}

absl::StatusOr<LimitRecord> BrokerCore::SetLimit(LimitRecord record, TimeMs now_ms,
                                                 Effects* effects) {
  record.cleared = false;
  if (absl::Status valid = CheckLimit(record); !valid.ok()) {
    return valid;
  }
  LimitState* limit = FindLimit(record.queue, record.task);
  if (limit == nullptr) {
    if (limit_count_ >= kLimitsMax) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "the broker keeps at most ", kLimitsMax, " limits: clear one with jobq limit --clear"));
    }
    if (queues_.size() >= options_.queues_max && queues_.count(record.queue) == 0) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "the broker has its maximum of ", options_.queues_max, " queues (--queues-max)"));
    }
    QueueLimits& queue = limits_[record.queue];
    if (record.task.empty()) {
      limit = &queue.whole.emplace();
    } else {
      limit = &queue.by_task[record.task];
    }
    ++limit_count_;
    limit->running = RunningMatching(record.queue, record.task);
    QueueNamed(record.queue);  // listed by status like a paused one
  }
  // Jobs already running keep their slots under a new or lowered cap.
  limit->running_allowed = std::max(record.concurrency, limit->running);
  if (!record.has_rate()) {
    limit->bucket.reset();
  } else if (limit->bucket) {
    // A changed limit never mints: the bucket keeps its whole tokens.
    limit->bucket->Reconfigure(record.rate, record.burst, now_ms);
  } else {
    limit->bucket.emplace(record.rate, record.burst, now_ms);
  }
  limit->record = record;
  effects->LimitChanged(record);
  dispatch_pending_ = true;  // a raised limit may free jobs now
  return record;
}

bool BrokerCore::ClearLimit(const std::string& queue, const std::string& task, Effects* effects) {
  auto found = limits_.find(queue);
  if (found == limits_.end()) {
    return false;
  }
  QueueLimits& limits = found->second;
  if (task.empty()) {
    if (!limits.whole) {
      return false;
    }
    limits.whole.reset();
  } else if (limits.by_task.erase(task) == 0) {
    return false;
  }
  --limit_count_;
  if (!limits.whole && limits.by_task.empty()) {
    limits_.erase(found);
  }
  LimitRecord cleared;
  cleared.queue = queue;
  cleared.task = task;
  cleared.cleared = true;
  effects->LimitChanged(cleared);
  dispatch_pending_ = true;
  return true;
}

void BrokerCore::RestoreLimits(std::vector<LimitRecord> records, TimeMs now_ms) {
  for (LimitRecord& record : records) {
    // The store checked each record; one that is not valid now (a bound
    // lowered since) is dropped rather than trusted.
    if (!CheckLimit(record).ok() || FindLimit(record.queue, record.task) != nullptr ||
        limit_count_ >= kLimitsMax) {
      continue;
    }
    QueueLimits& queue = limits_[record.queue];
    LimitState& limit = record.task.empty() ? queue.whole.emplace() : queue.by_task[record.task];
    ++limit_count_;
    if (record.has_rate()) {
      // Empty, not full: the tokens spent before the restart are not known
      // (a DISPATCH may go out before its commit), and an empty bucket
      // keeps "burst + rate x elapsed" true across any restart.
      limit.bucket.emplace(
          TokenBucket::FromState(record.rate, record.burst, TokenBucketState{0, 0, now_ms}));
    }
    limit.running = RunningMatching(record.queue, record.task);
    limit.running_allowed = std::max(record.concurrency, limit.running);
    QueueNamed(record.queue);
    limit.record = std::move(record);
  }
  dispatch_pending_ = true;
}

std::vector<LimitView> BrokerCore::Limits(TimeMs now_ms) const {
  std::vector<LimitView> views;
  auto add = [&](const LimitState& limit) {
    LimitView& view = views.emplace_back();
    view.record = limit.record;
    view.running = limit.running;
    if (limit.bucket) {
      view.tokens = limit.bucket->Available(now_ms);
    }
    TimeMs token_ms = 0;
    const LimitHold hold = HoldOf(limit, now_ms, &token_ms);
    view.limited = hold != LimitHold::kNone;
    view.next_token_ms = hold == LimitHold::kRate ? token_ms : 0;
  };
  for (const auto& [queue, limits] : limits_) {
    if (limits.whole) {
      add(*limits.whole);
    }
    for (const auto& [task, limit] : limits.by_task) {
      add(limit);
    }
  }
  return views;
}

BrokerCore::LimitHold BrokerCore::HoldOf(const LimitState& limit, TimeMs now_ms, TimeMs* token_ms) {
  if (limit.record.concurrency != 0 && limit.running >= limit.record.concurrency) {
    return LimitHold::kConcurrency;
  }
  if (limit.bucket && limit.bucket->Available(now_ms) < 1) {
    *token_ms = limit.bucket->NextTokenAt(now_ms);
    return LimitHold::kRate;
  }
  return LimitHold::kNone;
}

BrokerCore::LimitHold BrokerCore::HoldFor(const std::string& queue, const std::string& task,
                                          TimeMs now_ms, TimeMs* token_ms) const {
  auto found = limits_.find(queue);
  if (found == limits_.end()) {
    return LimitHold::kNone;
  }
  const QueueLimits& limits = found->second;
  if (limits.whole) {
    if (LimitHold hold = HoldOf(*limits.whole, now_ms, token_ms); hold != LimitHold::kNone) {
      return hold;
    }
  }
  if (!task.empty()) {
    auto by_task = limits.by_task.find(task);
    if (by_task != limits.by_task.end()) {
      return HoldOf(by_task->second, now_ms, token_ms);
    }
  }
  return LimitHold::kNone;
}

bool BrokerCore::MayStart(const Job& job, TimeMs now_ms) {
  TimeMs token_ms = 0;
  const LimitHold hold = HoldFor(job.spec.queue(), job.spec.task(), now_ms, &token_ms);
  if (hold == LimitHold::kRate) {
    // Tick returns this time, so the queue is looked at again when its
    // next token is there: no busy polling, no waiting for another event.
    // A cap frees itself: the job leaving running sets dispatch_pending_.
    if (next_limit_wake_ms_ <= now_ms || token_ms < next_limit_wake_ms_) {
      next_limit_wake_ms_ = token_ms;
    }
  }
  return hold == LimitHold::kNone;
}

void BrokerCore::TakeTokens(const Job& job, TimeMs now_ms) {
  auto take = [&](LimitState* limit) {
    if (limit != nullptr && limit->bucket) {
      JOBQ_CHECK(limit->bucket->TryTake(now_ms)) << "MayStart saw a token";
    }
  };
  take(FindLimit(job.spec.queue(), kNoTask));
  if (!job.spec.task().empty()) {
    take(FindLimit(job.spec.queue(), job.spec.task()));
  }
}

void BrokerCore::CountRunning(const Job& job, int64_t delta, bool restored) {
  auto found = limits_.find(job.spec.queue());
  if (found == limits_.end()) {
    return;
  }
  auto count = [&](LimitState& limit) {
    limit.running += delta;
    if (restored) {
      // A recovered lease holds its slot even above the cap.
      limit.running_allowed = std::max(limit.running_allowed, limit.running);
    } else if (delta < 0) {
      limit.running_allowed =
          std::max(limit.record.concurrency, std::min(limit.running_allowed, limit.running));
    }
  };
  QueueLimits& limits = found->second;
  if (limits.whole) {
    count(*limits.whole);
  }
  auto by_task = limits.by_task.find(job.spec.task());
  if (by_task != limits.by_task.end() && !job.spec.task().empty()) {
    count(by_task->second);
  }
  if (delta < 0) {
    dispatch_pending_ = true;  // a slot under a cap is free
  }
}

bool BrokerCore::HeadLimited(const std::string& name, const QueueState& queue,
                             TimeMs* token_ms) const {
  if (limits_.empty() || queue.paused) {
    return false;
  }
  ReadyQueue::Head head = queue.ready.Peek();
  if (head.kind != ReadyQueue::HeadKind::kJob) {
    return false;
  }
  auto job = jobs_.find(head.id);
  const std::string& task = job == jobs_.end() ? kNoTask : job->second.spec.task();
  *token_ms = 0;
  return HoldFor(name, task, now_ms_, token_ms) != LimitHold::kNone;
}

void BrokerCore::CheckLimitInvariants() const {
  size_t count = 0;
  for (const auto& [queue_name, limits] : limits_) {
    // A copy the lambda below can capture (C++20 structured bindings cannot
    // be captured by clang 14).
    const std::string& queue = queue_name;
    JOBQ_CHECK(limits.whole || !limits.by_task.empty()) << "no empty limit entry is kept";
    JOBQ_CHECK(queues_.count(queue) == 1) << "a limited queue is listed";
    auto check = [&](const LimitState& limit, const std::string& task) {
      ++count;
      JOBQ_CHECK(limit.record.queue == queue && limit.record.task == task)
          << "limit of " << LimitName(queue, task) << " keyed by its names";
      JOBQ_CHECK(CheckLimit(limit.record).ok())
          << "limit of " << LimitName(queue, task) << " within its bounds";
      JOBQ_CHECK(limit.bucket.has_value() == limit.record.has_rate())
          << "a bucket exactly for a rate limit";
      JOBQ_CHECK(limit.running == RunningMatching(queue, task))
          << "running count of " << LimitName(queue, task) << " is " << limit.running
          << ", the jobs say " << RunningMatching(queue, task);
      if (limit.record.concurrency != 0) {
        // Jobs that ran when the cap was set or lowered, or that a restart
        // recovered, may exceed it until they end; nothing starts above it.
        JOBQ_CHECK(limit.running <= std::max(limit.record.concurrency, limit.running_allowed))
            << "running jobs of " << LimitName(queue, task) << " (" << limit.running
            << ") exceed the cap of " << limit.record.concurrency;
      }
    };
    if (limits.whole) {
      check(*limits.whole, "");
    }
    for (const auto& [task, limit] : limits.by_task) {
      check(limit, task);
    }
  }
  JOBQ_CHECK(count == limit_count_) << "limits counted";
}

}  // namespace jobq::broker::core
