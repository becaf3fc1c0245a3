#pragma once
// A --broker value that names several brokers sharing one store: ZeroMQ
// endpoints separated by commas ("tcp://a:5555,tcp://b:5555"). Only the
// leader accepts connections (docs/protocol.md, "Several brokers"), so a
// client or worker connects to them all and talks to whichever does.
// Pure; thread-safe.

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace jobq {

// More brokers than this on one store is a mistake in the list, not a setup.
inline constexpr size_t kEndpointListMax = 16;

// The endpoints of `list`, in order, each without the spaces around it.
// InvalidArgument, naming the item, for an empty item, one given twice, or
// more than kEndpointListMax. The items themselves are not checked: the
// caller's own rules, or ZeroMQ's connect(), judge them.
absl::StatusOr<std::vector<std::string>> SplitEndpointList(std::string_view list);

// Whether `endpoint` is one a peer can connect to: tcp://HOST:PORT,
// ipc://PATH or inproc://NAME. Host names are resolved later, by ZeroMQ;
// this catches the typos that would otherwise only show as a peer that
// never connects.
bool IsConnectableEndpoint(std::string_view endpoint);

}  // namespace jobq
