#include "broker/net/commit_pipeline.h"

#include <algorithm>
#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/string_view.h"
#include "broker/net/latency_timer.h"

namespace jobq::broker::net {
namespace {

// The store's error as the broker's: INTERNAL, with the store's payloads
// kept, so that a refusal by fencing (store/deposed.h) is still one and
// the broker steps down instead of exiting.
absl::Status CommitFailed(const absl::Status& status) {
  absl::Status failed =
      absl::InternalError("store commit failed: " + std::string(status.message()));
  status.ForEachPayload([&failed](absl::string_view url, const absl::Cord& payload) {
    failed.SetPayload(url, payload);
  });
  return failed;
}

// A job changed several times since the last commit is written once, in
// its latest state. Sorting the ids dedups them without a hash set.
void SortUnique(std::vector<JobId>* ids) {
  std::sort(ids->begin(), ids->end());
  ids->erase(std::unique(ids->begin(), ids->end()), ids->end());
}

}  // namespace

CommitPipeline::CommitPipeline(const core::BrokerCore* core, store::Store* store, SendFn send,
                               StartBatchFn start_batch)
    : core_(core), store_(store), send_(std::move(send)), start_batch_(std::move(start_batch)) {}

CommitPipeline::~CommitPipeline() {
  FailPending(absl::UnavailableError("the broker stopped before the change was committed"));
}

absl::Status CommitPipeline::Take(core::Effects* effects) {
  if (effects->empty()) {
    return absl::OkStatus();
  }
  if (!start_batch_) {
    return CommitInline(effects);
  }
  if (effects->has_store_writes()) {
    auto append = [](auto& to, auto& from) { to.insert(to.end(), from.begin(), from.end()); };
    append(unwritten_.changed_jobs, effects->changed_jobs);
    append(unwritten_.erased_jobs, effects->erased_jobs);
    append(unwritten_.sentinels_added, effects->sentinels_added);
    append(unwritten_.sentinels_removed, effects->sentinels_removed);
    append(unwritten_.changed_schedules, effects->changed_schedules);
    append(unwritten_.erased_schedules, effects->erased_schedules);
    append(unwritten_.limits_changed, effects->limits_changed);
    append(unwritten_.changed_workflows, effects->changed_workflows);
    append(unwritten_.erased_workflows, effects->erased_workflows);
  }
  const uint64_t batch = DependsOnBatch();
  for (core::Outbound& out : effects->outbound) {
    const bool to_worker = out.socket == core::Socket::kBackend;
    if ((to_worker && out.command != Command::kWorkerSentinel && !AheadOfStore(out)) ||
        (batch == 0 && held_.empty())) {
      // Workers may get a job before it is durable: if the broker dies
      // first, the job was never acknowledged and its producer re-sends it,
      // and a restored broker skips the one attempt number it may have used
      // (a DISPATCH that would make it two waits for its commit).
      // A SENTINEL waits for its removal to be durable, or a restored broker
      // would fire it again and stop a second round of workers.
      send_(out);
    } else {
      Hold(batch, std::move(out), nullptr);
    }
  }
  effects->Clear();
  StartNextBatch();
  return absl::OkStatus();
}

uint64_t CommitPipeline::DependsOnBatch() const {
  if (unwritten_.has_store_writes()) {
    return next_batch_;
  }
  return in_flight_ ? next_batch_ - 1 : 0;
}

void CommitPipeline::Hold(uint64_t batch, core::Outbound message, CommitReply reply) {
  // Held things leave in order: none may overtake one held before it.
  const uint64_t after = held_.empty() ? 0 : held_.back().batch;
  held_.push_back(Held{std::max(batch, after), std::move(message), std::move(reply)});
}

void CommitPipeline::AfterCommit(CommitReply reply) {
  const uint64_t batch = DependsOnBatch();
  if (batch == 0 && held_.empty()) {
    reply(absl::OkStatus());
    return;
  }
  Hold(batch, core::Outbound{}, std::move(reply));
}

void CommitPipeline::StartNextBatch() {
  if (in_flight_ || !unwritten_.has_store_writes()) {
    return;
  }
  OwnedBatch batch;
  std::vector<JobId>& changed = unwritten_.changed_jobs;
  SortUnique(&changed);
  batch.changed.reserve(changed.size());
  in_flight_attempts_.clear();
  for (const JobId& id : changed) {
    if (const core::Job* job = core_->FindJob(id)) {
      batch.changed.push_back(*job);
      batch.changed.back().watchers.clear();  // connections, not state
      in_flight_attempts_.emplace_back(id, job->attempt, core::IsTerminal(job->state));
    }
  }
  in_flight_erased_ = unwritten_.erased_jobs;
  batch.erased = std::move(unwritten_.erased_jobs);
  batch.sentinels_added = std::move(unwritten_.sentinels_added);
  batch.sentinels_removed = std::move(unwritten_.sentinels_removed);
  batch.schedules_changed = SchedulesToWrite(*core_, &unwritten_.changed_schedules);
  batch.schedules_erased = std::move(unwritten_.erased_schedules);
  batch.limits = std::move(unwritten_.limits_changed);
  batch.workflows_changed = WorkflowsToWrite(*core_, &unwritten_.changed_workflows);
  batch.workflows_erased = std::move(unwritten_.erased_workflows);
  unwritten_.Clear();
  in_flight_ = true;
  ++next_batch_;
  start_batch_(std::move(batch));
}

absl::Status CommitPipeline::OnBatchCommitted(const absl::Status& status) {
  in_flight_ = false;
  if (!status.ok()) {
    absl::Status failed = CommitFailed(status);
    FailPending(failed);
    return failed;
  }
  ++committed_batch_;
  for (const auto& [id, attempt, finished] : in_flight_attempts_) {
    if (finished) {
      committed_attempts_.erase(id);
    } else {
      committed_attempts_[id] = attempt;
    }
  }
  for (const JobId& id : in_flight_erased_) {
    committed_attempts_.erase(id);
  }
  while (!held_.empty() && held_.front().batch <= committed_batch_) {
    Held released = std::move(held_.front());
    held_.pop_front();
    if (released.reply) {
      released.reply(absl::OkStatus());
    } else {
      send_(released.message);
    }
  }
  StartNextBatch();
  return absl::OkStatus();
}

void CommitPipeline::FailPending(const absl::Status& status) {
  // Nothing that waited for a commit may be acknowledged now.
  std::deque<Held> dropped = std::move(held_);
  held_.clear();
  for (Held& held : dropped) {
    if (held.reply) {
      held.reply(status);
    }
  }
}

bool CommitPipeline::AheadOfStore(const core::Outbound& out) const {
  if (out.command != Command::kDispatch) {
    return false;
  }
  // A restored broker skips one attempt number, so at most one DISPATCH per
  // job may be out that the store does not record; another one waits.
  const auto& dispatch = static_cast<const wire::Dispatch&>(*out.body);
  for (const wire::DispatchedJob& job : dispatch.jobs()) {
    std::optional<JobId> id = JobId::FromBytes(job.id());
    auto stored = id ? committed_attempts_.find(*id) : committed_attempts_.end();
    const uint32_t committed = stored == committed_attempts_.end() ? 0 : stored->second;
    if (job.attempt() > committed + 1) {
      return true;
    }
  }
  return false;
}

absl::Status CommitPipeline::CommitInline(core::Effects* effects) {
  if (effects->has_store_writes() && store_->keeps_jobs()) {
    std::vector<JobId>& changed = effects->changed_jobs;
    SortUnique(&changed);
    changed_scratch_.clear();
    for (const JobId& id : changed) {
      if (const core::Job* job = core_->FindJob(id)) {
        changed_scratch_.push_back(job);
      }
    }
    const std::vector<store::ScheduleRecord> schedules =
        SchedulesToWrite(*core_, &effects->changed_schedules);
    const std::vector<store::WorkflowRecord> workflows =
        WorkflowsToWrite(*core_, &effects->changed_workflows);
    const store::CommitBatch batch{.changed = changed_scratch_,
                                   .erased = effects->erased_jobs,
                                   .sentinels_added = effects->sentinels_added,
                                   .sentinels_removed = effects->sentinels_removed,
                                   .schedules_changed = schedules,
                                   .schedules_erased = effects->erased_schedules,
                                   .limits = effects->limits_changed,
                                   .workflows_changed = workflows,
                                   .workflows_erased = effects->erased_workflows};
    absl::Status committed = [&] {
      ScopedLatencyTimer commit_timer(&inline_commit_latency_);
      return store_->Commit(batch);
    }();
    if (!committed.ok()) {
      effects->Clear();
      absl::Status failed = CommitFailed(committed);
      FailPending(failed);
      return failed;
    }
  }
  for (const core::Outbound& out : effects->outbound) {
    send_(out);
  }
  effects->Clear();
  return absl::OkStatus();
}

}  // namespace jobq::broker::net
