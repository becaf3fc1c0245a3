#include "tests/multihost/multihost_support.h"

namespace jobq::testing {

std::string MakeTopology(std::unique_ptr<NetnsTopology>* topology) {
  if (std::string why = NetnsUnavailableReason(); !why.empty()) {
    return why;
  }
  try {
    *topology = std::make_unique<NetnsTopology>();
  } catch (const NetnsError& e) {
    return std::string(
               "cannot create network namespaces (`ip netns add` failed), so the multi-host "
               "tests cannot run here: ") +
           e.what();
  }
  return "";
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::string Tail(const std::string& text, size_t max_chars) {
  return text.size() <= max_chars ? text : "..." + text.substr(text.size() - max_chars);
}

}  // namespace jobq::testing
