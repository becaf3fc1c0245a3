// The workflow file of `jobq workflow submit` (producer/cli/workflow_file.h):
// any input is either refused with kInvalidArgument, one problem per line
// and at most kWorkflowFileErrorsMax of them plus the "... and N more" line,
// or becomes a spec the client sends as it is: every node with a task and
// unique, well-formed names once the unnamed ones are named, every parent a
// node, and every payload one a worker takes. Expansion markers
// (json_expand.h) stand for deep nesting, long strings and extreme numbers.

#include <google/protobuf/stubs/logging.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "common/check.h"
#include "common/json_depth.h"
#include "producer/cli/workflow_file.h"
#include "tests/fuzz/json_expand.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);  // the check below may log bad UTF-8
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace jobq;
  const std::string text =
      fuzz::ExpandJson(std::string_view(reinterpret_cast<const char*>(data), size));
  absl::StatusOr<WorkflowSpec> spec = cli::ParseWorkflowFile(text, /*now_ms=*/1'700'000'000'000);
  if (!spec.ok()) {
    JOBQ_CHECK(spec.status().code() == absl::StatusCode::kInvalidArgument) << spec.status();
    const std::string message(spec.status().message());
    JOBQ_CHECK(!message.empty());
    size_t lines = 1;
    for (const char c : message) {
      lines += c == '\n' ? 1 : 0;
    }
    JOBQ_CHECK(lines <= cli::kWorkflowFileErrorsMax + 1) << lines << " lines";
    return 0;
  }
  JOBQ_CHECK(!spec->nodes.empty());
  NameUnnamedNodes(*spec);
  // What the client itself would refuse must have been refused here, bar
  // bad UTF-8 in task, queue or name, which the client checks (and JSON
  // text cannot hold, once parsed).
  const absl::Status checked = CheckWorkflowSpec(*spec);
  JOBQ_CHECK(checked.ok()) << checked;
  for (const WorkflowNode& node : spec->nodes) {
    JOBQ_CHECK(!node.job().task().empty());
    wire::WorkflowNode decoded;
    JOBQ_CHECK(decoded.ParseFromString(node.SerializeAsString()))
        << "the broker must be able to decode an accepted node";
    nlohmann::json args;
    JOBQ_CHECK(ParseJsonBounded(node.job().payload(), &args).ok()) << "payload a worker refuses";
    JOBQ_CHECK(args.is_object()) << "a node with parents needs an object payload";
  }
  return 0;
}
