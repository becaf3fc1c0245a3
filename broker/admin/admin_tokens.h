#pragma once
// The bearer tokens of the admin service (jobq-broker --admin-tokens FILE).
//
// File format, one token per line:
//   read TOKEN     # may call the RPCs that change nothing (status, lists, watch, results)
//   admin TOKEN    # may call every RPC
// Blank lines and lines starting with '#' are ignored. A token is 16 to 4096
// printable ASCII characters without spaces (it travels as an HTTP/2 header
// value); `openssl rand -hex 32` makes a good one. Pure; thread-safe.

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "broker/admin/rpc_roles.h"

namespace jobq::broker::admin {

struct AdminToken {
  AdminRole role = AdminRole::kRead;
  std::string token;
};

// Shorter tokens can be guessed by trying: a broker refuses them at start.
inline constexpr size_t kMinTokenLength = 16;
inline constexpr size_t kMaxTokenLength = 4096;

// Parses the text of a tokens file; `file` names it in errors, which say
// "FILE:LINE: what is wrong and what to write instead". A file without any
// token is an error too (nobody could call the service).
absl::StatusOr<std::vector<AdminToken>> ParseAdminTokens(std::string_view text,
                                                         std::string_view file);

// Reads and parses `path`; an unreadable file is an error naming it.
absl::StatusOr<std::vector<AdminToken>> LoadAdminTokens(const std::string& path);

}  // namespace jobq::broker::admin
