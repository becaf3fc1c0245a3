#include "broker/admin/admin_tokens.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace jobq::broker::admin {
namespace {

absl::Status LineError(std::string_view file, size_t line, std::string_view what) {
  std::string message(file);
  message += ':';
  message += std::to_string(line);
  message += ": ";
  message += what;
  return absl::InvalidArgumentError(message);
}

// Debian's abseil has its own string_view, so its splitters do not take ours.
std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    lines.push_back(text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
  }
  return lines;
}

// Split on spaces, tabs and a CR (a file written on Windows).
std::vector<std::string_view> Words(std::string_view line) {
  std::vector<std::string_view> words;
  constexpr std::string_view kBlanks = " \t\r";
  size_t start = line.find_first_not_of(kBlanks);
  while (start != std::string_view::npos) {
    const size_t end = line.find_first_of(kBlanks, start);
    words.push_back(line.substr(start, end == std::string_view::npos ? end : end - start));
    start = end == std::string_view::npos ? end : line.find_first_not_of(kBlanks, end);
  }
  return words;
}

}  // namespace

absl::StatusOr<std::vector<AdminToken>> ParseAdminTokens(std::string_view text,
                                                         std::string_view file) {
  std::vector<AdminToken> tokens;
  std::set<std::string, std::less<>> seen;
  size_t number = 0;
  for (const std::string_view line : Lines(text)) {
    ++number;
    const std::vector<std::string_view> fields = Words(line);
    if (fields.empty() || fields.front().front() == '#') {
      continue;
    }
    if (fields.size() != 2) {
      return LineError(file, number,
                       "expected \"read TOKEN\" or \"admin TOKEN\" (two words; comments go on "
                       "lines of their own, starting with #)");
    }
    AdminToken token;
    if (fields[0] == "read") {
      token.role = AdminRole::kRead;
    } else if (fields[0] == "admin") {
      token.role = AdminRole::kAdmin;
    } else {
      std::string what = "unknown role \"";
      what += fields[0];
      what += "\"; the role is read (status, lists, watch, results) or admin (everything)";
      return LineError(file, number, what);
    }
    const std::string_view value = fields[1];
    if (value.size() < kMinTokenLength) {
      return LineError(
          file, number,
          absl::StrCat("token too short (", value.size(), " characters; at least ", kMinTokenLength,
                       ": a short token can be guessed by trying); make one with "
                       "`openssl rand -hex 32`"));
    }
    if (value.size() > kMaxTokenLength) {
      return LineError(file, number,
                       absl::StrCat("token too long (at most ", kMaxTokenLength,
                                    " characters); make one with `openssl rand -hex 32`"));
    }
    for (char c : value) {
      if (c < 0x21 || c > 0x7e) {
        return LineError(file, number,
                         "the token has a character other than printable ASCII (a token is "
                         "sent as an HTTP/2 header); make one with `openssl rand -hex 32`");
      }
    }
    if (!seen.insert(std::string(value)).second) {
      return LineError(file, number,
                       "this token is listed twice; give each token one line and one role");
    }
    token.token = std::string(value);
    tokens.push_back(std::move(token));
  }
  if (tokens.empty()) {
    std::string message(file);
    message +=
        ": no tokens (every line is blank or a comment); add lines such as \"admin TOKEN\", "
        "or leave out --admin-tokens on a loopback-only admin address";
    return absl::InvalidArgumentError(message);
  }
  return tokens;
}

absl::StatusOr<std::vector<AdminToken>> LoadAdminTokens(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot read the admin tokens file ", path, ": ", std::strerror(errno)));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    return absl::InvalidArgumentError(absl::StrCat("cannot read the admin tokens file ", path));
  }
  return ParseAdminTokens(text.str(), path);
}

}  // namespace jobq::broker::admin
