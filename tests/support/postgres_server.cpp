#include "tests/support/postgres_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/support/wait_for.h"

namespace jobq::testing {
namespace {

std::string BinDir() {
  const char* dir = std::getenv("JOBQ_POSTGRES_BIN_DIR");
  return dir != nullptr ? dir : "/usr/lib/postgresql/15/bin";
}

int FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t length = sizeof(address);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string Tail(const std::string& text, size_t bytes = 2000) {
  return text.size() <= bytes ? text : "..." + text.substr(text.size() - bytes);
}

// pg_hba.conf: the Unix socket, 127.0.0.1 and `trusted_networks` trusted,
// but the password role over TCP.
std::string HbaConf(const std::vector<std::string>& trusted_networks) {
  std::string conf =
      absl::StrCat("local all all trust\n", "host all ", PostgresServer::kPasswordRole,
                   " 127.0.0.1/32 scram-sha-256\n", "host all all 127.0.0.1/32 trust\n");
  for (const std::string& network : trusted_networks) {
    absl::StrAppend(&conf, "host all all ", network, " trust\n");
  }
  return conf;
}

// `sql` on an open connection: OK unless the server answered an error.
absl::Status ExecOn(PGconn* conn, const std::string& sql) {
  PGresult* result = PQexec(conn, sql.c_str());
  const ExecStatusType code = PQresultStatus(result);
  absl::Status status;
  if (code != PGRES_COMMAND_OK && code != PGRES_TUPLES_OK) {
    status = absl::InternalError(absl::StrCat(sql, ": ", PQerrorMessage(conn)));
  }
  PQclear(result);
  return status;
}

absl::Status ExecSql(const std::string& conninfo, const std::string& sql) {
  PGconn* conn = PQconnectdb(conninfo.c_str());
  absl::Status status;
  if (PQstatus(conn) != CONNECTION_OK) {
    status = absl::UnavailableError(absl::StrCat("cannot connect: ", PQerrorMessage(conn)));
  } else {
    status = ExecOn(conn, sql);
  }
  PQfinish(conn);
  return status;
}

void ChownTree(const std::string& path, uid_t uid, gid_t gid) {
  ::chown(path.c_str(), uid, gid);
  std::error_code ignored;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(path, ignored)) {
    ::lchown(entry.path().c_str(), uid, gid);
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<PostgresServer>> PostgresServer::Create() {
  return Create(Options());
}

absl::StatusOr<std::unique_ptr<PostgresServer>> PostgresServer::Create(Options options) {
  if (::access((BinDir() + "/postgres").c_str(), X_OK) != 0 ||
      ::access((BinDir() + "/initdb").c_str(), X_OK) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("PostgreSQL 15 is not installed (no ", BinDir(),
                     "/postgres or initdb): run scripts/setup.sh, which installs postgresql-15"));
  }
  std::unique_ptr<PostgresServer> server(new PostgresServer());
  server->options_ = std::move(options);
  if (::geteuid() == 0) {
    const passwd* user = ::getpwnam("postgres");
    if (user == nullptr) {
      return absl::FailedPreconditionError(
          "running as root, but there is no user `postgres` to run PostgreSQL as (initdb and "
          "postgres refuse root): run scripts/setup.sh, whose postgresql-15 creates it");
    }
    server->switch_user_ = true;
    server->uid_ = user->pw_uid;
    server->gid_ = user->pw_gid;
    ::chown(server->dir_.path().c_str(), server->uid_, server->gid_);
  }
  server->data_dir_ = server->dir_.File("data");
  server->log_path_ = server->dir_.File("server.log");
  server->port_ = FreePort();
  if (absl::Status status = server->MakeDataDirectory(); !status.ok()) {
    return status;
  }
  if (absl::Status status = server->Start(); !status.ok()) {
    return status;
  }
  return server;
}

absl::Status PostgresServer::MakeDataDirectory() {
  // initdb once per machine and user, under a lock (tests start in
  // parallel), into a template that each server copies.
  const std::string uid = std::to_string(switch_user_ ? uid_ : ::geteuid());
  const std::string template_dir = "/tmp/jobq-postgres15-template-" + uid;
  const int lock = ::open((template_dir + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock < 0 || ::flock(lock, LOCK_EX) != 0) {
    return absl::InternalError(
        absl::StrCat("cannot lock ", template_dir, ".lock: ", std::strerror(errno)));
  }
  absl::Status status;
  if (::access((template_dir + "/PG_VERSION").c_str(), R_OK) != 0) {
    const std::string fresh = template_dir + ".new";
    std::error_code ignored;
    std::filesystem::remove_all(fresh, ignored);
    // The template's parent must be enterable by the user who runs initdb.
    absl::StatusOr<pid_t> initdb =
        Spawn({BinDir() + "/initdb", "-D", fresh, "-U", "postgres", "--auth=trust", "--no-sync",
               "-E", "UTF8", "--locale=C.UTF-8"});
    int wait_status = 0;
    if (!initdb.ok()) {
      status = initdb.status();
    } else if (::waitpid(*initdb, &wait_status, 0) != *initdb || !WIFEXITED(wait_status) ||
               WEXITSTATUS(wait_status) != 0) {
      status = absl::InternalError(absl::StrCat("initdb failed; its output:\n", Tail(Log())));
    } else if (::rename(fresh.c_str(), template_dir.c_str()) != 0) {
      status =
          absl::InternalError(absl::StrCat("cannot rename ", fresh, ": ", std::strerror(errno)));
    }
  }
  ::close(lock);  // also releases the lock
  if (!status.ok()) {
    return status;
  }
  std::error_code error;
  std::filesystem::copy(template_dir, data_dir_, std::filesystem::copy_options::recursive, error);
  if (error) {
    return absl::InternalError(
        absl::StrCat("cannot copy ", template_dir, " to ", data_dir_, ": ", error.message()));
  }
  std::ofstream(data_dir_ + "/pg_hba.conf", std::ios::trunc) << HbaConf(options_.trusted_networks);
  ::chmod(data_dir_.c_str(), 0700);  // postgres refuses a group- or world-readable one
  if (switch_user_) {
    ChownTree(data_dir_, uid_, gid_);
  }
  return absl::OkStatus();
}

absl::StatusOr<pid_t> PostgresServer::Spawn(const std::vector<std::string>& argv) const {
  // Everything the child needs is made before fork: after it, in a
  // process that may have other threads, only async-signal-safe calls.
  std::vector<char*> args;
  for (const std::string& arg : argv) {
    args.push_back(const_cast<char*>(arg.c_str()));
  }
  args.push_back(nullptr);
  int netns = -1;
  if (!options_.network_namespace.empty()) {
    netns = ::open(options_.network_namespace.c_str(), O_RDONLY | O_CLOEXEC);
    if (netns < 0) {
      return absl::InternalError(
          absl::StrCat("cannot open ", options_.network_namespace, ": ", std::strerror(errno)));
    }
  }
  const int log = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log < 0) {
    if (netns >= 0) {
      ::close(netns);
    }
    return absl::InternalError(absl::StrCat("cannot open ", log_path_, ": ", std::strerror(errno)));
  }
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(log);
    if (netns >= 0) {
      ::close(netns);
    }
    return absl::InternalError(absl::StrCat("fork: ", std::strerror(errno)));
  }
  if (pid == 0) {
    ::dup2(log, STDOUT_FILENO);
    ::dup2(log, STDERR_FILENO);
    // Before the user switch: entering a namespace takes root.
    if (netns >= 0 && ::setns(netns, CLONE_NEWNET) != 0) {
      ::_exit(124);
    }
    if (switch_user_) {
      if (::setgroups(1, &gid_) != 0 || ::setgid(gid_) != 0 || ::setuid(uid_) != 0) {
        ::_exit(126);
      }
    }
    // After setuid, which clears it: the server dies with the test (SIGQUIT
    // is PostgreSQL's immediate shutdown, which takes its backends along).
    ::prctl(PR_SET_PDEATHSIG, SIGQUIT);
    if (::getppid() != parent) {
      ::_exit(125);
    }
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(log);
  if (netns >= 0) {
    ::close(netns);
  }
  return pid;
}

absl::Status PostgresServer::Start() {
  if (running()) {
    return absl::FailedPreconditionError("the PostgreSQL server is running already");
  }
  const std::vector<std::string> argv = {BinDir() + "/postgres",
                                         "-D",
                                         data_dir_,
                                         "-k",
                                         dir_.path(),
                                         "-p",
                                         std::to_string(port_),
                                         "-c",
                                         absl::StrCat("listen_addresses=", options_.listen_address),
                                         "-c",
                                         "fsync=on",
                                         "-c",
                                         "max_connections=40",
                                         "-c",
                                         "shared_buffers=64MB"};
  const auto deadline = std::chrono::steady_clock::now() + Scaled(std::chrono::seconds(60));
  const std::string conninfo = LocalConninfo("postgres");
  for (;;) {
    absl::StatusOr<pid_t> pid = Spawn(argv);
    if (!pid.ok()) {
      return pid.status();
    }
    pid_ = *pid;
    bool exited = false;
    const bool ready = WaitFor(
        [&] {
          int wait_status = 0;
          if (::waitpid(pid_, &wait_status, WNOHANG) == pid_) {
            exited = true;
            return true;
          }
          return PQping(conninfo.c_str()) == PQPING_OK;
        },
        std::chrono::seconds(60));
    if (ready && !exited) {
      killed_ = false;
      return absl::OkStatus();
    }
    pid_ = -1;
    // After a SIGKILL the old server's backends may hold its shared memory
    // for a moment, and the new one refuses to start until they are gone.
    if (!exited || !killed_ || std::chrono::steady_clock::now() >= deadline) {
      return absl::InternalError(
          absl::StrCat("PostgreSQL did not start on port ", port_, "; its log:\n", Tail(Log())));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

bool PostgresServer::Reap(pid_t pid, std::chrono::milliseconds timeout) {
  return WaitFor(
      [&] {
        int wait_status = 0;
        const pid_t reaped = ::waitpid(pid, &wait_status, WNOHANG);
        return reaped == pid || (reaped < 0 && errno == ECHILD);
      },
      timeout);
}

absl::Status PostgresServer::Stop() {
  if (!running()) {
    return absl::OkStatus();
  }
  ::kill(pid_, SIGINT);
  if (!Reap(pid_, std::chrono::seconds(60))) {
    Kill();
    return absl::DeadlineExceededError("PostgreSQL did not stop on SIGINT; it was killed");
  }
  pid_ = -1;
  return absl::OkStatus();
}

void PostgresServer::Kill() {
  if (!running()) {
    return;
  }
  ::kill(pid_, SIGKILL);
  Reap(pid_, std::chrono::seconds(60));
  pid_ = -1;
  killed_ = true;
}

PostgresServer::~PostgresServer() {
  if (!running()) {
    return;
  }
  // Immediate shutdown (SIGQUIT): its data is thrown away with the
  // directory, so the shutdown checkpoint of a fast one, which writes every
  // database the tests made, would be time lost.
  ::kill(pid_, SIGQUIT);
  if (!Reap(pid_, std::chrono::seconds(60))) {
    Kill();
  }
}

std::string PostgresServer::Conninfo(const std::string& dbname) const {
  return absl::StrCat("postgresql://postgres@", options_.listen_address, ":", port_, "/", dbname);
}

std::string PostgresServer::LocalConninfo(const std::string& dbname) const {
  return absl::StrCat("host=", dir_.path(), " port=", port_, " user=postgres dbname=", dbname);
}

absl::Status PostgresServer::Exec(const std::string& dbname, const std::string& sql) {
  return ExecSql(LocalConninfo(dbname), sql);
}

absl::StatusOr<std::unique_ptr<PostgresSession>> PostgresServer::OpenSession(
    const std::string& dbname) {
  PGconn* conn = PQconnectdb(LocalConninfo(dbname).c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    absl::Status status =
        absl::UnavailableError(absl::StrCat("cannot connect: ", PQerrorMessage(conn)));
    PQfinish(conn);
    return status;
  }
  return std::unique_ptr<PostgresSession>(new PostgresSession(conn));
}

PostgresSession::~PostgresSession() { PQfinish(conn_); }

absl::Status PostgresSession::Exec(const std::string& sql) { return ExecOn(conn_, sql); }

absl::StatusOr<std::string> PostgresServer::QueryValue(const std::string& dbname,
                                                       const std::string& sql) {
  PGconn* conn = PQconnectdb(LocalConninfo(dbname).c_str());
  absl::StatusOr<std::string> value =
      absl::UnavailableError(absl::StrCat("cannot connect: ", PQerrorMessage(conn)));
  if (PQstatus(conn) == CONNECTION_OK) {
    PGresult* result = PQexec(conn, sql.c_str());
    if (PQresultStatus(result) != PGRES_TUPLES_OK || PQntuples(result) < 1) {
      value = absl::InternalError(absl::StrCat(sql, ": no rows; ", PQerrorMessage(conn)));
    } else {
      value = std::string(PQgetvalue(result, 0, 0));
    }
    PQclear(result);
  }
  PQfinish(conn);
  return value;
}

absl::StatusOr<std::string> PostgresServer::CreateDatabase(const std::string& name) {
  if (absl::Status status = Exec("postgres", absl::StrCat("CREATE DATABASE \"", name, "\""));
      !status.ok()) {
    return status;
  }
  return Conninfo(name);
}

absl::Status PostgresServer::CreatePasswordRole(const std::string& password,
                                                const std::string& dbname) {
  // Roles belong to the whole server, and earlier tests may have made it.
  return Exec("postgres", absl::StrCat("DO $$ BEGIN CREATE ROLE ", kPasswordRole,
                                       " LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;",
                                       "ALTER ROLE ", kPasswordRole, " PASSWORD '", password, "';",
                                       "ALTER DATABASE \"", dbname, "\" OWNER TO ", kPasswordRole));
}

std::string PostgresServer::Log() const { return ReadAll(log_path_); }

namespace {
std::unique_ptr<PostgresServer>& SharedServer() {
  static auto* server = new std::unique_ptr<PostgresServer>();
  return *server;
}
}  // namespace

void PostgresEnvironment::SetUp() {
  absl::StatusOr<std::unique_ptr<PostgresServer>> server = PostgresServer::Create();
  ASSERT_TRUE(server.ok()) << server.status();
  SharedServer() = std::move(*server);
}

void PostgresEnvironment::TearDown() { SharedServer().reset(); }

PostgresServer* PostgresEnvironment::server() {
  EXPECT_NE(SharedServer(), nullptr) << "the PostgreSQL server of this test binary did not start";
  return SharedServer().get();
}

std::string PostgresEnvironment::FreshDatabase() {
  static int databases = 0;
  PostgresServer* postgres = server();
  if (postgres == nullptr) {
    return "";
  }
  absl::StatusOr<std::string> conninfo =
      postgres->CreateDatabase(absl::StrCat("jobq_test_", ++databases));
  EXPECT_TRUE(conninfo.ok()) << conninfo.status();
  return conninfo.ok() ? *conninfo : "";
}

}  // namespace jobq::testing
