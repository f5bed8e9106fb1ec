#include "crypto/key_file.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hash/blake2b.hpp"
#include "util/bytes.hpp"

namespace zks::crypto {

namespace {

constexpr size_t kMaxKeyFileBytes = 4096;

std::string errno_text(int err) { return std::strerror(err); }

Error file_error(const std::filesystem::path& path, const std::string& what) {
  return make_error("key file " + path.string() + ": " + what);
}

// A std::string that wipes its contents when it goes out of scope.
struct WipedString {
  std::string s;
  ~WipedString() {
    if (!s.empty()) sodium_memzero(s.data(), s.size());
  }
};

Status write_all(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return make_error(errno_text(errno));
    }
    off += static_cast<size_t>(n);
  }
  return {};
}

Status fsync_dir(const std::filesystem::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return make_error("cannot open directory " + dir.string() + ": " + errno_text(errno));
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return make_error("cannot fsync directory " + dir.string() + ": " + errno_text(err));
  return {};
}

std::string trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(" \t\r");
  return std::string(s.substr(b, e - b + 1));
}

}  // namespace

Status save_key(const std::filesystem::path& path, const Keypair& keypair, bool overwrite) {
  std::error_code ec;
  if (!overwrite && std::filesystem::exists(std::filesystem::symlink_status(path, ec)))
    return file_error(path, "already exists; refusing to overwrite it");

  WipedString content;
  {
    WipedString secret_hex{util::to_hex(keypair.secret_key().bytes())};
    content.s = "# zkslice hotkey. Anyone who can read this file can sign as this node.\n"
                "zkslice-key-version: " + std::to_string(kKeyFileVersion) + "\n"
                "type: ed25519\n"
                "public: " + keypair.public_key().to_string() + "\n"
                "secret: " + secret_hex.s + "\n";
  }

  std::filesystem::path dir = path.parent_path();
  if (dir.empty()) dir = ".";
  std::array<uint8_t, 8> rnd;
  hash::ensure_sodium();
  randombytes_buf(rnd.data(), rnd.size());
  std::string tmp_name = ".";  // appended piecewise: GCC 12 -Wrestrict misfires on a + chain here
  tmp_name.append(path.filename().string()).append(".tmp-").append(util::to_hex(rnd));
  std::filesystem::path tmp = dir / tmp_name;

  // O_EXCL with mode 0600: the secret is never readable by anyone else, not even for
  // a moment, whatever the umask.
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return file_error(path, "cannot create temporary file " + tmp.string() + ": " + errno_text(errno));
  Status st = write_all(fd, content.s);
  if (st.ok() && ::fchmod(fd, 0600) != 0) st = make_error("fchmod: " + errno_text(errno));
  if (st.ok() && ::fsync(fd) != 0) st = make_error("fsync: " + errno_text(errno));
  if (::close(fd) != 0 && st.ok()) st = make_error("close: " + errno_text(errno));
  if (!st.ok()) {
    ::unlink(tmp.c_str());
    return file_error(path, "cannot write: " + st.error());
  }

  if (overwrite) {
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
      int err = errno;
      ::unlink(tmp.c_str());
      return file_error(path, "cannot rename into place: " + errno_text(err));
    }
  } else {
    // link() fails with EEXIST if the target appeared since the check above, so a
    // concurrent writer can never be silently replaced.
    if (::link(tmp.c_str(), path.c_str()) != 0) {
      int err = errno;
      ::unlink(tmp.c_str());
      if (err == EEXIST) return file_error(path, "already exists; refusing to overwrite it");
      return file_error(path, "cannot move into place: " + errno_text(err));
    }
    ::unlink(tmp.c_str());
  }
  return fsync_dir(dir);
}

Result<Keypair> load_key(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return file_error(path, "cannot open: " + errno_text(errno));
  struct stat sb;
  if (::fstat(fd, &sb) != 0) {
    int err = errno;
    ::close(fd);
    return file_error(path, "cannot stat: " + errno_text(err));
  }
  if (!S_ISREG(sb.st_mode)) {
    ::close(fd);
    return file_error(path, "is not a regular file");
  }
  if ((sb.st_mode & 077) != 0) {
    ::close(fd);
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", unsigned(sb.st_mode & 07777));
    return file_error(path, std::string("is accessible by group or others (mode ") + mode +
                                "); a hotkey must be private. Fix: chmod 600 " + path.string());
  }
  if (sb.st_size > static_cast<off_t>(kMaxKeyFileBytes)) {
    ::close(fd);
    return file_error(path, "is too large to be a key file (" + std::to_string(sb.st_size) + " bytes)");
  }
  WipedString content;
  content.s.resize(kMaxKeyFileBytes + 1);
  size_t got = 0;
  for (;;) {
    ssize_t n = ::read(fd, content.s.data() + got, content.s.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return file_error(path, "cannot read: " + errno_text(err));
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
    if (got > kMaxKeyFileBytes) break;
  }
  ::close(fd);
  if (got > kMaxKeyFileBytes) return file_error(path, "is too large to be a key file");
  content.s.resize(got);

  std::map<std::string, WipedString> fields;
  size_t line_no = 0;
  size_t pos = 0;
  while (pos < content.s.size()) {
    size_t nl = content.s.find('\n', pos);
    std::string_view line(content.s.data() + pos, (nl == std::string::npos ? content.s.size() : nl) - pos);
    pos = nl == std::string::npos ? content.s.size() : nl + 1;
    ++line_no;
    WipedString t{trim(line)};
    if (t.s.empty() || t.s[0] == '#') continue;
    size_t colon = t.s.find(':');
    if (colon == std::string::npos)
      return file_error(path, "malformed line " + std::to_string(line_no) + " (expected \"name: value\")");
    std::string name = trim(std::string_view(t.s).substr(0, colon));
    if (name != "zkslice-key-version" && name != "type" && name != "public" && name != "secret")
      return file_error(path, "unknown field \"" + name + "\" on line " + std::to_string(line_no));
    if (fields.count(name)) return file_error(path, "field \"" + name + "\" appears twice");
    fields[name].s = trim(std::string_view(t.s).substr(colon + 1));
  }

  auto missing = [&](const char* name) { return fields.find(name) == fields.end(); };
  if (missing("zkslice-key-version"))
    return file_error(path, "not a zkslice key file (no \"zkslice-key-version\" field)");
  const std::string& version = fields["zkslice-key-version"].s;
  if (version != std::to_string(kKeyFileVersion))
    return file_error(path, "unsupported key file version \"" + version + "\" (this build reads version " +
                                std::to_string(kKeyFileVersion) + ")");
  for (const char* name : {"type", "public", "secret"})
    if (missing(name)) return file_error(path, std::string("missing field \"") + name + "\" (file truncated?)");
  if (fields["type"].s != "ed25519")
    return file_error(path, "unsupported key type \"" + fields["type"].s + "\" (expected ed25519)");
  auto pk = PublicKey::parse(fields["public"].s);
  if (!pk) return file_error(path, "field \"public\": " + pk.error());

  std::array<uint8_t, kSecretKeyBytes> sk_bytes;
  bool hex_ok = decode_hex(fields["secret"].s, sk_bytes);
  auto sk = SecretKey::from_bytes(sk_bytes);
  sodium_memzero(sk_bytes.data(), sk_bytes.size());
  if (!hex_ok) return file_error(path, "field \"secret\" must be 128 lowercase hex digits");
  auto kp = Keypair::from_secret(std::move(*sk));
  if (!kp) return file_error(path, kp.error());
  if (kp->public_key() != *pk)
    return file_error(path, "public key " + pk->to_string() + " does not match the secret key (which is " +
                                kp->public_key().to_string() + ")");
  return kp;
}

}  // namespace zks::crypto
