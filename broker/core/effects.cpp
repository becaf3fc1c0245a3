#include "broker/core/effects.h"

namespace jobq::broker::core {
namespace {

// Kept per kind of batch: about one per connected peer is enough for a
// steady stream.
constexpr size_t kRecycledMax = 64;
// A batch that carried big payloads would keep their buffers: let it go.
constexpr int kRecycledBytesMax = 1 << 20;

}  // namespace

template <typename Message>
Message& Effects::BatchFor(std::unordered_map<std::string, size_t>& index, Socket socket,
                           const std::string& peer, Command command) {
  auto [it, inserted] = index.try_emplace(peer, outbound.size());
  if (inserted) {
    std::vector<std::unique_ptr<google::protobuf::Message>>& recycled = RecycledFor(command);
    std::unique_ptr<google::protobuf::Message> body;
    if (recycled.empty()) {
      body = std::make_unique<Message>();
    } else {
      body = std::move(recycled.back());
      recycled.pop_back();
    }
    outbound.push_back(Outbound{socket, peer, command, std::move(body)});
  }
  return static_cast<Message&>(*outbound[it->second].body);
}

std::vector<std::unique_ptr<google::protobuf::Message>>& Effects::RecycledFor(Command command) {
  switch (command) {
    case Command::kDispatch:
      return recycled_dispatch_;
    case Command::kSubmitted:
      return recycled_submitted_;
    default:
      return recycled_results_;
  }
}

void Effects::Recycle(Outbound& out) {
  const bool batch = out.command == Command::kDispatch || out.command == Command::kSubmitted ||
                     out.command == Command::kClientResult;
  // GetCachedSize is the size of the last serialization: 0 for a message
  // never sent, which is small anyway.
  if (!batch || out.body == nullptr || out.body->GetCachedSize() > kRecycledBytesMax) {
    return;
  }
  std::vector<std::unique_ptr<google::protobuf::Message>>& recycled = RecycledFor(out.command);
  if (recycled.size() >= kRecycledMax) {
    return;
  }
  out.body->Clear();
  recycled.push_back(std::move(out.body));
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
  for (Outbound& out : outbound) {
    Recycle(out);
  }
  outbound.clear();
  changed_jobs.clear();
  erased_jobs.clear();
  sentinels_added.clear();
  sentinels_removed.clear();
  changed_schedules.clear();
  erased_schedules.clear();
  changed_workflows.clear();
  erased_workflows.clear();
  limits_changed.clear();
  dispatch_index_.clear();
  submitted_index_.clear();
  results_index_.clear();
}

}  // namespace jobq::broker::core
