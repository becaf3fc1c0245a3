#pragma once
// PgBinaryArray: a one-dimensional PostgreSQL array in the binary format
// that array_recv reads (a parameter sent with paramFormat 1), so that one
// statement carries a whole batch: `unnest($1::bytea[], ...)` or
// `= ANY($1::bytea[])`. Pure: bytes in, bytes out. Not thread-safe.
//
// Layout, every integer big-endian:
//   int32 ndim (1; 0 for an empty array)   int32 flags (0: no NULLs)
//   uint32 element type oid
//   int32 dimension size   int32 lower bound (1)    -- absent when ndim is 0
//   per element: int32 length, then that many bytes (the element's own
//   binary form: a bytea's or text's bytes as they are; an int4's 4 bytes)

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace jobq::broker::store {

// Element type oids (pg_type.oid; stable since PostgreSQL 7).
inline constexpr uint32_t kPgByteaOid = 17;
inline constexpr uint32_t kPgInt4Oid = 23;
inline constexpr uint32_t kPgTextOid = 25;

class PgBinaryArray {
 public:
  explicit PgBinaryArray(uint32_t element_oid);

  void AddBytes(std::string_view bytes);  // a bytea or text element
  void AddInt32(int32_t value);           // an int4 element
  // Room for one element of `size` bytes, for a caller to write it in
  // place (a record serialized straight into the array). Valid until the
  // next call.
  char* AddUninitialized(size_t size);

  int size() const { return count_; }
  // Bytes of the array so far, header included.
  size_t bytes() const { return buffer_.size(); }

  // The array, ready to send. Leaves this builder empty, as new.
  std::string Finish();

 private:
  uint32_t element_oid_;
  int count_ = 0;
  std::string buffer_;  // the 20-byte header of a one-dimensional array, then elements
};

// `value` as 4 or 8 big-endian bytes: a binary int4 or int8 parameter.
std::string PgInt32(int32_t value);
std::string PgInt64(int64_t value);

}  // namespace jobq::broker::store
