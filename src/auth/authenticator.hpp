// Checks a user name and password against the store. Password hashing is
// deliberately slow (argon2id, 64 MiB), so it runs on a small thread pool of
// its own and the network threads only await it.
// Security: an unknown user, a malformed user name and a wrong password all
// give the same answer, and an unknown user still costs one argon2id
// verification against a decoy hash, so neither the answer nor its timing
// tells whether an account exists. (Accounts still on SHA512-CRYPT verify
// faster; they are rehashed to argon2id at their first successful login.)
#pragma once

#include <asio/awaitable.hpp>
#include <array>
#include <atomic>
#include <asio/co_spawn.hpp>
#include <asio/thread_pool.hpp>
#include <asio/use_awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
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
  // Verified-credential cache: a login whose password was verified in the
  // last cache_ttl, against the hash the store still holds, skips argon2id.
  // 0 turns it off.
  std::chrono::seconds cache_ttl{3600};
  std::size_t cache_entries = 10000;
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
  // `password` is right. A failed login has authentication_failed as the
  // message whatever the cause, and its code tells the login throttle what
  // to count: Errc::invalid for a wrong password of an existing account,
  // Errc::not_found for a name that is no account (or no address). The
  // client is told neither, and both take one argon2id verification. The
  // store's own error (Errc::io, Errc::unavailable) when the lookup fails.
  // The arguments are copied before the first suspension.
  asio::awaitable<Result<store::Account>> authenticate(store::Store& store, std::string_view username,
                                                       std::string_view password);

  // Password hash verifications run so far (cache misses, wrong passwords,
  // unknown users), for tests and metrics.
  std::uint64_t slow_verifications() const { return slow_verifications_.load(); }

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

  // The cache holds, per account, a SHA-256 over a per-process random key,
  // the stored hash and the password: no password, nothing reusable outside
  // this process, and a password change (a new stored hash) misses.
  using Tag = std::array<unsigned char, 32>;
  Tag credential_tag(std::string_view stored_hash, std::string_view password) const;
  bool cached(store::Id account, const Tag& tag);
  void remember(store::Id account, const Tag& tag);

  struct CacheEntry {
    Tag tag{};
    std::chrono::steady_clock::time_point verified;
  };

  AuthenticatorOptions options_;
  std::string decoy_hash_;
  std::array<unsigned char, 32> cache_key_{};
  std::mutex cache_mutex_;
  std::unordered_map<store::Id, CacheEntry> cache_;
  std::atomic<std::uint64_t> slow_verifications_{0};
  asio::thread_pool pool_;
};

}  // namespace tern::auth
