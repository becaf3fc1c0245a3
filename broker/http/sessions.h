#pragma once
// SessionStore: the dashboard's logins (POST /api/login), in memory. A
// session is a 256-bit random cookie value (hex) that maps to the role of
// the token it was made with and a CSRF token (also 256-bit random). The
// store keeps a hash of the cookie, not the cookie: a copy of the memory
// does not give sessions away. Bounded: over `sessions_max` the least
// recently used session is dropped. A session ends `idle_ms` after its
// last use or `absolute_ms` after login, or at logout; a broker restart
// ends them all. Thread-safe (one mutex; civetweb's threads share it).

#include <cstdint>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "broker/admin/rpc_roles.h"

namespace jobq::broker::http {

struct SessionLimits {
  size_t sessions_max = 1'000;
  int64_t idle_ms = 12LL * 3600 * 1000;
  int64_t absolute_ms = 7LL * 24 * 3600 * 1000;
};

struct Session {
  admin::AdminRole role = admin::AdminRole::kRead;
  std::string csrf;
};

struct NewSession {
  std::string cookie;  // the Set-Cookie value
  std::string csrf;
};

class SessionStore {
 public:
  explicit SessionStore(SessionLimits limits = {}) : limits_(limits) {}

  // A fresh session for `role`; `now_ms`: any monotonic clock in ms.
  NewSession Create(admin::AdminRole role, int64_t now_ms);
  // The session of `cookie` when it is live (and marks it used); nullopt
  // for an unknown, expired or ended one.
  std::optional<Session> Find(const std::string& cookie, int64_t now_ms);
  // Ends the session of `cookie`, if any.
  void Remove(const std::string& cookie);
  size_t size() const;

 private:
  struct Entry {
    Session session;
    int64_t created_ms = 0;
    int64_t used_ms = 0;
    std::list<std::string>::iterator recent;  // its place in recent_
  };
  void Erase(std::map<std::string, Entry>::iterator entry);

  const SessionLimits limits_;
  mutable std::mutex mutex_;
  std::map<std::string, Entry> sessions_;  // by the cookie's hash
  std::list<std::string> recent_;          // hashes, most recently used first
};

// 32 random bytes (OpenSSL's RAND_bytes) as 64 hex digits.
std::string RandomHex256();

// SHA-256 of `text`, as hex.
std::string Sha256Hex(const std::string& text);

}  // namespace jobq::broker::http
