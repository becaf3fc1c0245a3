#pragma once
// TaskError: the exception a task throws to fail its job with an error type
// of its choosing ("bad_args", "cancelled", "exit_status", ...) and, when
// there is more to say than one line, a detail (a command's output, say).
// Any other exception also fails the job with type "exception", the C++
// type name in ErrorInfo.exception (see run_job.h). Immutable, so
// thread-safe.

#include <stdexcept>
#include <string>
#include <utility>

namespace jobq::worker {

// Error types the worker itself reports.
inline constexpr char kErrorBadArgs[] = "bad_args";
inline constexpr char kErrorCancelled[] = "cancelled";
inline constexpr char kErrorTimeout[] = "timeout";
inline constexpr char kErrorUnknownTask[] = "unknown_task";
// What a task raised that is not a TaskError: the language-neutral type,
// the language's class in ErrorInfo.exception.
inline constexpr char kErrorException[] = "exception";

class TaskError : public std::runtime_error {
 public:
  // `type` is a short snake_case word a program can branch on; `message` is
  // one line for people that says what went wrong and with which input;
  // `detail` is optional and may be long (it travels as the error's detail).
  TaskError(std::string type, const std::string& message, std::string detail = "")
      : std::runtime_error(message), type_(std::move(type)), detail_(std::move(detail)) {}

  const std::string& type() const { return type_; }
  const std::string& detail() const { return detail_; }

 private:
  std::string type_;
  std::string detail_;
};

}  // namespace jobq::worker
