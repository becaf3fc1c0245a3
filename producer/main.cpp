// jobq: the producer command line. Everything but the entry point lives in
// producer/cli so it can be tested without a process.

#include "producer/cli/cli.h"

int main(int argc, char** argv) { return jobq::cli::RunCli(argc, argv); }
