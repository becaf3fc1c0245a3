// JSON nested deeper than 512 levels, end to end (issue 14): a worker fails
// such a job as bad_args and lives on; the CLI refuses such input before
// it submits anything. Both used to die of a stack overflow.

#include <gtest/gtest.h>

#include <string>
#include <vector>
#include <zmq.hpp>

#include "common/framing.h"
#include "jobq/wire.pb.h"
#include "tests/support/cluster.h"

namespace jobq::testing {
namespace {

std::string Arrays(int depth) { return std::string(depth, '[') + std::string(depth, ']'); }

// A SUBMIT straight onto the frontend: the CLI would refuse these payloads.
void SubmitRaw(zmq::context_t& context, const std::string& frontend, const wire::Submit& submit) {
  zmq::socket_t client(context, zmq::socket_type::dealer);
  client.set(zmq::sockopt::linger, 2000);  // until the message is out
  client.connect(frontend);
  const std::vector<std::string> frames = {"", std::string(kProtocolSignature),
                                           std::string(1, static_cast<char>(Command::kSubmit)),
                                           submit.SerializeAsString()};
  for (size_t i = 0; i < frames.size(); ++i) {
    client.send(zmq::buffer(frames[i]),
                i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
  }
}

TEST(DeepJsonTest, AWorkerFailsADeepPayloadAsBadArgsAndRunsTheNextJob) {
  Cluster cluster;
  cluster.StartBroker();
  Process& worker = cluster.StartWorker("w1", {"--cpu-procs", "1"});
  ASSERT_TRUE(cluster.WaitForWorkers(1));

  // The payload of the report, on the thread pool and in a CPU child.
  const std::string payload = "{\"d\":" + Arrays(100'000) + "}";
  wire::Submit submit;
  submit.set_first_seq(1);
  for (wire::Kind kind : {wire::KIND_IO, wire::KIND_CPU}) {
    wire::JobSpec& job = *submit.add_jobs();
    job.set_task("echo");
    job.set_payload(payload);
    job.set_content_type("application/json");
    job.set_queue("default");
    job.set_kind(kind);
  }
  zmq::context_t context(1);
  SubmitRaw(context, cluster.frontend(), submit);

  std::vector<nlohmann::json> failed;
  EXPECT_TRUE(WaitFor([&] {
    failed = cluster.AllJobs("failed");
    return failed.size() == 2;
  })) << "jobs that failed: "
      << failed.size();
  for (const nlohmann::json& job : failed) {
    EXPECT_EQ(job["error"]["type"], "bad_args") << job.dump();
    EXPECT_EQ(job["error"]["message"], "echo: arguments are nested deeper than 512 levels");
    EXPECT_EQ(job["attempts"], 1) << "run once, never handed to another worker";
  }
  EXPECT_TRUE(worker.Running()) << worker.Stderr();

  CommandResult next = cluster.Jobq({"submit", "echo", "--arg", "ok=true", "--wait"});
  EXPECT_EQ(next.exit_code, 0) << next.err;
  std::vector<nlohmann::json> lines = JsonLines(next.out);
  ASSERT_EQ(lines.size(), 1u) << next.out;
  EXPECT_EQ(lines[0]["state"], "succeeded");
  EXPECT_EQ(lines[0]["result"], (nlohmann::json{{"ok", true}}));
  EXPECT_TRUE(worker.Running());
  EXPECT_TRUE(cluster.WaitForWorkers(1)) << "the same worker, still registered";
}

TEST(DeepJsonTest, SubmitRefusesAFileWithADeepLineAndSubmitsNothing) {
  Cluster cluster;
  cluster.StartBroker();
  const std::string file = cluster.dir().File("jobs.jsonl");
  WriteFile(file, "{\"task\":\"noop\"}\n{\"task\":\"echo\",\"args\":{\"d\":" + Arrays(50'000) +
                      "}}\n{\"task\":\"noop\"}\n");
  CommandResult run = cluster.Jobq({"submit", "--file", file});
  EXPECT_EQ(run.exit_code, 2) << run.err;
  EXPECT_TRUE(run.Says("line 2: JSON nested deeper than 512 levels")) << run.out << run.err;
  EXPECT_TRUE(cluster.AllJobs().empty()) << "no line of the file was submitted";
}

TEST(DeepJsonTest, SubmitRefusesDeepJsonAndArgFlags) {
  Cluster cluster;
  cluster.StartBroker();
  // 50,000 levels: one argument may hold at most 128 KiB (MAX_ARG_STRLEN).
  CommandResult json = cluster.Jobq({"submit", "echo", "--json", "{\"d\":" + Arrays(50'000) + "}"});
  EXPECT_EQ(json.exit_code, 2) << json.err;
  EXPECT_TRUE(json.Says("--json: JSON nested deeper than 512 levels")) << json.err;

  CommandResult arg = cluster.Jobq({"submit", "echo", "--arg", "d=" + Arrays(50'000)});
  EXPECT_EQ(arg.exit_code, 2) << arg.err;
  EXPECT_TRUE(arg.Says("--arg d: JSON nested deeper than 512 levels")) << arg.err;
  EXPECT_TRUE(cluster.AllJobs().empty());
}

}  // namespace
}  // namespace jobq::testing
