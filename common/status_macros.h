#pragma once
// Early-return helpers for absl::Status / absl::StatusOr. Debian's abseil
// (20220623) predates absl's own macros, so jobq carries these two.

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define JOBQ_STATUS_CONCAT_INNER(a, b) a##b
#define JOBQ_STATUS_CONCAT(a, b) JOBQ_STATUS_CONCAT_INNER(a, b)

#define JOBQ_RETURN_IF_ERROR(expr)        \
  do {                                    \
    ::absl::Status jobq_status_ = (expr); \
    if (!jobq_status_.ok()) {             \
      return jobq_status_;                \
    }                                     \
  } while (false)

#define JOBQ_ASSIGN_OR_RETURN(lhs, expr) \
  JOBQ_ASSIGN_OR_RETURN_IMPL(JOBQ_STATUS_CONCAT(jobq_statusor_, __LINE__), lhs, expr)

#define JOBQ_ASSIGN_OR_RETURN_IMPL(statusor, lhs, expr) \
  auto statusor = (expr);                               \
  if (!statusor.ok()) {                                 \
    return statusor.status();                           \
  }                                                     \
  lhs = std::move(statusor).value()
