// A SQLite store in a fresh directory of its own for one test: made in
// open(), closed and removed in close() (or the destructor). The directory
// is named after the test, so parallel tests never share one.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "auth/password.hpp"
#include "core/run_blocking.hpp"
#include "store/store.hpp"

namespace tern::testing {

// The cheapest argon2id cost: tests hash many passwords.
inline constexpr auth::Argon2Cost cheap_cost{1, 64, 1};

class TempStore {
 public:
  TempStore() = default;
  TempStore(const TempStore&) = delete;
  TempStore& operator=(const TempStore&) = delete;
  ~TempStore() { close(); }

  // `prefix` names the kind of test ("tern-imap-cmd").
  void open(const std::string& prefix) {
    dir_ = std::filesystem::temp_directory_path() /
           (prefix + "-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    store::StoreOptions options;
    options.data_dir = dir_.string();
    auto opened = store::open_store(options);
    ASSERT_TRUE(opened) << opened.error().message;
    store_ = std::move(*opened);
  }

  void close() {
    if (store_) store_->close();
    store_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
    dir_.clear();
  }

  // An account (its domain must exist) with `password` hashed at cheap_cost.
  void add_account(const std::string& address, const std::string& password) {
    auto hash = auth::hash_password(password, cheap_cost);
    ASSERT_TRUE(hash);
    ASSERT_TRUE(run_blocking(store_->add_account(address, *hash)));
  }

  store::Store& operator*() { return *store_; }
  store::Store* operator->() { return store_.get(); }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
  std::unique_ptr<store::Store> store_;
};

}  // namespace tern::testing
