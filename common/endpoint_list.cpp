#include "common/endpoint_list.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace jobq {

absl::StatusOr<std::vector<std::string>> SplitEndpointList(std::string_view list) {
  std::vector<std::string> endpoints;
  int position = 0;
  for (absl::string_view item : absl::StrSplit(absl::string_view(list.data(), list.size()), ',')) {
    ++position;
    const absl::string_view endpoint = absl::StripAsciiWhitespace(item);
    if (endpoint.empty()) {
      return absl::InvalidArgumentError(
          list.find(',') == std::string_view::npos
              ? std::string("the broker endpoint is empty")
              : absl::StrCat("endpoint ", position, " of \"", std::string(list),
                             "\" is empty (separate brokers' endpoints with single commas)"));
    }
    if (std::find(endpoints.begin(), endpoints.end(), endpoint) != endpoints.end()) {
      return absl::InvalidArgumentError(absl::StrCat("the endpoint ", std::string(endpoint),
                                                     " is given twice in \"", std::string(list),
                                                     "\""));
    }
    if (endpoints.size() == kEndpointListMax) {
      return absl::InvalidArgumentError(absl::StrCat("\"", std::string(list), "\" names more than ",
                                                     kEndpointListMax, " brokers"));
    }
    endpoints.emplace_back(endpoint);
  }
  return endpoints;
}

bool IsConnectableEndpoint(std::string_view endpoint) {
  constexpr std::string_view kTcp = "tcp://";
  if (endpoint.starts_with(kTcp)) {
    const std::string_view address = endpoint.substr(kTcp.size());
    const size_t colon = address.rfind(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == address.size()) {
      return false;
    }
    const std::string_view port = address.substr(colon + 1);
    return std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
  }
  for (std::string_view scheme : {"ipc://", "inproc://"}) {
    if (endpoint.starts_with(scheme) && endpoint.size() > scheme.size()) {
      return true;
    }
  }
  return false;
}

}  // namespace jobq
