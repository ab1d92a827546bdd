#include "delivery/signing.hpp"

#include "core/log.hpp"
#include "core/text.hpp"
#include "delivery/sender_policy.hpp"

namespace tern::delivery {

std::string from_domain(std::string_view message) { return from_domain(from_addresses(message)); }

std::string from_domain(const std::vector<std::string>& from) {
  // The parser names a missing domain as IMAP's ENVELOPE does (RFC 9051
  // 7.5.2); from_addresses keeps it, in lower case: no domain of ours.
  for (const auto& a : from) {
    std::string domain = a.substr(a.rfind('@') + 1);
    if (domain != "missing_domain") return domain;
  }
  return {};
}

std::vector<dkim::Signer> choose_signers(const std::map<std::string, std::vector<dkim::Signer>>& keys,
                                         std::string_view domain) {
  while (!domain.empty()) {
    auto it = keys.find(std::string(domain));
    if (it != keys.end() && !it->second.empty()) return it->second;
    std::size_t dot = domain.find('.');
    if (dot == std::string_view::npos) break;
    domain.remove_prefix(dot + 1);
  }
  return {};
}

void SigningKeys::reload() {
  std::lock_guard lock(mutex_);
  loaded_ = {};
}

asio::awaitable<std::vector<dkim::Signer>> SigningKeys::signers_for(std::string domain) {
  std::shared_ptr<const Keys> keys;
  bool stale = false;
  {
    std::lock_guard lock(mutex_);
    keys = keys_;
    auto now = std::chrono::steady_clock::now();
    stale = !keys || now - loaded_ >= refresh_;
    if (stale) loaded_ = now;  // one reader refreshes; the others use what is there
  }
  if (stale) {
    auto rows = co_await store_.list_dkim_keys("");
    if (!rows) {
      log::error("event=dkim_keys_error error={}", log::kv(rows.error().message));
    } else {
      auto fresh = std::make_shared<Keys>();
      for (const auto& row : *rows) {
        if (row.state != store::DkimKeyState::active) continue;
        auto key = dkim::PrivateKey::from_pem(row.private_key);
        if (!key) {
          log::error("event=dkim_key_unusable domain={} selector={} error={}", row.domain, log::kv(row.selector),
                     log::kv(key.error().message));
          continue;
        }
        (*fresh)[row.domain].push_back(dkim::Signer{row.domain, row.selector, std::move(*key)});
      }
      for (auto& [name, signers] : *fresh) {
        std::stable_sort(signers.begin(), signers.end(), [](const dkim::Signer& a, const dkim::Signer& b) {
          return a.key.type() == dkim::KeyType::ed25519 && b.key.type() != dkim::KeyType::ed25519;
        });
      }
      keys = fresh;
      std::lock_guard lock(mutex_);
      keys_ = std::move(fresh);
    }
  }
  if (!keys) co_return std::vector<dkim::Signer>{};
  co_return choose_signers(*keys, text::to_lower(domain));
}

}  // namespace tern::delivery
