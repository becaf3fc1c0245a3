#pragma once
// The operator subcommands over the admin service (gRPC):
//
//   jobq queues [--json]           queues: depth, running, workers, paused
//   jobq workers [--json]          workers, with those declared dead lately
//   jobq job ID [--json]           one job: every field, result or error
//   jobq cancel ID... [--json]     cancel queued, scheduled or running jobs
//   jobq purge QUEUE [--json]      cancel every waiting job of a queue
//   jobq pause QUEUE [--json]      stop dispatching from a queue
//   jobq resume QUEUE [--json]     dispatch from it again
//   jobq drain WORKER [--json]     the worker finishes what it holds, exits 0
//
// Exit status: 0 done; 1 the broker refused (no such job, queue or worker;
// a queue already paused or not paused; a worker already draining; some
// job not cancelled); 2 usage or connection error. Messages on stderr.
// Runs on the calling thread.

#include <grpcpp/grpcpp.h>

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "producer/cli/global_flags.h"

namespace jobq::cli {

// The flags all of them take; `args` are the positional ones (ids, a
// queue or worker name).
struct AdminCommandFlags {
  std::vector<std::string> args;
  bool json = false;
  std::string admin;
};

enum class AdminCommand { kQueues, kWorkers, kJob, kCancel, kPurge, kPause, kResume, kDrain };

// Registers the subcommand; `flags` must outlive `app`.
CLI::App* AddAdminCommand(CLI::App& app, AdminCommand command, AdminCommandFlags* flags);

int RunAdminCommand(AdminCommand command, const AdminCommandFlags& flags,
                    const GlobalFlags& global);

// The exit status for a failed RPC: 1 when the broker refused the request
// for what it names (NOT_FOUND, FAILED_PRECONDITION), 3 when it refused the
// token (UNAUTHENTICATED, PERMISSION_DENIED), 2 otherwise.
int ExitCodeForRpc(const grpc::Status& status);

}  // namespace jobq::cli
