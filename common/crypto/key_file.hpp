#pragma once
// Hotkey files.
//
// Format (version 1): UTF-8 text, one "name: value" per line, '#' starts a comment
// line, blank lines are ignored, at most 4 KiB. Exactly these fields, each once:
//
//   # zkslice hotkey. Anyone who can read this file can sign as this node.
//   zkslice-key-version: 1
//   type: ed25519
//   public: zks1<64 lowercase hex digits>
//   secret: <128 lowercase hex digits: libsodium's seed (32 bytes) || public key (32 bytes)>
//
// The file is written with mode 0600 through a temporary file in the same directory
// (O_CREAT|O_EXCL, fsync, rename, fsync of the directory), so a crash leaves either
// the old file or the complete new one. The loader refuses a file that group or
// others can access (like ssh), an unknown or missing field, a wrong version, and a
// public key that is not the one the secret key derives.

#include <filesystem>

#include "crypto/keys.hpp"
#include "util/result.hpp"

namespace zks::crypto {

inline constexpr int kKeyFileVersion = 1;

// Refuses to replace an existing file unless `overwrite`.
Status save_key(const std::filesystem::path& path, const Keypair& keypair, bool overwrite);

// Every error names the file and what is wrong with it.
Result<Keypair> load_key(const std::filesystem::path& path);

}  // namespace zks::crypto
