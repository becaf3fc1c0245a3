// A task plugin for tests of the worker's CPU pool: tasks that misbehave
// the ways a child process can, which no built-in should.
//   crash {how: "segv"|"abort"|"exit", code?}  ends its process: SIGSEGV,
//                                              abort() (SIGABRT), or
//                                              _exit(code, default 7)
//   spin  {}                                   busy-loops until cancelled
//                                              (or its process is killed)
//   pid   {}                                   {"pid": the process's pid}
// and, for the crash tests (tests/integration/crash_test.cpp), tasks that
// leave evidence of every execution in files:
//   record {path, tag?}                        appends "<job id> <attempt>[ <tag>]\n"
//                                              to `path` (O_APPEND); {"tag"}
//                                              when given (an integer), else null
//   gate  {record?, pid_file?, gate?,          appends "<job id> <attempt>
//          block_attempts? = 1}                <pid>\n" to `record`, writes its
//                                              pid to `pid_file` (atomically),
//                                              then, while attempt <=
//                                              block_attempts, waits until the
//                                              file `gate` exists (or until
//                                              cancelled); {"pid", "attempt",
//                                              "job"}
// crash, spin and pid are kind cpu, record and gate kind io (submit gate
// with --kind cpu to run it in a CPU child). Built as a MODULE library;
// loaded with --plugin.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
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
    // the signal is the same one a real bad pointer gets. The default action
    // first: a sanitizer's handler would report the signal and exit instead.
    ::signal(SIGSEGV, SIG_DFL);
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

// One write(2) to a file opened with O_APPEND: lines of concurrent writers
// (threads, worker processes) never interleave.
void AppendLine(const std::string& task, const std::string& path, const std::string& line) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    throw TaskError("io_error", task + ": cannot open " + path + ": " + std::strerror(errno));
  }
  const ssize_t written = ::write(fd, line.data(), line.size());
  const int write_errno = errno;
  ::close(fd);
  if (written != static_cast<ssize_t>(line.size())) {
    throw TaskError("io_error",
                    task + ": cannot append to " + path + ": " + std::strerror(write_errno));
  }
}

std::string Record(TaskContext& context) {
  const nlohmann::json& args = context.Args();
  const std::string path = jobq::worker::RequireString(args, "record", "path");
  if (!args.contains("tag")) {
    AppendLine("record", path, context.job_id() + " " + std::to_string(context.attempt()) + "\n");
    return "null";
  }
  const int64_t tag = jobq::worker::RequireInt(args, "record", "tag", 0, int64_t{1} << 53);
  AppendLine("record", path,
             context.job_id() + " " + std::to_string(context.attempt()) + " " +
                 std::to_string(tag) + "\n");
  return "{\"tag\":" + std::to_string(tag) + "}";
}

std::string Gate(TaskContext& context) {
  const nlohmann::json& args = context.Args();
  const std::string pid = std::to_string(::getpid());
  if (auto record = jobq::worker::OptionalString(args, "gate", "record")) {
    AppendLine("gate", *record,
               context.job_id() + " " + std::to_string(context.attempt()) + " " + pid + "\n");
  }
  if (auto pid_file = jobq::worker::OptionalString(args, "gate", "pid_file")) {
    // Written whole under another name, then renamed: a reader never sees
    // half a pid.
    const std::string temporary = *pid_file + ".tmp";
    std::remove(temporary.c_str());
    AppendLine("gate", temporary, pid + "\n");
    if (std::rename(temporary.c_str(), pid_file->c_str()) != 0) {
      throw TaskError("io_error", "gate: cannot rename " + temporary + ": " + std::strerror(errno));
    }
  }
  const int64_t block_attempts =
      args.contains("block_attempts")
          ? jobq::worker::RequireInt(args, "gate", "block_attempts", 0, 1000)
          : 1;
  if (auto gate = jobq::worker::OptionalString(args, "gate", "gate");
      gate && context.attempt() <= block_attempts) {
    struct stat info {};
    while (::stat(gate->c_str(), &info) != 0) {
      if (!context.SleepFor(std::chrono::milliseconds(10))) {
        throw TaskError("cancelled", "gate: cancelled while waiting for " + *gate);
      }
    }
  }
  nlohmann::json result = {
      {"pid", ::getpid()}, {"attempt", context.attempt()}, {"job", context.job_id()}};
  return result.dump();
}

// Reports progress as fast as it can for `seconds` (a chatty task: the
// worker's throttle and the broker's cost of one, bench/ and tests); with
// "report": false it spins as long without reporting (the quiet run).
std::string Chatty(TaskContext& context) {
  const nlohmann::json& args = context.Args();
  const double seconds = args.value("seconds", 0.5);
  const bool report = args.value("report", true);
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  uint64_t reports = 0;
  while (std::chrono::steady_clock::now() < end && !context.IsCancelled()) {
    ++reports;
    if (report) {
      context.ReportProgress(reports, 0, "report " + std::to_string(reports));
    } else {
      std::string message = "report " + std::to_string(reports);  // the same work, unsent
      asm volatile("" : : "r"(message.data()) : "memory");
    }
  }
  return nlohmann::json{{"reports", reports}}.dump();
}

}  // namespace

extern "C" void jobq_register_tasks_v1(jobq::worker::TaskRegistry* registry, absl::Status* status) {
  struct Task {
    const char* name;
    TaskKind kind;
    jobq::worker::TaskFunction function;
  };
  for (const Task& task :
       {Task{"crash", TaskKind::kCpu, Crash}, Task{"spin", TaskKind::kCpu, Spin},
        Task{"pid", TaskKind::kCpu, Pid}, Task{"record", TaskKind::kIo, Record},
        Task{"gate", TaskKind::kIo, Gate}, Task{"chatty", TaskKind::kIo, Chatty}}) {
    *status = registry->Register(task.name, task.kind, task.function);
    if (!status->ok()) {
      return;
    }
  }
}
