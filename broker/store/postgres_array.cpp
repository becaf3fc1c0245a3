#include "broker/store/postgres_array.h"

#include <algorithm>
#include <limits>

#include "common/check.h"

namespace jobq::broker::store {
namespace {

constexpr size_t kHeaderBytes = 20;       // ndim, flags, oid, size, lower bound
constexpr size_t kEmptyHeaderBytes = 12;  // ndim 0 has no dimension

void PutUint32(char* out, uint32_t value) {
  out[0] = static_cast<char>(value >> 24);
  out[1] = static_cast<char>(value >> 16);
  out[2] = static_cast<char>(value >> 8);
  out[3] = static_cast<char>(value);
}

void AppendUint32(std::string* out, uint32_t value) {
  char bytes[4];
  PutUint32(bytes, value);
  out->append(bytes, sizeof bytes);
}

}  // namespace

PgBinaryArray::PgBinaryArray(uint32_t element_oid) : element_oid_(element_oid) {
  buffer_.resize(kHeaderBytes);
}

char* PgBinaryArray::AddUninitialized(size_t size) {
  // PostgreSQL's limit on any one value is 1 GB; callers stay far below.
  JOBQ_CHECK(size <= static_cast<size_t>(std::numeric_limits<int32_t>::max()))
      << "an array element of " << size << " bytes";
  AppendUint32(&buffer_, static_cast<uint32_t>(size));
  const size_t at = buffer_.size();
  buffer_.resize(at + size);
  ++count_;
  return buffer_.data() + at;
}

void PgBinaryArray::AddBytes(std::string_view bytes) {
  char* out = AddUninitialized(bytes.size());
  if (!bytes.empty()) {
    std::copy(bytes.begin(), bytes.end(), out);
  }
}

void PgBinaryArray::AddInt32(int32_t value) {
  PutUint32(AddUninitialized(4), static_cast<uint32_t>(value));
}

std::string PgBinaryArray::Finish() {
  char* header = buffer_.data();
  PutUint32(header + 4, 0);  // flags: no NULLs
  PutUint32(header + 8, element_oid_);
  if (count_ == 0) {
    // array_recv reads ndim 0 as the empty array, which has no dimension.
    PutUint32(header, 0);
    buffer_.resize(kEmptyHeaderBytes);
  } else {
    PutUint32(header, 1);
    PutUint32(header + 12, static_cast<uint32_t>(count_));
    PutUint32(header + 16, 1);  // lower bound
  }
  std::string array = std::move(buffer_);
  buffer_.assign(kHeaderBytes, '\0');
  count_ = 0;
  return array;
}

std::string PgInt32(int32_t value) {
  std::string out;
  AppendUint32(&out, static_cast<uint32_t>(value));
  return out;
}

std::string PgInt64(int64_t value) {
  std::string out;
  AppendUint32(&out, static_cast<uint32_t>(static_cast<uint64_t>(value) >> 32));
  AppendUint32(&out, static_cast<uint32_t>(static_cast<uint64_t>(value)));
  return out;
}

}  // namespace jobq::broker::store
