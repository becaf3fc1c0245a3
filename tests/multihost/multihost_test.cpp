// Multi-host tests: the real jobq-broker, three jobq-workers and the jobq
// CLI as a producer, each on its own "host" (a network namespace) on one
// bridge, talking over TCP on 10.77.0.0/24 (tests/multihost/netns_topology.h):
//
//   broker 10.77.0.1   w1 10.77.0.11   w2 10.77.0.12   w3 10.77.0.13
//   producer 10.77.0.21
//
// Root only (network namespaces); skipped with a message otherwise. Run:
//
//   ctest --test-dir build -L multihost
//   (or ./build/tests/multihost/multihost_test)
//
// CURVE is on for both broker sockets, with keys made by `jobq keygen` and
// allow-lists of the producer's and the workers' public keys. The broker's
// admin and /metrics listen on the broker host's loopback; the test reads
// them from inside that namespace, as an operator on the broker host would.
// Waits poll a condition with a deadline; nothing asserts on timing.

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/multihost/multihost_support.h"
#include "tests/multihost/netns_topology.h"
#include "tests/support/cluster.h"
#include "tests/support/gate_record.h"
#include "tests/support/process.h"

namespace jobq::testing {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::seconds;

constexpr const char* kBrokerAddress = "10.77.0.1";
constexpr int kFrontendPort = 5555;
constexpr int kBackendPort = 5556;
constexpr const char* kAdmin = "127.0.0.1:50051";  // on the broker host
constexpr int kMetricsPort = 9464;                 // on the broker host
const std::vector<std::string> kWorkers = {"w1", "w2", "w3"};

std::string Frontend() {
  return "tcp://" + std::string(kBrokerAddress) + ":" + std::to_string(kFrontendPort);
}
std::string Backend() {
  return "tcp://" + std::string(kBrokerAddress) + ":" + std::to_string(kBackendPort);
}

// The value of the Prometheus sample `name{labels}` (labels as printed,
// e.g. `state="active"`; empty for none); -1 when it is not there.
double MetricValue(const std::string& text, const std::string& name, const std::string& labels) {
  const std::string key = labels.empty() ? name + " " : name + "{" + labels + "} ";
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) == 0) {
      return std::stod(line.substr(key.size()));
    }
  }
  return -1;
}

// The key files of one `jobq keygen NAME`.
struct KeyPair {
  std::string secret;  // NAME.key
  std::string pub;     // NAME.pub
};

class MultiHostTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const std::string why = MakeTopology(&net_); !why.empty()) {
      GTEST_SKIP() << why;
    }
    net_->AddHost("broker", kBrokerAddress);
    net_->AddHost("w1", "10.77.0.11");
    net_->AddHost("w2", "10.77.0.12");
    net_->AddHost("w3", "10.77.0.13");
    net_->AddHost("producer", "10.77.0.21");
  }

  // `jobq keygen --out-dir DIR NAME` into `keys`.
  void Keygen(const std::string& name, KeyPair* keys) {
    CommandResult made =
        RunCommand({JOBQ_CLI_BIN, "keygen", "--out-dir", dir_.path(), name}, "", seconds(20));
    ASSERT_EQ(made.exit_code, 0) << "jobq keygen " << name << ": " << made.err;
    *keys = {dir_.File(name + ".key"), dir_.File(name + ".pub")};
  }

  // Key pairs for the broker, the workers and the producer, and the
  // allow-lists (one key each here; `cat a.pub b.pub > list` makes longer ones).
  void MakeKeys() {
    ASSERT_NO_FATAL_FAILURE(Keygen("broker", &broker_keys_));
    ASSERT_NO_FATAL_FAILURE(Keygen("worker", &worker_keys_));
    ASSERT_NO_FATAL_FAILURE(Keygen("producer", &producer_keys_));
    WriteFile(dir_.File("producers.list"), ReadFile(producer_keys_.pub));
    WriteFile(dir_.File("workers.list"), ReadFile(worker_keys_.pub));
  }

  // The broker on the broker host: ZeroMQ sockets on 10.77.0.1 with CURVE,
  // admin and /metrics on its loopback, heartbeats every 200 ms, a worker
  // dead after 3 misses.
  void StartBroker() {
    const std::string ready = dir_.File("broker.ready");
    std::vector<std::string> argv = {JOBQ_BROKER_BIN,
                                     "--frontend",
                                     Frontend(),
                                     "--backend",
                                     Backend(),
                                     "--admin",
                                     kAdmin,
                                     "--metrics",
                                     "127.0.0.1:" + std::to_string(kMetricsPort),
                                     "--data-dir",
                                     dir_.File("data"),
                                     "--ready-file",
                                     ready,
                                     "--heartbeat-ms",
                                     "200",
                                     "--liveness-misses",
                                     "3"};
    argv.insert(argv.end(),
                {"--curve-secret-key", broker_keys_.secret, "--producer-keys",
                 dir_.File("producers.list"), "--worker-keys", dir_.File("workers.list")});
    broker_ = std::make_unique<Process>(net_->Exec("broker", argv), dir_.File("broker"));
    ASSERT_TRUE(WaitFor([&] { return !ReadFile(ready).empty() || !broker_->Running(); }))
        << "the broker never said it was ready";
    ASSERT_TRUE(broker_->Running()) << "the broker did not start: " << broker_->Stderr();
  }

  // CURVE flags of a worker or producer with `keys`.
  std::vector<std::string> ClientCurveFlags(const KeyPair& keys) const {
    return {"--broker-key", broker_keys_.pub, "--curve-key", keys.secret};
  }

  Process& StartWorker(const std::string& host) {
    std::vector<std::string> argv = {
        JOBQ_WORKER_BIN,        "--broker",     Backend(), "--name",      host, "--plugin",
        JOBQ_TEST_TASKS_PLUGIN, "--io-threads", "2",       "--cpu-procs", "0"};
    const std::vector<std::string> curve = ClientCurveFlags(worker_keys_);
    argv.insert(argv.end(), curve.begin(), curve.end());
    workers_[host] = std::make_unique<Process>(net_->Exec(host, argv), dir_.File("worker-" + host));
    return *workers_[host];
  }

  // `jobq [CURVE flags] ARGS...` on the producer host, in the background.
  std::unique_ptr<Process> StartProducer(const std::string& name, std::vector<std::string> args) {
    std::vector<std::string> argv = {JOBQ_CLI_BIN};
    const std::vector<std::string> curve = ClientCurveFlags(producer_keys_);
    argv.insert(argv.end(), curve.begin(), curve.end());
    argv.insert(argv.end(), args.begin(), args.end());
    return std::make_unique<Process>(
        net_->Exec("producer", argv), dir_.File(name),
        std::map<std::string, std::string>{{"JOBQ_BROKER", Frontend()}});
  }

  // `jobq ARGS...` on the broker host, against its admin service.
  CommandResult Admin(const std::vector<std::string>& args, seconds timeout = seconds(20)) {
    std::vector<std::string> argv = {JOBQ_CLI_BIN};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(net_->Exec("broker", argv), "", timeout, {{"JOBQ_ADMIN", kAdmin}});
  }

  nlohmann::json Status() {
    CommandResult result = Admin({"status", "--json"}, seconds(10));
    if (result.exit_code != 0) {
      return nullptr;
    }
    nlohmann::json status = nlohmann::json::parse(result.out, nullptr, false);
    return status.is_discarded() ? nullptr : status;
  }

  // The entries of `jobq workers --json` (ListWorkers: dead ones too).
  std::vector<nlohmann::json> ListWorkers() {
    CommandResult result = Admin({"workers", "--json"}, seconds(10));
    if (result.exit_code != 0) {
      return {};
    }
    nlohmann::json list = nlohmann::json::parse(result.out, nullptr, false);
    if (list.is_discarded() || !list.contains("workers")) {
      return {};
    }
    return list["workers"].get<std::vector<nlohmann::json>>();
  }

  // The ListWorkers entry of worker `name` in `state`; null when none.
  nlohmann::json ListedWorker(const std::string& name, const std::string& state) {
    for (const nlohmann::json& worker : ListWorkers()) {
      if (worker.value("name", "") == name && worker.value("state", "") == state) {
        return worker;
      }
    }
    return nullptr;
  }

  bool WaitForWorkerNames(const std::set<std::string>& names, seconds timeout = seconds(30)) {
    return WaitFor(
        [&] {
          nlohmann::json status = Status();
          return !status.is_null() && WorkerNames(status) == names;
        },
        timeout);
  }

  // GET /metrics on the broker host; the error instead when it fails.
  std::string Metrics() {
    try {
      return HttpGetInHost(*net_, "broker", kMetricsPort, "/metrics");
    } catch (const NetnsError& e) {
      return std::string("GET /metrics failed: ") + e.what();
    }
  }

  // Every job the broker keeps (fewer than one page of `jobq jobs`).
  std::vector<nlohmann::json> AllJobs() {
    CommandResult page = Admin({"jobs", "--json", "--limit", "10000"}, seconds(60));
    EXPECT_EQ(page.exit_code, 0) << page.err;
    EXPECT_EQ(page.err.find("more jobs follow"), std::string::npos);
    return JsonLines(page.out);
  }

  // Declared first: destroyed last, after every process in its hosts.
  std::unique_ptr<NetnsTopology> net_;
  TempDir dir_;
  KeyPair broker_keys_, worker_keys_, producer_keys_;
  std::unique_ptr<Process> broker_;
  std::map<std::string, std::unique_ptr<Process>> workers_;
};

// Writes `count` sleep jobs of `seconds_each` (tagged, so that every line
// can be told apart), with the gate job `gate_args` after line `gate_after`
// when `gate_after` >= 0.
void WriteJobs(const std::string& path, int count, double seconds_each, int gate_after = -1,
               const nlohmann::json& gate_args = nullptr) {
  std::ofstream out(path);
  for (int i = 0; i < count; ++i) {
    out << nlohmann::json{{"task", "sleep"}, {"args", {{"seconds", seconds_each}, {"line", i}}}}
               .dump()
        << "\n";
    if (i == gate_after) {
      out << nlohmann::json{{"task", "gate"}, {"args", gate_args}}.dump() << "\n";
    }
  }
}

// A worker host's cable is pulled while jobs stream in from the producer
// host and the worker holds a job (the gate job, whose first attempt blocks
// until the test opens its gate file): the broker declares the worker dead
// after the liveness window, its jobs run on the two others, and jobs
// submitted meanwhile run there too. The cable goes back in: the worker
// registers again (ListWorkers, /metrics) and takes jobs again, and the
// result of its first attempt of the gate job, finished while it was cut
// off, arrives late and is ignored: the job keeps the other worker's result.
// In the end every job the producers were told of has exactly one outcome,
// succeeded, and the broker keeps exactly those jobs.
TEST_F(MultiHostTest, LinkCutWorkersJobsRunElsewhereAndItsLateResultIsIgnored) {
  const Clock::time_point start = Clock::now();
  ASSERT_NO_FATAL_FAILURE(MakeKeys());
  ASSERT_NO_FATAL_FAILURE(StartBroker());
  std::map<int, std::string> host_of_pid;
  for (const std::string& host : kWorkers) {
    host_of_pid[StartWorker(host).pid()] = host;
  }
  ASSERT_TRUE(WaitForWorkerNames({"w1", "w2", "w3"}))
      << "workers did not register over the bridge: " << Tail(workers_["w1"]->Stderr());

  // Three batches: 0.3 s sleeps before the cut (with the gate job) and
  // during it, and gate jobs after the worker is back.
  constexpr int kBatch = 40;
  constexpr double kJobSeconds = 0.3;
  const std::string record = dir_.File("gate-executions");
  const std::string gate = dir_.File("gate-open");
  WriteJobs(dir_.File("before.jsonl"), kBatch, kJobSeconds, /*gate_after=*/5,
            {{"record", record}, {"gate", gate}, {"block_attempts", 1}});
  WriteJobs(dir_.File("during.jsonl"), kBatch, kJobSeconds);
  // After the return: gate jobs that block until the test opens their gate
  // (once the returned worker has started one of them), so that every
  // worker with a free slot holds some; their record says who ran them.
  const std::string after_record = dir_.File("after-executions");
  const std::string after_gate = dir_.File("after-open");
  {
    std::ofstream out(dir_.File("after.jsonl"));
    const nlohmann::json line = {{"task", "gate"},
                                 {"args", {{"record", after_record}, {"gate", after_gate}}}};
    for (int i = 0; i < kBatch; ++i) {
      out << line.dump() << "\n";
    }
  }
  std::vector<std::unique_ptr<Process>> producers;
  producers.push_back(
      StartProducer("producer-before", {"submit", "--file", dir_.File("before.jsonl"), "--wait"}));

  // The gate job's first attempt runs somewhere: that worker is cut off.
  ASSERT_TRUE(WaitFor([&] { return !ReadExecutions(record).empty(); }, seconds(30)))
      << "the gate job never started: " << Tail(producers[0]->Stderr());
  const Execution held = ReadExecutions(record).at(0);
  ASSERT_EQ(held.attempt, 1u);
  ASSERT_EQ(host_of_pid.count(held.pid), 1u) << "ran in no worker we started: pid " << held.pid;
  const std::string cut = host_of_pid[held.pid];
  std::set<std::string> others = {"w1", "w2", "w3"};
  others.erase(cut);
  net_->CutLink(cut);
  const Clock::time_point cut_at = Clock::now();
  std::cout << "[ " << SecondsSince(start) << " s: cut " << cut << " off, holding job " << held.job
            << " ]" << std::endl;
  producers.push_back(
      StartProducer("producer-during", {"submit", "--file", dir_.File("during.jsonl"), "--wait"}));

  ASSERT_TRUE(WaitForWorkerNames(others)) << cut << " was never declared dead";
  EXPECT_FALSE(ListedWorker(cut, "dead").is_null()) << "ListWorkers shows it dead";
  std::cout << "[ " << SecondsSince(start) << " s: " << cut << " declared dead "
            << SecondsSince(cut_at) << " s after the cut ]" << std::endl;
  // Its job runs again on another worker and succeeds there.
  nlohmann::json rerun;
  ASSERT_TRUE(WaitFor(
      [&] {
        CommandResult result = Admin({"result", held.job, "--json"});
        std::vector<nlohmann::json> lines = JsonLines(result.out);
        if (result.exit_code != 0 || lines.size() != 1) {
          return false;
        }
        rerun = lines[0];
        return rerun.value("state", "") == "succeeded";
      },
      seconds(30)))
      << "the cut worker's job never finished elsewhere: " << rerun.dump();
  EXPECT_EQ(rerun["attempts"], 2) << rerun.dump();
  ASSERT_TRUE(rerun.contains("result")) << rerun.dump();
  const int rerun_pid = rerun["result"].value("pid", 0);
  EXPECT_NE(rerun_pid, held.pid) << "ran again on the cut worker? " << rerun.dump();
  EXPECT_TRUE(others.count(host_of_pid[rerun_pid]) == 1) << rerun.dump();

  // The cut worker's own attempt ends now, while it is still cut off, and
  // the cable goes back in.
  const nlohmann::json before_return = Status();
  const uint64_t late_before = StatusCounter(before_return, "late_results");
  WriteFile(gate, "open");
  net_->RestoreLink(cut);
  std::cout << "[ " << SecondsSince(start) << " s: " << cut << " plugged back in after "
            << SecondsSince(cut_at) << " s ]" << std::endl;
  ASSERT_TRUE(WaitForWorkerNames({"w1", "w2", "w3"}, seconds(40)))
      << cut << " never registered again: " << Tail(workers_[cut]->Stderr());
  std::cout << "[ " << SecondsSince(start) << " s: " << cut << " registered again ]" << std::endl;
  EXPECT_TRUE(WaitFor([&] { return !ListedWorker(cut, "active").is_null(); }))
      << "ListWorkers does not show it active";
  nlohmann::json status;
  EXPECT_TRUE(WaitFor(
      [&] {
        status = Status();
        return StatusCounter(status, "late_results") > late_before;
      },
      seconds(30)))
      << "the cut worker's late result never arrived: " << status.dump()
      << Tail(workers_[cut]->Stderr());
  const uint64_t late_results = StatusCounter(status, "late_results");
  EXPECT_TRUE(workers_[cut]->Running());

  // /metrics says the same.
  std::string metrics;
  EXPECT_TRUE(WaitFor(
      [&] {
        metrics = Metrics();
        return MetricValue(metrics, "jobq_workers", "state=\"active\"") == 3 &&
               MetricValue(metrics, "jobq_late_results_total", "") >= 1;
      },
      seconds(10)))
      << Tail(metrics);

  producers.push_back(
      StartProducer("producer-after", {"submit", "--file", dir_.File("after.jsonl"), "--wait"}));
  // The worker that came back takes jobs again.
  const int returned_pid = workers_[cut]->pid();
  EXPECT_TRUE(WaitFor(
      [&] {
        for (const Execution& execution : ReadExecutions(after_record)) {
          if (execution.pid == returned_pid) {
            return true;
          }
        }
        return false;
      },
      seconds(30)))
      << cut << " took no jobs after it came back: " << ReadFile(after_record)
      << "\nListWorkers: " << nlohmann::json(ListWorkers()).dump();
  WriteFile(after_gate, "open");

  // Every producer ends well and saw each of its jobs succeed once.
  std::map<std::string, nlohmann::json> outcome_of;
  size_t outcomes = 0;
  for (auto& producer : producers) {
    std::optional<int> exit_code = producer->WaitExit(seconds(60));
    ASSERT_TRUE(exit_code.has_value()) << "a producer never finished: " << Tail(producer->Stderr());
    EXPECT_EQ(*exit_code, 0) << Tail(producer->Stderr());
    for (const nlohmann::json& outcome : JsonLines(producer->Stdout())) {
      ++outcomes;
      const std::string id = outcome.value("id", "");
      EXPECT_EQ(outcome.value("state", ""), "succeeded") << outcome.dump();
      EXPECT_TRUE(outcome_of.emplace(id, outcome).second) << "two outcomes for " << id;
    }
  }
  const size_t jobs = 3 * kBatch + 1;
  EXPECT_EQ(outcomes, jobs);
  EXPECT_EQ(outcome_of.size(), jobs);
  ASSERT_EQ(outcome_of.count(held.job), 1u);
  EXPECT_EQ(outcome_of[held.job]["result"]["pid"], rerun_pid)
      << "the producer got the other worker's result";

  // The broker keeps exactly these jobs, each succeeded, each counted once;
  // the gate job still has the other worker's result.
  const std::vector<nlohmann::json> kept = AllJobs();
  EXPECT_EQ(kept.size(), jobs);
  std::set<std::string> kept_ids;
  for (const nlohmann::json& job : kept) {
    kept_ids.insert(job.value("id", ""));
    EXPECT_EQ(job.value("state", ""), "succeeded") << job.dump();
  }
  std::set<std::string> outcome_ids;
  for (const auto& [id, outcome] : outcome_of) {
    outcome_ids.insert(id);
  }
  EXPECT_TRUE(kept_ids == outcome_ids) << "the broker keeps the jobs the producers were told of";
  CommandResult final_result = Admin({"result", held.job, "--json"});
  ASSERT_EQ(final_result.exit_code, 0) << final_result.err;
  const std::vector<nlohmann::json> final_lines = JsonLines(final_result.out);
  ASSERT_EQ(final_lines.size(), 1u) << final_result.out;
  EXPECT_EQ(final_lines[0]["result"]["pid"], rerun_pid) << "still the other worker's result";
  EXPECT_EQ(final_lines[0]["attempts"], 2);
  status = Status();
  EXPECT_EQ(StatusCounter(status, "succeeded"), jobs) << status.dump();
  EXPECT_GE(StatusCounter(status, "requeued"), 1u) << status.dump();

  // What ran: the gate job's attempt 1 on the cut worker, attempt 2 elsewhere.
  const std::vector<Execution> executions = ReadExecutions(record);
  ASSERT_EQ(executions.size(), 2u) << ReadFile(record);
  EXPECT_EQ(executions[1].job, held.job);
  EXPECT_EQ(executions[1].attempt, 2u);
  EXPECT_EQ(executions[1].pid, rerun_pid);

  std::map<std::string, size_t> after_by_host;  // executions of the last batch
  for (const Execution& execution : ReadExecutions(after_record)) {
    ++after_by_host[host_of_pid[execution.pid]];
  }
  std::string after_text;
  for (const auto& [host, count] : after_by_host) {
    after_text += " " + host + ":" + std::to_string(count);
  }
  std::cout << "[ " << jobs << " jobs, all succeeded once, in " << SecondsSince(start)
            << " s; late results ignored: " << late_results
            << "; requeued: " << StatusCounter(status, "requeued") << "; " << cut
            << " is back; the last batch ran on" << after_text << " ]" << std::endl;
}

// A producer whose key is not on the broker's allow-list is refused, with
// a clear error and a non-zero exit, and the broker counts it; the same
// producer host with an allowed key gets through. A worker with a
// producer's key is refused on the worker socket, and counted there.
TEST_F(MultiHostTest, ProducerWithAWrongKeyIsRefused) {
  ASSERT_NO_FATAL_FAILURE(MakeKeys());
  KeyPair rogue;
  ASSERT_NO_FATAL_FAILURE(Keygen("rogue", &rogue));
  ASSERT_NO_FATAL_FAILURE(StartBroker());

  std::unique_ptr<Process> allowed =
      StartProducer("producer-allowed", {"submit", "echo", "--arg", "who=allowed", "--wait"});
  // No worker yet: the job is acknowledged and waits; this is the control
  // that the allowed key gets through the bridge and CURVE.
  StartWorker("w1");
  std::optional<int> allowed_exit = allowed->WaitExit(seconds(30));
  ASSERT_TRUE(allowed_exit.has_value()) << Tail(allowed->Stderr());
  EXPECT_EQ(*allowed_exit, 0) << Tail(allowed->Stderr());

  std::vector<std::string> argv = {JOBQ_CLI_BIN, "--broker-key", broker_keys_.pub, "--curve-key",
                                   rogue.secret, "--broker",     Frontend(),       "submit",
                                   "echo",       "--arg",        "who=rogue"};
  const CommandResult refused = RunCommand(net_->Exec("producer", argv), "", seconds(60));
  EXPECT_NE(refused.exit_code, 0) << refused.out;
  EXPECT_NE(refused.exit_code, -1) << "it hung instead of failing";
  EXPECT_TRUE(JsonLines(refused.out).empty()) << "a job was accepted: " << refused.out;
  std::cout << "[ refused producer, exit " << refused.exit_code << ": " << refused.err << " ]"
            << std::endl;
  EXPECT_NE(refused.err.find("refused"), std::string::npos) << "no clear error: " << refused.err;

  std::string metrics;
  EXPECT_TRUE(WaitFor(
      [&] {
        metrics = Metrics();
        return MetricValue(metrics, "jobq_auth_refused_total", "socket=\"frontend\"") >= 1;
      },
      seconds(10)))
      << Tail(metrics);
  // Only the allowed job exists.
  EXPECT_EQ(AllJobs().size(), 1u);

  // A worker host with a producer's key (allowed on the other socket) is
  // refused on the worker socket: it never registers.
  const double backend_before =
      std::max(0.0, MetricValue(Metrics(), "jobq_auth_refused_total", "socket=\"backend\""));
  const std::vector<std::string> worker_argv = {
      JOBQ_WORKER_BIN,  "--broker",    Backend(),
      "--name",         "intruder",    "--broker-key",
      broker_keys_.pub, "--curve-key", producer_keys_.secret};
  workers_["w2"] = std::make_unique<Process>(net_->Exec("w2", worker_argv), dir_.File("intruder"));
  EXPECT_TRUE(WaitFor(
      [&] {
        metrics = Metrics();
        return MetricValue(metrics, "jobq_auth_refused_total", "socket=\"backend\"") >
               backend_before;
      },
      seconds(20)))
      << Tail(metrics) << Tail(workers_["w2"]->Stderr());
  EXPECT_EQ(WorkerNames(Status()), (std::set<std::string>{"w1"}));
}

}  // namespace
}  // namespace jobq::testing
