#include "broker/leader/leader_endpoints.h"

#include <nlohmann/json.hpp>

#include "common/json_depth.h"

namespace jobq::broker::leader {

std::string EncodeEndpoints(const LeaderEndpoints& endpoints) {
  const nlohmann::ordered_json object = {
      {"frontend", endpoints.frontend}, {"backend", endpoints.backend}, {"admin", endpoints.admin}};
  // Replaced, not thrown on: an ipc:// path may be any bytes.
  return object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

LeaderEndpoints DecodeEndpoints(std::string_view text) {
  nlohmann::json object;
  LeaderEndpoints endpoints;
  // Bounded: a deep document would be parsed, then overflow a copy's stack.
  if (!ParseJsonBounded(text, &object, /*depth_max=*/4).ok() || !object.is_object()) {
    return endpoints;
  }
  auto field = [&object](const char* name) -> std::string {
    auto found = object.find(name);
    return found != object.end() && found->is_string() ? found->get<std::string>() : "";
  };
  endpoints.frontend = field("frontend");
  endpoints.backend = field("backend");
  endpoints.admin = field("admin");
  return endpoints;
}

}  // namespace jobq::broker::leader
