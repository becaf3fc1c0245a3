#include "broker/core/stats.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "common/check.h"

namespace jobq::broker::core {
namespace {

constexpr double kMicrosPerSecond = 1e6;

// A worker reports run times (JobResult.run_time_us): a sum of its claims
// stops at the largest int64 instead of wrapping into negative seconds.
int64_t SaturatedAdd(int64_t sum, int64_t more) {
  return sum > std::numeric_limits<int64_t>::max() - more ? std::numeric_limits<int64_t>::max()
                                                          : sum + more;
}

// The entry of `name`, or the shared "other" entry once `max` names are
// kept, so that names coming from producers cannot grow the figures.
template <typename Map>
typename Map::iterator FindOrFold(Map& map, const std::string& name, size_t max) {
  auto it = map.find(name);
  if (it != map.end()) {
    return it;
  }
  return map.try_emplace(map.size() < max ? name : std::string(CoreStats::kOther)).first;
}

}  // namespace

const std::array<double, LatencyHistogram::kBounds>& LatencyHistogram::BoundsUs() {
  static const std::array<double, kBounds> bounds = [] {
    // Hundredths, so every bound is computed exactly from integers.
    constexpr int kMantissas[] = {100, 125, 150, 200, 250, 300, 400, 500, 600, 800};
    std::array<double, kBounds> out{};
    size_t i = 0;
    double decade = 1;
    for (size_t d = 0; d < kBounds / std::size(kMantissas); ++d, decade *= 10) {
      for (int mantissa : kMantissas) {
        out[i++] = mantissa * decade / 100;
      }
    }
    return out;
  }();
  return bounds;
}

const std::vector<double>& LatencyHistogram::ExportBoundsUs() {
  static const std::vector<double> bounds = [] {
    std::vector<double> out;
    for (double decade = 10; decade <= 1e8; decade *= 10) {
      for (double mantissa : {1.0, 2.5, 5.0}) {
        out.push_back(mantissa * decade);
      }
    }
    out.push_back(1e9);  // 1000 s
    return out;
  }();
  return bounds;
}

void LatencyHistogram::Record(int64_t us) {
  us = std::max<int64_t>(0, us);
  const auto& bounds = BoundsUs();
  const size_t bucket = static_cast<size_t>(
      std::lower_bound(bounds.begin(), bounds.end(), static_cast<double>(us)) - bounds.begin());
  ++buckets_[bucket];
  min_us_ = count_ == 0 ? us : std::min(min_us_, us);
  max_us_ = std::max(max_us_, us);
  ++count_;
  sum_us_ = SaturatedAdd(sum_us_, us);
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  if (other.count_ == 0) {
    return;
  }
  for (size_t i = 0; i < buckets_.size(); ++i) {
    buckets_[i] += other.buckets_[i];
  }
  min_us_ = count_ == 0 ? other.min_us_ : std::min(min_us_, other.min_us_);
  max_us_ = std::max(max_us_, other.max_us_);
  count_ += other.count_;
  sum_us_ = SaturatedAdd(sum_us_, other.sum_us_);
}

double LatencyHistogram::QuantileUs(double quantile) const {
  if (count_ == 0) {
    return 0;
  }
  const auto& bounds = BoundsUs();
  const double rank = std::clamp(quantile, 0.0, 1.0) * static_cast<double>(count_);
  uint64_t below = 0;
  for (size_t i = 0; i < buckets_.size(); ++i) {
    if (buckets_[i] == 0 || static_cast<double>(below + buckets_[i]) < rank) {
      below += buckets_[i];
      continue;
    }
    // Spread evenly across the bucket: the best guess without more detail.
    const double lower = i == 0 ? 0 : bounds[i - 1];
    const double upper = i < kBounds ? bounds[i] : std::max<double>(lower, max_us_);
    const double fraction = (rank - static_cast<double>(below)) / static_cast<double>(buckets_[i]);
    return std::clamp(lower + (upper - lower) * fraction, static_cast<double>(min_us_),
                      static_cast<double>(max_us_));
  }
  return static_cast<double>(max_us_);
}

uint64_t LatencyHistogram::CountAtMost(double bound_us) const {
  const auto& bounds = BoundsUs();
  uint64_t total = 0;
  for (size_t i = 0; i < kBounds && bounds[i] <= bound_us; ++i) {
    total += buckets_[i];
  }
  return total;
}

void LatencyHistogram::Fill(::jobq::admin::LatencyFigures* out) const {
  out->set_count(count_);
  out->set_sum_seconds(static_cast<double>(sum_us_) / kMicrosPerSecond);
  out->set_p50_seconds(QuantileUs(0.50) / kMicrosPerSecond);
  out->set_p90_seconds(QuantileUs(0.90) / kMicrosPerSecond);
  out->set_p99_seconds(QuantileUs(0.99) / kMicrosPerSecond);
  out->set_max_seconds(static_cast<double>(max_us_) / kMicrosPerSecond);
  // One pass over the buckets for all the exported bounds.
  const auto& bounds = BoundsUs();
  size_t i = 0;
  uint64_t total = 0;
  for (double bound : ExportBoundsUs()) {
    for (; i < kBounds && bounds[i] <= bound; ++i) {
      total += buckets_[i];
    }
    out->add_cumulative_counts(total);
  }
}

void RateWindow::Add(TimeMs now_ms, uint64_t events) {
  const int64_t slot = now_ms / kSlotMs;
  if (slot > newest_slot_) {
    // Slots skipped since the last event had none.
    const int64_t first = std::max(newest_slot_ + 1, slot - kSlots);
    for (int64_t s = first; s <= slot; ++s) {
      counts_[static_cast<size_t>(s % (kSlots + 1))] = 0;
    }
    newest_slot_ = slot;
  }
  // A clock that stepped back counts in the newest slot rather than in one
  // that is already complete.
  uint32_t& count = counts_[static_cast<size_t>(newest_slot_ % (kSlots + 1))];
  count = static_cast<uint32_t>(std::min<uint64_t>(UINT32_MAX, count + events));
}

double RateWindow::PerSecond(TimeMs now_ms, TimeMs window_ms, TimeMs since_ms) const {
  const int64_t end = now_ms / kSlotMs;  // exclusive: the slot being filled
  const int64_t start =
      std::max(end - std::min<int64_t>(kSlots, window_ms / kSlotMs), since_ms / kSlotMs);
  if (start >= end) {
    return 0;
  }
  uint64_t events = 0;
  for (int64_t s = start; s < end; ++s) {
    // Slots after the newest event, or overwritten since, held none.
    if (s > newest_slot_ || s < newest_slot_ - kSlots) {
      continue;
    }
    events += counts_[static_cast<size_t>(s % (kSlots + 1))];
  }
  const double seconds = static_cast<double>((end - start) * kSlotMs) / 1000.0;
  return static_cast<double>(events) / seconds;
}

CoreStats::QueueStats& CoreStats::QueueFor(const std::string& name) {
  return FindOrFold(queues_, name, kNamesMax)->second;
}

CoreStats::TaskStats& CoreStats::TaskFor(const std::string& name) {
  return FindOrFold(tasks_, name, kNamesMax)->second;
}

CoreStats::Counts& CoreStats::CountsFor(const Job& job) {
  const std::string& queue = FindOrFold(queues_, job.spec.queue(), kNamesMax)->first;
  const std::string& task = FindOrFold(tasks_, job.spec.task(), kNamesMax)->first;
  auto it = counts_.find({queue, task});
  if (it != counts_.end()) {
    return it->second;
  }
  if (counts_.size() < kPairsMax) {
    return counts_[{queue, task}];
  }
  return counts_[{kOther, kOther}];
}

void CoreStats::OnSubmitted(Job& job, TimeMs now_ms) {
  QueueStats& queue = QueueFor(job.spec.queue());
  job.ready_ms = now_ms;
  submitted_.Add(now_ms);
  queue.submitted.Add(now_ms);
  ++CountsFor(job).submitted;
}

void CoreStats::OnRestored(Job& job) {
  QueueFor(job.spec.queue());  // listed in the figures from now on
  // Waiting since before the restart: the downtime is part of its wait.
  job.ready_ms = std::max(job.submitted_ms, job.scheduled_ms);
}

void CoreStats::OnLeaseLost(Job& job, TimeMs now_ms) { job.ready_ms = now_ms; }

void CoreStats::OnResult(const Job& job, const wire::JobResult& result, TimeMs now_ms) {
  // The worker's own measure is finer and leaves out the network; older
  // workers that do not send it get the broker's view.
  const int64_t run_us =
      result.run_time_us() > 0 ? result.run_time_us() : (now_ms - job.started_ms) * 1000;
  TaskFor(job.spec.task()).run_time.Record(run_us);
}

void CoreStats::OnTransition(Job& job, wire::JobState to, TimeMs now_ms) {
  const wire::JobState from = job.state;
  if (from == to) {
    return;
  }
  switch (to) {
    case wire::JOB_STATE_QUEUED:
      if (from == wire::JOB_STATE_SCHEDULED) {
        job.ready_ms = job.scheduled_ms;  // ready once its delay was over
      } else if (IsTerminal(from) || from == wire::JOB_STATE_BLOCKED) {
        job.ready_ms = now_ms;  // run again by an operator, or released by its parents
      }
      // From RUNNING, OnLeaseLost set it; a new job's was set by OnSubmitted.
      return;
    case wire::JOB_STATE_RUNNING:
      if (job.ready_ms >= 0) {
        TaskFor(job.spec.task()).queue_wait.Record((now_ms - job.ready_ms) * 1000);
      }
      return;
    case wire::JOB_STATE_SUCCEEDED:
    case wire::JOB_STATE_FAILED:
    case wire::JOB_STATE_DEAD:
    case wire::JOB_STATE_CANCELLED:
      break;
    default:
      return;
  }
  finished_.Add(now_ms);
  QueueFor(job.spec.queue()).finished.Add(now_ms);
  Counts& counts = CountsFor(job);
  switch (to) {
    case wire::JOB_STATE_SUCCEEDED:
      ++counts.succeeded;
      break;
    case wire::JOB_STATE_CANCELLED:
      ++counts.cancelled;
      break;
    default:
      ++counts.failed;
      break;
  }
}

namespace {

void FillRates(const RateWindow& window, TimeMs now_ms, TimeMs since_ms,
               ::jobq::admin::RateFigures* out) {
  out->set_last_1s(window.PerSecond(now_ms, 1'000, since_ms));
  out->set_last_10s(window.PerSecond(now_ms, 10'000, since_ms));
  out->set_last_60s(window.PerSecond(now_ms, 60'000, since_ms));
}

}  // namespace

void CoreStats::Fill(TimeMs now_ms, TimeMs started_ms,
                     const std::map<std::string, QueueDepth>& depths,
                     ::jobq::admin::Figures* out) const {
  const TimeMs since_ms = started_ms < 0 ? now_ms : started_ms;
  // The core's counts, folded the way the figures fold names.
  std::map<std::string, QueueDepth> folded;
  for (const auto& [name, depth] : depths) {
    QueueDepth& into = folded[queues_.count(name) == 1 ? name : std::string(kOther)];
    into.queued += depth.queued;
    into.scheduled += depth.scheduled;
    into.running += depth.running;
  }
  FillRates(submitted_, now_ms, since_ms, out->mutable_throughput()->mutable_submitted());
  FillRates(finished_, now_ms, since_ms, out->mutable_throughput()->mutable_finished());
  for (const auto& [name, queue] : queues_) {
    ::jobq::admin::QueueFigures& figures = *out->add_queues();
    figures.set_name(name);
    if (auto depth = folded.find(name); depth != folded.end()) {
      figures.set_queued(depth->second.queued);
      figures.set_scheduled(depth->second.scheduled);
      figures.set_running(depth->second.running);
    }
    FillRates(queue.submitted, now_ms, since_ms, figures.mutable_throughput()->mutable_submitted());
    FillRates(queue.finished, now_ms, since_ms, figures.mutable_throughput()->mutable_finished());
  }
  for (const auto& [name, task] : tasks_) {
    ::jobq::admin::TaskFigures& figures = *out->add_tasks();
    figures.set_task(name);
    task.queue_wait.Fill(figures.mutable_queue_wait());
    task.run_time.Fill(figures.mutable_run_time());
  }
  for (const auto& [key, counts] : counts_) {
    ::jobq::admin::JobCountFigures& figures = *out->add_job_counts();
    figures.set_queue(key.first);
    figures.set_task(key.second);
    figures.set_submitted(counts.submitted);
    figures.set_succeeded(counts.succeeded);
    figures.set_failed(counts.failed);
    figures.set_cancelled(counts.cancelled);
  }
  for (double bound_us : LatencyHistogram::ExportBoundsUs()) {
    out->add_bucket_bounds_seconds(bound_us / kMicrosPerSecond);
  }
}

}  // namespace jobq::broker::core
