#include "producer/cli/addresses.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace jobq::cli {

std::string ResolveAddress(std::string_view command_flag, std::string_view global_flag,
                           const char* env_value, std::string_view fallback) {
  if (!command_flag.empty()) {
    return std::string(command_flag);
  }
  if (!global_flag.empty()) {
    return std::string(global_flag);
  }
  if (env_value != nullptr && env_value[0] != '\0') {
    return env_value;
  }
  return std::string(fallback);
}

std::string NormalizeBrokerEndpoint(std::string_view address) {
  std::vector<std::string> endpoints;
  for (absl::string_view item :
       absl::StrSplit(absl::string_view(address.data(), address.size()), ',')) {
    const absl::string_view endpoint = absl::StripAsciiWhitespace(item);
    endpoints.push_back(endpoint.empty() || absl::StrContains(endpoint, "://")
                            ? std::string(endpoint)
                            : absl::StrCat("tcp://", endpoint));
  }
  // Empty items stay, for the client's check to name.
  return absl::StrJoin(endpoints, ",");
}

}  // namespace jobq::cli
