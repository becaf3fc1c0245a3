// What the operator commands print: queue and worker tables, a job's
// detail, cancel lines, JSON; and the checks of their arguments made
// before any connection.

#include "producer/cli/admin_tables.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/job_id.h"
#include "producer/cli/admin_commands.h"
#include "producer/cli/cli.h"
#include "producer/cli/command_json.h"
#include "producer/cli/exit_code.h"
#include "producer/cli/retry_command.h"
#include "producer/cli/top_command.h"
#include "tests/unit/producer/sample_job_id.h"

namespace jobq::cli {
namespace {

TEST(FormatQueuesTableTest, AlignedWithState) {
  admin::ListQueuesResponse queues;
  admin::QueueStatus* a = queues.add_queues();
  a->set_name("default");
  a->set_queued(10);
  a->set_running(2);
  a->set_workers(1);
  a->set_finished(1234);
  admin::QueueStatus* b = queues.add_queues();
  b->set_name("mail");
  b->set_paused(true);
  EXPECT_EQ(FormatQueuesTable(queues),
            "QUEUE    STATE   QUEUED  RUNNING  WORKERS  SENTINELS  FINISHED\n"
            "default  active  10      2        1        0          1234\n"
            "mail     paused  0       0        0        0          0\n");
  EXPECT_EQ(FormatQueuesTable(admin::ListQueuesResponse()), "no queues\n");
}

TEST(FormatWorkersTableTest, AlignedWithStateAndPools) {
  admin::ListWorkersResponse workers;
  admin::WorkerStatus* w = workers.add_workers();
  w->set_name("w1");
  w->set_host("host-a");
  w->set_pid(42);
  w->set_state("active");
  w->add_queues("default");
  w->add_queues("media");
  admin::PoolStatus* pool = w->add_pools();
  pool->set_kind("io");
  pool->set_capacity(16);
  pool->set_in_flight(3);
  w->set_cpu_percent(12.5);
  w->set_rss_bytes(47'395'635);
  w->set_jobs_done(7);
  w->set_last_heartbeat_ms_ago(300);
  admin::WorkerStatus* dead = workers.add_workers();
  dead->set_name("w2");
  dead->set_state("dead");
  dead->set_last_heartbeat_ms_ago(125'000);
  const std::string text = FormatWorkersTable(workers);
  EXPECT_NE(text.find("WORKER  HOST    PID  STATE   QUEUES         POOLS (in-flight/capacity)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("w1      host-a  42   active  default,media  io 3/16"), std::string::npos)
      << text;
  EXPECT_NE(text.find("12.5  45.2 MiB  7     0       0.3s ago"), std::string::npos) << text;
  EXPECT_NE(text.find("w2      -       0    dead    -"), std::string::npos) << text;
  EXPECT_NE(text.find("2m 05s ago"), std::string::npos) << text;
  EXPECT_EQ(FormatWorkersTable(admin::ListWorkersResponse()), "no workers\n");
}

admin::JobInfo SucceededJob() {
  admin::JobInfo job;
  job.set_id(SampleJobIdBytes());
  job.set_queue("default");
  job.set_task("echo");
  job.set_state(wire::JOB_STATE_SUCCEEDED);
  job.set_attempts(1);
  job.set_max_attempts(3);
  job.set_idempotency_key("k-1");
  job.set_worker("w1");
  job.set_submitted_ms(1'764'114'601'123);
  job.set_started_ms(1'764'114'601'200);
  job.set_finished_ms(1'764'114'602'000);
  job.set_result(R"({"greeting":"hello"})");
  job.set_content_type("application/json");
  job.set_result_bytes(20);
  return job;
}

TEST(FormatJobDetailTest, EveryFieldOnItsLine) {
  const std::string text = FormatJobDetail(SucceededJob(), 1'764'114'612'000);
  EXPECT_NE(text.find(std::string("id         ") + kSampleJobId + "\n"), std::string::npos) << text;
  EXPECT_NE(text.find("state      succeeded\n"), std::string::npos) << text;
  EXPECT_NE(text.find("attempts   1 (failures 0, at most 3 attempts)\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("key        k-1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("worker     w1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("submitted  2025-11-25 23:50:01.123 UTC (10s ago)\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("result     {\"greeting\":\"hello\"}\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("error"), std::string::npos) << text;
}

TEST(FormatJobDetailTest, AFutureTimeSaysHowFarAhead) {
  admin::JobInfo job = SucceededJob();
  const int64_t now_ms = 1'764'114'612'000;
  job.set_expires_ms(now_ms + 24 * 3600 * 1000);
  const std::string text = FormatJobDetail(job, now_ms);
  EXPECT_NE(text.find("expires    2025-11-26 23:50:12.000 UTC (1d 00h 00m from now)\n"),
            std::string::npos)
      << text;
  job.set_expires_ms(now_ms + 90'000);
  EXPECT_NE(FormatJobDetail(job, now_ms).find("(1m 30s from now)"), std::string::npos);
}

TEST(FormatJobDetailTest, ErrorOfAFailedJob) {
  admin::JobInfo job = SucceededJob();
  job.set_state(wire::JOB_STATE_CANCELLED);
  job.mutable_error()->set_type("cancelled");
  job.mutable_error()->set_message("cancelled by an operator\nbefore it ran");
  const std::string text = FormatJobDetail(job, 1'764'114'612'000);
  EXPECT_NE(text.find("error      cancelled: cancelled by an operator before it ran\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("result"), std::string::npos) << text;
}

TEST(FormatJobDetailJsonTest, ResultIsParsedJson) {
  nlohmann::json json = nlohmann::json::parse(FormatJobDetailJson(SucceededJob()));
  EXPECT_EQ(json["id"], kSampleJobId);
  EXPECT_EQ(json["state"], "succeeded");
  EXPECT_EQ(json["result"]["greeting"], "hello");
  EXPECT_EQ(json["key"], "k-1");
  admin::JobInfo text = SucceededJob();
  text.set_content_type("text/plain");
  text.set_result("plain words");
  EXPECT_EQ(nlohmann::json::parse(FormatJobDetailJson(text))["result"], "plain words");
}

// GetJob's arguments: JSON as JSON, text as a string, binary left out of
// the JSON and named by size in the table; none, no key and no row.
TEST(FormatJobDetailJsonTest, ArgumentsAreShownByTheirContentType) {
  admin::JobInfo job = SucceededJob();
  EXPECT_FALSE(nlohmann::json::parse(FormatJobDetailJson(job)).contains("args"));
  EXPECT_EQ(FormatJobDetail(job, 1'764'114'612'000).find("args"), std::string::npos);
  job.set_payload(R"({"n": 3, "note": "<script>x</script>"})");
  job.set_payload_content_type("application/json");
  nlohmann::json json = nlohmann::json::parse(FormatJobDetailJson(job));
  EXPECT_EQ(json["args"]["n"], 3);
  EXPECT_EQ(json["args"]["note"], "<script>x</script>");
  EXPECT_NE(FormatJobDetail(job, 1'764'114'612'000).find("args       {\"n\": 3"),
            std::string::npos);
  job.set_payload("plain words");
  job.set_payload_content_type("text/plain");
  EXPECT_EQ(nlohmann::json::parse(FormatJobDetailJson(job))["args"], "plain words");
  job.set_payload(std::string("\x00\x01\x02", 3));
  job.set_payload_content_type("application/octet-stream");
  EXPECT_FALSE(nlohmann::json::parse(FormatJobDetailJson(job)).contains("args"));
  EXPECT_NE(
      FormatJobDetail(job, 1'764'114'612'000).find("args       3 B of application/octet-stream"),
      std::string::npos)
      << FormatJobDetail(job, 1'764'114'612'000);
}

TEST(FormatCancelTest, LineAndJson) {
  admin::CancelJobResult result;
  result.set_id(SampleJobIdBytes());
  result.set_outcome(admin::CancelJobResult::OUTCOME_CANCEL_REQUESTED);
  result.set_state(wire::JOB_STATE_RUNNING);
  result.set_message("cancel requested: it is running");
  EXPECT_EQ(FormatCancelLine(result),
            std::string(kSampleJobId) + ": cancel requested: it is running");
  EXPECT_EQ(nlohmann::json::parse(FormatCancelJson(result)),
            (nlohmann::json{{"id", kSampleJobId},
                            {"outcome", "cancel_requested"},
                            {"state", "running"},
                            {"message", "cancel requested: it is running"}}));
  result.clear_message();
  result.set_outcome(admin::CancelJobResult::OUTCOME_UNKNOWN_JOB);
  result.clear_state();
  EXPECT_EQ(FormatCancelLine(result), std::string(kSampleJobId) + ": not cancelled: no such job");
  EXPECT_FALSE(nlohmann::json::parse(FormatCancelJson(result)).contains("state"));
}

TEST(FormatRetryJsonTest, OutcomeNamesAndState) {
  admin::RetryJobResult result;
  result.set_id(SampleJobIdBytes());
  result.set_outcome(admin::RetryJobResult::OUTCOME_NOT_FINISHED);
  result.set_state(wire::JOB_STATE_RUNNING);
  nlohmann::json json = nlohmann::json::parse(FormatRetryJson(result));
  EXPECT_EQ(json["outcome"], "not_finished");
  EXPECT_EQ(json["state"], "running");
  EXPECT_FALSE(json["message"].get<std::string>().empty());
}

TEST(ProtoJsonTest, FieldNamesAndZeros) {
  admin::ListQueuesResponse queues;
  queues.add_queues()->set_name("q");
  nlohmann::json json = nlohmann::json::parse(ProtoJson(queues));
  EXPECT_EQ(json["queues"][0]["name"], "q");
  EXPECT_EQ(json["queues"][0]["paused"], false);
}

TEST(ExitCodeForRpcTest, RefusalsAreOneOthersTwo) {
  EXPECT_EQ(ExitCodeForRpc(grpc::Status(grpc::StatusCode::NOT_FOUND, "")), kExitJobsFailed);
  EXPECT_EQ(ExitCodeForRpc(grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "")),
            kExitJobsFailed);
  EXPECT_EQ(ExitCodeForRpc(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "")), kExitUsage);
  EXPECT_EQ(ExitCodeForRpc(grpc::Status(grpc::StatusCode::UNAVAILABLE, "")), kExitUsage);
}

TEST(CheckTopIntervalTest, Bounds) {
  EXPECT_TRUE(CheckTopInterval(1).ok());
  EXPECT_TRUE(CheckTopInterval(0.1).ok());
  EXPECT_TRUE(CheckTopInterval(60).ok());
  EXPECT_FALSE(CheckTopInterval(0.05).ok());
  EXPECT_FALSE(CheckTopInterval(61).ok());
  EXPECT_FALSE(CheckTopInterval(std::nan("")).ok());
}

// Usage errors are found before any connection: an unreachable admin
// address makes no difference.
int RunJobq(std::vector<std::string> args) {
  args.insert(args.begin(), "jobq");
  args.insert(args.end(), {"--admin", "127.0.0.1:1", "--connect-timeout", "0.2"});
  std::vector<char*> argv;
  for (std::string& arg : args) {
    argv.push_back(arg.data());
  }
  return RunCli(static_cast<int>(argv.size()), argv.data());
}

TEST(AdminCommandFlagsTest, UsageErrorsBeforeConnecting) {
  EXPECT_EQ(RunJobq({"cancel"}), kExitUsage);
  EXPECT_EQ(RunJobq({"cancel", "not-an-id"}), kExitUsage);
  EXPECT_EQ(RunJobq({"job"}), kExitUsage);
  EXPECT_EQ(RunJobq({"job", kSampleJobId, kSampleJobId}), kExitUsage);
  EXPECT_EQ(RunJobq({"purge"}), kExitUsage);
  EXPECT_EQ(RunJobq({"pause", ""}), kExitUsage);
  EXPECT_EQ(RunJobq({"drain"}), kExitUsage);
  EXPECT_EQ(RunJobq({"top", "--interval", "0"}), kExitUsage);
  EXPECT_EQ(RunJobq({"workers", "--bogus"}), kExitUsage);
}

TEST(AdminCommandFlagsTest, UnreachableBrokerIsAConnectionError) {
  EXPECT_EQ(RunJobq({"queues"}), kExitUsage);
  EXPECT_EQ(RunJobq({"drain", "w1", "--json"}), kExitUsage);
}

// The objects `jobq purge|pause|resume|drain --json` print and the
// dashboard's POST answers share (producer/cli/command_json.h).
TEST(CommandJsonTest, PurgePauseDrain) {
  admin::PurgeQueueResponse purged;
  purged.set_cancelled(12);
  EXPECT_EQ(FormatPurgeJson("emails", purged), R"({"queue":"emails","cancelled":12})");
  EXPECT_EQ(FormatPauseJson("emails", true), R"({"queue":"emails","paused":true})");
  EXPECT_EQ(FormatPauseJson("emails", false), R"({"queue":"emails","paused":false})");
  admin::DrainWorkerResponse drained;
  drained.add_queues("a");
  drained.add_queues("b");
  drained.set_in_flight(3);
  EXPECT_EQ(FormatDrainJson("w1", drained), R"({"worker":"w1","queues":["a","b"],"in_flight":3})");
  // A name is the sender's bytes: invalid UTF-8 is replaced, not thrown on.
  EXPECT_NO_THROW(FormatPauseJson("bad\xff", true));
}

}  // namespace
}  // namespace jobq::cli
