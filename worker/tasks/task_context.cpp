#include "worker/tasks/task_context.h"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <utility>

#include "common/json_depth.h"
#include "common/progress_limits.h"
#include "common/utf8.h"
#include "worker/tasks/task_error.h"

namespace jobq::worker {

const nlohmann::json& TaskContext::Args() {
  if (args_.has_value()) {
    return *args_;
  }
  if (!input_.content_type.empty() && input_.content_type != kJsonContentType) {
    throw TaskError(kErrorBadArgs, input_.task + ": arguments must be application/json, got " +
                                       "content type \"" + input_.content_type + "\"");
  }
  if (input_.payload.empty()) {
    args_ = nlohmann::json::object();
    return *args_;
  }
  // Bounded: the task would dump() or copy a deeper value recursively and
  // overflow the stack, killing the worker and then each worker the job
  // is retried on. Either error is one no retry can fix.
  nlohmann::json args;
  if (absl::Status status = ParseJsonBounded(input_.payload, &args); !status.ok()) {
    throw TaskError(kErrorBadArgs,
                    IsJsonTooDeep(status)
                        ? input_.task + ": arguments are " + std::string(status.message())
                        : input_.task + ": arguments are not valid JSON (" +
                              std::string(status.message()) + ")");
  }
  args_ = std::move(args);
  return *args_;
}

namespace {

// At most kProgressMessageBytesMax bytes of valid UTF-8: the broker refuses
// a longer message, and a PROGRESS with invalid UTF-8 does not decode at all.
std::string BoundedProgressMessage(std::string_view message) {
  std::string out;
  out.reserve(std::min(message.size(), kProgressMessageBytesMax));
  size_t i = 0;
  while (i < message.size()) {
    const auto lead = static_cast<unsigned char>(message[i]);
    const size_t length = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
    std::string_view piece = message.substr(i, length);
    if (piece.size() != length || !IsValidUtf8(piece)) {
      piece = "?";
      i += 1;
    } else {
      i += length;
    }
    if (out.size() + piece.size() > kProgressMessageBytesMax) {
      break;
    }
    out.append(piece);
  }
  return out;
}

}  // namespace

void TaskContext::ReportProgress(uint64_t done, uint64_t total, std::string_view message) {
  if (total != 0 && done > total) {
    throw std::invalid_argument(input_.task + ": ReportProgress(" + std::to_string(done) + ", " +
                                std::to_string(total) +
                                "): done is above total (give total 0 when it is not known)");
  }
  if (progress_) {
    progress_(done, total, BoundedProgressMessage(message));
  }
}

}  // namespace jobq::worker
