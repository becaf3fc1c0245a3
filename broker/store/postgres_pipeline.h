#pragma once
// RunPgPipeline: statements sent in libpq's pipeline mode, so that a batch
// of them costs one round trip, and their results awaited in poll() so that
// the caller can give up on a server that stopped answering. Internal to
// PostgresStore. Not thread-safe (one connection, one thread).

#include <chrono>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "broker/store/postgres_connection.h"

namespace jobq::broker::store {

struct PgCall {
  enum class Kind { kExecutePrepared, kExecuteSql, kPrepare };
  Kind kind = Kind::kExecutePrepared;
  const char* name = "";                 // the prepared statement (kExecutePrepared, kPrepare)
  const char* sql = "";                  // kExecuteSql, kPrepare
  std::string what;                      // for errors: "cannot write the jobs"
  std::vector<std::string> params = {};  // each one value in binary
};

struct PgPipelineWaits {
  int cancel_fd = -1;  // readable once the caller gives up (may be -1)
  std::function<bool()> cancelled = [] { return false; };
  // Called about once a second while the server has not answered for
  // `waited` since the pipeline was sent.
  std::function<void(std::chrono::milliseconds waited)> slow = [](std::chrono::milliseconds) {};
};

// Sends `calls` and a sync point, then reads every result. OK when all
// succeeded; else the first statement's error (the server skips the rest
// up to the sync point), or UNAVAILABLE when the connection failed or the
// caller gave up. On any error the connection may be mid-pipeline: drop it.
// Statements within an explicit BEGIN ... COMMIT among the calls form one
// transaction; an error leaves that transaction aborted, and closing the
// connection rolls it back.
absl::Status RunPgPipeline(PgConnection& connection, std::span<const PgCall> calls,
                           const PgPipelineWaits& waits);

}  // namespace jobq::broker::store
