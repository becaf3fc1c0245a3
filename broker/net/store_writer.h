#pragma once
// StoreWriter: commits batches to a durable Store on its own thread, so the
// loop keeps dispatching and reading results while a commit waits for its
// fsync. One batch is in flight at a time; what the loop changes meanwhile
// becomes the next batch (group commit: a job that changed many times while
// the disk was busy is written once, in its latest state).
//
// The loop hands over copies of the changed jobs (the writer must not read
// the core's state) and learns of each commit through `done_socket()`, an
// inproc PAIR it polls with its other sockets: one message per batch, empty
// on success, else the error text.
//
// Thread-safety: every method is for the loop thread; the writer thread
// touches only the batch handed to it and the Store.

#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "absl/status/status.h"
#include "broker/core/effects.h"
#include "broker/core/job.h"
#include "broker/core/stats.h"
#include "broker/net/owned_batch.h"
#include "broker/store/store.h"
#include "common/job_id.h"

namespace jobq::broker::net {

class StoreWriter {
 public:
  // `store` and `context` must outlive the writer.
  StoreWriter(store::Store* store, zmq::context_t* context);
  ~StoreWriter();  // finishes the batch in flight, then stops the thread

  StoreWriter(const StoreWriter&) = delete;
  StoreWriter& operator=(const StoreWriter&) = delete;

  bool busy() const { return busy_; }
  // Starts committing `batch`. Must not be busy().
  void Commit(OwnedBatch batch);
  // Poll it for ZMQ_POLLIN: a commit finished.
  zmq::socket_t& done_socket() { return done_receiver_; }
  // After done_socket() polled readable: the outcome of the batch in
  // flight, or nullopt if its message has not arrived yet.
  std::optional<absl::Status> TakeDone();
  // Blocks until the batch in flight, if any, is committed; its outcome.
  absl::Status WaitIdle();
  // How long commits took so far (a copy). Any thread.
  core::LatencyHistogram CommitLatency() const;

 private:
  void Run();

  store::Store* store_;
  zmq::socket_t done_receiver_;  // loop thread
  zmq::socket_t done_sender_;    // writer thread
  bool busy_ = false;            // loop thread's view: a batch is in flight

  std::mutex mutex_;
  std::condition_variable wake_;
  std::optional<OwnedBatch> pending_;  // guarded by mutex_
  bool stop_ = false;                  // guarded by mutex_
  mutable std::mutex latency_mutex_;
  core::LatencyHistogram commit_latency_;  // guarded by latency_mutex_
  std::thread thread_;
};

}  // namespace jobq::broker::net
