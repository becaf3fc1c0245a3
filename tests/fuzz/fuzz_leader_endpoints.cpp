// The leader's endpoints as the shared store keeps them (broker/leader/
// leader_endpoints.h): text any client of the database could have written,
// read by every standby. Decoding never fails or throws, and whatever it
// gives survives a round trip.

#include <cstdint>
#include <string_view>

#include "broker/leader/leader_endpoints.h"
#include "common/check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using jobq::broker::leader::DecodeEndpoints;
  using jobq::broker::leader::EncodeEndpoints;
  using jobq::broker::leader::LeaderEndpoints;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const LeaderEndpoints decoded = DecodeEndpoints(text);
  const LeaderEndpoints again = DecodeEndpoints(EncodeEndpoints(decoded));
  JOBQ_CHECK(again.frontend == decoded.frontend);
  JOBQ_CHECK(again.backend == decoded.backend);
  JOBQ_CHECK(again.admin == decoded.admin);
  return 0;
}
