// Key files: 0600 permissions, refusal to overwrite, round trip, and every kind of
// bad file rejected with an error that names the file.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>

#include <sys/stat.h>

#include "crypto/key_file.hpp"
#include "unit/crypto/temp_dir.hpp"

using namespace zks::crypto;
using zks::test::TempDir;

namespace {
std::string read_all(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
// Writes text with mode 0600 (the loader's permission check passes, content is tested).
void write_private(const std::filesystem::path& p, const std::string& text) {
  std::ofstream(p) << text;
  ::chmod(p.c_str(), 0600);
}
unsigned mode_of(const std::filesystem::path& p) {
  struct stat sb;
  REQUIRE(::stat(p.c_str(), &sb) == 0);
  return sb.st_mode & 07777;
}
void require_error(const std::filesystem::path& p, const std::string& fragment) {
  auto r = load_key(p);
  REQUIRE_FALSE(r.ok());
  INFO(r.error());
  CHECK_THAT(r.error(), Catch::Contains(p.string()));
  CHECK_THAT(r.error(), Catch::Contains(fragment));
}
}  // namespace

TEST_CASE("key file round trip with mode 0600", "[crypto]") {
  TempDir dir("keyfile");
  auto path = dir / "hotkey";
  Keypair kp = Keypair::generate();
  REQUIRE(save_key(path, kp, false).ok());
  CHECK(mode_of(path) == 0600);
  auto loaded = load_key(path);
  REQUIRE(loaded.ok());
  CHECK(loaded->public_key() == kp.public_key());
  // The loaded key signs what the original verifies.
  CHECK(verify(kp.public_key(), "m", loaded->sign("m")));

  std::string text = read_all(path);
  CHECK_THAT(text, Catch::Contains("zkslice-key-version: 1"));
  CHECK_THAT(text, Catch::Contains("public: " + kp.public_key().to_string()));
  // No temporary file is left behind.
  size_t entries = 0;
  for (auto& e : std::filesystem::directory_iterator(dir.path())) (void)e, ++entries;
  CHECK(entries == 1);
}

TEST_CASE("key file mode is 0600 even with a permissive umask", "[crypto]") {
  TempDir dir("keyfile");
  mode_t old = ::umask(0);
  zks::Status st = save_key(dir / "k", Keypair::generate(), false);
  ::umask(old);
  REQUIRE(st.ok());
  CHECK(mode_of(dir / "k") == 0600);
}

TEST_CASE("saving refuses to overwrite unless asked", "[crypto]") {
  TempDir dir("keyfile");
  auto path = dir / "hotkey";
  Keypair first = Keypair::generate();
  REQUIRE(save_key(path, first, false).ok());
  zks::Status again = save_key(path, Keypair::generate(), false);
  REQUIRE_FALSE(again.ok());
  CHECK_THAT(again.error(), Catch::Contains("already exists"));
  CHECK_THAT(again.error(), Catch::Contains(path.string()));
  CHECK(load_key(path)->public_key() == first.public_key());

  Keypair second = Keypair::generate();
  REQUIRE(save_key(path, second, true).ok());
  CHECK(mode_of(path) == 0600);
  CHECK(load_key(path)->public_key() == second.public_key());
}

TEST_CASE("loading a group or world readable key file fails with the chmod hint", "[crypto]") {
  TempDir dir("keyfile");
  auto path = dir / "hotkey";
  REQUIRE(save_key(path, Keypair::generate(), false).ok());
  for (unsigned mode : {0644u, 0640u, 0604u, 0660u}) {
    ::chmod(path.c_str(), mode);
    auto r = load_key(path);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error(), Catch::Contains("chmod 600 " + path.string()));
  }
  ::chmod(path.c_str(), 0400);  // read-only for the owner is fine
  CHECK(load_key(path).ok());
}

TEST_CASE("malformed, truncated and wrong-version key files fail", "[crypto]") {
  TempDir dir("keyfile");
  auto good_path = dir / "good";
  Keypair kp = Keypair::generate();
  REQUIRE(save_key(good_path, kp, false).ok());
  const std::string good = read_all(good_path);
  auto path = dir / "bad";
  auto replace = [&](const std::string& from, const std::string& to) {
    std::string s = good;
    auto at = s.find(from);
    REQUIRE(at != std::string::npos);
    s.replace(at, from.size(), to);
    return s;
  };

  SECTION("missing file") { require_error(dir / "absent", "cannot open"); }
  SECTION("empty file") {
    write_private(path, "");
    require_error(path, "not a zkslice key file");
  }
  SECTION("garbage") {
    write_private(path, "\x01\x02 not a key\n");
    require_error(path, "malformed line 1");
  }
  SECTION("truncated in the middle of the secret") {
    write_private(path, good.substr(0, good.size() - 20));
    require_error(path, "secret");
  }
  SECTION("truncated before the secret") {
    write_private(path, good.substr(0, good.find("secret:")));
    require_error(path, "missing field \"secret\"");
  }
  SECTION("wrong version") {
    write_private(path, replace("zkslice-key-version: 1", "zkslice-key-version: 2"));
    require_error(path, "unsupported key file version \"2\"");
  }
  SECTION("wrong key type") {
    write_private(path, replace("type: ed25519", "type: sr25519"));
    require_error(path, "unsupported key type");
  }
  SECTION("unknown field") {
    write_private(path, good + "extra: 1\n");
    require_error(path, "unknown field \"extra\"");
  }
  SECTION("duplicate field") {
    write_private(path, good + "type: ed25519\n");
    require_error(path, "appears twice");
  }
  SECTION("public key of another key") {
    write_private(path, replace(kp.public_key().to_string(), Keypair::generate().public_key().to_string()));
    require_error(path, "does not match the secret key");
  }
  SECTION("public key without prefix") {
    write_private(path, replace(kp.public_key().to_string(), kp.public_key().hex()));
    require_error(path, "field \"public\"");
  }
  SECTION("directory instead of a file") {
    std::filesystem::create_directory(dir / "d");
    ::chmod((dir / "d").c_str(), 0700);
    require_error(dir / "d", "not a regular file");
  }
  SECTION("too large") {
    write_private(path, good + std::string(5000, '#'));
    require_error(path, "too large");
  }
}
