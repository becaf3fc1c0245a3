#pragma once
// PowerCutVfs: an SQLite VFS for tests that plays a power cut, after the
// crash VFS of SQLite's own tests (src/test6.c), simplified: what was
// written to a file but not fsync'ed is lost, whole; what was fsync'ed
// stays. It wraps the "unix" VFS and, at every xSync of a file, keeps a copy
// of that file's content; CutPower() puts every file back to its copy.
//
// Model, and its limits:
//  * A file's content when this VFS first opens it counts as synced (it was
//    there before the test began). A file it creates starts empty.
//  * The -shm file (the WAL index, memory-mapped by the unix VFS and never
//    opened through xOpen) is always lost; SQLite rebuilds it from the WAL.
//  * Deletions and creations are durable at once (the unix VFS fsyncs the
//    directory of a new WAL or journal itself). No torn or reordered
//    sectors, unlike test6.c: a write is either lost or kept whole.
//  * No xFetch: the io methods are version 2, so SQLite does not mmap the
//    database and every write goes through xWrite.
//
// Use it in a child process: register it, open the store, commit, CutPower(),
// then _exit() at once, as the machine would stop: no close, no checkpoint.
// The connections left open must not be used after CutPower(). Not
// thread-safe: one thread drives SQLite while it is registered.

#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"

struct sqlite3_vfs;

namespace jobq::testing {

class PowerCutVfs {
 public:
  static constexpr char kName[] = "jobq-power-cut";

  // Registers the VFS as SQLite's default, so that a store opening its file
  // with the default VFS goes through it.
  PowerCutVfs();
  // Unregisters it. The connections opened through it must be closed first.
  ~PowerCutVfs();
  PowerCutVfs(const PowerCutVfs&) = delete;
  PowerCutVfs& operator=(const PowerCutVfs&) = delete;

  // Rewrites every file opened through this VFS to its content at its last
  // xSync, and removes each one's -shm file.
  absl::Status CutPower();

 private:
  struct Callbacks;  // the sqlite3_vfs and sqlite3_io_methods functions
  friend struct Callbacks;

  sqlite3_vfs* real_;  // the "unix" VFS, which does the I/O
  std::unique_ptr<sqlite3_vfs> vfs_;
  // Path -> content at the file's last xSync.
  std::map<std::string, std::string> synced_;
};

}  // namespace jobq::testing
