// Faults with the real binaries (issue "Faults and bad input"):
//   - a broker killed (-9) again and again while two workers each hold a
//     full pool and a producer streams: every acknowledged job succeeds,
//     none is refused as worker_overloaded (the reconnect storm that once
//     made a restarted broker grant a worker's credit several times);
//   - a job that aborts the worker process itself ends `dead` as poison
//     after --poison-after workers died, and the rest of the fleet lives;
//   - a cancel of a running job with attempts left ends it `cancelled`,
//     never retried, from the producer's CANCEL and from `jobq cancel`.
// Waits poll a condition with a deadline; nothing asserts on timing.

#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "common/framing.h"
#include "common/job_id.h"
#include "jobq/wire.pb.h"
#include "tests/support/cluster.h"

namespace jobq::testing {
namespace {

std::string Tail(const std::string& text, size_t max_chars = 3000) {
  return text.size() <= max_chars ? text : "..." + text.substr(text.size() - max_chars);
}

size_t CountLines(const std::string& path) {
  const std::string text = ReadFile(path);
  return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
}

// Item 0. The storm: kill -9 of the broker five times, each while both
// workers' pools are full and the producer is mid-stream; the broker comes
// back on the same ports and store each time.
TEST(FaultsTest, BrokerKilledRepeatedlyUnderFullPoolsEveryAcknowledgedJobSucceeds) {
  constexpr int kJobs = 800;
  constexpr int kKills = 6;
  Cluster cluster;
  const int frontend_port = FreeTcpPort();
  const int backend_port = FreeTcpPort();
  // The default liveness window (3 s) outlasts a restart: a worker does not
  // notice the broker went away, ZeroMQ reconnects underneath, and what it
  // sent meanwhile (results, credits, heartbeats) reaches the new broker,
  // which answers each with RECONNECT: the storm.
  const std::vector<std::string> broker_args = {};
  cluster.StartBroker(broker_args, frontend_port, backend_port);
  std::vector<Process*> workers;
  for (const char* name : {"w1", "w2"}) {
    workers.push_back(&cluster.StartWorker(name, {"--io-threads", "4", "--cpu-procs", "0"}));
  }
  ASSERT_TRUE(cluster.WaitForWorkers(2));

  const std::string jobs_file = cluster.dir().File("jobs.jsonl");
  {
    std::ofstream out(jobs_file);
    for (int i = 0; i < kJobs; ++i) {
      // Long enough that each worker's four threads are busy at any kill,
      // and that jobs granted twice pile up in its pool.
      out << R"({"task":"sleep","args":{"seconds":0.2}})"
          << "\n";
    }
  }
  std::vector<std::string> args = {JOBQ_CLI_BIN, "--broker", cluster.frontend(), "submit", "--file",
                                   jobs_file,    "--wait"};
  Process producer(args, cluster.dir().File("producer"));
  const std::string producer_out = cluster.dir().File("producer.out");
  for (int kill = 1; kill <= kKills; ++kill) {
    const size_t after = static_cast<size_t>(kJobs) * kill / (kKills + 1);
    ASSERT_TRUE(WaitFor([&] { return CountLines(producer_out) >= after || !producer.Running(); },
                        std::chrono::seconds(120)))
        << "no progress before kill " << kill << ": " << Tail(producer.Stderr());
    ASSERT_TRUE(producer.Running()) << "the producer ended early: " << Tail(producer.Stderr());
    cluster.KillBroker();
    cluster.StartBroker(broker_args, frontend_port, backend_port);
  }
  std::optional<int> exit_code = producer.WaitExit(std::chrono::seconds(240));
  ASSERT_TRUE(exit_code.has_value()) << "the producer never finished: " << Tail(producer.Stderr());
  EXPECT_EQ(*exit_code, 0) << Tail(producer.Stderr());

  size_t not_succeeded = 0;
  const std::vector<nlohmann::json> outcomes = JsonLines(producer.Stdout());
  EXPECT_EQ(outcomes.size(), static_cast<size_t>(kJobs));
  for (const nlohmann::json& outcome : outcomes) {
    if (outcome.value("state", std::string()) != "succeeded" && not_succeeded++ < 10) {
      ADD_FAILURE() << "an acknowledged job did not succeed: " << outcome.dump();
    }
  }
  EXPECT_EQ(not_succeeded, 0u);
  // The broker's own view, after the last restart: every job succeeded.
  size_t kept_not_succeeded = 0;
  const std::vector<nlohmann::json> kept = cluster.AllJobs();
  EXPECT_EQ(kept.size(), static_cast<size_t>(kJobs));
  for (const nlohmann::json& job : kept) {
    if (job.value("state", std::string()) != "succeeded" && kept_not_succeeded++ < 10) {
      ADD_FAILURE() << "kept job not succeeded: " << job.dump();
    }
  }
  EXPECT_EQ(kept_not_succeeded, 0u);
  for (Process* worker : workers) {
    EXPECT_TRUE(worker->Running()) << "a worker died: " << Tail(worker->Stderr());
  }
}

// Item 2 (poison): a job whose task aborts the worker process (an I/O task,
// so the worker itself, not a CPU child) kills two workers, then is dead
// with error type poison; the third worker lives and runs the next job.
TEST(FaultsTest, AJobThatAbortsItsWorkerIsPoisonAfterTwoAndTheFleetLives) {
  Cluster cluster;
  cluster.StartBroker({"--heartbeat-ms", "100", "--liveness-misses", "3"});
  std::vector<Process*> workers;
  for (const char* name : {"w1", "w2", "w3"}) {
    workers.push_back(&cluster.StartWorker(
        name, {"--plugin", JOBQ_TEST_TASKS_PLUGIN, "--io-threads", "1", "--cpu-procs", "0"}));
  }
  ASSERT_TRUE(cluster.WaitForWorkers(3));
  const std::vector<std::string> submit = {"submit", "crash",     "--arg", "how=abort", "--kind",
                                           "io",     "--retries", "5",     "--wait"};
  CommandResult run = cluster.Jobq(submit, "", std::chrono::seconds(60));
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  const std::vector<nlohmann::json> outcomes = JsonLines(run.out);
  ASSERT_EQ(outcomes.size(), 1u) << run.out << run.err;
  EXPECT_EQ(outcomes[0].value("state", std::string()), "dead") << run.out;
  EXPECT_EQ(outcomes[0]["error"].value("type", std::string()), "poison") << run.out;

  size_t alive = 0;
  for (Process* worker : workers) {
    alive += worker->Running() ? 1 : 0;
  }
  EXPECT_EQ(alive, 1u) << "exactly two workers ran it and died";
  CommandResult next =
      cluster.Jobq({"submit", "echo", "--arg", "n=1", "--wait"}, "", std::chrono::seconds(30));
  EXPECT_EQ(next.exit_code, 0) << next.out << next.err;
}

// Item 1: a running job with attempts left, cancelled.

// The gate task blocks until its gate file exists or it is cancelled.
std::vector<std::string> GateJob(Cluster& cluster) {
  return {"submit",    "gate",
          "--arg",     "pid_file=" + cluster.dir().File("gate.pid"),
          "--arg",     "gate=" + cluster.dir().File("never"),
          "--arg",     "record=" + cluster.dir().File("executions"),
          "--retries", "3"};
}

// A broker, a worker and a gate job running on it; the job's id, or "" (with
// the test failed) when it never started.
std::string StartGateJob(Cluster& cluster) {
  cluster.StartBroker();
  cluster.StartWorker("w1", {"--plugin", JOBQ_TEST_TASKS_PLUGIN, "--cpu-procs", "0"});
  EXPECT_TRUE(cluster.WaitForWorkers(1));
  CommandResult submitted = cluster.Jobq(GateJob(cluster), "", std::chrono::seconds(30));
  EXPECT_EQ(submitted.exit_code, 0) << submitted.err;
  std::vector<nlohmann::json> lines = JsonLines(submitted.out);
  if (lines.empty()) {
    return "";
  }
  if (!WaitFor([&] { return !ReadFile(cluster.dir().File("gate.pid")).empty(); })) {
    ADD_FAILURE() << "the job never started";
    return "";
  }
  return lines[0].value("id", std::string());
}

void SendToBroker(zmq::socket_t& socket, Command command, const std::string& body) {
  const std::string command_frame(1, static_cast<char>(command));
  socket.send(zmq::str_buffer(""), zmq::send_flags::sndmore);
  socket.send(zmq::buffer(kProtocolSignature), zmq::send_flags::sndmore);
  socket.send(zmq::buffer(command_frame), zmq::send_flags::sndmore);
  socket.send(zmq::buffer(body), zmq::send_flags::none);
}

TEST(FaultsTest, AProducersCancelOfARunningJobEndsItCancelledNotRetried) {
  Cluster cluster;
  const std::string id = StartGateJob(cluster);
  ASSERT_FALSE(id.empty());

  // CANCEL over the wire, as a producer sends it (docs/protocol.md).
  std::optional<JobId> job_id = JobId::Parse(id);
  ASSERT_TRUE(job_id.has_value()) << id;
  zmq::context_t context(1);
  zmq::socket_t client(context, zmq::socket_type::dealer);
  client.set(zmq::sockopt::linger, 0);
  client.connect(cluster.frontend());
  wire::Cancel cancel;
  cancel.add_ids(std::string(job_id->Bytes()));
  SendToBroker(client, Command::kCancel, cancel.SerializeAsString());

  CommandResult waited = cluster.Jobq({"wait", id}, "", std::chrono::seconds(30));
  const std::vector<nlohmann::json> outcomes = JsonLines(waited.out);
  ASSERT_EQ(outcomes.size(), 1u) << waited.out << waited.err;
  EXPECT_EQ(outcomes[0].value("state", std::string()), "cancelled") << waited.out;
  EXPECT_EQ(outcomes[0]["error"].value("type", std::string()), "cancelled") << waited.out;
  EXPECT_EQ(outcomes[0].value("attempts", 0), 1) << waited.out;
  EXPECT_EQ(CountLines(cluster.dir().File("executions")), 1u) << "it ran once, never again";
}

TEST(FaultsTest, AnAdminCancelOfARunningJobEndsItCancelledNotRetried) {
  Cluster cluster;
  const std::string id = StartGateJob(cluster);
  ASSERT_FALSE(id.empty());
  CommandResult cancelled = cluster.Jobq({"cancel", id}, "", std::chrono::seconds(30));
  EXPECT_EQ(cancelled.exit_code, 0) << cancelled.out << cancelled.err;

  CommandResult waited = cluster.Jobq({"wait", id}, "", std::chrono::seconds(30));
  const std::vector<nlohmann::json> outcomes = JsonLines(waited.out);
  ASSERT_EQ(outcomes.size(), 1u) << waited.out << waited.err;
  EXPECT_EQ(outcomes[0].value("state", std::string()), "cancelled") << waited.out;
  EXPECT_EQ(outcomes[0].value("attempts", 0), 1) << waited.out;
  EXPECT_EQ(CountLines(cluster.dir().File("executions")), 1u) << "it ran once, never again";
}

}  // namespace
}  // namespace jobq::testing
