#include "worker/tasks/builtin_tasks.h"

#include <string>
#include <tuple>

#include "common/check.h"
#include "worker/tasks/builtins/basic_tasks.h"
#include "worker/tasks/builtins/exec_task.h"
#include "worker/tasks/builtins/factorial.h"
#include "worker/tasks/builtins/http_get.h"
#include "worker/tasks/builtins/sum_squares.h"

namespace jobq::worker {

void RegisterBuiltinTasks(TaskRegistry& registry, const BuiltinTaskOptions& options) {
  InitHttpGet();
  for (auto [name, kind, function] : {
           std::tuple<const char*, TaskKind, TaskFunction>{"noop", TaskKind::kIo, NoopTask},
           {"echo", TaskKind::kIo, EchoTask},
           {"sleep", TaskKind::kIo, SleepTask},
           {"fail", TaskKind::kIo, FailTask},
           {"http_get", TaskKind::kIo, HttpGetTask},
           {"exec", TaskKind::kIo,
            [output_max = options.exec_output_max_bytes](TaskContext& context) {
              return ExecTask(context, output_max);
            }},
           {"sum_squares", TaskKind::kCpu, SumSquaresTask},
           {"factorial", TaskKind::kCpu, FactorialTask},
       }) {
    absl::Status status = registry.Register(name, kind, std::move(function));
    JOBQ_CHECK(status.ok()) << "built-in tasks are registered first: " << status;
  }
}

}  // namespace jobq::worker
