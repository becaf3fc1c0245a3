#pragma once
// ZapHandler: the broker's ZeroMQ authentication handler (ZAP, ZeroMQ RFC
// 27). With CURVE on, libzmq asks it about every client that completes a
// CURVE handshake on the frontend or backend, over a REP socket bound to
// inproc://zeromq.zap.01 in the broker's context. Each socket has its own
// ZAP domain, so a producer key is let in on the frontend only and a worker
// key on the backend only; everything else is answered 400, counted, and
// logged (at most a burst of lines per socket every few seconds).
//
// Clients libzmq turns away during the handshake itself, before any ZAP
// request (no CURVE at all, a wrong broker public key, bytes that are not
// ZMTP), are counted and logged the same way: each socket's monitor
// (SocketWatch) hands them to CountHandshakeFailure().
//
// Not thread-safe: the broker loop owns it and calls Serve() when its
// socket is readable. Serve() never blocks: it answers what is queued, each
// request at once from in-memory sets, so a flood of handshakes costs the
// loop little and malformed requests (which only libzmq could send) are
// answered 500 and dropped, never fatal.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <zmq.hpp>

#include "absl/status/status.h"
#include "common/clock.h"
#include "common/curve_keys.h"

namespace jobq::broker::net {

inline constexpr char kZapEndpoint[] = "inproc://zeromq.zap.01";
inline constexpr char kFrontendZapDomain[] = "jobq-frontend";
inline constexpr char kBackendZapDomain[] = "jobq-backend";

enum class ZapSocket { kFrontend, kBackend, kUnknown };

struct ZapVerdict {
  bool allowed = false;
  ZapSocket socket = ZapSocket::kUnknown;
  std::string why;  // for a refusal: what is wrong and what to do
};

// The decision alone, pure: `domain` says which socket the client reached,
// `key` is its raw 32-byte CURVE public key.
ZapVerdict JudgeCurveClient(const curve::ServerKeys& keys, std::string_view domain,
                            std::string_view mechanism, std::string_view key);

// Makes `socket` a CURVE server with `server`'s key pair in ZAP `domain`.
// Call before bind().
[[nodiscard]] absl::Status MakeCurveServer(zmq::socket_t& socket, const curve::KeyPair& server,
                                           const char* domain);

class ZapHandler {
 public:
  // `keys` must outlive the handler.
  ZapHandler(zmq::context_t& context, const curve::ServerKeys* keys);
  ~ZapHandler();

  // Binds the ZAP endpoint. Must happen before the CURVE sockets bind: a
  // handshake that finds no handler would be let in unchecked.
  [[nodiscard]] absl::Status Bind();
  zmq::socket_t& socket() { return socket_; }

  // Answers up to `max_requests` waiting requests without blocking.
  void Serve(TimeMs now_ms, int max_requests);

  // Counts a failed handshake on `socket`: a ZMQ_EVENT_HANDSHAKE_FAILED_
  // PROTOCOL or _NO_DETAIL monitor event, its value and endpoint. Not
  // _AUTH: that is a refusal of this handler, counted in Serve.
  void CountHandshakeFailure(ZapSocket socket, uint16_t event, uint32_t value,
                             std::string_view endpoint, TimeMs now_ms);

  // Refused by the handler or failed in the handshake.
  uint64_t refused(ZapSocket socket) const { return refused_[static_cast<int>(socket)]; }

 private:
  // Counts a refusal and logs it, unless the socket's log window is full.
  void Refuse(ZapSocket socket, TimeMs now_ms, std::string_view key_z85, std::string_view address,
              std::string_view why);

  const curve::ServerKeys* keys_;
  zmq::socket_t socket_;
  uint64_t refused_[3] = {0, 0, 0};  // by ZapSocket
  struct LogWindow {
    TimeMs start_ms = 0;
    int lines = 0;
    uint64_t suppressed = 0;
  };
  LogWindow log_windows_[3];
};

}  // namespace jobq::broker::net
