#include "broker/core/effects.h"

namespace jobq::broker::core {

template <typename Message>
Message& Effects::BatchFor(std::unordered_map<std::string, size_t>& index, Socket socket,
                           const std::string& peer, Command command) {
  auto [it, inserted] = index.try_emplace(peer, outbound.size());
  if (inserted) {
    outbound.push_back(Outbound{socket, peer, command, std::make_unique<Message>()});
  }
  return static_cast<Message&>(*outbound[it->second].body);
}

wire::Dispatch& Effects::DispatchFor(const std::string& worker) {
  return BatchFor<wire::Dispatch>(dispatch_index_, Socket::kBackend, worker, Command::kDispatch);
}

wire::Submitted& Effects::SubmittedFor(const std::string& client) {
  return BatchFor<wire::Submitted>(submitted_index_, Socket::kFrontend, client,
                                   Command::kSubmitted);
}

wire::ClientResults& Effects::ResultsFor(const std::string& client) {
  return BatchFor<wire::ClientResults>(results_index_, Socket::kFrontend, client,
                                       Command::kClientResult);
}

void Effects::Send(Socket socket, const std::string& routing_id, Command command,
                   std::unique_ptr<google::protobuf::Message> body) {
  outbound.push_back(Outbound{socket, routing_id, command, std::move(body)});
}

void Effects::SendError(Socket socket, const std::string& routing_id, wire::ErrorCode code,
                        std::string text) {
  auto error = std::make_unique<wire::Error>();
  error->set_code(code);
  error->set_text(std::move(text));
  Send(socket, routing_id, Command::kError, std::move(error));
}

void Effects::Clear() {
  outbound.clear();
  changed_jobs.clear();
  erased_jobs.clear();
  sentinels_added.clear();
  sentinels_removed.clear();
  dispatch_index_.clear();
  submitted_index_.clear();
  results_index_.clear();
}

}  // namespace jobq::broker::core
