#pragma once
// The dashboard's files (broker/dashboard/**), embedded in the broker at
// build time: cmake/EmbedDashboard.cmake turns each file into bytes in a
// generated .cpp, with its content type and a hash of its content (the
// ETag). The broker needs no files at run time and fetches nothing.
// Pure; thread-safe.

#include <string_view>

namespace jobq::broker::http {

struct Asset {
  std::string_view path;          // below broker/dashboard/: "index.html", "js/jobs.js"
  std::string_view content_type;  // by extension: "text/javascript; charset=utf-8"
  std::string_view bytes;
  std::string_view etag;  // "\"<first 16 hex digits of its SHA-256>\""
};

// The file at `path` (below broker/dashboard/); null when there is none.
const Asset* FindAsset(std::string_view path);

// Every embedded file (generated).
extern const Asset kEmbeddedAssets[];
extern const size_t kEmbeddedAssetCount;

}  // namespace jobq::broker::http
