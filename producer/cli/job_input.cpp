#include "producer/cli/job_input.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <utility>

#include "absl/strings/str_cat.h"

namespace jobq::cli {
namespace {

// Bad lines reported in full before "... and N more".
constexpr size_t kMaxReportedLineErrors = 20;

bool IsRegularFile(const std::string& path) {
  struct stat info;
  return stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode);
}

// A directory opens like a file and only fails when read: caught first,
// or the failed copy would be blamed on the disk.
bool IsDirectory(const std::string& path) {
  struct stat info;
  return stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
}
bool IsDirectory(int fd) {
  struct stat info;
  return fstat(fd, &info) == 0 && S_ISDIR(info.st_mode);
}

absl::Status DirectoryError(const std::string& name) {
  return absl::InvalidArgumentError(
      absl::StrCat(name,
                   " is a directory; --file takes a JSON Lines file (one job per line), "
                   "or - for stdin"));
}

// Copies an input that cannot be read twice into a temporary file, which
// is unlinked at once so nothing is left behind however jobq exits.
absl::StatusOr<std::unique_ptr<std::istream>> CopyToTemporaryFile(std::istream& in) {
  std::error_code error;
  std::filesystem::path dir = std::filesystem::temp_directory_path(error);
  if (error) {
    dir = "/tmp";
  }
  std::string path = (dir / "jobq-input-XXXXXX").string();
  const int fd = mkstemp(path.data());
  if (fd < 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot create a temporary file in ", dir.string(),
        " to hold the input: ", std::strerror(errno), "; set TMPDIR to a writable directory"));
  }
  close(fd);
  auto copy = std::make_unique<std::fstream>(
      path, std::ios::in | std::ios::out | std::ios::trunc | std::ios::binary);
  unlink(path.c_str());  // the open stream keeps the data
  if (!copy->is_open()) {
    return absl::FailedPreconditionError(absl::StrCat("cannot open the temporary file ", path));
  }
  if (in.peek() != std::char_traits<char>::eof()) {
    *copy << in.rdbuf();
  }
  copy->flush();
  if (in.bad() || !*copy) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot copy the input to a temporary file in ", dir.string(), " (disk full?)"));
  }
  copy->seekg(0);
  return copy;
}

}  // namespace

JobInput JobInput::FromJob(wire::JobSpec job) {
  JobInput input;
  input.name_ = "the command line";
  input.total_ = 1;
  input.single_job_ = std::move(job);
  return input;
}

absl::StatusOr<JobInput> JobInput::OpenFile(const std::string& path) {
  JobInput input;
  std::unique_ptr<std::istream> stream;
  if (path == "-") {
    input.name_ = "stdin";
    if (IsDirectory(STDIN_FILENO)) {
      return DirectoryError(input.name_);
    }
    absl::StatusOr<std::unique_ptr<std::istream>> copy = CopyToTemporaryFile(std::cin);
    if (!copy.ok()) {
      return copy.status();
    }
    stream = *std::move(copy);
  } else {
    input.name_ = path;
    if (IsDirectory(path)) {
      return DirectoryError(path);
    }
    auto file = std::make_unique<std::ifstream>(path, std::ios::binary);
    if (!file->is_open()) {
      return absl::NotFoundError(absl::StrCat("cannot open ", path, ": ", std::strerror(errno)));
    }
    stream = std::move(file);
    if (!IsRegularFile(path)) {  // a pipe, e.g. <(make_jobs): read it once, keep a copy
      absl::StatusOr<std::unique_ptr<std::istream>> copy = CopyToTemporaryFile(*stream);
      if (!copy.ok()) {
        return copy.status();
      }
      stream = *std::move(copy);
    }
  }

  JobLinesCheck check = CheckJobLines(*stream, kMaxReportedLineErrors);
  if (check.invalid_lines > 0) {
    std::string message;
    for (const std::string& error : check.errors) {
      absl::StrAppend(&message, input.name_, " ", error, "\n");
    }
    if (check.invalid_lines > check.errors.size()) {
      absl::StrAppend(&message, input.name_, ": ... and ",
                      check.invalid_lines - check.errors.size(), " more invalid lines\n");
    }
    absl::StrAppend(&message, "nothing was submitted: fix the ", check.invalid_lines,
                    check.invalid_lines == 1 ? " line" : " lines", " above");
    return absl::InvalidArgumentError(message);
  }
  stream->clear();
  stream->seekg(0);
  if (!*stream) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot reread ", input.name_, " after checking it"));
  }
  input.total_ = check.jobs;
  input.file_ = std::move(stream);
  input.reader_.emplace(*input.file_);
  return input;
}

absl::StatusOr<std::optional<wire::JobSpec>> JobInput::Next() {
  if (!reader_) {
    std::optional<wire::JobSpec> job = std::move(single_job_);
    single_job_.reset();
    return job;
  }
  absl::StatusOr<std::optional<wire::JobSpec>> job = reader_->Next();
  if (!job.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(name_, " ", job.status().message()));
  }
  if (job->has_value()) {
    unacked_lines_.push_back(reader_->line_number());
  }
  return job;
}

std::optional<uint64_t> JobInput::PopLineOfAck() {
  if (unacked_lines_.empty()) {
    return std::nullopt;
  }
  const uint64_t line = unacked_lines_.front();
  unacked_lines_.pop_front();
  return line;
}

}  // namespace jobq::cli
