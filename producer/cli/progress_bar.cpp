#include "producer/cli/progress_bar.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace jobq::cli {
namespace {

constexpr int kProgressBarWidth = 24;
// Carriage return, then "erase to end of line" (ANSI EL), understood by
// every terminal emulator in use.
constexpr char kEraseProgressLine[] = "\r\033[K";

}  // namespace

std::string FormatProgressLine(const BulkProgress& progress, uint64_t total, bool notify) {
  const double fraction =
      total == 0 ? 1.0 : std::min(1.0, static_cast<double>(progress.acked) / total);
  const int filled = static_cast<int>(fraction * kProgressBarWidth);
  std::string line = absl::StrCat(
      "[", std::string(filled, '#'), std::string(kProgressBarWidth - filled, '-'), "] ",
      progress.acked, "/", total, " acked ", static_cast<int>(fraction * 100), "%");
  const double rate =
      progress.elapsed_seconds > 0 ? progress.acked / progress.elapsed_seconds : 0.0;
  absl::StrAppend(&line, absl::StrFormat("  %.0f jobs/s", rate));
  if (progress.rejected > 0) {
    absl::StrAppend(&line, "  ", progress.rejected, " rejected");
  }
  if (notify) {
    absl::StrAppend(&line, "  ", progress.finished, " finished");
  }
  return line;
}

void ProgressBar::Update(const BulkProgress& progress) {
  std::fputs(kEraseProgressLine, out_);
  std::fputs(FormatProgressLine(progress, total_, notify_).c_str(), out_);
  if (progress.done) {
    std::fputc('\n', out_);
    drawn_ = false;
  } else {
    drawn_ = true;
  }
  std::fflush(out_);
}

void ProgressBar::Clear() {
  if (drawn_) {
    std::fputs(kEraseProgressLine, out_);
    std::fflush(out_);
    drawn_ = false;
  }
}

}  // namespace jobq::cli
