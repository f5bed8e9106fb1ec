#pragma once
// A daemon under test as a real child process: started with arguments, ready when it
// writes its ready file (host:port), stopped with SIGTERM. Every wait is bounded.
#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

namespace zks::test {

class Process {
 public:
  // Starts `binary args...`; stdout and stderr go to `log`.
  Process(const std::string& binary, std::vector<std::string> args, const std::string& log) {
    m_pid = fork();
    REQUIRE(m_pid >= 0);
    if (m_pid == 0) {
      FILE* f = std::freopen(log.c_str(), "a", stdout);
      if (f) dup2(fileno(stdout), 2);
      std::vector<char*> argv{const_cast<char*>(binary.c_str())};
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(binary.c_str(), argv.data());
      _exit(127);
    }
  }
  ~Process() {
    if (m_pid > 0 && !m_exited) {
      kill(m_pid, SIGKILL);
      int st;
      waitpid(m_pid, &st, 0);
    }
  }
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  // Waits (at most `limit`) for the ready file; fails the test if the process exits first.
  std::string wait_ready(const std::string& ready_file, std::chrono::seconds limit = std::chrono::seconds(20)) {
    auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
      std::ifstream f(ready_file);
      std::string addr;
      if (f >> addr && !addr.empty()) return addr;
      if (poll_exit()) FAIL("the daemon exited with status " << m_status << " before it was ready");
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    FAIL("the daemon was not ready within " << limit.count() << " s");
    return {};
  }
  // Sends a signal.
  void signal(int sig) { kill(m_pid, sig); }
  // Waits (at most `limit`) for the exit; returns the exit code, or -1 on timeout or a
  // death by signal.
  int wait_exit(std::chrono::seconds limit = std::chrono::seconds(30)) {
    auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
      if (poll_exit()) return WIFEXITED(m_status) ? WEXITSTATUS(m_status) : -1;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1;
  }
  // Stops the daemon with SIGTERM and expects a clean exit.
  void stop() {
    signal(SIGTERM);
    REQUIRE(wait_exit() == 0);
  }

 private:
  bool poll_exit() {
    if (m_exited) return true;
    if (waitpid(m_pid, &m_status, WNOHANG) == m_pid) m_exited = true;
    return m_exited;
  }
  pid_t m_pid = -1;
  int m_status = 0;
  bool m_exited = false;
};

// A fresh temporary directory, removed at the end of its scope.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    char tmpl[] = "/tmp/zks-test-XXXXXX";
    REQUIRE(mkdtemp(tmpl));
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

}  // namespace zks::test
