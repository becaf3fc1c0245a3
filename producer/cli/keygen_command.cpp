#include "producer/cli/keygen_command.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "producer/cli/exit_code.h"
#include "producer/cli/global_flags.h"

namespace jobq::cli {
namespace {

bool IsPlainName(const std::string& name) {
  if (name.empty() || name == "." || name == ".." || name.front() == '-') {
    return false;
  }
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    if (!ok) {
      return false;
    }
  }
  return true;
}

// Writes `text` to `path` with `mode`. Without `force` an existing file is
// an error (O_EXCL, so two keygens never both win); with it the file is
// truncated and its mode set again, as an old one may be readable by others.
absl::Status WriteNewFile(const std::string& path, const std::string& text, mode_t mode,
                          bool force) {
  const int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (force ? O_TRUNC : O_EXCL);
  const int fd = ::open(path.c_str(), flags, mode);
  if (fd < 0) {
    const int error = errno;
    if (error == EEXIST) {
      return absl::AlreadyExistsError(
          absl::StrCat(path,
                       " exists already; keep it, choose another NAME or --out-dir, or "
                       "pass --force to replace it (clients using the old key are then "
                       "refused)"));
    }
    return absl::UnavailableError(absl::StrCat("cannot write ", path, ": ", std::strerror(error)));
  }
  absl::Status status;
  if (::fchmod(fd, mode) != 0) {
    status = absl::UnavailableError(
        absl::StrCat("cannot set the mode of ", path, ": ", std::strerror(errno)));
  }
  size_t written = 0;
  while (status.ok() && written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      status =
          absl::UnavailableError(absl::StrCat("cannot write ", path, ": ", std::strerror(errno)));
      break;
    }
    written += static_cast<size_t>(n);
  }
  if (status.ok() && ::fsync(fd) != 0) {
    status =
        absl::UnavailableError(absl::StrCat("cannot write ", path, ": ", std::strerror(errno)));
  }
  ::close(fd);
  return status;
}

}  // namespace

CLI::App* AddKeygenCommand(CLI::App& app, KeygenFlags* flags) {
  CLI::App* command = app.add_subcommand(
      "keygen",
      "Make a CURVE key pair: NAME.key (public-key and secret-key lines, mode 0600; keep it "
      "secret) and NAME.pub (public-key = \"<Z85>\"; hand it out). Give the broker its .key "
      "with --curve-secret-key; list producers' and workers' .pub files in its --producer-keys "
      "and --worker-keys files (one key per line: `cat a.pub b.pub > workers.allow`); give "
      "producers and workers --broker-key broker.pub and --curve-key NAME.key");
  command->add_option("name", flags->name, "Name of the key files (letters, digits, . _ -)")
      ->required();
  command->add_option("--out-dir", flags->out_dir, "Directory to write them to (default .)");
  command->add_flag("--force", flags->force, "Replace NAME.key and NAME.pub if they exist");
  return command;
}

absl::StatusOr<KeyFilePaths> WriteKeyFiles(const std::string& dir, const std::string& name,
                                           const curve::KeyPair& pair, bool force) {
  if (!IsPlainName(name)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the key NAME \"", name,
        "\" must be a plain file name of letters, digits, '.', '_' and '-' (e.g. worker1); use "
        "--out-dir for the directory"));
  }
  struct stat info {};
  if (::stat(dir.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
    return absl::NotFoundError(absl::StrCat(
        "--out-dir ", dir, " is not a directory; create it first (mkdir -p ", dir, ")"));
  }
  const std::string base = dir.empty() || dir.back() == '/' ? dir + name : dir + "/" + name;
  KeyFilePaths paths{base + ".key", base + ".pub"};
  if (!force) {
    // Checked for both before writing either, so a refusal leaves no half pair.
    for (const std::string* path : {&paths.key, &paths.pub}) {
      if (::access(path->c_str(), F_OK) == 0) {
        return absl::AlreadyExistsError(absl::StrCat(
            *path,
            " exists already; keep it, choose another NAME or --out-dir, or pass --force "
            "to replace it (clients using the old key are then refused)"));
      }
    }
  }
  absl::Status status = WriteNewFile(paths.key, curve::FormatKeyFile(pair, name), 0600, force);
  if (!status.ok()) {
    return status;
  }
  status = WriteNewFile(paths.pub, curve::FormatPublicKeyFile(pair.public_key), 0644, force);
  if (!status.ok()) {
    return status;
  }
  return paths;
}

int RunKeygen(const KeygenFlags& flags) {
  absl::StatusOr<curve::KeyPair> pair = curve::GenerateKeyPair();
  if (!pair.ok()) {
    PrintError(pair.status().message());
    return kExitUsage;
  }
  absl::StatusOr<KeyFilePaths> paths = WriteKeyFiles(flags.out_dir, flags.name, *pair, flags.force);
  if (!paths.ok()) {
    PrintError(paths.status().message());
    return kExitUsage;
  }
  std::printf("wrote %s (key pair, keep it secret) and %s (public key %s)\n", paths->key.c_str(),
              paths->pub.c_str(), curve::ToZ85(pair->public_key).c_str());
  return kExitOk;
}

}  // namespace jobq::cli
