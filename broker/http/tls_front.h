#pragma once
// TlsFront: HTTPS for the dashboard when civetweb cannot do TLS itself
// (Debian 12's civetweb 1.15 cannot load OpenSSL 3). It listens on the
// public address, does the TLS handshake with OpenSSL (linked, not
// loaded), and relays each connection's plaintext to civetweb's listener
// on loopback. One thread per connection, at most `connections_max`; a
// handshake, read or write that takes longer than `timeout_ms` ends the
// connection, so a slow or stalled client holds only its own thread.
//
// Start and Stop are called from one thread; the relays run on their own.

#include <atomic>
#include <cstddef>
#include <list>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/status.h"

struct ssl_ctx_st;

namespace jobq::broker::http {

class TlsFront {
 public:
  TlsFront() = default;
  ~TlsFront();  // Stop()
  TlsFront(const TlsFront&) = delete;
  TlsFront& operator=(const TlsFront&) = delete;

  // Listens on `address` (HOST:PORT, an IPv4 address or [IPv6]; port 0
  // picks one) with the PEM chain `cert_path` and key `key_path`, relaying
  // to 127.0.0.1:`plain_port`. InvalidArgument naming the file for a bad
  // certificate or key; Unavailable when the address cannot be bound.
  [[nodiscard]] absl::Status Start(const std::string& address, const std::string& cert_path,
                                   const std::string& key_path, int plain_port,
                                   size_t connections_max, int timeout_ms);
  // "HOST:PORT" listened on.
  const std::string& address() const { return bound_address_; }
  // Stops accepting, ends every connection and waits for their threads.
  void Stop();

 private:
  void Accept();
  // Joins the relays that ended. Called with mutex_ held.
  void JoinFinished();
  void Relay(int client);

  ssl_ctx_st* context_ = nullptr;
  int listener_ = -1;
  int plain_port_ = 0;
  size_t connections_max_ = 0;
  int timeout_ms_ = 0;
  std::string bound_address_;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  std::mutex mutex_;  // guards relays_, finished_ and active_
  std::list<std::thread> relays_;
  std::list<std::thread::id> finished_;  // relays that ended, to join
  size_t active_ = 0;
};

}  // namespace jobq::broker::http
