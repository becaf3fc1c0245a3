#include "worker/child/child_command_line.h"

#include <string_view>

#include "common/byte_size.h"

namespace jobq::worker::child {
namespace {

const char* LogLevelFlagValue(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kError:
      return "error";
    case LogLevel::kOff:
      return "off";
  }
  return "info";
}

}  // namespace

bool IsChildCommandLine(int argc, const char* const* argv) {
  return argc >= 2 && std::string_view(argv[1]) == kChildFlag;
}

std::vector<std::string> ChildArguments(const ChildOptions& options) {
  std::vector<std::string> args = {kChildFlag, "--log-level", LogLevelFlagValue(options.log_level),
                                   "--exec-output-max",
                                   std::to_string(options.exec_output_max_bytes)};
  for (const std::string& plugin : options.plugins) {
    args.push_back("--plugin");
    args.push_back(plugin);
  }
  return args;
}

ChildParse ParseChildCommandLine(int argc, const char* const* argv, ChildOptions* options) {
  if (!IsChildCommandLine(argc, argv)) {
    return {false, std::string(kChildFlag) + " must be the first argument"};
  }
  ChildOptions parsed;
  for (int i = 2; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (i + 1 >= argc) {
      return {false, std::string(flag) + " needs a value"};
    }
    const std::string_view value = argv[++i];
    if (flag == "--log-level") {
      if (!ParseLogLevel(value, &parsed.log_level)) {
        return {false, "--log-level " + std::string(value) + " is not a log level"};
      }
    } else if (flag == "--exec-output-max") {
      absl::StatusOr<uint64_t> bytes = ParseByteSize(value);
      if (!bytes.ok() || *bytes > kExecOutputMaxBytesLimit) {
        return {false, "--exec-output-max " + std::string(value) +
                           " is not a byte count from 1 to " +
                           std::to_string(kExecOutputMaxBytesLimit)};
      }
      parsed.exec_output_max_bytes = *bytes;
    } else if (flag == "--plugin") {
      if (value.empty()) {
        return {false, "--plugin needs a path"};
      }
      parsed.plugins.emplace_back(value);
    } else {
      return {false, "unknown child flag " + std::string(flag)};
    }
  }
  *options = std::move(parsed);
  return {true, ""};
}

}  // namespace jobq::worker::child
