#pragma once
// TempDir: a fresh directory under $TMPDIR for one test, removed with its
// contents at destruction. Not thread-safe.

#include <string>

namespace jobq::testing {

class TempDir {
 public:
  // Throws std::runtime_error when no directory can be made.
  TempDir();
  ~TempDir();

  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace jobq::testing
