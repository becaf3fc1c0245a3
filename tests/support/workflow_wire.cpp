#include "tests/support/workflow_wire.h"

#include <chrono>
#include <zmq.hpp>

#include "common/framing.h"
#include "common/transport/zmq_messages.h"
#include "tests/support/wait_for.h"

namespace jobq::testing {

std::optional<wire::WorkflowSubmitted> SendWorkflow(const std::string& frontend,
                                                    const wire::SubmitWorkflow& request) {
  zmq::context_t context(1);
  zmq::socket_t socket(context, zmq::socket_type::dealer);
  socket.set(zmq::sockopt::linger, 0);
  socket.connect(frontend);
  std::string scratch;
  if (!SendMessage(socket, "", Command::kSubmitWorkflow, request, &scratch)) {
    return std::nullopt;
  }
  wire::WorkflowSubmitted answer;
  const bool answered = WaitFor(
      [&] {
        zmq::pollitem_t item{socket.handle(), 0, ZMQ_POLLIN, 0};
        if (zmq::poll(&item, 1, std::chrono::milliseconds(100)) <= 0) {
          return false;
        }
        ReceivedMessage message;
        while (
            ReceiveMessage(socket, Channel::kBrokerToClient, /*has_routing_id=*/false, &message)) {
          if (message.decoded.error == FrameError::kNone &&
              message.decoded.command == Command::kWorkflowSubmitted &&
              answer.ParseFromArray(message.decoded.body.data(),
                                    static_cast<int>(message.decoded.body.size()))) {
            return true;
          }
        }
        return false;
      },
      std::chrono::seconds(30));
  if (!answered) {
    return std::nullopt;
  }
  return answer;
}

}  // namespace jobq::testing
