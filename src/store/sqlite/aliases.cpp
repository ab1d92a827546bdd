// Aliases and address resolution in the SQLite back end (RFC 5321 3.6.1:
// aliases expand to one or more addresses, possibly remote). Resolution
// order: an account of that exact address, else an alias of it (expanded
// recursively), else the domain's catch-all "@domain". Expansion stops at a
// fixed depth and never visits an address twice, so alias loops end.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "core/log.hpp"
#include "store/sqlite/operations.hpp"

namespace tern::store::sqlite::ops {

namespace {

constexpr int max_alias_depth = 8;

Result<std::optional<std::vector<std::string>>> alias_targets(Connection& db, const std::string& address) {
  TERN_TRY_ASSIGN(auto alias, db.scalar("SELECT id FROM aliases WHERE address = ?1", address));
  if (!alias) return std::optional<std::vector<std::string>>{};
  TERN_TRY_ASSIGN(auto rows, db.query("SELECT target FROM alias_targets WHERE alias_id = ?1 ORDER BY position", *alias));
  std::vector<std::string> targets;
  while (true) {
    TERN_TRY_ASSIGN(bool has_row, rows.step());
    if (!has_row) break;
    targets.push_back(rows.text(0));
  }
  return std::optional<std::vector<std::string>>{std::move(targets)};
}

template <class T>
void push_unique(std::vector<T>& out, T value) {
  if (std::find(out.begin(), out.end(), value) == out.end()) out.push_back(std::move(value));
}

class Resolver {
 public:
  explicit Resolver(Connection& db) : db_(db) {}

  Result<void> expand(const std::string& address, int depth, Resolution& out) {
    if (depth > max_alias_depth) {
      log::warn("event=alias_too_deep address={} limit={}", log::kv(address), max_alias_depth);
      return {};
    }
    if (!visited_.insert(address).second) return {};  // a loop, or reached twice: once is enough

    std::string domain = domain_of(address);
    TERN_TRY_ASSIGN(bool local, is_local(domain));
    if (!local) {
      push_unique(out.external, address);
      return {};
    }
    TERN_TRY_ASSIGN(auto account, db_.scalar("SELECT id FROM accounts WHERE address = ?1", address));
    if (account) {
      push_unique(out.accounts, *account);
      return {};
    }
    TERN_TRY_ASSIGN(auto targets, alias_targets(db_, address));
    if (!targets) {
      std::string catch_all = "@" + domain;
      if (address == catch_all || !visited_.insert(catch_all).second) return {};
      TERN_TRY_ASSIGN(targets, alias_targets(db_, catch_all));
      if (!targets) return {};
    }
    for (const auto& target : *targets) TERN_TRY(expand(target, depth + 1, out));
    return {};
  }

  Result<bool> is_local(const std::string& domain) {
    auto known = local_.find(domain);
    if (known != local_.end()) return known->second;
    TERN_TRY_ASSIGN(auto id, db_.scalar("SELECT id FROM domains WHERE name = ?1", domain));
    local_.emplace(domain, id.has_value());
    return id.has_value();
  }

 private:
  Connection& db_;
  std::set<std::string> visited_;
  std::map<std::string, bool> local_;
};

}  // namespace

Result<Alias> add_alias(Connection& db, std::string_view address, const std::vector<std::string>& targets) {
  TERN_TRY_ASSIGN(std::string canonical, canonical_address(address, true));
  std::string domain = domain_of(canonical);
  TERN_TRY_ASSIGN(auto domain_id, db.scalar("SELECT id FROM domains WHERE name = ?1", domain));
  if (!domain_id) return make_error(Errc::not_found, fmt::format("domain {} is not a local domain", domain));
  if (targets.empty()) return make_error(Errc::invalid, fmt::format("alias {} needs at least one target", canonical));

  std::vector<std::string> clean;
  for (const auto& target : targets) {
    TERN_TRY_ASSIGN(std::string canonical_target, canonical_address(target, false));
    if (canonical_target == canonical) {
      return make_error(Errc::invalid, fmt::format("alias {} cannot point to itself", canonical));
    }
    push_unique(clean, std::move(canonical_target));
  }

  TERN_TRY_ASSIGN(auto account, db.scalar("SELECT id FROM accounts WHERE address = ?1", canonical));
  if (account) return make_error(Errc::already_exists, fmt::format("{} already exists as an account", canonical));
  TERN_TRY_ASSIGN(auto existing, db.scalar("SELECT id FROM aliases WHERE address = ?1", canonical));
  if (existing) return make_error(Errc::already_exists, fmt::format("alias {} already exists", canonical));

  TERN_TRY(db.execute("INSERT INTO aliases (domain_id, address, created) VALUES (?1, ?2, ?3)", *domain_id, canonical,
                      now()));
  Alias out{db.last_insert_id(), canonical, {}};
  for (std::size_t i = 0; i < clean.size(); ++i) {
    TERN_TRY(db.execute("INSERT INTO alias_targets (alias_id, position, target) VALUES (?1, ?2, ?3)", out.id, i,
                        clean[i]));
  }
  out.targets = std::move(clean);
  return out;
}

Result<void> remove_alias(Connection& db, std::string_view address) {
  TERN_TRY_ASSIGN(std::string canonical, canonical_address(address, true));
  TERN_TRY(db.execute("DELETE FROM aliases WHERE address = ?1", canonical));
  if (db.changes() == 0) return make_error(Errc::not_found, fmt::format("alias {} does not exist", canonical));
  return {};
}

Result<std::vector<Alias>> list_aliases(Connection& db) {
  TERN_TRY_ASSIGN(auto rows, db.query("SELECT a.id, a.address, t.target FROM aliases a "
                                      "JOIN alias_targets t ON t.alias_id = a.id ORDER BY a.address, t.position"));
  std::vector<Alias> out;
  while (true) {
    TERN_TRY_ASSIGN(bool has_row, rows.step());
    if (!has_row) return out;
    Id id = rows.integer(0);
    if (out.empty() || out.back().id != id) out.push_back(Alias{id, rows.text(1), {}});
    out.back().targets.push_back(rows.text(2));
  }
}

Result<Resolution> resolve(Connection& db, std::string_view address) {
  TERN_TRY_ASSIGN(std::string canonical, canonical_address(address, false));
  Resolver resolver(db);
  Resolution out;
  TERN_TRY_ASSIGN(out.local_domain, resolver.is_local(domain_of(canonical)));
  // Mail for other domains is not ours to expand; the caller relays it (or not).
  if (!out.local_domain) return out;
  TERN_TRY(resolver.expand(canonical, 0, out));
  return out;
}

}  // namespace tern::store::sqlite::ops
