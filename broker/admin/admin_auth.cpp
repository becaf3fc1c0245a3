#include "broker/admin/admin_auth.h"

#include <algorithm>
#include <cctype>

#include "broker/admin/rpc_roles.h"

namespace jobq::broker::admin {
namespace {

bool StartsWithIgnoreCase(std::string_view text, std::string_view lower_prefix) {
  if (text.size() < lower_prefix.size()) {
    return false;
  }
  for (size_t i = 0; i < lower_prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != lower_prefix[i]) {
      return false;
    }
  }
  return true;
}

}  // namespace

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  const size_t length = std::max(a.size(), b.size());
  // Volatile keeps the compiler from ending the loop at the first difference.
  volatile unsigned char difference = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < length; ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    difference = difference | static_cast<unsigned char>(x ^ y);
  }
  return difference == 0;
}

AdminAuth::AdminAuth(std::vector<AdminToken> tokens) : tokens_(std::move(tokens)) {}

absl::Status AdminAuth::Decide(std::optional<std::string_view> authorization, std::string_view rpc,
                               AuthRefusal* refusal) const {
  *refusal = AuthRefusal::kNone;
  if (!enabled()) {
    return absl::OkStatus();
  }
  // RFC 6750: the scheme is case-insensitive, one space before the token.
  constexpr std::string_view kScheme = "bearer ";
  if (!authorization.has_value() || authorization->size() <= kScheme.size() ||
      !StartsWithIgnoreCase(*authorization, kScheme)) {
    *refusal = AuthRefusal::kMissing;
    return absl::UnauthenticatedError("missing bearer token: set JOBQ_TOKEN or --token-file");
  }
  const std::string_view presented = authorization->substr(kScheme.size());
  // Every token is compared, whichever matches, so the time taken does not
  // say which one did.
  const AdminToken* match = nullptr;
  for (const AdminToken& token : tokens_) {
    if (ConstantTimeEquals(presented, token.token)) {
      match = &token;
    }
  }
  if (match == nullptr) {
    *refusal = AuthRefusal::kUnknown;
    return absl::UnauthenticatedError("token not recognised by this broker");
  }
  const std::optional<AdminRole> needed = RequiredRole(rpc);
  if (!needed.has_value()) {
    *refusal = AuthRefusal::kForbidden;
    std::string message = "no token may call ";
    message += rpc;
    message += ": it is missing from the broker's table of roles (broker/admin/rpc_roles.cpp)";
    return absl::PermissionDeniedError(message);
  }
  if (*needed == AdminRole::kAdmin && match->role != AdminRole::kAdmin) {
    *refusal = AuthRefusal::kForbidden;
    std::string message = "this token is read-only; ";
    message += rpc;
    message += " needs an admin token";
    return absl::PermissionDeniedError(message);
  }
  return absl::OkStatus();
}

grpc::Status AdminAuth::Check(const grpc::ServerContextBase& context, std::string_view rpc) {
  if (!enabled()) {
    return grpc::Status::OK;
  }
  std::optional<std::string_view> authorization;
  const auto& metadata = context.client_metadata();
  if (auto found = metadata.find("authorization"); found != metadata.end()) {
    authorization = std::string_view(found->second.data(), found->second.size());
  }
  AuthRefusal refusal = AuthRefusal::kNone;
  const absl::Status decided = Decide(authorization, rpc, &refusal);
  switch (refusal) {
    case AuthRefusal::kNone:
      return grpc::Status::OK;
    case AuthRefusal::kMissing:
      missing_.fetch_add(1, std::memory_order_relaxed);
      break;
    case AuthRefusal::kUnknown:
      unknown_.fetch_add(1, std::memory_order_relaxed);
      break;
    case AuthRefusal::kForbidden:
      forbidden_.fetch_add(1, std::memory_order_relaxed);
      break;
  }
  return grpc::Status(static_cast<grpc::StatusCode>(decided.code()),
                      std::string(decided.message()));
}

std::optional<AdminRole> AdminAuth::RoleOf(std::string_view token) const {
  std::optional<AdminRole> role;
  for (const AdminToken& known : tokens_) {
    if (ConstantTimeEquals(token, known.token)) {
      role = known.role;
    }
  }
  return role;
}

void AdminAuth::FillRefusals(::jobq::admin::AdminAuthRefusals* refusals) const {
  refusals->set_missing(missing_.load(std::memory_order_relaxed));
  refusals->set_unknown(unknown_.load(std::memory_order_relaxed));
  refusals->set_forbidden(forbidden_.load(std::memory_order_relaxed));
}

}  // namespace jobq::broker::admin
