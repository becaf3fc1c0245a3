#pragma once
// Cluster: a real jobq-broker, jobq-workers and jobq CLI runs on loopback,
// for integration tests. Binaries come from the build (compile definitions
// JOBQ_BROKER_BIN, JOBQ_WORKER_BIN, JOBQ_CLI_BIN). Everything started is
// stopped by PID when the Cluster goes away. Not thread-safe.

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "tests/support/process.h"

namespace jobq::testing {

class Cluster {
 public:
  Cluster();
  ~Cluster();

  // Starts the broker on free ports (or on `frontend_port`/`backend_port`
  // when given, to restart on the same address) and waits until it listens.
  void StartBroker(std::vector<std::string> extra_args = {}, int frontend_port = 0,
                   int backend_port = 0);
  Process& broker() { return *broker_; }
  void StopBroker();
  void KillBroker();

  Process& StartWorker(const std::string& name, std::vector<std::string> extra_args = {});

  // Runs `jobq ARGS...` against this cluster's broker and admin addresses.
  CommandResult Jobq(std::vector<std::string> args, const std::string& input = "",
                     std::chrono::milliseconds timeout = std::chrono::seconds(120));
  // Added to the environment of every later Jobq() (JOBQ_TOKEN, say, for a
  // broker with --admin-tokens).
  void SetJobqEnv(std::map<std::string, std::string> env) { jobq_env_ = std::move(env); }
  // `jobq status --json`, parsed; null when the call failed.
  nlohmann::json Status();
  // Waits until the broker lists exactly these workers.
  bool WaitForWorkers(size_t count);
  // Waits until the broker lists one worker, holding `jobs` jobs (as its
  // heartbeats report them).
  bool WaitForOneWorkerHolding(uint64_t jobs);
  // Waits until `queue` has `jobs` jobs waiting.
  bool WaitForQueued(const std::string& queue, uint64_t jobs);
  // Waits until the broker lists exactly the workers with these names.
  bool WaitForWorkerNames(const std::set<std::string>& names,
                          std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Every job the broker has (`jobq jobs --json`, page after page), oldest
  // first; `state` filters as --state does. Throws when a page cannot be read.
  std::vector<nlohmann::json> AllJobs(const std::string& state = "");

  const std::string& frontend() const { return frontend_; }
  const std::string& backend() const { return backend_; }
  const std::string& admin() const { return admin_; }
  // HOST:PORT of GET /metrics when the broker was started with --metrics;
  // empty otherwise.
  const std::string& metrics() const { return metrics_; }
  // HOST:PORT of the dashboard when the broker was started with --http;
  // empty otherwise.
  const std::string& http() const { return http_; }
  TempDir& dir() { return dir_; }

 private:
  TempDir dir_;
  std::unique_ptr<Process> broker_;
  std::vector<std::unique_ptr<Process>> workers_;
  int broker_starts_ = 0;
  std::string frontend_;
  std::string backend_;
  std::string admin_;
  std::string metrics_;
  std::string http_;
  std::map<std::string, std::string> jobq_env_;
};

// The JSON lines of a command's stdout, parsed.
std::vector<nlohmann::json> JsonLines(const std::string& text);

// A counter of `jobq status --json` ("succeeded", "late_results", ...), which
// the JSON gives as a decimal string (uint64); 0 when missing.
uint64_t StatusCounter(const nlohmann::json& status, const std::string& name);
// The names of the workers `jobq status --json` lists.
std::set<std::string> WorkerNames(const nlohmann::json& status);

}  // namespace jobq::testing
