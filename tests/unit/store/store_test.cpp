// Store: put/get/del, atomic batches, reopen, the data-dir lock, prefix iteration.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <map>
#include <string>

#include <spawn.h>
#include <sys/wait.h>

#include "store/store.hpp"
#include "unit/crypto/temp_dir.hpp"

extern char** environ;

using namespace zks::store;
using zks::test::TempDir;

namespace {
std::string get_or(Store& s, std::string_view cf, std::string_view key, const std::string& fallback = "<none>") {
  auto r = s.get(cf, key);
  REQUIRE(r.ok());
  return r->value_or(fallback);
}
}  // namespace

TEST_CASE("store put, get and del per column family", "[store]") {
  TempDir dir("store");
  auto opened = Store::open(dir.path(), all_column_families());
  REQUIRE(opened.ok());
  Store& s = *opened;
  for (const auto& cf : all_column_families()) CHECK(s.has_column_family(cf));

  CHECK(get_or(s, cf::kScores, "m1") == "<none>");
  REQUIRE(s.put(cf::kScores, "m1", "0.5").ok());
  REQUIRE(s.put(cf::kWeights, "m1", "w").ok());
  CHECK(get_or(s, cf::kScores, "m1") == "0.5");
  CHECK(get_or(s, cf::kWeights, "m1") == "w");  // families are separate key spaces
  CHECK(get_or(s, cf::kMiners, "m1") == "<none>");
  REQUIRE(s.put(cf::kScores, "m1", "0.7").ok());
  CHECK(get_or(s, cf::kScores, "m1") == "0.7");
  REQUIRE(s.del(cf::kScores, "m1").ok());
  CHECK(get_or(s, cf::kScores, "m1") == "<none>");
  REQUIRE(s.del(cf::kScores, "never-there").ok());

  // Binary keys and values, empty values.
  std::string key("\0\x01\xff", 3), value("\0\0", 2);
  REQUIRE(s.put(cf::kNonces, key, value).ok());
  CHECK(get_or(s, cf::kNonces, key) == value);
  REQUIRE(s.put(cf::kNonces, "empty", "").ok());
  CHECK(get_or(s, cf::kNonces, "empty") == "");

  auto unknown = s.get("nope", "k");
  REQUIRE_FALSE(unknown.ok());
  CHECK_THAT(unknown.error(), Catch::Contains("no column family \"nope\""));
  CHECK_FALSE(s.put("nope", "k", "v").ok());
}

TEST_CASE("store batch is applied all or nothing", "[store]") {
  TempDir dir("store");
  auto opened = Store::open(dir.path(), all_column_families());
  REQUIRE(opened.ok());
  Store& s = *opened;
  REQUIRE(s.put(cf::kScores, "old", "1").ok());

  Batch good;
  good.put(cf::kScores, "a", "1");
  good.put(cf::kWeights, "epoch-7", "w");
  good.del(cf::kScores, "old");
  REQUIRE(s.write(good).ok());
  CHECK(get_or(s, cf::kScores, "a") == "1");
  CHECK(get_or(s, cf::kWeights, "epoch-7") == "w");
  CHECK(get_or(s, cf::kScores, "old") == "<none>");

  Batch bad;
  bad.put(cf::kScores, "b", "2");
  bad.del(cf::kScores, "a");
  bad.put("no-such-family", "c", "3");  // fails the whole batch
  auto st = s.write(bad);
  REQUIRE_FALSE(st.ok());
  CHECK_THAT(st.error(), Catch::Contains("not applied"));
  CHECK(get_or(s, cf::kScores, "b") == "<none>");
  CHECK(get_or(s, cf::kScores, "a") == "1");

  Batch range;
  for (char c = 'a'; c <= 'e'; ++c) range.put(cf::kRequests, std::string(1, c), "x");
  range.del_range(cf::kRequests, "b", "d");
  REQUIRE(s.write(range).ok());
  std::string left;
  REQUIRE(s.for_each_prefix(cf::kRequests, "", [&](auto k, auto) { left += k; return true; }).ok());
  CHECK(left == "ade");
}

TEST_CASE("store keeps data across close and reopen", "[store]") {
  TempDir dir("store");
  {
    auto s = Store::open(dir.path(), {std::string(cf::kModels)});
    REQUIRE(s.ok());
    REQUIRE(s->put(cf::kModels, "lenet", "manifest-bytes").ok());
  }
  {
    // Reopen asking for more families: the old one is opened too, new ones created.
    auto s = Store::open(dir.path(), {std::string(cf::kArtifacts)});
    REQUIRE(s.ok());
    CHECK(s->has_column_family(cf::kModels));
    CHECK(get_or(*s, cf::kModels, "lenet") == "manifest-bytes");
    REQUIRE(s->put(cf::kArtifacts, "h", "path").ok());
  }
  auto s = Store::open(dir.path(), all_column_families());
  REQUIRE(s.ok());
  CHECK(get_or(*s, cf::kArtifacts, "h") == "path");
  CHECK(get_or(*s, cf::kModels, "lenet") == "manifest-bytes");
}

TEST_CASE("second open of the same data dir fails with in use", "[store]") {
  TempDir dir("store");
  auto first = Store::open(dir.path(), all_column_families());
  REQUIRE(first.ok());
  auto second = Store::open(dir.path(), all_column_families());
  REQUIRE_FALSE(second.ok());
  CHECK_THAT(second.error(), Catch::Contains("data dir " + dir.path().string() + " is in use by another process"));
}

// Run in a child process by the test below: the lock must hold across processes.
TEST_CASE("store lock child", "[.store_lock_child]") {
  const char* d = std::getenv("ZKS_STORE_LOCK_DIR");
  REQUIRE(d != nullptr);
  auto second = Store::open(d, all_column_families());
  REQUIRE_FALSE(second.ok());
  CHECK_THAT(second.error(), Catch::Contains(std::string("data dir ") + d + " is in use by another process"));
}

TEST_CASE("open from another process fails while the dir is held", "[store]") {
  TempDir dir("store");
  auto first = Store::open(dir.path(), all_column_families());
  REQUIRE(first.ok());
  std::string env_dir = "ZKS_STORE_LOCK_DIR=" + dir.path().string();
  std::vector<char*> envp;
  for (char** e = environ; *e; ++e) envp.push_back(*e);
  envp.push_back(env_dir.data());
  envp.push_back(nullptr);
  std::string exe = "/proc/self/exe", name = "store lock child", quiet = "--reporter", compact = "compact";
  char* argv[] = {exe.data(), name.data(), quiet.data(), compact.data(), nullptr};
  pid_t pid = 0;
  REQUIRE(posix_spawn(&pid, exe.c_str(), nullptr, nullptr, argv, envp.data()) == 0);
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  // Once released, the dir opens again.
  first = zks::make_error("closed");
  CHECK(Store::open(dir.path(), all_column_families()).ok());
}

TEST_CASE("store prefix iteration", "[store]") {
  TempDir dir("store");
  auto opened = Store::open(dir.path(), all_column_families());
  REQUIRE(opened.ok());
  Store& s = *opened;
  for (std::string k : {"miner/b", "miner/a", "minerx", "miner/c", "model/a", "m"}) REQUIRE(s.put(cf::kMiners, k, "v-" + k).ok());

  std::vector<std::string> seen;
  REQUIRE(s.for_each_prefix(cf::kMiners, "miner/", [&](std::string_view k, std::string_view v) {
             CHECK(v == "v-" + std::string(k));
             seen.emplace_back(k);
             return true;
           }).ok());
  CHECK(seen == std::vector<std::string>{"miner/a", "miner/b", "miner/c"});

  seen.clear();
  REQUIRE(s.for_each_prefix(cf::kMiners, "miner/", [&](std::string_view k, std::string_view) {
             seen.emplace_back(k);
             return seen.size() < 2;  // stop early
           }).ok());
  CHECK(seen.size() == 2);

  seen.clear();
  REQUIRE(s.for_each_prefix(cf::kMiners, "zzz", [&](std::string_view k, std::string_view) {
             seen.emplace_back(k);
             return true;
           }).ok());
  CHECK(seen.empty());

  seen.clear();
  REQUIRE(s.for_each_range(cf::kMiners, "miner/b", "model", [&](std::string_view k, std::string_view) {
             seen.emplace_back(k);
             return true;
           }).ok());
  CHECK(seen == std::vector<std::string>{"miner/b", "miner/c", "minerx"});
}
