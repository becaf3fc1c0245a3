#pragma once
// AdminAuth: the bearer-token check of the admin service (--admin-tokens).
// Each RPC handler of jobq.admin.Admin calls Check first; an RPC the role
// table (rpc_roles.h) does not know is refused to every token. Without
// tokens the service is open, as it was before tokens existed (protected
// mode keeps such a broker on loopback).
//
// Why per-RPC checks rather than a grpc::AuthMetadataProcessor: a processor
// sees neither the method name (so it cannot tell read from admin RPCs) nor
// works on a plaintext port, and the health and reflection services must
// stay open on the same port.
//
// Thread-safe: the tokens never change after construction, the refusal
// counters are atomics; Check runs on gRPC's threads.

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "broker/admin/admin_tokens.h"
#include "jobq/admin.pb.h"

namespace jobq::broker::admin {

// Why a call was refused; the `reason` label of jobq_admin_auth_refused_total.
enum class AuthRefusal { kNone, kMissing, kUnknown, kForbidden };

class AdminAuth {
 public:
  // No tokens: every call is allowed.
  explicit AdminAuth(std::vector<AdminToken> tokens = {});

  bool enabled() const { return !tokens_.empty(); }

  // The decision for a call of `rpc` (a method name, "CancelJobs") whose
  // "authorization" metadata is `authorization` (nullopt: absent). OK, or
  // UNAUTHENTICATED (missing or unknown token) or PERMISSION_DENIED (a read
  // token on an admin RPC, or an RPC not in the role table) with the message
  // to send back; `*refusal` says which. Pure: counts nothing.
  absl::Status Decide(std::optional<std::string_view> authorization, std::string_view rpc,
                      AuthRefusal* refusal) const;

  // Decide on the call's metadata, counting a refusal. The status to finish
  // the call with when not OK.
  grpc::Status Check(const grpc::ServerContextBase& context, std::string_view rpc);

  // The role of `token` (as presented, without "Bearer "); nullopt when no
  // token matches. Compares every token, like Decide. For the dashboard's
  // login (broker/http), which turns a token into a session.
  std::optional<AdminRole> RoleOf(std::string_view token) const;

  // The refusals so far, into the status snapshot (and so /metrics).
  void FillRefusals(::jobq::admin::AdminAuthRefusals* refusals) const;

 private:
  std::vector<AdminToken> tokens_;
  std::atomic<uint64_t> missing_{0};
  std::atomic<uint64_t> unknown_{0};
  std::atomic<uint64_t> forbidden_{0};
};

// Compares in time that depends on the lengths only, not on where the
// first difference is, so that timing the refusals does not reveal a token
// character by character.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace jobq::broker::admin
