#include "broker/http/sessions.h"

#include <openssl/rand.h>
#include <openssl/sha.h>

#include "absl/strings/escaping.h"
#include "common/check.h"

namespace jobq::broker::http {

std::string RandomHex256() {
  unsigned char bytes[32];
  // Without randomness no session would be safe: not a condition to run on.
  JOBQ_CHECK(RAND_bytes(bytes, sizeof(bytes)) == 1) << "OpenSSL has no random bytes";
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(bytes), sizeof(bytes)));
}

std::string Sha256Hex(const std::string& text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

NewSession SessionStore::Create(admin::AdminRole role, int64_t now_ms) {
  NewSession made{RandomHex256(), RandomHex256()};
  const std::string key = Sha256Hex(made.cookie);
  std::lock_guard lock(mutex_);
  while (!sessions_.empty() && sessions_.size() >= limits_.sessions_max) {
    Erase(sessions_.find(recent_.back()));
  }
  recent_.push_front(key);
  Entry entry;
  entry.session = Session{role, made.csrf};
  entry.created_ms = now_ms;
  entry.used_ms = now_ms;
  entry.recent = recent_.begin();
  sessions_.emplace(key, std::move(entry));
  return made;
}

std::optional<Session> SessionStore::Find(const std::string& cookie, int64_t now_ms) {
  if (cookie.empty()) {
    return std::nullopt;
  }
  const std::string key = Sha256Hex(cookie);
  std::lock_guard lock(mutex_);
  auto found = sessions_.find(key);
  if (found == sessions_.end()) {
    return std::nullopt;
  }
  Entry& entry = found->second;
  if (now_ms - entry.used_ms > limits_.idle_ms || now_ms - entry.created_ms > limits_.absolute_ms) {
    Erase(found);
    return std::nullopt;
  }
  entry.used_ms = now_ms;
  recent_.splice(recent_.begin(), recent_, entry.recent);
  return entry.session;
}

void SessionStore::Remove(const std::string& cookie) {
  const std::string key = Sha256Hex(cookie);
  std::lock_guard lock(mutex_);
  if (auto found = sessions_.find(key); found != sessions_.end()) {
    Erase(found);
  }
}

size_t SessionStore::size() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

void SessionStore::Erase(std::map<std::string, Entry>::iterator entry) {
  recent_.erase(entry->second.recent);
  sessions_.erase(entry);
}

}  // namespace jobq::broker::http
