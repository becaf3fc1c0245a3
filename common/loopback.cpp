#include "common/loopback.h"

#include <arpa/inet.h>

#include <cctype>
#include <cstring>
#include <string>

namespace jobq {
namespace {

// Debian's abseil has its own string_view, so its helpers do not take ours.
bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

bool IsLoopbackHost(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (EqualsIgnoreCase(host, "localhost")) {
    return true;
  }
  const std::string text(host);  // inet_pton needs a terminated string
  in_addr v4{};
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
    static const in6_addr kLoopback = IN6ADDR_LOOPBACK_INIT;
    if (std::memcmp(&v6, &kLoopback, sizeof(v6)) == 0) {
      return true;
    }
    // ::ffff:127.x.y.z reaches the IPv4 loopback.
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
  }
  return false;
}

std::string_view HostOfAddress(std::string_view address) {
  for (std::string_view prefix : {"tcp://", "ipv4:", "ipv6:"}) {
    if (StartsWith(address, prefix)) {
      address.remove_prefix(prefix.size());
      break;
    }
  }
  if (!address.empty() && address.front() == '[') {
    const size_t close = address.find(']');
    return close == std::string_view::npos ? address : address.substr(0, close + 1);
  }
  const size_t colon = address.rfind(':');
  return colon == std::string_view::npos ? address : address.substr(0, colon);
}

bool IsLoopbackAddress(std::string_view address) {
  for (std::string_view local : {"unix:", "unix-abstract:", "ipc://", "inproc://"}) {
    if (StartsWith(address, local)) {
      return true;
    }
  }
  return IsLoopbackHost(HostOfAddress(address));
}

}  // namespace jobq
