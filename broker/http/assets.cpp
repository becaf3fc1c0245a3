#include "broker/http/assets.h"

namespace jobq::broker::http {

const Asset* FindAsset(std::string_view path) {
  // A few dozen files: a scan is as quick as a map and needs no set-up.
  for (size_t i = 0; i < kEmbeddedAssetCount; ++i) {
    if (kEmbeddedAssets[i].path == path) {
      return &kEmbeddedAssets[i];
    }
  }
  return nullptr;
}

}  // namespace jobq::broker::http
