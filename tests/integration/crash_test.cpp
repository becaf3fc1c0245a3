// Crash tests with the real binaries and the default (durable) store:
// kill -9 of the broker under a producer streaming 100,000 jobs, kill -9 of
// a worker mid-job, kill -9 of a worker's CPU child mid-job, and a worker
// cut off (SIGSTOP) whose late result must not count. Every execution of a
// job leaves a line in a file (tasks `record` and `gate` of the test
// plugin), so "ran exactly once, or again only under a new attempt" is
// checked from what really ran, not from what the broker says. Waits poll
// a condition with a deadline; nothing asserts on timing.

#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/cluster.h"
#include "tests/support/gate_record.h"

namespace jobq::testing {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

size_t CountLines(const std::string& path) {
  const std::string text = ReadFile(path);
  return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
}

// The parent pid of `pid`, from /proc; -1 when it cannot be read.
int ParentPid(int pid) {
  const std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  // "pid (comm) state ppid ...": comm may hold spaces, so look after the ')'.
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos) {
    return -1;
  }
  std::istringstream fields(stat.substr(paren + 1));
  std::string state;
  int ppid = -1;
  fields >> state >> ppid;
  return ppid;
}

// A producer in the background: `jobq ARGS...` against the cluster's broker.
std::unique_ptr<Process> StartProducer(Cluster& cluster, std::vector<std::string> args,
                                       const std::string& name = "producer") {
  args.insert(args.begin(), {JOBQ_CLI_BIN, "--broker", cluster.frontend()});
  return std::make_unique<Process>(args, cluster.dir().File(name));
}

// The last `max_chars` of a process's log, for failure messages.
std::string Tail(const std::string& text, size_t max_chars = 4000) {
  return text.size() <= max_chars ? text : "..." + text.substr(text.size() - max_chars);
}

std::string PidNote(Process& worker) {
  return " (worker pid " + std::to_string(worker.pid()) + ") ";
}

// Item 1: the broker is killed (-9) twice while a producer submits 100,000
// jobs and waits for them, and restarted on the same ports and store. The
// producer must see every job succeed once, the store must hold each job
// once (no duplicate from a re-sent submit), and every job must have run
// at least once and at most as many times as its attempts.
TEST(CrashTest, BrokerKilledTwiceWhileAProducerStreams100000Jobs) {
#ifdef JOBQ_SANITIZER_BUILD
  // The same kills on a twentieth of the stream: instrumented, 20,000 jobs
  // took 165 s, the ASan stage's second longest test, and what the stage
  // adds is memory checking of the same paths, which 5,000 walk (a kill
  // while submitting, a kill while results stream).
  constexpr int kJobs = 5'000;
#else
  constexpr int kJobs = 100'000;
#endif
  // Outcome lines the producer has printed before each kill: the first
  // while it is still submitting, the second halfway through the results.
  constexpr size_t kFirstKillAfter = kJobs / 100;
  constexpr size_t kSecondKillAfter = kJobs / 2;

  Cluster cluster;
  const int frontend_port = FreeTcpPort();
  const int backend_port = FreeTcpPort();
  cluster.StartBroker({}, frontend_port, backend_port);
  for (const char* name : {"w1", "w2"}) {
    cluster.StartWorker(name, {"--plugin", JOBQ_TEST_TASKS_PLUGIN, "--cpu-procs", "0"});
  }
  ASSERT_TRUE(cluster.WaitForWorkers(2));

  const std::string record = cluster.dir().File("executions");
  const std::string jobs_file = cluster.dir().File("jobs.jsonl");
  {
    std::ofstream out(jobs_file);
    for (int tag = 0; tag < kJobs; ++tag) {
      out << R"({"task":"record","args":{"path":")" << record << R"(","tag":)" << tag << "}}\n";
    }
  }

  const Clock::time_point start = Clock::now();
  std::unique_ptr<Process> producer =
      StartProducer(cluster, {"submit", "--file", jobs_file, "--wait"});
  const std::string producer_out = cluster.dir().File("producer.out");
  auto outcomes_reach = [&](size_t lines) {
    return WaitFor([&] { return CountLines(producer_out) >= lines || !producer->Running(); },
                   std::chrono::seconds(90));
  };

  for (size_t kill_after : {kFirstKillAfter, kSecondKillAfter}) {
    ASSERT_TRUE(outcomes_reach(kill_after)) << "no progress: " << Tail(producer->Stderr());
    ASSERT_TRUE(producer->Running())
        << "the producer ended before the broker could be killed: " << Tail(producer->Stderr());
    const size_t seen = CountLines(producer_out);
    const nlohmann::json before = cluster.Status();
    cluster.KillBroker();
    std::cout << "[ killed broker at " << SecondsSince(start) << " s, " << seen
              << " outcomes printed; broker counted submitted="
              << StatusCounter(before, "submitted")
              << " succeeded=" << StatusCounter(before, "succeeded") << " ]" << std::endl;
    cluster.StartBroker({}, frontend_port, backend_port);
  }

  std::optional<int> exit_code = producer->WaitExit(std::chrono::seconds(150));
  ASSERT_TRUE(exit_code.has_value()) << "the producer never finished: " << Tail(producer->Stderr());
  std::cout << "[ producer done at " << SecondsSince(start) << " s ]" << std::endl;
  EXPECT_EQ(*exit_code, 0) << Tail(producer->Stderr());

  // The producer: one outcome per job, each a distinct id, all succeeded.
  const std::vector<nlohmann::json> outcomes = JsonLines(producer->Stdout());
  EXPECT_EQ(outcomes.size(), static_cast<size_t>(kJobs)) << Tail(producer->Stderr());
  std::map<std::string, uint32_t> attempts_of_id;
  std::map<int, std::string> id_of_tag;
  size_t not_succeeded = 0;
  for (const nlohmann::json& outcome : outcomes) {
    const std::string id = outcome.value("id", std::string());
    if (outcome.value("state", std::string()) != "succeeded" && not_succeeded++ < 10) {
      ADD_FAILURE() << "not succeeded: " << outcome.dump();
    }
    EXPECT_TRUE(attempts_of_id.emplace(id, outcome.value("attempts", 0u)).second)
        << "two outcomes for job " << id;
    const nlohmann::json& result =
        outcome.contains("result") ? outcome["result"] : nlohmann::json();
    if (result.is_object() && result.contains("tag")) {
      EXPECT_TRUE(id_of_tag.emplace(result["tag"].get<int>(), id).second)
          << "two jobs for line " << result["tag"] << ": " << outcome.dump();
    }
  }
  EXPECT_EQ(not_succeeded, 0u);
  EXPECT_EQ(attempts_of_id.size(), static_cast<size_t>(kJobs)) << "distinct ids";
  EXPECT_EQ(id_of_tag.size(), static_cast<size_t>(kJobs)) << "every input line has one job";

  // The broker: exactly these jobs, once each, all succeeded.
  const std::vector<nlohmann::json> kept = cluster.AllJobs();
  EXPECT_EQ(kept.size(), static_cast<size_t>(kJobs)) << "no job created twice";
  std::set<std::string> kept_ids;
  size_t kept_not_succeeded = 0;
  for (const nlohmann::json& job : kept) {
    kept_ids.insert(job.value("id", std::string()));
    if (job.value("state", std::string()) != "succeeded" && kept_not_succeeded++ < 10) {
      ADD_FAILURE() << "kept job not succeeded: " << job.dump();
    }
  }
  EXPECT_EQ(kept_ids.size(), kept.size()) << "a job listed twice";
  std::set<std::string> outcome_ids;
  for (const auto& [id, attempts] : attempts_of_id) {
    outcome_ids.insert(id);
  }
  EXPECT_TRUE(kept_ids == outcome_ids) << "the broker keeps the jobs the producer was told of";
  const nlohmann::json status = cluster.Status();
  ASSERT_FALSE(status.is_null());
  EXPECT_EQ(status.value("durable", false), true);
  EXPECT_EQ(std::stoull(status.value("jobs_kept", std::string("0"))), static_cast<uint64_t>(kJobs));

  // What really ran: "<id> <attempt> <tag>" per execution. A line of input
  // ran at least once, and again only under a new attempt of its job. An
  // execution under an id the producer never got (a job dispatched before
  // it was durable, then lost with the broker and re-sent) counts too: the
  // work ran.
  std::vector<std::string> torn;
  ExecutionsByTag executions_of_tag = ReadExecutionsByTag(record, &torn);
  for (const std::string& line : torn) {
    ADD_FAILURE() << "torn execution record: " << line;
  }
  size_t never_ran = 0;
  size_t ran_too_often = 0;
  size_t ran_under_other_id = 0;
  size_t ran_more_than_once = 0;
  for (const auto& [tag, id] : id_of_tag) {
    const uint32_t attempts = attempts_of_id[id];
    const auto& executions = executions_of_tag[tag];
    if (executions.size() > 1) {
      ++ran_more_than_once;
    }
    for (const auto& [ran_id, attempt] : executions) {
      if (ran_id != id) {
        ++ran_under_other_id;
      }
    }
    if (executions.empty()) {
      if (never_ran++ < 10) {
        ADD_FAILURE() << "line " << tag << " (job " << id << ") never ran";
      }
    } else if (executions.size() > attempts) {
      if (ran_too_often++ < 10) {
        std::string ran;
        for (const auto& [ran_id, attempt] : executions) {
          ran += " " + ran_id + "#" + std::to_string(attempt);
        }
        ADD_FAILURE() << "line " << tag << " (job " << id << ", attempts " << attempts << ") ran "
                      << executions.size() << " times:" << ran;
      }
    }
  }
  std::cout << "[ executions: " << CountLines(record) << " for " << kJobs << " jobs; "
            << ran_more_than_once << " jobs ran more than once, " << ran_under_other_id
            << " executions under an id the producer never got ]" << std::endl;
  EXPECT_EQ(never_ran, 0u);
  EXPECT_EQ(ran_too_often, 0u) << "jobs that ran more often than their attempts";
}

// Item 2: kill -9 of the worker running a job (blocked until a file
// exists, so it is surely still running); the job runs on the other worker
// as attempt 2 and succeeds, with one outcome. FailoverTest has a kill of a
// worker running a one-second sleep; this one checks what ran where, from
// the tasks' own record, and the broker's counters, with nothing timed.
TEST(CrashTest, WorkerKilledMidJobItRunsOnAnotherAsAttemptTwo) {
  Cluster cluster;
  cluster.StartBroker();
  const std::vector<std::string> worker_args = {"--plugin", JOBQ_TEST_TASKS_PLUGIN, "--io-threads",
                                                "1",        "--cpu-procs",          "0"};
  Process& doomed = cluster.StartWorker("doomed", worker_args);
  ASSERT_TRUE(cluster.WaitForWorkers(1));

  const std::string record = cluster.dir().File("executions");
  const std::string gate = cluster.dir().File("never");  // attempt 1 waits for ever
  const nlohmann::json args = {{"record", record}, {"gate", gate}};
  std::unique_ptr<Process> producer =
      StartProducer(cluster, {"submit", "gate", "--json", args.dump(), "--wait"});
  ASSERT_TRUE(WaitFor([&] { return !ReadExecutions(record).empty(); }))
      << "the job never started" << PidNote(doomed) << Tail(producer->Stderr());
  ASSERT_EQ(ReadExecutions(record)[0].pid, doomed.pid());

  Process& survivor = cluster.StartWorker("survivor", worker_args);
  ASSERT_TRUE(cluster.WaitForWorkerNames({"doomed", "survivor"}));
  doomed.Kill();

  std::optional<int> exit_code = producer->WaitExit(std::chrono::seconds(60));
  ASSERT_TRUE(exit_code.has_value()) << "the producer never got its result";
  EXPECT_EQ(*exit_code, 0) << producer->Stderr();
  const std::vector<nlohmann::json> lines = JsonLines(producer->Stdout());
  ASSERT_EQ(lines.size(), 1u) << producer->Stdout();
  const nlohmann::json& outcome = lines[0];
  const std::string id = outcome["id"];
  EXPECT_EQ(outcome["state"], "succeeded") << outcome.dump();
  EXPECT_EQ(outcome["attempts"], 2) << outcome.dump();
  EXPECT_EQ(outcome["result"]["pid"], survivor.pid()) << outcome.dump();
  EXPECT_EQ(outcome["result"]["attempt"], 2) << outcome.dump();

  const std::vector<Execution> executions = ReadExecutions(record);
  ASSERT_EQ(executions.size(), 2u) << ReadFile(record);
  EXPECT_EQ(executions[0].job, id);
  EXPECT_EQ(executions[0].attempt, 1u);
  EXPECT_EQ(executions[0].pid, doomed.pid());
  EXPECT_EQ(executions[1].job, id);
  EXPECT_EQ(executions[1].attempt, 2u);
  EXPECT_EQ(executions[1].pid, survivor.pid());

  CommandResult result = cluster.Jobq({"result", id, "--json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const std::vector<nlohmann::json> kept = JsonLines(result.out);
  ASSERT_EQ(kept.size(), 1u) << result.out;
  EXPECT_EQ(kept[0]["state"], "succeeded");
  EXPECT_EQ(kept[0]["attempts"], 2);
  EXPECT_EQ(kept[0]["result"]["pid"], survivor.pid());

  const nlohmann::json status = cluster.Status();
  ASSERT_FALSE(status.is_null());
  EXPECT_EQ(status["durable"], true);
  EXPECT_EQ(StatusCounter(status, "succeeded"), 1u);
  EXPECT_EQ(StatusCounter(status, "requeued"), 1u);
  EXPECT_EQ(WorkerNames(status), (std::set<std::string>{"survivor"}));
}

// Item 3: kill -9 of the CPU child running a job. Without retries the job
// fails with error type "crashed"; with --retries 1 it runs again, in the
// child that replaced the dead one, and succeeds. The worker serves on.
TEST(CrashTest, CpuChildKilledMidJobCrashedThenRetriedInANewChild) {
  Cluster cluster;
  cluster.StartBroker();
  Process& worker = cluster.StartWorker(
      "cpu", {"--plugin", JOBQ_TEST_TASKS_PLUGIN, "--io-threads", "1", "--cpu-procs", "1"});
  ASSERT_TRUE(cluster.WaitForWorkers(1));

  // Runs the gate task in the CPU pool, waits for its child to say its pid,
  // kills that child, and returns the outcome and the killed pid.
  auto kill_child_mid_job = [&](const std::string& name,
                                std::vector<std::string> extra) -> std::pair<nlohmann::json, int> {
    const std::string pid_file = cluster.dir().File(name + ".pid");
    const nlohmann::json args = {{"pid_file", pid_file},
                                 {"record", cluster.dir().File(name + ".executions")},
                                 {"gate", cluster.dir().File("never")}};
    std::vector<std::string> submit = {"submit", "gate", "--kind", "cpu", "--json", args.dump()};
    submit.insert(submit.end(), extra.begin(), extra.end());
    submit.push_back("--wait");
    std::unique_ptr<Process> producer = StartProducer(cluster, submit, name);
    EXPECT_TRUE(WaitFor([&] { return !ReadFile(pid_file).empty(); }))
        << "the job never started in a child" << Tail(worker.Stderr());
    const int child = std::atoi(ReadFile(pid_file).c_str());
    EXPECT_GT(child, 0);
    EXPECT_NE(child, worker.pid()) << "ran in the worker, not in a child";
    EXPECT_EQ(ParentPid(child), worker.pid()) << "a child of the worker";
    if (child > 0) {
      ::kill(child, SIGKILL);
    }
    std::optional<int> exit_code = producer->WaitExit(std::chrono::seconds(60));
    EXPECT_TRUE(exit_code.has_value()) << "the producer never got its result";
    std::vector<nlohmann::json> lines = JsonLines(producer->Stdout());
    EXPECT_EQ(lines.size(), 1u) << producer->Stdout() << producer->Stderr();
    return {lines.empty() ? nlohmann::json() : lines[0], child};
  };

  // No retries: the attempt's failure is the outcome.
  auto [crashed, first_child] = kill_child_mid_job("no-retry", {});
  EXPECT_EQ(crashed["state"], "failed") << crashed.dump();
  EXPECT_EQ(crashed["attempts"], 1) << crashed.dump();
  EXPECT_EQ(crashed["error"]["type"], "crashed") << crashed.dump();

  // One retry: attempt 2 runs in the replacement child and succeeds.
  auto [retried, second_child] = kill_child_mid_job("retry", {"--retries", "1"});
  EXPECT_NE(second_child, first_child) << "the pool replaced the first dead child";
  EXPECT_EQ(retried["state"], "succeeded") << retried.dump();
  EXPECT_EQ(retried["attempts"], 2) << retried.dump();
  EXPECT_EQ(retried["result"]["attempt"], 2) << retried.dump();
  const int third_child = retried["result"].value("pid", 0);
  EXPECT_NE(third_child, second_child);
  EXPECT_NE(third_child, worker.pid());
  EXPECT_EQ(ParentPid(third_child), worker.pid()) << "a child of the same worker";
  const std::vector<Execution> executions = ReadExecutions(cluster.dir().File("retry.executions"));
  ASSERT_EQ(executions.size(), 2u);
  EXPECT_EQ(executions[0].attempt, 1u);
  EXPECT_EQ(executions[0].pid, second_child);
  EXPECT_EQ(executions[1].attempt, 2u);
  EXPECT_EQ(executions[1].pid, third_child);

  CommandResult listed = cluster.Jobq({"jobs", "--json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  const std::vector<nlohmann::json> jobs = JsonLines(listed.out);
  ASSERT_EQ(jobs.size(), 2u) << listed.out;
  EXPECT_EQ(jobs[1]["id"], retried["id"]);
  EXPECT_EQ(jobs[1]["failures"], 1) << "attempt 1 failed (crashed): " << jobs[1].dump();

  // The worker itself lived through both, and serves on.
  EXPECT_TRUE(worker.Running());
  CommandResult after = cluster.Jobq({"submit", "pid", "--wait"});
  ASSERT_EQ(after.exit_code, 0) << after.out << after.err;
  EXPECT_EQ(JsonLines(after.out).at(0)["result"]["pid"], third_child) << "the pool's one child";
  EXPECT_EQ(WorkerNames(cluster.Status()), (std::set<std::string>{"cpu"}));
}

// Item 4: a worker cut off (SIGSTOP) while it holds a job, for longer than
// the liveness window: the broker declares it dead and the job runs on the
// other worker. Resumed (SIGCONT), the first worker registers again and
// finishes its attempt 1: that late result is counted and ignored, and the
// job keeps the other worker's result.
TEST(CrashTest, StoppedWorkersLateResultIsIgnored) {
  Cluster cluster;
  cluster.StartBroker();
  const std::vector<std::string> worker_args = {"--plugin", JOBQ_TEST_TASKS_PLUGIN, "--io-threads",
                                                "1",        "--cpu-procs",          "0"};
  Process& frozen = cluster.StartWorker("frozen", worker_args);
  ASSERT_TRUE(cluster.WaitForWorkers(1));

  const std::string record = cluster.dir().File("executions");
  const std::string gate = cluster.dir().File("gate");
  const nlohmann::json args = {{"record", record}, {"gate", gate}};
  std::unique_ptr<Process> producer =
      StartProducer(cluster, {"submit", "gate", "--json", args.dump(), "--wait"});
  ASSERT_TRUE(WaitFor([&] { return !ReadExecutions(record).empty(); }))
      << "the job never started" << Tail(producer->Stderr());
  ASSERT_EQ(ReadExecutions(record)[0].pid, frozen.pid());

  Process& other = cluster.StartWorker("other", worker_args);
  ASSERT_TRUE(cluster.WaitForWorkerNames({"frozen", "other"}));

  frozen.Signal(SIGSTOP);
  // Resumed whatever happens below, so that the cluster can stop it.
  struct Resume {
    Process& process;
    ~Resume() { process.Signal(SIGCONT); }
  } resume{frozen};
  ASSERT_TRUE(cluster.WaitForWorkerNames({"other"}, std::chrono::seconds(60)))
      << "the stopped worker was never declared dead";

  std::optional<int> exit_code = producer->WaitExit(std::chrono::seconds(60));
  ASSERT_TRUE(exit_code.has_value()) << "the job never finished on the other worker";
  EXPECT_EQ(*exit_code, 0) << producer->Stderr();
  const std::vector<nlohmann::json> lines = JsonLines(producer->Stdout());
  ASSERT_EQ(lines.size(), 1u) << producer->Stdout();
  const std::string id = lines[0]["id"];
  EXPECT_EQ(lines[0]["state"], "succeeded") << lines[0].dump();
  EXPECT_EQ(lines[0]["attempts"], 2) << lines[0].dump();
  EXPECT_EQ(lines[0]["result"]["pid"], other.pid()) << lines[0].dump();
  const uint64_t late_before = StatusCounter(cluster.Status(), "late_results");

  // The frozen worker comes back, registers again (its attempt 1 is still
  // running there), and only then its attempt finishes: the gate opens.
  frozen.Signal(SIGCONT);
  ASSERT_TRUE(cluster.WaitForWorkerNames({"frozen", "other"}, std::chrono::seconds(60)))
      << "the resumed worker never registered again" << Tail(frozen.Stderr());
  WriteFile(gate, "open");
  nlohmann::json status;
  EXPECT_TRUE(WaitFor(
      [&] {
        status = cluster.Status();
        return StatusCounter(status, "late_results") > late_before;
      },
      std::chrono::seconds(30)))
      << "the late result never arrived: " << status.dump() << Tail(frozen.Stderr());

  const std::vector<Execution> executions = ReadExecutions(record);
  ASSERT_EQ(executions.size(), 2u) << ReadFile(record);
  EXPECT_EQ(executions[0].attempt, 1u);
  EXPECT_EQ(executions[0].pid, frozen.pid());
  EXPECT_EQ(executions[1].attempt, 2u);
  EXPECT_EQ(executions[1].pid, other.pid());

  CommandResult result = cluster.Jobq({"result", id, "--json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const std::vector<nlohmann::json> kept = JsonLines(result.out);
  ASSERT_EQ(kept.size(), 1u) << result.out;
  EXPECT_EQ(kept[0]["state"], "succeeded");
  EXPECT_EQ(kept[0]["attempts"], 2);
  EXPECT_EQ(kept[0]["result"]["pid"], other.pid()) << "still the other worker's result";
  EXPECT_EQ(StatusCounter(status, "succeeded"), 1u) << status.dump();
  EXPECT_TRUE(frozen.Running());
}

}  // namespace
}  // namespace jobq::testing
