// Issue 20's failover across hosts: two brokers sharing a PostgreSQL store
// (docs/postgres.md), each on a host of its own, with the database, three
// workers and a producer on theirs (network namespaces on one bridge,
// tests/multihost/netns_topology.h):
//
//   db 10.77.0.1   b1 10.77.0.2   b2 10.77.0.3
//   w1 10.77.0.11  w2 10.77.0.12  w3 10.77.0.13   producer 10.77.0.21
//
// The leader's cable is pulled while the producer streams: nothing passes
// and no TCP reset is sent, as when a switch port or a host's uplink dies.
// Unlike kill -9 (tests/integration/shared_store_test.cpp), the old leader
// lives on, cut off from its database and its clients, and comes back when
// the cable does.
//
// Plain ZeroMQ (--insecure), not CURVE: what is under test is the
// leadership and the clients following it; multihost_test.cpp covers CURVE
// across hosts. Each broker's admin service listens on its host's address
// and the test asks it from inside that host, as an operator there would.
// Root only; skipped with a message otherwise, or without PostgreSQL 15.
// Waits poll a condition with a deadline; the failover time is printed,
// never asserted.

#include <gtest/gtest.h>

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
#include <utility>
#include <vector>

#include "tests/multihost/multihost_support.h"
#include "tests/multihost/netns_topology.h"
#include "tests/support/cluster.h"
#include "tests/support/gate_record.h"
#include "tests/support/postgres_server.h"
#include "tests/support/process.h"

// A namespace of its own: the build is a unity build, and multihost_test.cpp
// has helpers of the same names.
namespace jobq::testing::failover {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::seconds;

constexpr const char* kDatabaseAddress = "10.77.0.1";
const std::map<std::string, std::string> kBrokerAddresses = {{"b1", "10.77.0.2"},
                                                             {"b2", "10.77.0.3"}};
const std::vector<std::string> kWorkers = {"w1", "w2", "w3"};

std::string Frontend(const std::string& broker) {
  return "tcp://" + kBrokerAddresses.at(broker) + ":5555";
}
std::string Backend(const std::string& broker) {
  return "tcp://" + kBrokerAddresses.at(broker) + ":5556";
}
std::string AdminAddress(const std::string& broker) {
  return kBrokerAddresses.at(broker) + ":50051";
}

size_t CountLines(const std::string& text) {
  return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
}

class MultiHostFailoverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const std::string why = MakeTopology(&net_); !why.empty()) {
      GTEST_SKIP() << why;
    }
    net_->AddHost("db", kDatabaseAddress);
    for (const auto& [broker, address] : kBrokerAddresses) {
      net_->AddHost(broker, address);
    }
    net_->AddHost("w1", "10.77.0.11");
    net_->AddHost("w2", "10.77.0.12");
    net_->AddHost("w3", "10.77.0.13");
    net_->AddHost("producer", "10.77.0.21");

    PostgresServer::Options options;
    options.network_namespace = net_->NamespacePath("db");
    options.listen_address = kDatabaseAddress;
    options.trusted_networks = {"10.77.0.0/24"};
    absl::StatusOr<std::unique_ptr<PostgresServer>> server = PostgresServer::Create(options);
    if (!server.ok() && absl::IsFailedPrecondition(server.status())) {
      GTEST_SKIP() << server.status().message();
    }
    ASSERT_TRUE(server.ok()) << server.status();
    postgres_ = std::move(server).value();
    absl::StatusOr<std::string> store = postgres_->CreateDatabase("jobq_failover");
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *store;
  }

  // Broker `name` on its host; returns once it answers as leader or standby.
  void StartBroker(const std::string& name) {
    const std::string ready = dir_.File(name + ".ready");
    const std::vector<std::string> argv = {JOBQ_BROKER_BIN,
                                           "--store",
                                           store_,
                                           "--name",
                                           name,
                                           "--leader-lease",
                                           "2s",
                                           "--frontend",
                                           Frontend(name),
                                           "--backend",
                                           Backend(name),
                                           "--admin",
                                           AdminAddress(name),
                                           "--ready-file",
                                           ready,
                                           "--insecure"};
    brokers_[name] = std::make_unique<Process>(net_->Exec(name, argv), dir_.File(name));
    ASSERT_TRUE(WaitFor([&] { return !ReadFile(ready).empty() || !brokers_[name]->Running(); }))
        << name << " never said it was ready: " << Tail(brokers_[name]->Stderr());
    ASSERT_TRUE(brokers_[name]->Running())
        << name << " did not start: " << brokers_[name]->Stderr();
  }

  // `jobq ARGS...` on broker `name`'s host, against its admin service.
  CommandResult Admin(const std::string& name, std::vector<std::string> args,
                      seconds timeout = seconds(20)) {
    args.insert(args.begin(), {JOBQ_CLI_BIN, "--admin", AdminAddress(name)});
    return RunCommand(net_->Exec(name, args), "", timeout);
  }

  // `jobq status --json` of broker `name`; null when it did not answer.
  nlohmann::json Status(const std::string& name) {
    CommandResult result = Admin(name, {"--connect-timeout", "5", "status", "--json"}, seconds(10));
    if (result.exit_code != 0) {
      return nullptr;
    }
    nlohmann::json status = nlohmann::json::parse(result.out, nullptr, false);
    return status.is_discarded() ? nullptr : status;
  }

  // A field of the "leadership" of `jobq status --json`; "" when absent.
  static std::string Leadership(const nlohmann::json& status, const std::string& field) {
    if (!status.is_object() || !status.contains("leadership") ||
        !status["leadership"].is_object()) {
      return "";
    }
    return status["leadership"].value(field, "");
  }
  static std::string Role(const nlohmann::json& status) { return Leadership(status, "role"); }

  bool WaitForRole(const std::string& name, const std::string& role,
                   seconds timeout = seconds(60)) {
    return WaitFor([&] { return Role(Status(name)) == role; }, timeout);
  }

  // Every job broker `name` keeps, page by page (`jobq jobs` gives at most
  // 10,000 a call).
  std::vector<nlohmann::json> AllJobs(const std::string& name) {
    std::vector<nlohmann::json> jobs;
    std::string after;
    while (true) {
      std::vector<std::string> args = {"jobs", "--json", "--limit", "10000"};
      if (!after.empty()) {
        args.insert(args.end(), {"--after", after});
      }
      CommandResult page = Admin(name, args, seconds(120));
      EXPECT_EQ(page.exit_code, 0) << page.err;
      std::vector<nlohmann::json> lines = JsonLines(page.out);
      jobs.insert(jobs.end(), lines.begin(), lines.end());
      if (page.exit_code != 0 || lines.empty() ||
          page.err.find("more jobs follow") == std::string::npos) {
        return jobs;
      }
      after = lines.back().at("id").get<std::string>();
    }
  }

  // Declared first: destroyed last, after every process in its hosts.
  std::unique_ptr<NetnsTopology> net_;
  TempDir dir_;
  std::unique_ptr<PostgresServer> postgres_;
  std::string store_;
  std::map<std::string, std::unique_ptr<Process>> brokers_;
  std::vector<std::unique_ptr<Process>> workers_;
};

// The leader's host is cut off while a producer streams N record jobs
// (each execution appends "<id> <attempt> <tag>" to a file on the shared
// filesystem: the task's own record of what ran). Its lease lapses, the
// standby takes over, and the workers and the producer follow it; the old
// leader steps down. Meanwhile a client on the old leader's own host
// submits to it alone: that job must never be acknowledged, since the old
// leader cannot commit it before it is deposed, nor after (fencing). Then
// the cable goes back in: the old leader comes back as a standby of the
// new one. In the end the producer exits 0 with one outcome per job, all
// succeeded; the new leader keeps exactly those jobs; each line of input
// ran at least once and at most as often as its job's attempts.
TEST_F(MultiHostFailoverTest, TheLeadersLinksCutMidStreamTheStandbyTakesOverAndTheOldOneIsFenced) {
#ifdef JOBQ_SANITIZER_BUILD
  constexpr int kJobs = 5'000;  // instrumented, the full stream takes too long
#else
  constexpr int kJobs = 20'000;
#endif
  // Executions, from the record, not outcomes: a group commit to the
  // database may hold thousands of results, and outcomes come in bursts
  // that can end the stream between two looks.
  constexpr size_t kCutAfterExecutions = kJobs / 10;

  ASSERT_NO_FATAL_FAILURE(StartBroker("b1"));
  ASSERT_TRUE(WaitForRole("b1", "leader")) << Tail(brokers_["b1"]->Stderr());
  ASSERT_NO_FATAL_FAILURE(StartBroker("b2"));
  ASSERT_TRUE(WaitForRole("b2", "standby")) << Tail(brokers_["b2"]->Stderr());

  for (const std::string& host : kWorkers) {
    const std::vector<std::string> argv = {JOBQ_WORKER_BIN,
                                           "--broker",
                                           Backend("b1") + "," + Backend("b2"),
                                           "--name",
                                           host,
                                           "--plugin",
                                           JOBQ_TEST_TASKS_PLUGIN,
                                           "--cpu-procs",
                                           "0"};
    workers_.push_back(std::make_unique<Process>(net_->Exec(host, argv), dir_.File(host)));
  }
  ASSERT_TRUE(WaitFor([&] { return WorkerNames(Status("b1")).size() == kWorkers.size(); }))
      << "the workers did not register with b1 over the bridge: " << Tail(workers_[0]->Stderr());

  const std::string record = dir_.File("executions");
  const std::string jobs_file = dir_.File("jobs.jsonl");
  {
    std::ofstream out(jobs_file);
    for (int tag = 0; tag < kJobs; ++tag) {
      out << R"({"task":"record","args":{"path":")" << record << R"(","tag":)" << tag << "}}\n";
    }
  }
  const Clock::time_point start = Clock::now();
  Process producer(
      net_->Exec("producer", {JOBQ_CLI_BIN, "--broker", Frontend("b1") + "," + Frontend("b2"),
                              "--connect-timeout", "60", "submit", "--file", jobs_file, "--wait"}),
      dir_.File("producer"));
  auto outcomes = [&] { return CountLines(producer.Stdout()); };
  auto executions = [&] { return CountLines(ReadFile(record)); };

  ASSERT_TRUE(WaitFor([&] { return executions() >= kCutAfterExecutions || !producer.Running(); },
                      seconds(120)))
      << "no progress: " << Tail(producer.Stderr());
  net_->CutLink("b1");
  const Clock::time_point cut_at = Clock::now();
  const size_t executed_at_cut = executions();
  std::cout << "[ " << SecondsSince(start) << " s: cut b1 (leader) off after " << outcomes()
            << " outcomes, " << executed_at_cut << " executions ]" << std::endl;
  ASSERT_TRUE(producer.Running()) << "the producer ended before the cut: "
                                  << Tail(producer.Stderr());
  ASSERT_LT(executed_at_cut, static_cast<size_t>(kJobs)) << "the stream had run out at the cut";

  // A client on b1's own host, which the cut does not separate from it.
  const std::string probe_record = dir_.File("probe-executions");
  Process probe(
      net_->Exec("b1", {JOBQ_CLI_BIN, "--broker", Frontend("b1"), "--connect-timeout", "300",
                        "submit", "record", "--json", R"({"path":")" + probe_record + R"("})"}),
      dir_.File("probe"));

  ASSERT_TRUE(WaitForRole("b2", "leader")) << Tail(brokers_["b2"]->Stderr());
  const double failover_s = SecondsSince(cut_at);
  const size_t at_takeover = outcomes();
  // Printed, not asserted: b1 stopped leading on its own clock before b2
  // could take over; stepping down, it waits for its last lease renewal,
  // which the cut holds, and may not answer at all meanwhile.
  const std::string b1_role_at_takeover = Role(Status("b1"));
  std::cout << "[ " << SecondsSince(start) << " s: b2 leads " << failover_s
            << " s after the cut (--leader-lease 2s); b1 says it is "
            << (b1_role_at_takeover.empty() ? "(no answer)" : b1_role_at_takeover) << "; "
            << at_takeover << " outcomes, " << executions() << " executions ]" << std::endl;

  // The clients follow b2: the workers register there, and the producer
  // gets outcomes again (from b2: b1 is out of its reach). Healed then,
  // within seconds: the renewal b1 waits for fails only after the store's
  // tcp_user_timeout (30 s), and a broker that then finds its database
  // still out of reach exits instead of standing by.
  ASSERT_TRUE(WaitFor(
      [&] {
        return (outcomes() > at_takeover || !producer.Running()) &&
               WorkerNames(Status("b2")).size() == kWorkers.size();
      },
      seconds(120)))
      << "the clients did not follow b2: " << Tail(producer.Stderr())
      << "\nworker w1: " << Tail(workers_[0]->Stderr());
  std::cout << "[ " << SecondsSince(start) << " s: " << outcomes() << " outcomes, " << executions()
            << " executions, workers on b2: " << WorkerNames(Status("b2")).size() << " ]"
            << std::endl;

  net_->RestoreLink("b1");
  const Clock::time_point healed_at = Clock::now();
  std::cout << "[ " << SecondsSince(start) << " s: b1 plugged back in after "
            << SecondsSince(cut_at) << " s ]" << std::endl;
  nlohmann::json b1_status;
  EXPECT_TRUE(WaitFor(
      [&] {
        b1_status = Status("b1");
        return Role(b1_status) == "standby" && Leadership(b1_status, "leader") == "b2";
      },
      seconds(60)))
      << "b1 is not a standby of b2 after the heal: " << b1_status.dump() << "\n"
      << Tail(brokers_["b1"]->Stderr());
  std::cout << "[ " << SecondsSince(start) << " s: b1 is a standby of b2 "
            << SecondsSince(healed_at) << " s after the heal ]" << std::endl;
  EXPECT_TRUE(brokers_["b1"]->Running()) << Tail(brokers_["b1"]->Stderr());
  EXPECT_NE(brokers_["b1"]->Stderr().find("stepped_down"), std::string::npos)
      << Tail(brokers_["b1"]->Stderr());

  const std::optional<int> exit = producer.WaitExit(seconds(300));
  ASSERT_TRUE(exit.has_value()) << "the producer never finished: " << Tail(producer.Stderr());
  EXPECT_EQ(*exit, 0) << Tail(producer.Stderr());
  const nlohmann::json b2_at_end = Status("b2");
  std::cout << "[ producer done " << SecondsSince(start) << " s from start; b2 counted "
            << StatusCounter(b2_at_end, "submitted") << " jobs submitted to it ]" << std::endl;

  // The deposed leader acknowledged nothing: the probe got no id (it is
  // ended here if it still waits), and its job never ran.
  if (probe.Running()) {
    probe.Kill();
  } else {
    EXPECT_NE(probe.WaitExit(seconds(1)).value_or(0), 0)
        << "the probe submit succeeded: " << probe.Stdout();
  }
  EXPECT_TRUE(JsonLines(probe.Stdout()).empty())
      << "b1 acknowledged a job after it was cut off: " << probe.Stdout();
  EXPECT_EQ(ReadFile(probe_record), "") << "the probe's job ran";

  // The producer: one outcome per job, each its own id, all succeeded.
  std::map<std::string, uint32_t> attempts_of_id;
  std::map<int, std::string> id_of_tag;
  size_t not_succeeded = 0;
  for (const nlohmann::json& outcome : JsonLines(producer.Stdout())) {
    const std::string id = outcome.value("id", std::string());
    if (outcome.value("state", std::string()) != "succeeded" && not_succeeded++ < 10) {
      ADD_FAILURE() << "not succeeded: " << outcome.dump();
    }
    EXPECT_TRUE(attempts_of_id.emplace(id, outcome.value("attempts", 0u)).second)
        << "two outcomes for job " << id;
    if (outcome.contains("result") && outcome["result"].is_object() &&
        outcome["result"].contains("tag")) {
      EXPECT_TRUE(id_of_tag.emplace(outcome["result"]["tag"].get<int>(), id).second)
          << "two jobs for line " << outcome["result"]["tag"];
    }
  }
  EXPECT_EQ(not_succeeded, 0u);
  ASSERT_EQ(attempts_of_id.size(), static_cast<size_t>(kJobs)) << Tail(producer.Stderr());
  EXPECT_EQ(id_of_tag.size(), static_cast<size_t>(kJobs)) << "every input line has one job";

  // The new leader keeps exactly these jobs, each succeeded: none created
  // twice, none that only the deposed leader knew of.
  const nlohmann::json status = Status("b2");
  EXPECT_EQ(Role(status), "leader") << status.dump();
  EXPECT_EQ(status.value("jobs_kept", std::string()), std::to_string(kJobs)) << status.dump();
  std::set<std::string> kept_ids;
  size_t kept_not_succeeded = 0;
  for (const nlohmann::json& job : AllJobs("b2")) {
    kept_ids.insert(job.value("id", std::string()));
    if (job.value("state", std::string()) != "succeeded" && kept_not_succeeded++ < 10) {
      ADD_FAILURE() << "kept job not succeeded: " << job.dump();
    }
  }
  EXPECT_EQ(kept_not_succeeded, 0u);
  std::set<std::string> outcome_ids;
  for (const auto& [id, attempts] : attempts_of_id) {
    outcome_ids.insert(id);
  }
  EXPECT_TRUE(kept_ids == outcome_ids)
      << "b2 keeps " << kept_ids.size() << " jobs; the producer was told of " << outcome_ids.size();
  EXPECT_EQ(Leadership(b1_status, "epoch"), Leadership(status, "epoch"))
      << "b1 names b2's epoch: " << b1_status.dump();

  // What ran, from the task's own record: every line at least once, and
  // again only under a new attempt of its job (a result the cut-off leader
  // took but never committed runs the job again).
  std::vector<std::string> torn;
  ExecutionsByTag executions_of_tag = ReadExecutionsByTag(record, &torn);
  for (const std::string& line : torn) {
    ADD_FAILURE() << "torn execution record: " << line;
  }
  size_t never_ran = 0;
  size_t ran_too_often = 0;
  size_t ran_more_than_once = 0;
  size_t ran_under_other_id = 0;
  std::map<uint32_t, size_t> jobs_by_attempts;
  for (const auto& [id, attempts] : attempts_of_id) {
    ++jobs_by_attempts[attempts];
  }
  for (const auto& [tag, id] : id_of_tag) {
    const uint32_t attempts = attempts_of_id[id];
    const auto& executions = executions_of_tag[tag];
    ran_more_than_once += executions.size() > 1 ? 1 : 0;
    // A job the cut-off leader dispatched before its commit, which never
    // came, ran under an id the producer never got; the producer submitted
    // the line again to the new leader. That is the price of an
    // unacknowledged submit (at least once), not a second run of one job:
    // only the runs under the acknowledged id count against its attempts.
    size_t runs_of_id = 0;
    for (const auto& [ran_id, attempt] : executions) {
      ran_under_other_id += ran_id != id ? 1 : 0;
      runs_of_id += ran_id == id ? 1 : 0;
    }
    if (runs_of_id == 0) {
      if (never_ran++ < 10) {
        ADD_FAILURE() << "line " << tag << " (job " << id << ") never ran";
      }
    } else if (runs_of_id > attempts && ran_too_often++ < 10) {
      std::string ran;
      for (const auto& [ran_id, attempt] : executions) {
        ran += " " + ran_id + "#" + std::to_string(attempt);
      }
      ADD_FAILURE() << "line " << tag << " (job " << id << ", attempts " << attempts << ") ran "
                    << executions.size() << " times:" << ran;
    }
  }
  EXPECT_EQ(never_ran, 0u);
  EXPECT_EQ(ran_too_often, 0u);
  std::cout << "[ " << kJobs << " jobs, all succeeded once; failover " << failover_s
            << " s; executions " << CountLines(ReadFile(record)) << ", " << ran_more_than_once
            << " jobs ran more than once, " << ran_under_other_id
            << " executions under an id the producer never got; jobs by attempts:";
  for (const auto& [attempts, count] : jobs_by_attempts) {
    std::cout << " " << attempts << ":" << count;
  }
  std::cout << " ]" << std::endl;
}

}  // namespace
}  // namespace jobq::testing::failover
