#pragma once
// MessageSink: where a ClientSession's messages to the broker go. IoLoop's
// is the DEALER socket; a test's records them. The session asks Ready()
// before each message and stops at the first one refused, so it never
// builds a message the connection cannot take now.
//
// Used by one thread, the session's.

#include <google/protobuf/message_lite.h>

#include "common/framing.h"

namespace jobq::client_internal {

class MessageSink {
 public:
  virtual ~MessageSink() = default;

  // Whether a message would be taken now (the socket is writable).
  virtual bool Ready() = 0;
  // Sends `command` with `body`. False when it was refused: the connection
  // broke after Ready() said yes, before the monitor told the session.
  virtual bool Send(Command command, const google::protobuf::MessageLite& body) = 0;
};

}  // namespace jobq::client_internal
