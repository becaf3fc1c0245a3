#pragma once
// `jobq keygen [--out-dir DIR] [--force] NAME`: makes a CURVE key pair
// (DESIGN.md §9) and writes DIR/NAME.key (the pair, mode 0600) and
// DIR/NAME.pub (the public key, to hand out). Formats: common/curve_keys.h.
// Existing files are kept unless --force. Runs on the calling thread.

#include <CLI/CLI.hpp>
#include <string>

#include "absl/status/statusor.h"
#include "common/curve_keys.h"

namespace jobq::cli {

struct KeygenFlags {
  std::string out_dir = ".";
  std::string name;
  bool force = false;
};

// Registers the subcommand; `flags` must outlive `app`.
CLI::App* AddKeygenCommand(CLI::App& app, KeygenFlags* flags);

// Exit code: 0 after writing both files, 2 with a message on stderr.
int RunKeygen(const KeygenFlags& flags);

struct KeyFilePaths {
  std::string key;  // DIR/NAME.key
  std::string pub;  // DIR/NAME.pub
};

// Writes `pair` as DIR/NAME.key and DIR/NAME.pub. Errors: kInvalidArgument
// for a NAME that is not a plain file name, kAlreadyExists when a file is
// there and !force, else the I/O error, each saying what to do.
absl::StatusOr<KeyFilePaths> WriteKeyFiles(const std::string& dir, const std::string& name,
                                           const curve::KeyPair& pair, bool force);

}  // namespace jobq::cli
