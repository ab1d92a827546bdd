// Login verification against the store, with hashing off the network threads.
#include "auth/authenticator.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>

#include "core/address.hpp"
#include "core/base64.hpp"
#include "core/log.hpp"

namespace tern::auth {
namespace {

// Wipes a password copy when the coroutine frame that holds it ends.
struct Wipe {
  std::string& secret;
  ~Wipe() { OPENSSL_cleanse(secret.data(), secret.size()); }
};

Error failed() { return make_error(Errc::invalid, std::string(authentication_failed)); }

}  // namespace

Result<std::unique_ptr<Authenticator>> Authenticator::create(AuthenticatorOptions options) {
  // The decoy is a hash of a random secret nobody knows, at the same cost as
  // real hashes, so verifying against it takes as long as a real check.
  std::array<unsigned char, 32> random{};
  if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1) {
    return make_error(Errc::internal, "the random number generator failed");
  }
  std::string secret = base64::encode(std::string_view(reinterpret_cast<const char*>(random.data()), random.size()));
  auto decoy = hash_password(secret, options.cost);
  OPENSSL_cleanse(secret.data(), secret.size());
  if (!decoy) return std::move(decoy).error();
  return std::unique_ptr<Authenticator>(new Authenticator(options, std::move(*decoy)));
}

Authenticator::Authenticator(AuthenticatorOptions options, std::string decoy_hash)
    : options_(options), decoy_hash_(std::move(decoy_hash)), pool_(std::max(options.threads, 1u)) {}

Authenticator::~Authenticator() { pool_.join(); }

asio::awaitable<Result<store::Account>> Authenticator::authenticate(store::Store& store, std::string_view username,
                                                                    std::string_view password) {
  // Not a coroutine body of its own: the views are copied here, before the
  // caller's strings can go away.
  return run(store, std::string(username), std::string(password));
}

asio::awaitable<Result<std::string>> Authenticator::hash(std::string password) {
  Wipe wipe{password};
  Argon2Cost cost = options_.cost;
  co_return co_await offload([&password, cost] { return hash_password(password, cost); });
}

asio::awaitable<Result<store::Account>> Authenticator::refuse(std::string password) {
  Wipe wipe{password};
  std::string_view decoy = decoy_hash_;
  co_await offload([&password, decoy] { return verify_password(password, decoy); });
  co_return failed();
}

asio::awaitable<Result<store::Account>> Authenticator::run(store::Store& store, std::string username,
                                                           std::string password) {
  address::ParseOptions parse_options;
  parse_options.allow_utf8 = true;
  auto parsed = address::parse(username, parse_options);
  if (!parsed) co_return co_await refuse(std::move(password));

  auto found = co_await store.find_account(address::canonical(*parsed));
  if (!found) {
    OPENSSL_cleanse(password.data(), password.size());
    co_return std::move(found).error();
  }
  if (!found->has_value()) co_return co_await refuse(std::move(password));

  Wipe wipe{password};
  store::Account account = std::move(**found);
  std::string stored = account.password_hash;
  bool good = co_await offload([&password, &stored] { return verify_password(password, stored); });
  if (!good) co_return failed();

  if (options_.rehash_on_login && needs_rehash(account.password_hash, options_.cost)) {
    // An upgrade that fails is retried at the next login; the login itself succeeded.
    auto fresh = co_await hash(password);
    if (!fresh) {
      log::warn("event=rehash_failed account={} error={}", log::kv(account.address), log::kv(fresh.error().message));
      co_return account;
    }
    auto saved = co_await store.set_password(account.address, *fresh);
    if (saved) {
      account.password_hash = std::move(*fresh);
      log::info("event=password_rehashed account={}", log::kv(account.address));
    } else {
      log::warn("event=rehash_failed account={} error={}", log::kv(account.address), log::kv(saved.error().message));
    }
  }
  co_return account;
}

}  // namespace tern::auth
