#pragma once
// exec (io): runs a command without a shell and reports how it ended.
//   args   {"argv": ["prog", "arg", ...], "timeout": seconds?, "stdin": "text"?}
//   result {"exit_code": 0, "stdout": "...", "stderr": "..."}
//          plus "stdout_truncated": true / "stderr_truncated": true when that
//          stream passed the output cap (jobq-worker --exec-output-max,
//          default kExecOutputMaxBytes) and was cut there
// argv[0] is looked up in PATH. stdin is the given text, or /dev/null. Output
// bytes that are not UTF-8 become U+FFFD, since results are JSON text. Like a
// shell's $(...), exec waits until stdout and stderr close: a background
// process that keeps them open keeps the job running until its timeout.
// Failures (for the last three, the error's detail is the result object above,
// as JSON, with whatever output there was):
//   bad_args     argv missing, empty or not strings; bad timeout or stdin
//   exec_failed  the program could not be started (not found, not executable)
//   exit_status  it exited with a non-zero code, or a signal killed it
//   timeout      `timeout` seconds or the job's deadline passed: its process
//                group got SIGTERM, then SIGKILL kExecKillGrace later
//   cancelled    the cancellation token was set: stopped the same way
// Thread-safe: see subprocess.h.

#include <chrono>
#include <cstddef>
#include <string>

#include "worker/tasks/task_context.h"

namespace jobq::worker {

inline constexpr char kErrorExecFailed[] = "exec_failed";
inline constexpr char kErrorExitStatus[] = "exit_status";
inline constexpr size_t kExecOutputMaxBytes = size_t{1} << 20;  // per stream, by default
// The largest cap --exec-output-max takes: both streams of every running
// exec are held in memory until it ends.
inline constexpr size_t kExecOutputMaxBytesLimit = size_t{1} << 30;
inline constexpr std::chrono::milliseconds kExecKillGrace{2000};
// One year, as for sleep.
inline constexpr double kMaxExecTimeoutSeconds = 365.0 * 24 * 3600;

// Keeps at most `output_max_bytes` of each of stdout and stderr.
std::string ExecTask(TaskContext& context, size_t output_max_bytes);
// With the default cap, kExecOutputMaxBytes.
std::string ExecTask(TaskContext& context);

}  // namespace jobq::worker
