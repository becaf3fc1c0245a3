// The JSON Lines input of `jobq submit --file` (producer/cli/job_lines.h):
// the whole input as the file, read the two ways `jobq submit` reads it
// (CheckJobLines first, then JobLineReader), and each job as the broker
// will parse it. Expansion markers (json_expand.h) in the input stand for
// deep nesting, long strings and extreme numbers.

#include <google/protobuf/stubs/logging.h>

#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>

#include "common/check.h"
#include "common/json_depth.h"
#include "producer/cli/job_lines.h"
#include "tests/fuzz/json_expand.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);  // the check below may log bad UTF-8
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace jobq;
  const std::string text =
      fuzz::ExpandJson(std::string_view(reinterpret_cast<const char*>(data), size));

  std::istringstream check_input(text);
  const cli::JobLinesCheck check = cli::CheckJobLines(check_input, /*max_errors=*/3);
  JOBQ_CHECK(check.errors.size() <= 3 && check.errors.size() <= check.invalid_lines);

  // The reader stops at the first invalid line, which the check counted.
  std::istringstream read_input(text);
  cli::JobLineReader reader(read_input);
  uint64_t jobs = 0;
  while (true) {
    absl::StatusOr<std::optional<wire::JobSpec>> job = reader.Next();
    if (!job.ok()) {
      JOBQ_CHECK(check.invalid_lines > 0);
      JOBQ_CHECK(job.status().code() == absl::StatusCode::kInvalidArgument);
      break;
    }
    if (!job->has_value()) {
      JOBQ_CHECK(check.invalid_lines == 0 && jobs == check.jobs);
      break;
    }
    ++jobs;
    const wire::JobSpec& spec = **job;
    JOBQ_CHECK(!spec.task().empty());
    // A job the CLI accepts must be one the broker can decode: a string
    // field with bad UTF-8 would make it refuse the whole batch.
    wire::JobSpec decoded;
    JOBQ_CHECK(decoded.ParseFromString(spec.SerializeAsString()))
        << "the broker must be able to decode an accepted job";
    // And a worker must take its arguments: within the nesting bound.
    nlohmann::json args;
    JOBQ_CHECK(ParseJsonBounded(spec.payload(), &args).ok()) << "payload a worker refuses";
  }
  JOBQ_CHECK(jobs <= check.jobs);
  return 0;
}
