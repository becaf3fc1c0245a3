#pragma once
// LeaderEndpoints: where the leader serves, kept with its lease in the store
// so that standbys and `jobq status` can say whom to ask. Encoded as a JSON
// object ({"frontend": ..., "backend": ..., "admin": ...}); decoding is
// lenient because the text comes from a shared database: a field that is
// missing or not a string is empty, and text that is not a JSON object
// decodes to all-empty rather than failing the standby.

#include <string>
#include <string_view>

namespace jobq::broker::leader {

struct LeaderEndpoints {
  std::string frontend;
  std::string backend;
  std::string admin;
};

std::string EncodeEndpoints(const LeaderEndpoints& endpoints);
LeaderEndpoints DecodeEndpoints(std::string_view text);

}  // namespace jobq::broker::leader
