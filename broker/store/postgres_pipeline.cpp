#include "broker/store/postgres_pipeline.h"

#include <poll.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace jobq::broker::store {
namespace {

// How long one poll() lasts: the period of the `slow` callback.
constexpr int kPollMs = 1000;

bool Send(PGconn* conn, const PgCall& call) {
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats;
  for (const std::string& param : call.params) {
    values.push_back(param.data());
    lengths.push_back(static_cast<int>(param.size()));
    formats.push_back(1);
  }
  const int count = static_cast<int>(values.size());
  switch (call.kind) {
    case PgCall::Kind::kPrepare:
      return PQsendPrepare(conn, call.name, call.sql, 0, nullptr) == 1;
    case PgCall::Kind::kExecuteSql:
      return PQsendQueryParams(conn, call.sql, count, nullptr, values.data(), lengths.data(),
                               formats.data(), /*resultFormat=*/0) == 1;
    case PgCall::Kind::kExecutePrepared:
      return PQsendQueryPrepared(conn, call.name, count, values.data(), lengths.data(),
                                 formats.data(), /*resultFormat=*/0) == 1;
  }
  return false;
}

class Pipeline {
 public:
  Pipeline(PgConnection& connection, const PgPipelineWaits& waits)
      : connection_(connection),
        conn_(connection.get()),
        waits_(waits),
        started_(std::chrono::steady_clock::now()) {}

  absl::Status Run(std::span<const PgCall> calls) {
    if (PQsetnonblocking(conn_, 1) != 0 || PQenterPipelineMode(conn_) != 1) {
      return connection_.Error("cannot start a pipeline", nullptr);
    }
    // Nonblocking: libpq buffers what the socket does not take at once, and
    // Flush waits for it in poll(), where a cancel can interrupt.
    for (const PgCall& call : calls) {
      if (!Send(conn_, call)) {
        return connection_.Error(call.what, nullptr);
      }
    }
    if (PQpipelineSync(conn_) != 1) {
      return connection_.Error("cannot send the batch", nullptr);
    }
    JOBQ_RETURN_IF_ERROR(Flush());

    absl::Status first_error;
    for (const PgCall& call : calls) {
      JOBQ_ASSIGN_OR_RETURN(PgResult result, Next());
      if (result == nullptr) {
        return connection_.Error(call.what, nullptr);
      }
      const ExecStatusType status = PQresultStatus(result.get());
      if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK &&
          status != PGRES_PIPELINE_ABORTED && first_error.ok()) {
        first_error = connection_.Error(call.what, result.get());
      }
      // Each statement's results end with a null.
      JOBQ_ASSIGN_OR_RETURN(PgResult end, Next());
      if (end != nullptr) {
        return first_error.ok() ? connection_.Error(call.what, end.get()) : first_error;
      }
    }
    JOBQ_ASSIGN_OR_RETURN(PgResult sync, Next());
    if (sync == nullptr || PQresultStatus(sync.get()) != PGRES_PIPELINE_SYNC) {
      return first_error.ok() ? connection_.Error("the batch did not complete", sync.get())
                              : first_error;
    }
    if (!first_error.ok()) {
      return first_error;
    }
    if (PQexitPipelineMode(conn_) != 1 || PQsetnonblocking(conn_, 0) != 0) {
      return connection_.Error("cannot leave pipeline mode", nullptr);
    }
    return absl::OkStatus();
  }

 private:
  absl::Status Flush() {
    for (;;) {
      const int pending = PQflush(conn_);
      if (pending == 0) {
        return absl::OkStatus();
      }
      if (pending < 0) {
        return connection_.Error("cannot send the batch", nullptr);
      }
      // libpq's advice: read whatever the server sends meanwhile, or both
      // sides may wait on full buffers.
      JOBQ_RETURN_IF_ERROR(Wait(/*for_write=*/true));
      if (PQconsumeInput(conn_) != 1) {
        return connection_.Error("cannot send the batch", nullptr);
      }
    }
  }

  absl::StatusOr<PgResult> Next() {
    while (PQisBusy(conn_)) {
      JOBQ_RETURN_IF_ERROR(Wait(/*for_write=*/false));
      if (PQconsumeInput(conn_) != 1) {
        return connection_.Error("lost the connection waiting for the server's answer", nullptr);
      }
    }
    return PgResult(PQgetResult(conn_));
  }

  // Until the socket is ready or a poll period passed. UNAVAILABLE once the
  // caller gave up.
  absl::Status Wait(bool for_write) {
    pollfd fds[2] = {
        {.fd = PQsocket(conn_),
         .events = static_cast<short>(POLLIN | (for_write ? POLLOUT : 0)),
         .revents = 0},
        {.fd = waits_.cancel_fd, .events = POLLIN, .revents = 0},
    };
    const int ready = ::poll(fds, waits_.cancel_fd >= 0 ? 2 : 1, kPollMs);
    if (waits_.cancelled()) {
      return absl::UnavailableError(
          absl::StrCat(connection_.name(), ": gave up waiting for the server's answer"));
    }
    if (ready < 0 && errno != EINTR) {
      return absl::InternalError(
          absl::StrCat(connection_.name(), ": poll failed: ", std::strerror(errno)));
    }
    if (ready == 0) {
      waits_.slow(std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - started_));
    }
    return absl::OkStatus();
  }

  PgConnection& connection_;
  PGconn* conn_;
  const PgPipelineWaits& waits_;
  const std::chrono::steady_clock::time_point started_;
};

}  // namespace

absl::Status RunPgPipeline(PgConnection& connection, std::span<const PgCall> calls,
                           const PgPipelineWaits& waits) {
  return Pipeline(connection, waits).Run(calls);
}

}  // namespace jobq::broker::store
