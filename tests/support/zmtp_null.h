#pragma once

// Just enough ZMTP 3.0 (NULL mechanism) over a plain descriptor for a test
// to play a peer byte by byte: one that starts a frame and never ends it,
// or a broker that accepts a connection and closes it unanswered.

#include <cstddef>
#include <string>
#include <string_view>

namespace jobq::testing {

// False when the peer closed the connection (or the descriptor's timeout
// passed) first.
bool SendAll(int fd, std::string_view bytes);
bool ReceiveExactly(int fd, size_t count, std::string* bytes = nullptr);

// Greeting and READY both ways, as a ZeroMQ socket of `socket_type`
// ("DEALER", "ROUTER") would. Works from either end: each side sends first.
bool ZmtpNullHandshake(int fd, std::string_view socket_type);

}  // namespace jobq::testing
