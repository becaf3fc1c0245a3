// The workflows of examples/workflows with the C++ client's builders
// (producer/client/workflow_builders.h), against a running broker and a
// worker that loaded the example plugin (README.md):
//
//   jobq_workflow_example chord [CHUNKS [N]]   CHUNKS × sum_squares(N), then sum_parts
//   jobq_workflow_example chain URL            fetch (exec curl) -> checksum -> store
//
// The broker is $JOBQ_BROKER, or tcp://127.0.0.1:5555. Exit status: 0 when
// every node succeeded, 1 when one did not, 2 for a usage or connection error.

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "producer/client/client.h"
#include "producer/client/workflow_builders.h"

namespace {

jobq::JobSpec Job(const std::string& task, const std::string& args_json) {
  jobq::JobSpec job;
  job.set_task(task);
  job.set_payload(args_json);
  job.set_content_type("application/json");
  return job;
}

// The reference's CPU-bound example across machines: the chunks run on
// every worker's process pool at once; the callback adds their sums, which
// pass 2^64, exactly.
jobq::WorkflowSpec SumSquaresChord(int chunks, long long n) {
  std::vector<jobq::Flow> parts;
  for (int i = 0; i < chunks; ++i) {
    parts.push_back(Job("sum_squares", "{\"n\": " + std::to_string(n) + "}"));
  }
  return jobq::Chord(jobq::Group(std::move(parts)), jobq::Node("total", Job("sum_parts", "{}")))
      .Build("sum-squares-chord");
}

jobq::WorkflowSpec FetchChecksumStore(const std::string& url) {
  jobq::JobSpec fetch =
      Job("exec", "{\"argv\": [\"curl\", \"-sSfL\", \"--max-time\", \"20\", \"" + url + "\"]}");
  fetch.set_max_attempts(3);
  return jobq::Chain(jobq::Node("fetch", fetch), jobq::Node("checksum", Job("checksum", "{}")),
                     jobq::Node("store", Job("store", "{\"name\": \"fetched\"}")))
      .Build("fetch-checksum-store");
}

}  // namespace

int main(int argc, char** argv) {
  const std::string what = argc > 1 ? argv[1] : "";
  jobq::WorkflowSpec spec;
  if (what == "chord") {
    spec = SumSquaresChord(argc > 2 ? std::atoi(argv[2]) : 16,
                           argc > 3 ? std::atoll(argv[3]) : 10'000'000);
  } else if (what == "chain" && argc > 2) {
    // Not JSON-escaped: pass a plain URL.
    spec = FetchChecksumStore(argv[2]);
  } else {
    std::fprintf(stderr, "usage: %s chord [CHUNKS [N]] | chain URL\n", argv[0]);
    return 2;
  }
  jobq::ClientOptions options;
  if (const char* broker = std::getenv("JOBQ_BROKER"); broker != nullptr && *broker != '\0') {
    options.broker_endpoint = broker;
  }
  absl::StatusOr<std::unique_ptr<jobq::Client>> client = jobq::Client::Create(options);
  if (!client.ok()) {
    std::fprintf(stderr, "%s\n", client.status().ToString().c_str());
    return 2;
  }
  jobq::WorkflowHandle flow = (*client)->SubmitWorkflow(std::move(spec));
  absl::StatusOr<jobq::WorkflowAck> ack = flow.future().Ack();
  if (!ack.ok() || !ack->accepted()) {
    std::fprintf(stderr, "not submitted: %s\n",
                 ack.ok() ? ack->error.message().c_str() : ack.status().ToString().c_str());
    return ack.ok() ? 1 : 2;
  }
  std::printf("workflow %s: %zu nodes\n", ack->id->ToString().c_str(), ack->node_ids.size());
  absl::StatusOr<jobq::WorkflowOutcome> outcome = flow.future().Result();
  if (!outcome.ok()) {
    std::fprintf(stderr, "%s\n", outcome.status().ToString().c_str());
    return 2;
  }
  for (const jobq::NodeOutcome& node : outcome->nodes) {
    std::printf("  %-14s %-10s %s\n", node.name.c_str(),
                std::string(jobq::JobStateName(node.outcome.state)).c_str(),
                node.outcome.succeeded() ? node.outcome.result.substr(0, 100).c_str()
                                         : node.outcome.error.message().c_str());
  }
  // The last node is the one the others lead to: its result is the answer.
  const jobq::Outcome& last = outcome->nodes.back().outcome;
  std::printf("%s: %s\n", outcome->succeeded() ? "result" : "failed",
              last.succeeded() ? last.result.c_str() : last.error.message().c_str());
  return outcome->succeeded() ? 0 : 1;
}
