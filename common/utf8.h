#pragma once
// Whether bytes are valid UTF-8 (no overlong forms, no surrogates, nothing
// above U+10FFFF): what protobuf requires of a `string` field. Text a user
// gives that ends up in one (a worker's name or queues) is checked with
// this first, so that a message carrying it never fails to decode.

#include <string_view>

namespace jobq {

bool IsValidUtf8(std::string_view text);

}  // namespace jobq
