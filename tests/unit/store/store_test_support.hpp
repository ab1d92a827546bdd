// The shared store test suite's fixture. Every back end registers a factory
// in backends.cpp; each TEST_P then runs against every back end, so a new
// back end passes the same behaviour checks as the first.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "core/run_blocking.hpp"
#include "store/store.hpp"

namespace tern::store::testing {

struct BackendFactory {
  std::string name;
  // Opens the back end's database identified by `location` (created when new;
  // the same location opens the same data again).
  std::function<Result<std::unique_ptr<Store>>(const std::string& location)> open;
};

// Every back end built into this binary.
std::vector<BackendFactory> store_backends();

// A fresh directory under the system's temporary directory, removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The value of an awaited store call; fails the test (by exception) when it is an error.
template <class T>
T must(asio::awaitable<Result<T>> task) {
  Result<T> result = run_blocking(std::move(task));
  if (!result) throw std::runtime_error("store call failed: " + result.error().message);
  return std::move(result).value();
}

inline void must(asio::awaitable<Result<void>> task) {
  Result<void> result = run_blocking(std::move(task));
  if (!result) throw std::runtime_error("store call failed: " + result.error().message);
}

// The error of an awaited store call that must fail; fails the test when it succeeds.
template <class T>
Error must_fail(asio::awaitable<Result<T>> task) {
  Result<T> result = run_blocking(std::move(task));
  if (result) throw std::runtime_error("store call succeeded but should have failed");
  return std::move(result).error();
}

// A small RFC 5322 message with CRLF line endings and matching meta.
NewMessage make_message(const std::string& subject, const std::string& body = "Hello.");

class StoreTest : public ::testing::TestWithParam<BackendFactory> {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Closes and opens the store again on the same data.
  void reopen();

  // Adds example.test with alice@ and bob@; returns their accounts.
  std::pair<Account, Account> add_example_accounts();
  Id mailbox_id(Id account_id, const std::string& name);

  Store& store() { return *store_; }

  TempDir dir_;
  std::unique_ptr<Store> store_;
};

}  // namespace tern::store::testing
