#include "broker/store/postgres_copy.h"

#include <cstdint>
#include <cstring>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace jobq::broker::store {
namespace {

constexpr std::string_view kSignature("PGCOPY\n\377\r\n\0", 11);
constexpr size_t kHeaderFixedBytes = 11 + 4 + 4;

uint32_t ReadUint32(const char* at) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(at);
  return (uint32_t{bytes[0]} << 24) | (uint32_t{bytes[1]} << 16) | (uint32_t{bytes[2]} << 8) |
         uint32_t{bytes[3]};
}

int16_t ReadInt16(const char* at) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(at);
  return static_cast<int16_t>((bytes[0] << 8) | bytes[1]);
}

}  // namespace

absl::Status PgCopyReader::Feed(std::string_view piece, RowFn on_row) {
  if (!error_.ok()) {
    return error_;
  }
  absl::StatusOr<size_t> used = absl::InvalidArgumentError("unset");
  if (pending_.empty()) {
    // The usual case: PostgreSQL sends a row per message, so pieces hold
    // whole rows and are read where they are.
    used = Parse(piece, on_row);
    if (used.ok()) {
      pending_.assign(piece.substr(*used));
    }
  } else {
    pending_.append(piece);
    used = Parse(pending_, on_row);
    if (used.ok()) {
      pending_.erase(0, *used);
    }
  }
  if (!used.ok()) {
    error_ = used.status();
  }
  return error_;
}

absl::StatusOr<size_t> PgCopyReader::Parse(std::string_view data, RowFn on_row) {
  size_t at = 0;
  if (!header_done_) {
    if (data.size() < kHeaderFixedBytes) {
      return 0;
    }
    if (data.substr(0, kSignature.size()) != kSignature) {
      return absl::DataLossError("the COPY stream does not start with the binary signature");
    }
    const uint32_t extension = ReadUint32(data.data() + 15);
    if (data.size() - kHeaderFixedBytes < extension) {
      return 0;
    }
    at = kHeaderFixedBytes + extension;
    header_done_ = true;
  }
  while (at < data.size()) {
    if (finished_) {
      return absl::DataLossError("the COPY stream goes on after its end marker");
    }
    if (data.size() - at < 2) {
      return at;
    }
    const int16_t count = ReadInt16(data.data() + at);
    if (count == -1) {
      finished_ = true;
      at += 2;
      continue;
    }
    if (count < 0) {
      return absl::DataLossError(absl::StrCat("a COPY row has ", count, " fields"));
    }
    size_t cursor = at + 2;
    fields_.clear();
    bool complete = true;
    for (int16_t field = 0; field < count; ++field) {
      if (data.size() - cursor < 4) {
        complete = false;
        break;
      }
      const auto length = static_cast<int32_t>(ReadUint32(data.data() + cursor));
      cursor += 4;
      if (length == -1) {
        fields_.emplace_back();
        continue;
      }
      if (length < 0) {
        return absl::DataLossError(absl::StrCat("a COPY field has length ", length));
      }
      if (data.size() - cursor < static_cast<size_t>(length)) {
        complete = false;
        break;
      }
      fields_.push_back(data.substr(cursor, static_cast<size_t>(length)));
      cursor += static_cast<size_t>(length);
    }
    if (!complete) {
      return at;
    }
    if (absl::Status status = on_row(fields_); !status.ok()) {
      return status;
    }
    at = cursor;
  }
  return at;
}

}  // namespace jobq::broker::store
