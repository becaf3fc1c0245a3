#include "broker/net/store_writer.h"

#include <atomic>
#include <chrono>

namespace jobq::broker::net {
namespace {

// inproc names are per context; one writer per broker context.
std::string NextEndpoint() {
  static std::atomic<int> count{0};
  return "inproc://jobq-store-writer-" + std::to_string(count++);
}

}  // namespace

StoreWriter::StoreWriter(store::Store* store, zmq::context_t* context)
    : store_(store),
      done_receiver_(*context, zmq::socket_type::pair),
      done_sender_(*context, zmq::socket_type::pair) {
  const std::string endpoint = NextEndpoint();
  done_receiver_.set(zmq::sockopt::linger, 0);
  done_sender_.set(zmq::sockopt::linger, 0);
  done_receiver_.bind(endpoint);
  done_sender_.connect(endpoint);
  thread_ = std::thread([this] { Run(); });
}

StoreWriter::~StoreWriter() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void StoreWriter::Commit(OwnedBatch batch) {
  busy_ = true;
  {
    std::lock_guard lock(mutex_);
    pending_ = std::move(batch);
  }
  wake_.notify_one();
}

std::optional<absl::Status> StoreWriter::TakeDone() {
  zmq::message_t message;
  if (!done_receiver_.recv(message, zmq::recv_flags::dontwait)) {
    return std::nullopt;
  }
  busy_ = false;
  if (message.size() == 0) {
    return absl::OkStatus();
  }
  return absl::InternalError(message.to_string());
}

core::LatencyHistogram StoreWriter::CommitLatency() const {
  std::lock_guard lock(latency_mutex_);
  return commit_latency_;
}

absl::Status StoreWriter::WaitIdle() {
  if (!busy_) {
    return absl::OkStatus();
  }
  zmq::message_t message;
  (void)done_receiver_.recv(message, zmq::recv_flags::none);
  busy_ = false;
  if (message.size() == 0) {
    return absl::OkStatus();
  }
  return absl::InternalError(message.to_string());
}

void StoreWriter::Run() {
  std::vector<const core::Job*> changed;
  while (true) {
    OwnedBatch batch;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stop_ || pending_.has_value(); });
      if (!pending_) {
        return;  // stopping, nothing left to write
      }
      batch = std::move(*pending_);
      pending_.reset();
    }
    const auto started = std::chrono::steady_clock::now();
    const absl::Status status = store_->Commit(ViewOf(batch, &changed));
    const auto elapsed = std::chrono::steady_clock::now() - started;
    {
      // The loop reads it for its snapshots (CommitLatency).
      std::lock_guard lock(latency_mutex_);
      commit_latency_.Record(
          std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count());
    }
    const std::string reply = status.ok() ? "" : std::string(status.message());
    done_sender_.send(zmq::buffer(reply), zmq::send_flags::none);
  }
}

}  // namespace jobq::broker::net
