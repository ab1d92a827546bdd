// Checks a user name and password against the store. Password hashing is
// deliberately slow (argon2id, 64 MiB), so it runs on a small thread pool of
// its own and the network threads only await it.
// Security: an unknown user, a malformed user name and a wrong password all
// give the same error, and an unknown user still costs one argon2id
// verification against a decoy hash, so neither the answer nor its timing
// tells whether an account exists. (Accounts still on SHA512-CRYPT verify
// faster; they are rehashed to argon2id at their first successful login.)
#pragma once

#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>
#include <asio/thread_pool.hpp>
#include <asio/use_awaitable.hpp>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "auth/password.hpp"
#include "core/result.hpp"
#include "store/store.hpp"

namespace tern::auth {

struct AuthenticatorOptions {
  Argon2Cost cost;              // for new hashes and the decoy
  unsigned threads = 2;         // hashing threads
  bool rehash_on_login = true;  // replace SHA512-CRYPT and old-cost hashes after a good login
};

// The message of every failed login, whatever the cause.
inline constexpr std::string_view authentication_failed = "authentication failed";

class Authenticator {
 public:
  // Errc::invalid when the cost is unusable (the decoy hash is made here).
  static Result<std::unique_ptr<Authenticator>> create(AuthenticatorOptions options = {});

  // Waits for hashing in progress, then stops the pool.
  ~Authenticator();
  Authenticator(const Authenticator&) = delete;
  Authenticator& operator=(const Authenticator&) = delete;

  // The account for `username` (a full address, any ASCII case) when
  // `password` is right. Errc::invalid with authentication_failed as the
  // message for every wrong user name or password; the store's own error
  // (Errc::io, Errc::unavailable) when the lookup fails. The arguments are
  // copied before the first suspension.
  asio::awaitable<Result<store::Account>> authenticate(store::Store& store, std::string_view username,
                                                       std::string_view password);

  // A new hash of `password` at the configured cost, computed on the pool.
  asio::awaitable<Result<std::string>> hash(std::string password);

  // Runs `job` on the hashing pool and resumes the caller with its result on
  // the caller's executor.
  template <class Job>
  asio::awaitable<std::invoke_result_t<Job&>> offload(Job job) {
    co_return co_await asio::co_spawn(pool_, run_job(std::move(job)), asio::use_awaitable);
  }

 private:
  Authenticator(AuthenticatorOptions options, std::string decoy_hash);

  template <class Job>
  static asio::awaitable<std::invoke_result_t<Job&>> run_job(Job job) {
    co_return job();
  }

  asio::awaitable<Result<store::Account>> run(store::Store& store, std::string username, std::string password);
  asio::awaitable<Result<store::Account>> refuse(std::string password);

  AuthenticatorOptions options_;
  std::string decoy_hash_;
  asio::thread_pool pool_;
};

}  // namespace tern::auth
