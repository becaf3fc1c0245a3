#pragma once
// Sending and receiving jobq envelopes (common/framing.h) on ZeroMQ sockets.
// The only place outside broker/net that knows cppzmq's calling conventions:
// cppzmq throws zmq::error_t and returns an empty optional on EAGAIN.
//
// A socket is used by one thread at a time, so are these helpers.

#include <google/protobuf/message_lite.h>

#include <string>
#include <string_view>
#include <vector>
#include <zmq.hpp>

#include "common/framing.h"

namespace jobq {

// One received multipart message and its decoded envelope. The views in
// `decoded` point into `frames`; keep them together.
struct ReceivedMessage {
  std::vector<zmq::message_t> frames;
  DecodedFrames decoded;
};

// Receives one whole message without blocking. False when none is waiting.
// A message with bad frames is still returned, with decoded.error set.
bool ReceiveMessage(zmq::socket_t& socket, Channel channel, bool has_routing_id,
                    ReceivedMessage* message);

// Sends [routing_id] [""] [signature] [command] [body]. `routing_id` empty:
// no routing frame (DEALER side). `scratch` is reused to serialize the body.
// Returns false when ZeroMQ could not take it (peer gone with
// ROUTER_MANDATORY, or the high-water mark reached).
bool SendMessage(zmq::socket_t& socket, std::string_view routing_id, Command command,
                 const google::protobuf::MessageLite& body, std::string* scratch);

// Same with a body already serialized.
bool SendRaw(zmq::socket_t& socket, std::string_view routing_id, Command command,
             std::string_view body);

}  // namespace jobq
