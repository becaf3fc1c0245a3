// Observability of a real cluster: the figures in `jobq status`, GET
// /metrics (checked by `promtool check metrics`), gRPC health and
// reflection from a client no one here wrote (Python's grpcio), and the
// structured logs of the broker and the worker.

#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "tests/support/cluster.h"
#include "tests/support/http_get.h"

namespace jobq::testing {
namespace {

// `count` jobs of `task` (JSON Lines for `jobq submit --file -`).
std::string Jobs(const std::string& task, int count, const std::string& extra = "") {
  std::string lines;
  for (int i = 0; i < count; ++i) {
    lines += "{\"task\":\"" + task + "\"" + extra + "}\n";
  }
  return lines;
}

uint64_t JsonNumber(const nlohmann::json& value) {
  if (value.is_string()) {
    return std::stoull(value.get<std::string>());
  }
  return value.is_number() ? value.get<uint64_t>() : 0;
}

TEST(ObservabilityTest, MetricsEndpointServesTheFiguresAndPromtoolAcceptsThem) {
  Cluster cluster;
  cluster.StartBroker({"--metrics", "127.0.0.1:0"});
  ASSERT_FALSE(cluster.metrics().empty()) << "the ready file names the metrics address";
  cluster.StartWorker("w1", {"--queues", "default,errands"});
  ASSERT_TRUE(cluster.WaitForWorkers(1));

  CommandResult done = cluster.Jobq({"submit", "--file", "-", "--wait"}, Jobs("noop", 20));
  ASSERT_EQ(done.exit_code, 0) << done.err;
  CommandResult failed =
      cluster.Jobq({"submit", "--file", "-", "--wait"}, Jobs("fail", 2, ",\"queue\":\"errands\""));
  ASSERT_EQ(failed.exit_code, 1) << failed.err;

  const std::string url = "http://" + cluster.metrics() + "/metrics";
  HttpAnswer answer;
  // Snapshots are published every 200 ms: wait until one has every job.
  ASSERT_TRUE(WaitFor([&] {
    answer = HttpGet(url);
    return answer.code == 200 &&
           SampleValue(answer.body, R"(jobq_jobs_failed_total{queue="errands",task="fail"})") == 2;
  })) << answer.code
      << " " << answer.error << "\n"
      << answer.body;
  EXPECT_EQ(answer.content_type, "text/plain; version=0.0.4; charset=utf-8");
  const std::string& text = answer.body;
  EXPECT_EQ(SampleValue(text, R"(jobq_jobs_submitted_total{queue="default",task="noop"})"), 20)
      << text;
  EXPECT_EQ(SampleValue(text, R"(jobq_jobs_completed_total{queue="default",task="noop"})"), 20)
      << text;
  EXPECT_EQ(SampleValue(text, R"(jobq_task_run_time_seconds_count{task="noop"})"), 20) << text;
  EXPECT_EQ(SampleValue(text, R"(jobq_task_run_time_seconds_bucket{task="noop",le="+Inf"})"), 20)
      << text;
  EXPECT_EQ(SampleValue(text, R"(jobq_task_queue_wait_seconds_count{task="noop"})"), 20) << text;
  EXPECT_EQ(SampleValue(text, R"(jobq_queue_jobs{queue="default",state="queued"})"), 0) << text;
  EXPECT_EQ(SampleValue(text, R"(jobq_workers{state="active"})"), 1) << text;
  EXPECT_GT(SampleValue(text, R"(jobq_pool_capacity{pool="io"})"), 0) << text;
  EXPECT_EQ(SampleValue(text, "jobq_jobs_in_flight"), 0) << text;
  EXPECT_GT(SampleValue(text, "jobq_broker_loop_iteration_seconds_count"), 0) << text;
  // The default store is durable: its commits are timed on the writer thread.
  EXPECT_GT(SampleValue(text, "jobq_store_commit_seconds_count"), 0) << text;

  const HttpAnswer missing = HttpGet("http://" + cluster.metrics() + "/nothing");
  EXPECT_EQ(missing.code, 404) << missing.error;

  if (std::string(JOBQ_PROMTOOL).empty()) {
    GTEST_SKIP() << "promtool not found (Debian package prometheus; scripts/setup.sh installs "
                    "it): the output was checked here, but not by promtool";
  }
  CommandResult checked = RunCommand({JOBQ_PROMTOOL, "check", "metrics"}, text);
  EXPECT_EQ(checked.exit_code, 0) << checked.out << checked.err << "\n" << text;
}

TEST(ObservabilityTest, StatusShowsThroughputDepthAndLatencyPerTask) {
  Cluster cluster;
  cluster.StartBroker();
  cluster.StartWorker("w1", {"--queues", "default,later"});
  ASSERT_TRUE(cluster.WaitForWorkers(1));
  CommandResult done = cluster.Jobq({"submit", "--file", "-", "--wait"}, Jobs("echo", 10));
  ASSERT_EQ(done.exit_code, 0) << done.err;
  // A job that failed once waits for its retry: scheduled.
  CommandResult later =
      cluster.Jobq({"submit", "--file", "-"},
                   Jobs("fail", 1, ",\"queue\":\"later\",\"retries\":1,\"backoff\":\"1h\""));
  ASSERT_EQ(later.exit_code, 0) << later.err;

  nlohmann::json status;
  ASSERT_TRUE(WaitFor([&] {
    status = cluster.Status();
    if (status.is_null() || !status.contains("figures")) {
      return false;
    }
    bool echoes_done = false;
    bool retry_scheduled = false;
    for (const nlohmann::json& task : status["figures"].value("tasks", nlohmann::json::array())) {
      echoes_done |= task["task"] == "echo" && JsonNumber(task["run_time"]["count"]) == 10;
    }
    for (const nlohmann::json& queue : status["figures"].value("queues", nlohmann::json::array())) {
      retry_scheduled |= queue["name"] == "later" && JsonNumber(queue["scheduled"]) == 1 &&
                         JsonNumber(queue.value("queued", nlohmann::json(0))) == 0;
    }
    // Rates count whole 100 ms slots: the events show once their slot is over.
    const nlohmann::json& throughput = status["figures"]["throughput"];
    const bool rated = throughput["submitted"].value("last_60s", 0.0) > 0 &&
                       throughput["finished"].value("last_60s", 0.0) > 0;
    return echoes_done && retry_scheduled && rated;
  })) << status.dump(2);
  const nlohmann::json& figures = status["figures"];
  EXPECT_GT(figures["throughput"]["submitted"].value("last_60s", 0.0), 0) << figures.dump(2);
  EXPECT_GT(figures["throughput"]["finished"].value("last_60s", 0.0), 0) << figures.dump(2);
  for (const nlohmann::json& task : figures["tasks"]) {
    if (task["task"] != "echo") {
      continue;
    }
    EXPECT_EQ(JsonNumber(task["queue_wait"]["count"]), 10u) << task.dump(2);
    EXPECT_LE(task["run_time"].value("p50_seconds", 0.0),
              task["run_time"].value("p99_seconds", 0.0));
    EXPECT_LE(task["run_time"].value("p99_seconds", 0.0),
              task["run_time"].value("max_seconds", 0.0));
  }

  CommandResult table = cluster.Jobq({"status"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("throughput  jobs/s over the last 1s, 10s, 60s: submitted "),
            std::string::npos)
      << table.out;
  EXPECT_NE(table.out.find("TASK  RUNS  RUN P50"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("\necho  10  "), std::string::npos) << table.out;
}

// Runs the Python client (tests/integration/python/grpc_client_check.py)
// with Debian's python3, which has python3-grpcio and python3-protobuf.
nlohmann::json RunPythonClient(const std::vector<std::string>& args, std::string* failure) {
  std::vector<std::string> argv = {JOBQ_PYTHON3, JOBQ_PYTHON_CLIENT};
  argv.insert(argv.end(), args.begin(), args.end());
  CommandResult result = RunCommand(argv, "", std::chrono::seconds(60));
  if (result.exit_code != 0) {
    *failure = "exit " + std::to_string(result.exit_code) + ": " + result.err +
               " (python3-grpcio and python3-protobuf come from scripts/setup.sh)";
    return nullptr;
  }
  nlohmann::json parsed = nlohmann::json::parse(result.out, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    *failure = "not JSON: " + result.out;
  }
  return parsed.is_discarded() ? nullptr : parsed;
}

TEST(ObservabilityTest, PythonGrpcClientChecksHealthListsServicesAndReadsStatus) {
  Cluster cluster;
  cluster.StartBroker();
  cluster.StartWorker("w1");
  ASSERT_TRUE(cluster.WaitForWorkers(1));
  CommandResult done = cluster.Jobq({"submit", "--file", "-", "--wait"}, Jobs("noop", 5));
  ASSERT_EQ(done.exit_code, 0) << done.err;

  std::string failure;
  const nlohmann::json answer = RunPythonClient({cluster.admin()}, &failure);
  ASSERT_FALSE(answer.is_null()) << failure;
  EXPECT_EQ(answer["health"][""], "SERVING") << answer.dump(2);
  EXPECT_EQ(answer["health"]["jobq.admin.Admin"], "SERVING") << answer.dump(2);
  EXPECT_EQ(answer["health"]["no.such.Service"], "NOT_FOUND") << answer.dump(2);
  const std::vector<std::string> services = answer["services"];
  for (const char* service :
       {"jobq.admin.Admin", "grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection"}) {
    EXPECT_NE(std::find(services.begin(), services.end(), service), services.end())
        << service << " in " << answer["services"].dump();
  }
  const nlohmann::json& status = answer["status"];
  EXPECT_EQ(JsonNumber(status["counters"]["submitted"]), 5u) << status.dump(2);
  EXPECT_EQ(JsonNumber(status["counters"]["succeeded"]), 5u) << status.dump(2);
  ASSERT_EQ(status["workers"].size(), 1u) << status.dump(2);
  EXPECT_EQ(status["workers"][0]["name"], "w1");
  EXPECT_EQ(status["figures"]["tasks"][0]["task"], "noop") << status.dump(2);
}

TEST(ObservabilityTest, HealthSaysNotServingWhileTheBrokerDrains) {
  Cluster cluster;
  cluster.StartBroker();
  Process& worker = cluster.StartWorker("w1", {"--plugin", JOBQ_TEST_TASKS_PLUGIN});
  ASSERT_TRUE(cluster.WaitForWorkers(1));
  // A job that holds the worker (and so the drain) until the gate file exists.
  const std::string gate = cluster.dir().File("gate");
  const nlohmann::json args = {{"gate", gate}};
  CommandResult submitted = cluster.Jobq({"submit", "gate", "--json", args.dump()});
  ASSERT_EQ(submitted.exit_code, 0) << submitted.err;
  ASSERT_TRUE(cluster.WaitForOneWorkerHolding(1));

  std::string failure;
  nlohmann::json health = RunPythonClient({cluster.admin(), "health", ""}, &failure);
  ASSERT_FALSE(health.is_null()) << failure;
  EXPECT_EQ(health["health"][""], "SERVING");

  CommandResult shutdown = cluster.Jobq({"shutdown"});
  ASSERT_EQ(shutdown.exit_code, 0) << shutdown.err;
  EXPECT_TRUE(WaitFor([&] {
    health = RunPythonClient({cluster.admin(), "health", "", "jobq.admin.Admin"}, &failure);
    return !health.is_null() && health["health"][""] == "NOT_SERVING" &&
           health["health"]["jobq.admin.Admin"] == "NOT_SERVING";
  })) << health.dump()
      << failure;

  WriteFile(gate, "");
  std::optional<int> worker_exit = worker.WaitExit(std::chrono::seconds(30));
  ASSERT_TRUE(worker_exit.has_value());
  EXPECT_EQ(*worker_exit, 0);
  std::optional<int> broker_exit = cluster.broker().WaitExit(std::chrono::seconds(30));
  ASSERT_TRUE(broker_exit.has_value());
  EXPECT_EQ(*broker_exit, 0);
}

// Every line: "<UTC time> <LEVEL> <component> <event> key=value...", values
// quoted when they hold blanks.
const std::regex kLogLine(
    R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (DEBUG|INFO|WARN|ERROR) [a-z_-]+ [a-z_]+)"
    R"(( [a-z0-9_]+=("([^"\\]|\\.)*"|[^ "]+))*$)");

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) {
      lines.push_back(line);
    }
  }
  return lines;
}

TEST(ObservabilityTest, LogsAreOneStructuredLinePerEventAndNonePerJob) {
  Cluster cluster;
  cluster.StartBroker();
  Process& worker = cluster.StartWorker("w1", {"--cpu-procs", "1"});
  ASSERT_TRUE(cluster.WaitForWorkers(1));
  CommandResult io = cluster.Jobq({"submit", "--file", "-", "--wait"}, Jobs("noop", 50));
  ASSERT_EQ(io.exit_code, 0) << io.err;
  CommandResult cpu = cluster.Jobq({"submit", "--file", "-", "--wait"},
                                   Jobs("sum_squares", 5, ",\"args\":{\"n\":1000}"));
  ASSERT_EQ(cpu.exit_code, 0) << cpu.err;
  // Jobs that fail (timeouts in both pools, a bad argument) are still no
  // reason for a line.
  CommandResult io_timeouts =
      cluster.Jobq({"submit", "--file", "-", "--wait"},
                   Jobs("sleep", 2, ",\"args\":{\"seconds\":5},\"timeout\":0.1"));
  CommandResult cpu_timeouts =
      cluster.Jobq({"submit", "--file", "-", "--wait"},
                   Jobs("sum_squares", 2, ",\"args\":{\"n\":1000000000000},\"timeout\":0.2"));
  CommandResult bad_args =
      cluster.Jobq({"submit", "--file", "-", "--wait"}, Jobs("sum_squares", 2, ",\"args\":{}"));
  ASSERT_EQ(worker.Stop(), 0);
  cluster.StopBroker();

  std::vector<std::string> ids;
  for (const CommandResult* run : {&io, &cpu, &io_timeouts, &cpu_timeouts, &bad_args}) {
    for (const nlohmann::json& line : JsonLines(run->out)) {
      ids.push_back(line["id"]);
    }
  }
  ASSERT_EQ(ids.size(), 61u);
  for (const std::string& log : {cluster.broker().Stderr(), worker.Stderr()}) {
    const std::vector<std::string> lines = Lines(log);
    EXPECT_LT(lines.size(), 20u) << "a few lines for a start, a stop and 61 jobs:\n" << log;
    for (const std::string& line : lines) {
      EXPECT_TRUE(std::regex_match(line, kLogLine)) << line;
      for (const std::string& id : ids) {
        EXPECT_EQ(line.find(id), std::string::npos) << "a line about a job: " << line;
      }
    }
  }
}

TEST(ObservabilityTest, LogLevelFlagsOfBrokerAndWorker) {
  Cluster cluster;
  cluster.StartBroker({"--log-level", "warning"});
  Process& worker = cluster.StartWorker("w1", {"--log-level", "warning"});
  ASSERT_TRUE(cluster.WaitForWorkers(1));
  CommandResult done = cluster.Jobq({"submit", "noop", "--wait"});
  ASSERT_EQ(done.exit_code, 0) << done.err;
  ASSERT_EQ(worker.Stop(), 0);
  cluster.StopBroker();
  // Start, registration and stop are INFO: none shows at "warning".
  for (const std::string& log : {cluster.broker().Stderr(), worker.Stderr()}) {
    EXPECT_EQ(log.find(" INFO "), std::string::npos) << log;
  }

  Cluster verbose;
  verbose.StartBroker({"--log-level", "debug"});
  EXPECT_TRUE(WaitFor([&] {
    return verbose.broker().Stderr().find(" INFO broker listening ") != std::string::npos;
  })) << verbose.broker().Stderr();

  CommandResult bad = RunCommand({JOBQ_BROKER_BIN, "--log-level", "loud"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--log-level"), std::string::npos) << bad.err;
  bad = RunCommand({JOBQ_WORKER_BIN, "--log-level", "loud"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--log-level"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace jobq::testing
