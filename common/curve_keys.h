#pragma once
// CURVE keys (ZeroMQ's CurveZMQ, DESIGN.md §9) and the text files that hold
// them. Keys are kept as their 32 raw bytes; files hold them in Z85 (40
// characters), as `jobq keygen` writes them:
//
//   NAME.key (mode 0600)                     NAME.pub
//     # jobq CURVE key pair ...                public-key = "<Z85>"
//     public-key = "<Z85>"
//     secret-key = "<Z85>"
//
// An allow-list names one public key per line, either bare Z85 or a
// `public-key = "<Z85>"` line, so `cat a.pub b.pub > workers.allow` makes one.
// In every file `#` starts a comment line and blank lines are ignored.
//
// Parse errors name the file and line ("workers.allow:3: ...") and say what
// to do. Thread-safe: plain functions; the Load* functions read files.

#include <cstddef>
#include <set>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace jobq::curve {

inline constexpr size_t kKeyBytes = 32;
inline constexpr size_t kZ85Chars = 40;

// Raw 32-byte keys.
struct KeyPair {
  std::string public_key;
  std::string secret_key;
};

// Public keys allowed to connect, raw 32 bytes each.
using AllowList = std::set<std::string>;

// What a CURVE server (the broker) needs: its own pair and who may connect
// to which socket.
struct ServerKeys {
  KeyPair server;
  AllowList producers;  // frontend
  AllowList workers;    // backend
};

// What a CURVE client (a producer or a worker) needs.
struct ClientKeys {
  std::string server_public_key;  // the broker's
  KeyPair own;
};

// A fresh key pair from libzmq (libsodium). kInternal when libzmq was built
// without CURVE.
absl::StatusOr<KeyPair> GenerateKeyPair();

// 32 raw bytes -> 40 Z85 characters. `raw` must be kKeyBytes long.
std::string ToZ85(std::string_view raw);
// 40 Z85 characters -> 32 raw bytes; kInvalidArgument otherwise.
absl::StatusOr<std::string> FromZ85(std::string_view text);

// The file texts `jobq keygen` writes; `name` goes into the comment.
std::string FormatKeyFile(const KeyPair& pair, std::string_view name);
std::string FormatPublicKeyFile(std::string_view public_key);

// Parses a NAME.key text; `path` names it in errors. The public key must
// be the one the secret key gives.
absl::StatusOr<KeyPair> ParseKeyFile(std::string_view text, std::string_view path);
// Parses a NAME.pub text (one public-key line). A text holding a secret
// key is refused: the secret stays on its own host.
absl::StatusOr<std::string> ParsePublicKeyFile(std::string_view text, std::string_view path);
// Parses an allow-list; an empty one is an error (it would refuse everyone).
absl::StatusOr<AllowList> ParseAllowList(std::string_view text, std::string_view path);

// The same, read from `path`; kNotFound / kPermissionDenied when it cannot be read.
absl::StatusOr<KeyPair> LoadKeyFile(const std::string& path);
absl::StatusOr<std::string> LoadPublicKeyFile(const std::string& path);
absl::StatusOr<AllowList> LoadAllowList(const std::string& path);

// A client's keys from the two files a producer or worker is given
// (--broker-key FILE, --curve-key FILE). Callers skip the call when neither
// is given; with only one of them it is kInvalidArgument naming both flags,
// as a half-configured client could only fail its handshake.
absl::StatusOr<ClientKeys> LoadClientKeys(const std::string& broker_key_file,
                                          const std::string& own_key_file);

}  // namespace jobq::curve
