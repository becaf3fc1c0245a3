// Dead letters and results through the admin service, with the real
// binaries: `jobq jobs` finds jobs whose retries ran out, `jobq result`
// shows what a job ended with, `jobq retry` runs it again — also after a
// `kill -9` of a broker on the durable store.

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>

#include "jobq/admin.grpc.pb.h"
#include "tests/support/cluster.h"

namespace jobq::testing {
namespace {

// A well-formed id no broker ever made (its timestamp is in 1970).
constexpr char kUnknownId[] = "00000000-0000-7000-8000-000000000001";

std::string SubmitOne(Cluster& cluster, std::vector<std::string> args) {
  args.insert(args.begin(), "submit");
  CommandResult run = cluster.Jobq(args);
  EXPECT_EQ(run.exit_code, 0) << run.err;
  std::vector<nlohmann::json> lines = JsonLines(run.out);
  if (lines.size() != 1 || !lines[0].contains("id")) {
    ADD_FAILURE() << "no id in: " << run.out << run.err;
    return "";
  }
  return lines[0]["id"];
}

// The line of `id` in `jobq jobs FILTER... --json`; null when not listed.
nlohmann::json ListedJob(Cluster& cluster, const std::string& id, std::vector<std::string> filter) {
  filter.insert(filter.begin(), "jobs");
  filter.push_back("--json");
  CommandResult run = cluster.Jobq(filter, "", std::chrono::seconds(10));
  if (run.exit_code != 0) {
    return nullptr;
  }
  for (const nlohmann::json& line : JsonLines(run.out)) {
    if (line.value("id", "") == id) {
      return line;
    }
  }
  return nullptr;
}

// Waits until `id` is dead with more than `attempts_above` attempts, and
// returns its `jobq jobs` line (null on timeout).
nlohmann::json WaitUntilDead(Cluster& cluster, const std::string& id, int attempts_above) {
  nlohmann::json dead;
  WaitFor([&] {
    dead = ListedJob(cluster, id, {"--state", "dead"});
    return !dead.is_null() && dead["attempts"].get<int>() > attempts_above;
  });
  return dead;
}

TEST(DeadLetterTest, DeadJobIsListedShownAndRetried) {
  Cluster cluster;
  cluster.StartBroker({"--store", "memory", "--backoff", "10ms"});
  cluster.StartWorker("w1");
  // --retries 2: up to 3 attempts (DESIGN.md §10a), then dead.
  const std::string id =
      SubmitOne(cluster, {"fail", "--arg", "message=disk on fire", "--retries", "2"});
  ASSERT_FALSE(id.empty());

  nlohmann::json dead = WaitUntilDead(cluster, id, 0);
  ASSERT_FALSE(dead.is_null()) << "never listed as dead";
  EXPECT_EQ(dead["attempts"], 3) << dead.dump();
  EXPECT_EQ(dead["max_attempts"], 3) << dead.dump();
  EXPECT_EQ(dead["task"], "fail");
  EXPECT_EQ(dead["error"]["type"], "exception");
  EXPECT_EQ(dead["error"]["exception"], "std::runtime_error");
  EXPECT_EQ(dead["error"]["message"], "disk on fire");

  CommandResult table = cluster.Jobq({"jobs", "--state", "dead"});
  EXPECT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find(id), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("std::runtime_error: disk on fire"), std::string::npos) << table.out;

  CommandResult result = cluster.Jobq({"result", id});
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  EXPECT_EQ(result.out, "");
  EXPECT_NE(result.err.find("is dead after 3 attempts"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("disk on fire"), std::string::npos) << result.err;

  CommandResult as_json = cluster.Jobq({"result", id, "--json"});
  EXPECT_EQ(as_json.exit_code, 1);
  std::vector<nlohmann::json> lines = JsonLines(as_json.out);
  ASSERT_EQ(lines.size(), 1u) << as_json.out;
  EXPECT_EQ(lines[0]["state"], "dead");
  EXPECT_EQ(lines[0]["error"]["message"], "disk on fire");

  CommandResult retry = cluster.Jobq({"retry", id});
  EXPECT_EQ(retry.exit_code, 0) << retry.out << retry.err;
  EXPECT_NE(retry.out.find(id + ": retried"), std::string::npos) << retry.out;

  // It runs again with a fresh retry budget: three more attempts, dead again.
  nlohmann::json dead_again = WaitUntilDead(cluster, id, 3);
  ASSERT_FALSE(dead_again.is_null()) << "the retried job never died again";
  EXPECT_EQ(dead_again["attempts"], 6) << dead_again.dump();

  CommandResult unknown = cluster.Jobq({"retry", kUnknownId});
  EXPECT_EQ(unknown.exit_code, 1) << unknown.out << unknown.err;
  EXPECT_NE(unknown.out.find(std::string(kUnknownId) + ": not retried: no such job"),
            std::string::npos)
      << unknown.out;

  // One of several not retried: the others still are, and the exit says so.
  CommandResult mixed = cluster.Jobq({"retry", id, kUnknownId});
  EXPECT_EQ(mixed.exit_code, 1);
  EXPECT_NE(mixed.out.find(id + ": retried"), std::string::npos) << mixed.out;
}

TEST(DeadLetterTest, SucceededJobsResultIsPrinted) {
  Cluster cluster;
  cluster.StartBroker({"--store", "memory"});
  cluster.StartWorker("w1");
  CommandResult run = cluster.Jobq({"submit", "echo", "--arg", "word=hello", "--wait"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::string id = JsonLines(run.out).at(0)["id"];

  CommandResult result = cluster.Jobq({"result", id});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  nlohmann::json printed = nlohmann::json::parse(result.out, nullptr, false);
  ASSERT_FALSE(printed.is_discarded()) << result.out;
  EXPECT_EQ(printed["word"], "hello");

  CommandResult as_json = cluster.Jobq({"result", id, "--json"});
  EXPECT_EQ(as_json.exit_code, 0) << as_json.err;
  std::vector<nlohmann::json> lines = JsonLines(as_json.out);
  ASSERT_EQ(lines.size(), 1u) << as_json.out;
  EXPECT_EQ(lines[0], JsonLines(run.out).at(0)) << "the line jobq wait printed";

  nlohmann::json listed = ListedJob(cluster, id, {"--state", "succeeded"});
  ASSERT_FALSE(listed.is_null());
  EXPECT_EQ(listed["attempts"], 1);
  EXPECT_GT(listed["result_bytes"].get<int>(), 0);

  CommandResult again = cluster.Jobq({"retry", id});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.out.find("succeeded"), std::string::npos) << again.out;
}

TEST(DeadLetterTest, UnfinishedAndUnknownJobsAreSaidSo) {
  Cluster cluster;
  cluster.StartBroker({"--store", "memory"});
  const std::string id = SubmitOne(cluster, {"noop"});  // no worker: it stays queued

  CommandResult queued = cluster.Jobq({"result", id});
  EXPECT_EQ(queued.exit_code, 1);
  EXPECT_NE(queued.err.find("is still queued; `jobq wait " + id + "` waits for it"),
            std::string::npos)
      << queued.err;

  CommandResult not_dead = cluster.Jobq({"retry", id});
  EXPECT_EQ(not_dead.exit_code, 1);
  EXPECT_NE(not_dead.out.find("is still queued"), std::string::npos) << not_dead.out;

  CommandResult unknown = cluster.Jobq({"result", kUnknownId});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find(kUnknownId), std::string::npos) << unknown.err;
  EXPECT_NE(unknown.err.find("expired"), std::string::npos) << unknown.err;

  CommandResult malformed = cluster.Jobq({"result", "not-an-id"});
  EXPECT_EQ(malformed.exit_code, 2);
  EXPECT_NE(malformed.err.find("not-an-id"), std::string::npos) << malformed.err;

  CommandResult bad_state = cluster.Jobq({"jobs", "--state", "zombie"});
  EXPECT_EQ(bad_state.exit_code, 2);
  EXPECT_NE(bad_state.err.find("dead"), std::string::npos) << "lists the states: " << bad_state.err;
}

TEST(DeadLetterTest, JobsPagesThroughAQueue) {
  Cluster cluster;
  cluster.StartBroker({"--store", "memory"});
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    ids.push_back(SubmitOne(cluster, {"noop", "-q", "paged"}));
  }
  SubmitOne(cluster, {"noop", "-q", "elsewhere"});

  CommandResult first = cluster.Jobq({"jobs", "-q", "paged", "--limit", "2", "--json"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  std::vector<nlohmann::json> page = JsonLines(first.out);
  ASSERT_EQ(page.size(), 2u) << first.out;
  EXPECT_EQ(page[0]["id"], ids[0]);
  EXPECT_EQ(page[1]["id"], ids[1]);
  EXPECT_NE(first.err.find("--after " + ids[1]), std::string::npos) << first.err;

  CommandResult second =
      cluster.Jobq({"jobs", "-q", "paged", "--limit", "2", "--after", ids[1], "--json"});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  page = JsonLines(second.out);
  ASSERT_EQ(page.size(), 1u) << second.out;
  EXPECT_EQ(page[0]["id"], ids[2]);
  EXPECT_EQ(page[0]["state"], "queued");
  EXPECT_EQ(second.err, "") << "last page";
}

TEST(DeadLetterTest, AdminRpcsRefuseMalformedRequests) {
  Cluster cluster;
  cluster.StartBroker({"--store", "memory"});
  auto stub = admin::Admin::NewStub(
      grpc::CreateChannel(cluster.admin(), grpc::InsecureChannelCredentials()));
  auto call = [](auto rpc) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return rpc(&context);
  };

  admin::GetJobRequest garbage;
  garbage.set_id("garbage");
  admin::JobInfo job;
  grpc::Status status = call([&](auto* context) { return stub->GetJob(context, garbage, &job); });
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("36-character"), std::string::npos)
      << status.error_message();

  // The text form is accepted as well as the 16 bytes.
  admin::GetJobRequest unknown;
  unknown.set_id(kUnknownId);
  status = call([&](auto* context) { return stub->GetJob(context, unknown, &job); });
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << status.error_message();

  admin::ListJobsRequest bad_state;
  bad_state.set_state_name("zombie");
  admin::ListJobsResponse listed;
  status = call([&](auto* context) { return stub->ListJobs(context, bad_state, &listed); });
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("cancelled"), std::string::npos) << status.error_message();

  admin::RetryJobsRequest one_bad;
  one_bad.add_ids(kUnknownId);
  one_bad.add_ids("nope");
  admin::RetryJobsResponse retried;
  status = call([&](auto* context) { return stub->RetryJobs(context, one_bad, &retried); });
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("ids[1]"), std::string::npos) << status.error_message();
}

TEST(DeadLetterTest, ResultsAndDeadLettersSurviveKillNineOfTheBroker) {
  Cluster cluster;
  const std::string store = "sqlite:" + cluster.dir().File("jobq.db");
  const int frontend_port = FreeTcpPort();
  const int backend_port = FreeTcpPort();
  cluster.StartBroker({"--store", store, "--backoff", "10ms"}, frontend_port, backend_port);
  cluster.StartWorker("w1");

  CommandResult echoed = cluster.Jobq({"submit", "echo", "--arg", "when=before", "--wait"});
  ASSERT_EQ(echoed.exit_code, 0) << echoed.err;
  const std::string succeeded_id = JsonLines(echoed.out).at(0)["id"];
  const std::string dead_id =
      SubmitOne(cluster, {"fail", "--arg", "message=boom", "--retries", "1"});
  ASSERT_FALSE(WaitUntilDead(cluster, dead_id, 0).is_null());

  cluster.KillBroker();
  cluster.StartBroker({"--store", store, "--backoff", "10ms"}, frontend_port, backend_port);

  CommandResult result = cluster.Jobq({"result", succeeded_id});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  nlohmann::json printed = nlohmann::json::parse(result.out, nullptr, false);
  ASSERT_FALSE(printed.is_discarded()) << result.out;
  EXPECT_EQ(printed["when"], "before");

  CommandResult waited = cluster.Jobq({"wait", succeeded_id});
  EXPECT_EQ(waited.exit_code, 0) << waited.err;
  EXPECT_EQ(JsonLines(waited.out).at(0)["result"]["when"], "before");

  nlohmann::json dead = ListedJob(cluster, dead_id, {"--state", "dead"});
  ASSERT_FALSE(dead.is_null()) << "the dead letter was kept";
  EXPECT_EQ(dead["error"]["message"], "boom");
  CommandResult dead_result = cluster.Jobq({"result", dead_id});
  EXPECT_EQ(dead_result.exit_code, 1);
  EXPECT_NE(dead_result.err.find("boom"), std::string::npos) << dead_result.err;

  // A retry after the restart runs it on a worker that reconnected.
  CommandResult retry = cluster.Jobq({"retry", dead_id});
  EXPECT_EQ(retry.exit_code, 0) << retry.out << retry.err;
  nlohmann::json dead_again = WaitUntilDead(cluster, dead_id, 2);
  ASSERT_FALSE(dead_again.is_null()) << "the retried job never ran again";
  EXPECT_EQ(dead_again["attempts"], 4);
}

}  // namespace
}  // namespace jobq::testing
