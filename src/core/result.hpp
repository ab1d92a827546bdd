// Errors as values: Result<T> holds either a T or an Error (code + message).
// Expected failures (bad input, a missing row, a duplicate) travel as values
// and become protocol replies or CLI messages; exceptions are for bugs.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace tern {

enum class Errc {
  invalid,          // the input is malformed
  not_found,        // the thing named does not exist
  already_exists,   // a unique name is taken
  conflict,         // the operation contradicts current state (e.g. domain not empty)
  denied,           // policy forbids it (e.g. a sender address the account does not own)
  unavailable,      // a resource is temporarily unavailable (busy, disk full)
  io,               // an I/O or database error
  internal,         // a bug
};

const char* errc_name(Errc code) noexcept;

struct Error {
  Errc code = Errc::internal;
  std::string message;
};

inline Error make_error(Errc code, std::string message) { return Error{code, std::move(message)}; }

template <class T>
class [[nodiscard]] Result {
 public:
  // An empty result is an internal error; it exists because some Asio
  // completion paths default-construct the value before assigning it.
  Result() : v_(std::in_place_index<1>, Error{Errc::internal, "no result"}) {}
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const& { return std::get<1>(v_); }
  Error&& error() && { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT

  bool ok() const noexcept { return ok_; }
  explicit operator bool() const noexcept { return ok_; }
  const Error& error() const& { return error_; }
  Error&& error() && { return std::move(error_); }

 private:
  Error error_;
  bool ok_ = true;
};

}  // namespace tern
