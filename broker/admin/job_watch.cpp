// WatchJob streams (admin.proto): a thread per stream, not gRPC's, asks the
// loop for the job every interval (GetJob: one lookup by id on the loop)
// and writes it when it changed. So the loop's cost is one lookup per
// stream per interval, whatever the job's progress reports cost, and no
// gRPC thread ever waits for the loop. Streams count against the same
// bound as WatchStatus's (AdminService::kMaxWatches).

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include "broker/admin/admin_server.h"
#include "broker/admin/job_requests.h"
#include "google/protobuf/util/message_differencer.h"

namespace jobq::broker::admin {

class JobWatch final : public grpc::ServerWriteReactor<jobq::admin::JobInfo> {
 public:
  // A loop busy with a burst answers within a few iterations.
  static constexpr std::chrono::milliseconds kAnswerTimeout{2000};

  JobWatch(AdminService* service, jobq::admin::GetJobRequest request,
           std::chrono::milliseconds interval)
      : service_(service), request_(std::move(request)), interval_(interval) {
    thread_ = std::thread([this] { Run(); });
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard lock(service_->watch_mutex_);
    writing_ = false;
    write_failed_ = !ok;
    service_->watch_wake_.notify_all();
  }

  void OnCancel() override {
    std::lock_guard lock(service_->watch_mutex_);
    cancelled_ = true;
    service_->watch_wake_.notify_all();
  }

  void OnDone() override {
    if (thread_.get_id() == std::this_thread::get_id()) {
      thread_.detach();
    } else {
      thread_.join();
    }
    {
      std::lock_guard lock(service_->watch_mutex_);
      --service_->watches_;
      service_->watch_wake_.notify_all();
    }
    delete this;
  }

 private:
  // The job as the loop has it now; the reply may come after we gave up,
  // so it writes into state it shares.
  absl::StatusOr<jobq::admin::JobInfo> Fetch() {
    auto answer = std::make_shared<std::promise<absl::StatusOr<jobq::admin::JobInfo>>>();
    std::future<absl::StatusOr<jobq::admin::JobInfo>> future = answer->get_future();
    service_->control_->GetJob(request_, [answer](absl::StatusOr<jobq::admin::JobInfo> info) {
      answer->set_value(std::move(info));
    });
    if (future.wait_for(kAnswerTimeout) != std::future_status::ready) {
      return absl::DeadlineExceededError("the broker's loop did not answer within 2 s");
    }
    return future.get();
  }

  static bool Finished(const jobq::admin::JobInfo& job) {
    switch (job.state()) {
      case wire::JOB_STATE_SUCCEEDED:
      case wire::JOB_STATE_FAILED:
      case wire::JOB_STATE_DEAD:
      case wire::JOB_STATE_CANCELLED:
        return true;
      default:
        return false;
    }
  }

  void Run() {
    grpc::Status end = grpc::Status::OK;
    bool first = true;
    std::unique_lock lock(service_->watch_mutex_);
    while (true) {
      if (cancelled_ || write_failed_) {
        end = grpc::Status(grpc::StatusCode::CANCELLED, "the client went away");
        break;
      }
      if (service_->watches_stopping_) {
        break;  // the broker stops: a clean end of the stream
      }
      lock.unlock();
      absl::StatusOr<jobq::admin::JobInfo> job = Fetch();
      lock.lock();
      if (!job.ok() && job.status().code() != absl::StatusCode::kDeadlineExceeded) {
        end = grpc::Status(static_cast<grpc::StatusCode>(job.status().code()),
                           std::string(job.status().message()));
        break;
      }
      bool finished = false;
      if (job.ok()) {
        finished = Finished(*job);
        if (first || !google::protobuf::util::MessageDifferencer::Equals(*job, last_)) {
          first = false;
          last_ = *std::move(job);
          writing_ = true;
          lock.unlock();
          StartWrite(&last_);
          lock.lock();
          // OnWriteDone comes even when the call is cancelled meanwhile.
          service_->watch_wake_.wait(lock, [this] { return !writing_; });
          if (write_failed_) {
            continue;
          }
        }
      }
      if (finished) {
        break;
      }
      const auto next = std::chrono::steady_clock::now() + interval_;
      service_->watch_wake_.wait_until(
          lock, next, [this] { return cancelled_ || service_->watches_stopping_; });
    }
    lock.unlock();
    Finish(end);  // may delete this (OnDone): touch nothing after it
  }

  AdminService* service_;
  const jobq::admin::GetJobRequest request_;
  const std::chrono::milliseconds interval_;
  std::thread thread_;
  jobq::admin::JobInfo last_;  // the last written; the write in flight
  // Guarded by service_->watch_mutex_.
  bool writing_ = false;
  bool write_failed_ = false;
  bool cancelled_ = false;
};

grpc::ServerWriteReactor<jobq::admin::JobInfo>* AdminService::WatchJob(
    grpc::CallbackServerContext* context, const jobq::admin::WatchJobRequest* request) {
  class Refusal final : public grpc::ServerWriteReactor<jobq::admin::JobInfo> {
   public:
    explicit Refusal(grpc::Status status) { Finish(std::move(status)); }
    void OnDone() override { delete this; }
  };
  if (grpc::Status refused = auth_->Check(*context, "WatchJob"); !refused.ok()) {
    return new Refusal(std::move(refused));
  }
  jobq::admin::GetJobRequest checked;
  checked.set_id(request->id());
  if (absl::Status valid = NormalizeGetJob(&checked); !valid.ok()) {
    return new Refusal(
        grpc::Status(static_cast<grpc::StatusCode>(valid.code()), std::string(valid.message())));
  }
  constexpr uint32_t kDefaultIntervalMs = 100;
  constexpr uint32_t kMinIntervalMs = 50;
  const uint32_t interval_ms = request->interval_ms() == 0
                                   ? kDefaultIntervalMs
                                   : std::max(kMinIntervalMs, request->interval_ms());
  std::lock_guard lock(watch_mutex_);
  if (watches_stopping_) {
    return new Refusal(grpc::Status(grpc::StatusCode::UNAVAILABLE, "the broker is stopping"));
  }
  if (watches_ >= kMaxWatches) {
    return new Refusal(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                    "too many WatchStatus and WatchJob streams (at most " +
                                        std::to_string(kMaxWatches) +
                                        "); close one, or poll GetJob"));
  }
  ++watches_;
  return new JobWatch(this, std::move(checked), std::chrono::milliseconds(interval_ms));
}

}  // namespace jobq::broker::admin
