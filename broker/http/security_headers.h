#pragma once
// The headers every answer of the dashboard's server carries (docs/dashboard.md):
// a Content-Security-Policy that allows the page's own files and nothing
// inline (a task name holding <script> cannot run even if it were ever
// put into the page as markup), no MIME sniffing, no framing, no referrer.
// Pure; thread-safe.

#include <string_view>

namespace jobq::broker::http {

inline constexpr std::string_view kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

// The header lines, each ending "\r\n".
std::string_view SecurityHeaderLines();

}  // namespace jobq::broker::http
