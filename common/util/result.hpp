#pragma once
// Result<T>: the value or a message a user can act on. Used for everything that
// comes from outside (proofs, ONNX files, RPC payloads, config). A rejected proof
// is a value, not an exception.

#include <string>
#include <utility>
#include <variant>

#include "util/assert.hpp"

namespace zks {

struct Error {
  std::string message;
};

inline Error make_error(std::string message) { return Error{std::move(message)}; }

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : m_v(std::move(value)) {}
  Result(Error error) : m_v(std::move(error)) {}

  bool ok() const { return m_v.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    ZK_ASSERT_MSG(ok(), "Result::value() on an error");
    return std::get<0>(m_v);
  }
  const T& value() const& {
    ZK_ASSERT_MSG(ok(), "Result::value() on an error");
    return std::get<0>(m_v);
  }
  T&& value() && {
    ZK_ASSERT_MSG(ok(), "Result::value() on an error");
    return std::get<0>(std::move(m_v));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const std::string& error() const {
    ZK_ASSERT_MSG(!ok(), "Result::error() on a value");
    return std::get<1>(m_v).message;
  }

 private:
  std::variant<T, Error> m_v;
};

// Status: a Result without a value.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : m_error(std::move(error.message)), m_failed(true) {}
  static Status success() { return Status(); }

  bool ok() const { return !m_failed; }
  explicit operator bool() const { return ok(); }
  const std::string& error() const { return m_error; }

 private:
  std::string m_error;
  bool m_failed = false;
};

}  // namespace zks

// Propagate an error from a Status or Result expression.
#define ZK_TRY(expr)                                              \
  do {                                                            \
    auto&& zk_try_r_ = (expr);                                    \
    if (!zk_try_r_.ok()) return ::zks::Error{zk_try_r_.error()}; \
  } while (0)
