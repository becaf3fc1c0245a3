#include "producer/client/bulk_submit.h"

#include <deque>
#include <utility>

#include "producer/client/completion_queue.h"

namespace jobq {
namespace {

using SteadyClock = std::chrono::steady_clock;

// The state of one BulkSubmit call.
class BulkRun {
 public:
  BulkRun(Client& client, const BulkSubmitOptions& options, const BulkSubmitCallbacks& callbacks)
      : client_(client), options_(options), callbacks_(callbacks), start_(SteadyClock::now()) {}

  absl::Status Run(const JobSource& source) {
    absl::Status source_status;
    bool source_open = true;
    absl::Status status;
    while (status.ok()) {
      if (source_open) {
        absl::StatusOr<std::optional<JobSpec>> next = source();
        if (!next.ok()) {
          source_status = next.status();
          source_open = false;
        } else if (!next->has_value()) {
          source_open = false;
        } else {
          Submit(std::move(**next));
        }
      }
      // While the source flows, only collect what is ready: Submit itself
      // blocks when the window is full. Once it has ended, wait, in short
      // steps so progress keeps being reported.
      const auto wait = source_open ? std::chrono::milliseconds(0) : options_.progress_interval;
      status = DeliverAcks(wait);
      if (status.ok()) {
        status = DeliverOutcomes(unacked_.empty() ? wait : std::chrono::milliseconds(0));
      }
      ReportProgress(/*done=*/false);
      if (!source_open && unacked_.empty() && (!options_.notify || completions_.pending() == 0)) {
        break;
      }
    }
    ReportProgress(/*done=*/true);
    return status.ok() ? source_status : status;
  }

 private:
  void Submit(JobSpec spec) {
    SubmitOptions submit_options;
    submit_options.notify = options_.notify;
    submit_options.tag = progress_.submitted;
    submit_options.completions = options_.notify ? &completions_ : nullptr;
    unacked_.push_back(client_.Submit(std::move(spec), submit_options));
    ++progress_.submitted;
  }

  // Reports acknowledgements in submit order: stops at the first job not
  // yet answered, waiting up to `wait` for it.
  absl::Status DeliverAcks(std::chrono::milliseconds wait) {
    while (!unacked_.empty()) {
      const Future& front = unacked_.front();
      if (!front.WaitForAck(wait)) {
        return absl::OkStatus();
      }
      absl::StatusOr<SubmitAck> ack = front.Ack();
      if (!ack.ok()) {
        return ack.status();
      }
      ++progress_.acked;
      if (!ack->accepted()) {
        ++progress_.rejected;
      }
      if (callbacks_.on_ack) {
        callbacks_.on_ack(front.tag(), *ack);
      }
      unacked_.pop_front();
    }
    return absl::OkStatus();
  }

  absl::Status DeliverOutcomes(std::chrono::milliseconds wait) {
    if (!options_.notify) {
      return absl::OkStatus();
    }
    while (std::optional<Future> future = completions_.NextFor(wait)) {
      wait = std::chrono::milliseconds(0);
      absl::StatusOr<SubmitAck> ack = future->Ack();
      if (!ack.ok()) {
        return ack.status();
      }
      if (!ack->accepted()) {
        continue;  // already reported, in order, by DeliverAcks
      }
      absl::StatusOr<Outcome> outcome = future->Result();
      if (!outcome.ok()) {
        return outcome.status();
      }
      ++progress_.finished;
      if (callbacks_.on_outcome) {
        callbacks_.on_outcome(future->tag(), *outcome);
      }
    }
    return absl::OkStatus();
  }

  void ReportProgress(bool done) {
    const SteadyClock::time_point now = SteadyClock::now();
    if (!callbacks_.on_progress || (!done && now - last_report_ < options_.progress_interval)) {
      return;
    }
    last_report_ = now;
    progress_.elapsed_seconds = std::chrono::duration<double>(now - start_).count();
    progress_.done = done;
    callbacks_.on_progress(progress_);
  }

  Client& client_;
  const BulkSubmitOptions& options_;
  const BulkSubmitCallbacks& callbacks_;
  const SteadyClock::time_point start_;
  SteadyClock::time_point last_report_{};
  std::deque<Future> unacked_;  // in submit order
  CompletionQueue completions_;
  BulkProgress progress_;
};

}  // namespace

absl::Status BulkSubmit(Client& client, const JobSource& source, const BulkSubmitOptions& options,
                        const BulkSubmitCallbacks& callbacks) {
  BulkRun run(client, options, callbacks);
  return run.Run(source);
}

}  // namespace jobq
