#pragma once
// Answer: how every unary admin RPC runs. It checks the caller's token and
// the request, hands the request to the loop (BrokerControl), and returns
// the call's reactor at once; the loop's reply finishes the call. Shared by
// the files that implement AdminService's RPCs.

#include <grpcpp/grpcpp.h>

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "broker/admin/admin_auth.h"

namespace jobq::broker::admin {

// absl and gRPC share the canonical status codes and their numbers.
inline grpc::Status ToGrpc(const absl::Status& status) {
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

// Checks `request`, asks the loop, and returns: the loop's reply finishes
// the call, on the loop's thread. `response` is gRPC's, alive until Finish.
template <typename Request, typename Response, typename Normalize, typename Ask>
grpc::ServerUnaryReactor* Answer(AdminAuth* auth, const char* rpc,
                                 grpc::CallbackServerContext* context, const Request& request,
                                 Response* response, Normalize normalize, Ask ask) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (grpc::Status refused = auth->Check(*context, rpc); !refused.ok()) {
    reactor->Finish(refused);
    return reactor;
  }
  Request checked = request;
  if (absl::Status valid = normalize(&checked); !valid.ok()) {
    reactor->Finish(ToGrpc(valid));
    return reactor;
  }
  ask(checked, [reactor, response](absl::StatusOr<Response> answer) {
    if (!answer.ok()) {
      reactor->Finish(ToGrpc(answer.status()));
      return;
    }
    *response = *std::move(answer);
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

}  // namespace jobq::broker::admin
