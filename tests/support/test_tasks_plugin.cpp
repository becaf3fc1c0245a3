// A task plugin for tests of the worker's CPU pool: tasks that misbehave
// the ways a child process can, which no built-in should.
//   crash {how: "segv"|"abort"|"exit", code?}  ends its process: SIGSEGV,
//                                              abort() (SIGABRT), or
//                                              _exit(code, default 7)
//   spin  {}                                   busy-loops until cancelled
//                                              (or its process is killed)
//   pid   {}                                   {"pid": the process's pid}
// All are kind cpu. Built as a MODULE library; loaded with --plugin.
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "worker/tasks/plugin_api.h"

namespace {

using jobq::worker::TaskContext;
using jobq::worker::TaskError;
using jobq::worker::TaskKind;

std::string Crash(TaskContext& context) {
  const nlohmann::json& args = context.Args();
  const std::string how = jobq::worker::RequireString(args, "crash", "how");
  if (how == "segv") {
    // raise() rather than a null write: the compiler may not remove it, and
    // the signal is the same one a real bad pointer gets.
    ::raise(SIGSEGV);
  } else if (how == "abort") {
    std::abort();
  } else if (how == "exit") {
    const int64_t code =
        args.contains("code") ? jobq::worker::RequireInt(args, "crash", "code", 0, 255) : 7;
    ::_exit(static_cast<int>(code));
  }
  throw TaskError("bad_args", "crash: argument \"how\" must be segv, abort or exit, got " + how);
}

std::string Spin(TaskContext& context) {
  volatile uint64_t counter = 0;
  while (!context.IsCancelled()) {
    counter = counter + 1;
  }
  throw TaskError("cancelled", "spin: cancelled");
}

std::string Pid(TaskContext&) { return "{\"pid\":" + std::to_string(::getpid()) + "}"; }

}  // namespace

extern "C" void jobq_register_tasks_v1(jobq::worker::TaskRegistry* registry, absl::Status* status) {
  for (auto& [name, function] : {std::pair<const char*, jobq::worker::TaskFunction>{"crash", Crash},
                                 {"spin", Spin},
                                 {"pid", Pid}}) {
    *status = registry->Register(name, TaskKind::kCpu, function);
    if (!status->ok()) {
      return;
    }
  }
}
