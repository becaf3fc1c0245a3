#include "broker/net/zap_handler.h"

#include <cstdio>
#include <cstring>
#include <iterator>
#include <utility>
#include <vector>
#include <zmq_addon.hpp>

#include "common/log.h"

namespace jobq::broker::net {
namespace {

// Refusals are logged one line each, up to this many per socket in a
// window; a client retrying a refused key every 100 ms must not flood the log.
constexpr int kLogLinesPerWindow = 10;
constexpr TimeMs kRefusalLogWindowMs = 10'000;

const char* SocketName(ZapSocket socket) {
  switch (socket) {
    case ZapSocket::kFrontend:
      return "frontend";
    case ZapSocket::kBackend:
      return "backend";
    default:
      return "unknown";
  }
}

// What a ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL value means for the operator.
std::string HandshakeFailure(uint32_t protocol_error) {
  switch (protocol_error) {
    case ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH:
      return "the client does not use CURVE: give it --broker-key and --curve-key";
    case ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC:
      return "the client's handshake cannot be decrypted: its --broker-key is not this "
             "broker's public key";
    default: {
      char code[16];
      std::snprintf(code, sizeof(code), "0x%08x", protocol_error);
      return std::string("handshake failed (ZeroMQ protocol error ") + code +
             "): the client is not a jobq client of this version";
    }
  }
}

}  // namespace

ZapVerdict JudgeCurveClient(const curve::ServerKeys& keys, std::string_view domain,
                            std::string_view mechanism, std::string_view key) {
  ZapVerdict verdict;
  if (domain == kFrontendZapDomain) {
    verdict.socket = ZapSocket::kFrontend;
  } else if (domain == kBackendZapDomain) {
    verdict.socket = ZapSocket::kBackend;
  } else {
    verdict.why = "unknown ZAP domain";
    return verdict;
  }
  if (mechanism != "CURVE" || key.size() != curve::kKeyBytes) {
    // The sockets are CURVE servers, so libzmq asks only about CURVE
    // clients; anything else is refused rather than trusted.
    verdict.why = "not a CURVE client";
    return verdict;
  }
  const bool frontend = verdict.socket == ZapSocket::kFrontend;
  const curve::AllowList& allowed = frontend ? keys.producers : keys.workers;
  if (allowed.count(std::string(key)) > 0) {
    verdict.allowed = true;
    return verdict;
  }
  const curve::AllowList& other = frontend ? keys.workers : keys.producers;
  if (other.count(std::string(key)) > 0) {
    verdict.why = frontend ? "a worker key (in --worker-keys) on the producer socket"
                           : "a producer key (in --producer-keys) on the worker socket";
  } else {
    verdict.why = frontend ? "not in --producer-keys: add it there to let this producer in"
                           : "not in --worker-keys: add it there to let this worker in";
  }
  return verdict;
}

absl::Status MakeCurveServer(zmq::socket_t& socket, const curve::KeyPair& server,
                             const char* domain) {
  const int on = 1;
  if (zmq_setsockopt(socket.handle(), ZMQ_CURVE_SERVER, &on, sizeof(on)) != 0 ||
      zmq_setsockopt(socket.handle(), ZMQ_CURVE_SECRETKEY, server.secret_key.data(),
                     server.secret_key.size()) != 0 ||
      zmq_setsockopt(socket.handle(), ZMQ_ZAP_DOMAIN, domain,
                     std::char_traits<char>::length(domain)) != 0) {
    return absl::FailedPreconditionError(std::string("cannot turn CURVE on: ") +
                                         zmq_strerror(zmq_errno()) +
                                         " (is libzmq built with CURVE/libsodium?)");
  }
  return absl::OkStatus();
}

ZapHandler::ZapHandler(zmq::context_t& context, const curve::ServerKeys* keys)
    : keys_(keys), socket_(context, zmq::socket_type::rep) {
  socket_.set(zmq::sockopt::linger, 0);
}

ZapHandler::~ZapHandler() = default;

absl::Status ZapHandler::Bind() {
  try {
    socket_.bind(kZapEndpoint);
  } catch (const zmq::error_t& error) {
    return absl::InternalError(std::string("cannot start the CURVE authentication handler on ") +
                               kZapEndpoint + ": " + error.what());
  }
  return absl::OkStatus();
}

void ZapHandler::Refuse(ZapSocket socket, TimeMs now_ms, std::string_view key_z85,
                        std::string_view address, std::string_view why) {
  ++refused_[static_cast<int>(socket)];
  LogWindow& window = log_windows_[static_cast<int>(socket)];
  if (now_ms - window.start_ms >= kRefusalLogWindowMs) {
    window.start_ms = now_ms;
    window.lines = 0;
  }
  if (window.lines >= kLogLinesPerWindow) {
    ++window.suppressed;
    return;
  }
  ++window.lines;
  JOBQ_LOG(kWarning, "broker", "auth_refused")
      .Kv("socket", SocketName(socket))
      .Kv("key", key_z85)
      .Kv("address", address)
      .Kv("why", why)
      .Kv("suppressed", window.suppressed);
  window.suppressed = 0;
}

void ZapHandler::CountHandshakeFailure(ZapSocket socket, uint16_t event, uint32_t value,
                                       std::string_view endpoint, TimeMs now_ms) {
  // _NO_DETAIL is a client gone mid-handshake: a client without CURVE sees
  // the mismatch too and may hang up before the broker reads its mechanism
  // (the jobq CLI does, at once), and a healthy client finishes its
  // handshake within milliseconds.
  if (event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) {
    Refuse(socket, now_ms, "(none)", endpoint, HandshakeFailure(value));
  } else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) {
    Refuse(socket, now_ms, "(none)", endpoint,
           "the client hung up during the handshake: it may not use CURVE (give it "
           "--broker-key and --curve-key) or may have a wrong --broker-key");
  }
}

// Requests are [version "1.0"] [request id] [domain] [address] [routing id]
// [mechanism] [credentials...] (REP strips the envelope); the reply is
// [version] [request id] [status code] [status text] [user id] [metadata].
void ZapHandler::Serve(TimeMs now_ms, int max_requests) {
  for (int i = 0; i < max_requests; ++i) {
    std::vector<zmq::message_t> frames;
    try {
      if (!zmq::recv_multipart(socket_, std::back_inserter(frames), zmq::recv_flags::dontwait)) {
        return;
      }
    } catch (const zmq::error_t& error) {
      JOBQ_LOG(kWarning, "broker", "zap_receive_failed").Kv("why", error.what());
      return;
    }
    const std::string request_id = frames.size() > 1 ? frames[1].to_string() : "";
    std::string code = "400";
    std::string text;
    std::string user_id;
    if (frames.size() < 7 || frames[0].to_string_view() != "1.0") {
      // Only libzmq talks to this socket; a malformed request is a bug
      // there, answered and dropped. REP must still reply to go on.
      code = "500";
      text = "malformed ZAP request";
      JOBQ_LOG(kWarning, "broker", "zap_malformed_request").Kv("frames", frames.size());
    } else {
      const std::string_view domain = frames[2].to_string_view();
      const std::string_view address = frames[3].to_string_view();
      const std::string_view mechanism = frames[5].to_string_view();
      const std::string_view key = frames[6].to_string_view();
      const ZapVerdict verdict = JudgeCurveClient(*keys_, domain, mechanism, key);
      if (verdict.allowed) {
        code = "200";
        text = "OK";
        user_id = curve::ToZ85(key);
      } else {
        text = verdict.why;
        Refuse(verdict.socket, now_ms,
               key.size() == curve::kKeyBytes ? curve::ToZ85(key) : "(none)", address, verdict.why);
      }
    }
    try {
      std::vector<zmq::const_buffer> reply = {zmq::buffer(std::string_view("1.0")),
                                              zmq::buffer(request_id),
                                              zmq::buffer(code),
                                              zmq::buffer(text),
                                              zmq::buffer(user_id),
                                              zmq::const_buffer()};
      // An inproc REP reply to libzmq's own session never waits for room.
      (void)zmq::send_multipart(socket_, reply, zmq::send_flags::dontwait);
    } catch (const zmq::error_t& error) {
      JOBQ_LOG(kWarning, "broker", "zap_reply_failed").Kv("why", error.what());
    }
  }
}

}  // namespace jobq::broker::net
