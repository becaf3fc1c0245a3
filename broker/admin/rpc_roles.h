#pragma once
// Which token role each RPC of jobq.admin.Admin needs (--admin-tokens).
// One table, so that a reviewer sees every RPC's role in one place, and a
// unit test checks it against the service as compiled from admin.proto: an
// RPC added to the proto but not to the table is refused to every token
// (RequiredRole answers nullopt), never allowed by default.
// grpc.health.v1 and server reflection are not in the table: they are
// separate services and stay open (probes, tools). Pure; thread-safe.

#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace jobq::broker::admin {

// kAdmin includes everything kRead may do.
enum class AdminRole { kRead, kAdmin };

// "read" or "admin", as written in the tokens file.
std::string_view RoleName(AdminRole role);

// Every RPC of jobq.admin.Admin by its method name ("CancelJobs"), with
// the role it needs: kRead for RPCs that change nothing, kAdmin for the rest.
const std::vector<std::pair<std::string_view, AdminRole>>& AdminRpcRoles();

// The role `rpc` (a method name, "GetStatus") needs; nullopt when the RPC
// is not in the table, which the caller must treat as "nobody may".
std::optional<AdminRole> RequiredRole(std::string_view rpc);

}  // namespace jobq::broker::admin
