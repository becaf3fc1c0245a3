#pragma once
// Figures the broker computes about its own work, for GetStatusResponse.figures
// and Prometheus: throughput over sliding windows, queue depth by state, and
// per-task latency histograms of queue wait and run time (the reference's
// timing decorator, done once for every task).
//
// Pure and deterministic like BrokerCore: every call is given `now_ms`;
// nothing reads a clock. Bounded memory: fixed buckets, fixed windows, and
// at most kNamesMax queue names, kNamesMax task names and kPairsMax
// (queue, task) pairs told apart; the rest add up under "other".
//
// Not thread-safe. LatencyHistogram is a plain value (the loop and the store
// writer keep their own); the loop thread owns a BrokerCore's CoreStats.

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "broker/core/job.h"
#include "common/clock.h"
#include "jobq/admin.pb.h"
#include "jobq/wire.pb.h"

namespace jobq::broker::core {

// Durations in microseconds, counted in fixed log-scaled buckets: ten a
// decade (mantissas 1, 1.25, 1.5, 2, 2.5, 3, 4, 5, 6, 8) from 1 µs to
// 8·10^10 µs (22 hours), and one bucket for anything longer. ~900 bytes.
class LatencyHistogram {
 public:
  static constexpr size_t kBounds = 110;
  // Inclusive upper bound of bucket i, in µs (1.25 µs is a bound, hence
  // doubles); bucket kBounds holds the rest.
  static const std::array<double, kBounds>& BoundsUs();
  // The bounds shown outside (LatencyFigures, Prometheus "le"): 1, 2.5 and 5
  // a decade from 10 µs to 1000 s. Each is one of BoundsUs(), so the counts
  // at them are exact.
  static const std::vector<double>& ExportBoundsUs();

  void Record(int64_t us);  // a negative duration (a clock step) counts as 0
  void Merge(const LatencyHistogram& other);

  uint64_t count() const { return count_; }
  int64_t sum_us() const { return sum_us_; }
  int64_t max_us() const { return max_us_; }
  // The duration under which `quantile` (0..1) of the observations fall,
  // interpolated inside its bucket; 0 when empty.
  double QuantileUs(double quantile) const;
  // Observations of at most `bound_us`; exact when it is one of BoundsUs().
  uint64_t CountAtMost(double bound_us) const;
  // count, sum, p50/p90/p99, max, and cumulative counts at ExportBoundsUs().
  void Fill(::jobq::admin::LatencyFigures* out) const;

 private:
  std::array<uint64_t, kBounds + 1> buckets_{};
  uint64_t count_ = 0;
  int64_t sum_us_ = 0;
  int64_t min_us_ = 0;
  int64_t max_us_ = 0;
};

// Events of the last minute in 600 slots of 100 ms (2.4 KB).
class RateWindow {
 public:
  static constexpr TimeMs kSlotMs = 100;
  static constexpr int64_t kSlots = 600;

  void Add(TimeMs now_ms, uint64_t events = 1);
  // Events per second over the `window_ms` (a multiple of kSlotMs, at most a
  // minute) that ended where the slot holding `now_ms` began, or over the
  // part of it after `since_ms` (when counting started) when that is less.
  double PerSecond(TimeMs now_ms, TimeMs window_ms, TimeMs since_ms) const;

 private:
  // One more slot than the window, for the slot being filled.
  std::array<uint32_t, kSlots + 1> counts_{};
  int64_t newest_slot_ = -1;  // the slot of the latest Add; older ones are complete
};

// A queue's jobs that have not finished, by state.
struct QueueDepth {
  uint64_t queued = 0;
  uint64_t scheduled = 0;
  uint64_t running = 0;
};

class CoreStats {
 public:
  static constexpr size_t kNamesMax = 100;
  static constexpr size_t kPairsMax = 1000;
  static constexpr const char* kOther = "other";

  // Hooks, each called by BrokerCore once per event, *before* it changes
  // job.state (so job.state is where the job comes from).
  //
  // A job just accepted (state QUEUED as constructed).
  void OnSubmitted(Job& job, TimeMs now_ms);
  // A job rebuilt from the store at start.
  void OnRestored(Job& job);
  // A running job whose lease was lost goes back to its queue: it waits
  // from now.
  void OnLeaseLost(Job& job, TimeMs now_ms);
  // The result of the running attempt (not a late one): records the run time.
  void OnResult(const Job& job, const wire::JobResult& result, TimeMs now_ms);
  // From job.state to `to` (BrokerCore::Transition calls it, before the
  // state changes). To QUEUED: sets job.ready_ms for the queue-wait figure;
  // to RUNNING: records the queue wait; to a terminal state: counts it.
  void OnTransition(Job& job, wire::JobState to, TimeMs now_ms);

  // `started_ms`: when the broker started counting (its first Tick); rates
  // of a younger broker are over its uptime. `depths`: every queue's jobs
  // by state, as the core counts them (it owns those counts; the figures
  // only fold them the way they fold names).
  void Fill(TimeMs now_ms, TimeMs started_ms, const std::map<std::string, QueueDepth>& depths,
            ::jobq::admin::Figures* out) const;

 private:
  struct QueueStats {
    RateWindow submitted;
    RateWindow finished;
  };
  struct TaskStats {
    LatencyHistogram queue_wait;
    LatencyHistogram run_time;
  };
  struct Counts {
    uint64_t submitted = 0;
    uint64_t succeeded = 0;
    uint64_t failed = 0;
    uint64_t cancelled = 0;
  };

  // The entry of `name`, or of "other" once kNamesMax names are kept. A name
  // folded once is folded for good: entries are never removed.
  QueueStats& QueueFor(const std::string& name);
  TaskStats& TaskFor(const std::string& name);
  Counts& CountsFor(const Job& job);
  // The gauge a job in `state` counts in; nullptr for states not counted.

  RateWindow submitted_;
  RateWindow finished_;
  std::map<std::string, QueueStats> queues_;  // ordered: deterministic output
  std::map<std::string, TaskStats> tasks_;
  std::map<std::pair<std::string, std::string>, Counts> counts_;
};

}  // namespace jobq::broker::core
