#pragma once
// http_get (io): fetches a URL with libcurl and counts the body's bytes, the
// reference's fetch_url. The body is not kept.
//   args   {"url": "https://...", "timeout": seconds?}
//   result {"status": 200, "bytes": N, "elapsed_ms": X, "url": "<as given>"}
// Any HTTP status the server answers with is a success, 404 and 500
// included: the fetch worked, and the caller decides what a status means
// (`status` is in the result). Redirects are followed (up to 10, http/https
// only); `status` and `bytes` are those of the last response.
// Failures:
//   bad_args    url missing, not a string, not http:// or https://; bad timeout
//   http_error  the fetch failed (DNS, refused, reset, TLS, ...): curl's message
//   timeout     `timeout` seconds or the job's deadline passed first
//   cancelled   the cancellation token was set (noticed within about a second)
// Thread-safe once InitHttpGet() has run: each call has its own curl handle.

#include <string>

#include "worker/tasks/task_context.h"

namespace jobq::worker {

inline constexpr char kErrorHttp[] = "http_error";
// One day: a limit on `timeout`, as on everything.
inline constexpr double kMaxHttpTimeoutSeconds = 24 * 3600;

std::string HttpGetTask(TaskContext& context);

// Sets up libcurl's global state, which is not safe to do while other
// threads use libcurl. RegisterBuiltinTasks() calls it before any pool
// starts. Idempotent.
void InitHttpGet();

}  // namespace jobq::worker
