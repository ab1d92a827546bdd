// Login verification against the store, with hashing off the network threads.
#include "auth/authenticator.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
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
Error no_such_account() { return make_error(Errc::not_found, std::string(authentication_failed)); }

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
    : options_(options), decoy_hash_(std::move(decoy_hash)), pool_(std::max(options.threads, 1u)) {
  if (RAND_bytes(cache_key_.data(), static_cast<int>(cache_key_.size())) != 1) options_.cache_ttl = {};
}

Authenticator::Tag Authenticator::credential_tag(std::string_view stored_hash, std::string_view password) const {
  Tag tag{};
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  unsigned int length = 0;
  const unsigned char separator = 0;
  if (md && EVP_DigestInit_ex(md, EVP_sha256(), nullptr) == 1 &&
      EVP_DigestUpdate(md, cache_key_.data(), cache_key_.size()) == 1 &&
      EVP_DigestUpdate(md, stored_hash.data(), stored_hash.size()) == 1 &&
      EVP_DigestUpdate(md, &separator, 1) == 1 && EVP_DigestUpdate(md, password.data(), password.size()) == 1) {
    EVP_DigestFinal_ex(md, tag.data(), &length);
  }
  EVP_MD_CTX_free(md);
  return tag;
}

bool Authenticator::cached(store::Id account, const Tag& tag) {
  if (options_.cache_ttl.count() <= 0) return false;
  std::lock_guard lock(cache_mutex_);
  auto it = cache_.find(account);
  if (it == cache_.end()) return false;
  if (std::chrono::steady_clock::now() - it->second.verified > options_.cache_ttl) {
    cache_.erase(it);
    return false;
  }
  return CRYPTO_memcmp(it->second.tag.data(), tag.data(), tag.size()) == 0;
}

void Authenticator::remember(store::Id account, const Tag& tag) {
  if (options_.cache_ttl.count() <= 0 || options_.cache_entries == 0) return;
  std::lock_guard lock(cache_mutex_);
  if (cache_.size() >= options_.cache_entries && !cache_.contains(account)) {
    // Bounded: drop the entry verified longest ago.
    auto oldest = std::min_element(cache_.begin(), cache_.end(), [](const auto& a, const auto& b) {
      return a.second.verified < b.second.verified;
    });
    cache_.erase(oldest);
  }
  cache_[account] = CacheEntry{tag, std::chrono::steady_clock::now()};
}

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
  ++slow_verifications_;
  co_await offload([&password, decoy] { return verify_password(password, decoy); });
  co_return no_such_account();
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
  const Tag tag = credential_tag(stored, password);
  if (cached(account.id, tag)) co_return account;
  ++slow_verifications_;
  bool good = co_await offload([&password, &stored] { return verify_password(password, stored); });
  if (!good) co_return failed();
  if (!needs_rehash(account.password_hash, options_.cost)) remember(account.id, tag);

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
