#pragma once
// JOBQ_CHECK(cond) << "why": a programmer error; on in release builds, it
// prints the reason and aborts. Never use it on what a peer or the
// environment can cause: those are handled and answered.

#include <cstdlib>
#include <iostream>
#include <sstream>

namespace jobq::internal {

class CheckFailure {
 public:
  CheckFailure(const char* file, int line, const char* condition) {
    stream_ << file << ":" << line << ": check failed: " << condition << " ";
  }
  [[noreturn]] ~CheckFailure() {
    std::cerr << stream_.str() << std::endl;
    std::abort();
  }
  std::ostream& stream() { return stream_; }

 private:
  std::ostringstream stream_;
};

}  // namespace jobq::internal

#define JOBQ_CHECK(condition) \
  if (condition) {            \
  } else                      \
    ::jobq::internal::CheckFailure(__FILE__, __LINE__, #condition).stream()
