#pragma once
// PostgresServer: a real PostgreSQL 15 server for tests, in a fresh
// directory, listening on 127.0.0.1 at a free port (and a Unix socket in
// its directory), with fsync on as in production. Stopped by PID when
// destroyed, and killed with the test process if that dies first.
//
// Options put it in another network namespace, on another address (the
// database host of a multi-host test); the test process still reaches it
// through the Unix socket, which a network namespace does not hide.
//
// As root (CI, this machine) initdb and postgres run as the `postgres`
// user, since both refuse root; otherwise as the current user. The data
// directory is a copy of one initdb made once per machine and user
// (/tmp/jobq-postgres15-template-<uid>), which saves each test process the
// second initdb takes.
//
// Authentication: trust, except for the role kPasswordRole over TCP,
// which needs its password (scram-sha-256), for the tests of wrong
// passwords; over TCP only from 127.0.0.1 and Options::trusted_networks.
// Not thread-safe, except that Start, Stop and Kill may run on one thread
// while other threads use the server through libpq.

#include <gtest/gtest.h>
#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tests/support/temp_dir.h"

struct pg_conn;  // libpq's PGconn, which this header does not include

namespace jobq::testing {

// One connection to the server, kept between statements: a transaction
// that a test holds open while it tries something else.
class PostgresSession {
 public:
  ~PostgresSession();
  PostgresSession(const PostgresSession&) = delete;
  PostgresSession& operator=(const PostgresSession&) = delete;
  // Runs `sql` (several statements allowed) on this session.
  absl::Status Exec(const std::string& sql);

 private:
  friend class PostgresServer;
  explicit PostgresSession(pg_conn* conn) : conn_(conn) {}
  pg_conn* conn_;
};

class PostgresServer {
 public:
  // The role that must give a password (CreatePasswordRole makes it).
  static constexpr char kPasswordRole[] = "jobq_password_user";

  struct Options {
    // The network namespace the server runs in, as a file (/run/netns/NAME:
    // NetnsTopology::NamespacePath); empty for this process's own. Needs
    // root. Entered in the child before it becomes `postgres`, which may not.
    std::string network_namespace;
    // The one address it listens on, and Conninfo's host.
    std::string listen_address = "127.0.0.1";
    // Client networks (CIDR, e.g. "10.77.0.0/24") trusted over TCP as any role.
    std::vector<std::string> trusted_networks;
  };

  // Makes the data directory and starts the server. FAILED_PRECONDITION
  // naming scripts/setup.sh when PostgreSQL 15 is not installed; errors
  // quote the server's log otherwise.
  static absl::StatusOr<std::unique_ptr<PostgresServer>> Create();
  static absl::StatusOr<std::unique_ptr<PostgresServer>> Create(Options options);
  ~PostgresServer();  // immediate shutdown, then SIGKILL if it does not stop
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // Starts the server again on the same directory and port; returns once
  // it accepts connections.
  absl::Status Start();
  // Fast shutdown (SIGINT: connections are ended, open transactions rolled
  // back), waiting for the process to exit.
  absl::Status Stop();
  // SIGKILL, as a crash; waits for the process to exit.
  void Kill();
  bool running() const { return pid_ > 0; }

  int port() const { return port_; }
  // A URI for `dbname` as the superuser `postgres` over TCP, at the listen
  // address.
  std::string Conninfo(const std::string& dbname = "postgres") const;
  // CREATE DATABASE `name`; its Conninfo.
  absl::StatusOr<std::string> CreateDatabase(const std::string& name);
  // Runs `sql` in `dbname` as the superuser.
  absl::Status Exec(const std::string& dbname, const std::string& sql);
  // A session of its own in `dbname`, as the superuser.
  absl::StatusOr<std::unique_ptr<PostgresSession>> OpenSession(const std::string& dbname);
  // The first column of the first row of `sql` in `dbname`, as text.
  absl::StatusOr<std::string> QueryValue(const std::string& dbname, const std::string& sql);
  // Makes kPasswordRole (if no test did yet) log in with `password`, and
  // own database `dbname`.
  absl::Status CreatePasswordRole(const std::string& password, const std::string& dbname);
  // The server's log (stdout and stderr of every start).
  std::string Log() const;

 private:
  PostgresServer() = default;
  absl::Status MakeDataDirectory();
  absl::StatusOr<pid_t> Spawn(const std::vector<std::string>& argv) const;
  // Conninfo over the Unix socket: what this process uses itself, since
  // the TCP address may be in another network namespace.
  std::string LocalConninfo(const std::string& dbname) const;
  bool Reap(pid_t pid, std::chrono::milliseconds timeout);

  TempDir dir_;
  Options options_;
  std::string data_dir_;
  std::string log_path_;
  int port_ = 0;
  pid_t pid_ = -1;
  bool killed_ = false;  // the last stop was a SIGKILL
  // Who runs the server: root's test runs it as `postgres`.
  bool switch_user_ = false;
  uid_t uid_ = 0;
  gid_t gid_ = 0;
};

// One server for a whole test binary: AddGlobalTestEnvironment(new
// PostgresEnvironment) in the binary, then PostgresEnvironment::server()
// in its tests, each of which makes a database of its own.
class PostgresEnvironment : public ::testing::Environment {
 public:
  void SetUp() override;
  void TearDown() override;
  // The server; fails the test (and returns null) when it did not start.
  static PostgresServer* server();
  // A new database with a name of its own, as a conninfo; "" (and the test
  // failed) when it cannot be made.
  static std::string FreshDatabase();
};

}  // namespace jobq::testing
