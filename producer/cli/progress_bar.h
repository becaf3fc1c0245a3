#pragma once
// The progress line `jobq submit` draws on stderr when stderr is a
// terminal:
//
//   [########----------------] 12000/36000 acked 33%  8532 jobs/s  4000 finished
//
// BulkSubmit limits updates to ~10 per second. Thread-compatible.

#include <cstdint>
#include <cstdio>
#include <string>

#include "producer/client/bulk_submit.h"

namespace jobq::cli {

// One progress line, without control characters, for `total` jobs;
// `notify` adds the finished count (`--wait`).
std::string FormatProgressLine(const BulkProgress& progress, uint64_t total, bool notify);

class ProgressBar {
 public:
  // `out` (a terminal) must outlive the bar.
  ProgressBar(std::FILE* out, uint64_t total, bool notify)
      : out_(out), total_(total), notify_(notify) {}

  // Redraws the line; the final report (progress.done) ends it with a newline.
  void Update(const BulkProgress& progress);
  // Erases the line so other output on the same terminal starts clean; the
  // next Update draws it again.
  void Clear();

 private:
  std::FILE* out_;
  uint64_t total_;
  bool notify_;
  bool drawn_ = false;
};

}  // namespace jobq::cli
