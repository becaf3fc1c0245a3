#pragma once
// Sizes as people type them on a command line: "4096", "512K", "16MiB",
// "1G". Suffixes are binary (K = 1024) whether or not they carry the "i":
// a limit is a power of two far more often than not, and one reading of
// "M" avoids the question which one was meant.

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace jobq {

// Bytes. INVALID_ARGUMENT, with the accepted forms, for anything else, for
// 0, and for more than 1 TiB (no limit of ours is meant to be that large).
absl::StatusOr<uint64_t> ParseByteSize(std::string_view text);

// The shortest exact form: "4096", "512KiB", "16MiB", "1GiB".
std::string FormatByteSize(uint64_t bytes);

}  // namespace jobq
