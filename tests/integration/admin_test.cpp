// The admin RPCs and the operator commands against a real broker with real
// workers. Every state change is checked through a second call: pause ->
// a job stays queued -> resume -> it runs; purge -> jobs cancelled; cancel
// of a running sleep -> cancelled; drain -> the worker exits 0; kill -9 ->
// listed as dead; WatchStatus streams and ends with the broker; `jobq top`
// under a pseudo-terminal (tmux) shows the queues and quits on `q`.

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>

#include "jobq/admin.grpc.pb.h"
#include "tests/support/cluster.h"

namespace jobq::testing {
namespace {

using nlohmann::json;

std::string SubmitOne(Cluster& cluster, std::vector<std::string> args) {
  args.insert(args.begin(), "submit");
  CommandResult run = cluster.Jobq(args);
  EXPECT_EQ(run.exit_code, 0) << run.err;
  std::vector<json> lines = JsonLines(run.out);
  if (lines.size() != 1 || !lines[0].contains("id")) {
    ADD_FAILURE() << "no id in: " << run.out << run.err;
    return "";
  }
  return lines[0]["id"];
}

// `object[key]` when `object` is an object holding it, else `otherwise`
// (the helpers below return null when a command fails or lists nothing).
template <typename T>
T Get(const json& object, const char* key, T otherwise) {
  return object.is_object() ? object.value(key, otherwise) : otherwise;
}
std::string Get(const json& object, const char* key, const char* otherwise) {
  return object.is_object() ? object.value(key, std::string(otherwise)) : otherwise;
}

// `jobq job ID --json`; null when the command failed.
json Job(Cluster& cluster, const std::string& id) {
  CommandResult run = cluster.Jobq({"job", id, "--json"}, "", std::chrono::seconds(10));
  if (run.exit_code != 0) {
    return nullptr;
  }
  std::vector<json> lines = JsonLines(run.out);
  return lines.size() == 1 ? lines[0] : json(nullptr);
}

bool WaitForJobState(Cluster& cluster, const std::string& id, const std::string& state) {
  return WaitFor([&] {
    json job = Job(cluster, id);
    return !job.is_null() && Get(job, "state", "") == state;
  });
}

// The `jobq queues --json` entry of `name`; null when not listed.
json QueueEntry(Cluster& cluster, const std::string& name) {
  CommandResult run = cluster.Jobq({"queues", "--json"}, "", std::chrono::seconds(10));
  if (run.exit_code != 0) {
    return nullptr;
  }
  for (const json& queue : json::parse(run.out).value("queues", json::array())) {
    if (queue.value("name", "") == name) {
      return queue;
    }
  }
  return nullptr;
}

// The `jobq workers --json` entry of `name`; null when not listed.
json WorkerEntry(Cluster& cluster, const std::string& name) {
  CommandResult run = cluster.Jobq({"workers", "--json"}, "", std::chrono::seconds(10));
  if (run.exit_code != 0) {
    return nullptr;
  }
  for (const json& worker : json::parse(run.out).value("workers", json::array())) {
    if (worker.value("name", "") == name) {
      return worker;
    }
  }
  return nullptr;
}

std::unique_ptr<admin::Admin::Stub> Stub(Cluster& cluster) {
  return admin::Admin::NewStub(
      grpc::CreateChannel(cluster.admin(), grpc::InsecureChannelCredentials()));
}

std::chrono::system_clock::time_point In(std::chrono::seconds seconds) {
  return std::chrono::system_clock::now() + seconds;
}

TEST(AdminTest, PausedQueueKeepsItsJobsUntilResumed) {
  Cluster cluster;
  cluster.StartBroker({"--store", "memory"});
  cluster.StartWorker("w1");
  ASSERT_TRUE(cluster.WaitForWorkers(1));

  CommandResult pause = cluster.Jobq({"pause", "default"});
  ASSERT_EQ(pause.exit_code, 0) << pause.err;
  EXPECT_NE(pause.out.find("paused"), std::string::npos) << pause.out;
  EXPECT_EQ(Get(QueueEntry(cluster, "default"), "paused", false), true);

  const std::string id = SubmitOne(cluster, {"noop"});
  ASSERT_TRUE(cluster.WaitForQueued("default", 1));
  // A round trip through the loop after the submit: it was not dispatched.
  EXPECT_EQ(Get(Job(cluster, id), "state", ""), "queued");
  CommandResult status = cluster.Jobq({"status"});
  EXPECT_NE(status.out.find("paused"), std::string::npos) << status.out;

  CommandResult again = cluster.Jobq({"pause", "default"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("paused already"), std::string::npos) << again.err;

  CommandResult resume = cluster.Jobq({"resume", "default", "--json"});
  ASSERT_EQ(resume.exit_code, 0) << resume.err;
  EXPECT_EQ(json::parse(resume.out), (json{{"queue", "default"}, {"paused", false}}));
  CommandResult wait = cluster.Jobq({"wait", id}, "", std::chrono::seconds(20));
  EXPECT_EQ(wait.exit_code, 0) << wait.out << wait.err;

  CommandResult not_paused = cluster.Jobq({"resume", "default"});
  EXPECT_EQ(not_paused.exit_code, 1);
  EXPECT_NE(not_paused.err.find("not paused"), std::string::npos) << not_paused.err;
  CommandResult unknown = cluster.Jobq({"resume", "nowhere"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("no queue \"nowhere\""), std::string::npos) << unknown.err;
}

TEST(AdminTest, PurgeCancelsTheWaitingJobs) {
  Cluster cluster;
  cluster.StartBroker({"--store", "memory"});
  ASSERT_EQ(cluster.Jobq({"pause", "mail"}).exit_code, 0);
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    ids.push_back(SubmitOne(cluster, {"noop", "-q", "mail"}));
  }
  ASSERT_TRUE(cluster.WaitForQueued("mail", 3));

  CommandResult purge = cluster.Jobq({"purge", "mail", "--json"});
  ASSERT_EQ(purge.exit_code, 0) << purge.err;
  EXPECT_EQ(json::parse(purge.out), (json{{"queue", "mail"}, {"cancelled", 3}}));
  for (const std::string& id : ids) {
    json job = Job(cluster, id);
    EXPECT_EQ(Get(job, "state", ""), "cancelled") << job.dump();
  }
  EXPECT_EQ(cluster.AllJobs("cancelled").size(), 3u);
  EXPECT_EQ(Get(QueueEntry(cluster, "mail"), "queued", "?"), "0");

  CommandResult unknown = cluster.Jobq({"purge", "nowhere"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("no queue"), std::string::npos) << unknown.err;
}

TEST(AdminTest, CancelStopsARunningSleepAndAQueuedJob) {
  Cluster cluster;
  cluster.StartBroker({"--store", "memory"});
  cluster.StartWorker("w1", {"--io-threads", "1", "--cpu-procs", "0"});
  // Retries would run it again, were the cancel taken for a failure.
  const std::string running =
      SubmitOne(cluster, {"sleep", "--arg", "seconds=300", "--retries", "3"});
  ASSERT_TRUE(WaitForJobState(cluster, running, "running"));
  const std::string queued = SubmitOne(cluster, {"noop"});  // waits for the one thread

  CommandResult cancel = cluster.Jobq({"cancel", running, queued, "--json"});
  EXPECT_EQ(cancel.exit_code, 0) << cancel.out << cancel.err;
  std::vector<json> lines = JsonLines(cancel.out);
  ASSERT_EQ(lines.size(), 2u) << cancel.out;
  EXPECT_EQ(lines[0]["outcome"], "cancel_requested") << lines[0].dump();
  EXPECT_EQ(lines[1]["outcome"], "cancelled") << lines[1].dump();

  CommandResult wait = cluster.Jobq({"wait", running, queued}, "", std::chrono::seconds(30));
  EXPECT_EQ(wait.exit_code, 1) << wait.out << wait.err;
  for (const json& line : JsonLines(wait.out)) {
    EXPECT_EQ(line["state"], "cancelled") << line.dump();
  }
  json job = Job(cluster, running);
  EXPECT_EQ(Get(job, "attempts", 0), 1) << "cancelled, not retried: " << job.dump();

  CommandResult again = cluster.Jobq({"cancel", running});
  EXPECT_EQ(again.exit_code, 1) << again.out;
  EXPECT_NE(again.out.find("cancelled already"), std::string::npos) << again.out;
  CommandResult bad = cluster.Jobq({"cancel", "not-an-id"});
  EXPECT_EQ(bad.exit_code, 2);
}

TEST(AdminTest, CancelKillsTheChildOfARunningCpuJob) {
  Cluster cluster;
  cluster.StartBroker({"--store", "memory"});
  cluster.StartWorker("w1", {"--cpu-procs", "1"});
  // Hours of work: only the kill of its child ends it.
  const std::string id = SubmitOne(cluster, {"sum_squares", "--arg", "n=1000000000000"});
  ASSERT_TRUE(WaitForJobState(cluster, id, "running"));
  CommandResult cancel = cluster.Jobq({"cancel", id});
  EXPECT_EQ(cancel.exit_code, 0) << cancel.out << cancel.err;
  EXPECT_NE(cancel.out.find("cancel requested"), std::string::npos) << cancel.out;
  CommandResult wait = cluster.Jobq({"wait", id}, "", std::chrono::seconds(30));
  std::vector<json> lines = JsonLines(wait.out);
  ASSERT_EQ(lines.size(), 1u) << wait.out << wait.err;
  EXPECT_EQ(lines[0]["state"], "cancelled") << lines[0].dump();
  EXPECT_EQ(lines[0]["error"]["type"], "cancelled") << lines[0].dump();
}

TEST(AdminTest, DrainedWorkerFinishesItsJobAndExitsZero) {
  Cluster cluster;
  cluster.StartBroker({"--store", "memory"});
  Process& worker = cluster.StartWorker("w1");
  ASSERT_TRUE(cluster.WaitForWorkers(1));
  // Long enough to be still running when the drain arrives, also under
  // the sanitizers, whose jobq CLI takes a while to start.
  const auto job_seconds = Scaled(std::chrono::seconds(2)).count() / 1000;
  const std::string id =
      SubmitOne(cluster, {"sleep", "--arg", "seconds=" + std::to_string(job_seconds)});
  ASSERT_TRUE(WaitForJobState(cluster, id, "running"));

  CommandResult drain = cluster.Jobq({"drain", "w1", "--json"});
  ASSERT_EQ(drain.exit_code, 0) << drain.err;
  json answer = json::parse(drain.out);
  EXPECT_EQ(answer["queues"], json::array({"default"})) << drain.out;
  EXPECT_EQ(answer["in_flight"], 1) << drain.out;
  // Still finishing its sleep: listed as draining; a second drain is refused.
  CommandResult again = cluster.Jobq({"drain", "w1"});
  if (again.exit_code == 1 && again.err.find("draining already") != std::string::npos) {
    SUCCEED();
  } else {
    // It may have finished and left in between: then it is unknown.
    EXPECT_NE(again.err.find("no worker named"), std::string::npos) << again.err;
  }

  std::optional<int> exit_code = worker.WaitExit(std::chrono::seconds(30));
  ASSERT_TRUE(exit_code.has_value()) << "the drained worker did not exit";
  EXPECT_EQ(*exit_code, 0) << worker.Stderr();
  EXPECT_EQ(Get(Job(cluster, id), "state", ""), "succeeded");
  EXPECT_TRUE(WaitFor([&] { return WorkerEntry(cluster, "w1").is_null(); }))
      << "a worker that said goodbye is gone, not dead";

  CommandResult unknown = cluster.Jobq({"drain", "nobody"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("no worker named \"nobody\""), std::string::npos) << unknown.err;
}

TEST(AdminTest, KilledWorkerIsListedAsDead) {
  Cluster cluster;
  cluster.StartBroker({"--store", "memory", "--heartbeat-ms", "200"});
  Process& worker = cluster.StartWorker("w1");
  ASSERT_TRUE(WaitFor([&] { return Get(WorkerEntry(cluster, "w1"), "state", "") == "active"; }));
  CommandResult table = cluster.Jobq({"workers"});
  EXPECT_NE(table.out.find("WORKER"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("w1"), std::string::npos) << table.out;

  worker.Kill();
  EXPECT_TRUE(WaitFor([&] { return Get(WorkerEntry(cluster, "w1"), "state", "") == "dead"; }));
  CommandResult after = cluster.Jobq({"workers"});
  EXPECT_NE(after.out.find("dead"), std::string::npos) << after.out;
  EXPECT_TRUE(cluster.WaitForWorkers(0)) << "status lists connected workers only";
}

TEST(AdminTest, JobShowsEveryField) {
  Cluster cluster;
  cluster.StartBroker({"--store", "memory"});
  cluster.StartWorker("w1");
  const std::string id = SubmitOne(cluster, {"echo", "--arg", "greeting=hello", "--key", "k-1"});
  ASSERT_EQ(cluster.Jobq({"wait", id}).exit_code, 0);
  CommandResult human = cluster.Jobq({"job", id});
  ASSERT_EQ(human.exit_code, 0) << human.err;
  for (const char* field : {"id", "queue", "task", "state", "attempts", "submitted", "started",
                            "finished", "expires", "result", "key"}) {
    EXPECT_NE(("\n" + human.out).find(std::string("\n") + field + " "), std::string::npos)
        << field << " missing in:\n"
        << human.out;
  }
  EXPECT_NE(human.out.find("succeeded"), std::string::npos);
  EXPECT_NE(human.out.find("hello"), std::string::npos);
  json job = Job(cluster, id);
  EXPECT_EQ(job["result"]["greeting"], "hello") << job.dump();
  EXPECT_EQ(job["key"], "k-1");
  CommandResult unknown = cluster.Jobq({"job", "00000000-0000-7000-8000-000000000001"});
  EXPECT_EQ(unknown.exit_code, 1);
}

TEST(AdminTest, ErrorsCarryTheirGrpcCodes) {
  Cluster cluster;
  cluster.StartBroker({"--store", "memory"});
  std::unique_ptr<admin::Admin::Stub> stub = Stub(cluster);
  auto code_of = [&](auto call) {
    grpc::ClientContext context;
    context.set_deadline(In(std::chrono::seconds(10)));
    return call(&context).error_code();
  };
  admin::DrainWorkerRequest drain;
  drain.set_name("nobody");
  admin::DrainWorkerResponse drained;
  EXPECT_EQ(code_of([&](auto* c) { return stub->DrainWorker(c, drain, &drained); }),
            grpc::StatusCode::NOT_FOUND);
  drain.clear_name();
  EXPECT_EQ(code_of([&](auto* c) { return stub->DrainWorker(c, drain, &drained); }),
            grpc::StatusCode::INVALID_ARGUMENT);
  admin::PauseQueueRequest pause;
  pause.set_queue("q");
  admin::PauseQueueResponse paused;
  EXPECT_EQ(code_of([&](auto* c) { return stub->PauseQueue(c, pause, &paused); }),
            grpc::StatusCode::OK);
  EXPECT_EQ(code_of([&](auto* c) { return stub->PauseQueue(c, pause, &paused); }),
            grpc::StatusCode::FAILED_PRECONDITION);
  admin::CancelJobsRequest cancel;
  cancel.add_ids("garbage");
  admin::CancelJobsResponse cancelled;
  EXPECT_EQ(code_of([&](auto* c) { return stub->CancelJobs(c, cancel, &cancelled); }),
            grpc::StatusCode::INVALID_ARGUMENT);
  admin::ListJobsRequest list;
  list.set_page_token("garbage");
  admin::ListJobsResponse listed;
  EXPECT_EQ(code_of([&](auto* c) { return stub->ListJobs(c, list, &listed); }),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST(AdminTest, ListJobsFiltersByTaskAndPagesWithATokenAndListQueues) {
  Cluster cluster;
  cluster.StartBroker({"--store", "memory"});
  ASSERT_EQ(cluster.Jobq({"pause", "default"}).exit_code, 0);
  for (const char* task : {"noop", "echo", "noop", "echo", "noop"}) {
    SubmitOne(cluster, {task});
  }
  std::unique_ptr<admin::Admin::Stub> stub = Stub(cluster);
  admin::ListJobsRequest request;
  request.set_task("noop");
  request.set_limit(2);
  std::vector<std::string> seen;
  for (int page = 0; page < 5; ++page) {
    grpc::ClientContext context;
    context.set_deadline(In(std::chrono::seconds(10)));
    admin::ListJobsResponse response;
    ASSERT_TRUE(stub->ListJobs(&context, request, &response).ok());
    for (const admin::JobInfo& job : response.jobs()) {
      EXPECT_EQ(job.task(), "noop");
      seen.push_back(job.id());
    }
    if (response.next_page_token().empty()) {
      break;
    }
    request.set_page_token(response.next_page_token());
  }
  EXPECT_EQ(seen.size(), 3u);
  CommandResult jobs = cluster.Jobq({"jobs", "--task", "echo", "--json"});
  EXPECT_EQ(JsonLines(jobs.out).size(), 2u) << jobs.out;

  grpc::ClientContext context;
  admin::ListQueuesResponse queues;
  ASSERT_TRUE(stub->ListQueues(&context, admin::ListQueuesRequest(), &queues).ok());
  ASSERT_EQ(queues.queues_size(), 1);
  EXPECT_EQ(queues.queues(0).queued(), 5u);
  EXPECT_TRUE(queues.queues(0).paused());
  CommandResult table = cluster.Jobq({"queues"});
  EXPECT_NE(table.out.find("paused"), std::string::npos) << table.out;
}

TEST(AdminTest, WatchStatusStreamsUntilCancelledOrTheBrokerStops) {
  Cluster cluster;
  cluster.StartBroker({"--store", "memory"});
  std::unique_ptr<admin::Admin::Stub> stub = Stub(cluster);
  admin::WatchStatusRequest request;
  request.set_interval_ms(1);  // clamped to the minimum

  {
    grpc::ClientContext context;
    auto stream = stub->WatchStatus(&context, request);
    admin::GetStatusResponse snapshot;
    ASSERT_TRUE(stream->Read(&snapshot));
    ASSERT_TRUE(stream->Read(&snapshot));
    EXPECT_FALSE(snapshot.version().empty());
    context.TryCancel();
    while (stream->Read(&snapshot)) {
    }
    EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::CANCELLED);
  }

  grpc::ClientContext context;
  auto stream = stub->WatchStatus(&context, request);
  admin::GetStatusResponse snapshot;
  ASSERT_TRUE(stream->Read(&snapshot));
  ASSERT_EQ(cluster.Jobq({"shutdown", "--now", "--json"}).exit_code, 0);
  while (stream->Read(&snapshot)) {
  }
  EXPECT_TRUE(stream->Finish().ok()) << "the stream ends cleanly when the broker stops";
  EXPECT_TRUE(cluster.broker().WaitExit(std::chrono::seconds(20)).has_value());
}

// `jobq top` in a tmux session of its own (a pseudo-terminal): it shows the
// queues, and `q` ends it with exit status 0.
TEST(AdminTest, TopShowsTheQueuesAndQuitsOnQ) {
  std::string tmux;
  for (const char* path : {"/usr/bin/tmux", "/usr/local/bin/tmux", "/bin/tmux"}) {
    if (access(path, X_OK) == 0) {
      tmux = path;
      break;
    }
  }
  if (tmux.empty()) {
    GTEST_SKIP() << "tmux is not installed (Debian package tmux)";
  }
  Cluster cluster;
  cluster.StartBroker({"--store", "memory"});
  cluster.StartWorker("w1");
  SubmitOne(cluster, {"noop", "-q", "invoices"});
  SubmitOne(cluster, {"noop", "-q", "thumbnails"});
  const std::string socket = cluster.dir().File("tmux.sock");
  // Ends the session (and a `jobq top` still in it) whatever the outcome.
  struct KillServer {
    std::string tmux;
    std::string socket;
    ~KillServer() { RunCommand({tmux, "-S", socket, "kill-server"}); }
  } kill_server{tmux, socket};
  const std::string exit_file = cluster.dir().File("top.exit");
  const std::string command = std::string(JOBQ_CLI_BIN) + " top --interval 0.2 --admin " +
                              cluster.admin() + "; echo $? > " + exit_file;
  CommandResult started = RunCommand(
      {tmux, "-S", socket, "new-session", "-d", "-s", "top", "-x", "160", "-y", "40", command});
  ASSERT_EQ(started.exit_code, 0) << started.err;
  auto screen = [&] {
    return RunCommand({tmux, "-S", socket, "capture-pane", "-p", "-t", "top"}).out;
  };
  std::string shown;
  EXPECT_TRUE(WaitFor([&] {
    shown = screen();
    return shown.find("invoices") != std::string::npos &&
           shown.find("thumbnails") != std::string::npos && shown.find("w1") != std::string::npos;
  })) << shown;
  EXPECT_NE(shown.find("QUEUE"), std::string::npos) << shown;

  ASSERT_EQ(RunCommand({tmux, "-S", socket, "send-keys", "-t", "top", "q"}).exit_code, 0);
  EXPECT_TRUE(WaitFor([&] { return !ReadFile(exit_file).empty(); })) << screen();
  EXPECT_EQ(ReadFile(exit_file), "0\n");
}

}  // namespace
}  // namespace jobq::testing
