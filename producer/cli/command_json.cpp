#include "producer/cli/command_json.h"

#include <nlohmann/json.hpp>
#include <vector>

namespace jobq::cli {
namespace {

// Queue and worker names are the senders' bytes: invalid UTF-8 is replaced
// rather than allowed to abort the dump.
std::string Dump(const nlohmann::ordered_json& json) {
  return json.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace

std::string FormatPurgeJson(const std::string& queue, const admin::PurgeQueueResponse& response) {
  return Dump({{"queue", queue}, {"cancelled", response.cancelled()}});
}

std::string FormatPauseJson(const std::string& queue, bool paused) {
  return Dump({{"queue", queue}, {"paused", paused}});
}

std::string FormatDrainJson(const std::string& worker, const admin::DrainWorkerResponse& response) {
  return Dump(
      {{"worker", worker},
       {"queues", std::vector<std::string>(response.queues().begin(), response.queues().end())},
       {"in_flight", response.in_flight()}});
}

}  // namespace jobq::cli
