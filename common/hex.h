#pragma once

// Hexadecimal digits, for job ids (common/job_id.cpp) and the dashboard's
// %-escapes (broker/http/request_params.cpp).

namespace jobq {

inline constexpr char kLowerHexDigits[] = "0123456789abcdef";

// The value of one hexadecimal digit of either case, or -1 for any other
// character.
constexpr int HexDigitValue(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

}  // namespace jobq
