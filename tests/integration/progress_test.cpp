// Progress with the real binaries (issue 17, item 4): a task's reports
// reach the broker through the worker's throttle; `jobq job ID` shows the
// last one, also after kill -9 of the broker; `jobq wait --progress` (not a
// terminal here) prints JSON lines ending with the outcome; the WatchJob
// stream; a chatty task's very last report is the one kept; malformed
// PROGRESS is answered as docs/protocol.md says.

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "common/framing.h"
#include "common/job_id.h"
#include "jobq/admin.grpc.pb.h"
#include "jobq/wire.pb.h"
#include "tests/support/cluster.h"
#include "tests/support/wait_for.h"

namespace jobq::testing {
namespace {

std::string SubmitOne(Cluster& cluster, std::vector<std::string> args) {
  args.insert(args.begin(), "submit");
  CommandResult submitted = cluster.Jobq(args);
  EXPECT_EQ(submitted.exit_code, 0) << submitted.err;
  std::vector<nlohmann::json> lines = JsonLines(submitted.out);
  return lines.empty() ? "" : lines[0].at("id").get<std::string>();
}

nlohmann::json JobJson(Cluster& cluster, const std::string& id) {
  CommandResult shown = cluster.Jobq({"job", id, "--json"});
  EXPECT_EQ(shown.exit_code, 0) << shown.err;
  std::vector<nlohmann::json> lines = JsonLines(shown.out);
  return lines.empty() ? nlohmann::json() : lines[0];
}

TEST(ProgressTest, WaitShowsProgressLinesThenTheOutcomeAndJobKeepsTheLastReport) {
  Cluster cluster;
  cluster.StartBroker();
  cluster.StartWorker("w1");
  const std::string id = SubmitOne(cluster, {"sleep", "--arg", "seconds=1.5"});
  CommandResult waited = cluster.Jobq({"wait", id, "--progress"});
  ASSERT_EQ(waited.exit_code, 0) << waited.err;
  std::vector<nlohmann::json> lines = JsonLines(waited.out);
  ASSERT_GE(lines.size(), 2u) << waited.out;
  // The last line is the outcome, as plain `jobq wait` prints it.
  EXPECT_EQ(lines.back().at("state"), "succeeded");
  EXPECT_EQ(lines.back().at("attempts"), 1);
  uint64_t last_done = 0;
  bool saw_running = false;
  for (size_t i = 0; i + 1 < lines.size(); ++i) {
    EXPECT_EQ(lines[i].at("id"), id);
    if (!lines[i].contains("done")) {
      continue;  // before the first report
    }
    saw_running = saw_running || lines[i].at("state") == "running";
    EXPECT_EQ(lines[i].at("total"), 10);
    EXPECT_GE(lines[i].at("done").get<uint64_t>(), last_done) << "sleep counts up";
    last_done = lines[i].at("done").get<uint64_t>();
  }
  EXPECT_TRUE(saw_running) << waited.out;
  EXPECT_EQ(last_done, 10u) << "the last report (before the result) reached the broker";

  nlohmann::json job = JobJson(cluster, id);
  EXPECT_EQ(job.at("progress").at("done"), 10);
  EXPECT_EQ(job.at("progress").at("total"), 10);
  EXPECT_EQ(job.at("progress").at("attempt"), 1);
  EXPECT_EQ(job.at("progress").at("message"), "slept 10/10 of 1.5 s");
  CommandResult text = cluster.Jobq({"job", id});
  EXPECT_NE(text.out.find("progress   10/10 (100%) slept 10/10 of 1.5 s"), std::string::npos)
      << text.out;

  // Stored with the finished job: a kill -9 and restart keeps it.
  cluster.KillBroker();
  cluster.StartBroker();
  EXPECT_EQ(JobJson(cluster, id).at("progress"), job.at("progress"));
}

TEST(ProgressTest, AChattyTasksVeryLastReportIsTheOneKept) {
  Cluster cluster;
  cluster.StartBroker();
  cluster.StartWorker("w1", {"--plugin", JOBQ_TEST_TASKS_PLUGIN, "--cpu-procs", "0"});
  CommandResult run = cluster.Jobq({"submit", "chatty", "--arg", "seconds=0.5", "--wait"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  std::vector<nlohmann::json> lines = JsonLines(run.out);
  ASSERT_EQ(lines.size(), 1u);
  const uint64_t reports = lines[0].at("result").at("reports").get<uint64_t>();
  ASSERT_GT(reports, 0u);
  nlohmann::json job = JobJson(cluster, lines[0].at("id").get<std::string>());
  EXPECT_EQ(job.at("progress").at("done").get<uint64_t>(), reports);
  nlohmann::json status = cluster.Status();
  EXPECT_LT(StatusCounter(status, "progress_accepted"), reports)
      << "the worker held reports back (it reported " << reports << " times)";
  EXPECT_EQ(StatusCounter(status, "progress_refused"), 0u);
}

TEST(ProgressTest, WatchJobStreamsUntilTheJobFinishes) {
  Cluster cluster;
  cluster.StartBroker();
  cluster.StartWorker("w1");
  auto stub = admin::Admin::NewStub(
      grpc::CreateChannel(cluster.admin(), grpc::InsecureChannelCredentials()));
  const std::string id = SubmitOne(cluster, {"sleep", "--arg", "seconds=1"});

  admin::WatchJobRequest request;
  request.set_id(id);  // the text form is taken too
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + Scaled(std::chrono::seconds(30)));
  auto reader = stub->WatchJob(&context, request);
  std::vector<admin::JobInfo> seen;
  admin::JobInfo job;
  while (reader->Read(&job)) {
    seen.push_back(job);
  }
  grpc::Status status = reader->Finish();
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back().state(), wire::JOB_STATE_SUCCEEDED) << "the last message: finished";
  EXPECT_EQ(seen.back().progress().done(), 10u);
  bool saw_running_progress = false;
  for (const admin::JobInfo& message : seen) {
    saw_running_progress = saw_running_progress ||
                           (message.state() == wire::JOB_STATE_RUNNING && message.has_progress());
  }
  EXPECT_TRUE(saw_running_progress);

  // A finished job: one message, then the end.
  grpc::ClientContext again;
  auto finished = stub->WatchJob(&again, request);
  std::vector<admin::JobInfo> once;
  while (finished->Read(&job)) {
    once.push_back(job);
  }
  EXPECT_TRUE(finished->Finish().ok());
  EXPECT_EQ(once.size(), 1u);

  grpc::ClientContext unknown;
  admin::WatchJobRequest unknown_request;
  unknown_request.set_id(std::string(JobId().Bytes()));
  auto none = stub->WatchJob(&unknown, unknown_request);
  EXPECT_FALSE(none->Read(&job));
  EXPECT_EQ(none->Finish().error_code(), grpc::StatusCode::NOT_FOUND);

  grpc::ClientContext malformed;
  admin::WatchJobRequest malformed_request;
  malformed_request.set_id("not-an-id");
  auto bad = stub->WatchJob(&malformed, malformed_request);
  EXPECT_FALSE(bad->Read(&job));
  grpc::Status refused = bad->Finish();
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(refused.error_message().find("not a job id"), std::string::npos);
}

// A hand-made worker on the backend.
class FakeWorker {
 public:
  FakeWorker(zmq::context_t& context, const std::string& endpoint)
      : socket_(context, zmq::socket_type::dealer) {
    socket_.set(zmq::sockopt::linger, 0);
    socket_.connect(endpoint);
  }
  void Send(Command command, const std::string& body) {
    const std::string signature(kProtocolSignature);
    const std::string command_frame(1, static_cast<char>(command));
    socket_.send(zmq::str_buffer(""), zmq::send_flags::sndmore);
    socket_.send(zmq::buffer(signature), zmq::send_flags::sndmore);
    socket_.send(zmq::buffer(command_frame), zmq::send_flags::sndmore);
    socket_.send(zmq::buffer(body), zmq::send_flags::none);
  }
  // The next message of `command`, skipping others; nullopt after 10 s.
  std::optional<std::string> Next(Command command) {
    const auto deadline = std::chrono::steady_clock::now() + Scaled(std::chrono::seconds(10));
    while (std::chrono::steady_clock::now() < deadline) {
      zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
      if (zmq::poll(&item, 1, std::chrono::milliseconds(200)) <= 0) {
        continue;
      }
      std::vector<zmq::message_t> frames;
      (void)zmq::recv_multipart(socket_, std::back_inserter(frames));
      if (frames.size() >= 3 && frames[2].size() == 1 &&
          static_cast<uint8_t>(frames[2].data<char>()[0]) == static_cast<uint8_t>(command)) {
        return frames.size() >= 4 ? frames[3].to_string() : std::string();
      }
    }
    return std::nullopt;
  }

 private:
  zmq::socket_t socket_;
};

TEST(ProgressTest, MalformedAndLateProgressIsAnsweredAsTheSpecSays) {
  Cluster cluster;
  cluster.StartBroker();
  zmq::context_t context;
  FakeWorker worker(context, cluster.backend());
  wire::Hello hello;
  hello.set_name("fake");
  hello.add_pools()->set_kind(wire::KIND_IO);
  hello.mutable_pools(0)->set_capacity(1);
  worker.Send(Command::kHello, hello.SerializeAsString());
  ASSERT_TRUE(worker.Next(Command::kWelcome).has_value());

  // A body that does not decode.
  worker.Send(Command::kProgress, "\xff\xff\xff");
  std::optional<std::string> body = worker.Next(Command::kError);
  ASSERT_TRUE(body.has_value());
  wire::Error error;
  ASSERT_TRUE(error.ParseFromString(*body));
  EXPECT_EQ(error.code(), wire::ERROR_CODE_BAD_BODY);
  EXPECT_NE(error.text().find("jobq.wire.Progress"), std::string::npos) << error.text();

  // A report breaking a bound: refused by name.
  wire::Progress progress;
  wire::ProgressReport& report = *progress.add_reports();
  report.set_id(std::string(JobId().Bytes()));
  report.set_attempt(1);
  report.set_done(5);
  report.set_total(4);
  worker.Send(Command::kProgress, progress.SerializeAsString());
  body = worker.Next(Command::kError);
  ASSERT_TRUE(body.has_value());
  ASSERT_TRUE(error.ParseFromString(*body));
  EXPECT_EQ(error.code(), wire::ERROR_CODE_BAD_BODY);
  EXPECT_NE(error.text().find("done 5 is above total 4"), std::string::npos) << error.text();

  // Well formed but for no job it runs: late, counted, not answered.
  report.set_done(1);
  worker.Send(Command::kProgress, progress.SerializeAsString());
  EXPECT_TRUE(WaitFor([&] { return StatusCounter(cluster.Status(), "progress_late") == 1; }));
  nlohmann::json status = cluster.Status();
  EXPECT_EQ(StatusCounter(status, "progress_refused"), 1u);
  EXPECT_GE(StatusCounter(status, "bad_messages"), 1u);
  EXPECT_TRUE(cluster.WaitForWorkers(1)) << "the worker is still registered";
}

}  // namespace
}  // namespace jobq::testing
