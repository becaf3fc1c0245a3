#include "common/curve_keys.h"

#include <zmq.h>

#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <optional>
#include <sstream>
#include <vector>

namespace jobq::curve {
namespace {

constexpr std::string_view kKeygenHint = "make one with `jobq keygen NAME`";

// Debian's abseil predates its std::string_view aliasing, so its string
// helpers do not take std::string_view; these few stand in.
std::string Cat(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (std::string_view part : parts) {
    out.append(part);
  }
  return out;
}

std::string_view Strip(std::string_view text) {
  const char* kSpace = " \t\r\v\f";
  const size_t begin = text.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) {
    return {};
  }
  return text.substr(begin, text.find_last_not_of(kSpace) - begin + 1);
}

std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t begin = 0;
  while (begin <= text.size()) {
    size_t end = text.find('\n', begin);
    if (end == std::string_view::npos) {
      end = text.size();
    }
    lines.push_back(text.substr(begin, end - begin));
    begin = end + 1;
  }
  return lines;
}

// `path:line: why`.
absl::Status LineError(std::string_view path, int line, std::string_view why) {
  return absl::InvalidArgumentError(Cat({path, ":", std::to_string(line), ": ", why}));
}

// One meaningful line of a key file: `name = "value"`, or a bare value
// when `name` comes back empty.
struct Entry {
  std::string name;
  std::string value;
};

// Z85 uses '#' and '=' too, so a bare key is recognised first: 40
// characters of the alphabet, which no comment or entry line can be (they
// hold a space or a quote).
bool IsBareZ85Key(std::string_view text) {
  static constexpr std::string_view kAlphabet =
      "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
  return text.size() == kZ85Chars && text.find_first_not_of(kAlphabet) == std::string_view::npos;
}

// `name = "value"`: a name of letters, digits, '-' and '_', then '='.
bool IsEntry(std::string_view text, size_t* equals) {
  size_t i = 0;
  while (i < text.size() &&
         (std::isalnum(static_cast<unsigned char>(text[i])) || text[i] == '-' || text[i] == '_')) {
    ++i;
  }
  if (i == 0) {
    return false;
  }
  while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) {
    ++i;
  }
  if (i == text.size() || text[i] != '=') {
    return false;
  }
  *equals = i;
  return true;
}

// nullopt for a blank or comment line; an error for an entry line whose
// value is not quoted. Anything else comes back as a bare value.
absl::StatusOr<std::optional<Entry>> ParseLine(std::string_view raw, std::string_view path,
                                               int line) {
  std::string_view text = Strip(raw);
  if (IsBareZ85Key(text)) {
    return std::optional<Entry>(Entry{"", std::string(text)});
  }
  if (text.empty() || text.front() == '#') {
    return std::optional<Entry>();
  }
  size_t equals = 0;
  if (!IsEntry(text, &equals)) {
    return std::optional<Entry>(Entry{"", std::string(text)});
  }
  Entry entry;
  entry.name = std::string(Strip(text.substr(0, equals)));
  std::string_view value = Strip(text.substr(equals + 1));
  if (value.size() < 2 || value.front() != '"' || value.back() != '"') {
    return LineError(path, line,
                     Cat({"expected ", entry.name,
                          " = \"<40 Z85 characters>\", with the key in double quotes"}));
  }
  entry.value = std::string(value.substr(1, value.size() - 2));
  return std::optional<Entry>(std::move(entry));
}

absl::StatusOr<std::string> KeyAt(std::string_view z85, std::string_view path, int line,
                                  std::string_view what) {
  absl::StatusOr<std::string> raw = FromZ85(z85);
  if (!raw.ok()) {
    return LineError(
        path, line,
        Cat({what, ": ",
             std::string_view(raw.status().message().data(), raw.status().message().size())}));
  }
  return raw;
}

absl::StatusOr<std::string> ReadWholeFile(const std::string& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int error = errno;
    const std::string why = std::strerror(error);
    if (error == EACCES) {
      return absl::PermissionDeniedError(
          Cat({"cannot read ", what, " ", path, ": ", why,
               " (run as the user that owns it, or fix its permissions)"}));
    }
    return absl::NotFoundError(
        Cat({"cannot read ", what, " ", path, ": ", why, " (", kKeygenHint, ")"}));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

absl::StatusOr<KeyPair> GenerateKeyPair() {
  char public_z85[kZ85Chars + 1];
  char secret_z85[kZ85Chars + 1];
  if (zmq_curve_keypair(public_z85, secret_z85) != 0) {
    return absl::InternalError(Cat({"cannot make a CURVE key pair: ", zmq_strerror(zmq_errno()),
                                    " (is libzmq built with CURVE/libsodium?)"}));
  }
  KeyPair pair;
  pair.public_key = *FromZ85(std::string_view(public_z85, kZ85Chars));
  pair.secret_key = *FromZ85(std::string_view(secret_z85, kZ85Chars));
  return pair;
}

std::string ToZ85(std::string_view raw) {
  char text[kZ85Chars + 1] = {};
  if (raw.size() != kKeyBytes ||
      zmq_z85_encode(text, reinterpret_cast<const uint8_t*>(raw.data()), raw.size()) == nullptr) {
    return "(not a key)";
  }
  return std::string(text, kZ85Chars);
}

absl::StatusOr<std::string> FromZ85(std::string_view text) {
  if (text.size() != kZ85Chars) {
    return absl::InvalidArgumentError(
        Cat({"a CURVE key is 40 Z85 characters, this one has ", std::to_string(text.size())}));
  }
  // zmq_z85_decode reads a NUL-terminated string and rejects characters
  // outside the Z85 alphabet.
  const std::string terminated(text);
  std::string raw(kKeyBytes, '\0');
  if (zmq_z85_decode(reinterpret_cast<uint8_t*>(raw.data()), terminated.c_str()) == nullptr) {
    return absl::InvalidArgumentError("not a Z85 key (it has characters Z85 does not use)");
  }
  return raw;
}

std::string FormatKeyFile(const KeyPair& pair, std::string_view name) {
  return Cat({"# jobq CURVE key pair \"", name, "\", made by `jobq keygen`.\n",
              "# Keep this file secret (mode 0600). Hand out ", name,
              ".pub, which holds only the public key.\n", "public-key = \"", ToZ85(pair.public_key),
              "\"\n", "secret-key = \"", ToZ85(pair.secret_key), "\"\n"});
}

std::string FormatPublicKeyFile(std::string_view public_key) {
  return Cat({"public-key = \"", ToZ85(public_key), "\"\n"});
}

absl::StatusOr<KeyPair> ParseKeyFile(std::string_view text, std::string_view path) {
  KeyPair pair;
  int public_line = 0;
  int line = 0;
  for (std::string_view raw : Lines(text)) {
    ++line;
    absl::StatusOr<std::optional<Entry>> entry = ParseLine(raw, path, line);
    if (!entry.ok()) {
      return entry.status();
    }
    if (!entry->has_value()) {
      continue;
    }
    const Entry& e = **entry;
    std::string* into = e.name == "public-key"   ? &pair.public_key
                        : e.name == "secret-key" ? &pair.secret_key
                                                 : nullptr;
    if (into == nullptr) {
      return LineError(path, line,
                       "expected public-key = \"...\" or secret-key = \"...\" (a key pair file "
                       "as `jobq keygen` writes it)");
    }
    if (!into->empty()) {
      return LineError(path, line, Cat({"a second ", e.name, " line"}));
    }
    absl::StatusOr<std::string> key = KeyAt(e.value, path, line, e.name);
    if (!key.ok()) {
      return key.status();
    }
    *into = *std::move(key);
    if (into == &pair.public_key) {
      public_line = line;
    }
  }
  if (pair.secret_key.empty()) {
    return absl::InvalidArgumentError(
        Cat({path, ": no secret-key line; this must be a key pair file (NAME.key, not NAME.pub): ",
             kKeygenHint}));
  }
  char derived[kZ85Chars + 1];
  const std::string secret_z85 = ToZ85(pair.secret_key);
  if (zmq_curve_public(derived, secret_z85.c_str()) != 0) {
    return absl::InternalError(
        Cat({"cannot check the key pair in ", path, ": ", zmq_strerror(zmq_errno())}));
  }
  const std::string derived_raw = *FromZ85(std::string_view(derived, kZ85Chars));
  if (pair.public_key.empty()) {
    pair.public_key = derived_raw;  // the public half follows from the secret one
  } else if (pair.public_key != derived_raw) {
    return LineError(path, public_line,
                     "public-key is not the public half of secret-key (the file was edited or "
                     "mixed from two pairs): make a new pair with `jobq keygen`");
  }
  return pair;
}

namespace {

// Calls `take(line, key)` with each public key of `text` (a .pub file or an
// allow-list); a secret-key line is refused with `secret_key_error`, any
// other named line with `other_error`.
absl::Status ForEachPublicKey(std::string_view text, std::string_view path,
                              std::string_view secret_key_error, std::string_view other_error,
                              const std::function<absl::Status(int, std::string)>& take) {
  int line = 0;
  for (std::string_view raw : Lines(text)) {
    ++line;
    absl::StatusOr<std::optional<Entry>> entry = ParseLine(raw, path, line);
    if (!entry.ok()) {
      return entry.status();
    }
    if (!entry->has_value()) {
      continue;
    }
    const Entry& e = **entry;
    if (e.name == "secret-key") {
      return LineError(path, line, secret_key_error);
    }
    if (e.name != "public-key" && !e.name.empty()) {
      return LineError(path, line, other_error);
    }
    absl::StatusOr<std::string> key = KeyAt(e.value, path, line, "public key");
    if (!key.ok()) {
      return key.status();
    }
    absl::Status taken = take(line, *std::move(key));
    if (!taken.ok()) {
      return taken;
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> ParsePublicKeyFile(std::string_view text, std::string_view path) {
  std::string key;
  absl::Status parsed = ForEachPublicKey(
      text, path,
      "this file holds a secret key; give the public key file (NAME.pub) instead, and keep "
      "NAME.key on its own host",
      "expected public-key = \"...\" (a NAME.pub file)", [&](int line, std::string found) {
        if (!key.empty()) {
          return LineError(path, line, "a second key; a public key file holds one");
        }
        key = std::move(found);
        return absl::OkStatus();
      });
  if (!parsed.ok()) {
    return parsed;
  }
  if (key.empty()) {
    return absl::InvalidArgumentError(Cat({path, ": no public-key line (", kKeygenHint, ")"}));
  }
  return key;
}

absl::StatusOr<AllowList> ParseAllowList(std::string_view text, std::string_view path) {
  AllowList keys;
  absl::Status parsed = ForEachPublicKey(
      text, path,
      "a secret key in an allow-list: list public keys only (cat the .pub files, not the .key "
      "files), and make a new pair for the one leaked here",
      "expected a public key: 40 Z85 characters, or public-key = \"...\" as in a .pub file",
      [&](int, std::string found) {
        keys.insert(std::move(found));
        return absl::OkStatus();
      });
  if (!parsed.ok()) {
    return parsed;
  }
  if (keys.empty()) {
    return absl::InvalidArgumentError(
        Cat({path,
             ": no keys; an empty allow-list would refuse everyone (list public keys, e.g. cat "
             "worker1.pub worker2.pub > ",
             path, ")"}));
  }
  return keys;
}

absl::StatusOr<KeyPair> LoadKeyFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadWholeFile(path, "the key pair file");
  if (!text.ok()) {
    return text.status();
  }
  return ParseKeyFile(*text, path);
}

absl::StatusOr<std::string> LoadPublicKeyFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadWholeFile(path, "the public key file");
  if (!text.ok()) {
    return text.status();
  }
  return ParsePublicKeyFile(*text, path);
}

absl::StatusOr<AllowList> LoadAllowList(const std::string& path) {
  absl::StatusOr<std::string> text = ReadWholeFile(path, "the allow-list");
  if (!text.ok()) {
    return text.status();
  }
  return ParseAllowList(*text, path);
}

absl::StatusOr<ClientKeys> LoadClientKeys(const std::string& broker_key_file,
                                          const std::string& own_key_file) {
  if (broker_key_file.empty() || own_key_file.empty()) {
    return absl::InvalidArgumentError(
        Cat({"CURVE needs both --broker-key FILE (the broker's .pub) and --curve-key FILE (this "
             "program's own .key); only ",
             broker_key_file.empty() ? "--curve-key" : "--broker-key",
             " was given (or their environment variables JOBQ_BROKER_KEY / JOBQ_CURVE_KEY)"}));
  }
  ClientKeys keys;
  absl::StatusOr<std::string> server = LoadPublicKeyFile(broker_key_file);
  if (!server.ok()) {
    return server.status();
  }
  keys.server_public_key = *std::move(server);
  absl::StatusOr<KeyPair> own = LoadKeyFile(own_key_file);
  if (!own.ok()) {
    return own.status();
  }
  keys.own = *std::move(own);
  return keys;
}

}  // namespace jobq::curve
