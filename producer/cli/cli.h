#pragma once
// The `jobq` command line: parses the arguments (CLI11), then runs one
// subcommand (submit, wait, jobs, ...). Returns the process exit status: 0
// success, 1 some job rejected or not succeeded, 2 usage or connection
// error (with a message on stderr). Call once per process, from main.

namespace jobq::cli {

int RunCli(int argc, char** argv);

}  // namespace jobq::cli
