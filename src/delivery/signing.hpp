// Which keys sign a message (DKIM, RFC 6376): those of its From: domain, or
// of the nearest parent domain that has keys (a notice from
// MAILER-DAEMON@mail.example.com is signed by example.com, which DMARC's
// relaxed alignment accepts). The keys live in the store (store::DkimKey),
// so every node of a cluster signs alike; SigningKeys keeps them parsed and
// reads them again after a minute, so that `tern dkim rotate` reaches a
// running server without a restart.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "mailauth/dkim.hpp"
#include "store/store.hpp"

namespace tern::delivery {

// The domain of the first address in the message's From: field, in lower
// case; "" when there is none.
std::string from_domain(std::string_view message);
// The same, of addresses from_addresses (sender_policy.hpp) gave.
std::string from_domain(const std::vector<std::string>& from);

// The signers of `domain` or of its nearest parent that has active keys,
// from `keys` (the store's rows; pending and retired ones never sign).
// Ed25519 first, then RSA (RFC 8463 recommends both).
std::vector<dkim::Signer> choose_signers(const std::map<std::string, std::vector<dkim::Signer>>& keys,
                                         std::string_view domain);

class SigningKeys {
 public:
  explicit SigningKeys(store::Store& store, std::chrono::seconds refresh = std::chrono::seconds(60))
      : store_(store), refresh_(refresh) {}

  // The signers for mail from `domain` (see choose_signers). A store error
  // keeps the keys read last (or none): mail goes out unsigned rather than
  // not at all, and the error is logged.
  asio::awaitable<std::vector<dkim::Signer>> signers_for(std::string domain);
  // The next signers_for reads the keys again (the server's SIGHUP).
  void reload();

 private:
  using Keys = std::map<std::string, std::vector<dkim::Signer>>;
  store::Store& store_;
  std::chrono::seconds refresh_;
  std::mutex mutex_;
  std::shared_ptr<const Keys> keys_;
  std::chrono::steady_clock::time_point loaded_{};
};

}  // namespace tern::delivery
