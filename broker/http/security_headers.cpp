#include "broker/http/security_headers.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace jobq::broker::http {

std::string_view SecurityHeaderLines() {
  static const std::string* lines = new std::string(
      absl::StrCat("Content-Security-Policy: ", std::string(kContentSecurityPolicy),
                   "\r\nX-Content-Type-Options: nosniff\r\nX-Frame-Options: DENY\r\n"
                   "Referrer-Policy: no-referrer\r\nCross-Origin-Opener-Policy: same-origin\r\n"
                   "Cross-Origin-Resource-Policy: same-origin\r\n"));
  return *lines;
}

}  // namespace jobq::broker::http
