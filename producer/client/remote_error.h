#pragma once
// RemoteError: the one exception the client library throws, from
// Future::Get(), when a job did not succeed. It carries the error as the
// worker or broker reported it, like concurrent.futures re-raising the
// task's exception in the caller. Immutable; thread-safe.

#include <optional>
#include <stdexcept>
#include <string>

#include "common/job_id.h"

namespace jobq {

class RemoteError : public std::runtime_error {
 public:
  // `type` is machine-readable ("exception", "timeout", "queue_full",
  // "unknown_job", "unavailable", ...); `message` is one line for people.
  RemoteError(std::string type, std::string message, std::string detail = "",
              std::optional<JobId> id = std::nullopt);

  const std::string& type() const { return type_; }
  const std::string& message() const { return message_; }
  const std::string& detail() const { return detail_; }  // stack, stderr, ...; may be empty
  // The job's id; nullopt when the job never got one (rejected, or the
  // client failed before the broker answered).
  const std::optional<JobId>& id() const { return id_; }

 private:
  std::string type_;
  std::string message_;
  std::string detail_;
  std::optional<JobId> id_;
};

}  // namespace jobq
