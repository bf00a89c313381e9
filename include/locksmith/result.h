// Errors as values: every fallible library call returns Result<T>, a value or an Error.
// Error messages never contain secret values; code that builds them must not either.
#pragma once

#include <chrono>
#include <concepts>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace locksmith {

enum class ErrorCode {
  kInvalidArgument,     // bad input from the caller (a malformed name, a bad flag value)
  kNotFound,            // the secret, version or stage does not exist
  kAlreadyExists,       // creating something that exists
  kPermissionDenied,    // authenticated, but not allowed (also: wrong master key)
  kUnauthenticated,     // credentials missing, invalid or expired
  kUnavailable,         // back end unreachable or failing; retryable
  kThrottled,           // back end asked us to slow down; retryable
  kDeadlineExceeded,    // timed out; retryable
  kFailedPrecondition,  // the system is not in a state to do this (breaker open, stale value)
  kAborted,             // a concurrent change won (check-and-set conflict)
  kDataLoss,            // stored data is corrupt or cannot be decrypted
  kUnimplemented,       // the back end cannot do this
  kInternal,            // a bug or an unexpected library failure
};

// "NOT_FOUND" etc., stable for logs and JSON.
std::string_view ErrorCodeName(ErrorCode code);

// Whether a failed call may succeed if simply tried again later.
bool IsRetryable(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  // How long the back end asked us to wait before trying again (HTTP Retry-After on a 429 or a
  // 503), when it said; the runtime's retries wait at least this long (docs/runtime.md).
  std::optional<std::chrono::milliseconds> retry_after = std::nullopt;

  // "NOT_FOUND: secret 'x' not found"
  std::string ToString() const;
};

inline Error MakeError(ErrorCode code, std::string message) {
  return Error{code, std::move(message)};
}

namespace internal {
[[noreturn]] void DieOnBadResultAccess(const Error& error);
}  // namespace internal

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T&& value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit
  Result(const T& value)                                                   // NOLINT: implicit
      requires std::copy_constructible<T> : state_(std::in_place_index<0>, value) {}
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT: implicit

  bool ok() const { return state_.index() == 0; }

  const T& value() const& {
    CheckOk();
    return *std::get_if<0>(&state_);
  }
  T& value() & {
    CheckOk();
    return *std::get_if<0>(&state_);
  }
  T&& value() && {
    CheckOk();
    return std::move(*std::get_if<0>(&state_));
  }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

  // The error; only valid when !ok().
  const Error& error() const& { return *std::get_if<1>(&state_); }
  Error&& error() && { return std::move(*std::get_if<1>(&state_)); }

 private:
  void CheckOk() const {
    if (!ok()) {
      internal::DieOnBadResultAccess(*std::get_if<1>(&state_));
    }
  }
  std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}  // NOLINT: implicit

  bool ok() const { return !error_.has_value(); }
  void value() const {
    if (error_) {
      internal::DieOnBadResultAccess(*error_);
    }
  }
  const Error& error() const& { return *error_; }
  Error&& error() && { return std::move(*error_); }

 private:
  std::optional<Error> error_;
};

inline Result<void> OkResult() { return {}; }

}  // namespace locksmith

#define LOCKSMITH_CONCAT_INNER_(a, b) a##b
#define LOCKSMITH_CONCAT_(a, b) LOCKSMITH_CONCAT_INNER_(a, b)

// Returns the error of `expr` (a Result) from the enclosing function if it failed.
#define LOCKSMITH_RETURN_IF_ERROR(expr)            \
  do {                                             \
    auto locksmith_status_ = (expr);               \
    if (!locksmith_status_.ok()) {                 \
      return std::move(locksmith_status_).error(); \
    }                                              \
  } while (false)

// `lhs` = the value of `expr` (a Result), or return its error from the enclosing function.
#define LOCKSMITH_ASSIGN_OR_RETURN(lhs, expr) \
  LOCKSMITH_ASSIGN_OR_RETURN_IMPL_(LOCKSMITH_CONCAT_(locksmith_result_, __LINE__), lhs, expr)
#define LOCKSMITH_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                     \
  if (!tmp.ok()) {                                       \
    return std::move(tmp).error();                       \
  }                                                      \
  lhs = std::move(tmp).value()
