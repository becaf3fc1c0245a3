#pragma once
// What `jobq wait --progress` shows of running jobs: a bar per job on a
// terminal,
//
//   3a5b6c7d [#########---------------] 4/10  40% running  slept 4/10 of 2 s
//
// and otherwise one JSON line per change,
//
//   {"id":"…","state":"running","attempt":1,"done":4,"total":10,"message":"…","reported_ms":…}
//
// fed by one admin WatchJob stream per job (JobWatchers). The Format
// functions are pure; JobProgressBars is thread-compatible; JobWatchers is
// thread-safe and calls back on its own threads, one call at a time.

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/job_id.h"
#include "jobq/admin.grpc.pb.h"
#include "producer/cli/admin_connection.h"

namespace jobq::cli {

// One bar line (no newline, no control characters), named by the last 8
// digits of the job's id.
std::string FormatProgressBarLine(const admin::JobInfo& job);
// One JSON line (no newline): the job's id and state, then its last report
// (attempt, done, total, message, reported_ms) when it has one.
std::string FormatProgressJsonLine(const admin::JobInfo& job);

// A block of lines, one per job, redrawn in place.
class JobProgressBars {
 public:
  // `out` (a terminal) must outlive the bars.
  JobProgressBars(std::FILE* out, const std::vector<JobId>& ids);
  void Update(const admin::JobInfo& job);
  // Erases the block so that other output starts clean; Redraw() puts it back.
  void Clear();
  void Redraw();

 private:
  std::FILE* out_;
  std::vector<JobId> ids_;
  std::map<JobId, std::string> lines_;
  size_t drawn_ = 0;  // lines on the screen now
};

class JobWatchers {
 public:
  using OnUpdate = std::function<void(const admin::JobInfo& job)>;
  using OnFailure = std::function<void(const JobId& id, const grpc::Status& status)>;

  // Opens one WatchJob stream per id on `admin`'s channel (which must
  // outlive this). A stream that fails calls `on_failure` once.
  JobWatchers(const AdminConnection& admin, const std::vector<JobId>& ids, OnUpdate on_update,
              OnFailure on_failure);
  // Cancels the streams still open and waits for their threads.
  ~JobWatchers();

  // Waits up to `timeout` for the stream of `id` to end (its job finished
  // and the last message was handed to on_update).
  void AwaitEnd(const JobId& id, std::chrono::milliseconds timeout);

 private:
  void Watch(const JobId& id, grpc::ClientContext* context);

  const AdminConnection& admin_;
  OnUpdate on_update_;
  OnFailure on_failure_;
  std::mutex mutex_;  // serializes the callbacks; guards ended_
  std::condition_variable ended_changed_;
  std::set<JobId> ended_;
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts_;
  std::vector<std::thread> threads_;
};

}  // namespace jobq::cli
