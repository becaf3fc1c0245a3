// Workflows as a client sends them (SUBMIT_WORKFLOW): the input is a
// serialized jobq.wire.SubmitWorkflow. The core takes it whole or refuses
// it with one WorkflowSubmitted carrying a bad_request (or queue_full)
// message, and creates nothing then. An accepted one is run to its end by
// a worker that fails each node whose name ends in 'x' and succeeds the
// others (results of every kind: JSON, text, bytes), with the invariants
// checked at every step; the workflow must end with no node blocked.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "broker/core/broker_core.h"
#include "common/check.h"
#include "jobq/wire.pb.h"

namespace {

using jobq::Command;
using jobq::TimeMs;
using jobq::broker::core::BrokerCore;
using jobq::broker::core::CoreOptions;
using jobq::broker::core::Effects;
namespace wire = jobq::wire;

constexpr TimeMs kStartMs = 1'790'000'000'000;
constexpr char kClient[] = "client";
constexpr char kWorker[] = "worker";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  wire::SubmitWorkflow flow;
  if (!flow.ParseFromArray(data, static_cast<int>(size)) || flow.nodes_size() > 2000) {
    return 0;
  }
  CoreOptions options;
  options.workflow_nodes_max = 1000;
  options.result_bytes_max = 4096;
  BrokerCore core(options);
  Effects effects;
  TimeMs now_ms = kStartMs;
  core.Tick(now_ms, &effects);
  effects.Clear();
  const size_t jobs_before = core.job_count();
  core.OnClientMessage(kClient, Command::kSubmitWorkflow, flow.SerializeAsString(), now_ms,
                       &effects);
  core.CheckInvariants();
  const wire::WorkflowSubmitted* answer = nullptr;
  for (const auto& out : effects.outbound) {
    if (out.command == Command::kWorkflowSubmitted) {
      JOBQ_CHECK(answer == nullptr) << "one answer per workflow";
      answer = static_cast<const wire::WorkflowSubmitted*>(out.body.get());
    }
  }
  JOBQ_CHECK(answer != nullptr) << "every workflow is answered";
  if (!answer->error().type().empty()) {
    JOBQ_CHECK(!answer->error().message().empty()) << "a refusal says why";
    JOBQ_CHECK(core.job_count() == jobs_before && core.workflow_count() == 0)
        << "a refused workflow creates nothing";
    return 0;
  }
  JOBQ_CHECK(answer->node_ids_size() == flow.nodes_size()) << "every node has an id";
  const std::optional<jobq::JobId> workflow = jobq::JobId::FromBytes(answer->id());
  JOBQ_CHECK(workflow.has_value()) << "an accepted workflow has an id";

  wire::Hello hello;
  hello.set_name(kWorker);
  wire::PoolCapacity& pool = *hello.add_pools();
  pool.set_kind(wire::KIND_IO);
  pool.set_capacity(64);
  effects.Clear();
  // Every queue the nodes name, so that each can be dispatched.
  for (const wire::WorkflowNode& node : flow.nodes()) {
    hello.add_queues(node.job().queue().empty() ? "default" : node.job().queue());
  }
  core.OnWorkerMessage(kWorker, Command::kHello, hello.SerializeAsString(), now_ms, &effects);
  for (int round = 0; round < 10'000; ++round) {
    now_ms += 1000;  // delays and backoffs come due
    core.Tick(now_ms, &effects);
    core.CheckInvariants();
    wire::WorkerResults results;
    for (const auto& out : effects.outbound) {
      if (out.command != Command::kDispatch) {
        continue;
      }
      for (const wire::DispatchedJob& job : static_cast<const wire::Dispatch&>(*out.body).jobs()) {
        const jobq::broker::core::Job* kept = core.FindJob(*jobq::JobId::FromBytes(job.id()));
        const std::string& name = kept->links ? kept->links->node : std::string();
        wire::JobResult& result = *results.add_results();
        result.set_id(job.id());
        result.set_attempt(job.attempt());
        result.set_ok(name.empty() || name.back() != 'x');
        switch (name.size() % 3) {
          case 0:
            result.set_result("{\"n\":" + std::to_string(name.size()) + "}");
            break;
          case 1:
            result.set_result(name);
            result.set_content_type("text/plain");
            break;
          default:
            result.set_result(std::string("\xff\x00\x01", 3));
            result.set_content_type("application/octet-stream");
            break;
        }
        if (!result.ok()) {
          result.mutable_error()->set_type("exception");
        }
      }
    }
    effects.Clear();
    const jobq::broker::core::Workflow* kept = core.FindWorkflow(*workflow);
    if (kept == nullptr || kept->unfinished == 0) {
      break;
    }
    if (results.results_size() > 0) {
      core.OnWorkerMessage(kWorker, Command::kWorkerResult, results.SerializeAsString(), now_ms,
                           &effects);
      wire::Credit credit;
      credit.set_kind(wire::KIND_IO);
      credit.set_credits(static_cast<uint32_t>(results.results_size()));
      core.OnWorkerMessage(kWorker, Command::kCredit, credit.SerializeAsString(), now_ms, &effects);
    } else {
      wire::Heartbeat heartbeat;
      core.OnWorkerMessage(kWorker, Command::kWorkerHeartbeat, heartbeat.SerializeAsString(),
                           now_ms, &effects);
    }
  }
  return 0;
}
