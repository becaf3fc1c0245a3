#pragma once
// The bounds of a PROGRESS report (docs/protocol.md, PROGRESS), shared by
// the broker, which refuses what breaks them, and the workers, which keep
// to them.

#include <cstddef>
#include <cstdint>

namespace jobq {

// Bytes of a report's message; a longer one is refused, never cut.
inline constexpr size_t kProgressMessageBytesMax = 256;
// Reports in one PROGRESS.
inline constexpr int kProgressReportsMax = 1000;
// A worker sends at most one report per job per this many ms (10 a second).
inline constexpr int64_t kProgressIntervalMs = 100;

}  // namespace jobq
