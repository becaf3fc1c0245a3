#pragma once
// Child mode of jobq-worker: the body of one CPU-pool child process.
//
// The child loads the same tasks as its worker (the built-ins, then each
// --plugin), says READY, and then serves its channel (kChildChannelFd) one
// job at a time: JOB -> RunJob() -> RESULT. It exits 0 on STOP (its
// sentinel) or when the parent's end closes, kChildExitUsage when it cannot
// start, kChildExitProtocol on a frame the parent must not send. A job that
// crashes the process is the parent's to report.
//
// It never outlives the worker: PR_SET_PDEATHSIG kills it when the thread
// that spawned it ends, and a closed channel ends it too. SIGINT and
// SIGTERM are ignored, because the worker decides when its children stop:
// Ctrl-C or systemd signal the whole process group, and a child that died
// then would fail the job the worker is draining.
//
// Single-threaded, like the tasks it runs (unless they start threads).

namespace jobq::worker::child {

// main() for `jobq-worker --child ...`; returns the exit code.
int ChildMain(int argc, const char* const* argv);

}  // namespace jobq::worker::child
