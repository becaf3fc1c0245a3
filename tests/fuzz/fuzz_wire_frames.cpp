// DecodeFrames (common/framing.h), the envelope of every ZeroMQ message, on
// any frames, for each socket side; then the body as its receiver parses it.
//
// Input: one byte (bits 0-1 the channel, bit 2 whether frames[0] is a
// routing id), then frames, each a one-byte length and that many bytes.
//
// With bit 3 set, the worker's side of a DISPATCH instead, for payloads
// far larger than frames of a byte's length: a byte picks the task, the
// rest (with expansion markers, json_expand.h) is the job's payload, and
// the DISPATCH carrying it is framed, decoded and run as a worker does.

#include <google/protobuf/stubs/logging.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/check.h"
#include "common/framing.h"
#include "common/json_depth.h"
#include "jobq/wire.pb.h"
#include "tests/fuzz/fuzz_input.h"
#include "tests/fuzz/json_expand.h"
#include "worker/tasks/builtins/basic_tasks.h"
#include "worker/tasks/run_job.h"
#include "worker/tasks/task_error.h"

namespace jobq {
namespace {

// The body type of each command (docs/protocol.md), new and empty.
std::unique_ptr<google::protobuf::Message> BodyFor(Command command) {
  switch (command) {
    case Command::kSubmit:
      return std::make_unique<wire::Submit>();
    case Command::kSentinel:
    case Command::kWorkerSentinel:
      return std::make_unique<wire::Sentinel>();
    case Command::kWait:
      return std::make_unique<wire::Wait>();
    case Command::kCancel:
    case Command::kWorkerCancel:
      return std::make_unique<wire::Cancel>();
    case Command::kSubmitWorkflow:
      return std::make_unique<wire::SubmitWorkflow>();
    case Command::kWorkflowSubmitted:
      return std::make_unique<wire::WorkflowSubmitted>();
    case Command::kSubmitted:
      return std::make_unique<wire::Submitted>();
    case Command::kClientResult:
      return std::make_unique<wire::ClientResults>();
    case Command::kError:
      return std::make_unique<wire::Error>();
    case Command::kHello:
      return std::make_unique<wire::Hello>();
    case Command::kCredit:
      return std::make_unique<wire::Credit>();
    case Command::kWorkerResult:
      return std::make_unique<wire::WorkerResults>();
    case Command::kWorkerHeartbeat:
    case Command::kBrokerHeartbeat:
      return std::make_unique<wire::Heartbeat>();
    case Command::kWelcome:
      return std::make_unique<wire::Welcome>();
    case Command::kDispatch:
      return std::make_unique<wire::Dispatch>();
    case Command::kProgress:
      return std::make_unique<wire::Progress>();
    case Command::kBye:
    case Command::kReconnect:
      return std::make_unique<wire::Empty>();
  }
  return nullptr;
}

bool Within(std::string_view part, std::string_view whole) {
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

// The tasks that read their payload without side effects: sleep, whose
// token is cancelled, returns at once.
const worker::TaskRegistry& Tasks() {
  static const worker::TaskRegistry* const registry = [] {
    auto* tasks = new worker::TaskRegistry;
    JOBQ_CHECK(tasks->Register("echo", worker::TaskKind::kIo, worker::EchoTask).ok());
    JOBQ_CHECK(tasks->Register("noop", worker::TaskKind::kIo, worker::NoopTask).ok());
    JOBQ_CHECK(tasks->Register("sleep", worker::TaskKind::kIo, worker::SleepTask).ok());
    JOBQ_CHECK(tasks->Register("fail", worker::TaskKind::kIo, worker::FailTask).ok());
    return tasks;
  }();
  return *registry;
}

// A job with `payload` for `task`, through a DISPATCH's frames and the
// worker's RunJob(): whatever the payload, an answer, never a crash, and a
// result the worker sends is JSON within the nesting bound.
void RunDispatchedPayload(const std::string& task, const std::string& payload) {
  wire::Dispatch dispatch;
  wire::DispatchedJob& job = *dispatch.add_jobs();
  job.set_id(std::string(16, '\x01'));
  job.set_queue("default");
  job.set_task(task);
  job.set_payload(payload);
  job.set_content_type("application/json");
  job.set_attempt(1);
  const std::string signature(kProtocolSignature);
  const std::string command(1, static_cast<char>(Command::kDispatch));
  const std::string body = dispatch.SerializeAsString();
  const std::vector<std::string_view> frames = {"", signature, command, body};
  const DecodedFrames decoded = DecodeFrames(frames, Channel::kBrokerToWorker, false);
  JOBQ_CHECK(decoded.error == FrameError::kNone) << decoded.ErrorText();
  wire::Dispatch received;
  JOBQ_CHECK(received.ParseFromArray(decoded.body.data(), static_cast<int>(decoded.body.size())));
  worker::CancellationToken cancelled;
  cancelled.Cancel();
  for (const wire::DispatchedJob& each : received.jobs()) {
    const wire::JobResult result = worker::RunJob(Tasks(), each, cancelled);
    JOBQ_CHECK(result.id() == each.id());
    if (result.ok()) {
      JOBQ_CHECK(CheckJsonBounded(result.result()).ok()) << "a result the producer cannot print";
    } else {
      JOBQ_CHECK(!result.error().type().empty());
    }
    nlohmann::json args;
    if (IsJsonTooDeep(ParseJsonBounded(each.payload(), &args)) && task != "noop") {
      JOBQ_CHECK(!result.ok() && result.error().type() == worker::kErrorBadArgs)
          << "a payload too deep must fail as bad_args, got " << result.error().type();
    }
  }
}

}  // namespace
}  // namespace jobq

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Bodies with bad UTF-8 in string fields log a line each: noise here.
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace jobq;
  fuzz::ByteReader in(data, size);
  const uint8_t mode = in.U8();
  if ((mode & 8) != 0) {
    static constexpr std::array<const char*, 4> kTasks = {"echo", "noop", "sleep", "fail"};
    const std::string task = kTasks[in.U8() % kTasks.size()];
    RunDispatchedPayload(task, fuzz::ExpandJson(in.Rest()));
    return 0;
  }
  const auto channel = static_cast<Channel>(mode & 3);
  const bool has_routing_id = (mode & 4) != 0;
  std::vector<std::string_view> frames;
  while (!in.empty()) {
    frames.push_back(in.Bytes(in.U8()));
  }

  const DecodedFrames decoded = DecodeFrames(frames, channel, has_routing_id);
  JOBQ_CHECK(decoded.ErrorText().empty() == (decoded.error == FrameError::kNone));
  if (decoded.error != FrameError::kNone) {
    return 0;
  }

  JOBQ_CHECK(IsCommandAllowed(channel, decoded.command));
  JOBQ_CHECK(std::string_view(CommandName(decoded.command)) != "UNKNOWN");
  // The views point into the frames they came from, never elsewhere.
  JOBQ_CHECK(has_routing_id ? decoded.routing_id.data() == frames[0].data()
                            : decoded.routing_id.empty());
  JOBQ_CHECK(decoded.body.empty() || Within(decoded.body, frames.back()));

  std::unique_ptr<google::protobuf::Message> body = BodyFor(decoded.command);
  JOBQ_CHECK(body != nullptr);
  body->ParseFromArray(decoded.body.data(), static_cast<int>(decoded.body.size()));
  return 0;
}
