// The workflow admin requests (GetWorkflow, ListWorkflows, CancelWorkflow)
// as any gRPC client may send them: checked as the admin service checks
// them (broker/admin/workflow_requests.h), then, when accepted, answered
// by a core holding two workflows (broker/control/workflow_answers.h).
// A request the check accepted is never INVALID_ARGUMENT at the core; a
// page has at most the nodes and workflows asked for; the core's
// invariants hold after a cancel; every answer re-parses.
//
// Input: one byte (low two bits: which request; the next two: 0 keeps the
// request's id, 1 or 2 puts in that workflow's id, 3 a node's job id), then
// the serialized request.

#include <google/protobuf/stubs/logging.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "broker/admin/workflow_requests.h"
#include "broker/control/workflow_answers.h"
#include "broker/core/broker_core.h"
#include "common/check.h"
#include "jobq/admin.pb.h"
#include "jobq/wire.pb.h"

namespace {

using jobq::TimeMs;
using jobq::broker::core::BrokerCore;
using jobq::broker::core::Effects;

constexpr TimeMs kNowMs = 1'790'000'000'000;

struct Held {
  std::string workflows[2];
  std::string node;
};

// A diamond and a one-node workflow, submitted as a client does.
Held Submit(BrokerCore& core) {
  Held held;
  for (int w = 0; w < 2; ++w) {
    jobq::wire::SubmitWorkflow request;
    request.set_client_seq(static_cast<uint64_t>(w));
    const char* names[] = {"fetch", "left", "right", "merge"};
    const int count = w == 0 ? 4 : 1;
    for (int i = 0; i < count; ++i) {
      jobq::wire::WorkflowNode& node = *request.add_nodes();
      node.set_name(names[i]);
      node.mutable_job()->set_task("noop");
      if (i == 1 || i == 2) {
        node.add_after("fetch");
      } else if (i == 3) {
        node.add_after("left");
        node.add_after("right");
      }
    }
    Effects effects;
    core.OnClientMessage(std::string("\0c", 2), jobq::Command::kSubmitWorkflow,
                         request.SerializeAsString(), kNowMs, &effects);
    for (const auto& out : effects.outbound) {
      if (out.command == jobq::Command::kWorkflowSubmitted) {
        const auto& answer = static_cast<const jobq::wire::WorkflowSubmitted&>(*out.body);
        held.workflows[w] = answer.id();
        if (answer.node_ids_size() > 0) {
          held.node = answer.node_ids(0);
        }
      }
    }
  }
  JOBQ_CHECK(!held.workflows[0].empty() && !held.workflows[1].empty()) << "both accepted";
  return held;
}

template <typename Message>
void CheckReparses(const Message& message) {
  Message copy;
  JOBQ_CHECK(copy.ParseFromString(message.SerializeAsString())) << "an answer re-parses";
}

template <typename Answer>
void CheckNotInvalid(const Answer& answer) {
  JOBQ_CHECK(answer.status().code() != absl::StatusCode::kInvalidArgument)
      << "the core refused what the check accepted: " << answer.status().message();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // protobuf logs bad UTF-8 in string fields; the fuzzer sends plenty.
  static const bool quiet = [] {
    google::protobuf::SetLogHandler(nullptr);
    return true;
  }();
  (void)quiet;
  if (size == 0) {
    return 0;
  }
  const uint8_t selector = data[0];
  const std::string body(reinterpret_cast<const char*>(data + 1), size - 1);
  BrokerCore core{jobq::broker::core::CoreOptions()};
  Effects effects;
  core.Tick(kNowMs, &effects);
  const Held held = Submit(core);
  const int target = (selector >> 2) & 3;
  auto id_for = [&](const std::string& given) {
    switch (target) {
      case 1:
        return held.workflows[0];
      case 2:
        return held.workflows[1];
      case 3:
        return held.node;
      default:
        return given;
    }
  };

  switch (selector & 3) {
    case 0: {
      jobq::admin::GetWorkflowRequest request;
      if (!request.ParseFromString(body)) {
        return 0;
      }
      request.set_id(id_for(request.id()));
      if (!jobq::broker::admin::NormalizeGetWorkflow(&request).ok()) {
        return 0;
      }
      auto answer = jobq::broker::control::AnswerGetWorkflow(core, request);
      CheckNotInvalid(answer);
      if (answer.ok()) {
        JOBQ_CHECK(answer->nodes_size() <= static_cast<int>(request.node_limit()))
            << "a page holds at most node_limit nodes";
        CheckReparses(*answer);
      }
      break;
    }
    case 1: {
      jobq::admin::ListWorkflowsRequest request;
      if (!request.ParseFromString(body)) {
        return 0;
      }
      if (target != 0) {
        request.set_page_after(id_for(request.page_after()));
      }
      if (!jobq::broker::admin::NormalizeListWorkflows(&request).ok()) {
        return 0;
      }
      auto answer = jobq::broker::control::AnswerListWorkflows(core, request);
      CheckNotInvalid(answer);
      if (answer.ok()) {
        JOBQ_CHECK(answer->workflows_size() <= static_cast<int>(request.limit()))
            << "a page holds at most limit workflows";
        CheckReparses(*answer);
      }
      break;
    }
    default: {
      jobq::admin::CancelWorkflowRequest request;
      if (!request.ParseFromString(body)) {
        return 0;
      }
      request.set_id(id_for(request.id()));
      if (!jobq::broker::admin::NormalizeCancelWorkflow(&request).ok()) {
        return 0;
      }
      effects.Clear();
      auto answer = jobq::broker::control::AnswerCancelWorkflow(core, request, kNowMs, &effects);
      CheckNotInvalid(answer);
      core.Tick(kNowMs, &effects);
      core.CheckInvariants();
      if (answer.ok()) {
        CheckReparses(*answer);
      }
      break;
    }
  }
  return 0;
}
