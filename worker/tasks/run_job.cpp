#include "worker/tasks/run_job.h"

#include <cxxabi.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <typeinfo>

#include "common/job_id.h"
#include "common/json_depth.h"
#include "common/time_limits.h"
#include "worker/tasks/task_error.h"

namespace jobq::worker {
namespace {

// "std::runtime_error" rather than "St13runtime_error": the type travels to
// people and to programs that branch on it.
std::string DemangledTypeName(const std::type_info& type) {
  int status = 0;
  std::unique_ptr<char, decltype(&std::free)> name(
      abi::__cxa_demangle(type.name(), nullptr, nullptr, &status), &std::free);
  return status == 0 && name != nullptr ? std::string(name.get()) : std::string(type.name());
}

std::string UnknownTaskMessage(const TaskRegistry& registry, const std::string& task) {
  std::string message = "unknown task \"" + task + "\"; this worker runs: ";
  bool first = true;
  for (const auto& name : registry.Names()) {
    message += (first ? "" : ", ") + name;
    first = false;
  }
  if (first) {
    message += "(no tasks)";
  }
  return message;
}

void SetError(wire::JobResult* result, std::string type, std::string message,
              std::string detail = "") {
  result->set_ok(false);
  result->clear_result();
  result->clear_content_type();
  result->mutable_error()->set_type(std::move(type));
  result->mutable_error()->set_message(std::move(message));
  result->mutable_error()->set_detail(std::move(detail));
}

TaskInput MakeInput(const wire::DispatchedJob& job, TimeMs deadline_ms) {
  TaskInput input;
  input.job_id = JobIdText(job.id());
  input.task = job.task();
  input.queue = job.queue();
  input.attempt = job.attempt();
  input.payload = job.payload();
  input.content_type = job.content_type();
  input.deadline_ms = deadline_ms;
  return input;
}

// Calls the task; every way it can end becomes part of *result.
void CallTask(const TaskRegistry& registry, const wire::DispatchedJob& job,
              const CancellationToken& cancel, TimeMs deadline_ms, ProgressSink progress,
              wire::JobResult* result) {
  const TaskDefinition* definition = registry.Find(job.task());
  if (definition == nullptr) {
    SetError(result, kErrorUnknownTask, UnknownTaskMessage(registry, job.task()));
    return;
  }
  try {
    TaskContext context(MakeInput(job, deadline_ms), cancel, std::move(progress));
    std::string output = definition->function(context);
    // Bounded as payloads are: a producer that prints the result parses it.
    if (absl::Status valid = CheckJsonBounded(output); !valid.ok()) {
      constexpr size_t kShown = 80;
      SetError(result, kErrorBadResult,
               IsJsonTooDeep(valid)
                   ? "task \"" + job.task() + "\" returned a result " + std::string(valid.message())
                   : "task \"" + job.task() + "\" returned a result that is not JSON: " +
                         output.substr(0, kShown) + (output.size() > kShown ? "..." : ""));
      return;
    }
    result->set_ok(true);
    result->set_result(std::move(output));
    result->set_content_type(kJsonContentType);
  } catch (const TaskError& e) {
    SetError(result, e.type(), e.what(), e.detail());
  } catch (const std::exception& e) {
    SetError(result, kErrorException, e.what());
    result->mutable_error()->set_exception(DemangledTypeName(typeid(e)));
  } catch (...) {
    SetError(result, kErrorException,
             "task \"" + job.task() + "\" threw something that is not a std::exception");
  }
}

}  // namespace

wire::JobResult RunJob(const TaskRegistry& registry, const wire::DispatchedJob& job,
                       const CancellationToken& cancel) {
  return RunJob(registry, job, cancel,
                job.timeout_ms() > 0 ? RealClock().NowMs() + ClampTimeoutMs(job.timeout_ms()) : 0);
}

wire::JobResult RunJob(const TaskRegistry& registry, const wire::DispatchedJob& job,
                       const CancellationToken& cancel, TimeMs deadline_ms) {
  return RunJob(registry, job, cancel, deadline_ms, nullptr);
}

wire::JobResult RunJob(const TaskRegistry& registry, const wire::DispatchedJob& job,
                       const CancellationToken& cancel, TimeMs deadline_ms, ProgressSink progress) {
  wire::JobResult result;
  result.set_id(job.id());
  result.set_attempt(job.attempt());
  const auto start = std::chrono::steady_clock::now();
  CallTask(registry, job, cancel, deadline_ms, std::move(progress), &result);
  result.set_run_time_us(std::chrono::duration_cast<std::chrono::microseconds>(
                             std::chrono::steady_clock::now() - start)
                             .count());
  return result;
}

wire::JobResult RunJob(const TaskRegistry& registry, const wire::DispatchedJob& job) {
  CancellationToken never_cancelled;
  return RunJob(registry, job, never_cancelled);
}

wire::JobResult ErrorResult(const wire::DispatchedJob& job, std::string type, std::string message) {
  wire::JobResult result;
  result.set_id(job.id());
  result.set_attempt(job.attempt());
  SetError(&result, std::move(type), std::move(message));
  return result;
}

}  // namespace jobq::worker
