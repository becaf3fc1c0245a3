#pragma once
// Whether a listening address stays on this machine: the test behind
// protected mode (DESIGN.md §9), which refuses a non-loopback listener that
// has no authentication. Pure and thread-safe.
//
// Deliberately strict: only the literal loopback addresses and the name
// "localhost" count. Any other host name counts as non-loopback even when it
// happens to resolve to 127.0.0.1 today, because what a name resolves to can
// change without the broker noticing.

#include <string_view>

namespace jobq {

// True for "localhost" (any case), an IPv4 address in 127.0.0.0/8, "::1"
// (with or without brackets) and an IPv4-mapped 127.x.y.z. False for
// everything else, including "", "*", "0.0.0.0" and "::" (every interface).
bool IsLoopbackHost(std::string_view host);

// The host part of "HOST:PORT", "[V6]:PORT" or "tcp://HOST:PORT"; gRPC's
// "ipv4:" and "ipv6:" prefixes are skipped. Returns "" when there is no
// host (":PORT", which listens on every interface).
std::string_view HostOfAddress(std::string_view address);

// True when a listener on `address` is reachable from this machine only: a
// loopback host, or a Unix domain socket ("unix:PATH", "ipc://PATH",
// "inproc://NAME").
bool IsLoopbackAddress(std::string_view address);

}  // namespace jobq
