// The payload of `jobq submit TASK --json TEXT --arg KEY=VALUE...`
// (producer/cli/job_args.h), built and serialized as submit_command.cpp does.
//
// Input: lines. With the first byte odd, the first line is --json's text;
// every other line is one --arg (the first byte, a mode, is dropped).
// Expansion markers (json_expand.h) in the lines stand for deep nesting,
// long strings and extreme numbers.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/check.h"
#include "common/json_depth.h"
#include "producer/cli/job_args.h"
#include "tests/fuzz/fuzz_input.h"
#include "tests/fuzz/json_expand.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using Json = nlohmann::ordered_json;
  jobq::fuzz::ByteReader in(data, size);
  const bool has_json = (in.U8() & 1) != 0;
  const std::vector<std::string> lines = jobq::fuzz::SplitLines(jobq::fuzz::ExpandJson(in.Rest()));
  std::optional<std::string> json_text;
  auto args_begin = lines.begin();
  if (has_json && !lines.empty()) {
    json_text = *args_begin++;
  }
  const std::vector<std::string> args(args_begin, lines.end());

  absl::StatusOr<Json> object = jobq::cli::BuildArgsObject(json_text, args);
  if (!object.ok()) {
    JOBQ_CHECK(object.status().code() == absl::StatusCode::kInvalidArgument);
    return 0;
  }
  JOBQ_CHECK(object->is_object());
  // The payload goes to a task that parses it as JSON with the nesting
  // bound: it must be JSON the worker takes, whatever the arguments held.
  const std::string payload = object->dump(-1, ' ', false, Json::error_handler_t::replace);
  Json again;
  JOBQ_CHECK(jobq::ParseJsonBounded(payload, &again).ok() && again.is_object());
  return 0;
}
