// The PostgreSQL store's two binary formats, without a server: the arrays
// a commit sends (PgBinaryArray, array_recv's format) and the COPY stream
// Recover reads (PgCopyReader).

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "broker/store/postgres_array.h"
#include "broker/store/postgres_copy.h"

namespace jobq::broker::store {
namespace {

std::string Bytes(std::initializer_list<int> values) {
  std::string bytes;
  for (int value : values) {
    bytes.push_back(static_cast<char>(value));
  }
  return bytes;
}

TEST(PgBinaryArrayTest, AnEmptyArrayHasNoDimension) {
  PgBinaryArray array(kPgByteaOid);
  EXPECT_EQ(array.Finish(), Bytes({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 17}));
}

TEST(PgBinaryArrayTest, ByteaElementsAreLengthPrefixed) {
  PgBinaryArray array(kPgByteaOid);
  array.AddBytes(std::string("a\0", 2));
  array.AddBytes("");
  EXPECT_EQ(array.size(), 2);
  EXPECT_EQ(array.Finish(), Bytes({0, 0, 0, 1,           // one dimension
                                   0, 0, 0, 0,           // no NULLs
                                   0, 0, 0, 17,          // bytea
                                   0, 0, 0, 2,           // two elements
                                   0, 0, 0, 1,           // from index 1
                                   0, 0, 0, 2,  'a', 0,  // "a\0"
                                   0, 0, 0, 0}));        // ""
  EXPECT_EQ(array.size(), 0) << "Finish leaves the builder empty";
}

TEST(PgBinaryArrayTest, Int4ElementsAreBigEndian) {
  PgBinaryArray array(kPgInt4Oid);
  array.AddInt32(1);
  array.AddInt32(-2);
  EXPECT_EQ(array.Finish(), Bytes({0, 0, 0, 1, 0,    0,    0,    0,   0, 0, 0, 23, 0, 0,
                                   0, 2, 0, 0, 0,    1,    0,    0,   0, 4, 0, 0,  0, 1,  // 1
                                   0, 0, 0, 4, 0xff, 0xff, 0xff, 0xfe}));                 // -2
}

TEST(PgBinaryArrayTest, ElementsWrittenInPlaceAndLargeLengths) {
  PgBinaryArray array(kPgTextOid);
  char* out = array.AddUninitialized(300);
  std::fill(out, out + 300, 'x');
  const std::string finished = array.Finish();
  ASSERT_EQ(finished.size(), 20u + 4 + 300);
  EXPECT_EQ(finished.substr(8, 4), Bytes({0, 0, 0, 25}));
  EXPECT_EQ(finished.substr(20, 4), Bytes({0, 0, 1, 44}));  // 300
  EXPECT_EQ(finished.substr(24), std::string(300, 'x'));
}

TEST(PgBinaryArrayTest, IntegerParameters) {
  EXPECT_EQ(PgInt32(0x01020304), Bytes({1, 2, 3, 4}));
  EXPECT_EQ(PgInt64(-1), std::string(8, '\xff'));
  EXPECT_EQ(PgInt64(0x0102030405060708), Bytes({1, 2, 3, 4, 5, 6, 7, 8}));
}

// A binary COPY stream of rows of two fields (NULL when nullopt).
std::string CopyStream(const std::vector<std::vector<std::optional<std::string>>>& rows) {
  std::string stream("PGCOPY\n\377\r\n\0", 11);
  stream += Bytes({0, 0, 0, 0, 0, 0, 0, 0});  // flags, no extension
  for (const auto& row : rows) {
    stream += Bytes({0, static_cast<int>(row.size())});
    for (const auto& field : row) {
      if (!field) {
        stream += Bytes({0xff, 0xff, 0xff, 0xff});
        continue;
      }
      stream += PgInt32(static_cast<int32_t>(field->size()));
      stream += *field;
    }
  }
  stream += Bytes({0xff, 0xff});
  return stream;
}

using Rows = std::vector<std::vector<std::string>>;

absl::Status ReadAll(PgCopyReader& reader, std::string_view piece, Rows* rows) {
  return reader.Feed(piece, [&](std::span<const std::string_view> fields) {
    std::vector<std::string> row;
    for (std::string_view field : fields) {
      row.push_back(field.data() == nullptr ? "<null>" : std::string(field));
    }
    rows->push_back(std::move(row));
    return absl::OkStatus();
  });
}

TEST(PgCopyReaderTest, ReadsRowsWhateverThePieces) {
  const std::string stream =
      CopyStream({{"id-1", std::string("r\0", 2)}, {"id-2", ""}, {"id-3", std::nullopt}});
  const Rows expected = {{"id-1", std::string("r\0", 2)}, {"id-2", ""}, {"id-3", "<null>"}};
  for (size_t piece = 1; piece <= stream.size(); ++piece) {
    PgCopyReader reader;
    Rows rows;
    for (size_t at = 0; at < stream.size(); at += piece) {
      ASSERT_TRUE(ReadAll(reader, std::string_view(stream).substr(at, piece), &rows).ok());
    }
    EXPECT_EQ(rows, expected) << "pieces of " << piece;
    EXPECT_TRUE(reader.finished());
  }
}

TEST(PgCopyReaderTest, AStreamCutShortIsNotFinished) {
  const std::string stream = CopyStream({{"a", "b"}});
  PgCopyReader reader;
  Rows rows;
  ASSERT_TRUE(ReadAll(reader, std::string_view(stream).substr(0, stream.size() - 3), &rows).ok());
  EXPECT_FALSE(reader.finished());
}

TEST(PgCopyReaderTest, RefusesAnotherFormatAndKeepsTheError) {
  PgCopyReader reader;
  Rows rows;
  absl::Status status = ReadAll(reader, "id\trecord\n1\t2\n_______________", &rows);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(ReadAll(reader, CopyStream({}), &rows).code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(rows.empty());
}

TEST(PgCopyReaderTest, AnErrorOfTheCallbackEndsTheReading) {
  PgCopyReader reader;
  int calls = 0;
  absl::Status status = reader.Feed(CopyStream({{"a"}, {"b"}}), [&](auto) {
    ++calls;
    return absl::DataLossError("bad row");
  });
  EXPECT_EQ(status.message(), "bad row");
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace jobq::broker::store
