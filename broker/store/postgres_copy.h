#pragma once
// PgCopyReader: the rows of `COPY ... TO STDOUT WITH (FORMAT binary)`, the
// fastest way to read a whole table out of PostgreSQL (no per-row
// messages to decode, no text conversion). Fed the stream in pieces as
// PQgetCopyData returns them; hands each complete row's fields to a
// callback as views into those pieces, without copying them. Pure: bytes
// in, rows out. Not thread-safe.
//
// The format: an 11-byte signature "PGCOPY\n\377\r\n\0", int32 flags,
// int32 length of a header extension and the extension; then per row an
// int16 field count and per field an int32 length (-1: NULL) and the
// bytes; the int16 -1 ends the stream. Integers are big-endian.

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace jobq::broker::store {

class PgCopyReader {
 public:
  // A row's fields; a NULL field is a view with a null data().
  using RowFn = absl::FunctionRef<absl::Status(std::span<const std::string_view> fields)>;

  // Reads `piece` (any split of the stream is fine) and calls `on_row` for
  // each row it completes. The first error, of the stream (DATA_LOSS) or of
  // `on_row`, ends the reading: later calls return it again.
  absl::Status Feed(std::string_view piece, RowFn on_row);
  // Whether the end-of-stream marker was read, with nothing after it.
  bool finished() const { return finished_ && pending_.empty(); }

 private:
  // Reads what it can from `data`; returns how many bytes it used.
  absl::StatusOr<size_t> Parse(std::string_view data, RowFn on_row);

  bool header_done_ = false;
  bool finished_ = false;
  absl::Status error_;
  std::string pending_;  // an incomplete row (or header) from earlier pieces
  std::vector<std::string_view> fields_;
};

}  // namespace jobq::broker::store
