#include "common/transport/zmq_messages.h"

#include <array>

namespace jobq {

bool ReceiveMessage(zmq::socket_t& socket, Channel channel, bool has_routing_id,
                    ReceivedMessage* message) {
  message->frames.clear();
  while (true) {
    zmq::message_t frame;
    auto received = socket.recv(
        frame, message->frames.empty() ? zmq::recv_flags::dontwait : zmq::recv_flags::none);
    if (!received) {
      return false;
    }
    bool more = frame.more();
    message->frames.push_back(std::move(frame));
    if (!more) {
      break;
    }
  }
  std::vector<std::string_view> views;
  views.reserve(message->frames.size());
  for (const auto& frame : message->frames) {
    views.emplace_back(frame.data<char>(), frame.size());
  }
  message->decoded = DecodeFrames(views, channel, has_routing_id);
  return true;
}

bool SendRaw(zmq::socket_t& socket, std::string_view routing_id, Command command,
             std::string_view body) {
  const uint8_t command_byte = static_cast<uint8_t>(command);
  try {
    // Only the first frame can be refused (high-water mark, or no peer on a
    // DEALER); once it is taken, ZeroMQ takes the rest of the message.
    if (!routing_id.empty()) {
      if (!socket.send(zmq::buffer(routing_id),
                       zmq::send_flags::sndmore | zmq::send_flags::dontwait)) {
        return false;
      }
      socket.send(zmq::const_buffer(nullptr, 0), zmq::send_flags::sndmore);
    } else if (!socket.send(zmq::const_buffer(nullptr, 0),
                            zmq::send_flags::sndmore | zmq::send_flags::dontwait)) {
      return false;
    }
    socket.send(zmq::buffer(kProtocolSignature), zmq::send_flags::sndmore);
    socket.send(zmq::const_buffer(&command_byte, 1), zmq::send_flags::sndmore);
    socket.send(zmq::buffer(body), zmq::send_flags::none);
  } catch (const zmq::error_t&) {
    // EHOSTUNREACH with ZMQ_ROUTER_MANDATORY: the peer has gone.
    return false;
  }
  return true;
}

bool SendMessage(zmq::socket_t& socket, std::string_view routing_id, Command command,
                 const google::protobuf::MessageLite& body, std::string* scratch) {
  scratch->clear();
  body.AppendToString(scratch);
  return SendRaw(socket, routing_id, command, *scratch);
}

}  // namespace jobq
