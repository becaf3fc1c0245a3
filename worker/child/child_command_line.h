#pragma once
// The command line of a CPU-pool child: the worker's own executable, run as
//
//   jobq-worker --child [--log-level LEVEL] [--exec-output-max BYTES] [--plugin PATH]...
//
// with its end of the socketpair as descriptor kChildChannelFd. `--child`
// must come first: main() checks for it before parsing the worker's flags,
// and the worker's help does not mention it (it is not for people).
//
// Pure functions; thread-compatible.

#include <cstdint>
#include <string>
#include <vector>

#include "common/log.h"
#include "worker/tasks/builtins/exec_task.h"

namespace jobq::worker::child {

// Descriptor of the child's end of the socketpair.
inline constexpr int kChildChannelFd = 3;
inline constexpr char kChildFlag[] = "--child";

// Exit codes of a child. 0: its sentinel or the parent's end closed.
inline constexpr int kChildExitUsage = 2;     // bad command line, no channel, a plugin failed
inline constexpr int kChildExitProtocol = 3;  // the parent sent a frame it must not send

struct ChildOptions {
  LogLevel log_level = LogLevel::kInfo;
  std::vector<std::string> plugins;  // loaded in this order, after the built-ins
  // The worker's --exec-output-max, for exec jobs run here (--kind cpu).
  uint64_t exec_output_max_bytes = kExecOutputMaxBytes;
};

// True when argv asks for child mode (argv[1] is --child).
bool IsChildCommandLine(int argc, const char* const* argv);

// The arguments after argv[0] that make a child with `options`.
std::vector<std::string> ChildArguments(const ChildOptions& options);

struct ChildParse {
  bool ok = false;
  std::string error;  // when !ok: what is wrong, one line
};
// Parses a command line made by ChildArguments (argv[0] first).
ChildParse ParseChildCommandLine(int argc, const char* const* argv, ChildOptions* options);

}  // namespace jobq::worker::child
